--- @module assay.argocd
--- @description ArgoCD GitOps application management. Apps, sync, health, projects, repositories, clusters.
--- @keywords argocd, gitops, applications, sync, health, projects, repositories, clusters, rollback, manifest, resource-tree, refresh, wait, cicd, continuous-delivery
--- @quickref M.client(url, opts?) -> client | ArgoCD client; opts {token} (or {api_key}) or {username, password}
--- @quickref c:applications(opts?) -> [app] | List applications with optional project/selector filter
--- @quickref c:application(name) -> app | Get application by name
--- @quickref c:app_health(name) -> {status, sync, message} | Get app health and sync status
--- @quickref c:sync(name, opts?) -> result | Trigger application sync
--- @quickref c:refresh(name, opts?) -> app | Refresh application state
--- @quickref c:rollback(name, id) -> result | Rollback application to history ID
--- @quickref c:app_resources(name) -> resource_tree | Get application resource tree
--- @quickref c:app_manifests(name, opts?) -> manifests | Get application manifests
--- @quickref c:delete_app(name, opts?) -> nil | Delete application
--- @quickref c:projects() -> [project] | List projects
--- @quickref c:project(name) -> project | Get project by name
--- @quickref c:repositories() -> [repo] | List repositories
--- @quickref c:repository(repo_url) -> repo | Get repository by URL
--- @quickref c:clusters() -> [cluster] | List clusters
--- @quickref c:cluster(server_url) -> cluster | Get cluster by server URL
--- @quickref c:settings() -> settings | Get ArgoCD settings
--- @quickref c:version() -> version | Get ArgoCD version
--- @quickref c:is_healthy(name) -> bool | Check if app is healthy
--- @quickref c:is_synced(name) -> bool | Check if app is synced
--- @quickref c:wait_healthy(name, timeout_secs) -> true | Wait for app to become healthy
--- @quickref c:wait_synced(name, timeout_secs) -> true | Wait for app to become synced

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

--- M.client(url, opts?): opts.token (or opts.api_key) → Bearer; else username + password → Basic.
function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  return setmetatable({
    url = H.strip(url),
    token = opts.token or opts.api_key,
    username = opts.username,
    password = opts.password,
    api = H.client(url, { error = "argocd: {method} {path_query} HTTP {status}: {body}",
      headers = headers, token = opts.token, api_key = opts.api_key,
      username = opts.username, password = opts.password }),
  }, Client)
end

-- JSON text of a Lua value where every empty table is the object {} (sync strategies such as
-- {hook = {}} are objects; the json builtin would write []).
local function encode_objects(value)
  if type(value) ~= "table" then return json.encode(value) end
  if next(value) == nil then return "{}" end
  local n, count = #value, 0
  for _ in pairs(value) do count = count + 1 end
  local parts = {}
  if n > 0 and n == count then
    for i = 1, n do parts[i] = encode_objects(value[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(value) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local v = value[k]
    if v == nil then v = value[tonumber(k)] end
    parts[i] = json.encode(k) .. ":" .. encode_objects(v)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function items(data)
  if type(data) == "table" and data.items ~= nil then return data.items end
  return {}
end

local function app_path(name)
  return "/api/v1/applications/" .. name
end

function Client:applications(opts)
  opts = opts or {}
  local q = H.query("project", opts.project, "selector", opts.selector)
  return items(self.api:get("/api/v1/applications" .. q))
end

function Client:application(name)
  return self.api:get(app_path(name))
end

function Client:app_health(name)
  local app = self:application(name)
  local status = type(app) == "table" and app.status or {}
  local health = status.health or {}
  local sync = status.sync or {}
  return { status = health.status, sync = sync.status, message = health.message }
end

function Client:sync(name, opts)
  opts = opts or {}
  local body = {}
  if opts.revision ~= nil then body.revision = opts.revision end
  if opts.prune ~= nil then body.prune = opts.prune end
  if opts.dry_run ~= nil then body.dryRun = opts.dry_run end
  if opts.strategy ~= nil then body.strategy = opts.strategy end
  return self.api:post(app_path(name) .. "/sync", encode_objects(body))
end

function Client:refresh(name, opts)
  opts = opts or {}
  return self.api:get(app_path(name) .. H.query("refresh", opts.type or "normal"))
end

--- Argo CD's rollback endpoint is POST; the original client sent PUT. POST is sent first;
--- when the server does not route POST there (404/405/501) the request is repeated as PUT.
function Client:rollback(name, id)
  local path = app_path(name) .. "/rollback"
  if math.type(id) == "float" and id == math.floor(id) then id = math.tointeger(id) end
  local body = json.encode({ id = id })
  local resp = self.api:post(path, body, { expect = "any", result = "response" })
  if resp.status == 200 then
    if resp.body == nil or resp.body == "" then return nil end
    return json.parse(resp.body)
  end
  if resp.status == 404 or resp.status == 405 or resp.status == 501 then
    local put = self.api:put(path, body, { expect = "any", result = "response" })
    if put.status == 200 then
      if put.body == nil or put.body == "" then return nil end
      return json.parse(put.body)
    end
    if put.status ~= 404 and put.status ~= 405 and put.status ~= 501 then resp = put end
    error(self.api:message({ method = resp == put and "PUT" or "POST", path_query = path,
      status = resp.status, body = resp.body }))
  end
  error(self.api:message({ method = "POST", path_query = path, status = resp.status, body = resp.body }))
end

function Client:app_resources(name)
  return self.api:get(app_path(name) .. "/resource-tree")
end

function Client:app_manifests(name, opts)
  opts = opts or {}
  return self.api:get(app_path(name) .. "/manifests" .. H.query("revision", opts.revision))
end

function Client:delete_app(name, opts)
  opts = opts or {}
  local q = H.query("cascade", opts.cascade, "propagationPolicy", opts.propagation_policy)
  return self.api:delete(app_path(name) .. q)
end

function Client:projects()
  return items(self.api:get("/api/v1/projects"))
end

function Client:project(name)
  return self.api:get("/api/v1/projects/" .. name)
end

function Client:repositories()
  return items(self.api:get("/api/v1/repositories"))
end

function Client:repository(repo_url)
  return self.api:get("/api/v1/repositories/" .. H.encode(repo_url))
end

function Client:clusters()
  return items(self.api:get("/api/v1/clusters"))
end

function Client:cluster(server_url)
  return self.api:get("/api/v1/clusters/" .. H.encode(server_url))
end

function Client:settings()
  return self.api:get("/api/v1/settings")
end

function Client:version()
  return self.api:get("/api/version")
end

function Client:is_healthy(name)
  return self:app_health(name).status == "Healthy"
end

function Client:is_synced(name)
  return self:app_health(name).sync == "Synced"
end

local function wait_for(self, name, timeout_secs, check, what)
  local deadline = time() + timeout_secs
  while time() < deadline do
    if check(self, name) then return true end
    sleep(2)
  end
  error("argocd: timeout waiting for " .. name .. " to become " .. what)
end

function Client:wait_healthy(name, timeout_secs)
  return wait_for(self, name, timeout_secs, Client.is_healthy, "healthy")
end

function Client:wait_synced(name, timeout_secs)
  return wait_for(self, name, timeout_secs, Client.is_synced, "synced")
end

return M
