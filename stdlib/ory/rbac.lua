--- @module assay.ory.rbac
--- @description Capability-based RBAC engine layered on top of Ory Keto. Define a policy once (role -> capabilities map) and get user lookups, capability checks, and membership management helpers. A user can hold multiple roles; their effective capability set is the union of all assigned roles. Each role also has a rank so a single "primary" role can be shown for display.
--- @category identity
--- @icon ory
--- @keywords rbac, roles, permissions, capabilities, authz, authorization, keto, ory, zanzibar, policy
--- @quickref rbac.policy(opts) -> policy | Build a policy from a role map and a Keto client. opts: { namespace, keto, roles, default_role? }
--- @quickref p.users:roles(user_id) -> [role_name] | All roles a user holds, sorted by rank (highest first); flat: p:user_roles(user_id)
--- @quickref p.users:primary_role(user_id) -> role_name | Highest-ranked role (for UI badges); flat: p:user_primary_role(user_id)
--- @quickref p.users:capabilities(user_id) -> {cap=true, ...} | Union of capabilities from every role the user holds; flat: p:user_capabilities(user_id)
--- @quickref p.users:has_capability(user_id, cap) -> bool | Check whether the user holds a given capability; flat: p:user_has_capability(user_id, cap)
--- @quickref p.members:add(user_id, role_name) -> nil | Add the user to a role (idempotent); flat: p:add(user_id, role_name)
--- @quickref p.members:remove(user_id, role_name) -> nil | Remove the user from a role (idempotent); flat: p:remove(user_id, role_name)
--- @quickref p.members:list(role_name) -> [user_id] | List every user assigned to a specific role; flat: p:list_members(role_name)
--- @quickref p.members:list_all() -> {role_name=[user_id]} | Full snapshot of every role and its members; flat: p:list_all_memberships()
--- @quickref p.members:reset(role_name) -> nil | Delete every member of a role (for bootstrap/seed scripts); flat: p:reset_role(role_name)
--- @quickref p.policy:roles() -> [role_name] | All configured role names, highest rank first; flat: p:roles()
--- @quickref p.policy:get(role_name) -> {rank, capabilities} | Role metadata from the policy definition; flat: p:role(role_name)
--- @quickref p.middleware:require_capability(cap, handler) -> handler | http.serve wrapper returning 403 when the caller lacks the capability; flat: p:require_capability(cap, handler)

local H = require("assay._http")
local M = {}

local Policy = {}
Policy.__index = Policy

-- Keto data model: namespace "Role", object "<policy namespace>:<role>", relation "members",
-- subject "user:<id>".
local KETO_NAMESPACE = "Role"
local RELATION = "members"

local function ensure_user_subject(user_id)
  if type(user_id) ~= "string" or user_id == "" then
    error("assay.ory.rbac: user_id must be a non-empty string")
  end
  if user_id:sub(1, 5) == "user:" then return user_id end
  return "user:" .. user_id
end

local function strip_user_prefix(subject)
  if type(subject) == "string" and subject:sub(1, 5) == "user:" then
    return subject:sub(6)
  end
  return subject
end

