-- How assay.authz reads the values inside conditions: numbers, instants, IP
-- addresses and CIDRs, like-patterns, and how a number renders as text. The
-- evaluator and validate() both use these, so they never disagree on what a
-- valid bound is. Hidden from `assay modules` like _http.

local V = {}

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end
V.trim = trim

-- ---- numbers as text ---------------------------------------------------------------

-- The shortest decimal digits that read back as `x` (x finite, non-zero), with
-- the decimal exponent of the first digit.
local function shortest_digits(x)
  for precision = 1, 17 do
    local text = string.format("%." .. (precision - 1) .. "e", x)
    if tonumber(text) == x then
      local mantissa, exponent = text:match("^-?([%d.]+)e([-+]%d+)$")
      local digits = mantissa:gsub("%.", ""):gsub("0+$", "")
      return digits == "" and "0" or digits, tonumber(exponent)
    end
  end
end

--- A number as JavaScript's String(n) writes it: policy values were authored to
--- match that text (12 -> "12", 0.1 -> "0.1", 1e21 -> "1e+21", 1e-7 -> "1e-7").
function V.number_text(x)
  if math.type(x) == "integer" then return tostring(x) end
  if x ~= x then return "NaN" end
  if x == math.huge then return "Infinity" end
  if x == -math.huge then return "-Infinity" end
  if x == 0 then return "0" end
  local sign = x < 0 and "-" or ""
  local digits, exponent = shortest_digits(math.abs(x))
  local magnitude = math.abs(x)
  if magnitude >= 1e21 or magnitude < 1e-6 then
    local head = digits:sub(1, 1)
    local rest = digits:sub(2)
    return sign .. head .. (rest ~= "" and "." .. rest or "") .. "e" .. (exponent >= 0 and "+" or "-") .. math.abs(exponent)
  end
  if exponent < 0 then
    return sign .. "0." .. string.rep("0", -exponent - 1) .. digits
  end
  if #digits <= exponent + 1 then
    return sign .. digits .. string.rep("0", exponent + 1 - #digits)
  end
  return sign .. digits:sub(1, exponent + 1) .. "." .. digits:sub(exponent + 2)
end

-- ---- numeric bounds -------------------------------------------------------------------

local RADIX = { x = 16, o = 8, b = 2 }

--- A numeric bound (always authored as a string), or nil when it is no number.
--- Accepts decimal and exponent forms, "Infinity", and 0x/0o/0b integers.
function V.parse_number(text)
  local s = trim(text)
  if s == "" then return 0.0 end
  if s == "Infinity" or s == "+Infinity" then return math.huge end
  if s == "-Infinity" then return -math.huge end
  local prefix, digits = s:match("^0([xXoObB])(.*)$")
  if prefix then
    local radix = RADIX[prefix:lower()]
    if digits == "" then return nil end
    local value = 0.0
    for i = 1, #digits do
      local d = tonumber(digits:sub(i, i), 36)
      if not d or d >= radix then return nil end
      value = value * radix + d
    end
    if value >= 2.0 ^ 128 then return nil end
    return value
  end
  local lower = s:lower()
  if lower == "inf" or lower == "infinity" or lower == "nan" then return nil end
  local sign, word = lower:match("^([+-])(%a+)$")
  if sign and (word == "inf" or word == "infinity") then
    return sign == "-" and -math.huge or math.huge
  end
  if s:match("^[+-]?%d+%.?%d*$") or s:match("^[+-]?%.%d+$")
      or s:match("^[+-]?%d+%.?%d*[eE][+-]?%d+$") or s:match("^[+-]?%.%d+[eE][+-]?%d+$") then
    return tonumber(s) + 0.0
  end
  return nil
end

-- ---- instants ---------------------------------------------------------------------------

local function days_in_month(y, m)
  if m == 2 then
    return (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28
  end
  return (m == 4 or m == 6 or m == 9 or m == 11) and 30 or 31
end

-- Days since 1970-01-01 of a proleptic Gregorian date.
local function civil_days(y, m, d)
  local yy = m <= 2 and y - 1 or y
  local era = yy // 400
  local yoe = yy - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

-- Milliseconds since the epoch of a checked calendar time, or nil.
local function millis(y, mo, d, h, mi, s, frac, offset_minutes)
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if mo < 1 or mo > 12 or d < 1 or d > days_in_month(y, mo) or h > 23 or mi > 59 or s > 59 then
    return nil
  end
  local ms = tonumber(((frac or "") .. "000"):sub(1, 3))
  return ((civil_days(y, mo, d) * 24 + h) * 60 + mi - offset_minutes) * 60000 + s * 1000 + ms
end

-- "Z", "z" or "+HH:MM"/"-HH:MM" -> minutes east of UTC.
local function rfc_offset(text)
  if text == "Z" or text == "z" then return 0 end
  local sign, h, m = text:match("^([+-])(%d%d):(%d%d)$")
  if not sign or tonumber(h) > 23 or tonumber(m) > 59 then return nil end
  return (tonumber(h) * 60 + tonumber(m)) * (sign == "-" and -1 or 1)
end

-- Any offset spelling: Z, +HH, +HHMM, +HH:MM.
local function loose_offset(text)
  if text == "Z" or text == "z" then return 0 end
  local sign, h, m = text:match("^([+-])(%d%d):?(%d%d)$")
  if not sign then
    sign, h = text:match("^([+-])(%d%d)$")
    m = "00"
  end
  if not sign or tonumber(h) > 23 or tonumber(m) > 59 then return nil end
  return (tonumber(h) * 60 + tonumber(m)) * (sign == "-" and -1 or 1)
end

local DATE = "(%d%d%d%d)%-(%d%d)%-(%d%d)"

--- A strict RFC 3339 timestamp -> milliseconds since the epoch, or nil.
function V.parse_rfc3339(text)
  local y, mo, d, h, mi, s, rest = trim(text):match("^" .. DATE .. "[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  local frac = rest:match("^%.(%d+)")
  if frac then rest = rest:sub(#frac + 2) end
  local offset = rfc_offset(rest)
  if not offset then return nil end
  return millis(y, mo, d, h, mi, s, frac, offset)
end

--- A date bound or a date context value -> milliseconds since the epoch, or nil.
--- Besides RFC 3339 it reads a time without seconds, a timestamp without a zone
--- and a bare date (both as UTC, so a decision never depends on the host's zone).
--- A leap second (:60) is no instant.
function V.parse_instant(text)
  local s = trim(text)
  local time = s:match("T(.*)$")
  if time then
    local seconds = time:match("^[^:]*:[^:]*:([^:]*)")
    if seconds and seconds:gsub("%D+$", ""):sub(1, 2) == "60" then return nil end
  end
  local at = V.parse_rfc3339(s)
  if at then return at end
  local y, mo, d, h, mi, zone = s:match("^" .. DATE .. "T(%d%d):(%d%d)([Zz+-].*)$")
  if y then
    local offset = loose_offset(zone)
    return offset and millis(y, mo, d, h, mi, 0, nil, offset)
  end
  local sec, rest
  y, mo, d, h, mi, sec, rest = s:match("^" .. DATE .. "T(%d%d):(%d%d):(%d%d)(.*)$")
  if y and (rest == "" or rest:match("^%.%d+$")) then
    return millis(y, mo, d, h, mi, sec, rest:sub(2), 0)
  end
  y, mo, d, h, mi = s:match("^" .. DATE .. "T(%d%d):(%d%d)$")
  if y then return millis(y, mo, d, h, mi, 0, nil, 0) end
  y, mo, d = s:match("^" .. DATE .. "$")
  if y then return millis(y, mo, d, 0, 0, 0, nil, 0) end
  return nil
end

--- Does a date bound name its zone (Z, +HH:MM or +HHMM)? A bare timestamp would
--- mean a different instant on a host in another zone.
function V.has_zone(text)
  local s = trim(text)
  return s:sub(-1) == "Z" or s:match("[+-]%d%d:%d%d$") ~= nil or s:match("[+-]%d%d%d%d$") ~= nil
end

--- Milliseconds since the epoch -> "YYYY-MM-DDTHH:MM:SS.mmmZ".
function V.format_instant(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", ms // 1000) .. string.format(".%03dZ", ms % 1000)
end

-- ---- addresses ----------------------------------------------------------------------------

local function ipv4(s)
  local parts = { s:match("^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$") }
  if #parts ~= 4 then return nil end
  for i, p in ipairs(parts) do
    -- a leading zero could read as octal elsewhere: refused, never guessed
    if tonumber(p) > 255 or (#p > 1 and p:sub(1, 1) == "0") then return nil end
    parts[i] = tonumber(p)
  end
  return parts
end

local function ipv6(s)
  if s:find("[^%x:]") then return nil end
  local function groups(part)
    local out = {}
    if part == "" then return out end
    for g in (part .. ":"):gmatch("([^:]*):") do
      if #g < 1 or #g > 4 then return nil end
      out[#out + 1] = tonumber(g, 16)
    end
    return out
  end
  local head, tail = s, nil
  local gap = s:find("::", 1, true)
  if gap then
    head, tail = s:sub(1, gap - 1), s:sub(gap + 2)
    if tail:find("::", 1, true) then return nil end
  end
  local first, last = groups(head), groups(tail or "")
  if not first or not last then return nil end
  local missing = 8 - #first - #last
  if (gap and missing < 1) or (not gap and missing ~= 0) then return nil end
  local bytes = {}
  local function add(g) bytes[#bytes + 1] = g >> 8; bytes[#bytes + 1] = g & 0xff end
  for _, g in ipairs(first) do add(g) end
  for _ = 1, missing do add(0) end
  for _, g in ipairs(last) do add(g) end
  return bytes
end

--- An IPv4 or IPv6 address as bytes, or nil. IPv4 written inside IPv6
--- (::ffff:1.2.3.4) is refused: one address with two spellings could let a
--- policy and a client disagree on what it names.
function V.parse_ip(s)
  if type(s) ~= "string" then return nil end
  local v4 = ipv4(s)
  if v4 then return v4 end
  if s:find(".", 1, true) then return nil end
  return ipv6(s)
end

--- "addr/bits" (the prefix length is required) -> {bytes, bits}, or nil.
function V.parse_cidr(s)
  local addr, bits = s:match("^(.*)/(%d%d?%d?)$")
  if not addr then return nil end
  local bytes = V.parse_ip(addr)
  if not bytes or tonumber(bits) > #bytes * 8 then return nil end
  return { bytes = bytes, bits = tonumber(bits) }
end

--- Is `ip` inside `cidr`? nil when either is unreadable or the families differ.
function V.ip_in_cidr(ip, cidr)
  local net, bytes = V.parse_cidr(cidr), V.parse_ip(ip)
  if not net or not bytes or #bytes ~= #net.bytes then return nil end
  local left = net.bits
  for i = 1, #bytes do
    if left <= 0 then break end
    local take = left >= 8 and 8 or left
    local mask = (0xff << (8 - take)) & 0xff
    if bytes[i] & mask ~= net.bytes[i] & mask then return false end
    left = left - take
  end
  return true
end

-- ---- patterns -------------------------------------------------------------------------------

--- Like-patterns and resources share one rule: exact text, or one trailing `*`
--- meaning "starts with". A `*` anywhere else is no wildcard and no pattern.
function V.valid_pattern(p)
  local star = p:find("*", 1, true)
  if not star then return p ~= "" end
  return star == #p
end

function V.pattern_matches(p, text)
  if p:sub(-1) == "*" then
    local prefix = p:sub(1, -2)
    return text:sub(1, #prefix) == prefix
  end
  return p == text
end

return V
