--- @module assay.dex
--- @description Dex OIDC identity provider. Discovery, JWKS, health, and configuration validation.
--- @category identity
--- @icon key
--- @keywords dex, oidc, identity, discovery, jwks, authentication, openid-configuration, key-set, scope, grant-type, response-type, validation
--- @quickref M.client(url, opts?) -> client | Dex client for the issuer url (c:discovery(), c:jwks(), ...); opts {token}, {api_key} or {username, password}
--- @quickref M.discovery(url) -> {issuer, endpoints...} | Every flat method is also a module function taking the issuer URL first
--- @quickref c.discovery:config() -> {issuer, endpoints...} | Get OIDC discovery configuration; flat: c:discovery()
--- @quickref c.discovery:jwks() -> {keys} | Get JSON Web Key Set; flat: c:jwks()
--- @quickref c.discovery:issuer() -> string | Get issuer URL from discovery; flat: c:issuer()
--- @quickref c.health:check() -> bool | Check Dex health; flat: c:health()
--- @quickref c.health:ready() -> bool | Check Dex readiness; flat: c:ready()
--- @quickref c.discovery:has_endpoint(endpoint_name) -> bool | Check if endpoint exists in discovery; flat: c:has_endpoint(endpoint_name)
--- @quickref c.scopes:list() -> [string] | List supported OIDC scopes; flat: c:supported_scopes()
--- @quickref c.grants:response_types() -> [string] | List supported response types; flat: c:supported_response_types()
--- @quickref c.grants:list() -> [string] | List supported grant types; flat: c:supported_grant_types()
--- @quickref c.scopes:supports(scope) -> bool | Check if scope is supported; flat: c:supports_scope(scope)
--- @quickref c.grants:supports(grant_type) -> bool | Check if grant type is supported; flat: c:supports_grant_type(grant_type)
--- @quickref c:validate_config() -> {ok, errors} | Validate OIDC configuration
--- @quickref c:admin_version() -> version|nil | Get Dex admin API version

local H = require("assay._http")

local M = {}

local ERROR = "dex.{fn}: HTTP {status}: {body}"

local function api(url)
  return H.client(url, { error = ERROR })
end

function M.discovery(url)
  return api(url):get("/.well-known/openid-configuration", { fn = "discovery" })
end

function M.jwks(url)
  local config = M.discovery(url)
  local jwks_uri = type(config) == "table" and config.jwks_uri or nil
  if jwks_uri == nil then
    error("dex.jwks: discovery response missing jwks_uri")
  end
  -- The absolute jwks_uri is used as given: split it into origin and path for the helper.
  local origin, path = tostring(jwks_uri):match("^(%a[%w+.%-]*://[^/?#]*)(.*)$")
  if origin == nil then origin, path = tostring(jwks_uri), "" end
  local keys = H.client(origin, { error = ERROR, headers = H.headers(url) })
  return keys:get(path, { fn = "jwks" })
end

function M.issuer(url)
  return M.discovery(url).issuer
end

function M.health(url)
  return api(url):response("GET", "/healthz").status == 200
end

--- Same request as health: Dex's main listener only has /healthz.
function M.ready(url)
  return api(url):response("GET", "/healthz").status == 200
end

function M.has_endpoint(url, endpoint_name)
  return M.discovery(url)[endpoint_name] ~= nil
end

local function list(url, field)
  local value = M.discovery(url)[field]
  if value == nil then return {} end
  return value
end

function M.supported_scopes(url)
  return list(url, "scopes_supported")
end

function M.supported_response_types(url)
  return list(url, "response_types_supported")
end

function M.supported_grant_types(url)
  return list(url, "grant_types_supported")
end

local function contains(items, wanted)
  for _, item in ipairs(items) do
    if item == wanted then return true end
  end
  return false
end

function M.supports_scope(url, scope)
  return contains(M.supported_scopes(url), scope)
end

function M.supports_grant_type(url, grant_type)
  return contains(M.supported_grant_types(url), grant_type)
end

function M.validate_config(url)
  local ok, config = pcall(M.discovery, url)
  if not ok then
    return { ok = false, errors = { "discovery failed: " .. tostring(config) } }
  end
  config = type(config) == "table" and config or {}
  local base = H.strip(H.url(url))
  local errors = {}
  if config.issuer == nil then
    errors[#errors + 1] = "missing issuer"
  elseif config.issuer ~= base then
    errors[#errors + 1] = "issuer mismatch: expected " .. base .. ", got " .. tostring(config.issuer)
  end
  if config.authorization_endpoint == nil then errors[#errors + 1] = "missing authorization_endpoint" end
  if config.token_endpoint == nil then errors[#errors + 1] = "missing token_endpoint" end
  if config.jwks_uri == nil then errors[#errors + 1] = "missing jwks_uri" end
  return { ok = #errors == 0, errors = errors }
end

function M.admin_version(url)
  local ok, version = pcall(function()
    return api(url):get("/api/v1/version", { fn = "admin_version" })
  end)
  if ok then return version end
  return nil
end

local api = H.api({
  module = "dex",
  quickref = {
    "M.client(url, opts?) -> client | Dex client for the issuer url (c:discovery(), c:jwks(), ...); opts {token}, {api_key} or {username, password}",
    "M.discovery(url) -> {issuer, endpoints...} | Every flat method is also a module function taking the issuer URL first",
  },
  ops = {
    { "discovery", "discovery:config", "() -> {issuer, endpoints...}", "Get OIDC discovery configuration" },
    { "jwks", "discovery:jwks", "() -> {keys}", "Get JSON Web Key Set" },
    { "issuer", "discovery:issuer", "() -> string", "Get issuer URL from discovery" },
    { "health", "health:check", "() -> bool", "Check Dex health" },
    { "ready", "health:ready", "() -> bool", "Check Dex readiness" },
    { "has_endpoint", "discovery:has_endpoint", "(endpoint_name) -> bool", "Check if endpoint exists in discovery" },
    { "supported_scopes", "scopes:list", "() -> [string]", "List supported OIDC scopes" },
    { "supported_response_types", "grants:response_types", "() -> [string]", "List supported response types" },
    { "supported_grant_types", "grants:list", "() -> [string]", "List supported grant types" },
    { "supports_scope", "scopes:supports", "(scope) -> bool", "Check if scope is supported" },
    { "supports_grant_type", "grants:supports", "(grant_type) -> bool", "Check if grant type is supported" },
    { "validate_config", false, "() -> {ok, errors}", "Validate OIDC configuration" },
    { "admin_version", false, "() -> version|nil", "Get Dex admin API version" },
  },
})

--- M.client(url, opts?): the functions above bound to one issuer URL and optional auth
--- ({token} / {api_key} → Bearer, {username, password} → Basic): c:jwks() == M.jwks(url).
function M.client(url, opts)
  return H.bind(M, url, opts, { api = api })
end

return M
