"""The builtin globals, one module per family, installed in the original's order.

Each module has `install(bridge)`; see `assay.runtime.bridge` for the contract. The Lua
part of a family, if it has one, is `lua/<family>.lua` (`lua_file`), never a Python string.
Most families are installed on a script's first call into them (see FAMILIES), and
modules import their heavy libraries inside the functions that need them, so a
script pays only for what it uses.
"""
import importlib
import os

_LUA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua")


def lua_file(family):
    """The path of a family's Lua part, `assay/builtins/lua/<family>.lua` (package data)."""
    return os.path.join(_LUA_DIR, family + ".lua")

# global name -> (module under assay.builtins, the functions a script finds in the global),
# in the original's order. A family with its functions listed is installed on first use:
# the global holds stand-ins for them (see `Bridge.define_lazily`), so a script that never
# calls `db` never imports assay.builtins.db; tests/builtins/test_lazy_families.py checks
# each list against what the family's install really makes; `()` in a list means the
# global can be called too (`assert(v)`). The families without a list are installed at
# start: their globals are not tables of functions (`env` holds a table, `os` and
# `string` extend Lua's own, `sleep` and `time` are functions).
FAMILIES = [
    ("http", "http", "get post put patch delete download serve client _client_request"),
    ("json", "json", "parse encode array object"),
    ("yaml", "yaml", "parse encode parse_all"),
    ("toml", "toml", "parse encode"),
    ("assert", "assert_", "() eq ne gt lt contains not_nil matches"),
    ("log", "log", "info warn error"),
    ("env", "env", None),
    ("sleep, time", "time", None),
    ("fs", "fs", "read write remove list stat mkdir exists copy rename glob tempdir chmod readdir "
                 "read_bytes write_bytes lines sub_in_file"),
    ("base64", "base64", "encode decode"),
    ("crypto", "crypto", "hash hmac random jwt_sign jwt_decode jwt_verify hash_file"),
    ("regex", "regex", "match find find_all replace"),
    ("async", "async_", "spawn spawn_interval"),
    ("db", "db", "connect query execute close"),
    ("ws", "ws", "connect send send_binary protocol recv close"),
    ("template", "template", "render_string render render_with_loader"),
    ("shell", "shell", "exec"),
    ("process", "process", "list is_running kill wait_idle spawn wait"),
    ("disk", "disk", "usage sweep dir_size"),
    ("os", "os_info", None),
    ("temporal", "temporal", "connect start"),
    ("string.split", "strings", None),
    ("compress", "compress", "gzip gunzip xz unxz zstd unzstd untar"),
    ("tar", "tar", "create list read extract"),
    ("credential", "credential", "get"),
    ("markdown", "markdown", "to_html"),
]

# Families whose install uses another family's state: that one is installed first.
NEEDS = {"yaml": "json", "toml": "json"}


def available_families():
    """Module names that exist in this build (families land one by one)."""
    found = []
    for _, module, _ in FAMILIES:
        try:
            importlib.import_module("assay.builtins." + module)
        except ModuleNotFoundError as e:
            if e.name != "assay.builtins." + module:
                raise
            continue
        found.append(module)
    return found


def _module(name):
    return importlib.import_module("assay.builtins." + name)


def install_all(bridge):
    lazy, modules = {}, {}
    for name, module, functions in FAMILIES:
        if functions is None:
            _module(module).install(bridge)
        else:
            lazy[name] = functions.split()
            modules[name] = module

    def install(name):
        if name in NEEDS:
            bridge.load(NEEDS[name])
        _module(modules[name]).install(bridge)

    bridge.define_lazily(lazy, install)


def new_runtime(mode="script", **options):
    """A Lua VM with every builtin family installed; see `assay.runtime.vm.Runtime`."""
    import gc
    # Creating a runtime makes thousands of objects (modules, functions, Lua tables) and
    # frees none: the collections they would trigger find nothing and cost ~10% of a
    # start, so the collector waits until the runtime exists (the first one imports Lua).
    enabled = gc.isenabled()
    gc.disable()
    try:
        from assay.runtime.vm import Runtime
        return Runtime(mode=mode, install=install_all, **options)
    finally:
        if enabled:
            gc.enable()
