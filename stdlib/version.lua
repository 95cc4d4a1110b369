--- @module assay.version
--- @description Version comparison across schemes: semver (default), Debian (dpkg), RPM (rpmvercmp) and plain dotted numbers. Compare, pick the newest, sort.
--- @category core
--- @icon tag
--- @keywords version, semver, debian, dpkg, rpm, compare, sort, newest, latest, upgrade
--- @quickref M.compare(a, b, scheme?) -> -1|0|1 | Compare two versions; scheme "semver" (default), "debian", "rpm" or "numeric"
--- @quickref M.max(list, scheme?) -> string|nil | The newest version in the list (nil for an empty list)
--- @quickref M.sort(list, scheme?) -> list | A new list, oldest first
--- @quickref M.satisfies(v, op, other, scheme?) -> bool | v <op> other with op one of < <= = == ~= != >= >

local M = {}

local function cmp(x, y)
  if x < y then return -1 end
  if x > y then return 1 end
  return 0
end

-- Compare digit strings as numbers of any length (leading zeros ignored).
local function cmp_digits(x, y)
  x, y = x:gsub("^0+", ""), y:gsub("^0+", "")
  if #x ~= #y then return cmp(#x, #y) end
  return cmp(x, y)
end

-- ---- semver -------------------------------------------------------------------------

