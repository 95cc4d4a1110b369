-- JSON decoding and encoding done inside Lua, for speed: building a large
-- document table by table from Python costs several times Python's own json
-- module, while this code reads the text (or walks the tables) where they live.
--
-- Both functions are fast paths, never the reference: whenever the input is not
-- plainly valid (any error, lone surrogate, nesting deeper than the limits, a
-- float whose shortest text this code cannot be sure of...) they raise FAIL and
-- the caller runs the Python implementation, which gives the exact result or
-- error text. Tables are built the way lupa's table_from builds them (an empty
-- table, then the members in document order), so `#` of an array with holes is
-- the same either way.
local escapes, float_text_py, lib = ...
-- `lib`: the library functions as they were when the runtime started (this chunk is
-- compiled on first use, when a script may have replaced the globals)
local byte, find, sub, match, format, gsub, rep = lib.byte, lib.find, lib.sub, lib.match, lib.format,
  lib.gsub, lib.rep
local concat, sort, utf8_len, utf8_char = lib.concat, lib.sort, lib.utf8_len, lib.utf8_char
local tonumber, type, next, error, rawget, setmetatable, math_type =
  lib.tonumber, lib.type, lib.next, lib.error, lib.rawget, lib.setmetatable, lib.math_type
local huge = lib.huge

local FAIL = setmetatable({}, { __name = "json fast path declined" })
local function fail() error(FAIL, 0) end

local MAX_PARSE_DEPTH = 128  -- the Python path's limit (serde's)
local MAX_ENCODE_DEPTH = 200

local UNESCAPE = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
                   [110] = "\n", [114] = "\r", [116] = "\t" }
local SPECIAL = '[%z\1-\31"\\]'

local function decode(s)
  if not utf8_len(s) then fail() end
  local len = #s
  local depth = 0

  local function skip(p)
    local b = byte(s, p)
    if b == 32 or b == 9 or b == 10 or b == 13 then
      return find(s, "[^ \t\n\r]", p) or len + 1
    end
    return p
  end

  local function string_at(p)  -- p: just after the opening quote
    local e = find(s, SPECIAL, p)
    if not e then fail() end
    if byte(s, e) == 34 then return sub(s, p, e - 1), e + 1 end
    local parts, n = {}, 0
    while true do
      local b = byte(s, e)
      n = n + 1
      parts[n] = sub(s, p, e - 1)
      if b == 34 then return concat(parts), e + 1 end
      if b ~= 92 then fail() end
      local c = byte(s, e + 1)
      local simple = UNESCAPE[c]
      if simple then
        n = n + 1
        parts[n] = simple
        p = e + 2
      elseif c == 117 then
        local hex = match(s, "^%x%x%x%x", e + 2)
        if not hex then fail() end
        local cp = tonumber(hex, 16)
        p = e + 6
        if cp >= 0xD800 and cp <= 0xDFFF then
          local low = cp <= 0xDBFF and match(s, "^\\u(%x%x%x%x)", p)
          if not low then fail() end
          low = tonumber(low, 16)
          if low < 0xDC00 or low > 0xDFFF then fail() end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (low - 0xDC00)
          p = p + 6
        end
        n = n + 1
        parts[n] = utf8_char(cp)
      else
        fail()
      end
      e = find(s, SPECIAL, p)
      if not e then fail() end
    end
  end

  local function number_at(p)
    local first = byte(s, p) == 45 and p + 1 or p
    local _, e = find(s, "^%d+", first)
    if not e then fail() end
    if e > first and byte(s, first) == 48 then fail() end  -- leading zero
    local b = byte(s, e + 1)
    if b == 46 then
      _, e = find(s, "^%d+", e + 2)
      if not e then fail() end
      b = byte(s, e + 1)
    end
    if b == 101 or b == 69 then
      _, e = find(s, "^[-+]?%d+", e + 2)
      if not e then fail() end
    end
    local v = tonumber(sub(s, p, e))
    if not v or v ~= v or v == huge or v == -huge then fail() end
    return v, e + 1
  end

  local value_at

  local function object_at(p)
    depth = depth + 1
    if depth > MAX_PARSE_DEPTH then fail() end
    local t = {}
    p = skip(p)
    if byte(s, p) == 125 then
      depth = depth - 1
      return t, p + 1
    end
    while true do
      if byte(s, p) ~= 34 then fail() end
      local k, v
      local e = find(s, SPECIAL, p + 1)
      if e and byte(s, e) == 34 then
        k, p = sub(s, p + 1, e - 1), e + 1
      else
        k, p = string_at(p + 1)
      end
      if byte(s, p) ~= 58 then
        p = skip(p)
        if byte(s, p) ~= 58 then fail() end
      end
      p = p + 1
      local b = byte(s, p)
      if b == 34 then
        e = find(s, SPECIAL, p + 1)
        if e and byte(s, e) == 34 then
          v, p = sub(s, p + 1, e - 1), e + 1
        else
          v, p = string_at(p + 1)
        end
      else
        v, p = value_at(skip(p))
      end
      t[k] = v
      local c = byte(s, p)
      if c ~= 44 and c ~= 125 then
        p = skip(p)
        c = byte(s, p)
      end
      if c == 44 then
        p = skip(p + 1)
      elseif c == 125 then
        depth = depth - 1
        return t, p + 1
      else
        fail()
      end
    end
  end

  local function array_at(p)
    depth = depth + 1
    if depth > MAX_PARSE_DEPTH then fail() end
    local t = {}
    p = skip(p)
    if byte(s, p) == 93 then
      depth = depth - 1
      return t, p + 1
    end
    local i = 0
    while true do
      local v
      v, p = value_at(p)
      i = i + 1
      t[i] = v
      local c = byte(s, p)
      if c ~= 44 and c ~= 93 then
        p = skip(p)
        c = byte(s, p)
      end
      if c == 44 then
        p = skip(p + 1)
      elseif c == 93 then
        depth = depth - 1
        return t, p + 1
      else
        fail()
      end
    end
  end

  value_at = function(p)
    local b = byte(s, p)
    if b == 34 then return string_at(p + 1) end
    if b == 123 then return object_at(p + 1) end
    if b == 91 then return array_at(p + 1) end
    if b == 116 then
      if find(s, "^true", p) then return true, p + 4 end
    elseif b == 102 then
      if find(s, "^false", p) then return false, p + 5 end
    elseif b == 110 then
      if find(s, "^null", p) then return nil, p + 4 end
    elseif b == 45 or (b and b >= 48 and b <= 57) then
      return number_at(p)
    end
    fail()
  end

  local v, p = value_at(skip(1))
  if skip(p) <= len then fail() end
  return v
