--- @module assay.authz
--- @description In-process authorization engine: policy statements, grants at a scope with typed bounds, ABAC conditions, deny wins, fail closed. Pure computation: no I/O, no storage; the caller hands over the grants.
--- @category identity
--- @icon authz
--- @keywords authz, authorization, policy, permissions, abac, rbac, grants, scope, deny-wins, conditions, fail-closed
--- @quickref M.engine(opts) -> engine | Build an engine from grants, condition keys, scope kinds and an action catalogue; a bad catalogue or grant shape is an error
--- @quickref e:check(subjects, action, resource, opts?) -> decision | {allowed, decision, reason, allowed_by_stored_grants}; opts: scope_chain, context, source_ip, now, bypass
--- @quickref e:validate(statements) -> statements or nil, err | Refuse a statement or condition the engine could never evaluate; returns them normalized
--- @quickref e:validate_bounds(bounds) -> bounds or nil, err | The same check for a grant's bounds
--- @quickref e:describe() -> descriptor | The declared vocabulary as data: version, actions, actionClosures, conditionKeys, scopeKinds, setOperators
--- @quickref e:grants_for(subjects, scope_chain?) -> grants | The grants that apply over a chain, for a "why" view

-- Every doubt ends in less access. A condition that cannot be evaluated (an
-- unknown key or operator, a value of the wrong shape, a key the request does
-- not carry) is "unmatchable": an allow needs a clean match, so it does not
-- apply, while a deny fires on anything but a clean "no".

local V = require("assay._authz_values")

local M = {}

-- The closed operator set, in the order describe() lists it, each with the one
-- key type it tests. Anything else in a policy is refused, never guessed at.
local OPERATORS = {
  { "StringEquals", "string" }, { "StringNotEquals", "string" }, { "StringLike", "string" },
  { "StringIn", "string" }, { "StringNotIn", "string" }, { "StringLikeIn", "string" },
  { "NumericLessThan", "number" }, { "NumericGreaterThan", "number" },
  { "DateLessThan", "date" }, { "DateGreaterThan", "date" },
  { "IpAddress", "ip" }, { "NotIpAddress", "ip" },
}
local OP_TYPE = {}
for _, op in ipairs(OPERATORS) do OP_TYPE[op[1]] = op[2] end
-- Operators whose bound is a list (`values`), so an allowlist is one condition.
local SET_OPERATORS = { "StringIn", "StringNotIn", "StringLikeIn" }
local IS_SET = { StringIn = true, StringNotIn = true, StringLikeIn = true }
local KEY_TYPES = { string = true, number = true, date = true, ip = true }

-- Keys every check fills in itself. A host cannot redeclare them.
local BUILTIN_KEYS = {
  ["request:Time"] = { type = "date", title = "Time of the check",
                       description = "When the check runs (RFC 3339, UTC)." },
  ["request:HourUTC"] = { type = "number", title = "Hour of the day (UTC)",
                          description = "0 to 23, from the time of the check." },
  ["request:SourceIp"] = { type = "ip", title = "Caller's address",
                           description = "The source IP the host passes to check(); matched against a CIDR." },
}

-- A Lua sequence 1..n (the empty table counts: in assay `{}` is an empty list).
local function is_list(t)
  if type(t) ~= "table" then return false end
  local count, top = 0, 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    count = count + 1
    if k > top then top = k end
  end
  return top == count
end

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

-- {kind, id} with two non-empty strings, or nil for anything else.
local function kind_id(v)
  if type(v) ~= "table" or type(v.kind) ~= "string" or v.kind == ""
      or type(v.id) ~= "string" or v.id == "" then
    return nil
  end
  return { kind = v.kind, id = v.id }
end

local function same(a, b)
  return a ~= nil and b ~= nil and a.kind == b.kind and a.id == b.id
end

-- ---- context values ---------------------------------------------------------------

