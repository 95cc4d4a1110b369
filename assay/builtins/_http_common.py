"""Helpers shared by the network families (`http`, `http.serve`, `ws`).

- `HandleTable`: the Lua side of opaque handles. Lua code only ever holds an empty
  table (protected metatable) that a private weak map turns into an integer id; the
  Python objects live in a registry keyed by that id. Collected handles release their
  Python object through `__gc`.

Nothing heavy is imported at module level (asyncio, threads and queues only when
the first blocking op runs): installing the families must stay cheap.
"""

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