end

-- The shortest text that reads back as `v`, laid out like Rust's ryu.
-- `%.15g` that reads back is always Python's repr digits; 16 or 17 digits are
-- too, except next to a power of two, where the Python path decides.
local SMALLEST_NORMAL = 2.2250738585072014e-308
local function float_text(v)
  if v ~= v or v == huge or v == -huge then fail() end
  if v == 0 then return 1 / v < 0 and "-0.0" or "0.0" end
  -- subnormals carry fewer digits: 15 that read back may still not be the shortest
  if v > -SMALLEST_NORMAL and v < SMALLEST_NORMAL then return float_text_py(v) end
  local text = format("%.15g", v)
  if tonumber(text) ~= v then
    if find(format("%a", v), "^%-?0x1p") then return float_text_py(v) end
    text = format("%.16g", v)
    if tonumber(text) ~= v then text = format("%.17g", v) end
  end
  local sign = ""
  if byte(text, 1) == 45 then
    sign, text = "-", sub(text, 2)
  end
  local mantissa, exp = match(text, "^([%d.]+)e?([-+]?%d*)$")
  local whole, frac = match(mantissa, "^(%d*)%.?(%d*)$")
  local all = whole .. frac
  local digits = match(all, "^0*(.-)$")
  local kk = #whole - (#all - #digits) + (exp ~= "" and tonumber(exp) or 0)
  digits = match(digits, "^(.-)0*$")
  if digits == "" then digits = "0" end
  local n = #digits
  if n <= kk and kk <= 21 then
    return sign .. digits .. rep("0", kk - n) .. ".0"
  elseif 0 < kk and kk <= 21 then
    return sign .. sub(digits, 1, kk) .. "." .. sub(digits, kk + 1)
  elseif -5 < kk and kk <= 0 then
    return sign .. "0." .. rep("0", -kk) .. digits
  end
  return sign .. sub(digits, 1, 1) .. (n > 1 and "." .. sub(digits, 2) or "") .. "e" .. (kk - 1)
