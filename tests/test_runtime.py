"""The Lua runtime (runtime.md): VM, sandbox, require, errors, scheduler, values."""
import os
import time

import pytest

from conftest import lua_error, lua_values, run_assay

BUILTIN_GLOBALS = ("http json yaml toml assert log env sleep time fs base64 crypto regex async db ws "
                   "template shell process disk os temporal").split()


def test_rt_01_lua_55_with_64_bit_integers():
    assert lua_values("return _VERSION, math.maxinteger, math.type(1), math.type(1.0)") == (
        "Lua 5.5", 2 ** 63 - 1, "integer", "float")


def test_rt_02_standard_libraries_and_no_debug():
    assert lua_values("return type(coroutine.create), type(table.concat), type(io.open), type(string.rep), "
                      "type(utf8.char), type(math.floor), type(package.searchers), debug") == (
        "function", "function", "function", "function", "function", "function", "table", None)


def test_rt_03_sandbox_removals():
    assert lua_values("return string.dump == nil and debug == nil and python == nil") is True
    # load/loadfile/dofile are back, for text chunks only
    assert lua_values("return load('return 1 + 1')()") == 2
    assert lua_values("return load(string.char(27) .. 'Lua')") == (
        None, "attempt to load a binary chunk (mode is 't')")
    message = lua_error("package.loadlib('x', 'y')")
    assert "can't load C modules" in message


def test_rt_04_memory_limit(tmp_path):
    script = tmp_path / "mem.lua"
    script.write_text("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end\n")
    r = run_assay(script)
    assert r.returncode == 1
    assert "not enough memory" in r.stderr
    assert "Traceback" not in r.stderr


def test_rt_05_all_builtin_globals_exist():
    present = lua_values("local out = {} for _, n in ipairs({%s}) do out[#out+1] = _G[n] ~= nil end return out"
                         % ", ".join('"%s"' % n for n in BUILTIN_GLOBALS))
    missing = [n for n, ok in zip(BUILTIN_GLOBALS, present) if not ok]
    assert missing == []


def test_rt_08_no_python_bridge_visible():
    assert lua_values("return python, rawget(_G, 'python'), package.loaded.python") == (None, None, None)


def test_rt_08_builtin_errors_expose_no_host_objects():
    """pcall on a failing builtin yields a plain string, not a host exception object."""
    assert lua_values("local ok, e = pcall(sleep, 'x'); return ok, type(e)") == (False, "string")
    assert lua_values("return type(sleep), type(async.spawn)") == ("function", "function")


def test_rt_09_shebang_in_exec_code_and_empty_script(tmp_path):
    r = run_assay("exec", "-e", "#!/usr/bin/assay\nprint('ok')")
    assert r.returncode == 0 and r.stdout == "ok\n"
    r = run_assay("exec", "-e", "#!/usr/bin/assay\nerror('line two')")
    assert "<eval>:2: line two" in r.stderr


def test_rt_10_rt_11_chunk_names(tmp_path):
    (tmp_path / "x.lua").write_text("\n\nerror('boom')\n")
    r = run_assay("./x.lua", cwd=tmp_path)
    assert "./x.lua:3: boom" in r.stderr
    assert "<eval>:1: boom" in run_assay("exec", "-e", "error('boom')").stderr


def test_rt_14_uncaught_error_one_error_record_nothing_on_stdout(tmp_path):
    r = run_assay("exec", "-e", "error('bad thing')")
    assert r.returncode == 1 and r.stdout == ""
    assert [l for l in r.stderr.splitlines() if " ERROR " in l] == [
        l for l in r.stderr.splitlines() if "bad thing" in l]


def test_rt_15_rt_16_builtin_errors_are_plain_strings_without_position():
    assert lua_values("local ok, e = pcall(sleep, 'x'); return e, e:match('^sleep'), tostring(e)") == (
        "sleep: argument must be a number of seconds", "sleep", "sleep: argument must be a number of seconds")


def test_rt_17_non_string_error_values(tmp_path):
    r = run_assay("exec", "-e", "error(setmetatable({}, {__tostring = function() return 'custom error' end}))")
    assert r.returncode == 1 and "custom error" in r.stderr
    r = run_assay("exec", "-e", "error({code = 42})")
    assert r.returncode == 1 and "table: 0x" in r.stderr


# ---- require ------------------------------------------------------------------------
def _module(root, rel, body):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


def test_rt_18_rt_20_rt_21_rt_22_searcher_priority(tmp_path):
    """preload > package.path (./assay/x.lua) > ./modules > global dir; global dir overrides embedded."""
    global_dir = tmp_path / "global"
    _module(global_dir, "prio.lua", "return 'global'")
    _module(tmp_path, "modules/prio.lua", "return 'project'")
    code = "return require('assay.prio')"
    env = {"ASSAY_MODULES_PATH": str(global_dir)}
    r = run_assay("exec", "-e", "print((require('assay.prio')))", cwd=tmp_path, extra_env=env)
    assert r.stdout == "project\n"
    _module(tmp_path, "assay/prio.lua", "return 'package.path'")
    r = run_assay("exec", "-e", "print((require('assay.prio')))", cwd=tmp_path, extra_env=env)
    assert r.stdout == "package.path\n"
    r = run_assay("exec", "-e", "package.preload['assay.prio'] = function() return 'preload' end "
                  "print((require('assay.prio')))", cwd=tmp_path, extra_env=env)
    assert r.stdout == "preload\n"
    (tmp_path / "assay/prio.lua").unlink()
    (tmp_path / "modules/prio.lua").unlink()
    r = run_assay("exec", "-e", "print((require('assay.prio')))", cwd=tmp_path, extra_env=env)
    assert r.stdout == "global\n"
    assert code  # same module name throughout


