local json, source, escapes, float_text, valid_utf8, collect, slow_parse, slow_encode, marks, internals = ...
local raw_pcall, compile, type, select, next, error =
  internals.raw_pcall, internals.compile, type, select, next, error
local decode, encode, FAIL
local lib = {
  byte = string.byte, find = string.find, sub = string.sub, match = string.match,
  format = string.format, gsub = string.gsub, rep = string.rep, concat = table.concat,
  sort = table.sort, utf8_char = utf8.char, tonumber = tonumber,
  type = type, next = next, error = error, rawget = rawget, setmetatable = setmetatable,
  getmetatable = getmetatable, create = table.create,
  math_type = math.type, huge = math.huge,
}

-- compiled on first use: a script that never touches JSON does not pay for it
local function load_codec()
  local chunk, err = compile(source, "=[assay json codec]")
  if not chunk then error(err, 0) end
  local codec = chunk(escapes, float_text, valid_utf8, lib)
  decode, encode, FAIL, source = codec.decode, codec.encode, codec.FAIL, nil
end

-- After a decline, the Python path decides; after running out of memory too
-- (it refuses the value with its own catchable message), once the garbage is gone.
local function declined(err)
  if err == FAIL then return end
  if err ~= "not enough memory" then error(err, 0) end
  collect()
end

-- (true, value), or false when the Python path must decide. `checked`: the text is
-- known to be valid UTF-8.
local function try_decode(text, checked)
  if not decode then load_codec() end
  local ok, value = raw_pcall(decode, text, checked)
  if ok then return true, value end
  declined(value)
  return false
end

json.parse = function(text, ...)
  if type(text) == "string" and select("#", ...) == 0 then
    local ok, value = try_decode(text)
    if ok then return value end
  end
  return slow_parse(text, ...)
end

json.encode = function(value)
  if not encode then load_codec() end
  local ok, text = raw_pcall(encode, value, next(marks) ~= nil and marks or nil)
  if ok then return text end
  declined(text)
  return slow_encode(value)
end
return { try_decode = try_decode }
