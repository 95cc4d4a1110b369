"""Waits on child processes are bounded by the run: a tool-mode `--timeout` cuts
`shell.exec` and `process.wait` (even inside pcall), and SIGINT/SIGTERM during
`shell.exec` end assay; either way the child's whole process group dies with it."""
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import assay_command, assay_env, run_assay

TIMEOUT_ENVELOPE = '{"ok":false,"status":"timeout","error":"execution timed out after 1s"}'


def _marker():
    """A `sleep` argument no other process on the machine uses (30.<random digits> s)."""
    return "30.%d" % (uuid.uuid4().int % 10 ** 9)


def _survivors(marker):
    """Processes whose command line still names `marker` (zombies have none)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


def _assert_none_left(marker):
    deadline = time.monotonic() + 3  # SIGKILL is delivered at once; give the reaper a moment
    while _survivors(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _survivors(marker) == []


def _tool(tmp_path, code):
    script = tmp_path / "s.lua"
    script.write_text(code)
    started = time.monotonic()
    r = run_assay("run", "--mode", "tool", "--timeout", "1", str(script), timeout=30)
    return r, time.monotonic() - started


@pytest.mark.parametrize("call", [
    'pcall(shell.exec, "sleep {m}")',
    'pcall(shell.exec, "sleep {m}", {{timeout = 20}})',          # its own, longer timeout
    'pcall(shell.exec, "sleep {m} & sleep {m}; wait")',          # a process group
    'local co = coroutine.wrap(function() return pcall(shell.exec, "sleep {m}") end) pcall(co)',
    'local p = process.spawn("sh", {{args = {{"-c", "sleep {m} & sleep {m}; wait"}}}}) '
    'pcall(process.wait, p)',
    'local p = process.spawn("sh", {{args = {{"-c", "sleep {m}"}}}}) '
    'local co = coroutine.wrap(function() return pcall(process.wait, p) end) pcall(co)',
], ids=["shell_exec", "own_timeout_longer", "process_group", "in_coroutine", "process_wait",
        "process_wait_in_coroutine"])
def test_tool_deadline_cuts_child_waits_inside_pcall(tmp_path, call):
    marker = _marker()
    r, elapsed = _tool(tmp_path, call.format(m=marker) + '\nreturn "the script went on"\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout == TIMEOUT_ENVELOPE
    assert elapsed < 8  # about 1 s plus the interpreter's start, never the 30 s of the sleep
    _assert_none_left(marker)


def test_tool_deadline_kills_the_child_a_task_waits_for(tmp_path):
    # the main task sleeps (cut on the event loop); a spawned task waits for the child
    marker = _marker()
    r, elapsed = _tool(tmp_path, 'local p = process.spawn("sh", {args = {"-c", "sleep %s"}})\n'
                                 'async.spawn(function() process.wait(p) end)\n'
                                 'sleep(20)\n' % marker)
    assert r.stdout == TIMEOUT_ENVELOPE
    assert elapsed < 8
    _assert_none_left(marker)


def test_own_timeout_within_the_deadline_still_returns_timed_out(tmp_path):
    r, _ = _tool(tmp_path, 'local r = shell.exec("sleep %s", {timeout = 0.2})\n'
                           'return {r.timed_out, r.status}\n' % _marker())
    assert r.stdout == '{"ok":true,"status":"ok","output":[true,-1],"requiresApproval":null}'


@pytest.mark.parametrize("signum, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_signal_during_shell_exec_kills_the_command_and_ends_the_script(tmp_path, signum, code):
    marker = _marker()
    script = tmp_path / "s.lua"
    script.write_text('print("started") io.stdout:flush()\n'
                      'pcall(shell.exec, "sleep %s & sleep %s; wait")\n'
                      'print("the script went on")\n' % (marker, marker))
    proc = subprocess.Popen(assay_command() + [str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=assay_env())
    try:
        assert proc.stdout.readline() == "started\n"
        deadline = time.monotonic() + 10
        while len(_survivors(marker)) < 3 and time.monotonic() < deadline:  # sh and both sleeps
            time.sleep(0.05)
        proc.send_signal(getattr(signal, signum))
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == code
    assert "went on" not in out
    _assert_none_left(marker)
