-- Opaque handles of one kind (`name`) in one VM: the one handle mechanism of the builtins
-- (assay.runtime.bridge.Handles is the Python half). `register(id)` returns a fresh handle;
-- `lookup(h)` its id or nil. A handle is an empty table with a protected metatable, so a
-- script can neither read nor forge the id. A collected handle's id is queued by `__gc`,
-- which must not call Python (finalizers also run while Python's GC tears a VM down);
-- `take_dead()` returns the queued ids as plain values, and the family passes them to
-- Python on its next call, which releases the Python objects.
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
