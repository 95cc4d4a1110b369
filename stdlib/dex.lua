--- @module assay.dex
--- @description Dex OIDC identity provider. Discovery, JWKS, health, and configuration validation.
--- @keywords dex, oidc, identity, discovery, jwks, authentication, openid-configuration, key-set, scope, grant-type, response-type, validation
--- @quickref M.client(url, opts?) -> client | Dex client for the issuer url (c:discovery(), c:jwks(), ...); opts {token}, {api_key} or {username, password}
--- @quickref M.discovery(url) -> {issuer, endpoints...} | Get OIDC discovery configuration
--- @quickref M.jwks(url) -> {keys} | Get JSON Web Key Set
--- @quickref M.issuer(url) -> string | Get issuer URL from discovery
--- @quickref M.health(url) -> bool | Check Dex health
--- @quickref M.ready(url) -> bool | Check Dex readiness
--- @quickref M.has_endpoint(url, endpoint_name) -> bool | Check if endpoint exists in discovery
--- @quickref M.supported_scopes(url) -> [string] | List supported OIDC scopes
--- @quickref M.supported_response_types(url) -> [string] | List supported response types
--- @quickref M.supported_grant_types(url) -> [string] | List supported grant types
--- @quickref M.supports_scope(url, scope) -> bool | Check if scope is supported
--- @quickref M.supports_grant_type(url, grant_type) -> bool | Check if grant type is supported
--- @quickref M.validate_config(url) -> {ok, errors} | Validate OIDC configuration
--- @quickref M.admin_version(url) -> version|nil | Get Dex admin API version

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

--- M.client(url, opts?): the functions above bound to one issuer URL and optional auth
--- ({token} / {api_key} → Bearer, {username, password} → Basic): c:jwks() == M.jwks(url).
function M.client(url, opts)
  return H.bind(M, url, opts)
end

return M
