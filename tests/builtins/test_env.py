"""`env` builtin (builtins.md §12, runtime.md §8/§11): ENV-01..04, RT-64."""
import os
import sys

import pytest

NAME = "ASSAY_TEST_ENV_%d" % os.getpid()


@pytest.fixture
def var(monkeypatch):
    """A variable name unique to this test process, removed again afterwards."""
    monkeypatch.delenv(NAME, raising=False)
    yield NAME
    os.environ.pop(NAME, None)


def test_env_01_get_returns_value(lua, var, monkeypatch):
    monkeypatch.setenv(var, "hello world")
    assert lua('return env.get("%s")' % var) == "hello world"


def test_env_01_get_unset_is_nil(lua, var):
    assert lua('return env.get("%s") == nil, type(env.get("%s"))' % (var, var)) == (True, "nil")


def test_env_01_get_non_utf8_value_reads_nil(lua, var):
    if not hasattr(os, "environb"):
        pytest.skip("bytes environment only on POSIX")
    os.environb[var.encode()] = b"caf\xe9"
    assert lua('return env.get("%s") == nil, env._process_get("%s") == nil' % (var, var)) == (True, True)


def test_env_01_get_number_name_is_coerced(lua, monkeypatch):
    monkeypatch.setenv("123", "numbered")
    assert lua("return env.get(123)") == "numbered"


def test_env_01_get_rejects_table_name(lua_fails):
    message = lua_fails("env.get({})")
    assert "bad argument #1 to 'get'" in message and "table" in message


def test_env_02_check_env_shadows_process(lua, var, monkeypatch):
    monkeypatch.setenv(var, "from process")
    code = 'return env.get("%s"), env._process_get("%s"), env._check_env["%s"]' % (var, var, var)
    assert lua(code, mode="check", check_env={var: "from check"}) == \
        ("from check", "from process", "from check")


def test_env_02_check_env_only_key(lua, var):
    code = 'return env.get("%s"), env._process_get("%s")' % (var, var)
    # a second value of nil is dropped by the fixture's tuple conversion: compare explicitly
    assert lua(code + " == nil", mode="check", check_env={var: "injected"}) == ("injected", True)
    assert var not in os.environ  # the process environment is not modified


def test_env_02_check_env_empty_in_script_mode(lua):
    assert lua("return type(env._check_env), next(env._check_env) == nil") == ("table", True)


def test_env_02_script_edits_to_check_env_are_read(lua, var):
    assert lua('env._check_env["%s"] = "late"; return env.get("%s")' % (var, var)) == "late"


def test_env_02_set_does_not_change_check_env(lua, var):
    code = 'env.set("%s", "process"); return env.get("%s"), env._process_get("%s")' % (var, var, var)
    assert lua(code, mode="check", check_env={var: "check"}) == ("check", "process")


def test_env_02_check_env_not_listed(lua, var):
    code = ('for _, e in ipairs(env.list()) do if e.key == "%s" then return "listed" end end '
            'return "absent"' % var)
    assert lua(code, mode="check", check_env={var: "check"}) == "absent"


def test_env_03_set_overwrite_and_unset(lua, var):
    code = """
      local name = "%s"
      local seen = {}
      seen[1] = tostring(env.set(name, "one"))
      seen[2] = env.get(name)
      env.set(name, "two")
      seen[3] = env.get(name)
      env.set(name, nil)
      seen[4] = tostring(env.get(name))
      return seen
    """ % var
    assert lua(code) == ["nil", "one", "two", "nil"]
    assert var not in os.environ


def test_env_03_set_changes_os_environ(lua, var):
    lua('env.set("%s", 42)' % var)
    assert os.environ[var] == "42"


def test_env_03_set_invalid_name_raises(lua_fails):
    assert lua_fails('env.set("A=B", "x")') == \
        'env.set: failed to set environment variable "A=B": Invalid argument (os error 22)'
    assert "bad argument #2 to 'set'" in lua_fails('env.set("X", true)')


def test_env_04_list_includes_set_variable(lua, var):
    code = """
      env.set("%s", "listed value")
      for _, e in ipairs(env.list()) do
        if e.key == "%s" then return e.value end
      end
    """ % (var, var)
    assert lua(code) == "listed value"


def test_env_04_list_matches_process_in_order(lua):
    entries = lua("return env.list()")
    expected = [{"key": k, "value": v} for k, v in os.environ.items()]
    if hasattr(os, "environb"):
        expected = [{"key": k.decode(), "value": v.decode()} for k, v in os.environb.items()
                    if _utf8(k) and _utf8(v)]
    assert entries == expected


def _utf8(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_env_plain_table_accepts_fields(lua):
    assert lua("env.custom = 5; return env.custom") == 5


def test_rt_64_set_visible_to_child_process(lua, var):
    """A child started after env.set (inheriting the C environment) sees the variable."""
    import subprocess
    lua('env.set("%s", "child sees me")' % var)
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get(%r))" % var],
                         capture_output=True, text=True, env=None).stdout
    assert out == "child sees me\n"
    lua('env.set("%s", nil)' % var)
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get(%r))" % var],
                         capture_output=True, text=True).stdout
    assert out == "None\n"


def test_rt_64_set_visible_to_shell_exec(assay, tmp_path):
    """Within one assay process: shell.exec children and later env.get see env.set."""
    if sys.platform == "win32":
        pytest.skip("POSIX shell needed")
    script = tmp_path / "env.lua"
    script.write_text("""
      if shell == nil then print("no shell builtin") return end
      env.set("ASSAY_RT64", "value-64")
      local r = shell.exec('printf %s "$ASSAY_RT64"')
      print(r.stdout, env.get("ASSAY_RT64"))
    """)
    result = assay(script)
    assert result.returncode == 0, result.stderr
    if result.stdout == "no shell builtin\n":
        pytest.skip("shell builtin not installed yet")
    assert result.stdout == "value-64\tvalue-64\n"