end

local function quoted(s)
  if not utf8_len(s) then fail() end
  if find(s, SPECIAL) then s = gsub(s, SPECIAL, escapes) end
  return '"' .. s .. '"'
end

-- Compact JSON of `value` with the Python path's table rules (see convert.to_py).
local function encode(value, marks)
  local buf, n = {}, 0
  local done, chunks = {}, 0       -- finished parts, so the small pieces do not pile up
  local seen = {}                  -- short string -> its JSON text, for this call
  local first_key, next_key = {}, {}  -- key -> `"key":` / `,"key":`

  local function text_of(v)
    if #v > 40 then return quoted(v) end
    local q = seen[v]
    if not q then
      q = quoted(v)
      seen[v] = q
    end
    return q
  end

  local function put(v, depth)
    local t = type(v)
    if t == "string" then
      n = n + 1
      buf[n] = text_of(v)
    elseif t == "number" then
      n = n + 1
      buf[n] = math_type(v) == "integer" and format("%d", v) or float_text(v)
    elseif t == "boolean" then
      n = n + 1
      buf[n] = v and "true" or "false"
    elseif t ~= "table" or depth > MAX_ENCODE_DEPTH then
      fail()
    else
      local shape = marks and marks[v]
      if shape == "array" then
        local size, count = 0, 0
        for k in next, v do
          if math_type(k) ~= "integer" or k < 1 then fail() end
          count = count + 1
          if k > size then size = k end
        end
        if size > 4 * count + 1024 then fail() end
        n = n + 1
        buf[n] = "["
        for i = 1, size do
          if i > 1 then n = n + 1; buf[n] = "," end
          local x = rawget(v, i)
          if x == nil then
            n = n + 1
            buf[n] = "null"
          else
            put(x, depth + 1)
          end
        end
        n = n + 1
        buf[n] = "]"
        return
      end
      local keys, count, low, high, strings = {}, 0, 1, 0, true
      for k in next, v do
        count = count + 1
        keys[count] = k
        if type(k) ~= "string" then
          strings = false
          if math_type(k) == "integer" then
            if k < low then low = k end
            if k > high then high = k end
          else
            low = 0
          end
        else
          low = 0
        end
      end
      if shape ~= "object" then
        if count == 0 then
          n = n + 1
          buf[n] = "[]"
          return
        end
        if low == 1 and high == count then
          n = n + 1
          buf[n] = "["
          for i = 1, count do
            if i > 1 then n = n + 1; buf[n] = "," end
            put(rawget(v, i), depth + 1)
          end
          n = n + 1
          buf[n] = "]"
          return
        end
      end
      local m, by_key = count, nil
      if not strings then  -- number keys become their text; the values are found by that text
        by_key = {}
        for i = 1, m do
          local k, key = keys[i], nil
          if type(k) == "string" then
            key = k
          elseif math_type(k) == "integer" then
            key = format("%d", k)
          elseif math_type(k) == "float" then
            key = float_text(k)
          else
            fail()
          end
          if by_key[key] ~= nil then fail() end  -- 1 and "1": the Python path's (unordered) choice
          by_key[key] = rawget(v, k)
          keys[i] = key
        end
      end
      sort(keys)
      n = n + 1
      buf[n] = "{"
      for i = 1, m do
        local key = keys[i]
        local cache = i > 1 and next_key or first_key
        local q = cache[key]
        if not q then
          q = (i > 1 and "," or "") .. quoted(key) .. ":"
          cache[key] = q
        end
        n = n + 1
        buf[n] = q
        if by_key then put(by_key[key], depth + 1) else put(rawget(v, key), depth + 1) end
      end
      n = n + 1
      buf[n] = "}"
      if n > 8192 then
        chunks = chunks + 1
        done[chunks] = concat(buf, "", 1, n)
        n = 0
      end
    end
  end

  if value == nil then return "null" end
  put(value, 0)
  chunks = chunks + 1
  done[chunks] = concat(buf, "", 1, n)
  return concat(done)
end

return { decode = decode, encode = encode, FAIL = FAIL }
