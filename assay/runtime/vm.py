"""One Lua 5.5 VM with the sandbox, the builtins and the scheduler.

Public API used by the modes (through `assay.builtins.new_runtime`, which passes
the builtin families: the runtime is the layer below them and does not import them):

    rt = Runtime(mode="script", install=install_all)   # "script", "tool" or "check"
    values = rt.run_source(src, "@x.lua")   # raises ScriptError on failure
    rt.flush()
"""
import os

from . import loader, sandbox
from .bridge import Bridge
from .errors import ScriptError
from .luaengine import LuaRuntime
from .scheduler import Scheduler

LUA_MEMORY_LIMIT = 64 << 20
_PRELUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua", "prelude.lua")


class Runtime:
    def __init__(self, mode="script", check_env=None, guard=None, install=None):
        """`guard`: the read-only/approval gate (default: what ASSAY_READONLY and
        ASSAY_APPROVAL ask for). `install(bridge)` installs the globals scripts see
        (the builtin families); without it the VM has only the sandboxed standard library."""
        from .guard import Guard
        self.mode = mode
        self.guard = guard if guard is not None else Guard.from_env()
        self.check_env = check_env or {}
        self.lua = lua = LuaRuntime(
            encoding=None,
            unpack_returned_tuples=True,
            register_eval=False,
            register_builtins=False,
            attribute_filter=sandbox.deny_attribute,
            max_memory=LUA_MEMORY_LIMIT,
        )
        hooks = lua.table_from({
            b"sandbox": sandbox.install(lua),
            b"block": lambda op: self.scheduler.block(op),
            b"find_fs_module": loader.find_fs_module,
            b"find_embedded_module": loader.find_embedded_module,
        })
        with open(_PRELUDE, "rb") as f:
            prelude = f.read()
        internals = lua.execute(prelude, hooks, name=b"=[assay]")
        self.internals = internals
        self._compile, self._flush = internals.compile, internals.flush
        self.bridge = Bridge(lua, internals)
        self.bridge.runtime = self
        if self.guard.active:
            self.bridge.guard = self.guard
        self.scheduler = Scheduler(self.bridge)

        if install is not None:
            install(self.bridge)
        self.guard.install(self.bridge)
        sandbox.block_globals(lua)
        if mode in ("tool", "check"):
            # stdout carries exactly one JSON document in these modes
            lua.globals().print = internals.print_to_stderr
        internals.seal_library()  # what the families' Lua parts see, whenever they install

    def compile(self, source, chunkname):
        """Compile `source` (bytes); ScriptError(kind="syntax") on a syntax error."""
        if isinstance(source, str):
            source = source.encode("utf-8")
        fn, err = self._compile(source, chunkname.encode("utf-8", "surrogateescape"))
        if fn is None:
            message = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
            raise ScriptError("syntax error: " + message, kind="syntax")
        return fn

    def set_script_args(self, script, words):
        """Lua's `arg`: arg[0] the script path (when there is one), arg[1..n] the words
        given after it on the command line."""
        encode = lambda text: text.encode("utf-8", "surrogateescape")
        table = self.lua.table_from([encode(w) for w in words])
        if script is not None:
            table[0] = encode(script)
        self.lua.globals()[b"arg"] = table

    def run_source(self, source, chunkname, timeout=None):
        """Run a chunk as the main task; returns its values (list of Lua values)."""
        fn = self.compile(source, chunkname)
        return self.scheduler.run_main(fn, timeout=timeout)

    def flush(self):
        self._flush()

    def close(self):
        self.flush()
        self.scheduler.close()
