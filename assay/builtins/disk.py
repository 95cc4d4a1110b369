"""`disk.usage(path)` and the Lua helpers `disk.sweep` / `disk.dir_size`.

All blocking. The helpers are Lua, as in the original, and use the globals `fs`
and `time` as they are when called.
"""
import os

from assay.runtime import args
from assay.runtime.errors import BuiltinError

_LUA = r"""
local disk = ...
local ipairs = ipairs

function disk.sweep(dir, age_secs)
  local now = time()
  local removed = 0
  for _, entry in ipairs(fs.list(dir)) do
    local full_path = dir .. "/" .. entry.name
    local stat = fs.stat(full_path)
    if stat and stat.modified and now - stat.modified > age_secs then
      fs.remove(full_path)
      removed = removed + 1
    end
  end
  return removed
end

function disk.dir_size(path)
  local total = 0
  for _, entry in ipairs(fs.readdir(path)) do
    if entry.type == "file" then
      local stat = fs.stat(path .. "/" .. entry.path)
      if stat then total = total + stat.size end
    end
  end
  return total
end
"""


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
    bridge.define("disk", {"usage": usage}, lua=_LUA)
