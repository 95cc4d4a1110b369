"""The builtin globals, one module per family, installed in the original's order.

Each module has `install(bridge)`; see `assay.runtime.bridge` for the contract. The Lua
part of a family, if it has one, is `lua/<family>.lua` (`lua_file`), never a Python string.
Modules import their heavy libraries inside the functions that need them, so
installing every family costs well under a millisecond.
"""
import importlib
import os

_LUA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua")


def lua_file(family):
    """The path of a family's Lua part, `assay/builtins/lua/<family>.lua` (package data)."""
    return os.path.join(_LUA_DIR, family + ".lua")

# global name -> module under assay.builtins
FAMILIES = [
    ("http", "http"),
    ("json", "json"),
    ("yaml", "yaml"),
    ("toml", "toml"),
    ("assert", "assert_"),
    ("log", "log"),
    ("env", "env"),
    ("sleep, time", "time"),
    ("fs", "fs"),
    ("base64", "base64"),
    ("crypto", "crypto"),
    ("regex", "regex"),
    ("async", "async_"),
    ("db", "db"),
    ("ws", "ws"),
    ("template", "template"),
    ("shell", "shell"),
    ("process", "process"),
    ("disk", "disk"),
    ("os", "os_info"),
    ("temporal", "temporal"),
    ("string.split", "strings"),
    ("compress", "compress"),
    ("tar", "tar"),
    ("credential", "credential"),
    ("markdown", "markdown"),
]


def available_families():
    """Module names that exist in this build (families land one by one)."""
    found = []
    for _, module in FAMILIES:
        try:
            importlib.import_module("assay.builtins." + module)
        except ModuleNotFoundError as e:
            if e.name != "assay.builtins." + module:
                raise
            continue
        found.append(module)
    return found


def install_all(bridge):
    for module in available_families():
        importlib.import_module("assay.builtins." + module).install(bridge)


def new_runtime(mode="script", **options):
    """A Lua VM with every builtin family installed; see `assay.runtime.vm.Runtime`."""
    import gc
    from assay.runtime.vm import Runtime
    # Creating a runtime makes thousands of objects (modules, functions, Lua tables) and
    # frees none: the collections they would trigger find nothing and cost ~10% of a
    # start, so the collector waits until the runtime exists.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return Runtime(mode=mode, install=install_all, **options)
    finally:
        if enabled:
            gc.enable()
