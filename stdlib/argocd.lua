--- @module assay.argocd
--- @description ArgoCD GitOps application management. Apps, sync, health, projects, repositories, clusters.
--- @category gitops
--- @icon argo
--- @keywords argocd, gitops, applications, sync, health, projects, repositories, clusters, rollback, manifest, resource-tree, refresh, wait, cicd, continuous-delivery
--- @quickref M.client(url, opts?) -> client | ArgoCD client; opts {token} (or {api_key}) or {username, password}
--- @quickref c.apps:list(opts?) -> [app] | List applications; opts {project, selector}; flat: c:applications(opts?)
--- @quickref c.apps:get(name) -> app | Get application by name; flat: c:application(name)
--- @quickref c.apps:health(name) -> {status, sync, message} | Get app health and sync status; flat: c:app_health(name)
--- @quickref c.apps:sync(name, opts?) -> result | Trigger application sync; opts {revision, prune, dry_run, strategy}; flat: c:sync(name, opts?)
--- @quickref c.apps:refresh(name, opts?) -> app | Refresh application state; opts {type = normal|hard}; flat: c:refresh(name, opts?)
--- @quickref c.apps:rollback(name, id) -> result | Rollback application to history ID; flat: c:rollback(name, id)
--- @quickref c.apps:resources(name) -> resource_tree | Get application resource tree; flat: c:app_resources(name)
--- @quickref c.apps:manifests(name, opts?) -> manifests | Get application manifests; opts {revision}; flat: c:app_manifests(name, opts?)
--- @quickref c.apps:delete(name, opts?) -> nil | Delete application; opts {cascade, propagation_policy}; flat: c:delete_app(name, opts?)
--- @quickref c.apps:is_healthy(name) -> bool | Check if app is healthy; flat: c:is_healthy(name)
--- @quickref c.apps:is_synced(name) -> bool | Check if app is synced; flat: c:is_synced(name)
--- @quickref c.apps:wait_healthy(name, timeout_secs) -> true | Wait for app to become healthy; flat: c:wait_healthy(name, timeout_secs)
--- @quickref c.apps:wait_synced(name, timeout_secs) -> true | Wait for app to become synced; flat: c:wait_synced(name, timeout_secs)
--- @quickref c.projects:list() -> [project] | List projects; flat: c:projects()
--- @quickref c.projects:get(name) -> project | Get project by name; flat: c:project(name)
--- @quickref c.repositories:list() -> [repo] | List repositories; flat: c:repositories()
--- @quickref c.repositories:get(repo_url) -> repo | Get repository by URL; flat: c:repository(repo_url)
--- @quickref c.clusters:list() -> [cluster] | List clusters; flat: c:clusters()
--- @quickref c.clusters:get(server_url) -> cluster | Get cluster by server URL; flat: c:cluster(server_url)
--- @quickref c.settings:get() -> settings | Get ArgoCD settings; flat: c:settings()
--- @quickref c:version() -> version | Get ArgoCD version

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

--- M.client(url, opts?): opts.token (or opts.api_key) → Bearer; else username + password → Basic.
function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  H.merge_headers(headers, opts.headers)
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

function Client:app_manifests(name, opts)
  opts = opts or {}
  return self.api:get(app_path(name) .. "/manifests" .. H.query("revision", opts.revision))
end

function Client:delete_app(name, opts)
  opts = opts or {}
  local q = H.query("cascade", opts.cascade, "propagationPolicy", opts.propagation_policy)
  return self.api:delete(app_path(name) .. q)
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

H.api({
  module = "argocd",
  quickref = { "M.client(url, opts?) -> client | ArgoCD client; opts {token} (or {api_key}) or {username, password}" },
  ops = {
    { "applications", "apps:list", "(opts?) -> [app]", "List applications; opts {project, selector}" },
    { "application", "apps:get", "(name) -> app", "Get application by name" },
    { "app_health", "apps:health", "(name) -> {status, sync, message}", "Get app health and sync status" },
    { "sync", "apps:sync", "(name, opts?) -> result", "Trigger application sync; opts {revision, prune, dry_run, strategy}" },
    { "refresh", "apps:refresh", "(name, opts?) -> app", "Refresh application state; opts {type = normal|hard}" },
    { "rollback", "apps:rollback", "(name, id) -> result", "Rollback application to history ID" },
    { "app_resources", "apps:resources", "(name) -> resource_tree", "Get application resource tree",
      get = "/api/v1/applications/{name}/resource-tree" },
    { "app_manifests", "apps:manifests", "(name, opts?) -> manifests", "Get application manifests; opts {revision}" },
    { "delete_app", "apps:delete", "(name, opts?) -> nil", "Delete application; opts {cascade, propagation_policy}" },
    { "is_healthy", "apps:is_healthy", "(name) -> bool", "Check if app is healthy" },
    { "is_synced", "apps:is_synced", "(name) -> bool", "Check if app is synced" },
    { "wait_healthy", "apps:wait_healthy", "(name, timeout_secs) -> true", "Wait for app to become healthy" },
    { "wait_synced", "apps:wait_synced", "(name, timeout_secs) -> true", "Wait for app to become synced" },
    { "projects", "projects:list", "() -> [project]", "List projects",
      get = "/api/v1/projects", field = "items", default = {} },
    { "project", "projects:get", "(name) -> project", "Get project by name", get = "/api/v1/projects/{name}" },
    { "repositories", "repositories:list", "() -> [repo]", "List repositories",
      get = "/api/v1/repositories", field = "items", default = {} },
    { "repository", "repositories:get", "(repo_url) -> repo", "Get repository by URL",
      get = "/api/v1/repositories/{repo_url}" },
    { "clusters", "clusters:list", "() -> [cluster]", "List clusters",
      get = "/api/v1/clusters", field = "items", default = {} },
    { "cluster", "clusters:get", "(server_url) -> cluster", "Get cluster by server URL",
      get = "/api/v1/clusters/{server_url}" },
    { "settings", "settings:get", "() -> settings", "Get ArgoCD settings", get = "/api/v1/settings" },
    { "version", false, "() -> version", "Get ArgoCD version", get = "/api/version" },
  },
}):install(Client)

return M
