--- @module assay.unleash
--- @description Unleash feature flag management. Projects, features, environments, strategies, API tokens.
--- @category devtools
--- @icon flag
--- @keywords unleash, feature-flags, toggles, projects, environments, strategies, feature, toggle, strategy, environment, token, api-token, archive, flag, gradual-rollout
--- @quickref M.client(url, opts?) -> client | Unleash Admin API client; opts {token} (sent raw as Authorization, also {api_key}) or {username, password}
--- @quickref M.wait(url, opts?) -> true | Wait for Unleash to become healthy
--- @quickref M.ensure_project(client, project_id, opts?) -> project | Ensure project exists
--- @quickref M.ensure_environment(client, project_id, env_name) -> true | Ensure environment enabled
--- @quickref M.ensure_token(client, opts) -> token | Ensure API token exists
--- @quickref c.health:check() -> {health} | Check Unleash health; flat: c:health()
--- @quickref c.projects:list() -> [project] | List projects; flat: c:projects()
--- @quickref c.projects:get(id) -> project|nil | Get project by ID; flat: c:project(id)
--- @quickref c.projects:create(project) -> project | Create a project; flat: c:create_project(project)
--- @quickref c.projects:update(id, project) -> project | Update a project; flat: c:update_project(id, project)
--- @quickref c.projects:delete(id) -> nil | Delete a project; flat: c:delete_project(id)
--- @quickref c.environments:list() -> [environment] | List environments; flat: c:environments()
--- @quickref c.environments:enable(project_id, env_name) -> nil | Enable environment on project; flat: c:enable_environment(project_id, env_name)
--- @quickref c.environments:disable(project_id, env_name) -> nil | Disable environment on project; flat: c:disable_environment(project_id, env_name)
--- @quickref c.features:list(project_id) -> [feature] | List features in project; flat: c:features(project_id)
--- @quickref c.features:get(project_id, name) -> feature|nil | Get feature by name; flat: c:feature(project_id, name)
--- @quickref c.features:create(project_id, feature) -> feature | Create a feature; flat: c:create_feature(project_id, feature)
--- @quickref c.features:update(project_id, name, feature) -> feature | Update a feature; flat: c:update_feature(project_id, name, feature)
--- @quickref c.features:archive(project_id, name) -> nil | Archive a feature; flat: c:archive_feature(project_id, name)
--- @quickref c.features:toggle_on(project_id, name, env) -> nil | Enable feature in environment; flat: c:toggle_on(project_id, name, env)
--- @quickref c.features:toggle_off(project_id, name, env) -> nil | Disable feature in environment; flat: c:toggle_off(project_id, name, env)
--- @quickref c.strategies:list(project_id, feature_name, env) -> [strategy] | List feature strategies; flat: c:strategies(project_id, feature_name, env)
--- @quickref c.strategies:add(project_id, feature_name, env, strategy) -> strategy | Add strategy to feature; flat: c:add_strategy(project_id, feature_name, env, strategy)
--- @quickref c.tokens:list() -> [token] | List API tokens; flat: c:tokens()
--- @quickref c.tokens:create(token_config) -> token | Create API token; flat: c:create_token(token_config)
--- @quickref c.tokens:delete(secret) -> nil | Delete API token; flat: c:delete_token(secret)

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- Unleash answers 200, 201, 202 or 204 to writes depending on version and endpoint.
local WRITE_OK = { 200, 201, 202, 203, 204 }

--- M.client(url, opts?): opts.token (or opts.api_key) is sent raw as `Authorization: <token>`
--- (Unleash API tokens have no Bearer prefix); else username + password → Basic.
function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  local token = opts.token or opts.api_key
  if token ~= nil then
    headers["Authorization"] = tostring(token)
  else
    H.auth_headers({ username = opts.username, password = opts.password }, headers)
  end
  H.merge_headers(headers, opts.headers)
  return setmetatable({
    url = H.strip(url),
    token = token,
    api = H.client(url, { error = "unleash: {method} {path_query} HTTP {status}: {body}", headers = headers }),
  }, Client)
end

local function get(self, path)
  return self.api:get(path, { allow_404 = true })
end

local function post(self, path, body)
  return self.api:post(path, body, { expect = WRITE_OK })
end

local function put(self, path, body)
  return self.api:put(path, body, { expect = WRITE_OK })
