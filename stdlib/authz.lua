--- @module assay.authz
--- @description In-process authorization engine: policy statements, grants at a scope with typed bounds, ABAC conditions, deny wins, fail closed. Pure computation: no I/O, no storage; the caller hands over the grants.
--- @category identity
--- @icon authz
--- @keywords authz, authorization, policy, permissions, abac, rbac, grants, scope, deny-wins, conditions, fail-closed
--- @quickref M.engine(opts) -> engine | Build an engine from grants, condition keys, scope kinds and an action catalogue; a bad catalogue is an error
--- @quickref e:check(subjects, action, resource, opts?) -> decision | {allowed, decision, reason, allowed_by_stored_grants}; opts: scope_chain, context, source_ip, now, bypass
--- @quickref e:validate(statements) -> statements or nil, err | Refuse a statement or condition the engine could never evaluate
--- @quickref e:validate_bounds(bounds) -> bounds or nil, err | The same check for a grant's bounds
--- @quickref e:describe() -> descriptor | The declared vocabulary (condition keys, operators, scope kinds, actions) as data
--- @quickref e:grants_for(subjects, scope_chain?) -> grants | The grants that apply over a chain, for a "why" view

-- Every doubt ends in less access: an allow whose condition cannot be evaluated
-- (unknown key or operator, a value of the wrong type, a key the request does not
-- carry) does not apply, while a deny in the same doubt still does.

local M = {}

-- Operator -> the key type it works on. The set is closed on purpose: a policy
-- that names anything else is refused, never guessed at.
local OPERATORS = {
  StringEquals = "string", StringNotEquals = "string", StringLike = "string",
  StringIn = "string", StringNotIn = "string", StringLikeIn = "string",
  NumericLessThan = "number", NumericGreaterThan = "number",
  DateLessThan = "date", DateGreaterThan = "date",
  IpAddress = "ip", NotIpAddress = "ip",
}
local SET_OPERATORS = { StringIn = true, StringNotIn = true, StringLikeIn = true }
local KEY_TYPES = { string = true, number = true, date = true, ip = true }
-- Keys every check fills in itself.
local REQUEST_KEYS = {
  ["request:Time"] = { type = "date" },
  ["request:HourUTC"] = { type = "number" },
  ["request:SourceIp"] = { type = "ip" },
}

local function is_list(t)
  return type(t) == "table" and (next(t) == nil or t[1] ~= nil)
end

-- ---- values of each key type --------------------------------------------------

