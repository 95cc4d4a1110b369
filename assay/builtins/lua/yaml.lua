local yaml, flat, try_decode, internals = ...
local slow, select = yaml.parse, select
yaml.parse = function(text, ...)
  if select("#", ...) > 0 then return slow(text, ...) end
  local is_json, value = flat(text)
  if not is_json then return value end
  local ok, decoded = try_decode(value, true)  -- ASCII, from Python's json.dumps
  if ok then return decoded end
  return slow(text)
end
