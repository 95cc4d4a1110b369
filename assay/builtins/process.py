"""`process.list/is_running/kill` and the Lua helper `process.wait_idle`.

`list`, `is_running` and `kill` are blocking. `wait_idle` is written in Lua and
polls with the yielding global `sleep`, so other tasks run while it waits; it
looks up `time`, `sleep` and `process.is_running` when called.
"""
import math
import os
import sys

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import os_error_text
from . import lua_file

_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1


def _list_linux():
    try:
        names = os.listdir(b"/proc")
    except OSError as e:
        raise BuiltinError("process.list: failed to read /proc: %s" % os_error_text(e)) from None
    out = []
    for entry in names:
        if not entry.isdigit():
            continue
        base = b"/proc/" + entry
        try:
            with open(base + b"/comm", "rb") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if not comm:
            continue
        info = {"pid": int(entry), "name": comm}
        try:
            with open(base + b"/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").strip()
        except OSError:
            cmdline = b""
        if cmdline:
            info["cmdline"] = cmdline
        out.append(info)
    return out


def _list_ps():
    import subprocess
    try:
        result = subprocess.run(["ps", "-eo", "pid,comm"], capture_output=True)
    except OSError as e:
        raise BuiltinError("process.list: failed to run ps: %s" % os_error_text(e)) from None
    if result.returncode != 0:
        raise BuiltinError("process.list: ps failed: %s" % result.stderr.decode("utf-8", "replace"))
    out = []
    for line in result.stdout.splitlines()[1:]:
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        comm = parts[1].strip()
        if comm:
            out.append({"pid": int(parts[0]), "name": comm.rsplit(b"/", 1)[-1], "cmdline": comm})
    return out


def _processes():
    return _list_linux() if sys.platform.startswith("linux") else _list_ps()


def list_():
    return _processes()


def is_running(name=None, *_):
    try:
        wanted = args.string(name, "")
        return any(p["name"] == wanted for p in _processes())
    except BuiltinError:
        return False


def _i32(v):
    """A Lua number as the original's `as i32`: floats truncated (saturating, NaN → 0)."""
    if isinstance(v, float):
        if math.isnan(v):
            return 0
        if math.isinf(v):
            return _I32_MAX if v > 0 else _I32_MIN
        v = int(v)
    return max(_I32_MIN, min(_I32_MAX, v))


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def kill(*argv):
    if not argv:
        raise BuiltinError("process.kill: pid required")
    if not _is_number(argv[0]):
        raise BuiltinError("process.kill: pid must be a number")
    pid = _i32(argv[0])
    if pid <= 0:
        raise BuiltinError("process.kill: pid must be > 0, got %d" % pid)
    sig = argv[1] if len(argv) > 1 else None
    if sig is None:
        sig = 15
    elif not _is_number(sig):
        raise BuiltinError("process.kill: signal must be a number")
    sig = _i32(sig)
    if sig < 0:
        raise BuiltinError("process.kill: signal must be >= 0, got %d" % sig)
    try:
        os.kill(pid, sig)
    except OSError as e:
        raise BuiltinError("process.kill: failed to send signal %d to pid %d: %s"
                           % (sig, pid, os_error_text(e))) from None
    except (ValueError, OverflowError) as e:
        raise BuiltinError("process.kill: failed to send signal %d to pid %d: %s" % (sig, pid, e)) from None
    return True


def install(bridge):
    table = bridge.define("process", {"list": list_, "is_running": is_running, "kill": kill},
                          lua=lua_file("process"))
    from . import process_spawn
    process_spawn.install(bridge, table)