-- RFC 3339 to seconds since the epoch (fractions kept); nil when it is not one.
local function parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  local frac = rest:match("^%.%d+") or ""
  rest = rest:sub(#frac + 1)
  local offset
  if rest == "Z" or rest == "z" then
    offset = 0
  else
    local sign, oh, om = rest:match("^([+-])(%d%d):(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 60 + tonumber(om)) * 60 * (sign == "-" and -1 or 1)
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  h, mi, sec = tonumber(h), tonumber(mi), tonumber(sec)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then return nil end
  -- days from the civil date (proleptic Gregorian)
  local yy = mo <= 2 and y - 1 or y
  local era = yy // 400
  local yoe = yy - era * 400
  local doy = (153 * (mo + (mo > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + h * 3600 + mi * 60 + sec + (tonumber("0" .. frac) or 0) - offset
end

local function parse_ipv4(s)
  local parts = { s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then return nil end
  for i, p in ipairs(parts) do
    local n = tonumber(p)
    if n > 255 or (#p > 1 and p:sub(1, 1) == "0") then return nil end
    parts[i] = n
  end
  return parts
end

local function parse_ipv6(s)
  if not s:find(":", 1, true) or s:find("[^%x:]") then return nil end
  local head, tail = s, nil
  local gap = s:find("::", 1, true)
  if gap then
    head, tail = s:sub(1, gap - 1), s:sub(gap + 2)
    if tail:find("::", 1, true) then return nil end
  end
  local function groups(part)
    local out = {}
    if part == "" then return out end
    for g in (part .. ":"):gmatch("([^:]*):") do
      if #g < 1 or #g > 4 then return nil end
      out[#out + 1] = tonumber(g, 16)
    end
    return out
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

local function parse_ip(s)
  if type(s) ~= "string" then return nil end
  return parse_ipv4(s) or parse_ipv6(s)
end

-- "10.0.0.0/8" or a single address -> {bytes, prefix bits}
local function parse_cidr(s)
  if type(s) ~= "string" then return nil end
  local addr, bits = s:match("^([^/]+)/(%d+)$")
  local bytes = parse_ip(addr or s)
  if not bytes then return nil end
  local prefix = bits and tonumber(bits) or #bytes * 8
  if prefix > #bytes * 8 then return nil end
  return { bytes = bytes, prefix = prefix }
end

local function in_cidr(bytes, cidr)
  if #bytes ~= #cidr.bytes then return false end
  local left = cidr.prefix
  for i = 1, #bytes do
    if left <= 0 then return true end
    local take = left >= 8 and 8 or left
    local mask = (0xff << (8 - take)) & 0xff
    if bytes[i] & mask ~= cidr.bytes[i] & mask then return false end
    left = left - take
  end
  return true
end

-- `*` is any run of characters, `?` one character. Linear in practice: one
-- remembered star, no recursion.
local function like(s, pattern)
  local si, pi, star, mark = 1, 1, nil, 0
  while si <= #s do
    local pc = pattern:sub(pi, pi)
    if pc == "?" or (pc ~= "*" and pc == s:sub(si, si)) then
      si, pi = si + 1, pi + 1
    elseif pc == "*" then
      star, mark, pi = pi, si, pi + 1
    elseif star then
      pi, mark = star + 1, mark + 1
      si = mark
    else
      return false
    end
  end
  while pattern:sub(pi, pi) == "*" do pi = pi + 1 end
  return pi > #pattern
end

-- ---- conditions -----------------------------------------------------------------

local function condition_error(keys, c)
  if type(c) ~= "table" then return "a condition must be a table" end
  local op, key = c.operator, c.key
  local wants = OPERATORS[op]
  if not wants then return "unknown operator " .. tostring(op) end
  if type(key) ~= "string" or not keys[key] then return "undeclared condition key " .. tostring(key) end
  if keys[key].type ~= wants then
    return op .. " does not apply to " .. key .. " (a " .. keys[key].type .. " key)"
  end
  if SET_OPERATORS[op] then
    if c.value ~= nil then return op .. " takes values, not value" end
    if not is_list(c.values) then return op .. " needs values, a list of strings" end
    for _, v in ipairs(c.values) do
      if type(v) ~= "string" then return op .. " needs values, a list of strings" end
    end
    return nil
  end
  if c.values ~= nil then return op .. " takes value, not values" end
  local v = c.value
  if wants == "string" and type(v) ~= "string" then return op .. " needs a string value" end
  if wants == "number" and math.type(v) == nil then return op .. " needs a number value" end
  if wants == "date" and not parse_time(v) then return op .. " needs an RFC 3339 time value" end
  if wants == "ip" and not parse_cidr(v) then return op .. " needs an IP address or CIDR value" end
  return nil
end

-- The context value as the list of strings string operators compare.
local function strings_of(v)
  if type(v) == "table" then
    local out = {}
    for i, item in ipairs(v) do out[i] = item end
    return out
  end
  return { v }
end

local function render(v)
  if math.type(v) == "float" and v == math.floor(v) and v == v then return string.format("%d", v) end
  return tostring(v)
end

local function any(list, test)
  for _, v in ipairs(list) do if test(v) then return true end end
  return false
end

-- true/false, or nil when it cannot be evaluated
local function evaluate(keys, c, context)
  if condition_error(keys, c) then return nil end
  local key, op = keys[c.key], c.operator
  local raw = context[c.key]
  if raw == nil then return nil end
  if key.type == "string" then
    local fold = key.lowercase and string.lower or function(s) return s end
    local items = strings_of(raw)
    local function text(v) return fold(render(v)) end
    local function equal(v, want) return type(v) == "string" and fold(v) == fold(want) end
    if op == "StringEquals" then return any(items, function(v) return equal(v, c.value) end) end
    if op == "StringNotEquals" then return not any(items, function(v) return equal(v, c.value) end) end
    if op == "StringLike" then return any(items, function(v) return like(text(v), fold(c.value)) end) end
    local function listed(v) return any(c.values, function(w) return text(v) == fold(w) end) end
    if op == "StringIn" then return any(items, listed) end
    if op == "StringNotIn" then return not any(items, listed) end
    return any(items, function(v) return any(c.values, function(w) return like(text(v), fold(w)) end) end)
  elseif key.type == "number" then
    if math.type(raw) == nil then return nil end
    if op == "NumericLessThan" then return raw < c.value end
    return raw > c.value
  elseif key.type == "date" then
    local t = parse_time(raw)
    if not t then return nil end
    if op == "DateLessThan" then return t < parse_time(c.value) end
    return t > parse_time(c.value)
  end
  local bytes = parse_ip(raw)
  if not bytes then return nil end
  local inside = in_cidr(bytes, parse_cidr(c.value))
  if op == "IpAddress" then return inside end
  return not inside
end

-- ---- statements -------------------------------------------------------------------

local function resource_matches(pattern, resource)
  if type(pattern) ~= "string" then return false end
  local star = pattern:find("*", 1, true)
  if not star then return pattern == resource end
  if star ~= #pattern then return false end  -- only a trailing `*` means anything
  return resource:sub(1, star - 1) == pattern:sub(1, star - 1)
end

local function statement_error(self, s)
  if type(s) ~= "table" then return "a statement must be a table" end
  if s.effect ~= "allow" and s.effect ~= "deny" then return "effect must be \"allow\" or \"deny\"" end
  if not is_list(s.actions) or #s.actions == 0 then return "actions must be a non-empty list" end
  for _, a in ipairs(s.actions) do
    if type(a) ~= "string" or a == "" then return "an action must be a non-empty string" end
    if a:find("*", 1, true) then return "action " .. a .. ": actions take no wildcard" end
    if self.declared and not self.declared[a] then return "undeclared action " .. a end
  end
  if not is_list(s.resources) or #s.resources == 0 then return "resources must be a non-empty list" end
  for _, r in ipairs(s.resources) do
    if type(r) ~= "string" or r == "" then return "a resource must be a non-empty string" end
    local star = r:find("*", 1, true)
    if star and star ~= #r then return "resource " .. r .. ": only a trailing * is allowed" end
  end
  if s.conditions ~= nil and not is_list(s.conditions) then return "conditions must be a list" end
  for _, c in ipairs(s.conditions or {}) do
    local err = condition_error(self.keys, c)
    if err then return err end
  end
  return nil
end

-- Does the statement name `action` or an action it derives from?
local function covers(self, actions, action)
  local seen = 0
  local a = action
  while a ~= nil and seen <= self.action_count do
    for _, named in ipairs(actions) do
      if named == a then return true end
    end
    a = self.parent[a]
    seen = seen + 1
  end
  return false
end

-- Conditions all true. `strict`: an unevaluable one counts as false (allows);
-- otherwise as true (denies keep standing).
local function conditions_hold(keys, conditions, context, strict)
  if conditions ~= nil and not is_list(conditions) then return not strict end
  for _, c in ipairs(conditions or {}) do
    local ok = evaluate(keys, c, context)
    if ok == nil then
      if strict then return false end
    elseif not ok then
      return false
    end
  end
  return true
end

-- ---- the engine ----------------------------------------------------------------------

local Engine = {}
Engine.__index = Engine

local function same(a, b)
  return type(a) == "table" and type(b) == "table" and type(a.kind) == "string"
    and a.kind == b.kind and type(a.id) == "string" and a.id == b.id
end

local function chain_problem(self, chain)
  if not is_list(chain) then return "malformed_scope_chain" end
  for _, scope in ipairs(chain) do
    if type(scope) ~= "table" or type(scope.kind) ~= "string" or scope.kind == ""
        or type(scope.id) ~= "string" or scope.id == "" then
      return "malformed_scope_chain"
    end
    if self.scope_kinds and not self.scope_kinds[scope.kind] then return "undeclared_scope_kind" end
  end
  return nil
end

local function applying(self, subjects, chain)
  local out = {}
  for _, entry in ipairs(self.grants) do
    local g = entry.grant
    if type(g) == "table" and any(subjects, function(s) return same(s, g.subject) end)
        and any(chain, function(scope) return same(scope, g.scope) end) then
      out[#out + 1] = entry
    end
  end
  return out
end

function M.engine(opts)
  if opts ~= nil and type(opts) ~= "table" then error("authz.engine: opts must be a table", 2) end
  opts = opts or {}
  local self = setmetatable({ keys = {}, parent = {}, grants = {}, action_count = 0 }, Engine)
  for key, spec in pairs(REQUEST_KEYS) do self.keys[key] = spec end
  for key, spec in pairs(opts.condition_keys or {}) do
    if type(key) ~= "string" or type(spec) ~= "table" or not KEY_TYPES[spec.type] then
      error("authz.engine: condition key " .. tostring(key) .. ": type must be string, number, date or ip", 2)
    end
    self.keys[key] = { type = spec.type, lowercase = spec.lowercase == true }
  end
  if opts.scope_kinds ~= nil then
    self.scope_kinds = {}
    for _, k in ipairs(opts.scope_kinds) do self.scope_kinds[k] = true end
  end
  self.default_chain = opts.default_scope_chain or {}
  if opts.actions ~= nil then
    self.declared = {}
    for _, a in ipairs(opts.actions) do
      local name = type(a) == "table" and a.action
      if type(name) ~= "string" or name == "" or name:find("*", 1, true) then
        error("authz.engine: every action needs a name without wildcards", 2)
      end
      if self.declared[name] then error("authz.engine: duplicate action " .. name, 2) end
      self.declared[name] = true
      self.parent[name] = a.derives_from
    end
    for name, parent in pairs(self.parent) do
      if not self.declared[parent] then
        error("authz.engine: action " .. name .. " derives from undeclared " .. tostring(parent), 2)
      end
    end
  end
  for child, parent in pairs(opts.action_derivation or {}) do
    if type(child) ~= "string" or type(parent) ~= "string" or child:find("*", 1, true) or parent:find("*", 1, true) then
      error("authz.engine: action_derivation maps action names (no wildcards) to action names", 2)
    end
    self.parent[child] = parent
  end
  for name in pairs(self.parent) do
    self.action_count = self.action_count + 1
    local seen, a = {}, name
    while a ~= nil do
      if seen[a] then error("authz.engine: action derivation has a cycle through " .. a, 2) end
      seen[a] = true
      a = self.parent[a]
    end
  end
  for _, g in ipairs(opts.grants or {}) do self.grants[#self.grants + 1] = { grant = g, stored = true } end
  for _, g in ipairs(opts.synthesized_grants or {}) do self.grants[#self.grants + 1] = { grant = g, stored = false } end
  return self
end

local function decision(allowed, reason, stored)
  return { allowed = allowed, decision = allowed and "allow" or "deny", reason = reason,
           allowed_by_stored_grants = stored or false }
end

function Engine:check(subjects, action, resource, opts)
  if type(action) ~= "string" or type(resource) ~= "string" then
    error("authz: check(subjects, action, resource, opts?): action and resource must be strings", 2)
  end
  opts = opts or {}
  if opts.bypass == true then return decision(true, "admin_bypass") end
  if not is_list(subjects) then return decision(false, "no_matching_grant") end
  local chain = opts.scope_chain or self.default_chain
  local problem = chain_problem(self, chain)
  if problem then return decision(false, problem) end

  local now = opts.now
  local now_secs = now == nil and os.time() or parse_time(now)
  if not now_secs then error("authz: check: now must be an RFC 3339 time", 2) end
  local context = {}
  for k, v in pairs(opts.context or {}) do context[k] = v end
  context["request:Time"] = now or os.date("!%Y-%m-%dT%H:%M:%SZ", now_secs)
  context["request:HourUTC"] = math.floor(now_secs // 3600 % 24)
  context["request:SourceIp"] = opts.source_ip  -- absent: a condition on it fails closed

  local allowed, stored = false, false
  for _, entry in ipairs(applying(self, subjects, chain)) do
    local g = entry.grant
    for _, s in ipairs(is_list(g.statements) and g.statements or {}) do
      local deny = type(s) == "table" and s.effect == "deny"
      if type(s) == "table" and is_list(s.actions) and is_list(s.resources)
          and covers(self, s.actions, action)
          and any(s.resources, function(r) return resource_matches(r, resource) end) then
        if deny then
          if conditions_hold(self.keys, s.conditions, context, false) then
            return decision(false, "explicit_deny")
          end
        elseif s.effect == "allow" and not statement_error(self, s)
            and conditions_hold(self.keys, s.conditions, context, true)
            and conditions_hold(self.keys, g.bounds, context, true) then
          allowed = true
          stored = stored or entry.stored
        end
      end
    end
  end
  if allowed then return decision(true, "allowed", stored) end
  return decision(false, "no_matching_grant")
end

function Engine:validate(statements)
  if not is_list(statements) then return nil, "statements must be a list" end
  for i, s in ipairs(statements) do
    local err = statement_error(self, s)
    if err then return nil, "statement " .. i .. ": " .. err end
  end
  return statements
end

function Engine:validate_bounds(bounds)
  if not is_list(bounds) then return nil, "bounds must be a list" end
  for i, c in ipairs(bounds) do
    local err = condition_error(self.keys, c)
    if err then return nil, "bound " .. i .. ": " .. err end
  end
  return bounds
end

function Engine:describe()
  local keys, operators, kinds, actions = {}, {}, nil, {}
  for k, spec in pairs(self.keys) do keys[k] = { type = spec.type, lowercase = spec.lowercase or false } end
  for op, t in pairs(OPERATORS) do
    operators[t] = operators[t] or {}
    table.insert(operators[t], op)
  end
  for _, list in pairs(operators) do table.sort(list) end
  if self.scope_kinds then
    kinds = {}
    for k in pairs(self.scope_kinds) do kinds[#kinds + 1] = k end
    table.sort(kinds)
  end
  local names = {}
  for name in pairs(self.declared or {}) do names[#names + 1] = name end
  for name in pairs(self.parent) do if not (self.declared or {})[name] then names[#names + 1] = name end end
  table.sort(names)
  for _, name in ipairs(names) do actions[#actions + 1] = { action = name, derives_from = self.parent[name] } end
  return { condition_keys = keys, operators = operators, scope_kinds = kinds, actions = actions }
end

function Engine:grants_for(subjects, scope_chain)
  local chain = scope_chain or self.default_chain
  if not is_list(subjects) or chain_problem(self, chain) then return {} end
  local out = {}
  for _, entry in ipairs(applying(self, subjects, chain)) do out[#out + 1] = entry.grant end
  return out
end

return M
