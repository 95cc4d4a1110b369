--- @module assay.n8n
--- @description n8n public REST API (/api/v1): workflows (create, update, activate, archive, transfer, tags), executions (list, retry, stop), credentials, tags, variables, projects, users, source-control pull, security audit. Lists follow every nextCursor page; idempotent ensure_* helpers.
--- @category saas
--- @icon n8n
--- @keywords n8n, workflow, automation, execution, credential, tag, variable, project, user, activate, archive, transfer, cursor, ensure, low-code
--- @env N8N_API_KEY
--- @quickref M.client(url, opts?) -> client | n8n client for https://n8n.example.com; opts {api_key (X-N8N-API-KEY; else $N8N_API_KEY), api_path = "/api/v1"}
--- @quickref M.all(section, opts?) -> [item] | Every item of a group's pages: n8n.all(c.tags)
--- @quickref M.wait(url, opts?) -> true | Poll <url>/healthz until 200; opts {timeout = 60, interval = 2}
--- @quickref M.find_workflow_by_name(c, name) -> workflow|nil | The workflow with exactly this name
--- @quickref M.set_active(c, id, active) -> workflow | Activate or deactivate only when the state differs
--- @quickref M.ensure_workflow(c, spec, opts?) -> workflow | Create, or update the workflow of the same name; opts {active}
--- @quickref M.ensure_tag(c, name) -> tag | The tag of this name, created when missing
--- @quickref M.ensure_workflow_tags(c, workflow_id, names) -> [tag] | Set a workflow's tags by name, creating missing tags
--- @quickref M.ensure_variable(c, key, value, opts?) -> variable | Create, or update when the value differs
--- @quickref M.ensure_project(c, name, opts?) -> project | The project of this name, created when missing
--- @quickref c.workflows:list(opts?) -> [workflow] | Every workflow (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.workflows:page(opts?) -> {data, nextCursor} | One page of workflows
--- @quickref c.workflows:get(id, opts?) -> workflow|nil | One workflow; opts {excludePinnedData}
--- @quickref c.workflows:create(workflow) -> workflow | Create a workflow {name, nodes, connections, settings}
--- @quickref c.workflows:update(id, workflow) -> workflow | Replace a workflow
--- @quickref c.workflows:delete(id) -> workflow | Delete a workflow
--- @quickref c.workflows:activate(id) -> workflow | Activate a workflow
--- @quickref c.workflows:deactivate(id) -> workflow | Deactivate a workflow
--- @quickref c.workflows:archive(id) -> workflow | Archive a workflow
--- @quickref c.workflows:unarchive(id) -> workflow | Unarchive a workflow
--- @quickref c.workflows:publish(id) -> workflow | Publish a workflow
--- @quickref c.workflows:unpublish(id) -> workflow | Unpublish a workflow
--- @quickref c.workflows:transfer(id, project_id) -> nil | Move a workflow to another project
--- @quickref c.workflows:tags(id) -> [tag] | Tags of a workflow
--- @quickref c.workflows:set_tags(id, tag_ids) -> [tag] | Replace a workflow's tags (ids or {id = ...} tables)
--- @quickref c.workflows:history(id, opts?) -> {data, nextCursor} | Saved versions of a workflow (one page)
--- @quickref c.executions:list(opts?) -> [execution] | Every execution (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.executions:page(opts?) -> {data, nextCursor} | One page of executions
--- @quickref c.executions:get(id, opts?) -> execution|nil | One execution; opts {includeData}
--- @quickref c.executions:delete(id) -> execution | Delete an execution
--- @quickref c.executions:retry(id, opts?) -> execution | Retry an execution; opts {loadWorkflow}
--- @quickref c.executions:stop(id) -> execution | Stop a running execution
--- @quickref c.credentials:list(opts?) -> [credential] | Every credential (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.credentials:page(opts?) -> {data, nextCursor} | One page of credentials
--- @quickref c.credentials:create(credential) -> credential | Create a credential {name, type, data}
--- @quickref c.credentials:get(id) -> credential|nil | One credential (without its secret data)
--- @quickref c.credentials:update(id, fields) -> credential | Change a credential (PATCH)
--- @quickref c.credentials:test(id) -> {status, message} | Let n8n try the credential against its service
--- @quickref c.credentials:delete(id) -> credential | Delete a credential
--- @quickref c.credentials:schema(type_name) -> schema | JSON schema of a credential type's data
--- @quickref c.credentials:transfer(id, project_id) -> nil | Move a credential to another project
--- @quickref c.tags:list(opts?) -> [tag] | Every tag (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.tags:page(opts?) -> {data, nextCursor} | One page of tags
--- @quickref c.tags:get(id) -> tag|nil | One tag
--- @quickref c.tags:create(tag) -> tag | Create a tag {name}
--- @quickref c.tags:update(id, tag) -> tag | Rename a tag
--- @quickref c.tags:delete(id) -> tag | Delete a tag
--- @quickref c.variables:list(opts?) -> [variable] | Every variable (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.variables:page(opts?) -> {data, nextCursor} | One page of variables
--- @quickref c.variables:create(variable) -> nil | Create a variable {key, value}
--- @quickref c.variables:update(id, variable) -> nil | Update a variable
--- @quickref c.variables:delete(id) -> nil | Delete a variable
--- @quickref c.projects:list(opts?) -> [project] | Every project (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.projects:page(opts?) -> {data, nextCursor} | One page of projects
--- @quickref c.projects:create(project) -> project | Create a project {name}
--- @quickref c.projects:update(id, project) -> nil | Rename a project
--- @quickref c.projects:delete(id) -> nil | Delete a project
--- @quickref c.projects:users(project_id) -> [member] | Members of a project with their roles
--- @quickref c.projects:add_users(project_id, relations) -> nil | Add members: {{userId, role = "project:editor"}}
--- @quickref c.projects:remove_user(project_id, user_id) -> nil | Remove a member
--- @quickref c.projects:set_user_role(project_id, user_id, role) -> nil | Change a member's role
--- @quickref c.users:list(opts?) -> [user] | Every user (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters
--- @quickref c.users:page(opts?) -> {data, nextCursor} | One page of users
--- @quickref c.users:create(invitations) -> [result] | Invite users: {{email, role = "global:member"}}
--- @quickref c.users:delete(id) -> nil | Delete a user (by id: n8n does not look emails up here)
--- @quickref c.users:set_role(id_or_email, role) -> nil | Change a user's global role ("global:admin", "global:member")
--- @quickref c.users:get(id_or_email) -> user|nil | One user by id or email
--- @quickref c.source_control:pull(opts?) -> result | Pull from the connected Git repository; opts {force, variables}
--- @quickref c.audit:generate(opts?) -> report | Security audit report; opts {additionalOptions = {categories, daysAbandonedWorkflow}}

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- n8n refuses pages larger than 250.
local PAGE_SIZE = 250
local WRITE = { 200, 201, 204 }

function M.client(url, opts)
  H.require_url("n8n", url)
  opts = opts or {}
  local headers = H.merge_headers({ ["Accept"] = "application/json" }, opts.headers)
  local key = opts.api_key or env.get("N8N_API_KEY")
  if key ~= nil and key ~= "" then H.set_header(headers, "X-N8N-API-KEY", key) end
  local base = H.strip(url) .. (opts.api_path or "/api/v1")
  return setmetatable({ url = H.strip(url), api = H.client(base, { module = "n8n", headers = headers }) }, Client)
end

-- "?a=1&b=2" from every option, in name order (n8n's own parameter names: workflowId, ...).
local function query_of(opts)
  local keys = {}
  for k in pairs(opts or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  local args = {}
  for _, k in ipairs(keys) do args[#args + 1], args[#args + 2] = k, opts[k] end
  return H.query(table.unpack(args, 1, #keys * 2))
end

local function page(c, path, opts)
  return c.api:get(path .. query_of(opts), { allow_404 = true }) or { data = {} }
end

-- One page when the caller gives limit or cursor, else every page.
local function list(c, path, opts)
  opts = opts or {}
  if opts.limit ~= nil or opts.cursor ~= nil then return page(c, path, opts).data or {} end
  local query = { limit = PAGE_SIZE }
  for k, v in pairs(opts) do query[k] = v end
  local all = {}
  repeat
    local answer = page(c, path, query)
    for _, item in ipairs(answer.data or {}) do all[#all + 1] = item end
    query.cursor = answer.nextCursor
  until query.cursor == nil or query.cursor == ""
  return all
end

-- n8n wants `nodes` as a JSON array and `connections`/`settings` as objects, even when empty.
local function workflow_body(wf)
  if type(wf) ~= "table" then return wf end
  local out = {}
  for k, v in pairs(wf) do out[k] = v end
  if out.nodes == nil or next(out.nodes) == nil then
    out.nodes = json.array({})
  else
    -- a node's empty `parameters` table would go as [], which n8n refuses ("must be object")
    local nodes = {}
    for i, node in ipairs(out.nodes) do
      if type(node) == "table" and type(node.parameters) == "table" and next(node.parameters) == nil then
        local copy = {}
        for k, v in pairs(node) do copy[k] = v end
        copy.parameters = json.object({})
        node = copy
      end
      nodes[i] = node
    end
    out.nodes = json.array(nodes)
  end
  if out.connections == nil or next(out.connections) == nil then out.connections = json.object({}) end
  if out.settings == nil or next(out.settings) == nil then out.settings = json.object({}) end
  return out
end

local function tag_refs(ids)
  local refs = {}
  for i, id in ipairs(ids or {}) do refs[i] = type(id) == "table" and id or { id = H.text(id) } end
  return json.array(refs)
end

local function id_path(base, id, rest)
  if id == nil or id == "" then error("n8n: id is required", 4) end
  return base .. "/" .. H.encode(id) .. (rest or "")
end

local function send(c, method, path, body)
  return c.api:request(method, path, { body = body, expect = WRITE })
end

-- A group's list/page pair over a cursor collection.
local function collection(group, path, what)
  return {
    { false, group .. ":list", "(opts?) -> [" .. what .. "]", "Every " .. what .. " (all pages; opts.limit or opts.cursor: one page); opts are n8n's query parameters",
      fn = function(c, opts) return list(c, path, opts) end },
    { false, group .. ":page", "(opts?) -> {data, nextCursor}", "One page of " .. what .. "s",
      fn = function(c, opts) return page(c, path, opts) end },
  }
end

local ops = {}
local function add(entries)
  for _, e in ipairs(entries) do ops[#ops + 1] = e end
end

add(collection("workflows", "/workflows", "workflow"))
add({
  { false, "workflows:get", "(id, opts?) -> workflow|nil", "One workflow; opts {excludePinnedData}",
    fn = function(c, id, opts) return c.api:get(id_path("/workflows", id) .. query_of(opts), { allow_404 = true }) end },
  { false, "workflows:create", "(workflow) -> workflow", "Create a workflow {name, nodes, connections, settings}",
    fn = function(c, wf) return send(c, "POST", "/workflows", workflow_body(wf)) end },
  { false, "workflows:update", "(id, workflow) -> workflow", "Replace a workflow",
    fn = function(c, id, wf) return send(c, "PUT", id_path("/workflows", id), workflow_body(wf)) end },
  { false, "workflows:delete", "(id) -> workflow", "Delete a workflow",
    fn = function(c, id) return send(c, "DELETE", id_path("/workflows", id)) end },
})
for _, verb in ipairs({ "activate", "deactivate", "archive", "unarchive", "publish", "unpublish" }) do
  add({ { false, "workflows:" .. verb, "(id) -> workflow", verb:sub(1, 1):upper() .. verb:sub(2) .. " a workflow",
    fn = function(c, id) return send(c, "POST", id_path("/workflows", id, "/" .. verb)) end } })
end
add({
  { false, "workflows:transfer", "(id, project_id) -> nil", "Move a workflow to another project",
    fn = function(c, id, project) return send(c, "PUT", id_path("/workflows", id, "/transfer"), { destinationProjectId = project }) end },
  { false, "workflows:tags", "(id) -> [tag]", "Tags of a workflow",
    fn = function(c, id) return c.api:get(id_path("/workflows", id, "/tags")) or {} end },
  { false, "workflows:set_tags", "(id, tag_ids) -> [tag]", "Replace a workflow's tags (ids or {id = ...} tables)",
    fn = function(c, id, ids)
      return c.api:request("PUT", id_path("/workflows", id, "/tags"), { body = tag_refs(ids), expect = WRITE })
    end },
})
add({
  { false, "workflows:history", "(id, opts?) -> {data, nextCursor}", "Saved versions of a workflow (one page)",
    fn = function(c, id, opts) return c.api:get(id_path("/workflows", id, "/history") .. query_of(opts)) end },
})
add(collection("executions", "/executions", "execution"))
add({
  { false, "executions:get", "(id, opts?) -> execution|nil", "One execution; opts {includeData}",
    fn = function(c, id, opts) return c.api:get(id_path("/executions", id) .. query_of(opts), { allow_404 = true }) end },
  { false, "executions:delete", "(id) -> execution", "Delete an execution",
    fn = function(c, id) return send(c, "DELETE", id_path("/executions", id)) end },
  { false, "executions:retry", "(id, opts?) -> execution", "Retry an execution; opts {loadWorkflow}",
    fn = function(c, id, opts) return send(c, "POST", id_path("/executions", id, "/retry"), opts or {}) end },
  { false, "executions:stop", "(id) -> execution", "Stop a running execution",
    fn = function(c, id) return send(c, "POST", id_path("/executions", id, "/stop")) end },
})
add(collection("credentials", "/credentials", "credential"))
add({
  { false, "credentials:create", "(credential) -> credential", "Create a credential {name, type, data}",
    fn = function(c, cred) return send(c, "POST", "/credentials", cred) end },
  { false, "credentials:get", "(id) -> credential|nil", "One credential (without its secret data)",
    fn = function(c, id) return c.api:get(id_path("/credentials", id), { allow_404 = true }) end },
  { false, "credentials:update", "(id, fields) -> credential", "Change a credential (PATCH)",
    fn = function(c, id, fields) return send(c, "PATCH", id_path("/credentials", id), fields) end },
  { false, "credentials:test", "(id) -> {status, message}", "Let n8n try the credential against its service",
    fn = function(c, id) return send(c, "POST", id_path("/credentials", id, "/test")) end },
  { false, "credentials:delete", "(id) -> credential", "Delete a credential",
    fn = function(c, id) return send(c, "DELETE", id_path("/credentials", id)) end },
  { false, "credentials:schema", "(type_name) -> schema", "JSON schema of a credential type's data",
    fn = function(c, name) return c.api:get(id_path("/credentials/schema", name)) end },
  { false, "credentials:transfer", "(id, project_id) -> nil", "Move a credential to another project",
    fn = function(c, id, project) return send(c, "PUT", id_path("/credentials", id, "/transfer"), { destinationProjectId = project }) end },
})
add(collection("tags", "/tags", "tag"))
add({
  { false, "tags:get", "(id) -> tag|nil", "One tag", fn = function(c, id) return c.api:get(id_path("/tags", id), { allow_404 = true }) end },
  { false, "tags:create", "(tag) -> tag", "Create a tag {name}", fn = function(c, tag) return send(c, "POST", "/tags", tag) end },
  { false, "tags:update", "(id, tag) -> tag", "Rename a tag", fn = function(c, id, tag) return send(c, "PUT", id_path("/tags", id), tag) end },
  { false, "tags:delete", "(id) -> tag", "Delete a tag", fn = function(c, id) return send(c, "DELETE", id_path("/tags", id)) end },
})
add(collection("variables", "/variables", "variable"))
add({
  { false, "variables:create", "(variable) -> nil", "Create a variable {key, value}",
    fn = function(c, v) return send(c, "POST", "/variables", v) end },
  { false, "variables:update", "(id, variable) -> nil", "Update a variable",
    fn = function(c, id, v) return send(c, "PUT", id_path("/variables", id), v) end },
  { false, "variables:delete", "(id) -> nil", "Delete a variable",
    fn = function(c, id) return send(c, "DELETE", id_path("/variables", id)) end },
})
add(collection("projects", "/projects", "project"))
add({
  { false, "projects:create", "(project) -> project", "Create a project {name}",
    fn = function(c, p) return send(c, "POST", "/projects", p) end },
  { false, "projects:update", "(id, project) -> nil", "Rename a project",
    fn = function(c, id, p) return send(c, "PUT", id_path("/projects", id), p) end },
  { false, "projects:delete", "(id) -> nil", "Delete a project",
    fn = function(c, id) return send(c, "DELETE", id_path("/projects", id)) end },
})
add({
  { false, "projects:users", "(project_id) -> [member]", "Members of a project with their roles",
    fn = function(c, id) local answer = c.api:get(id_path("/projects", id, "/users")) or {}; return answer.data or answer end },
  { false, "projects:add_users", "(project_id, relations) -> nil", "Add members: {{userId, role = \"project:editor\"}}",
    fn = function(c, id, relations)
      return send(c, "POST", id_path("/projects", id, "/users"), { relations = json.array(relations or {}) })
    end },
  { false, "projects:remove_user", "(project_id, user_id) -> nil", "Remove a member",
    fn = function(c, id, user) return send(c, "DELETE", id_path("/projects", id, "/users/" .. H.encode(user))) end },
  { false, "projects:set_user_role", "(project_id, user_id, role) -> nil", "Change a member's role",
    fn = function(c, id, user, role)
      return send(c, "PATCH", id_path("/projects", id, "/users/" .. H.encode(user)), { role = role })
    end },
})
add(collection("users", "/users", "user"))
add({
  { false, "users:create", "(invitations) -> [result]", "Invite users: {{email, role = \"global:member\"}}",
    fn = function(c, invitations) return send(c, "POST", "/users", json.array(invitations or {})) end },
  { false, "users:delete", "(id) -> nil", "Delete a user (by id: n8n does not look emails up here)",
    fn = function(c, id) return send(c, "DELETE", id_path("/users", id)) end },
  { false, "users:set_role", "(id_or_email, role) -> nil", "Change a user's global role (\"global:admin\", \"global:member\")",
    fn = function(c, id, role) return send(c, "PATCH", id_path("/users", id, "/role"), { newRoleName = role }) end },
})
add({
  { false, "users:get", "(id_or_email) -> user|nil", "One user by id or email",
    fn = function(c, id) return c.api:get(id_path("/users", id), { allow_404 = true }) end },
  { false, "source_control:pull", "(opts?) -> result", "Pull from the connected Git repository; opts {force, variables}",
    fn = function(c, opts) return send(c, "POST", "/source-control/pull", opts or {}) end },
  { false, "audit:generate", "(opts?) -> report", "Security audit report; opts {additionalOptions = {categories, daysAbandonedWorkflow}}",
    fn = function(c, opts) return send(c, "POST", "/audit", opts or {}) end },
})

-- Module helpers (the original's forms: they take the client first) ------------------------

--- Every item of a group's cursor collection: n8n.all(c.tags, opts).
function M.all(section, opts)
  local query = {}
  for k, v in pairs(opts or {}) do query[k] = v end
  local all = {}
  repeat
    local answer = section:page(query)
    for _, item in ipairs(answer.data or {}) do all[#all + 1] = item end
    query.cursor = answer.nextCursor
  until query.cursor == nil or query.cursor == ""
  return all
end

--- Poll <url>/healthz until it answers 200.
function M.wait(url, opts)
  opts = opts or {}
  local timeout, interval = opts.timeout or 60, opts.interval or 2
  local probe = H.client(url, { module = "n8n" })
  local up = H.poll(timeout, interval, function() return probe:response("GET", "/healthz").status == 200 end)
  if not up then
    error("n8n.wait: not reachable at " .. H.strip(url) .. " after " .. H.text(timeout) .. "s", 2)
  end
  return true
end

-- n8n's name filter matches parts of names; the helpers need the exact one.
function M.find_workflow_by_name(c, name)
  for _, wf in ipairs(c.workflows:list({ name = name })) do
    if wf.name == name then return wf end
  end
  return nil
end

function M.set_active(c, id, active)
  local wf = c.workflows:get(id)
  if wf == nil then error("n8n.set_active: workflow not found: " .. tostring(id), 2) end
  if wf.active == active then return wf end
  if active then return c.workflows:activate(id) end
  return c.workflows:deactivate(id)
end

function M.ensure_workflow(c, spec, opts)
  if type(spec) ~= "table" or spec.name == nil then error("n8n.ensure_workflow: spec.name is required", 2) end
  local existing = M.find_workflow_by_name(c, spec.name)
  local wf
  if existing then
    wf = c.workflows:update(existing.id, spec)
  else
    wf = c.workflows:create(spec)
  end
  if opts and opts.active ~= nil then wf = M.set_active(c, wf.id, opts.active) end
  return wf
end

-- The first item of a collection whose `field` equals `value`.
local function find(section, field, value)
  for _, item in ipairs(section:list()) do
    if item[field] == value then return item end
  end
  return nil
end

function M.ensure_tag(c, name)
  if name == nil then error("n8n.ensure_tag: name is required", 2) end
  return find(c.tags, "name", name) or c.tags:create({ name = name })
end

function M.ensure_workflow_tags(c, workflow_id, names)
  local ids = {}
  for i, name in ipairs(names or {}) do ids[i] = M.ensure_tag(c, name).id end
  return c.workflows:set_tags(workflow_id, ids)
end

function M.ensure_variable(c, key, value, opts)
  if key == nil then error("n8n.ensure_variable: key is required", 2) end
  local body = { key = key, value = value }
  for k, v in pairs(opts or {}) do body[k] = v end
  local existing = find(c.variables, "key", key)
  if existing == nil then
    c.variables:create(body)
    return find(c.variables, "key", key) or body
  end
  if existing.value == value then return existing end
  c.variables:update(existing.id, body)
  existing.value = value
  return existing
end

function M.ensure_project(c, name, opts)
  if name == nil then error("n8n.ensure_project: name is required", 2) end
  local existing = find(c.projects, "name", name)
  if existing then return existing end
  local body = { name = name }
  for k, v in pairs(opts or {}) do body[k] = v end
  return c.projects:create(body)
end

H.api({
  module = "n8n",
  quickref = {
    "M.client(url, opts?) -> client | n8n client for https://n8n.example.com; opts {api_key (X-N8N-API-KEY; else $N8N_API_KEY), api_path = \"/api/v1\"}",
    "M.all(section, opts?) -> [item] | Every item of a group's pages: n8n.all(c.tags)",
    "M.wait(url, opts?) -> true | Poll <url>/healthz until 200; opts {timeout = 60, interval = 2}",
    "M.find_workflow_by_name(c, name) -> workflow|nil | The workflow with exactly this name",
    "M.set_active(c, id, active) -> workflow | Activate or deactivate only when the state differs",
    "M.ensure_workflow(c, spec, opts?) -> workflow | Create, or update the workflow of the same name; opts {active}",
    "M.ensure_tag(c, name) -> tag | The tag of this name, created when missing",
    "M.ensure_workflow_tags(c, workflow_id, names) -> [tag] | Set a workflow's tags by name, creating missing tags",
    "M.ensure_variable(c, key, value, opts?) -> variable | Create, or update when the value differs",
    "M.ensure_project(c, name, opts?) -> project | The project of this name, created when missing",
  },
  ops = ops,
}):install(Client)

return M