end

local function delete(self, path)
  return self.api:delete(path, { expect = WRITE_OK })
end

local function field(data, name)
  if type(data) == "table" and data[name] ~= nil then return data[name] end
  return {}
end

local function project_path(id)
  return "/api/admin/projects/" .. H.text(id)
end

local function feature_path(project_id, name)
  return project_path(project_id) .. "/features/" .. H.text(name)
end

local function env_path(project_id, name, env)
  return feature_path(project_id, name) .. "/environments/" .. H.text(env)
end

function Client:health()
  return self.api:get("/health")
end

function Client:projects()
  return field(get(self, "/api/admin/projects"), "projects")
end

function Client:project(id)
  return get(self, project_path(id))
end

function Client:create_project(project)
  return post(self, "/api/admin/projects", project)
end

function Client:update_project(id, project)
  return put(self, project_path(id), project)
end

function Client:delete_project(id)
  return delete(self, project_path(id))
end

function Client:environments()
  return field(get(self, "/api/admin/environments"), "environments")
end

function Client:enable_environment(project_id, env_name)
  return post(self, project_path(project_id) .. "/environments", { environment = env_name })
end

function Client:disable_environment(project_id, env_name)
  return delete(self, project_path(project_id) .. "/environments/" .. H.text(env_name))
end

function Client:features(project_id)
  return field(get(self, project_path(project_id) .. "/features"), "features")
end

function Client:feature(project_id, name)
  return get(self, feature_path(project_id, name))
end

function Client:create_feature(project_id, feature)
  return post(self, project_path(project_id) .. "/features", feature)
end

function Client:update_feature(project_id, name, feature)
  return put(self, feature_path(project_id, name), feature)
end

function Client:archive_feature(project_id, name)
  return delete(self, feature_path(project_id, name))
end

function Client:toggle_on(project_id, name, env)
  return post(self, env_path(project_id, name, env) .. "/on", {})
end

function Client:toggle_off(project_id, name, env)
  return post(self, env_path(project_id, name, env) .. "/off", {})
end

function Client:strategies(project_id, name, env)
  local body = get(self, env_path(project_id, name, env) .. "/strategies")
  if body == nil then return {} end
  if type(body) ~= "table" then return body end
  if body[1] ~= nil then return body end
  if body.strategies ~= nil then return body.strategies end
  return body
end

-- A strategy's `parameters` is a JSON object; an empty Lua table would be sent as [].
local function strategy_body(strategy)
  if type(strategy) ~= "table" or type(strategy.parameters) ~= "table" or next(strategy.parameters) ~= nil then
    return strategy
  end
  local rest = {}
  for k, v in pairs(strategy) do
    if k ~= "parameters" then rest[k] = v end
  end
  if next(rest) == nil then return '{"parameters":{}}' end
  local text = json.encode(rest)
  return text:sub(1, -2) .. ',"parameters":{}}'
end

function Client:add_strategy(project_id, name, env, strategy)
  return post(self, env_path(project_id, name, env) .. "/strategies", strategy_body(strategy))
end

function Client:tokens()
  return field(get(self, "/api/admin/api-tokens"), "tokens")
end

function Client:create_token(token_config)
  return post(self, "/api/admin/api-tokens", token_config)
end

function Client:delete_token(secret)
  return delete(self, "/api/admin/api-tokens/" .. H.text(secret))
end

-- Module-level helpers ----------------------------------------------------------------

--- M.wait(url, opts?): poll <url>/health (url used as given) until it answers 200.
function M.wait(url, opts)
  opts = opts or {}
  local timeout = opts.timeout or 60
  local interval = opts.interval or 2
  local max_attempts = math.ceil(timeout / interval)
  for i = 1, max_attempts do
    local ok, resp = pcall(http.get, url .. "/health", { headers = {} })
    if ok and resp.status == 200 then
      log.info("Unleash healthy after " .. (i * interval) .. "s")
      return true
    end
    if i == max_attempts then
      error("unleash.wait: not reachable at " .. url .. " after " .. timeout .. "s")
    end
    log.info("Waiting for Unleash... (" .. i .. "/" .. max_attempts .. ")")
    sleep(interval)
  end
  error("unleash.wait: not reachable at " .. url .. " after " .. timeout .. "s")
