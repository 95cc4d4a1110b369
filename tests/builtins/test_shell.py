"""`shell.exec` (builtins.md §17): SHELL-01..SHELL-07."""
import os
import time

import pytest


def lstr(text):
    return "[==[" + str(text) + "]==]"


def run(lua, cmd, opts="nil"):
    return lua("return shell.exec(%s, %s)" % (lstr(cmd), opts))


# ------------------------------------------------------------------ SHELL-01

def test_shell_01_result_fields(lua):
    """SHELL-01: status, stdout, stderr, timed_out=false."""
    assert run(lua, "echo hello") == {"status": 0, "stdout": "hello\n", "stderr": "", "timed_out": False}


def test_shell_01_status_is_integer(lua):
    """SHELL-01: status is a Lua integer."""
    assert lua('return math.type(shell.exec("true").status)') == "integer"


def test_shell_01_stdin_is_dev_null_without_opts(lua):
    """§17: without opts.stdin the child's stdin is /dev/null (reads EOF at once)."""
    assert run(lua, "cat; echo done")["stdout"] == "done\n"


# ------------------------------------------------------------------ SHELL-02

def test_shell_02_exit_code_and_separate_stderr(lua):
    """SHELL-02: `exit 42` → 42; stderr is captured separately; non-zero is not an error."""
    assert run(lua, "echo out; echo err >&2; exit 42") == \
        {"status": 42, "stdout": "out\n", "stderr": "err\n", "timed_out": False}


def test_shell_02_killed_by_signal_is_minus_one(lua):
    """§17: a command ended by a signal reports status -1."""
    assert run(lua, "kill -9 $$")["status"] == -1


# ------------------------------------------------------------------ SHELL-03

def test_shell_03_cwd(lua, tmp_path):
    """SHELL-03: opts.cwd sets the working directory."""
    assert run(lua, "pwd", "{cwd = %s}" % lstr(tmp_path))["stdout"] == "%s\n" % os.path.realpath(tmp_path)


def test_shell_03_env_is_added(lua, monkeypatch):
    """SHELL-03: opts.env is added to the inherited environment."""
    monkeypatch.setenv("ASSAY_SHELL_INHERITED", "kept")
    result = run(lua, 'echo "$ASSAY_SHELL_X $ASSAY_SHELL_N $ASSAY_SHELL_INHERITED"',
                 "{env = {ASSAY_SHELL_X = 'new', ASSAY_SHELL_N = 5}}")
    assert result["stdout"] == "new 5 kept\n"


def test_shell_03_stdin(lua):
    """SHELL-03: opts.stdin is written to the child's stdin, then closed."""
    assert run(lua, "tr a-z A-Z", "{stdin = 'hello\\n'}")["stdout"] == "HELLO\n"


def test_shell_03_large_stdin_and_output_concurrently(lua):
    """§17 Note: stdin is fed while output is read — large in + large out do not deadlock."""
    code = """
    local data = string.rep("0123456789abcdef", 131072)  -- 2 MiB
    local r = shell.exec("cat; cat >&2 </dev/null", {stdin = data, timeout = 30})
    return #r.stdout, r.stdout == data, r.timed_out
    """
    assert lua(code) == (2 * 1024 * 1024, True, False)


def test_shell_03_bad_cwd_is_spawn_failure(lua_fails, tmp_path):
    """§17: spawn failure raises `shell.exec: failed to spawn command: <detail>`."""
    missing = tmp_path / "missing"
    assert lua_fails("shell.exec('true', {cwd = %s})" % lstr(missing)) == \
        "shell.exec: failed to spawn command: No such file or directory (os error 2)"


# ------------------------------------------------------------------ SHELL-04

def test_shell_04_timeout_kills(lua):
    """SHELL-04: the timeout kills the command: timed_out=true, status=-1, output discarded."""
    start = time.monotonic()
    result = run(lua, "echo partial; sleep 10", "{timeout = 0.3}")
    assert result == {"status": -1, "stdout": "", "stderr": "", "timed_out": True}
    assert time.monotonic() - start < 5


def test_shell_04_fast_command_within_timeout(lua):
    """SHELL-04: a command finishing in time is reported normally."""
    assert run(lua, "echo ok; exit 3", "{timeout = 10}") == \
        {"status": 3, "stdout": "ok\n", "stderr": "", "timed_out": False}


# ------------------------------------------------------------------ SHELL-05

@pytest.mark.parametrize("value", ["-1", "1/0", "-1/0", "0/0", "'abc'", "true", "{}"])
def test_shell_05_invalid_timeout(lua_fails, value):
    """SHELL-05: invalid timeouts raise the exact message."""
    assert lua_fails("shell.exec('true', {timeout = %s})" % value) == \
        "shell.exec: timeout must be a non-negative finite number"


def test_shell_05_missing_command(lua_fails):
    """§17: a missing command raises `shell.exec: command string required`."""
    assert lua_fails("shell.exec()") == "shell.exec: command string required"


def test_shell_05_non_table_opts_ignored(lua):
    """§17: opts of another type are ignored."""
    assert run(lua, "echo x", "'not a table'")["stdout"] == "x\n"


# ------------------------------------------------------------------ SHELL-06

def test_shell_06_sh_features(lua, tmp_path):
    """SHELL-06: pipes, `;`, $VAR and `&` with redirection work under /bin/sh -c."""
    out = tmp_path / "bg.txt"
    cmd = "X=abc; echo $X | tr a-c A-C; (echo bg > %s) > /dev/null 2>&1 & wait; cat %s; echo $0" % (out, out)
    assert run(lua, cmd)["stdout"] == "ABC\nbg\n/bin/sh\n"


def test_shell_06_background_keeping_pipes_open_makes_it_wait(lua):
    """§17: the call returns only when stdout/stderr reach EOF."""
    start = time.monotonic()
    result = run(lua, "(sleep 0.6; echo late) & echo now")
    assert result["stdout"] == "now\nlate\n"
    assert time.monotonic() - start >= 0.5


def test_shell_06_output_is_lossless(lua):
    """§17 (port choice): output bytes come back exactly, even when not UTF-8."""
    assert lua(r'local r = shell.exec("printf \"a\\377b\"") return #r.stdout, r.stdout:byte(2)') == (3, 255)


# ------------------------------------------------------------------ SHELL-07

def test_shell_07_timeout_kills_process_group_and_returns_promptly(lua, tmp_path):
    """SHELL-07: children of sh are killed too and the call returns at once."""
    marker = tmp_path / "child.pid"
    start = time.monotonic()
    result = run(lua, "sleep 30 & echo $! > %s; sleep 30; echo never" % marker, "{timeout = 0.5}")
    elapsed = time.monotonic() - start
    assert result["timed_out"] is True and result["status"] == -1
    assert elapsed < 3
    pid = int(marker.read_text())
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("background child %d survived the timeout" % pid)


def test_shell_blocks_other_tasks(lua):
    """RT-35: shell.exec is blocking — a task cannot run while it waits."""
    code = """
    local ticks = 0
    local h = async.spawn(function() for i = 1, 100 do ticks = ticks + 1; sleep(0.01) end end)
    sleep(0)
    local before = ticks
    shell.exec("sleep 0.3")
    local after = ticks
    return before, after
    """
    before, after = lua(code)
    assert before >= 1
    assert after == before