--- rbac.policy{namespace = "app", keto = keto_client, roles = {name = {rank, capabilities}},
--- default_role = "viewer"}
function M.policy(opts)
  opts = opts or {}
  if type(opts.namespace) ~= "string" or opts.namespace == "" then
    error("assay.ory.rbac.policy: namespace is required")
  end
  if type(opts.keto) ~= "table" then
    error("assay.ory.rbac.policy: keto client is required")
  end
  if type(opts.roles) ~= "table" or next(opts.roles) == nil then
    error("assay.ory.rbac.policy: roles map is required and must not be empty")
  end

  local roles, names = {}, {}
  for name, def in pairs(opts.roles) do
    def = type(def) == "table" and def or {}
    local caps = {}
    for _, cap in ipairs(def.capabilities or {}) do caps[cap] = true end
    roles[name] = { rank = tonumber(def.rank) or 0, capabilities = caps }
    names[#names + 1] = name
  end
  table.sort(names, function(a, b)
    local ra, rb = roles[a].rank, roles[b].rank
    if ra ~= rb then return ra > rb end
    return tostring(a) < tostring(b)
  end)
  local order = {}
  for i, name in ipairs(names) do order[name] = i end

  return setmetatable({
    _namespace = opts.namespace,
    _keto = opts.keto,
    _roles = roles,
    _ranked_role_names = names,
    _rank_order = order,
    _default_role = opts.default_role,
  }, Policy)
end

local function role_object(self, role)
  if type(role) ~= "string" or self._roles[role] == nil then
    error("assay.ory.rbac: unknown role " .. tostring(role))
  end
  return self._namespace .. ":" .. role
end

-- Query

function Policy:roles()
  local out = {}
  for i, name in ipairs(self._ranked_role_names) do out[i] = name end
  return out
end

function Policy:role(name)
  local def = self._roles[name]
  if def == nil then return nil end
  local caps = {}
  for cap in pairs(def.capabilities) do caps[#caps + 1] = cap end
  table.sort(caps)
  return { rank = def.rank, capabilities = caps }
end

function Policy:user_roles(user_id)
  local subject = ensure_user_subject(user_id)
  local prefix = self._namespace .. ":"
  local found, out = {}, {}
  for _, t in ipairs(self._keto:get_user_roles(subject, KETO_NAMESPACE) or {}) do
    local object = t.object
    if type(object) == "string" and object:sub(1, #prefix) == prefix then
      local role = object:sub(#prefix + 1)
      if self._roles[role] ~= nil and not found[role] then
        found[role] = true
        out[#out + 1] = role
      end
    end
  end
  table.sort(out, function(a, b) return self._rank_order[a] < self._rank_order[b] end)
  return out
end

function Policy:user_primary_role(user_id)
  return self:user_roles(user_id)[1] or self._default_role
end

function Policy:user_capabilities(user_id)
  local held = self:user_roles(user_id)
  local caps = {}
  if #held == 0 and self._default_role ~= nil then
    local def = self._roles[self._default_role]
    for cap in pairs(def and def.capabilities or {}) do caps[cap] = true end
    return caps
  end
  for _, role in ipairs(held) do
    for cap in pairs(self._roles[role].capabilities) do caps[cap] = true end
  end
  return caps
end

function Policy:user_has_capability(user_id, cap)
  return self:user_capabilities(user_id)[cap] == true
end

-- Membership management

function Policy:list_members(role)
  local object = role_object(self, role)
  local resp = self._keto:list({ namespace = KETO_NAMESPACE, object = object, relation = RELATION })
  local seen, out = {}, {}
  for _, t in ipairs((resp or {}).relation_tuples or {}) do
    if t.subject_id ~= nil then
      local id = strip_user_prefix(t.subject_id)
      if not seen[id] then
        seen[id] = true
        out[#out + 1] = id
      end
    end
  end
  return out
end

function Policy:add(user_id, role)
  local object = role_object(self, role)
  local subject = ensure_user_subject(user_id)
  local id = strip_user_prefix(subject)
  for _, member in ipairs(self:list_members(role)) do
    if member == id then return end
  end
  self._keto:create({ namespace = KETO_NAMESPACE, object = object, relation = RELATION, subject_id = subject })
end

function Policy:remove(user_id, role)
  local object = role_object(self, role)
  local subject = ensure_user_subject(user_id)
  local ok, err = pcall(self._keto.delete, self._keto,
    { namespace = KETO_NAMESPACE, object = object, relation = RELATION, subject_id = subject })
  if not ok and not tostring(err):find("404", 1, true) then
    error(err, 0)
  end
end

function Policy:list_all_memberships()
  local out = {}
  for _, role in ipairs(self._ranked_role_names) do
    out[role] = self:list_members(role)
  end
  return out
end

function Policy:reset_role(role)
  local object = role_object(self, role)
  self._keto:delete_all({ namespace = KETO_NAMESPACE, object = object, relation = RELATION })
end

-- http.serve guard: 401 without req.user_id, 403 without the capability.
function Policy:require_capability(cap, handler)
  return function(req)
    local user_id = req and req.user_id
    if user_id == nil or user_id == "" then
      return { status = 401, json = { error = "Authentication required" } }
    end
    if not self:user_has_capability(user_id, cap) then
      return { status = 403, json = { error = tostring(cap) .. " capability required" } }
    end
    return handler(req)
  end
end

H.api({
  module = "ory.rbac",
  receiver = "p",
  quickref = {
    "rbac.policy(opts) -> policy | Build a policy from a role map and a Keto client. opts: { namespace, keto, roles, default_role? }",
  },
  ops = {
    { "user_roles", "users:roles", "(user_id) -> [role_name]", "All roles a user holds, sorted by rank (highest first)" },
    { "user_primary_role", "users:primary_role", "(user_id) -> role_name", "Highest-ranked role (for UI badges)" },
    { "user_capabilities", "users:capabilities", "(user_id) -> {cap=true, ...}", "Union of capabilities from every role the user holds" },
    { "user_has_capability", "users:has_capability", "(user_id, cap) -> bool", "Check whether the user holds a given capability" },
    { "add", "members:add", "(user_id, role_name) -> nil", "Add the user to a role (idempotent)" },
    { "remove", "members:remove", "(user_id, role_name) -> nil", "Remove the user from a role (idempotent)" },
    { "list_members", "members:list", "(role_name) -> [user_id]", "List every user assigned to a specific role" },
    { "list_all_memberships", "members:list_all", "() -> {role_name=[user_id]}", "Full snapshot of every role and its members" },
    { "reset_role", "members:reset", "(role_name) -> nil", "Delete every member of a role (for bootstrap/seed scripts)" },
    { "roles", "policy:roles", "() -> [role_name]", "All configured role names, highest rank first" },
    { "role", "policy:get", "(role_name) -> {rank, capabilities}", "Role metadata from the policy definition" },
    { "require_capability", "middleware:require_capability", "(cap, handler) -> handler", "http.serve wrapper returning 403 when the caller lacks the capability" },
  },
}):install(Policy)

return M