end

function M.ensure_project(client, project_id, opts)
  opts = opts or {}
  local existing = client:project(project_id)
  if existing ~= nil then
    log.info("Project already exists: " .. project_id)
    return existing
  end
  local project = { id = project_id, name = opts.name or project_id }
  if opts.description ~= nil then project.description = opts.description end
  local created = client:create_project(project)
  log.info("Created project: " .. project_id)
  return created
end

function M.ensure_environment(client, project_id, env_name)
  local ok, err = pcall(client.enable_environment, client, project_id, env_name)
  if ok then
    log.info("Enabled environment " .. env_name .. " on project " .. project_id)
    return true
  end
  local text = tostring(err)
  if text:find("409", 1, true) or text:find("already", 1, true) then
    log.info("Environment " .. env_name .. " already enabled on project " .. project_id)
    return true
  end
  error("unleash.ensure_environment: " .. text)
end

function M.ensure_token(client, opts)
  opts = opts or {}
  assert.not_nil(opts.tokenName, "unleash.ensure_token: opts.tokenName is required")
  assert.not_nil(opts.type, "unleash.ensure_token: opts.type is required")
  for _, token in ipairs(client:tokens()) do
    if token.tokenName == opts.tokenName and token.type == opts.type
      and (opts.environment == nil or token.environment == opts.environment) then
      log.info("Token already exists for " .. opts.tokenName .. " (" .. opts.type .. ")")
      return token
    end
  end
  local config = { tokenName = opts.tokenName, type = opts.type }
  if opts.environment ~= nil then config.environment = opts.environment end
  if opts.projects ~= nil then config.projects = opts.projects end
  local created = client:create_token(config)
  log.info("Created token for " .. opts.tokenName .. " (" .. opts.type .. ")")
  return created
end

H.api({
  module = "unleash",
  quickref = {
    "M.client(url, opts?) -> client | Unleash Admin API client; opts {token} (sent raw as Authorization, also {api_key}) or {username, password}",
    "M.wait(url, opts?) -> true | Wait for Unleash to become healthy",
    "M.ensure_project(client, project_id, opts?) -> project | Ensure project exists",
    "M.ensure_environment(client, project_id, env_name) -> true | Ensure environment enabled",
    "M.ensure_token(client, opts) -> token | Ensure API token exists",
  },
  ops = {
    { "health", "health:check", "() -> {health}", "Check Unleash health" },
    { "projects", "projects:list", "() -> [project]", "List projects" },
    { "project", "projects:get", "(id) -> project|nil", "Get project by ID" },
    { "create_project", "projects:create", "(project) -> project", "Create a project" },
    { "update_project", "projects:update", "(id, project) -> project", "Update a project" },
    { "delete_project", "projects:delete", "(id) -> nil", "Delete a project" },
    { "environments", "environments:list", "() -> [environment]", "List environments" },
    { "enable_environment", "environments:enable", "(project_id, env_name) -> nil", "Enable environment on project" },
    { "disable_environment", "environments:disable", "(project_id, env_name) -> nil", "Disable environment on project" },
    { "features", "features:list", "(project_id) -> [feature]", "List features in project" },
    { "feature", "features:get", "(project_id, name) -> feature|nil", "Get feature by name" },
    { "create_feature", "features:create", "(project_id, feature) -> feature", "Create a feature" },
    { "update_feature", "features:update", "(project_id, name, feature) -> feature", "Update a feature" },
    { "archive_feature", "features:archive", "(project_id, name) -> nil", "Archive a feature" },
    { "toggle_on", "features:toggle_on", "(project_id, name, env) -> nil", "Enable feature in environment" },
    { "toggle_off", "features:toggle_off", "(project_id, name, env) -> nil", "Disable feature in environment" },
    { "strategies", "strategies:list", "(project_id, feature_name, env) -> [strategy]", "List feature strategies" },
    { "add_strategy", "strategies:add", "(project_id, feature_name, env, strategy) -> strategy", "Add strategy to feature" },
    { "tokens", "tokens:list", "() -> [token]", "List API tokens" },
    { "create_token", "tokens:create", "(token_config) -> token", "Create API token" },
    { "delete_token", "tokens:delete", "(secret) -> nil", "Delete API token" },
  },
}):install(Client)

return M