def test_rt_21_home_modules_dir(tmp_path):
    _module(tmp_path, "home/.assay/modules/homemod.lua", "return 'from home'")
    env = dict(os.environ, HOME=str(tmp_path / "home"), NO_COLOR="1")
    env.pop("ASSAY_MODULES_PATH", None)
    r = run_assay("exec", "-e", "print((require('assay.homemod')))", cwd=tmp_path, env=env)
    assert r.stdout == "from home\n", r.stderr


def test_rt_19_rt_23_nested_names_init_and_chunk_names(tmp_path):
    _module(tmp_path, "modules/a/b.lua", "return {where = debug_where}")
    _module(tmp_path, "modules/pkg/init.lua", "error('inside init')")
    r = run_assay("exec", "-e", "print(type(require('assay.a.b')))", cwd=tmp_path)
    assert r.stdout == "table\n"
    r = run_assay("exec", "-e", "require('assay.pkg')", cwd=tmp_path)
    assert "./modules/pkg/init.lua:1: inside init" in r.stderr


def test_rt_24_fs_modules_see_builtins_and_require_others(tmp_path):
    _module(tmp_path, "modules/helper.lua", "return {now = time, kind = type(async.spawn)}")
    _module(tmp_path, "modules/user.lua", "local h = require('assay.helper') return h.kind")
    r = run_assay("exec", "-e", "print((require('assay.user')))", cwd=tmp_path)
    assert r.stdout == "function\n"


def test_rt_25_modules_are_cached(tmp_path):
    _module(tmp_path, "modules/counter.lua", "COUNT = (COUNT or 0) + 1 return {}")
    r = run_assay("exec", "-e", "local a = require('assay.counter') local b = require('assay.counter') "
                  "print(a == b, COUNT)", cwd=tmp_path)
    assert r.stdout == "true\t1\n"


def test_rt_26_missing_module_message(tmp_path):
    r = run_assay("exec", "-e", "require('assay.does.not.exist')", cwd=tmp_path)
    assert "module 'assay.does.not.exist' not found:" in r.stderr
    assert "no embedded stdlib file: does/not/exist.lua" in r.stderr
    assert "can't load C modules in safe mode" in r.stderr


def test_rt_27_non_assay_names_fail(tmp_path):
    r = run_assay("exec", "-e", "require('mycompany.mylib')", cwd=tmp_path)
    assert r.returncode == 1
    assert "not an assay.* module: mycompany.mylib" in r.stderr


def test_rt_28_package_path_and_lua_path(tmp_path):
    _module(tmp_path, "mylib.lua", "return 'cwd lib'")
    r = run_assay("exec", "-e", "print((require('mylib')))", cwd=tmp_path)
    assert r.stdout == "cwd lib\n"
    _module(tmp_path, "elsewhere/other.lua", "return 'via LUA_PATH'")
    r = run_assay("exec", "-e", "print((require('other')))", cwd=tmp_path,
                  extra_env={"LUA_PATH": str(tmp_path / "elsewhere" / "?.lua") + ";;"})
    assert r.stdout == "via LUA_PATH\n"


def test_rt_23_syntax_error_in_module(tmp_path):
    _module(tmp_path, "modules/broken.lua", "local = 1")
    r = run_assay("exec", "-e", "require('assay.broken')", cwd=tmp_path)
    assert r.returncode == 1 and "./modules/broken.lua:1:" in r.stderr


def test_rt_36_module_top_level_cannot_yield(tmp_path):
    _module(tmp_path, "modules/yields.lua", "sleep(0) return {}")
    r = run_assay("exec", "-e", "require('assay.yields')", cwd=tmp_path)
    assert r.returncode == 1 and "attempt to yield across a C-call boundary" in r.stderr


# ---- scheduler ------------------------------------------------------------------------
def test_rt_33_rt_38_spawn_starts_at_next_yield():
    order = lua_values("""
        local order = {}
        local h = async.spawn(function() order[#order + 1] = 'task' end)
        order[#order + 1] = 'after spawn'
        sleep(0)
        order[#order + 1] = 'after yield'
        return order""")
    assert order == ["after spawn", "task", "after yield"]


def test_rt_34_spawn_works_in_non_yieldable_context():
    assert lua_values("""
        local got
        string.gsub('a', 'a', function() async.spawn(function() got = 'ran' end) end)
        sleep(0)
        return got""") == "ran"


