--- @module assay.zitadel
--- @description Zitadel OIDC identity management. Projects, OIDC apps, IdPs, users, login policies.
--- @category identity
--- @icon fingerprint
--- @keywords zitadel, oidc, identity, projects, applications, idp, users, authentication, domain, app, login-policy, user, password, google, machine-key, jwt, saml
--- @quickref M.client(url, opts) -> client | Zitadel client for url; opts {domain, machine_key | machine_key_file | token}; M.client(opts) with opts.url also works
--- @quickref c.domains:ensure_primary(domain) -> bool | Set organization primary domain; flat: c:ensure_primary_domain(domain)
--- @quickref c.projects:find(name) -> project|nil | Find project by name; flat: c:find_project(name)
--- @quickref c.projects:create(name, opts?) -> project | Create a new project; flat: c:create_project(name, opts?)
--- @quickref c.projects:ensure(name, opts?) -> project | Ensure project exists; flat: c:ensure_project(name, opts?)
--- @quickref c.apps:find(project_id, name) -> app|nil | Find OIDC app by name; flat: c:find_app(project_id, name)
--- @quickref c.apps:create_oidc(project_id, opts) -> app | Create OIDC application; flat: c:create_oidc_app(project_id, opts)
--- @quickref c.apps:ensure_oidc(project_id, opts) -> app | Ensure OIDC app exists; flat: c:ensure_oidc_app(project_id, opts)
--- @quickref c.idps:find(name) -> idp|nil | Find identity provider by name; flat: c:find_idp(name)
--- @quickref c.idps:ensure_google(opts) -> idp_id|nil | Ensure Google IdP exists; flat: c:ensure_google_idp(opts)
--- @quickref c.idps:ensure_oidc(opts) -> idp_id|nil | Ensure generic OIDC IdP exists; flat: c:ensure_oidc_idp(opts)
--- @quickref c.idps:add_to_login_policy(idp_id) -> bool | Add IdP to login policy; flat: c:add_idp_to_login_policy(idp_id)
--- @quickref c.users:search(query) -> [user] | Search users; flat: c:search_users(query)
--- @quickref c.users:update_email(user_id, email) -> bool | Update user email; flat: c:update_user_email(user_id, email)
--- @quickref c.login_policy:get() -> policy|nil | Get login policy; flat: c:get_login_policy()
--- @quickref c.login_policy:update(policy) -> bool | Update login policy; flat: c:update_login_policy(policy)
--- @quickref c.login_policy:disable_password() -> bool | Disable password-based login; flat: c:disable_password_login()

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

local JWT_BEARER_BODY = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
  .. "&scope=openid+urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud&assertion="

local function check_machine_key(key)
  for _, field in ipairs({ "userId", "key", "keyId" }) do
    if type(key) ~= "table" or key[field] == nil then
      error("zitadel: machine key missing " .. field)
    end
  end
  return key
end

-- RFC 7523 JWT bearer grant: a JWT signed with the machine key, exchanged for an access token.
local function exchange_machine_key(c, key)
  local now = math.floor(time())
  local assertion = crypto.jwt_sign({
    iss = key.userId,
    sub = key.userId,
    aud = "https://auth." .. c.domain,
    iat = now,
    exp = now + 300,
  }, key.key, "RS256", { kid = key.keyId })
  local resp = c._api:request("POST", "/oauth/v2/token", {
    bare = true,
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Host = c.host_header },
    body = JWT_BEARER_BODY .. assertion,
    expect = "any",
    result = "response",
  })
  if resp.status ~= 200 then
    error("zitadel: token exchange failed (HTTP " .. resp.status .. "): " .. resp.body)
  end
  local data = json.parse(resp.body)
  if type(data) ~= "table" or data.access_token == nil then
    error("zitadel: no access_token in token response")
  end
  return data.access_token
end

--- zitadel.client{url, domain, machine_key | machine_key_file | token};
--- zitadel.client(url, opts) takes the base URL first.
function M.client(opts, more)
  if type(opts) == "string" then
    local url = opts
    opts = {}
    for k, v in pairs(more or {}) do opts[k] = v end
    opts.url = url
  end
  opts = opts or {}
  assert.not_nil(opts.url, "zitadel.client: url required")
  assert.not_nil(opts.domain, "zitadel.client: domain required")

  local c = setmetatable({
    url = H.strip(opts.url),
    domain = opts.domain,
    host_header = "auth." .. opts.domain,
  }, Client)
  c._api = H.client(c.url, {})

  if opts.machine_key ~= nil then
    c.access_token = exchange_machine_key(c, check_machine_key(opts.machine_key))
  elseif opts.machine_key_file ~= nil then
    c.access_token = exchange_machine_key(c, check_machine_key(json.parse(fs.read(opts.machine_key_file))))
  elseif opts.token ~= nil then
    c.access_token = opts.token
  else
    error("zitadel.client: one of machine_key, machine_key_file, or token required")
  end
  return c
