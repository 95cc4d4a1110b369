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
local escapes, float_text_py, valid_utf8, lib = ...
-- `lib`: the library functions as they were when the runtime started (this chunk is
-- compiled on first use, when a script may have replaced the globals)
local byte, find, sub, match, format, gsub, rep = lib.byte, lib.find, lib.sub, lib.match, lib.format,
  lib.gsub, lib.rep
local concat, sort, utf8_char = lib.concat, lib.sort, lib.utf8_char
local tonumber, type, next, error, rawget, setmetatable, getmetatable, math_type, create =
  lib.tonumber, lib.type, lib.next, lib.error, lib.rawget, lib.setmetatable, lib.getmetatable,
  lib.math_type, lib.create
local huge = lib.huge

local FAIL = setmetatable({}, { __name = "json fast path declined" })
local function fail() error(FAIL, 0) end

local MAX_PARSE_DEPTH = 128  -- the Python path's limit (serde's)
local MAX_ENCODE_DEPTH = 200

local UNESCAPE = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
                   [110] = "\n", [114] = "\r", [116] = "\t" }
local SPECIAL = '[%z\1-\31"\\]'
local PLAIN_TEXT = '^[^%z\1-\31"\\]*$'  -- (one anchored pass costs less than searching for SPECIAL)
local PLAIN = '^([^%z\1-\31"\\]*)()'

