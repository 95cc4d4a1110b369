-- Opaque handles: the one handle mechanism of the builtins (assay.runtime.bridge.Handles is
-- the Python half, which keeps the objects by id). This chunk returns `handles(name, shape)`,
-- which makes the three functions of one kind of handle in this VM:
--   register(id) -> a fresh handle;  lookup(h) -> its id or nil;  take_dead() -> collected ids.
-- A handle is an empty table with a private metatable, so a script can neither read nor
-- forge the id. A collected handle's id is queued by `__gc`, which must not call Python
-- (finalizers also run while Python's GC tears a VM down); the family hands the ids from
-- `take_dead()` to Python on its next call, which releases the Python objects.
-- `shape` (optional) keeps a family's established look:
--   methods   the handle's methods (`h:name(...)`)
--   label     what getmetatable(h) returns (default false)
--   show_id   tostring(h) is "<name> #<id>" instead of "<name>"
--   readonly  the error text for an assignment to a handle (default "<name> handle is
--             read-only"); false lets a script store fields on it
local setmetatable, unpack, error = setmetatable, table.unpack, error

return function(name, shape)
  shape = shape or {}
  local ids = setmetatable({}, { __mode = "k" })
  local dead, ndead = {}, 0
  local readonly = shape.readonly
  if readonly == nil then readonly = name .. " handle is read-only" end
  local tostring_of
  if shape.show_id then
    tostring_of = function(h) return name .. " #" .. ids[h] end
  else
    tostring_of = function() return name end
  end

  local function register(id)
    local h = setmetatable({}, {
      __index = shape.methods,
      __metatable = shape.label or false,
      __name = name,
      __tostring = tostring_of,
      __newindex = readonly and function() error(readonly, 2) end or nil,
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
end