def test_rt_36_yield_inside_c_callback_raises():
    assert "attempt to yield across a C-call boundary" in lua_error(
        "table.sort({3, 2, 1}, function(a, b) sleep(0) return a < b end)")


def test_rt_37_yielding_builtins_in_user_coroutines():
    assert lua_values("""
        local co = coroutine.wrap(function() sleep(0.01) coroutine.yield('first') return 'second' end)
        return co(), co()""") == ("first", "second")


def test_rt_39_await_returns_array_of_values():
    assert lua_values("""
        local a = async.spawn(function() return 42 end)
        local b = async.spawn(function() return 1, 2 end)
        local c = async.spawn(function() end)
        local ra, rb, rc = a:await(), b:await(), c:await()
        return ra[1], #ra, rb[1], rb[2], next(rc) == nil""") == (42, 1, 1, 2, True)


def test_rt_40_await_reraises_task_error():
    assert "task failed" in lua_values("""
        local h = async.spawn(function() error('task failed') end)
        local ok, e = pcall(h.await)
        return e""")


def test_rt_41_second_await_raises():
    assert lua_values("""
        local h = async.spawn(function() return 1 end)
        h:await()
        local ok, e = pcall(h.await)
        return e""") == "async handle already awaited"


def test_rt_42_await_dot_and_colon():
    assert lua_values("""
        local a = async.spawn(function() return 'dot' end)
        local b = async.spawn(function() return 'colon' end)
        return a.await()[1], b:await()[1]""") == ("dot", "colon")


def test_rt_43_tasks_overlap():
    # overlap shown by order, not by the clock: b starts while a is still sleeping
    assert lua_values("""
        local order = {}
        local function task(name)
          return function() order[#order + 1] = name .. "+"; sleep(0.2); order[#order + 1] = name .. "-" end
        end
        local a, b = async.spawn(task("a")), async.spawn(task("b"))
        a:await() b:await()
        return table.concat(order, " ")""") == "a+ b+ a- b-"


def test_rt_44_main_end_abandons_tasks(tmp_path):
    start = time.monotonic()
    r = run_assay("exec", "-e", "async.spawn(function() sleep(30) end) "
                  "async.spawn_interval(0.01, function() end) sleep(0.02) print('done')")
    assert r.returncode == 0 and r.stdout == "done\n"
    assert time.monotonic() - start < 10


def test_rt_45_unawaited_task_error_logged_not_fatal():
    r = run_assay("exec", "-e", "async.spawn(function() error('lost error') end) sleep(0.01)")
    assert r.returncode == 0
    assert "lost error" in r.stderr


def test_rt_47_interval_must_be_positive():
    for value in ("0", "-1"):
        assert lua_error("async.spawn_interval(%s, function() end)" % value) == (
            "async.spawn_interval: interval must be positive")


def test_rt_48_intervals_tick_after_interval_without_overlap():
    ticks, overlapped = lua_values("""
        local n, running, overlapped = 0, false, false
        local h = async.spawn_interval(0.03, function()
            if running then overlapped = true end
            running = true
            n = n + 1
            sleep(0.05)
            running = false
        end)
        sleep(0.02)
        local before = n
        sleep(0.25)
        h:cancel()
        return {before, n}, overlapped""")
    assert ticks[0] == 0 and ticks[1] >= 2
    assert overlapped is False


def test_rt_49_cancel_stops_interval():
    counts = lua_values("""
        local n = 0
        local h = async.spawn_interval(0.02, function() n = n + 1 end)
        sleep(0.1)
        h.cancel()
        h:cancel()
        local at_cancel = n
        sleep(0.1)
        return {at_cancel, n}""")
    assert counts[0] >= 2 and counts[1] == counts[0]


def test_rt_50_interval_error_logged_and_stops():
    r = run_assay("exec", "-e", """
        local n = 0
        async.spawn_interval(0.02, function() n = n + 1 error('tick broke') end)
        sleep(0.15)
        print(n)""")
    assert r.returncode == 0 and r.stdout == "1\n"
    assert "async.spawn_interval: callback error:" in r.stderr and "tick broke" in r.stderr


def test_rt_51_sleep_duration():
    start = time.monotonic()
    lua_values("sleep(0.05)")
    assert 0.04 <= time.monotonic() - start < 2


def test_rt_52_sleep_negative_returns_and_nan_errors():
    start = time.monotonic()
    lua_values("sleep(-5) sleep('0.01')")
    assert time.monotonic() - start < 4  # a negative duration does not sleep its absolute value
    assert "NaN" in lua_error("sleep(0/0)")


def test_rt_53_time_is_float_seconds():
    value, kind = lua_values("local t = time() return t, math.type(t)")
    assert kind == "float" and value > 1.7e9 and abs(value - time.time()) < 5


def test_rt_35_blocking_code_stalls_other_tasks():
    """A busy main chunk gives spawned tasks no turn until it yields."""
    assert lua_values("""
        local ran = false
        async.spawn(function() ran = true end)
        local x = 0 for i = 1, 100000 do x = x + i end
        local before = ran
        sleep(0)
        return {before, ran}""") == [False, True]
