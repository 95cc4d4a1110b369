"""The escape corpus: attempts a script (or a template, pattern or payload) could make
to leave the sandbox. Each must be refused: the attempt either raises a clean Lua
error or yields nothing usable (nil/false), and no Python name, repr or path leaks.
"""
import re

import pytest

from conftest import lua_values, run_assay

# A text that would prove a Python object, class or traceback reached the script.
LEAK = re.compile(r"<class |<built-in|<function |<module |Traceback|\bat 0x|Error:|\.py\b|b'")

# name -> Lua code of the attempt; a truthy result means the attempt got through.
ATTEMPTS = {
    # lupa techniques
    "python_global": "return python",
    "python_package_loaded": "return package.loaded.python",
    "python_require": "return require('python')",
    "lupa_require": "return require('lupa')",
    "python_eval_via_G": "return _G['python'] and python.eval('1')",
    "globals_via_rawget": "return rawget(_G, 'python')",
    "handle_dunder_globals": "local h = regex.find('a', 'a'); return h.__globals__",
    "builtin_fn_upvalue": "return json.encode.__globals__",
    "as_attrgetter": "return python and python.as_attrgetter",
    "subclasses_via_string": "return ('').__class__",
    "string_metatable_index": "return getmetatable('').__index.__class__",
    "unpack_handle": "local c = process.list and true; return table.unpack({}) ",
    "userdata_index_db": "local ok, d = pcall(db.connect, 'sqlite::memory:'); "
                         "return ok and d ~= nil and rawget(getmetatable(d) or {}, '__class__')",
    "userdata_attr_class": "local ok, d = pcall(db.connect, 'sqlite::memory:'); "
                           "if not ok then return nil end; local t = type(d); "
                           "if t ~= 'userdata' then return nil end; return d.__class__",
    "metatable_of_builtin_table": "return getmetatable(http) and getmetatable(http).__class__",
    "package_cpath": "return package.cpath ~= ''",
    "package_loadlib": "return package.loadlib('libc.so.6', 'system')",
    "c_searcher": "return require('socket.core')",
    # bytecode through load
    "load_binary_chunk": "return load(string.char(27) .. 'LuaT' .. string.rep('\\0', 40))",
    "load_binary_mode_b": "return load(string.char(27) .. 'Lua', 'x', 'b')",
    "loadfile_binary": "local p = os.tmpname(); local f = io.open(p, 'wb'); "
                       "f:write(string.char(27) .. 'LuaU'); f:close(); return loadfile(p, 'b')",
    "dofile_binary": "local p = os.tmpname(); local f = io.open(p, 'wb'); "
                     "f:write(string.char(27) .. 'LuaU'); f:close(); return dofile(p)",
    "load_reader_binary": "local parts = {string.char(27), 'Lua'}; local i = 0; "
                          "return load(function() i = i + 1; return parts[i] end)",
    "load_env_nil_is_respected": "local f = load('return print', 'x', 't', nil); return f and f()",
    # debug / string.dump remnants
    "debug_global": "return debug",
    "debug_package_loaded": "return package.loaded.debug",
    "debug_require": "return require('debug')",
    "string_dump": "return string.dump",
    "string_dump_via_meta": "return getmetatable('').__index.dump",
    "collectgarbage_count_only": "return collectgarbage('count') and false",
    # metatable, __gc, __close tricks
    "gc_metamethod_python": "setmetatable({}, {__gc = function() _G.leak = python end}); "
                            "collectgarbage(); collectgarbage(); return _G.leak",
    "close_metamethod_error": "local ok = pcall(function() local x <close> = setmetatable({}, "
                              "{__close = function() error(python) end}) end); return python",
    "index_metamethod_on_G": "setmetatable(_G, {__index = function(_, k) return k == 'python' end}); "
                             "return rawget(_G, 'python')",
    "tostring_metamethod_error": "local ok, e = pcall(error, setmetatable({}, "
                                 "{__tostring = function() return python end})); return python",
    "rawequal_handle": "return rawget(string, 'dump')",
    # coroutines and pcall interplay
    "yield_across_pcall_in_builtin": "local co = coroutine.wrap(function() "
                                     "return pcall(sleep, 0) end); local ok = co(); return python",
    "coroutine_resume_builtin": "local co = coroutine.create(json.encode); "
                                "local ok, v = coroutine.resume(co, {}); return python",
    "coroutine_close_running": "local co; co = coroutine.create(function() "
                               "return coroutine.close(co) end); coroutine.resume(co); return python",
    "xpcall_handler_python": "local _, v = xpcall(error, function() return python end, 'x'); "
                             "return type(v) == 'userdata' or type(v) == 'table'",
    # templates (Jinja SSTI)
    "ssti_class": "return template.render_string('{{ x.__class__ }}', {x = 'a'})",
    "ssti_cycler_globals": "return template.render_string('{{ cycler.__init__.__globals__.os }}', {})",
    "ssti_lipsum_globals": "return template.render_string('{{ lipsum.__globals__ }}', {})",
    "ssti_mro_subclasses": "return template.render_string("
                           "[[{{ ''.__class__.__mro__[1].__subclasses__() }}]], {})",
    "ssti_attr_filter": "return template.render_string([[{{ x|attr('__class__') }}]], {x = 'a'})",
    "ssti_config": "return template.render_string('{{ config.items() }}', {})",
    "ssti_self": "return template.render_string('{{ self.__init__.__globals__ }}', {})",
    "ssti_namespace_init": "return template.render_string('{{ namespace.__init__ }}', {})",
    "ssti_format_string": "return template.render_string([[{{ '{0.__class__}'.format(x) }}]], {x = 'a'})",
    "ssti_mutation": "local d = {l = {1}}; "
                     "return template.render_string('{{ l.append(2) }}{{ l|length }}', d)",
    "ssti_request_application": "return template.render_string("
                                "'{{ request.application.__globals__ }}', {})",
}


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_escape_refused(name):
    code = "local ok, v = pcall(function() %s end)\nreturn ok, v and tostring(v) or nil" % ATTEMPTS[name]
    ok, value = lua_values(code)
    if ok:
        assert value in (None, "false", "nil", ""), "%s got through: %r" % (name, value)
    else:
        assert value, name
        assert not LEAK.search(value), "%s leaks a Python detail: %s" % (name, value)


