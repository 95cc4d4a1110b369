"""`disk.usage(path)` and the Lua helpers `disk.sweep` / `disk.dir_size`.

All blocking. The helpers are Lua, as in the original, and use the globals `fs`
and `time` as they are when called.
"""
import os

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from . import lua_file


def usage(path=None, *_):
    from assay.runtime.text import debug_quote as quote
    from assay.runtime.text import os_error_text
    raw = args.string(path, "disk.usage: path must be a string")
    try:
        st = os.statvfs(raw)
    except OSError as e:
        raise BuiltinError("disk.usage: failed to stat %s: %s" % (quote(raw), os_error_text(e))) from None
    except ValueError:  # NUL byte in the path
        pos = raw.index(b"\0")
        raise BuiltinError("disk.usage: failed to stat %s: invalid path: nul byte found in provided data at "
                           "position: %d" % (quote(raw), pos)) from None
    total = st.f_blocks * st.f_frsize
    free = st.f_bfree * st.f_frsize
    used = total - free
    return {"total": total, "free": free, "used": used,
            "percent": used / total * 100.0 if total else 0.0}


def install(bridge):
    bridge.define("disk", {"usage": usage}, lua=lua_file("disk"))
