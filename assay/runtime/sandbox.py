"""Everything that makes the sandbox, in one place.

- The Lua half (`lua/sandbox.lua`) runs first in every VM: it removes `python`,
  `debug`, `string.dump` and C module loading, restores `load`/`loadfile`/`dofile`
  for text chunks only, and makes interrupts (a deadline, the memory limit)
  impossible to catch with `pcall`/`xpcall`/coroutines.
- `deny_attribute` is lupa's attribute filter: no Lua code may index a Python object.
- What crosses the bridge: only `bytes`, numbers, booleans, nil, Lua tables/functions
  and opaque handles (see `convert.make_to_lua`); Python exceptions never do —
  `error_text` is the single function that turns one into a Lua error string, and
  `failure` the one shape a failed builtin hands back to Lua (an `Interrupt` there
  becomes an interrupt nothing can catch).
- `block_globals` applies `ASSAY_BLOCK_GLOBALS`; `set_global` is the documented
  place to wrap or replace a global (used by modes that restrict a run).
"""
import os
import _thread  # threading.local is _thread._local; `threading` itself costs every start

_HERE = os.path.dirname(os.path.abspath(__file__))
LUA_SOURCE = os.path.join(_HERE, "lua", "sandbox.lua")
BLOCK_ENV = "ASSAY_BLOCK_GLOBALS"


def deny_attribute(obj, name, is_setting):
    raise AttributeError("access to host objects is not allowed")


def install(lua):
    """Run the Lua half in `lua`; returns the table of originals the runtime keeps."""
    with open(LUA_SOURCE, "rb") as f:
        source = f.read()
    return lua.execute(source, name=b"=[assay sandbox]")


def set_global(lua, path, value):
    """Set global `path` ("http", "io.popen") to `value`; a missing parent is skipped."""
    parts = [p.encode("utf-8") for p in path.split(".") if p]
    if not parts:
        return
    table = lua.globals()
    for part in parts[:-1]:
        table = table[part]
        if table is None or not hasattr(table, "keys"):  # not a table: nothing to block
            return
    table[parts[-1]] = value


def block_globals(lua, spec=None):
    """Set every comma-separated global of `spec` (default `$ASSAY_BLOCK_GLOBALS`) to nil."""
    spec = os.environ.get(BLOCK_ENV, "") if spec is None else spec
    for name in spec.split(","):
        name = name.strip()
        if name:
            set_global(lua, name, None)


# ---- what may cross into Lua ------------------------------------------------------

# Lua needs room beyond the value itself (the table slots, the call's stack).
_HEADROOM = 1 << 20
_SLOT = 48


def _size(value, depth=0):
    if isinstance(value, (bytes, bytearray, str)):
        return len(value) + _SLOT
    if isinstance(value, dict) and depth < 50:
        return _SLOT + sum(_size(k, depth + 1) + _size(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)) and depth < 50:
        return _SLOT + sum(_size(v, depth + 1) for v in value)
    return _SLOT


_active = _thread._local()  # the Lua state whose builtin runs on this thread


def enter(lua):
    """Mark `lua` as the heap the builtin about to run on this thread fills."""
    _active.lua = lua


def _free(lua):
    limit = lua.get_max_memory()
    if not limit:
        return None
    return max(limit - lua.get_memory_used(), 0)


def room():
    """Bytes a builtin may still hand to the running script (None: no limit known).

    Read on the thread that called the builtin, so a worker can be given the number
    before it starts reading a body.
    """
    lua = getattr(_active, "lua", None)
    if lua is None:
        return None
    free = _free(lua)
    return None if free is None else max(free - _HEADROOM - _SLOT, 0)


def too_big(size, free, more=False):
    """The MemoryError for a value of `size` bytes that does not fit in `free` bytes."""
    return MemoryError("not enough memory (a value of %s%d bytes, %d bytes free)"
                       % ("more than " if more else "", size, free))


def check_room(lua, value):
    """MemoryError if `value` could not be built inside the Lua heap's remaining room.

    Building a Lua value from Python that runs out of memory would leave lupa's lock
    and the interpreter lock held (the process hangs, or Lua panics); so a value
    is refused before anything is allocated.
    """
    free = _free(lua)
    if not free:
        return
    size = _size(value)
    if size + _HEADROOM > free:
        raise too_big(size, free)


_MEMORY = None


def memory_message(text):
    """For an uncaught error that is the heap running out (Lua's own, or a builtin's
    `fn: not enough memory (…)`), the text after `memory error: `; None otherwise.

    It always starts with Lua's `not enough memory`; where it happened follows in
    parentheses, so the user's line is not lost.
    """
    global _MEMORY
    if _MEMORY is None:
        import re
        _MEMORY = re.compile(r"\A(?P<where>(?:.*: )?)not enough memory(?: \((?P<detail>[^\n]*)\))?\Z")
    m = _MEMORY.match(text)
    if m is None:
        return None
    parts = [p for p in (m.group("where").rstrip(": "), m.group("detail")) if p]
    return "not enough memory" + (" (%s)" % ": ".join(parts) if parts else "")


# ---- Python exceptions -> Lua error text -------------------------------------------

def failure(exc, who=None):
    """What a failed builtin hands to the Lua bridge (prelude's `check`): `(False, text)`,
    or `(False, text, True)` for an Interrupt, which Lua raises with the sandbox's
    `interrupt` so that no pcall can swallow it."""
    from .errors import Interrupt
    text = error_text(exc, who).encode("utf-8", "surrogateescape")
    return (False, text, True) if isinstance(exc, Interrupt) else (False, text)


def error_text(exc, who=None):
    """The Lua error string for any Python exception raised by a builtin `who`.

    BuiltinError carries the exact text. Everything else reads like the original's
    message: no exception class name, repr, path or traceback ever crosses.
    """
    from .errors import BuiltinError, Interrupt
    prefix = who + ": " if who else ""
    if isinstance(exc, (BuiltinError, Interrupt)):
        return str(exc)
    if isinstance(exc, RecursionError):
        return prefix + "value nested too deeply"
    if isinstance(exc, MemoryError):
        return prefix + (str(exc) if str(exc).startswith("not enough memory") else "not enough memory")
    if isinstance(exc, ZeroDivisionError):
        return prefix + "division by zero"
    if isinstance(exc, OSError):
        from .text import os_error_text
        return prefix + os_error_text(exc)
    return prefix + "internal error: " + clean_message(exc)


def clean_message(exc):
    """An exception's message without Python reprs, byte literals or addresses."""
    import re
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    if not text or re.search(r"<[^>]* at 0x|b'|b\"|\bFile \"|Traceback|__\w+__", text):
        return "unexpected failure"
    return text
