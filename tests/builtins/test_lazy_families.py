"""Families installed on first use look to a script exactly as if installed at start."""
import pytest


def lazy_families():
    from assay.builtins import FAMILIES
    return [(name, functions.split()) for name, _, functions in FAMILIES if functions is not None]


def keys_of(rt, name):
    listing = rt.lua.eval('''function(t)
      local keys = {}
      for k, v in pairs(t) do keys[#keys + 1] = k .. "=" .. type(v) end
      table.sort(keys)
      return table.concat(keys, " ")
    end''')
    return listing(rt.lua.globals()[name.encode()]).decode().split()


@pytest.mark.parametrize("name,functions", lazy_families(), ids=[n for n, _ in lazy_families()])
def test_each_list_names_exactly_what_the_family_installs(name, functions):
    """The list in assay/builtins/__init__.py FAMILIES is what a script sees before the
    family loads; the real table made by its install must hold the same functions."""
    from assay.builtins import new_runtime
    rt = new_runtime()
    try:
        before = keys_of(rt, name)
        real = rt.bridge.load(name)
        real_keys = rt.lua.eval('''function(t)
          local keys = {}
          for k, v in pairs(t) do keys[#keys + 1] = k .. "=" .. type(v) end
          table.sort(keys)
          return table.concat(keys, " ")
        end''')(real).decode().split()
        assert before == sorted(f + "=function" for f in functions if f != "()")
        assert real_keys == before, "update the list of %s in assay/builtins/__init__.py FAMILIES" % name
        assert keys_of(rt, name) == before
    finally:
        rt.close()


def test_a_function_keeps_its_identity_and_keys_across_the_first_call(lua):
    assert lua('''
      local get, keys = base64.encode, {}
      for k in pairs(base64) do keys[#keys + 1] = k end
      local first = next(base64)
      local encoded = base64.encode("hi")
      local after = {}
      for k in pairs(base64) do after[#after + 1] = k end
      table.sort(keys); table.sort(after)
      return encoded, get == base64.encode, type(get), table.concat(keys, ","),
             table.concat(after, ","), next(base64) == first
    ''') == ("aGk=", True, "function", "decode,encode", "decode,encode", True)


def test_assert_is_callable_before_and_after_its_family_loads(lua):
    """`assert` is installed on first use like the table families, and can still be
    called as Lua's own assert: the first call (plain or `assert.eq`) installs it."""
    assert lua('''
      local a, keys = assert, {}
      for k in pairs(assert) do keys[#keys + 1] = k end
      table.sort(keys)
      local first = table.pack(assert(1, "m", 3))
      local ok, err = pcall(assert, false, "boom")
      local ok2, err2 = pcall(assert.eq, 1, 2)
      local after = {}
      for k in pairs(assert) do after[#after + 1] = k end
      table.sort(after)
      return first.n, first[3], err, err2, a == assert, type(assert),
             table.concat(keys, ",") == table.concat(after, ","), #keys
    ''') == (3, 3, "boom", 'assert.eq failed: "1" != "2"', True, "table", True, 7)


def test_assert_errors_without_arguments_as_before(lua):
    assert lua('''
      local ok, err = pcall(assert)
      local ok2, err2 = pcall(assert, nil)
      return err, err2
    ''') == ("bad argument #1 to 'assert' (value expected)", "assertion failed!")


def test_a_script_that_replaces_a_function_keeps_its_replacement(lua):
    assert lua('''
      fs.exists = function() return "mine" end
      return fs.exists("/"), fs.stat("/").is_dir
    ''') == ("mine", True)


def test_a_yielding_builtin_still_yields_on_its_first_call_inside_a_task(lua):
    """Task a's first call into `process` installs the family inside the task; its wait
    must still hand the task back to the scheduler, so task b runs meanwhile."""
    assert lua('''
      local order = {}
      local a = async.spawn(function()
        local child = process.spawn("sleep", {args = {"0.3"}})
        process.wait(child)
        order[#order + 1] = "a"
      end)
      local b = async.spawn(function() order[#order + 1] = "b" end)
      a.await(); b.await()
      return table.concat(order, " ")
    ''') == "b a"


def test_errors_of_a_first_call_are_the_same_as_before(assay):
    result = assay("exec", "-e", "local x = 1\nbase64.decode({})")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].endswith(" ERROR <eval>:2: bad argument #1 to 'decode': error converting Lua table "
                                                  "to String (expected string or number)")


def test_a_family_needing_another_installs_it_first(lua):
    assert lua('return yaml.encode(json.array({}))') == "[]\n"


def test_the_http_helpers_read_json_marks_before_and_after_json_loads(lua):
    assert lua('''
      local H = require("assay._http")
      local before = H.json_body({}, "[]")
      local marked = json.object({})
      return before, H.json_body(marked, "[]")
    ''') == ("[]", "{}")


def test_a_family_installed_after_the_script_replaced_the_library_still_works(lua, tmp_path):
    """Its Lua part sees the standard library as it was before the script's first line."""
    path = tmp_path / "lines.txt"
    path.write_text("a\nb\n")
    assert lua('''
      setmetatable = nil; type = nil; string.gsub = nil; table = nil
      local n = 0
      for line in fs.lines(%r) do n = n + 1 end
      return n, fs.exists(%r)
    ''' % (str(path), str(path))) == (2, True)


def test_a_family_installed_inside_a_finished_task_outlives_it():
    """A first call runs inside the script's coroutine; what the install keeps must not be
    tied to that coroutine (lupa would free it through the dead coroutine: a crash).
    In a child process, so that a crash fails this test only."""
    import subprocess
    import sys
    code = (
        "import gc\n"
        "from assay.builtins import new_runtime\n"
        "rt = new_runtime()\n"
        "rt.run_source(b'return json.parse(\"[1]\"), yaml.parse(\"a: 1\"), fs.exists(\"/\"), http.client', '@a.lua')\n"
        "for _ in range(100):  # the dead coroutine is freed, its memory used again\n"
        "    rt.run_source(b'collectgarbage() local t = {} for i = 1, 50 do t[i] = {} end', '@b.lua')\n"
        "gc.collect()\n"
        "print(rt.run_source(b'return json.encode(json.parse(\"[2]\"))', '@c.lua')[0].decode())\n"
        "rt.close()\n"
        "del rt\n"
        "gc.collect()\n"
        "print('closed')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "[2]\nclosed\n"), result.stderr[-2000:]
