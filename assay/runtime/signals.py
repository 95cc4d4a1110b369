"""Ctrl-C and SIGTERM end the process quietly with 130 / 143 (runtime.md §4.3).

Python runs signal handlers only between bytecodes, and a busy Lua loop never
returns to Python (lupa releases the GIL while Lua runs). So the signals are
blocked in every thread and one daemon thread waits for them with sigwait,
flushes C and Python stdio, and exits.
"""
import signal
import threading

from assay.runtime.exiting import exit_now

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _wait_and_exit():
    signum = signal.sigwait(_SIGNALS)
    exit_now(128 + signum)


def quiet_signals():
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    threading.Thread(target=_wait_and_exit, name="assay-signals", daemon=True).start()
