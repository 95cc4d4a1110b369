"""`process` builtin (builtins.md §18): PROC-01..PROC-05."""
import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.fixture
def child():
    """A sleeping child process with a distinctive name; killed afterwards."""
    procs = []

    def start(name="assaytestsleep", seconds=30, reap=False):
        # exec -a is not POSIX: copy `sleep` under the wanted name instead
        import shutil
        import tempfile
        d = tempfile.mkdtemp()
        exe = os.path.join(d, name)
        shutil.copy(shutil.which("sleep"), exe)
        p = subprocess.Popen([exe, str(seconds)])
        procs.append((p, d))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # wait until the kernel reports the new comm
            try:
                with open("/proc/%d/comm" % p.pid) as f:
                    if f.read().strip() == name[:15]:
                        break
            except OSError:
                pass
            time.sleep(0.01)
        if reap:  # collect it as soon as it exits, so no zombie keeps the name in /proc
            import threading
            threading.Thread(target=p.wait, daemon=True).start()
        return p

    yield start
    import shutil
    for p, d in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------ PROC-01

def test_proc_01_list_entries(lua):
    """PROC-01: process.list() returns {pid, name, cmdline?} entries, at least one."""
    code = """
    local l = process.list()
    local ok = #l > 0
    for _, p in ipairs(l) do
      if math.type(p.pid) ~= "integer" or type(p.name) ~= "string" or p.name == "" then ok = false end
      if p.cmdline ~= nil and (type(p.cmdline) ~= "string" or p.cmdline == "") then ok = false end
      for k in pairs(p) do if k ~= "pid" and k ~= "name" and k ~= "cmdline" then ok = false end end
    end
    return ok, #l
    """
    ok, count = lua(code)
    assert ok is True and count >= 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_proc_01_list_contains_our_child(lua, child):
    """PROC-01: a known process appears with its pid, comm name and cmdline."""
    p = child("assaylistme")
    code = """
    for _, e in ipairs(process.list()) do
      if e.pid == %d then return e end
    end
    """ % p.pid
    entry = lua(code)
    assert entry["pid"] == p.pid
    assert entry["name"] == "assaylistme"
    assert entry["cmdline"].endswith("assaylistme 30")


# ------------------------------------------------------------------ PROC-02

def test_proc_02_is_running_false_for_unknown(lua):
    """PROC-02: is_running is false for unknown names."""
    assert lua('return process.is_running("no-such-process-xyz")') is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_proc_02_is_running_exact_name(lua, child):
    """§18: true for a running name (exact match only); never raises."""
    child("assayrunning")
    assert lua('return process.is_running("assayrunning"), process.is_running("assayrunnin"), '
               'process.is_running(nil), process.is_running({})') == (True, False, False, False)


# ------------------------------------------------------------------ PROC-03

def test_proc_03_signal_zero_checks_existence(lua):
    """PROC-03: kill(pid, 0) returns true for an existing process."""
    assert lua("return process.kill(%d, 0)" % os.getpid()) is True


def test_proc_03_default_is_sigterm(lua, child):
    """PROC-03: the default signal is SIGTERM."""
    p = child()
    assert lua("return process.kill(%d)" % p.pid) is True
    assert p.wait(timeout=5) == -signal.SIGTERM


def test_proc_03_explicit_signal_and_float_pid(lua, child):
    """§18: an explicit signal number is sent; float pids are truncated."""
    p = child()
    assert lua("return process.kill(%d + 0.7, 9)" % p.pid) is True
    assert p.wait(timeout=5) == -signal.SIGKILL


# ------------------------------------------------------------------ PROC-04

def test_proc_04_missing_pid(lua_fails):
    """PROC-04: a missing pid raises `process.kill: failed to send signal ...`."""
    pid = 4194303  # above the usual pid_max
    assert lua_fails("process.kill(%d, 0)" % pid) == \
        "process.kill: failed to send signal 0 to pid %d: No such process (os error 3)" % pid


@pytest.mark.parametrize("pid,shown", [("0", "0"), ("-1", "-1"), ("-2.9", "-2")])
def test_proc_04_pid_must_be_positive(lua_fails, pid, shown):
    """PROC-04: pid <= 0 raises `process.kill: pid must be > 0, got <pid>`."""
    assert lua_fails("process.kill(%s)" % pid) == "process.kill: pid must be > 0, got %s" % shown


@pytest.mark.parametrize("call,message", [
    ("process.kill()", "process.kill: pid required"),
    ("process.kill('123')", "process.kill: pid must be a number"),
    ("process.kill(nil)", "process.kill: pid must be a number"),
    ("process.kill(1, 'TERM')", "process.kill: signal must be a number"),
    ("process.kill(1, -3)", "process.kill: signal must be >= 0, got -3"),
])
def test_proc_04_argument_errors(lua_fails, call, message):
    """§18: exact argument error messages."""
    assert lua_fails(call) == message


# ------------------------------------------------------------------ PROC-05

def test_proc_05_wait_idle_true_when_none_run(lua):
    """PROC-05: true at once when none of the names run (string or array)."""
    code = """
    local t0 = time()
    local a = process.wait_idle("no-such-process-xyz", 10, 4)
    local b = process.wait_idle({"no-such-a", "no-such-b"}, 10, 4)
    return a, b, time() - t0
    """
    a, b, elapsed = lua(code)
    assert (a, b) == (True, True) and elapsed < 3.5  # one poll interval would be 4 s


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_proc_05_wait_idle_false_on_timeout(lua, child):
    """PROC-05: false once the timeout has passed while a name still runs."""
    child("assaybusy")
    code = """
    local t0 = time()
    local r = process.wait_idle({"no-such-x", "assaybusy"}, 0.4, 0.1)
    return r, time() - t0
    """
    result, elapsed = lua(code)
    assert result is False and 0.3 <= elapsed < 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_proc_05_wait_idle_true_when_process_ends(lua, child):
    """PROC-05: returns true once the process has gone."""
    child("assayshort", seconds=0.5, reap=True)
    code = """
    local r = process.wait_idle("assayshort", 10, 0.1)
    return r, process.is_running("assayshort")
    """
    assert lua(code) == (True, False)


def test_proc_05_wait_idle_yields(lua, child):
    """RT §6.1: wait_idle polls with the yielding sleep, so other tasks run meanwhile."""
    child("assayyield")
    code = """
    local ticks = 0
    local h = async.spawn(function() for i = 1, 5 do sleep(0.05); ticks = ticks + 1 end end)
    process.wait_idle("assayyield", 0.5, 0.1)
    h.await()
    return ticks
    """
    assert lua(code) == 5