local function semver_parts(v)
  v = v:gsub("^%s+", ""):gsub("%s+$", ""):gsub("^[vV]", ""):gsub("%+.*$", "")
  local core, pre = v:match("^([^%-]*)%-(.*)$")
  if not core then core = v end
  local nums = {}
  for part in (core .. "."):gmatch("([^.]*)%.") do nums[#nums + 1] = part end
  local ids = nil
  if pre then
    ids = {}
    for part in (pre .. "."):gmatch("([^.]*)%.") do ids[#ids + 1] = part end
  end
  return nums, ids
end

local function cmp_segment(x, y)
  local xd, yd = x:match("^%d+$"), y:match("^%d+$")
  if xd and yd then return cmp_digits(x, y) end
  if xd then return -1 end -- numeric identifiers sort before alphanumeric ones
  if yd then return 1 end
  return cmp(x, y)
end

local function semver(a, b)
  local an, ap = semver_parts(a)
  local bn, bp = semver_parts(b)
  for i = 1, math.max(#an, #bn) do
    local r = cmp_segment(an[i] or "0", bn[i] or "0")
    if r ~= 0 then return r end
  end
  if ap == nil and bp == nil then return 0 end
  if ap == nil then return 1 end -- a release is newer than its pre-releases
  if bp == nil then return -1 end
  for i = 1, math.max(#ap, #bp) do
    if ap[i] == nil then return -1 end
    if bp[i] == nil then return 1 end
    local r = cmp_segment(ap[i], bp[i])
    if r ~= 0 then return r end
  end
  return 0
end

-- ---- dpkg ---------------------------------------------------------------------------

-- dpkg's character order: "~" before everything (even the end), then the end, letters, others.
local function order(ch)
  if ch == nil or ch == "" then return 0 end
  if ch == "~" then return -1 end
  if ch:match("%a") then return ch:byte() end
  return ch:byte() + 256
end

local function dpkg_part(a, b)
  local i, j = 1, 1
  while i <= #a or j <= #b do
    -- non-digit run
    while (i <= #a and not a:sub(i, i):match("%d")) or (j <= #b and not b:sub(j, j):match("%d")) do
      local ca = i <= #a and not a:sub(i, i):match("%d") and a:sub(i, i) or nil
      local cb = j <= #b and not b:sub(j, j):match("%d") and b:sub(j, j) or nil
      local r = cmp(order(ca), order(cb))
      if r ~= 0 then return r end
      if ca then i = i + 1 end
      if cb then j = j + 1 end
    end
    local da = a:match("^%d*", i)
    local db = b:match("^%d*", j)
    local r = cmp_digits(da ~= "" and da or "0", db ~= "" and db or "0")
    if r ~= 0 then return r end
    i, j = i + #da, j + #db
  end
  return 0
end

local function debian_parts(v)
  v = v:gsub("^%s+", ""):gsub("%s+$", "")
  local epoch, rest = v:match("^(%d+):(.*)$")
  if not epoch then epoch, rest = "0", v end
  local upstream, revision = rest:match("^(.*)%-([^%-]*)$")
  if not upstream then upstream, revision = rest, "" end
  return epoch, upstream, revision
end

local function debian(a, b)
  local ea, ua, ra = debian_parts(a)
  local eb, ub, rb = debian_parts(b)
  local r = cmp_digits(ea, eb)
  if r ~= 0 then return r end
  r = dpkg_part(ua, ub)
  if r ~= 0 then return r end
  return dpkg_part(ra, rb)
end

-- ---- rpm ----------------------------------------------------------------------------

local function rpm(a, b)
  if a == b then return 0 end
  local sa, sb = {}, {}
  -- separators are ignored; each alphanumeric run splits into digit and letter segments
  local function segments(v, out)
    for seg in v:gmatch("%w+") do
      local pos = 1
      while pos <= #seg do
        local d = seg:match("^%d+", pos)
        local l = seg:match("^%a+", pos)
        local piece = d or l
        out[#out + 1] = piece
        pos = pos + #piece
      end
    end
  end
  segments(a, sa)
  segments(b, sb)
  for i = 1, math.min(#sa, #sb) do
    local x, y = sa[i], sb[i]
    local xd, yd = x:match("^%d"), y:match("^%d")
    if xd and not yd then return 1 end -- a number segment is newer than a letter segment
    if yd and not xd then return -1 end
    local r = xd and cmp_digits(x, y) or cmp(x, y)
    if r ~= 0 then return r end
  end
  return cmp(#sa, #sb)
end

-- ---- numeric ------------------------------------------------------------------------

local function numeric(a, b)
  local function parts(v)
    local out = {}
    v = v:gsub("^%s+", ""):gsub("%s+$", "")
    for part in (v .. "."):gmatch("([^.]*)%.") do
      if not part:match("^%d+$") then
        error("version.compare: '" .. v .. "' is not a dotted numeric version", 0)
      end
      out[#out + 1] = part
    end
    return out
  end
  local pa, pb = parts(a), parts(b)
  for i = 1, math.max(#pa, #pb) do
    local r = cmp_digits(pa[i] or "0", pb[i] or "0")
    if r ~= 0 then return r end
  end
  return 0
end

local SCHEMES = { semver = semver, debian = debian, rpm = rpm, numeric = numeric }

local function scheme_fn(scheme, who)
  local fn = SCHEMES[scheme or "semver"]
  if not fn then
    error(who .. ": unknown scheme '" .. tostring(scheme) .. "' (semver, debian, rpm, numeric)", 3)
  end
  return fn
end

local function check(v, who)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then error(who .. ": versions must be strings, got " .. type(v), 3) end
  return v
end

function M.compare(a, b, scheme)
  local fn = scheme_fn(scheme, "version.compare")
  return fn(check(a, "version.compare"), check(b, "version.compare"))
end

function M.max(list, scheme)
  if type(list) ~= "table" then error("version.max: expected a list of versions", 2) end
  local fn = scheme_fn(scheme, "version.max")
  local best = nil
  for _, v in ipairs(list) do
    v = check(v, "version.max")
    if best == nil or fn(v, best) > 0 then best = v end
  end
  return best
end

function M.sort(list, scheme)
  if type(list) ~= "table" then error("version.sort: expected a list of versions", 2) end
  local fn = scheme_fn(scheme, "version.sort")
  local out = {}
  for i, v in ipairs(list) do out[i] = check(v, "version.sort") end
  table.sort(out, function(x, y) return fn(x, y) < 0 end)
  return out
end

local OPS = {
  ["<"] = function(r) return r < 0 end, ["<="] = function(r) return r <= 0 end,
  ["="] = function(r) return r == 0 end, ["=="] = function(r) return r == 0 end,
  ["~="] = function(r) return r ~= 0 end, ["!="] = function(r) return r ~= 0 end,
  [">="] = function(r) return r >= 0 end, [">"] = function(r) return r > 0 end,
}

function M.satisfies(v, op, other, scheme)
  local test = OPS[op]
  if not test then error("version.satisfies: unknown operator '" .. tostring(op) .. "'", 2) end
  local fn = scheme_fn(scheme, "version.satisfies")
  return test(fn(check(v, "version.satisfies"), check(other, "version.satisfies")))
end

return M
