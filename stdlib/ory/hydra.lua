--- @module assay.ory.hydra
--- @description Ory Hydra OAuth2 and OpenID Connect — client CRUD, authorize URL builder, token exchange, login/consent/logout challenges, introspection, JWK endpoint.
--- @category identity
--- @icon ory
--- @keywords hydra, ory, oauth2, oidc, openid, authentication, clients, tokens, login_challenge, consent_challenge, logout_challenge, jwk, authorize, introspect
--- @quickref hydra.client(public_url, opts?) -> client | Hydra client for public_url; opts {admin_url?}
--- @quickref hydra.client(opts) -> client | Create a Hydra client. opts: {public_url, admin_url}
--- @quickref c.clients:list(opts?) -> [{client_id, ...}] | List registered OAuth2 clients; flat: c:list_clients(opts?)
--- @quickref c.clients:get(client_id) -> client | Get a registered OAuth2 client; flat: c:get_client(client_id)
--- @quickref c.clients:create(spec) -> client | Create/register an OAuth2 client; flat: c:create_client(spec)
--- @quickref c.clients:update(client_id, spec) -> client | Upsert an OAuth2 client (PUT); flat: c:update_client(client_id, spec)
--- @quickref c.clients:delete(client_id) -> nil | Delete an OAuth2 client; flat: c:delete_client(client_id)
--- @quickref c.oauth2:authorize_url(client_id, opts) -> url | Build the authorize URL for a browser redirect; flat: c:build_authorize_url(client_id, opts)
--- @quickref c.oauth2:exchange_code(opts) -> {access_token, id_token, refresh_token} | Exchange auth code for tokens (authorization_code grant); flat: c:exchange_code(opts)
--- @quickref c.oauth2:refresh_token(client_id, client_secret, refresh_token) -> tokens | Refresh an access token; flat: c:refresh_token(client_id, client_secret, refresh_token)
--- @quickref c.oauth2:introspect(token) -> {active, sub, scope, ...} | Token introspection; flat: c:introspect(token)
--- @quickref c.oauth2:revoke_token(client_id, client_secret, token) -> nil | Revoke a token; flat: c:revoke_token(client_id, client_secret, token)
--- @quickref c.login:get(challenge) -> {challenge, subject, client, ...} | Fetch a pending login challenge; flat: c:get_login_request(challenge)
--- @quickref c.login:accept(challenge, subject, opts?) -> {redirect_to} | Accept a login challenge; flat: c:accept_login(challenge, subject, opts?)
--- @quickref c.login:reject(challenge, error) -> {redirect_to} | Reject a login challenge; flat: c:reject_login(challenge, error)
--- @quickref c.consent:get(challenge) -> {challenge, subject, requested_scope, ...} | Fetch a pending consent challenge; flat: c:get_consent_request(challenge)
--- @quickref c.consent:accept(challenge, opts) -> {redirect_to} | Accept a consent challenge (with claims); flat: c:accept_consent(challenge, opts)
--- @quickref c.consent:reject(challenge, error) -> {redirect_to} | Reject a consent challenge; flat: c:reject_consent(challenge, error)
--- @quickref c.logout:get(challenge) -> {request_url, rp_initiated, sid, subject, client} | Fetch a pending logout challenge; flat: c:get_logout_request(challenge)
--- @quickref c.logout:accept(challenge) -> {redirect_to} | Accept a logout challenge (invalidates session); flat: c:accept_logout(challenge)
--- @quickref c.logout:reject(challenge) -> nil | Reject a logout challenge (user stays signed in); flat: c:reject_logout(challenge)
--- @quickref c.discovery:openid_config() -> {issuer, authorization_endpoint, ...} | Fetch OIDC discovery document; flat: c:well_known()
--- @quickref c.discovery:jwks() -> {keys} | Fetch JSON Web Key Set; flat: c:jwks()

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

local ADMIN = "hydra: {method} {path_query} HTTP {status}: {body}"
local FORM = { ["Content-Type"] = "application/x-www-form-urlencoded" }

--- hydra.client(opts) with opts {public_url?, admin_url?};
--- hydra.client(public_url, opts?) takes the public URL first and opts.admin_url.
function M.client(opts, more)
  if type(opts) == "string" then
    local url = opts
    opts = {}
    for k, v in pairs(more or {}) do opts[k] = v end
    opts.public_url = url
  end
  opts = opts or {}
  return setmetatable({
    public_url = opts.public_url and H.strip(opts.public_url) or nil,
    admin_url = opts.admin_url and H.strip(opts.admin_url) or nil,
  }, Client)
