"""Ctrl-C and SIGTERM end the process quietly with 130 / 143.

Python runs signal handlers only between bytecodes, and a busy Lua loop never
returns to Python (lupa releases the GIL while Lua runs). So the signals are
blocked in every thread and one daemon thread waits for them with sigwait,
kills the children assay is waiting for (a shell.exec command runs in its own
process group, which a terminal's Ctrl-C does not reach), flushes C and Python
stdio, and exits.
"""
# the C modules: the `signal` wrapper turns numbers into enums, and importing enum
# (or `threading`) is a measurable part of every start
import _signal as signal
import _thread

from assay.runtime.children import kill_for_exit
from assay.runtime.exiting import exit_now

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _wait_and_exit():
    signum = signal.sigwait(_SIGNALS)
    kill_for_exit()  # a child must not outlive assay
    exit_now(128 + signum)


def quiet_signals():
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    # a bare thread: like a daemon thread it does not keep the process alive
    _thread.start_new_thread(_wait_and_exit, ())


def restore_in_child():
    """Popen `preexec_fn`: unblock SIGINT/SIGTERM in a child before it execs.

    A child inherits the signal mask of the thread that forks it; without this
    every program started by shell.exec or process.spawn would ignore Ctrl-C
    and SIGTERM (`process.kill(pid)` could not stop it). Only a syscall runs
    between fork and exec.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)