end

-- API requests: never raise on the HTTP status; return status and the parsed body (or nil).
local function call(self, method, path, body)
  local opts = {
    headers = {
      Authorization = "Bearer " .. tostring(self.access_token),
      ["Content-Type"] = "application/json",
      Host = self.host_header,
    },
    expect = "any",
    result = "response",
  }
  if method ~= "GET" then
    opts.body = body == nil and "{}" or H.json_body(body)
  end
  local resp = self._api:request(method, path, opts)
  local data = nil
  if resp.body ~= nil and resp.body ~= "" then
    local ok, parsed = pcall(json.parse, resp.body)
    if ok then data = parsed end
  end
  return resp.status, data, resp.body
end

local function first(list)
  if type(list) == "table" and list[1] ~= nil then return list[1] end
  return nil
end

local function equals_query(kind, name)
  return { { [kind] = { name = name, method = "TEXT_QUERY_METHOD_EQUALS" } } }
end

-- Organization domain

-- Org domains: the original's /admin/v1 paths first; when the service does not know them
-- (404/405/501, as a real Zitadel does), the management API's org-domain endpoints.
local DOMAIN_APIS = {
  { list = { "GET", "/admin/v1/orgs/me/domains" }, base = "/admin/v1/orgs/me/domains" },
  { list = { "POST", "/management/v1/orgs/me/domains/_search" }, base = "/management/v1/orgs/me/domains" },
}

local function route_missing(status)
  return status == 404 or status == 405 or status == 501
end

function Client:ensure_primary_domain(target_domain)
  local status, data, api
  for _, candidate in ipairs(DOMAIN_APIS) do
    api = candidate
    status, data = call(self, api.list[1], api.list[2], api.list[1] == "POST" and {} or nil)
    if not route_missing(status) then break end
  end
  if status ~= 200 then
    log.warn("zitadel: could not list org domains (HTTP " .. status .. ")")
    return false
  end
  for _, d in ipairs((data or {}).result or {}) do
    if d.domainName == target_domain and d.isPrimary then
      log.info("zitadel: " .. target_domain .. " is already the primary domain")
      return true
    end
  end
  status = call(self, "POST", api.base, { domain = target_domain })
  if status ~= 200 and status ~= 409 then
    log.warn("zitadel: could not add domain (HTTP " .. status .. ")")
    return false
  end
  status = call(self, "POST", api.base .. "/" .. target_domain .. "/_set_primary", {})
  if status ~= 200 then
    log.warn("zitadel: could not set primary domain (HTTP " .. status .. ")")
    return false
  end
  log.info("zitadel: primary domain set to " .. target_domain)
  return true
end

-- Projects

function Client:find_project(name)
  local status, data = call(self, "POST", "/management/v1/projects/_search",
    { queries = equals_query("nameQuery", name) })
  if status ~= 200 then return nil end
  return first((data or {}).result)
end

function Client:create_project(name, opts)
  opts = opts or {}
  local body = { name = name }
  if opts.projectRoleAssertion ~= nil then body.projectRoleAssertion = opts.projectRoleAssertion end
  local status, data, raw = call(self, "POST", "/management/v1/projects", body)
  if status ~= 200 then
    error("zitadel: failed to create project '" .. tostring(name) .. "' (HTTP " .. status .. "): " .. raw)
  end
  data = data or {}
  log.info("Created project '" .. tostring(name) .. "' (id=" .. tostring(data.id) .. ")")
  return data
end

function Client:ensure_project(name, opts)
  local project = self:find_project(name)
  if project then
    log.info("Project '" .. tostring(name) .. "' already exists (id=" .. tostring(project.id) .. ")")
    return project
  end
  return self:create_project(name, opts)
end

-- OIDC applications

function Client:find_app(project_id, name)
  local path = "/management/v1/projects/" .. project_id .. "/apps/_search"
  local status, data = call(self, "POST", path,
    { query = { limit = 100 }, queries = equals_query("nameQuery", name) })
  if status ~= 200 then
    -- older Zitadel versions: no name filter, match on the client side
    status, data = call(self, "POST", path, { query = { limit = 100 } })
    if status ~= 200 then return nil end
  end
  for _, app in ipairs((data or {}).result or {}) do
    if app.name == name then return app end
  end
  return nil
end

