"""`string.split(s, sep?)`: an addition to Lua's own `string` library.

Written in Lua (lua/string.lua) because it only slices strings: no data crosses to
Python, and `("a b"):split()` works through the string metatable like every string method.
"""
from . import lua_file


def install(bridge):
    bridge.run_lua_file(lua_file("string"), bridge.globals[b"string"])