-- A context value by shape. A table is a list of strings read positionally (so
-- `{}` holds nothing); strings, numbers and booleans stay what they are.
local function context_value(v)
  if type(v) == "table" then
    local items = {}
    for i, item in ipairs(v) do
      if type(item) == "number" then item = V.number_text(item)
      elseif type(item) ~= "string" then item = type(item) == "boolean" and tostring(item) or type(item) end
      items[i] = item
    end
    return { kind = "list", items = items }
  end
  if type(v) == "string" then return { kind = "text", s = v } end
  if type(v) == "number" then return { kind = "number", n = v } end
  if type(v) == "boolean" then return { kind = "bool", b = v } end
  return { kind = "opaque", s = type(v) }
end

-- The texts pattern and set operators compare: numbers as JavaScript writes them.
local function texts(cv)
  if cv.kind == "list" then return cv.items end
  if cv.kind == "number" then return { V.number_text(cv.n) } end
  if cv.kind == "bool" then return { tostring(cv.b) } end
  return { cv.s }
end

local function lowered(cv)
  if cv.kind == "text" then return { kind = "text", s = cv.s:lower() } end
  if cv.kind == "list" then
    local items = {}
    for i, item in ipairs(cv.items) do items[i] = item:lower() end
    return { kind = "list", items = items }
  end
  return cv
end

local function any(list, test)
  for _, v in ipairs(list) do if test(v) then return true end end
  return false
end

-- ---- conditions --------------------------------------------------------------------

-- The condition if its shape is readable, else nil. Exactly one bound: a set
-- operator takes `values` (non-empty strings), every other one a string `value`.
local function readable(keys, c)
  if type(c) ~= "table" or type(c.operator) ~= "string" or type(c.key) ~= "string" then return nil end
  local wants = OP_TYPE[c.operator]
  if not wants then return nil end
  if IS_SET[c.operator] then
    if c.value ~= nil or not is_list(c.values) or #c.values == 0 then return nil end
    for _, v in ipairs(c.values) do
      if type(v) ~= "string" or v == "" then return nil end
    end
  elseif c.values ~= nil or type(c.value) ~= "string" then
    return nil
  end
  local spec = keys[c.key]
  if not spec or spec.type ~= wants then return nil end
  return c
end

-- true / false, or nil when this one condition cannot be evaluated.
local function test_one(op, bound, cv)
  if op == "StringEquals" or op == "StringNotEquals" then
    -- strict: a number or boolean never equals an authored string
    local equal = false
    if cv.kind == "list" then equal = any(cv.items, function(item) return item == bound end)
    elseif cv.kind == "text" then equal = cv.s == bound end
    if op == "StringEquals" then return equal end
    return not equal
  elseif op == "StringLike" then
    if not V.valid_pattern(bound) then return nil end
    return any(texts(cv), function(t) return V.pattern_matches(bound, t) end)
  elseif op == "NumericLessThan" or op == "NumericGreaterThan" then
    if V.trim(bound) == "" then return nil end
    local limit = V.parse_number(bound)
    if not limit or cv.kind ~= "number" then return nil end
    if op == "NumericLessThan" then return cv.n < limit end
    return cv.n > limit
  elseif op == "DateLessThan" or op == "DateGreaterThan" then
    if cv.kind ~= "text" then return nil end
    local limit, at = V.parse_instant(bound), V.parse_instant(cv.s)
    if not limit or not at then return nil end
    if op == "DateLessThan" then return at < limit end
    return at > limit
  end
  if cv.kind ~= "text" then return nil end
  local inside = V.ip_in_cidr(cv.s, bound)
  if inside == nil then return nil end
  if op == "IpAddress" then return inside end
  return not inside
end

local function test_set(op, values, cv)
  local held = texts(cv)
  if op == "StringLikeIn" then
    for _, p in ipairs(values) do
      if not V.valid_pattern(p) then return nil end
    end
    return any(held, function(h) return any(values, function(p) return V.pattern_matches(p, h) end) end)
  end
  local hit = any(held, function(h) return any(values, function(v) return v == h end) end)
  if op == "StringIn" then return hit end
  return not hit
end