def test_escape_corpus_is_large_enough():
    assert len(ATTEMPTS) >= 50


def test_template_unsafe_access_is_one_line_error_with_template_and_line():
    ok, msg = lua_values("return pcall(template.render_string, 'a\\n{{ x.__class__ }}', {x = 'a'})")
    assert ok is False
    assert msg == "template.render_string: unsafe access refused: attribute __class__ (in <string>:2)"


def test_template_division_by_zero_reads_like_the_original():
    ok, msg = lua_values("return pcall(template.render_string, '{{ 1 / 0 }}', {})")
    assert (ok, msg) == (False, "template.render_string: division by zero (in <string>:1)")


def test_template_features_still_work():
    assert lua_values("return template.render_string("
                      "'{% for i in items %}{{ i|upper }}{% if not loop.last %},{% endif %}{% endfor %}', "
                      "{items = {'a', 'b'}})") == "A,B"


# ---- CPU bombs, deadlines and process floods (a separate process each) -------------

def _tool(tmp_path, code, timeout="1"):
    script = tmp_path / "s.lua"
    script.write_text(code)
    return run_assay("run", "--mode", "tool", "--timeout", timeout, str(script), timeout=30)


@pytest.mark.parametrize("code", [
    "while true do pcall(function() while true do end end) end",
    "while true do xpcall(function() while true do end end, function(e) return e end) end",
    "while true do local co = coroutine.create(function() while true do end end) coroutine.resume(co) end",
    "while true do local co = coroutine.wrap(function() pcall(function() while true do end end) end) pcall(co) end",
    "while true do pcall(pcall, function() while true do end end) end",
    "local function f() while true do end end\n"
    "while true do local ok = pcall(function() local x <close> = setmetatable({}, "
    "{__close = function() pcall(f) end}) f() end) end",
], ids=["pcall", "xpcall", "coroutine", "wrap_in_pcall", "nested_pcall", "close_handler"])
def test_tool_deadline_cannot_be_caught(tmp_path, code):
    r = _tool(tmp_path, code)
    assert r.returncode == 0
    assert r.stdout == '{"ok":false,"status":"timeout","error":"execution timed out after 1s"}'


