--- @module assay.openstack
--- @description OpenStack inventory, read-only: Keystone v3 password or token auth, the service catalog (endpoints published without an API version get the one each service expects), projects, users, regions, servers, compute limits and quotas, images, networks, subnets, ports, routers, security groups and network quotas. Lists follow every page.
--- @category cloud
--- @icon openstack
--- @keywords openstack, keystone, nova, glance, neutron, identity, compute, image, network, quota, servers, subnets, ports, routers, security-groups, inventory, catalog
--- @tested against a real Keystone (password and token auth, the service catalog with its regions, interfaces and unversioned URLs, projects, users, regions: tests/real/test_real_openstack.py); the compute, image and network calls only against a fake (tests/stdlib/test_openstack.py), since Nova, Glance and Neutron are not started on the test machine.
--- @env OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_REGION_NAME
--- @quickref M.client(auth_url, opts) -> client | OpenStack client; auth_url is Keystone (…:5000 or …/v3); opts {username, password, project_name|project_id, user_domain_name|user_domain_id, project_domain_name|project_domain_id (domains default "Default")} or {token}; region, interface ("public"), endpoints {compute=…}, catalog
--- @quickref c:authenticate() -> {project_id, catalog} | Get a token from Keystone now (otherwise on the first call); the token stays inside the client
--- @quickref c.identity:list_projects(opts?) -> [project] | Projects; opts are query filters (name, domain_id, enabled, …)
--- @quickref c.identity:get_project(id) -> project|nil | One project
--- @quickref c.identity:list_users(opts?) -> [user] | Users; opts are query filters
--- @quickref c.identity:get_user(id) -> user|nil | One user
--- @quickref c.identity:list_regions(opts?) -> [region] | Regions
--- @quickref c.compute:list_servers(opts?) -> [server] | Servers with details (GET /servers/detail); opts are query filters (all_tenants, status, name, …)
--- @quickref c.compute:get_server(id) -> server|nil | One server
--- @quickref c.compute:get_limits(opts?) -> limits | Compute limits {absolute, rate}; opts {tenant_id}
--- @quickref c.compute:get_quota(project_id, opts?) -> quota_set | A project's compute quota with usage (os-quota-sets/…/detail)
--- @quickref c.image:list_images(opts?) -> [image] | Images; opts are query filters (status, visibility, name, …)
--- @quickref c.image:get_image(id) -> image|nil | One image
--- @quickref c.network:list_networks(opts?) -> [network] | List networks; opts are query filters
--- @quickref c.network:get_network(id) -> network|nil | Get one network
--- @quickref c.network:list_subnets(opts?) -> [subnet] | List subnets; opts are query filters
--- @quickref c.network:get_subnet(id) -> subnet|nil | Get one subnet
--- @quickref c.network:list_ports(opts?) -> [port] | List ports; opts are query filters
--- @quickref c.network:get_port(id) -> port|nil | Get one port
--- @quickref c.network:list_routers(opts?) -> [router] | List routers; opts are query filters
--- @quickref c.network:get_router(id) -> router|nil | Get one router
--- @quickref c.network:list_security_groups(opts?) -> [security_group] | List security groups; opts are query filters
--- @quickref c.network:get_security_group(id) -> security_group|nil | Get one security group
--- @quickref c.network:get_quota(project_id) -> quota | A project's network quota

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- The API version each service's paths are written against. Clouds publish catalog entries
-- both with it (".../glance/v2") and without it (".../glance"), so it is added only when the
-- URL's path has no version segment yet.
local SERVICE_VERSION = { identity = "v3", compute = "v2.1", image = "v2", network = "v2.0" }

local function has_version(url)
  local path = url:gsub("^%a[%w+.-]*://[^/]*", "")
  for segment in path:gmatch("[^/]+") do
    if segment:match("^v%d+$") or segment:match("^v%d+%.%d+$") then return true end
  end
  return false
end

local function versioned(service, url)
  url = H.strip(url)
  local version = SERVICE_VERSION[service]
  if version and not has_version(url) then return url .. "/" .. version end
  return url
end

local function domain(name, id)
  if id then return { id = id } end
  return { name = name or "Default" }
end

