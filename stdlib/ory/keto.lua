--- @module assay.ory.keto
--- @description Ory Keto authorization — relation-tuple CRUD, permission checks, role membership queries. Implements relationship-based access control (ReBAC, Google Zanzibar-style).
--- @category identity
--- @icon ory
--- @keywords keto, ory, authorization, authz, rbac, rebac, permissions, roles, relation-tuples, zanzibar, access-control, members, groups
--- @quickref keto.client(read_url, opts?) -> client | Create a Keto client (read endpoint); opts {write_url} for writes
--- @quickref c.tuples:list(opts) -> {relation_tuples, next_page_token} | List relation tuples matching filters; flat: c:list(opts)
--- @quickref c.tuples:create(tuple) -> nil | Create a relation tuple (requires write_url; not idempotent, see upsert); flat: c:create(tuple)
--- @quickref c.tuples:upsert(tuple) -> "noop"|"created"|"repaired", dups_removed | Ensure exactly one copy of the tuple exists (requires write_url); flat: c:upsert(tuple)
--- @quickref c.tuples:delete(tuple) -> nil | Delete a relation tuple (requires write_url); flat: c:delete(tuple)
--- @quickref c.tuples:delete_all(filters) -> nil | Delete all matching relation tuples (requires write_url); flat: c:delete_all(filters)
--- @quickref c.permissions:check(namespace, object, relation, subject) -> bool | Check if a subject has a relation to an object; the grouped form also takes one table; flat: c:check(namespace, object, relation, subject)
--- @quickref c.permissions:batch_check(tuples) -> [bool] | Check several tuples, one answer each
--- @quickref c.permissions:expand(namespace, object, relation, depth?) -> tree | Expand a relation to see all members; flat: c:expand(namespace, object, relation, depth?)
--- @quickref c.roles:user_roles(user_id, namespace?) -> [{object, relation}] | Get all role memberships for a user; flat: c:get_user_roles(user_id, namespace?)
--- @quickref c.roles:has_any(user_id, role_objects, namespace?) -> bool | Check if a user has any of the given roles; flat: c:user_has_any_role(user_id, role_objects, namespace?)

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

local NO_WRITE = "keto: write_url not configured — pass opts.write_url to keto.client()"

-- Filter keys in the order they are put into query strings; other keys follow sorted.
local FILTER_ORDER = {
  "namespace", "object", "relation", "subject_id",
  "subject_set_namespace", "subject_set_object", "subject_set_relation",
  "page_size", "page_token",
}

