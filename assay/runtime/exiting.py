"""Ending the process at once, output intact.

The process ends as soon as the main chunk does: pending tasks and
worker threads are abandoned, so assay leaves through os._exit — after flushing every
C stdio stream (Lua's print/io.write, files opened with io.open) and Python's own.
"""
import os
import sys


def _c_fflush_all():
    """fflush(NULL) through the bare `_ctypes` extension: the `ctypes` package around it
    (with struct and its type tables) costs more to import than the whole call."""
    import _ctypes

    class CInt(_ctypes._SimpleCData):
        _type_ = "i"

    class CFunction(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL
        _restype_ = CInt

    class Process:  # the running program and the C library it links, as CFuncPtr expects
        _handle = _ctypes.dlopen(None, os.RTLD_NOW)

    CFunction(("fflush", Process))(None)


def flush_all():
    try:
        _c_fflush_all()
    except Exception:
        try:  # the long way, should the bare extension ever refuse
            import ctypes
            ctypes.CDLL(None).fflush(None)
        except Exception:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def exit_now(code):
    flush_all()
    os._exit(code)