-- "match", "nomatch" or "unmatchable" for a statement's conditions (all must
-- hold). Every condition's shape is checked before any is evaluated, and one
-- unmatchable condition outranks a false one, so a malformed condition can
-- never hide behind an earlier "no".
local function verdict(conditions, context, keys)
  if conditions == nil then return "match" end
  if not is_list(conditions) then return "unmatchable" end
  for _, c in ipairs(conditions) do
    if not readable(keys, c) then return "unmatchable" end
  end
  local all = true
  for _, c in ipairs(conditions) do
    local raw = context[c.key]
    if raw == nil then return "unmatchable" end
    local fold = keys[c.key].lowercase
    local cv = fold and lowered(raw) or raw
    local ok
    if IS_SET[c.operator] then
      local values = c.values
      if fold then
        values = {}
        for i, v in ipairs(c.values) do values[i] = v:lower() end
      end
      ok = test_set(c.operator, values, cv)
    else
      ok = test_one(c.operator, fold and c.value:lower() or c.value, cv)
    end
    if ok == nil then return "unmatchable" end
    if not ok then all = false end
  end
  return all and "match" or "nomatch"
end

-- ---- validation (the write-time check, with errors a UI can show) ----------------------

local function like_problem(p)
  if p:find("|", 1, true) then
    return "like-pattern \"" .. p .. "\": | is no alternation here; list the choices in StringIn or StringLikeIn values"
  end
  if p:find("%", 1, true) then
    return "like-pattern \"" .. p .. "\": % is no wildcard here; the only wildcard is one trailing *"
  end
  if not V.valid_pattern(p) then
    return "like-pattern \"" .. p .. "\": only one trailing * is allowed"
  end
  return nil
end

-- The condition normalized as it would be stored, or nil and the problem.
local function check_condition(keys, c)
  if type(c) ~= "table" then return nil, "is not a table" end
  local op = type(c.operator) == "string" and c.operator or ""
  local wants = OP_TYPE[op]
  if not wants then return nil, "unknown operator \"" .. op .. "\"" end
  local key = type(c.key) == "string" and c.key or ""
  local spec = keys[key]
  if not spec then return nil, "unknown key \"" .. key .. "\"" end
  if spec.type ~= wants then return nil, op .. " cannot test " .. key .. " (a " .. spec.type .. " key)" end
  local function norm(text) return spec.lowercase and text:lower() or text end
  if IS_SET[op] then
    if c.value ~= nil then return nil, op .. " takes values, not value" end
    if not is_list(c.values) or #c.values == 0 then return nil, op .. " needs a non-empty values list" end
    local values = {}
    for i, v in ipairs(c.values) do
      if type(v) ~= "string" or v == "" then return nil, "every entry in values must be a non-empty string" end
      if op == "StringLikeIn" then
        local problem = like_problem(v)
        if problem then return nil, problem end
      end
      values[i] = norm(v)
    end
    return { operator = op, key = key, values = values }
  end
  if c.values ~= nil then return nil, op .. " takes value, not values" end
  local value = c.value
  -- a number written as a number is unambiguous for a numeric bound: store its text
  if wants == "number" and type(value) == "number" and value == value and value ~= math.huge and value ~= -math.huge then
    value = V.number_text(value)
  end
  if type(value) ~= "string" or value == "" then return nil, "value must be a non-empty string" end
  if wants == "number" and (V.trim(value) == "" or not V.parse_number(value)) then
    return nil, "\"" .. value .. "\" is not a number"
  elseif wants == "date" then
    if not V.parse_instant(value) then return nil, "\"" .. value .. "\" is not a date" end
    if not V.has_zone(value) then
      return nil, "\"" .. value .. "\" has no timezone: end it with Z or an offset such as +01:00"
    end
  elseif op == "StringLike" then
    local problem = like_problem(value)
    if problem then return nil, problem end
  elseif wants == "ip" and not V.parse_cidr(value) then
    return nil, "\"" .. value .. "\" is not an IPv4 or IPv6 CIDR (such as 10.0.0.0/8 or 2001:db8::/32)"
  end
  return { operator = op, key = key, value = norm(value) }
end

-- Conditions are counted from 0 in errors, as the original engine counts them.
local function check_conditions(keys, list)
  if not is_list(list) then return nil, "conditions must be a list" end
  local out = {}
  for i, c in ipairs(list) do
    local ok, problem = check_condition(keys, c)
    if not ok then return nil, "condition " .. (i - 1) .. ": " .. problem end
    out[i] = ok
  end
  return out
