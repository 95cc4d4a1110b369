"""Ending the process at once, output intact.

The process ends as soon as the main chunk does: pending tasks and
worker threads are abandoned, so assay leaves through os._exit — after flushing every
C stdio stream (Lua's print/io.write, files opened with io.open) and Python's own.
"""
import os
import sys


def flush_all():
    try:
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
