"""Helpers shared by the network families (`http`, `http.serve`, `ws`).

- `Blocking`: an `InThread` op whose function runs on this module's pool of daemon
  threads instead of asyncio's default executor. The default executor has only
  min(32, cpus + 4) workers (6 on a 2-core machine), so six handlers waiting on slow
  upstreams, or six `ws.recv` calls waiting for messages, would stall every other
  blocking call. The pool grows on demand (up to `_MAX_THREADS`), and its threads are
  daemons, so a `ws.recv` that never returns cannot keep the process alive.
- `HandleTable`: the Lua side of opaque handles. Lua code only ever holds an empty
  table (protected metatable) that a private weak map turns into an integer id; the
  Python objects live in a registry keyed by that id. Collected handles release their
  Python object through `__gc`.
- `quote_path`, `os_error_text`: the original's wording of paths and OS errors.

Nothing heavy is imported at module level (asyncio, threads and queues only when
the first blocking op runs): installing the families must stay cheap.
"""
from assay.runtime.scheduler import InThread

_MAX_THREADS = 256


class _DaemonPool:
    """A minimal thread pool of daemon threads that grows when all workers are busy."""

    def __init__(self, limit):
        import queue
        import threading
        self._thread_class = threading.Thread
        self._limit = limit
        self._jobs = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0      # workers waiting for a job (each will take exactly one)
        self._threads = 0
        self._backlog = 0   # jobs queued while every worker was busy and the pool was full

    def submit(self, fn):
        import concurrent.futures
        future = concurrent.futures.Future()
        with self._lock:
            self._jobs.put((future, fn))
            if self._idle:
                self._idle -= 1
            elif self._threads < self._limit:
                self._threads += 1
                self._thread_class(target=self._work, name="assay-io", daemon=True).start()
            else:
                self._backlog += 1
        return future

    def _work(self):
        while True:
            future, fn = self._jobs.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as e:  # handed to the loop thread, never raised here
                    future.set_exception(e)
                else:
                    future.set_result(result)
            future = fn = None
            with self._lock:
                if self._backlog:
                    self._backlog -= 1
                else:
                    self._idle += 1


_pool = []


def pool():
    """The process-wide daemon pool, created on first use."""
    if not _pool:
        _pool.append(_DaemonPool(_MAX_THREADS))
    return _pool[0]


class Blocking(InThread):
    """Run blocking `fn` (plain Python data only) on the daemon pool.

    `on_cancel` is called (on the loop thread) when the waiting task is cancelled,
    e.g. to shut down a socket a worker is blocked on.
    """

    def __init__(self, fn, convert=None, on_cancel=None):
        super().__init__(fn, convert)
        self.on_cancel = on_cancel

    async def run(self, scheduler):
        import asyncio
        future = asyncio.wrap_future(pool().submit(self.fn))
        try:
            return await future
        except asyncio.CancelledError:
            if self.on_cancel is not None:
                try:
                    self.on_cancel()
                except Exception:
                    pass
            raise


# Lua side of an opaque-handle family. `register(id)` returns a fresh handle object;
# `lookup(h)` its id or nil. Handles are empty tables with a protected metatable, so
# scripts cannot read or forge the id. A collected handle's id is queued by `__gc`
# (which must not call Python: finalizers also run while Python's GC tears a runtime
# down); `take_dead()` returns the queued ids as plain values, and the family passes
# them to Python on its next call, which releases the Python objects.
HANDLES_LUA = r"""
local name = ...
local setmetatable, unpack = setmetatable, table.unpack
local ids = setmetatable({}, { __mode = "k" })
local dead, ndead = {}, 0
local function register(id)
  local h = setmetatable({}, {
    __metatable = false,
    __name = name,
    __tostring = function() return name end,
    __newindex = function() error(name .. " handle is read-only", 2) end,
    __gc = function() ndead = ndead + 1; dead[ndead] = id end,
  })
  ids[h] = id
  return h
end
local function lookup(h)
  if h == nil then return nil end
  return ids[h]
end
local function take_dead()
  if ndead == 0 then return end
  local n = ndead
  local list = dead
  dead, ndead = {}, 0
  return unpack(list, 1, n)
end
return register, lookup, take_dead
"""


def handle_table(bridge, name):
    """(register, lookup, take_dead) Lua functions for opaque handles named `name`."""
    return bridge.run_lua(HANDLES_LUA, "=[assay %s handles]" % name, name.encode())


def quote_path(text):
    """A path in double quotes with C-style escapes, as Rust's `{:?}` prints it."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # an undecodable byte kept by surrogateescape
            out.append("\\x%02x" % (ord(ch) - 0xDC00))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def os_error_text(e):
    """`Connection refused (os error 111)` — the original's wording of OS errors."""
    if getattr(e, "errno", None) is None or not getattr(e, "strerror", None):
        return str(e)
    return "%s (os error %d)" % (e.strerror, e.errno)
