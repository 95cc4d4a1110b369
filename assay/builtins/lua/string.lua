local string = ...
local type, error, find, sub, gmatch = type, error, string.find, string.sub, string.gmatch

function string.split(s, sep)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then
    error("string.split: string expected, got " .. type(s), 0)
  end
  local out, n = {}, 0
  if sep == nil then
    -- awk's default field splitting: runs of whitespace, no empty fields
    for field in gmatch(s, "%S+") do
      n = n + 1
      out[n] = field
    end
    return out
  end
  if type(sep) == "number" then sep = tostring(sep) end
  if type(sep) ~= "string" then
    error("string.split: separator must be a string, got " .. type(sep), 0)
  end
  if sep == "" then
    error("string.split: separator must not be empty", 0)
  end
  local start = 1
  while true do
    local i, j = find(s, sep, start, true)  -- plain: the separator is literal text
    if not i then break end
    n = n + 1
    out[n] = sub(s, start, i - 1)
    start = j + 1
  end
  out[n + 1] = sub(s, start)
  return out
end
