"""`assert.eq/ne/gt/lt/contains/not_nil/matches`.

The assertions are written in Lua (below): they are tiny, `matches` must use
Lua's own `string.find`, and the optional message needs Lua's `tostring`. Python
only renders values for failure messages the way the original does (Rust's
`Display` for numbers, `Debug` quoting for strings).

The `assert` table also gets a `__call` metamethod behaving like Lua's standard
`assert(v, message, ...)`, so both styles work.
"""
import math

ASSERT_LUA = r"""
local A, internals = ...
local py_render = A._render
A._render = nil
local type, tostring, error, select, pcall, setmetatable =
  type, tostring, error, select, pcall, setmetatable
local math_type, find, match = math.type, string.find, string.match
local EPSILON = 2.220446049250313e-16

local function render(v, quoted)
  return py_render(v, quoted, type(v))
end

local function suffix(msg)
  if msg == nil then return "" end
  return " - " .. tostring(msg)
end

-- the original's equality: nil = nil, booleans by value, integers exactly, any float
-- involved: |a - b| < EPSILON, strings byte-wise; everything else (tables,
-- even a table with itself; "1" vs 1) is unequal.
local function equal(a, b)
  local ta = type(a)
  if ta ~= type(b) then return false end
  if ta == "nil" then return true end
  if ta == "boolean" or ta == "string" then return a == b end
  if ta == "number" then
    if math_type(a) == "integer" and math_type(b) == "integer" then return a == b end
    local d = (a + 0.0) - (b + 0.0)
    if d < 0 then d = -d end
    return d < EPSILON
  end
  return false
end

function A.eq(a, b, msg)
  if not equal(a, b) then
    error("assert.eq failed: " .. render(a, true) .. " != " .. render(b, true) .. suffix(msg), 0)
  end
end

function A.ne(a, b, msg)
  if equal(a, b) then
    error("assert.ne failed: " .. render(a, true) .. " == " .. render(b, true) .. suffix(msg), 0)
  end
end

function A.gt(a, b, msg)
  if type(a) ~= "number" or type(b) ~= "number" then
    error("assert.gt: both arguments must be numbers", 0)
  end
  if not (a > b) then
    error("assert.gt failed: " .. render(a, false) .. " is not > " .. render(b, false) .. suffix(msg), 0)
  end
end

function A.lt(a, b, msg)
  if type(a) ~= "number" or type(b) ~= "number" then
    error("assert.lt: both arguments must be numbers", 0)
  end
  if not (a < b) then
    error("assert.lt failed: " .. render(a, false) .. " is not < " .. render(b, false) .. suffix(msg), 0)
  end
end

function A.contains(s, sub, msg)
  if type(s) ~= "string" then error("assert.contains: first argument must be a string", 0) end
  if type(sub) ~= "string" then error("assert.contains: second argument must be a string", 0) end
  if not find(s, sub, 1, true) then
    error("assert.contains failed: " .. render(s, true) .. " does not contain " .. render(sub, true)
          .. suffix(msg), 0)
  end
end

function A.not_nil(v, msg)
  if v == nil then error("assert.not_nil failed: value is nil" .. suffix(msg), 0) end
end

function A.matches(s, pattern, msg)
  if type(s) ~= "string" then error("assert.matches: first argument must be a string", 0) end
  if type(pattern) ~= "string" then
    error("assert.matches: second argument must be a pattern string", 0)
  end
  local ok, found = pcall(find, s, pattern)
  if not ok then
    local detail = tostring(found)
    detail = match(detail, "^bad argument #%d+ to '[^']*' %((.*)%)$") or detail
    error("assert.matches: pattern error: " .. detail, 0)
  end
  if found == nil then
    error("assert.matches failed: " .. render(s, true) .. " does not match pattern "
          .. render(pattern, true) .. suffix(msg), 0)
  end
end

-- Lua's standard assert(v, message, ...): all arguments back on success; else
-- raise `message` as it is (no position), or "assertion failed!" without one.
setmetatable(A, { __call = function(_, ...)
  local n = select("#", ...)
  if n == 0 then error("bad argument #1 to 'assert' (value expected)", 0) end
  if (...) then return ... end
  if n < 2 then error("assertion failed!", 0) end
  error((select(2, ...)), 0)
end })
"""


def rust_float(f):
    """Rust's `Display` for f64: shortest round-trip digits, never an exponent, no `.0`."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    text = repr(f)
    if "e" in text:
        from decimal import Decimal  # only for failure messages: keep it off the start path
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def rust_debug(text):
    """Rust's `Debug` for a str: double-quoted, with Rust's escapes."""
    out = ['"']
    for c in text:
        cp = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c == "\0":
            out.append("\\0")
        elif 0xDC80 <= cp <= 0xDCFF:  # an invalid UTF-8 byte (surrogateescape)
            out.append("\\x%02x" % (cp - 0xDC00))
        elif cp < 0x20 or cp == 0x7F or (cp > 0x7F and _escaped_unicode(c)):
            out.append("\\u{%x}" % cp)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _escaped_unicode(c):
    # Rust escapes non-printable characters and grapheme extenders
    import unicodedata
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me")


def render(value, quoted=False, kind=None):
    """A value as the original shows it in failure messages.

    `kind` is the value's Lua type name (lupa presents coroutines as functions).
    """
    if value is None:
        text = "nil"
    elif value is True or value is False:
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = rust_float(value)
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "surrogateescape")
    else:
        if isinstance(kind, bytes):
            kind = kind.decode("ascii", "replace")
        text = "<%s>" % (kind or "userdata")
    return rust_debug(text) if quoted else text


def install(bridge):
    bridge.define("assert", {"_render": render}, lua=ASSERT_LUA)