function Client:create_oidc_app(project_id, opts)
  opts = opts or {}
  local name = opts.name
  local function default_uri(suffix)
    if opts.subdomain == nil or (suffix == nil and opts.callbackPath == nil) then
      error("zitadel: create_oidc_app needs opts.subdomain and opts.callbackPath for the default redirect URIs")
    end
    return "https://" .. opts.subdomain .. "." .. self.domain .. (suffix or opts.callbackPath)
  end
  local function assertion(value)
    return value ~= false
  end
  local body = {
    name = name,
    redirectUris = opts.redirectUris or { default_uri(nil) },
    postLogoutRedirectUris = opts.postLogoutRedirectUris or { default_uri("/") },
    responseTypes = opts.responseTypes or { "OIDC_RESPONSE_TYPE_CODE" },
    grantTypes = opts.grantTypes or { "OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN" },
    appType = opts.appType or "OIDC_APP_TYPE_WEB",
    authMethodType = opts.authMethodType or "OIDC_AUTH_METHOD_TYPE_BASIC",
    accessTokenType = opts.accessTokenType or "OIDC_TOKEN_TYPE_BEARER",
    accessTokenRoleAssertion = assertion(opts.accessTokenRoleAssertion),
    idTokenRoleAssertion = assertion(opts.idTokenRoleAssertion),
    idTokenUserinfoAssertion = assertion(opts.idTokenUserinfoAssertion),
    devMode = opts.devMode or false,
    clockSkew = opts.clockSkew or "0s",
  }
  local status, data, raw = call(self, "POST", "/management/v1/projects/" .. project_id .. "/apps/oidc", body)
  if status == 409 then
    log.info("OIDC app '" .. tostring(name) .. "' already exists")
    local app = self:find_app(project_id, name)
    if app then return app end
    log.warn("zitadel: OIDC app '" .. tostring(name) .. "' exists but could not be found")
    return { id = "existing", name = name }
  end
  if status ~= 200 then
    error("zitadel: failed to create OIDC app '" .. tostring(name) .. "' (HTTP " .. status .. "): " .. raw)
  end
  data = data or {}
  log.info("Created OIDC app '" .. tostring(name) .. "' (clientId=" .. tostring(data.clientId) .. ")")
  return data
end

function Client:ensure_oidc_app(project_id, opts)
  opts = opts or {}
  local app = self:find_app(project_id, opts.name)
  if app then
    log.info("OIDC app '" .. tostring(opts.name) .. "' already exists")
    return app
  end
  return self:create_oidc_app(project_id, opts)
end

-- Identity providers

function Client:find_idp(name)
  local status, data = call(self, "POST", "/admin/v1/idps/templates/_search",
    { queries = equals_query("idpNameQuery", name) })
  if status ~= 200 then return nil end
  return first((data or {}).result)
end

local function provider_options(opts, extra)
  if opts.providerOptions ~= nil then return opts.providerOptions end
  local po = { isLinkingAllowed = true, isCreationAllowed = true, isAutoCreation = true, isAutoUpdate = true }
  for k, v in pairs(extra or {}) do po[k] = v end
  return po
end

function Client:ensure_google_idp(opts)
  opts = opts or {}
  local existing = self:find_idp("Google")
  if existing then
    log.info("Google IdP already exists (id=" .. tostring(existing.id) .. ")")
    return existing.id
  end
  local status, data = call(self, "POST", "/admin/v1/idps/google", {
    name = "Google",
    clientId = opts.clientId,
    clientSecret = opts.clientSecret,
    scopes = opts.scopes or { "openid", "email", "profile" },
    providerOptions = provider_options(opts),
  })
  if status ~= 200 then
    log.warn("zitadel: failed to create Google IdP (HTTP " .. status .. ")")
    return nil
  end
  data = data or {}
  local id = data.idp_id or data.id
  log.info("Created Google IdP (id=" .. tostring(id) .. ")")
  return id
end

function Client:ensure_oidc_idp(opts)
  opts = opts or {}
  if opts.name == nil then error("zitadel: ensure_oidc_idp requires name") end
  local name = opts.name
  local body = {
    name = name,
    clientId = opts.clientId,
    clientSecret = opts.clientSecret,
    issuer = opts.issuer,
    scopes = opts.scopes or { "openid", "email", "profile" },
    isIdTokenMapping = (opts.isIdTokenMapping ~= false),
    providerOptions = provider_options(opts, { autoLinking = opts.autoLinking or "AUTO_LINKING_OPTION_EMAIL" }),
  }
  local existing = self:find_idp(name)
  if existing then
    local status = call(self, "PUT", "/admin/v1/idps/generic_oidc/" .. tostring(existing.id), body)
    if status == 200 then
      log.info("Updated " .. tostring(name) .. " IdP (id=" .. tostring(existing.id) .. ")")
    else
      log.warn("zitadel: failed to update " .. tostring(name) .. " IdP (HTTP " .. status .. ")")
    end
    return existing.id
  end
  local status, data, raw = call(self, "POST", "/admin/v1/idps/generic_oidc", body)
  if status ~= 200 then
    log.warn("zitadel: failed to create " .. tostring(name) .. " IdP (HTTP " .. status .. "): " .. raw)
    return nil
  end
  data = data or {}
  log.info("Created " .. tostring(name) .. " IdP (id=" .. tostring(data.id) .. ")")
  return data.id