function M.client(auth_url, opts)
  if type(auth_url) ~= "string" or auth_url == "" then
    error("openstack.client: auth_url must be a non-empty string", 2)
  end
  opts = opts or {}
  if not opts.token then
    if not opts.username or not opts.password then
      error("openstack.client: opts.username and opts.password (or opts.token) are required", 2)
    end
    if not opts.project_id and not opts.project_name then
      error("openstack.client: opts.project_id or opts.project_name is required", 2)
    end
  end
  return setmetatable({
    url = versioned("identity", auth_url),
    opts = opts,
    token = opts.token,
    catalog = opts.catalog or {},
    project_id = opts.project_id,
    endpoints = {},
  }, Client)
end

-- The Keystone v3 password request, scoped to one project.
local function password_body(o)
  local project
  if o.project_id then
    project = { id = o.project_id }
  else
    project = { name = o.project_name, domain = domain(o.project_domain_name, o.project_domain_id) }
  end
  return { auth = {
    identity = { methods = { "password" }, password = { user = {
      name = o.username, password = o.password, domain = domain(o.user_domain_name, o.user_domain_id),
    } } },
    scope = { project = project },
  } }
end

function Client:authenticate()
  if not self.token then
    local keystone = H.client(self.url, { module = "openstack", headers = { Accept = "application/json" } })
    local resp = keystone:request("POST", "/auth/tokens",
      { body = password_body(self.opts), expect = { 200, 201 }, result = "response" })
    local token = resp.headers["x-subject-token"]
    if not token or token == "" then error("openstack: Keystone answered without an X-Subject-Token header") end
    local data = json.parse(resp.body).token or {}
    self.token, self.catalog = token, data.catalog or {}
    if data.project then self.project_id = data.project.id end
  end
  return { project_id = self.project_id, catalog = self.catalog }
end

-- The endpoint URL of a service: opts.endpoints, else the catalog entry of the wanted
-- interface and region, else (identity only) the auth URL.
function Client:endpoint(service)
  self:authenticate()
  local given = (self.opts.endpoints or {})[service]
  if given then return versioned(service, given) end
  local interface, region = self.opts.interface or "public", self.opts.region
  for _, entry in ipairs(self.catalog) do
    if entry.type == service then
      for _, ep in ipairs(entry.endpoints or {}) do
        if ep.interface == interface and (not region or ep.region == region or ep.region_id == region) then
          return versioned(service, ep.url)
        end
      end
    end
  end
  if service == "identity" then return self.url end
  error("openstack: the service catalog has no " .. interface .. " " .. service .. " endpoint"
    .. (region and (" in region " .. region) or ""))
end

function Client:service(name)
  local api = self.endpoints[name]
  if not api then
    api = H.client(self:endpoint(name), { module = "openstack",
      headers = { Accept = "application/json", ["X-Auth-Token"] = self.token } })
    self.endpoints[name] = api
  end
  return api
end