-- The decoder's cost is its calls into the string library, so each value is read with
-- one pattern call that also returns where reading goes on and the character there:
-- a key with its colon and the first character of its value, a plain string or a
-- number with the character after it, a closing bracket with the comma and key after
-- it. Whatever a pattern does not take (escapes, exponents, odd whitespace, errors)
-- goes to the byte-by-byte readers, which decide. A string or number that is not the
-- last member of its object is read together with the comma and key after it, in one
-- call; which member is the last is judged by the last object of the same kind (tried
-- on every member, the patterns that fail at the end of each object cost more than the
-- calls they save).
--
-- In a document without control characters (checked once, with plain searches) a
-- string's text is everything up to the next quote, and whitespace can only be spaces:
-- a backslash before that quote (the next one is kept in `bs`) sends the string to the
-- full reader. Otherwise the patterns exclude control characters and backslashes, which
-- costs a fifth more. Compact documents get patterns without whitespace at all; one
-- written with `": "` (Python's default) gets patterns that allow spaces.
local function patterns(text, ws)
  local key = ws .. '"(' .. text .. '*)"' .. ws .. ":" .. ws .. "()(.)"
  return {
    key = "^" .. key,                    -- key, position and first character of its value
    comma_key = "^" .. ws .. "," .. key,  -- the same after a comma
    string = "^(" .. text .. '*)"' .. ws .. "()(.)",  -- text, position and character after it
    string_key = "^(" .. text .. '*)"' .. ws .. "," .. key,  -- text, then the next key as `key`
    number_key = "^(%-?%d+)([-+.eE%d]*)" .. ws .. "," .. key,  -- digits, what follows them, next key
    number = "^(%-?%d+)([-+.eE%d]*)" .. ws .. "()(.)",  -- digits, what follows them, as above
    next = "^" .. ws .. "()(.)",
  }
end
local COMPACT, SPACED = patterns('[^"]', ""), patterns('[^"]', " *")
local FULL = patterns('[^%z\1-\31"\\]', "[ \t\n\r]*")
-- the control characters (the escapes table has them all), the usual whitespace first
local CONTROL = { "\n", "\r", "\t" }
for c in next, escapes do
  local b = byte(c)
  if b < 32 and b ~= 10 and b ~= 13 and b ~= 9 then CONTROL[#CONTROL + 1] = c end
end
local WHITE = { [" "] = true, ["\t"] = true, ["\n"] = true, ["\r"] = true }
local NUMBER_START = { ["-"] = true, ["0"] = true, ["1"] = true, ["2"] = true, ["3"] = true,
                       ["4"] = true, ["5"] = true, ["6"] = true, ["7"] = true, ["8"] = true,
                       ["9"] = true }

-- `checked`: the caller knows `s` is valid UTF-8 (else Python's decoder checks it: a
-- twentieth of the time Lua's utf8.len takes)
local function decode(s, checked)
  if not checked and not valid_utf8(s) then fail() end
  local len = #s
  local depth = 0
  -- Objects of one kind have as many members: the count of the last object with the same
  -- first key sizes the next one's table at once, sparing the rehash at 1, 2, 4, 8...
  -- members. At most 16, so that a misjudged table wastes little. (Only objects: an array
  -- with nulls must grow as table_from grows it, for `#`.)
  local sizes = {}
  -- the layout is judged by the first key alone (searching the whole text for `": ` took
  -- a twentieth of the time); a document that changes layout later still reads right,
  -- through the readers that take any whitespace
  local colon = find(s, '":', 1, true)
  local P = colon and byte(s, colon + 2) == 32 and SPACED or COMPACT
  for i = 1, #CONTROL do
    if find(s, CONTROL[i], 1, true) then
      P = FULL
      break
    end
  end
  local bs = P ~= FULL and find(s, "\\", 1, true) or len + 1
  local KEY, COMMA_KEY, STRING, NUMBER, NEXT = P.key, P.comma_key, P.string, P.number, P.next
  local STRING_KEY, NUMBER_KEY = P.string_key, P.number_key
  local compact = P == COMPACT  -- the next character is then simply there: sub is cheaper than NEXT

  local function skip(p)
    local b = byte(s, p)
    if b == 32 or b == 9 or b == 10 or b == 13 then
      return find(s, "[^ \t\n\r]", p) or len + 1
    end
    return p
  end

  local function string_at(p)  -- p: just after the opening quote
    local parts, n = {}, 0
    while true do
      -- the text up to the next quote, backslash or control character, and the two
      -- bytes there
      local text, e = match(s, PLAIN, p)
      local b, c = byte(s, e, e + 1)
      n = n + 1
      parts[n] = text
      if b == 34 then
        if bs <= e then bs = find(s, "\\", e, true) or len + 1 end
        return n == 1 and text or concat(parts), e + 1
      end
      if b ~= 92 then fail() end
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

  -- The number read by a pattern as `whole` and `rest` (b: its first character), or
  -- nil when the full reader must decide (exponents, leading zeros, integers that may
  -- not fit, anything malformed).
  local function plain_number(whole, rest, b)
    if (b == "0" and #whole > 1) or (b == "-" and #whole > 2 and byte(whole, 2) == 48) then return nil end
    if rest == "" then
      if #whole <= 18 then return tonumber(whole) end
    elseif find(rest, "^%.%d+$") or find(rest, "^%.%d+[eE][-+]?%d+$") or find(rest, "^[eE][-+]?%d+$") then
      local v = tonumber(whole .. rest)
      if v ~= huge and v ~= -huge then return v end
    end
    return nil
  end

  local value_at, object_at, array_at

  object_at = function(p)  -- p: just after `{`
    depth = depth + 1
    if depth > MAX_PARSE_DEPTH then fail() end
    local k, q, b = match(s, KEY, p)
    local first, count, t = k, 0, nil
    -- members before the last expected one are read together with the next key
    local before_last = -1
    if k then
      local size = sizes[k]
      if size then
        t = create(0, size)
        before_last = size - 1
      else
        t = {}
      end
    else
      t = {}
      p = skip(p)
      if byte(s, p) == 125 then
        depth = depth - 1
        return t, p + 1
      end
    end
    while true do
      if not k or q > bs then  -- escapes in the key, or no key
        p = skip(p)
        if byte(s, p) ~= 34 then fail() end
        k, p = string_at(p + 1)
        p = skip(p)
        if byte(s, p) ~= 58 then fail() end
        q, b = match(s, NEXT, p + 1)
        if not q then fail() end
      end
      -- the value at q (first character b) into v; then either the next key and where
      -- its value starts (nk, nq, nb) or the position and character after v (p, c)
      local v, c, nk, nq, nb
      if b == '"' then
        if count < before_last then
          v, nk, nq, nb = match(s, STRING_KEY, q + 1)
          if v and nq > bs then nk = nil end
        end
        if not nk then
          v, p, c = match(s, STRING, q + 1)
          if not v or p > bs then
            v, p = string_at(q + 1)
            p, c = match(s, NEXT, p)
          end
        end
      elseif NUMBER_START[b] then
        local whole, rest
        if count < before_last then
          whole, rest, nk, nq, nb = match(s, NUMBER_KEY, q)
          if nk and nq > bs then nk = nil end
        end
        if not nk then whole, rest, p, c = match(s, NUMBER, q) end
        v = whole and plain_number(whole, rest, b)
        if v == nil then
          nk = nil
          v, p = number_at(q)
          p, c = match(s, NEXT, p)
        end
      else
        if b == "{" then
          v, p = object_at(q + 1)
        elseif b == "[" then
          v, p = array_at(q + 1)
        else
          v, p = value_at(skip(q))
          if v == nil then count = count - 1 end  -- a null adds no member
        end
        nk, nq, nb = match(s, COMMA_KEY, p)
        if not nk or nq > bs then
          nk = nil
          p, c = match(s, NEXT, p)
        end
      end
      t[k] = v
      count = count + 1
      if nk then
        k, q, b = nk, nq, nb
      else
        if c ~= "," and c ~= "}" then  -- whitespace the pattern did not take, or the end
          if not p then fail() end
          p = skip(p)
          c = sub(s, p, p)
        end
        if c == "," then
          p = p + 1
          k, q, b = match(s, KEY, p)
        elseif c == "}" then
          depth = depth - 1
          if first and sizes[first] ~= count and count <= 16 then sizes[first] = count end
          return t, p + 1
        else
          fail()
        end
      end
    end
  end

  array_at = function(p)  -- p: just after `[`
    depth = depth + 1
    if depth > MAX_PARSE_DEPTH then fail() end
    local t = {}
    local q, b = p, nil
    if compact then b = sub(s, p, p) else q, b = match(s, NEXT, p) end
    if q and WHITE[b] then
      q = skip(q)
      b = sub(s, q, q)
    end
    if b == "]" then
      depth = depth - 1
      return t, q + 1
    end
    local i = 0
    while true do
      if not q then fail() end
      -- the value at q (first character b) into v, the position and character after it
      -- into p and c
      local v, c
      if b == '"' then
        v, p, c = match(s, STRING, q + 1)
        if not v or p > bs then
          v, p = string_at(q + 1)
          p, c = match(s, NEXT, p)
        end
      elseif NUMBER_START[b] then
        local whole, rest
        whole, rest, p, c = match(s, NUMBER, q)
        v = whole and plain_number(whole, rest, b)
        if v == nil then
          v, p = number_at(q)
          p, c = match(s, NEXT, p)
        end
      else
        if b == "{" then
          v, p = object_at(q + 1)
        elseif b == "[" then
          v, p = array_at(q + 1)
        else
          v, p = value_at(skip(q))
        end
        if compact then c = sub(s, p, p) else p, c = match(s, NEXT, p) end
      end
      i = i + 1
      t[i] = v
      if c ~= "," and c ~= "]" then  -- whitespace the pattern did not take, or the end
        if not p then fail() end
        p = skip(p)
        c = sub(s, p, p)
      end
      if c == "," then
        q = p + 1
        if compact then b = sub(s, q, q) else q, b = match(s, NEXT, q) end
      elseif c == "]" then
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
  -- Lua's own conversion is `%.15g` when that reads back (with ".0" added to a whole
  -- number), else 17 digits: under 17 characters it is the `%.15g` text, and without
  -- an exponent that text is already laid out as ryu does it.
  local text = v .. ""
  if #text < 17 and not find(text, "e", 1, true) then return text end
  text = format("%.15g", v)
  if tonumber(text) ~= v then
    if find(format("%a", v), "^%-?0x1p") then return float_text_py(v) end
    text = format("%.16g", v)
    if tonumber(text) ~= v then text = format("%.17g", v) end
  end
  if not find(text, "e", 1, true) then
    return find(text, ".", 1, true) and text or text .. ".0"
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

-- (UTF-8 is checked once, on the whole text: escapes are ASCII and quotes surround every
-- string, so the text is valid exactly when every string in it is)
local function quoted(s)
  if not find(s, PLAIN_TEXT) then s = gsub(s, SPECIAL, escapes) end
  return '"' .. s .. '"'
end

-- Compact JSON of `value` with the Python path's table rules (see convert.to_py).
local function encode(value, marks)
  local buf, n = {}, 0
  local done, chunks = {}, 0  -- finished parts, so the small pieces do not pile up
  -- short string or boolean -> its JSON text, for this call: most values are found here
  -- with one table read, without asking for their type
  local seen = { [true] = "true", [false] = "false" }
  local floats = {}  -- float -> its text, for this call
  -- Objects of the same kind share their keys, so an object whose keys are all strings
  -- is remembered by its first key: the keys in the order `next` gives them, then sorted,
  -- and their `"key":` texts. A later object with exactly that traversal has those keys,
  -- so it needs neither the type of each key nor a sort.
  local shapes = {}

  local function text_of(v)
    local q = seen[v]
    if q then return q end
    q = quoted(v)
    if #v <= 40 then seen[v] = q end
    return q
  end

  local function put(v, depth)
    local t = type(v)
    if t == "string" then
      n = n + 1
      buf[n] = text_of(v)
    elseif t == "number" then
      n = n + 1
      if math_type(v) == "integer" then
        buf[n] = v  -- table.concat writes it as %d does
      else
        local q = floats[v]
        if not q then
          q = float_text(v)
          if v ~= 0 then floats[v] = q end  -- 0.0 and -0.0 are one key
        end
        buf[n] = q
      end
    elseif t == "boolean" then
      n = n + 1
      buf[n] = v and "true" or "false"
    elseif t ~= "table" or depth > MAX_ENCODE_DEPTH then
      fail()
    else
      depth = depth + 1
      -- without a metatable, v[k] reads what rawget(v, k) does, without a call
      local plain = getmetatable(v) == nil
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
            put(x, depth)
          end
        end
        n = n + 1
        buf[n] = "]"
        return
      end
      local first = next(v)
      local known = shapes[first]
      if known and plain then
        local i = 0
        for k in next, v do
          i = i + 1
          if k ~= known[i] then
            i = -1
            break
          end
        end
        if i == known.count then
          local keys, texts = known.keys, known.texts
          for j = 1, i do
            n = n + 1
            buf[n] = texts[j]
            local x = v[keys[j]]
            local q = seen[x]
            if q then
              n = n + 1
              buf[n] = q
            else
              put(x, depth)
            end
          end
          n = n + 1
          buf[n] = "}"
          if n > 8192 then
            chunks = chunks + 1
            done[chunks] = concat(buf, "", 1, n)
            n = 0
          end
          return
        end
      end
      if first == 1 and plain and shape ~= "object" then
        -- a sequence: as many keys as 1..count has, all of them present
        local count = 0
        for _ in next, v do count = count + 1 end
        local i = 1
        while i <= count and v[i] ~= nil do i = i + 1 end
        if i > count then
          n = n + 1
          buf[n] = "["
          for j = 1, count do
            if j > 1 then
              n = n + 1
              buf[n] = ","
            end
            local x = v[j]
            local q = seen[x]
            if q then
              n = n + 1
              buf[n] = q
            else
              put(x, depth)
            end
          end
          n = n + 1
          buf[n] = "]"
          return
        end
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
            put(rawget(v, i), depth)
          end
          n = n + 1
          buf[n] = "]"
          return
        end
      end
      local m, by_key = count, nil
      local order
      if strings then
        order = { count = count }
        for i = 1, count do order[i] = keys[i] end
      else  -- number keys become their text; the values are found by that text
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
      local texts = {}
      for i = 1, m do texts[i] = (i > 1 and "," or "{") .. quoted(keys[i]) .. ":" end
      if m == 0 then
        n = n + 1
        buf[n] = "{"
      end
      for i = 1, m do
        local key = keys[i]
        n = n + 1
        buf[n] = texts[i]
        if by_key then put(by_key[key], depth) else put(rawget(v, key), depth) end
      end
      n = n + 1
      buf[n] = "}"
      if order and m > 0 then
        order.keys, order.texts = keys, texts
        shapes[first] = order
      end
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
  local text = concat(done)
  if not valid_utf8(text) then fail() end
  return text
end

return { decode = decode, encode = encode, FAIL = FAIL }
