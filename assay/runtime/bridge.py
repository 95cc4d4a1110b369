"""The one way Python builtins cross into Lua.

A builtin family is a module under `assay/builtins/` with `install(bridge)` that
calls `bridge.define("name", {...})`. Each Python function in the mapping:

- receives raw Lua values (`bytes` for strings, int/float/bool/None, lupa tables
  and functions) and validates them with the helpers in `assay.runtime.args`;
- returns a Python value (converted by `to_lua`), a `Multi` for several values,
  or raises `BuiltinError("exact Lua error text")`;
- if decorated with `@yielding`, returns an `Op` instead: the scheduler performs
  it (sleep, a worker thread, an awaitable) while other tasks run.

Per-VM state: a family keeps what belongs to one VM in `bridge.state(key, factory)`, never
in module globals (several VMs may live in one process: checks mode, the tests). Opaque
handles (clients, connections, processes) come from `bridge.handles(name)`, the one
handle mechanism. The Lua part of a family lives in a `.lua` file next to it, run with
`bridge.run_lua_file(path, ...)`.

No Python exception or Python object ever reaches Lua: the call is wrapped in a
Lua closure that turns `(false, msg)` into `error(msg, 0)`.

Rule for Lua objects received as arguments (a lupa limitation, measured): read
tables only during the call (convert with `to_py` or `args.field`) and do not
keep them. A Lua *function* may be kept, but only to hand it back to Lua later
(e.g. `scheduler.spawn(fn)`), never to call or index it from Python after the
call returned: lupa binds each object to the coroutine it came from, and that
coroutine may be gone.
"""
import itertools
import os

from .convert import Multi, make_to_lua
from .sandbox import check_room, enter, failure


def yielding(fn):
    """Mark a builtin whose Python part returns an Op for the scheduler."""
    fn.assay_yielding = True
    return fn


def _encode(text):
    return text.encode("utf-8", "surrogateescape")


_HANDLES_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua", "handles.lua")


class Handles:
    """The opaque handles of one kind in one VM: Lua holds a handle (lua/handles.lua), Python
    the object it stands for, keyed by an integer id.

    `register`, `lookup`, `take_dead` are the Lua functions a family's Lua part uses;
    `add(obj)` files a Python object and returns its id, `get(id)` finds it (None once
    released), `release(ids)` forgets the ids Lua reported dead."""

    def __init__(self, bridge, name, lua=True):
        """`lua=False`: the Python half only, for a family whose Lua part makes its handles
        itself with `bridge.handle_maker()` (handles with methods, an established look)."""
        if lua:
            self.register, self.lookup, self.take_dead = bridge.handle_maker()(name.encode())
        self.objects = {}
        self._ids = itertools.count(1)

    def add(self, obj):
        handle_id = next(self._ids)
        self.objects[handle_id] = obj
        return handle_id

    def get(self, handle_id):
        return self.objects.get(handle_id)

    def release(self, ids):
        for handle_id in ids:
            self.objects.pop(handle_id, None)


