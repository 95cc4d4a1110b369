--- @module assay.url
--- @description URL helpers: RFC 3986 percent-encoding and decoding, query strings and application/x-www-form-urlencoded bodies (encode and parse).
--- @category core
--- @icon link
--- @keywords url, urlencode, urldecode, percent-encode, rfc3986, form, query, query-string, www-form-urlencoded, encode, decode
--- @quickref M.encode(s) -> string | RFC 3986 percent-encode: only A-Z a-z 0-9 - _ . ~ kept, space is %20
--- @quickref M.decode(s) -> string | Decode %XX escapes and "+" (as a space)
--- @quickref M.encode_form(t) -> string | Form/query body from {key = value}: keys sorted, a list value repeats its key, booleans as true/false
--- @quickref M.decode_form(s) -> {key = value} | Parse a form body or query string; a repeated key gives a list
--- @quickref M.with_query(url, t) -> string | url with encode_form(t) appended after "?" or "&"

local M = {}

local function text(value, who)
  local kind = type(value)
  if kind == "string" then return value end
  if kind == "boolean" then return tostring(value) end
  if kind == "number" then
    if math.type(value) == "float" and value == math.floor(value) and math.abs(value) < 2^63 then
      return string.format("%d", value)
    end
    return tostring(value)
  end
  error(who .. ": expected a string, number or boolean, got " .. kind, 3)
end

function M.encode(s)
  return (text(s, "url.encode"):gsub("[^A-Za-z0-9%-_%.~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

function M.decode(s)
  s = text(s, "url.decode"):gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

function M.encode_form(t)
  if type(t) ~= "table" then error("url.encode_form: expected a table", 2) end
  local keys = {}
  for key in pairs(t) do
    if type(key) ~= "string" then error("url.encode_form: keys must be strings", 2) end
    keys[#keys + 1] = key
  end
  table.sort(keys)
  local parts = {}
  for _, key in ipairs(keys) do
    local value = t[key]
    local values = type(value) == "table" and value or { value }
    for _, v in ipairs(values) do
      parts[#parts + 1] = M.encode(key) .. "=" .. M.encode(text(v, "url.encode_form"))
    end
  end
  return table.concat(parts, "&")
end

function M.decode_form(s)
  local out = {}
  s = text(s, "url.decode_form"):gsub("^%?", "")
  for pair in s:gmatch("[^&;]+") do
    local key, value = pair:match("^([^=]*)=?(.*)$")
    key, value = M.decode(key), M.decode(value)
    local existing = out[key]
    if existing == nil then
      out[key] = value
    elseif type(existing) == "table" then
      existing[#existing + 1] = value
    else
      out[key] = { existing, value }
    end
  end
  return out
end

function M.with_query(url, t)
  local query = M.encode_form(t)
  if query == "" then return url end
  local sep = url:find("?", 1, true) and "&" or "?"
  if url:sub(-1) == "?" or url:sub(-1) == "&" then sep = "" end
  return url .. sep .. query
end

return M