end

local function strings(list)
  if not is_list(list) or #list == 0 then return nil end
  for _, v in ipairs(list) do if type(v) ~= "string" then return nil end end
  return copy(list)
end

local function check_statement(self, s)
  if type(s) ~= "table" then return nil, "is not a table" end
  if s.effect ~= "allow" and s.effect ~= "deny" then return nil, "effect must be \"allow\" or \"deny\"" end
  local actions = strings(s.actions)
  if not actions then return nil, "actions must be a non-empty list of strings" end
  local resources = strings(s.resources)
  if not resources then return nil, "resources must be a non-empty list of strings" end
  for _, a in ipairs(actions) do
    if a:find("*", 1, true) or (self.catalogue and not self.catalogue[a]) then
      return nil, "unknown or wildcard action \"" .. a .. "\""
    end
  end
  for _, r in ipairs(resources) do
    if not V.valid_pattern(r) then
      return nil, "resource \"" .. r .. "\": only one trailing * is allowed"
    end
  end
  local conditions
  if s.conditions ~= nil then
    local problem
    conditions, problem = check_conditions(self.keys, s.conditions)
    if not conditions then return nil, problem end
  end
  return { effect = s.effect, actions = actions, resources = resources, conditions = conditions }
end

-- ---- actions -------------------------------------------------------------------------

local MAX_DEPTH = 64

-- Does a statement naming `named` cover `requested`? Walks up from the requested
-- action through what it derives from. A walk that loops or runs too deep is
-- "unresolvable": not a match for an allow, but a deny on it still fires.
local function action_match(named, requested, parents)
  if named == requested then return "match" end
  if not parents then return "nomatch" end
  local seen, depth = { [requested] = true }, 0
  local current = parents[requested]
  while current ~= nil do
    if current == "" then return "nomatch" end
    if current == named then return "match" end
    if seen[current] or depth >= MAX_DEPTH then return "unresolvable" end
    seen[current] = true
    current = parents[current]
    depth = depth + 1
  end
  return "nomatch"
end

-- ---- deciding --------------------------------------------------------------------------

