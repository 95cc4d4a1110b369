"""The Lua 5.5 engine (lupa's `lupa.lua55` extension), the one place assay imports lupa.

lupa's package `__init__` only chooses the newest Lua it ships and offers a helper for
binary Lua modules; assay uses neither, yet running it imports contextlib, functools
and collections, over a tenth of every start. So the `lupa` package is registered
here as an empty package over lupa's folder, and `lupa.lua55` loads from that folder
on its own: the extension imports nothing from its package. Where the folder is not
found on sys.path (an unusual install), lupa is imported the ordinary way.
"""
import os
import sys


def _register_bare_lupa():
    if "lupa" in sys.modules:
        return
    for entry in sys.path:
        folder = os.path.join(entry or ".", "lupa")
        # the folder that holds the extension, as the ordinary import would find it
        if os.path.isdir(folder) and any(name.startswith("lua55.") for name in os.listdir(folder)):
            package = type(sys)("lupa")
            package.__path__ = [folder]
            package.__package__ = "lupa"
            sys.modules["lupa"] = package
            return


_register_bare_lupa()

from lupa.lua55 import LuaError, LuaMemoryError, LuaRuntime, lua_type  # noqa: E402

__all__ = ["LuaError", "LuaMemoryError", "LuaRuntime", "lua_type"]