def test_memory_bomb_inside_pcall_ends_the_run(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("while true do pcall(function() local t = {} "
                      "for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end end) end\n")
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "memory error: not enough memory" in r.stderr


def test_string_bomb_inside_pcall_ends_the_run(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(string.rep, 'x', 1 << 40))\nprint('still running')\n")
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "memory error: not enough memory" in r.stderr
    assert "still running" not in r.stdout


def test_bounded_process_flood(tmp_path):
    # 50 short-lived processes in a loop: each one finishes, nothing is left behind
    values = lua_values("local n = 0 for i = 1, 50 do local r = shell.exec('true') "
                        "if r.status == 0 then n = n + 1 end end return n")
    assert values == 50


@pytest.mark.parametrize("signum, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_signal_ends_a_busy_loop_inside_pcall(tmp_path, signum, code):
    import os
    import signal
    import subprocess
    from conftest import assay_command, assay_env
    script = tmp_path / "busy.lua"
    script.write_text("print('started')\nio.stdout:flush()\n"
                      "while true do pcall(function() while true do end end) end\n")
    env = assay_env(extra_env={"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))})
    proc = subprocess.Popen(assay_command() + [str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline() == "started\n"
        proc.send_signal(getattr(signal, signum))
        proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == code


def test_block_globals_env_removes_globals_and_dotted_paths(tmp_path):
    script = tmp_path / "b.lua"
    script.write_text("print(io.popen, shell, type(io.open), type(http.get))\n")
    r = run_assay(str(script), extra_env={"ASSAY_BLOCK_GLOBALS": "io.popen, shell,nope.x"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "nil\tnil\tfunction\tfunction\n"


def test_load_keeps_an_explicit_nil_env():
    # load(src, name, mode, nil) gives the chunk no globals at all, as in plain Lua
    ok, msg = lua_values("local f = load('return print', 'x', 't', nil); return pcall(f)")
    assert ok is False and "attempt to index" in msg


@pytest.mark.parametrize("code", [
    "setmetatable({}, {__gc = function() while true do end end}) collectgarbage() return 1",
    "return pcall(io.read, 'a')",  # stdin is a pipe the calling program keeps open
], ids=["gc_finalizer_loop", "stdin_read"])
def test_tool_deadline_answers_when_no_hook_can_run(tmp_path, code):
    # a finalizer runs without hooks and a read blocks inside C: the backstop answers
    # shortly after the deadline anyway, and the process is gone
    import subprocess
    import time
    from conftest import assay_command, assay_env
    script = tmp_path / "s.lua"
    script.write_text(code)
    started = time.monotonic()
    proc = subprocess.Popen(assay_command() + ["run", "--mode", "tool", "--timeout", "1", str(script)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=assay_env())
    try:
        proc.wait(timeout=20)  # stdin stays open meanwhile (communicate would close it)
        elapsed = time.monotonic() - started
        out = proc.stdout.read()
    finally:
        proc.kill()
        proc.stdin.close()
    assert out == '{"ok":false,"status":"timeout","error":"execution timed out after 1s"}'
    assert proc.returncode == 0
    assert elapsed < 8
