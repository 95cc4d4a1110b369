-- json.array / json.object record a table's shape in a weak-keyed table instead
-- of a metatable, so a table keeps whatever metatable it has. The encoders get
-- that table only once something was marked: unmarked scripts pay nothing.
local json = ...
local type, error, next, setmetatable = type, error, next, setmetatable
local marks = setmetatable({}, { __mode = "k" })

local function marker(shape)
  return function(t)
    if t == nil then t = {} end
    if type(t) ~= "table" then
      error("json." .. shape .. ": table expected, got " .. type(t), 0)
    end
    marks[t] = shape
    return t
  end
end
json.array, json.object = marker("array"), marker("object")

-- The stdlib's request helper sends a bare empty table as `{}` (most APIs want an object
-- there) but must send `[]` for one the script marked with json.array; this private module
-- lets it read the mark without a public API beside json.array/json.object.
package.loaded["assay._json_shape"] = function(t) return marks[t] end
return marks