end

function Client:add_idp_to_login_policy(idp_id)
  local status = call(self, "POST", "/admin/v1/policies/login/idps",
    { idpId = idp_id, ownerType = "IDPOWNERTYPE_SYSTEM" })
  if status == 200 or status == 409 then return true end
  log.warn("zitadel: failed to add IdP to login policy (HTTP " .. status .. ")")
  return false
end

-- Users

function Client:search_users(query)
  local status, data = call(self, "POST", "/management/v1/users/_search", query)
  if status ~= 200 then
    log.warn("zitadel: user search failed (HTTP " .. status .. ")")
    return {}
  end
  return (data or {}).result or {}
end

function Client:update_user_email(user_id, email)
  local status = call(self, "PUT", "/management/v1/users/" .. user_id .. "/email",
    { email = email, isEmailVerified = true })
  if status == 200 then return true end
  log.warn("zitadel: failed to update user email (HTTP " .. status .. ")")
  return false
end

-- Login policy

function Client:get_login_policy()
  local status, data = call(self, "GET", "/admin/v1/policies/login")
  if status ~= 200 then return nil end
  return (data or {}).policy
end

function Client:update_login_policy(policy)
  local status, _, raw = call(self, "PUT", "/admin/v1/policies/login", policy)
  if status == 200 then return true end
  log.warn("zitadel: failed to update login policy (HTTP " .. status .. "): " .. raw)
  return false
end

function Client:disable_password_login()
  local policy = self:get_login_policy()
  if policy == nil then
    log.warn("zitadel: could not read login policy")
    return false
  end
  if not policy.allowUsernamePassword then
    log.info("Password login already disabled")
    return true
  end
  return self:update_login_policy({
    allowUsernamePassword = false,
    allowExternalIdp = true,
    allowRegister = policy.allowRegister or false,
    forceMfa = policy.forceMfa or false,
    passwordlessType = policy.passwordlessType or "PASSWORDLESS_TYPE_NOT_ALLOWED",
    hidePasswordReset = true,
    passwordCheckLifetime = policy.passwordCheckLifetime,
    externalLoginCheckLifetime = policy.externalLoginCheckLifetime,
    mfaInitSkipLifetime = policy.mfaInitSkipLifetime,
    secondFactorCheckLifetime = policy.secondFactorCheckLifetime,
    multiFactorCheckLifetime = policy.multiFactorCheckLifetime,
  })
end

H.api({
  module = "zitadel",
  quickref = {
    "M.client(url, opts) -> client | Zitadel client for url; opts {domain, machine_key | machine_key_file | token}; M.client(opts) with opts.url also works",
  },
  ops = {
    { "ensure_primary_domain", "domains:ensure_primary", "(domain) -> bool", "Set organization primary domain" },
    { "find_project", "projects:find", "(name) -> project|nil", "Find project by name" },
    { "create_project", "projects:create", "(name, opts?) -> project", "Create a new project" },
    { "ensure_project", "projects:ensure", "(name, opts?) -> project", "Ensure project exists" },
    { "find_app", "apps:find", "(project_id, name) -> app|nil", "Find OIDC app by name" },
    { "create_oidc_app", "apps:create_oidc", "(project_id, opts) -> app", "Create OIDC application" },
    { "ensure_oidc_app", "apps:ensure_oidc", "(project_id, opts) -> app", "Ensure OIDC app exists" },
    { "find_idp", "idps:find", "(name) -> idp|nil", "Find identity provider by name" },
    { "ensure_google_idp", "idps:ensure_google", "(opts) -> idp_id|nil", "Ensure Google IdP exists" },
    { "ensure_oidc_idp", "idps:ensure_oidc", "(opts) -> idp_id|nil", "Ensure generic OIDC IdP exists" },
    { "add_idp_to_login_policy", "idps:add_to_login_policy", "(idp_id) -> bool", "Add IdP to login policy" },
    { "search_users", "users:search", "(query) -> [user]", "Search users" },
    { "update_user_email", "users:update_email", "(user_id, email) -> bool", "Update user email" },
    { "get_login_policy", "login_policy:get", "() -> policy|nil", "Get login policy" },
    { "update_login_policy", "login_policy:update", "(policy) -> bool", "Update login policy" },
    { "disable_password_login", "login_policy:disable_password", "() -> bool", "Disable password-based login" },
  },
}):install(Client)

return M