def _most_positional(fn):
    """How many positional arguments `fn` takes (a large number when it takes any)."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None or code.co_flags & 0x04:  # not plain Python, or it has *args
        return 1 << 30
    return code.co_argcount - (1 if hasattr(fn, "__self__") else 0)


class Bridge:
    def __init__(self, lua, internals):
        self.lua = lua
        self.internals = internals
        self.to_lua = make_to_lua(lua)
        self.globals = lua.globals()
        self._wrap = internals.wrap
        self._wrap_yielding = internals.wrap_yielding
        self._compile = internals.compile_part
        # Made now, outside any Lua call, so bound to the main Lua thread: inside a builtin
        # call lupa binds what `lua.table()` makes to the calling coroutine, and a family
        # installed on first use keeps its tables after that coroutine is gone.
        self._new_table = lua.eval("function() return {} end")
        self.runtime = None  # set by the Runtime that owns this bridge
        self.guard = None    # the Runtime's Guard: consulted before every builtin call
        self.names = []      # every builtin made here, by the name the guard sees
        self._state = {}
        self._lazy = {}      # lazily installed family -> its real table, None until installed
        self._install_family = None

    def protocol(self, fn, name):
        """Python callable implementing the (ok, value...) protocol for `fn`."""
        to_lua, lua = self.to_lua, self.lua
        guard = self.guard
        most = _most_positional(fn)

        def call(*args):
            if len(args) > most:  # Lua drops surplus arguments; so do the builtins
                args = args[:most]
            try:
                enter(lua)
                if guard is not None:
                    guard.check(name, args)
                result = fn(*args)
                check_room(lua, result)
            except Exception as e:  # never a Python exception, repr or traceback
                return failure(e, name)
            if isinstance(result, Multi):
                return (True,) + tuple(to_lua(v) for v in result)
            return True, to_lua(result)

        return call

    def function(self, fn, name):
        """A Lua function calling Python `fn` through the error protocol."""
        wrapper = self._wrap_yielding if getattr(fn, "assay_yielding", False) else self._wrap
        self.names.append(name)
        return wrapper(self.protocol(fn, name))

    def table(self, members, prefix):
        """A Lua table from a mapping of names to functions, values or sub-mappings."""
        t = self._new_table()
        for key, value in members.items():
            name = "%s.%s" % (prefix, key) if prefix else key
            if callable(value):
                t[_encode(key)] = self.function(value, name)
            elif isinstance(value, dict):
                t[_encode(key)] = self.table(value, name)
            else:
                t[_encode(key)] = self.to_lua(value)
        return t

    def define(self, name, members, lua=None):
        """Install global `name` (a table of `members`), then run the optional Lua file `lua`
        (the family's Lua part, a path).

        The Lua chunk receives (the table, the runtime internals) and may add
        functions written in Lua or replace the global (e.g. give it a metatable).
        """
        t = self.table(members, name)
        if name in self._lazy:  # installed on first use: the global holds stand-ins already
            self._lazy[name] = t
        else:
            self.globals[_encode(name)] = t
        if lua:
            self.run_lua_file(lua, t)
        return t

    def define_lazily(self, families, install):
        """Make each global of `families` ({name: [its function names]}) a table of Lua
        stand-ins that install the family on the first call of any of them, with
        `install(name)`, which calls `define(name, ...)` as an eager install would.
        A script that never calls into a family never imports its module."""
        self._install_family = install
        for name in families:
            self._lazy[name] = None
        spec = "\n".join(" ".join([name] + list(keys)) for name, keys in families.items())
        self.internals.define_lazily(_encode(spec), self._wrap(self._load_for_lua))

    def load(self, name):
        """The real table of the lazily installed family `name`, installing it now if
        it is not yet (a family that needs another loads it this way)."""
        t = self._lazy[name]
        if t is None:
            try:
                self._install_family(name)
                t = self._lazy[name]
            except BaseException:
                self._lazy[name] = None  # half installed: the next call tries again
                raise
        return t

    def _load_for_lua(self, name):
        name = name.decode()
        try:
            enter(self.lua)
            return True, self.load(name)
        except Exception as e:  # never a Python exception, repr or traceback
            return failure(e, name)

    def state(self, key, factory):
        """This VM's state for `key` (a family's name), made by `factory()` on first use."""
        try:
            return self._state[key]
        except KeyError:
            value = self._state[key] = factory()
            return value

    def handle_maker(self):
        """The Lua function `handles(name, shape)` of lua/handles.lua, for a family whose
        handles carry methods or keep an established look (see the shape there)."""
        return self.state("handle maker", lambda: self.run_lua_file(_HANDLES_LUA))

    def handles(self, name, lua=True):
        """This VM's handles named `name` (e.g. "http.client"); see `Handles`."""
        return self.state(("handles", name), lambda: Handles(self, name, lua))

    def run_lua_file(self, path, *args):
        """Run the Lua file at `path` (a family's Lua part) with `args` and the internals."""
        with open(path, "rb") as f:
            source = f.read().decode("utf-8")
        return self.run_lua(source, "=[assay %s]" % os.path.basename(path)[:-4], *args)

    def run_lua(self, source, chunkname, *args):
        fn, err = self._compile(_encode(source), _encode(chunkname))
        if fn is None:
            raise RuntimeError("builtin Lua for %s does not compile: %s" % (chunkname, err))
        return fn(*args, self.internals)