-- "?a=1&b=2" of every option, keys sorted so the request is the same on every run.
local function filters(opts)
  local keys, args = {}, {}
  for k in pairs(opts or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do args[#args + 1], args[#args + 2] = k, opts[k] end
  return H.query(table.unpack(args))
end

-- The query of the next page: Glance answers {"next": "/v2/images?marker=…"}, Nova and Neutron
-- {"<key>_links": [{rel = "next", href}]}, Keystone {"links": {"next": href}}. Only the query
-- is kept: the href may name an internal host the caller cannot reach.
local function next_query(data, key)
  local href = data.next
  if type(data[key .. "_links"]) == "table" then
    for _, link in ipairs(data[key .. "_links"]) do
      if link.rel == "next" then href = link.href end
    end
  end
  if type(data.links) == "table" and type(data.links.next) == "string" then href = data.links.next end
  if type(href) ~= "string" then return nil end
  return href:match("(%?.*)$")
end

--- Every item of a list: the pages are followed unless the caller pages itself (opts.marker).
function Client:_list(service, path, key, opts)
  local api = self:service(service)
  local items, target, seen = {}, path .. filters(opts), {}
  while target and not seen[target] do
    seen[target] = true
    local data = api:get(target) or {}
    for _, item in ipairs(data[key] or {}) do items[#items + 1] = item end
    target = nil
    if not (opts and opts.marker) then
      local q = next_query(data, key)
      if q then target = path .. q end
    end
  end
  return items
end

function Client:_get(service, path, key)
  local data = self:service(service):get(path, { allow_404 = true })
  if data ~= nil and key then return data[key] end
  return data
end

local function lister(service, path, key)
  return function(c, opts) return c:_list(service, path, key, opts) end
end

local function getter(service, path, key)
  return function(c, id)
    if id == nil then error("openstack: id is required", 2) end
    return c:_get(service, path .. "/" .. H.encode(id), key)
  end
end

local function network(plural, singular, path)
  return {
    { false, "network:list_" .. plural, "(opts?) -> [" .. singular .. "]", "List " .. plural:gsub("_", " ") .. "; opts are query filters",
      fn = lister("network", path, plural) },
    { false, "network:get_" .. singular, "(id) -> " .. singular .. "|nil", "Get one " .. singular:gsub("_", " "),
      fn = getter("network", path, singular) },
  }
end

local ops = {
  { "authenticate", false, "() -> {project_id, catalog}",
    "Get a token from Keystone now (otherwise on the first call); the token stays inside the client" },
  { false, "identity:list_projects", "(opts?) -> [project]", "Projects; opts are query filters (name, domain_id, enabled, …)",
    fn = lister("identity", "/projects", "projects") },
  { false, "identity:get_project", "(id) -> project|nil", "One project", fn = getter("identity", "/projects", "project") },
  { false, "identity:list_users", "(opts?) -> [user]", "Users; opts are query filters",
    fn = lister("identity", "/users", "users") },
  { false, "identity:get_user", "(id) -> user|nil", "One user", fn = getter("identity", "/users", "user") },
  { false, "identity:list_regions", "(opts?) -> [region]", "Regions", fn = lister("identity", "/regions", "regions") },
  { false, "compute:list_servers", "(opts?) -> [server]",
    "Servers with details (GET /servers/detail); opts are query filters (all_tenants, status, name, …)",
    fn = lister("compute", "/servers/detail", "servers") },
  { false, "compute:get_server", "(id) -> server|nil", "One server", fn = getter("compute", "/servers", "server") },
  { false, "compute:get_limits", "(opts?) -> limits", "Compute limits {absolute, rate}; opts {tenant_id}",
    fn = function(c, opts) return c:service("compute"):get("/limits" .. filters(opts)).limits or {} end },
  { false, "compute:get_quota", "(project_id, opts?) -> quota_set",
    "A project's compute quota with usage (os-quota-sets/…/detail)",
    fn = function(c, project_id, opts)
      if project_id == nil then error("openstack: project_id is required", 2) end
      local path = "/os-quota-sets/" .. H.encode(project_id) .. "/detail" .. filters(opts)
      return c:service("compute"):get(path).quota_set or {}
    end },
  { false, "image:list_images", "(opts?) -> [image]", "Images; opts are query filters (status, visibility, name, …)",
    fn = lister("image", "/images", "images") },
  { false, "image:get_image", "(id) -> image|nil", "One image", fn = getter("image", "/images", nil) },
}
for _, spec in ipairs({ { "networks", "network", "/networks" }, { "subnets", "subnet", "/subnets" },
                        { "ports", "port", "/ports" }, { "routers", "router", "/routers" },
                        { "security_groups", "security_group", "/security-groups" } }) do
  for _, op in ipairs(network(spec[1], spec[2], spec[3])) do ops[#ops + 1] = op end
end
ops[#ops + 1] = { false, "network:get_quota", "(project_id) -> quota", "A project's network quota",
  fn = function(c, project_id)
    if project_id == nil then error("openstack: project_id is required", 2) end
    return c:service("network"):get("/quotas/" .. H.encode(project_id)).quota or {}
  end }

H.api({
  module = "openstack",
  quickref = { "M.client(auth_url, opts) -> client | OpenStack client; auth_url is Keystone (…:5000 or …/v3); opts {username, password, project_name|project_id, user_domain_name|user_domain_id, project_domain_name|project_domain_id (domains default \"Default\")} or {token}; region, interface (\"public\"), endpoints {compute=…}, catalog" },
  ops = ops,
}):install(Client)

return M