end

local function url_of(self, which)
  local url = self[which .. "_url"]
  if not url then error("hydra: " .. which .. "_url not configured") end
  return url
end

-- A request client on the public or admin API with the given error template.
local function api(self, which, message)
  return H.client(url_of(self, which), { error = message or ADMIN })
end

-- "k1=v1&k2=v2" from key, value pairs (values percent-encoded, nil sent as "").
local function form(...)
  local parts, n = {}, select("#", ...)
  for i = 1, n, 2 do
    local key, value = select(i, ...)
    parts[#parts + 1] = key .. "=" .. H.encode(value == nil and "" or value)
  end
  return table.concat(parts, "&")
end

local function post_form(self, which, path, body, message)
  return api(self, which, message):post(path, body, { headers = FORM })
end

-- OAuth2 clients (admin)

function Client:list_clients(opts)
  opts = opts or {}
  return api(self, "admin"):get("/admin/clients" .. H.query("page_size", opts.page_size))
end

function Client:get_client(client_id)
  return api(self, "admin"):get("/admin/clients/" .. H.encode(client_id))
end

function Client:create_client(spec)
  return api(self, "admin"):post("/admin/clients", spec, { expect = { 200, 201 } })
end

function Client:update_client(client_id, spec)
  spec = spec or {}
  spec.client_id = client_id
  return api(self, "admin"):put("/admin/clients/" .. H.encode(client_id), spec, { expect = { 200, 201 } })
end

function Client:delete_client(client_id)
  api(self, "admin", "hydra: DELETE client HTTP {status}: {body}")
    :delete("/admin/clients/" .. H.encode(client_id), { expect = { 200, 204 }, result = "true" })
end

-- Flow helpers (public)

function Client:build_authorize_url(client_id, opts)
  opts = opts or {}
  local url = url_of(self, "public") .. "/oauth2/auth?" .. form(
    "client_id", client_id,
    "response_type", opts.response_type or "code",
    "scope", opts.scope or "openid profile email",
    "redirect_uri", opts.redirect_uri or "")
  if opts.state then url = url .. "&" .. form("state", opts.state) end
  if opts.nonce then url = url .. "&" .. form("nonce", opts.nonce) end
  if type(opts.extra) == "table" then
    local keys = {}
    for key in pairs(opts.extra) do keys[#keys + 1] = tostring(key) end
    table.sort(keys)
    for _, key in ipairs(keys) do
      url = url .. "&" .. form(key, opts.extra[key])
    end
  end
  return url
end

function Client:exchange_code(opts)
  opts = opts or {}
  return post_form(self, "public", "/oauth2/token", form(
    "grant_type", "authorization_code",
    "code", opts.code,
    "redirect_uri", opts.redirect_uri,
    "client_id", opts.client_id,
    "client_secret", opts.client_secret), "hydra: token exchange HTTP {status}: {body}")
end

function Client:refresh_token(client_id, client_secret, refresh_token)
  return post_form(self, "public", "/oauth2/token", form(
    "grant_type", "refresh_token",
    "refresh_token", refresh_token,
    "client_id", client_id,
    "client_secret", client_secret), "hydra: refresh token HTTP {status}: {body}")
end

function Client:revoke_token(client_id, client_secret, token)
  api(self, "public", "hydra: revoke HTTP {status}: {body}"):post("/oauth2/revoke",
    form("token", token, "client_id", client_id, "client_secret", client_secret),
    { headers = FORM, result = "true" })
end

-- Introspection (admin)

function Client:introspect(token)
  return post_form(self, "admin", "/admin/oauth2/introspect", form("token", token),
    "hydra: introspect HTTP {status}: {body}")
end

-- Login / consent / logout challenges (admin)

local REQUESTS = "/admin/oauth2/auth/requests/"

local function challenge_path(kind, action, challenge)
  return REQUESTS .. kind .. (action and ("/" .. action) or "")
    .. "?" .. form(kind .. "_challenge", challenge)
end

local function put(self, path, body, expect)
  return api(self, "admin"):put(path, body, { expect = expect or { 200, 201 } })
end

function Client:get_login_request(challenge)
  return api(self, "admin"):get(challenge_path("login", nil, challenge))
end

function Client:accept_login(challenge, subject, opts)
  opts = opts or {}
  return put(self, challenge_path("login", "accept", challenge), {
    subject = subject,
    remember = opts.remember,
    remember_for = opts.remember_for,
    acr = opts.acr,
    amr = opts.amr,
    context = opts.context,
  })
end

function Client:reject_login(challenge, err)
  return put(self, challenge_path("login", "reject", challenge), err or { error = "access_denied" })
end

function Client:get_consent_request(challenge)
  return api(self, "admin"):get(challenge_path("consent", nil, challenge))
end

function Client:accept_consent(challenge, opts)
  opts = opts or {}
  return put(self, challenge_path("consent", "accept", challenge), {
    grant_scope = opts.grant_scope or { "openid", "profile", "email" },
    grant_access_token_audience = opts.grant_access_token_audience or {},
    remember = opts.remember,
    remember_for = opts.remember_for,
    session = opts.session,
  })
end

function Client:reject_consent(challenge, err)
  return put(self, challenge_path("consent", "reject", challenge), err or { error = "access_denied" })
end

function Client:get_logout_request(challenge)
  return api(self, "admin"):get(challenge_path("logout", nil, challenge))
end

function Client:accept_logout(challenge)
  return put(self, challenge_path("logout", "accept", challenge), {})
end

-- Hydra answers 204 No Content here; 200/201 (with a body) are accepted as well.
function Client:reject_logout(challenge)
  return put(self, challenge_path("logout", "reject", challenge), {}, { 200, 201, 204 })
end

-- Discovery (public)

function Client:well_known()
  return api(self, "public", "hydra: well-known HTTP {status}: {body}"):get("/.well-known/openid-configuration")
end

function Client:jwks()
  return api(self, "public", "hydra: jwks HTTP {status}: {body}"):get("/.well-known/jwks.json")
end

H.api({
  module = "ory.hydra",
  quickref = {
    "hydra.client(public_url, opts?) -> client | Hydra client for public_url; opts {admin_url?}",
    "hydra.client(opts) -> client | Create a Hydra client. opts: {public_url, admin_url}",
  },
  ops = {
    { "list_clients", "clients:list", "(opts?) -> [{client_id, ...}]", "List registered OAuth2 clients" },
    { "get_client", "clients:get", "(client_id) -> client", "Get a registered OAuth2 client" },
    { "create_client", "clients:create", "(spec) -> client", "Create/register an OAuth2 client" },
    { "update_client", "clients:update", "(client_id, spec) -> client", "Upsert an OAuth2 client (PUT)" },
    { "delete_client", "clients:delete", "(client_id) -> nil", "Delete an OAuth2 client" },
    { "build_authorize_url", "oauth2:authorize_url", "(client_id, opts) -> url", "Build the authorize URL for a browser redirect" },
    { "exchange_code", "oauth2:exchange_code", "(opts) -> {access_token, id_token, refresh_token}", "Exchange auth code for tokens (authorization_code grant)" },
    { "refresh_token", "oauth2:refresh_token", "(client_id, client_secret, refresh_token) -> tokens", "Refresh an access token" },
    { "introspect", "oauth2:introspect", "(token) -> {active, sub, scope, ...}", "Token introspection" },
    { "revoke_token", "oauth2:revoke_token", "(client_id, client_secret, token) -> nil", "Revoke a token" },
    { "get_login_request", "login:get", "(challenge) -> {challenge, subject, client, ...}", "Fetch a pending login challenge" },
    { "accept_login", "login:accept", "(challenge, subject, opts?) -> {redirect_to}", "Accept a login challenge" },
    { "reject_login", "login:reject", "(challenge, error) -> {redirect_to}", "Reject a login challenge" },
    { "get_consent_request", "consent:get", "(challenge) -> {challenge, subject, requested_scope, ...}", "Fetch a pending consent challenge" },
    { "accept_consent", "consent:accept", "(challenge, opts) -> {redirect_to}", "Accept a consent challenge (with claims)" },
    { "reject_consent", "consent:reject", "(challenge, error) -> {redirect_to}", "Reject a consent challenge" },
    { "get_logout_request", "logout:get", "(challenge) -> {request_url, rp_initiated, sid, subject, client}", "Fetch a pending logout challenge" },
    { "accept_logout", "logout:accept", "(challenge) -> {redirect_to}", "Accept a logout challenge (invalidates session)" },
    { "reject_logout", "logout:reject", "(challenge) -> nil", "Reject a logout challenge (user stays signed in)" },
    { "well_known", "discovery:openid_config", "() -> {issuer, authorization_endpoint, ...}", "Fetch OIDC discovery document" },
    { "jwks", "discovery:jwks", "() -> {keys}", "Fetch JSON Web Key Set" },
  },
}):install(Client)

return M
