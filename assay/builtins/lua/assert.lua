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
