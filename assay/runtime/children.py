"""Waiting for a child process: the one way, bounded by the run's deadline.

Every wait on a program assay started (`shell.exec`, `process.wait`) goes through
`wait()`. A tool-mode `--timeout` is a promise to the calling program, so a wait
never outlasts the run's deadline, whatever the call's own timeout says: when the
deadline passes first, the child's whole process group is killed (each child runs
in its own session, so `sh -c 'sleep 100 & wait'` goes with it) and `Interrupt`
ends the run as timed out.

While a wait lasts its child is registered here, so that SIGINT/SIGTERM (see
signals.py) and a deadline that fires elsewhere (tool.py) can kill it before assay
exits: a child must never outlive the run that was waiting for it.
"""
import os
import _signal as signal  # only SIGKILL is needed; the `signal` wrapper imports enum
import _thread  # the C module: `threading` is a measurable part of every start
import time

from .errors import Interrupt

TIMED_OUT = "execution timed out"

_lock = _thread.allocate_lock()
_waiting = set()  # the Popen objects some thread is waiting for right now
_exiting = False  # set by a signal: assay is about to exit


def wait(proc, timeout=None, deadline=None, input=None, communicate=False):
    """Wait for `proc` for at most `timeout` seconds (None: no limit of its own) and
    never past `deadline` (a time.monotonic() value, or None).

    `communicate`: feed `input` and read stdout/stderr to their end (returns them),
    else only wait for the exit. Raises subprocess.TimeoutExpired when the call's own
    timeout ran out (the child is left alone: the caller decides), Interrupt when the
    deadline did (the child's group is killed first).
    """
    import subprocess  # imported here: signals.py imports this module at every start
    limit, by_deadline = timeout, False
    if deadline is not None:
        left = max(0.0, deadline - time.monotonic())
        if limit is None or left < limit:
            limit, by_deadline = left, True
    with _lock:
        _waiting.add(proc)
    try:
        if communicate:
            return proc.communicate(input=input, timeout=limit)
        return proc.wait(limit)
    except subprocess.TimeoutExpired:
        if not by_deadline:
            raise
        kill(proc)
        raise Interrupt(TIMED_OUT) from None
    finally:
        with _lock:
            _waiting.discard(proc)
        if _exiting:  # the child was killed for the exit: the script must not go on
            import threading
            threading.Event().wait()


def kill(proc):
    """SIGKILL `proc`'s process group (it leads one: every child runs in its own
    session) and reap it."""
    import subprocess
    _kill_group(proc)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def kill_for_exit():
    """A signal ends assay: kill every waited child, and stop the threads that waited
    for them where they are, so no more of the script runs before the exit."""
    global _exiting
    _exiting = True
    kill_waited()


def kill_waited():
    """Kill every child a wait is in progress for (the run is ending: a signal, or a
    deadline that fired on the event loop). Safe from any thread; does not reap."""
    with _lock:
        procs = list(_waiting)
    for proc in procs:
        _kill_group(proc)


def _kill_group(proc):
    if proc.returncode is not None:  # reaped: its pid may belong to someone else now
        return
    for send in (os.killpg, os.kill):  # the group, then `sh` itself should it have left it
        try:
            send(proc.pid, signal.SIGKILL)
        except OSError:
            pass