--- "?k=v&..." from a filter table: nil and "" values are left out, values percent-encoded.
local function filter_query(filters)
  filters = filters or {}
  local keys, seen = {}, {}
  for _, key in ipairs(FILTER_ORDER) do
    keys[#keys + 1] = key
    seen[key] = true
  end
  local rest = {}
  for key in pairs(filters) do
    if type(key) == "string" and not seen[key] then rest[#rest + 1] = key end
  end
  table.sort(rest)
  for _, key in ipairs(rest) do keys[#keys + 1] = key end
  local args, n = {}, 0
  for _, key in ipairs(keys) do
    local value = filters[key]
    if value ~= nil and value ~= "" then
      args[n + 1], args[n + 2] = key, value
      n = n + 2
    end
  end
  return H.query(table.unpack(args, 1, n))
end

--- keto.client(read_url, opts?): opts.write_url enables the write methods.
--- A single options table {read_url = ..., write_url = ...} is accepted too.
function M.client(read_url, opts)
  if type(read_url) == "table" and opts == nil then
    opts = read_url
    read_url = opts.read_url or opts.url
  end
  opts = opts or {}
  local c = setmetatable({
    read_url = read_url and H.strip(read_url) or nil,
    write_url = opts.write_url and H.strip(opts.write_url) or nil,
  }, Client)
  if c.read_url then
    c._read = H.client(c.read_url, { error = "keto: {method} {path_query} HTTP {status}: {body}" })
    c._check = H.client(c.read_url, { error = "keto: check failed HTTP {status}: {body}" })
  end
  return c
end

local function reader(self, api)
  if not self.read_url then error("keto: read_url not configured") end
  return self[api]
end

local function writer(self, message)
  if not self.write_url then error(NO_WRITE) end
  return H.client(self.write_url, { error = message })
end

function Client:list(filters)
  return reader(self, "_read"):get("/relation-tuples" .. filter_query(filters))
end

function Client:check(namespace, object, relation, subject)
  local filters = { namespace = namespace, object = object, relation = relation }
  if type(subject) == "table" then
    filters.subject_set_namespace = subject.namespace
    filters.subject_set_object = subject.object
    filters.subject_set_relation = subject.relation
  else
    filters.subject_id = subject
  end
  local resp = reader(self, "_check"):get("/relation-tuples/check" .. filter_query(filters),
    { expect = { 200, 403 }, result = "response" })
  if resp.status == 403 or resp.body == nil or resp.body == "" then return false end
  local body = json.parse(resp.body)
  return type(body) == "table" and body.allowed == true
end

function Client:expand(namespace, object, relation, depth)
  local q = H.query("namespace", namespace, "object", object, "relation", relation,
    "max-depth", depth or 3)
  return reader(self, "_read"):get("/relation-tuples/expand" .. q)
end

function Client:get_user_roles(user_id, namespace)
  local subject = tostring(user_id)
  if subject:sub(1, 5) ~= "user:" then subject = "user:" .. subject end
  local resp = self:list({ namespace = namespace or "Role", relation = "members", subject_id = subject })
  local roles = {}
  for _, t in ipairs((resp or {}).relation_tuples or {}) do
    roles[#roles + 1] = { object = t.object, relation = t.relation }
  end
  return roles
end

function Client:user_has_any_role(user_id, role_objects, namespace)
  local wanted = {}
  for _, object in ipairs(role_objects or {}) do wanted[object] = true end
  for _, role in ipairs(self:get_user_roles(user_id, namespace)) do
    if wanted[role.object] then return true end
  end
  return false
end

function Client:create(tuple)
  writer(self, "keto: create tuple HTTP {status}: {body}")
    :put("/admin/relation-tuples", tuple, { expect = { 200, 201 }, result = "true" })
end

function Client:delete(tuple)
  tuple = tuple or {}
  local q = H.query("namespace", tuple.namespace, "object", tuple.object,
    "relation", tuple.relation, "subject_id", tuple.subject_id)
  writer(self, "keto: delete tuple HTTP {status}: {body}")
    :delete("/admin/relation-tuples" .. q, { expect = { 200, 204 }, result = "true" })
end

function Client:delete_all(filters)
  writer(self, "keto: delete_all HTTP {status}: {body}")
    :delete("/admin/relation-tuples" .. filter_query(filters), { expect = { 200, 204 }, result = "true" })
end


-- The filters naming exactly one tuple identity (namespace, object, relation, subject).
local function identity(tuple)
  if type(tuple) ~= "table" then error("keto: tuple must be a table", 3) end
  local f = { namespace = tuple.namespace, object = tuple.object, relation = tuple.relation }
  local set = tuple.subject_set
  if type(set) == "table" then
    f.subject_set_namespace, f.subject_set_object, f.subject_set_relation = set.namespace, set.object, set.relation
  else
    f.subject_id = tuple.subject_id
  end
  return f
end

--- c:upsert(tuple): make exactly one copy of the tuple exist. Returns "noop" (it was there
--- once), "created" (it was missing) or "repaired" (duplicates were replaced by one), and the
--- number of duplicates removed. Safe to run again and again, unlike c:create.
function Client:upsert(tuple)
  local filters = identity(tuple)
  local found = #((self:list(filters) or {}).relation_tuples or {})
  if found == 1 then return "noop", 0 end
  if found > 1 then self:delete_all(filters) end
  self:create(tuple)
  if found == 0 then return "created", 0 end
  return "repaired", found - 1
end

-- c.permissions:check also takes one table {namespace, object, relation, subject_id | subject_set}.
local function check_any(c, first, ...)
  if type(first) == "table" and select("#", ...) == 0 then
    return c:check(first.namespace, first.object, first.relation, first.subject_set or first.subject_id)
  end
  return c:check(first, ...)
end

H.api({
  module = "ory.keto",
  quickref = { "keto.client(read_url, opts?) -> client | Create a Keto client (read endpoint); opts {write_url} for writes" },
  ops = {
    { "list", "tuples:list", "(opts) -> {relation_tuples, next_page_token}", "List relation tuples matching filters" },
    { "create", "tuples:create", "(tuple) -> nil", "Create a relation tuple (requires write_url; not idempotent, see upsert)" },
    { "upsert", "tuples:upsert", "(tuple) -> \"noop\"|\"created\"|\"repaired\", dups_removed",
      "Ensure exactly one copy of the tuple exists (requires write_url)" },
    { "delete", "tuples:delete", "(tuple) -> nil", "Delete a relation tuple (requires write_url)" },
    { "delete_all", "tuples:delete_all", "(filters) -> nil", "Delete all matching relation tuples (requires write_url)" },
    { "check", "permissions:check", "(namespace, object, relation, subject) -> bool",
      "Check if a subject has a relation to an object; the grouped form also takes one table", fn = check_any },
    { false, "permissions:batch_check", "(tuples) -> [bool]", "Check several tuples, one answer each",
      fn = function(c, tuples)
        local out = {}
        for i, t in ipairs(tuples or {}) do out[i] = check_any(c, t) end
        return out
      end },
    { "expand", "permissions:expand", "(namespace, object, relation, depth?) -> tree", "Expand a relation to see all members" },
    { "get_user_roles", "roles:user_roles", "(user_id, namespace?) -> [{object, relation}]", "Get all role memberships for a user" },
    { "user_has_any_role", "roles:has_any", "(user_id, role_objects, namespace?) -> bool", "Check if a user has any of the given roles" },
  },
}):install(Client)

return M