-- Bounds narrow allows only: ANDed onto a deny they would make it fire less often.
local function statement_fires(self, s, grant, effect, q)
  if s.effect ~= effect then return false end
  local best = "nomatch"
  for _, named in ipairs(s.actions) do
    local m = action_match(named, q.action, self.parents)
    if m == "match" then best = m break end
    if m == "unresolvable" then best = m end
  end
  if best == "nomatch" or (effect == "allow" and best ~= "match") then return false end
  if not any(s.resources, function(p) return V.pattern_matches(p, q.resource) end) then return false end
  local result
  local bounds = grant.bounds
  if effect == "allow" and bounds and #bounds > 0 then
    -- a bound validate_bounds would refuse never narrows an allow into existence
    if not check_conditions(self.keys, bounds) then
      result = "unmatchable"
    elseif s.conditions ~= nil and not is_list(s.conditions) then
      result = "unmatchable"
    else
      local combined = copy(s.conditions or {})
      for _, b in ipairs(bounds) do combined[#combined + 1] = b end
      result = verdict(combined, q.context, self.keys)
    end
  else
    result = verdict(s.conditions, q.context, self.keys)
  end
  if effect == "allow" then return result == "match" end
  return result ~= "nomatch"
end

local function fires(self, grants, effect, q)
  for _, g in ipairs(grants) do
    for _, s in ipairs(g.statements) do
      if statement_fires(self, s, g, effect, q) then return true end
    end
  end
  return false
end

-- reason, or nil when any grant could decide
local function decide(self, grants, q)
  if fires(self, grants, "deny", q) then return "explicit_deny" end
  if fires(self, grants, "allow", q) then return "allowed" end
  return "no_matching_grant"
end

local function chain_refusal(self, chain)
  for _, entry in ipairs(chain) do
    local scope = kind_id(entry)
    if not scope then return "malformed_scope_chain" end
    if self.scope_kinds and not self.scope_kinds[scope.kind] then return "undeclared_scope_kind" end
  end
  return nil
end

-- A grant applies when its subject is one of the caller's and its scope is in the
-- chain: a leaf grant never leaks upward or sideways.
local function applicable(grants, subjects, chain)
  local out = {}
  for _, g in ipairs(grants) do
    if g.subject and g.scope
        and any(subjects, function(s) return same(kind_id(s), g.subject) end)
        and any(chain, function(c) return same(kind_id(c), g.scope) end) then
      out[#out + 1] = g
    end
  end
  return out
end

-- ---- the engine ----------------------------------------------------------------------

local Engine = {}
Engine.__index = Engine

-- A problem found while building; M.engine reports it at the caller's line.
local function fail(msg) error({ authz_problem = msg }, 0) end

-- A grant kept in the one shape the evaluator reads. Fields of the wrong type
-- are an error now; a missing or malformed subject, scope or effect only makes
-- that grant or statement never apply.
local function load_grant(g, where)
  if type(g) ~= "table" or (next(g) ~= nil and is_list(g)) then fail(where .. " must be a table") end
  local out = {
    policyId = g.policyId or g.policy_id or "",
    policyName = g.policyName or g.policy_name or "",
    subject = kind_id(g.subject), scope = kind_id(g.scope), statements = {},
  }
  if type(out.policyId) ~= "string" then fail(where .. ".policyId must be a string") end
  if type(out.policyName) ~= "string" then fail(where .. ".policyName must be a string") end
  if g.statements ~= nil and not is_list(g.statements) then fail(where .. ".statements must be a list") end
  for i, s in ipairs(g.statements or {}) do
    local at = where .. ".statements[" .. i .. "]"
    if type(s) ~= "table" then fail(at .. " must be a table") end
    for _, field in ipairs({ "actions", "resources" }) do
      local list = s[field]
      if list ~= nil and (not is_list(list) or any(list, function(v) return type(v) ~= "string" end)) then
        fail(at .. "." .. field .. " must be a list of strings")
      end
    end
    out.statements[i] = {
      effect = (s.effect == "allow" or s.effect == "deny") and s.effect or nil,
      actions = copy(s.actions or {}), resources = copy(s.resources or {}), conditions = copy(s.conditions),
    }
  end
  if g.bounds ~= nil then
    if not is_list(g.bounds) then fail(where .. ".bounds must be a list") end
    out.bounds = copy(g.bounds)
  end
  return out
end

local function load_catalogue(self, entries)
  if not is_list(entries) then fail("actions must be a list of {action, derives_from?}") end
  self.catalogue, self.entries = {}, {}
  for i, e in ipairs(entries) do
    if type(e) ~= "table" or type(e.action) ~= "string" then fail("actions[" .. i .. "] needs an action name") end
    local name, parent = e.action, e.derives_from or e.derivesFrom
    if name == "" then fail("actions[" .. i .. "] has an empty action name") end
    if name:find("*", 1, true) then fail("action \"" .. name .. "\" has a wildcard; actions never take one") end
    if self.catalogue[name] then fail("action \"" .. name .. "\" is declared twice") end
    if parent ~= nil and type(parent) ~= "string" then fail("action \"" .. name .. "\": derives_from must be a string") end
    self.catalogue[name] = true
    self.entries[i] = { action = name, derivesFrom = parent, title = e.title, description = e.description }
  end
  local parents, children = {}, {}
  for _, e in ipairs(self.entries) do
    local parent = e.derivesFrom
    if parent ~= nil then
      if not self.catalogue[parent] then
        fail("action \"" .. e.action .. "\" derives from \"" .. parent .. "\", which is not declared")
      end
      if parent == e.action then fail("action \"" .. e.action .. "\" derives from itself") end
      parents[e.action] = parent
      children[parent] = children[parent] or {}
      table.insert(children[parent], e.action)
    end
  end
  for start in pairs(parents) do
    local seen, a = { [start] = true }, parents[start]
    while a ~= nil do
      if seen[a] then fail("action derivation has a cycle through \"" .. a .. "\"") end
      seen[a] = true
      a = parents[a]
    end
  end
  self.children = children
  return parents
end

local function build(opts)
  local self = setmetatable({ keys = {}, host_keys = {}, grants = {}, synthesized = {} }, Engine)
  local host_keys = opts.condition_keys or {}
  if type(host_keys) ~= "table" then fail("condition_keys must be a table of key = {type = ...}") end
  for key, spec in pairs(host_keys) do
    if type(key) ~= "string" or type(spec) ~= "table" or not KEY_TYPES[spec.type] then
      fail("condition key " .. tostring(key) .. ": type must be string, number, date or ip")
    end
    if spec.lowercase ~= nil and type(spec.lowercase) ~= "boolean" then
      fail("condition key " .. key .. ": lowercase must be true or false")
    end
    self.keys[key] = { type = spec.type, lowercase = spec.lowercase == true,
                       title = spec.title, description = spec.description }
  end
  for key, spec in pairs(BUILTIN_KEYS) do
    self.keys[key] = { type = spec.type, lowercase = false, title = spec.title,
                       description = spec.description, builtin = true }
  end
  if opts.scope_kinds ~= nil then
    if not is_list(opts.scope_kinds) then fail("scope_kinds must be a list of strings") end
    self.scope_kinds, self.scope_kind_list = {}, {}
    for i, k in ipairs(opts.scope_kinds) do
      if type(k) ~= "string" then fail("scope_kinds must be a list of strings") end
      self.scope_kinds[k] = true
      self.scope_kind_list[i] = k
    end
  end
  self.default_chain = opts.default_scope_chain or {}
  if type(self.default_chain) ~= "table" then fail("default_scope_chain must be a list of {kind, id}") end
  local parents
  if opts.actions ~= nil then
    parents = load_catalogue(self, opts.actions)
  elseif opts.action_derivation ~= nil then
    if type(opts.action_derivation) ~= "table" then fail("action_derivation must map action to action") end
    parents = {}
    for child, parent in pairs(opts.action_derivation) do
      if type(child) ~= "string" or type(parent) ~= "string" then
        fail("action_derivation must map action names to action names")
      end
      parents[child] = parent
    end
  end
  if parents and next(parents) ~= nil then self.parents = parents end
  for field, into in pairs({ grants = self.grants, synthesized_grants = self.synthesized }) do
    local list = opts[field]
    if list ~= nil and not is_list(list) then fail(field .. " must be a list of grants") end
    for i, g in ipairs(list or {}) do into[i] = load_grant(g, field .. "[" .. i .. "]") end
  end
  return self
end

function M.engine(opts)
  if type(opts) ~= "table" then error("authz.engine: opts must be a table", 2) end
  local ok, result = pcall(build, opts)
  if ok then return result end
  if type(result) == "table" and result.authz_problem then error("authz.engine: " .. result.authz_problem, 2) end
  error(result, 0)
end

local function decision(reason, stored)
  local allowed = reason == "allowed" or reason == "admin_bypass"
  return { allowed = allowed, decision = allowed and "allow" or "deny", reason = reason,
           allowed_by_stored_grants = stored }
end

local function name_arg(v, what)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then
    error("authz: check(subjects, action, resource, opts?): " .. what .. " must be a string", 3)
  end
  return v
end

function Engine:check(subjects, action, resource, opts)
  if type(subjects) ~= "table" then
    error("authz: check(subjects, action, resource, opts?): subjects must be a list of {kind, id}", 2)
  end
  action, resource = name_arg(action, "action"), name_arg(resource, "resource")
  if opts ~= nil and type(opts) ~= "table" then error("authz: check: opts must be a table", 2) end
  opts = opts or {}
  local chain = opts.scope_chain or self.default_chain
  if type(chain) ~= "table" then error("authz: check: scope_chain must be a list of {kind, id}", 2) end

  local now_ms
  if opts.now ~= nil then
    now_ms = type(opts.now) == "string" and V.parse_rfc3339(opts.now)
    if not now_ms then error("authz: check: now must be an RFC 3339 time, got " .. tostring(opts.now), 2) end
  else
    now_ms = os.time() * 1000
  end
  local context = {}
  if opts.context ~= nil and type(opts.context) ~= "table" then error("authz: check: context must be a table", 2) end
  for k, v in pairs(opts.context or {}) do
    if type(k) ~= "string" and math.type(k) ~= "integer" then
      error("authz: check: context keys must be strings", 2)
    end
    context[tostring(k)] = context_value(v)
  end
  -- the built-in keys always come from the check itself, never from the caller's
  -- context: without source_ip a condition on the address stays unmatchable
  context["request:SourceIp"] = nil
  context["request:Time"] = { kind = "text", s = V.format_instant(now_ms) }
  context["request:HourUTC"] = { kind = "number", n = now_ms // 3600000 % 24 }
  if type(opts.source_ip) == "string" and opts.source_ip ~= "" then
    context["request:SourceIp"] = { kind = "text", s = opts.source_ip }
  end

  local bypass = opts.bypass == true
  local refusal = chain_refusal(self, chain)
  if refusal then return decision(bypass and "admin_bypass" or refusal, false) end
  local q = { action = action, resource = resource, context = context }
  local stored = applicable(self.grants, subjects, chain)
  local synthesized = applicable(self.synthesized, subjects, chain)
  local stored_reason = decide(self, stored, q)
  local reason = stored_reason
  if #synthesized > 0 then
    for _, g in ipairs(synthesized) do stored[#stored + 1] = g end
    reason = decide(self, stored, q)
  end
  -- allowed_by_stored_grants: would the explicit grants alone allow it? (tells an
  -- explicit grant apart from one a synthesizer supplied)
  return decision(bypass and "admin_bypass" or reason, stored_reason == "allowed")
end

function Engine:validate(statements)
  if not is_list(statements) or #statements == 0 then return nil, "statements must be a non-empty list" end
  local out = {}
  for i, s in ipairs(statements) do
    local ok, problem = check_statement(self, s)
    if not ok then return nil, "statement " .. (i - 1) .. ": " .. problem end
    out[i] = ok
  end
  return out
end

function Engine:validate_bounds(bounds)
  if type(bounds) ~= "table" then return nil, "bounds must be a list" end
  local list = {}
  for i, c in ipairs(bounds) do list[i] = c end  -- read positionally, like the original
  return check_conditions(self.keys, list)
end

function Engine:describe()
  local actions, closures = {}, {}
  for i, e in ipairs(self.entries or {}) do
    actions[i] = copy(e)
    local found, queue, list = {}, copy((self.children or {})[e.action] or {}), {}
    while #queue > 0 do
      local next_action = table.remove(queue)
      if not found[next_action] then
        found[next_action] = true
        list[#list + 1] = next_action
        for _, c in ipairs(self.children[next_action] or {}) do queue[#queue + 1] = c end
      end
    end
    table.sort(list)
    closures[e.action] = list
  end
  local keys = {}
  for key, spec in pairs(self.keys) do
    local operators = {}
    for _, op in ipairs(OPERATORS) do
      if op[2] == spec.type then operators[#operators + 1] = op[1] end
    end
    keys[key] = { type = spec.type, lowercase = spec.lowercase or nil, builtIn = spec.builtin or nil,
                  operators = operators, title = spec.title, description = spec.description }
  end
  return { version = 1, actions = actions, actionClosures = closures, conditionKeys = keys,
           scopeKinds = copy(self.scope_kind_list or {}), setOperators = copy(SET_OPERATORS) }
end

function Engine:grants_for(subjects, scope_chain)
  if type(subjects) ~= "table" then error("authz: grants_for(subjects, scope_chain?): subjects must be a list", 2) end
  local chain = scope_chain or self.default_chain
  if type(chain) ~= "table" then error("authz: grants_for: scope_chain must be a list of {kind, id}", 2) end
  if chain_refusal(self, chain) then return {} end
  local out = {}
  for _, list in ipairs({ self.grants, self.synthesized }) do
    for _, g in ipairs(applicable(list, subjects, chain)) do out[#out + 1] = copy(g) end
  end
  return out
end

return M
