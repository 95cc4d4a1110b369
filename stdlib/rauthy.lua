--- @module assay.rauthy
--- @description Rauthy OIDC provider admin API: health, OIDC discovery and JWKS, OAuth client lifecycle (list, get, create, update, delete, rebuild, secret rotation), an idempotent clients:reconcile, and client presets for common consumers (OpenBao, Argo CD, Outline, Seafile, Paperless-ngx, Immich).
--- @category identity
--- @icon rauthy
--- @keywords rauthy, oidc, oauth2, openid, idp, identity, sso, clients, client-secret, rotation, reconcile, pkce, jwks, discovery, api-key
--- @quickref M.client(url, api_key) -> client | Rauthy admin client; url the API base (https://auth.example.com/auth/v1), api_key "<name>$<secret>" (sent as Authorization: API-Key …) or opts {api_key, headers}
--- @quickref M.client_presets.openbao({host, id?, name?}) -> payload | Confidential client for OpenBao/Vault OIDC (RS256 tokens, S256 PKCE, UI and CLI callbacks)
--- @quickref M.client_presets.argocd({host, id?, name?}) -> payload | Public PKCE client for Argo CD (EdDSA, UI and argocd login --sso callbacks)
--- @quickref M.client_presets.outline({host, id?, name?}) -> payload | Confidential client for Outline (RS256, no PKCE)
--- @quickref M.client_presets.seafile({host, id?, name?}) -> payload | Confidential client for Seafile (RS256, /oauth/callback/, no PKCE)
--- @quickref M.client_presets.paperless({host, id?, name?}) -> payload | Confidential client for Paperless-ngx via django-allauth (RS256, S256 PKCE)
--- @quickref M.client_presets.immich({host, id?, name?}) -> payload | Confidential client for the Immich web app (RS256, S256 PKCE)
--- @quickref M.client_presets.immich_mobile({host, id?, name?}) -> payload | Public PKCE client for the Immich mobile app (app.immich:///oauth-callback)
--- @quickref c.sys:health() -> bool | True when GET /health answers 2xx
--- @quickref c.sys:wait_healthy(timeout_secs?) -> true | Poll /health every 2 s until 2xx; raises after timeout_secs (default 120)
--- @quickref c.discovery:config() -> {issuer, jwks_uri, ...} | The OIDC discovery document (sent without the API key)
--- @quickref c.discovery:jwks() -> {keys} | The signing keys, from the discovery document's jwks_uri
--- @quickref c.clients:list() -> [client] | Every OAuth client
--- @quickref c.clients:get(id) -> client|nil | One client; nil when it does not exist
--- @quickref c.clients:create(payload) -> nil | POST the NewClientRequest fields, then PUT the whole payload
--- @quickref c.clients:put(id, payload) -> nil | Replace a client's settings (the secret is kept)
--- @quickref c.clients:delete(id) -> nil | Delete a client; a missing one is not an error
--- @quickref c.clients:rebuild(payload) -> nil | Delete and create again (a confidential client gets a new secret)
--- @quickref c.clients:rotate_secret(id) -> string | Generate a new client secret and return it
--- @quickref c.clients:reconcile(payload) -> {action, secret?, drift_on?, reason?} | Idempotent: create (404), rebuild (PKCE challenges missing), put (other drift, secret kept) or noop; secret only when one was generated

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

--- M.client(url, api_key): url is Rauthy's API base (https://auth.example.com/auth/v1);
--- api_key the "<name>$<secret>" key, or opts {api_key, headers}.
function M.client(url, api_key)
  H.require_url("rauthy", url)
  local opts = type(api_key) == "table" and api_key or { api_key = api_key }
  local headers = H.merge_headers({}, opts.headers)
  if opts.api_key ~= nil then H.set_header(headers, "Authorization", "API-Key " .. opts.api_key) end
  return setmetatable({ url = H.strip(url), api = H.client(url, { module = "rauthy", headers = headers }) }, Client)
end

local function client_path(id)
  if id == nil or id == "" then error("rauthy: client id is required", 4) end
  return "/clients/" .. H.encode(id)
end

-- Rauthy answers writes with 200 and a body or with an empty 2xx.
local WRITE = { 200, 201, 204 }

-- Two field values are the same: lists compare as multisets (Rauthy may reorder them).
local function same(want, got)
  if type(want) ~= type(got) then return false end
  if type(want) ~= "table" then return want == got end
  if #want ~= #got then return false end
  local count = {}
  for _, v in ipairs(want) do
    local key = json.encode(v)
    count[key] = (count[key] or 0) + 1
  end
  for _, v in ipairs(got) do
    local key = json.encode(v)
    if (count[key] or 0) == 0 then return false end
    count[key] = count[key] - 1
  end
  return true
end

-- The first field (in name order) where the live client differs from the payload, either way
-- round: a field the payload leaves out but the server has set is drift too, because PUT
-- replaces the whole client and so removes it.
local function drift(payload, live)
  local names, seen = {}, {}
  for k in pairs(payload) do names[#names + 1], seen[k] = k, true end
  for k in pairs(live) do if not seen[k] then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do
    if not same(payload[k], live[k]) then return k end
  end
  return nil
end

local function has_items(list)
  return type(list) == "table" and #list > 0
end

local function health(c)
  local resp = c.api:response("GET", "/health")
  return resp.status >= 200 and resp.status < 300
end

local function wait_healthy(c, timeout)
  timeout = timeout or 120
  if not H.poll(timeout, 2, function() return health(c) end) then
    error("rauthy: never became healthy at " .. c.url .. "/health within " .. H.text(timeout) .. " s", 0)
  end
  return true
end

local function discovery(c)
  return c.api:get("/.well-known/openid-configuration", { bare = true })
end

local function jwks(c)
  local config = discovery(c)
  local uri = type(config) == "table" and config.jwks_uri or nil
  if type(uri) ~= "string" then error("rauthy: the discovery document has no jwks_uri", 0) end
  local origin, path = uri:match("^(https?://[^/]+)(.*)$")
  if not origin then error("rauthy: jwks_uri is not an http(s) URL: " .. uri, 0) end
  return H.client(origin, { module = "rauthy" }):get(path)
end

-- Rauthy creates a client from a small NewClientRequest; the rest of its settings need a PUT.
local function create(c, payload)
  if type(payload) ~= "table" or payload.id == nil then error("rauthy.clients:create: payload.id is required", 3) end
  c.api:post("/clients", {
    id = payload.id, name = payload.name, confidential = payload.confidential,
    redirect_uris = payload.redirect_uris, post_logout_redirect_uris = payload.post_logout_redirect_uris,
  }, { expect = WRITE })
  c.api:put(client_path(payload.id), payload, { expect = WRITE })
end

local function delete(c, id)
  c.api:delete(client_path(id), { expect = { 200, 204, 404 } })
end

local function rotate_secret(c, id)
  local answer = c.api:post(client_path(id) .. "/secret", nil, { expect = WRITE })
  local secret = type(answer) == "table" and answer.secret or nil
  if type(secret) ~= "string" or secret == "" then error("rauthy: no secret returned for client " .. tostring(id), 0) end
  return secret
end

-- Bring a client to `payload`, rotating the secret only when the client is (re)created.
local function reconcile(c, payload)
  if type(payload) ~= "table" or payload.id == nil then error("rauthy.clients:reconcile: payload.id is required", 3) end
  local id = payload.id
  local live = c.clients:get(id)
  local function fresh_secret()
    if payload.confidential then return rotate_secret(c, id) end
    return nil
  end
  if live == nil then
    create(c, payload)
    return { action = "create", secret = fresh_secret() }
  end
  -- Rauthy 0.35 keeps serving a client's old PKCE setting from its cache after a PUT adds
  -- `challenges`; only a client created with them takes effect, so that drift rebuilds.
  if has_items(payload.challenges) and not has_items(live.challenges) then
    delete(c, id)
    create(c, payload)
    return { action = "rebuild", secret = fresh_secret(), reason = "challenges-drift" }
  end
  local field = drift(payload, live)
  if field then
    c.api:put(client_path(id), payload, { expect = WRITE })
    return { action = "put", drift_on = field }
  end
  return { action = "noop" }
end

H.api({
  module = "rauthy",
  quickref = {
    "M.client(url, api_key) -> client | Rauthy admin client; url the API base (https://auth.example.com/auth/v1), api_key \"<name>$<secret>\" (sent as Authorization: API-Key …) or opts {api_key, headers}",
    "M.client_presets.openbao({host, id?, name?}) -> payload | Confidential client for OpenBao/Vault OIDC (RS256 tokens, S256 PKCE, UI and CLI callbacks)",
    "M.client_presets.argocd({host, id?, name?}) -> payload | Public PKCE client for Argo CD (EdDSA, UI and argocd login --sso callbacks)",
    "M.client_presets.outline({host, id?, name?}) -> payload | Confidential client for Outline (RS256, no PKCE)",
    "M.client_presets.seafile({host, id?, name?}) -> payload | Confidential client for Seafile (RS256, /oauth/callback/, no PKCE)",
    "M.client_presets.paperless({host, id?, name?}) -> payload | Confidential client for Paperless-ngx via django-allauth (RS256, S256 PKCE)",
    "M.client_presets.immich({host, id?, name?}) -> payload | Confidential client for the Immich web app (RS256, S256 PKCE)",
    "M.client_presets.immich_mobile({host, id?, name?}) -> payload | Public PKCE client for the Immich mobile app (app.immich:///oauth-callback)",
  },
  ops = {
    { false, "sys:health", "() -> bool", "True when GET /health answers 2xx", fn = health },
    { false, "sys:wait_healthy", "(timeout_secs?) -> true", "Poll /health every 2 s until 2xx; raises after timeout_secs (default 120)", fn = wait_healthy },
    { false, "discovery:config", "() -> {issuer, jwks_uri, ...}", "The OIDC discovery document (sent without the API key)", fn = discovery },
    { false, "discovery:jwks", "() -> {keys}", "The signing keys, from the discovery document's jwks_uri", fn = jwks },
    { false, "clients:list", "() -> [client]", "Every OAuth client", get = "/clients" },
    { false, "clients:get", "(id) -> client|nil", "One client; nil when it does not exist", get = "/clients/{id}", allow_404 = true },
    { false, "clients:create", "(payload) -> nil", "POST the NewClientRequest fields, then PUT the whole payload", fn = create },
    { false, "clients:put", "(id, payload) -> nil", "Replace a client's settings (the secret is kept)",
      fn = function(c, id, payload) c.api:put(client_path(id), payload, { expect = WRITE }) end },
    { false, "clients:delete", "(id) -> nil", "Delete a client; a missing one is not an error", fn = delete },
    { false, "clients:rebuild", "(payload) -> nil", "Delete and create again (a confidential client gets a new secret)",
      fn = function(c, payload) delete(c, payload.id); create(c, payload) end },
    { false, "clients:rotate_secret", "(id) -> string", "Generate a new client secret and return it", fn = rotate_secret },
    { false, "clients:reconcile", "(payload) -> {action, secret?, drift_on?, reason?}", "Idempotent: create (404), rebuild (PKCE challenges missing), put (other drift, secret kept) or noop; secret only when one was generated", fn = reconcile },
  },
}):install(Client)

-- Client presets: payloads that carry what each consumer's OIDC library insists on.
M.client_presets = {}

local FLOWS = { "authorization_code", "refresh_token" }

-- `spec`: default id and name, confidential, token algorithm, redirect paths (on https://host,
-- or absolute URLs), whether the groups scope is asked for and whether PKCE (S256) is on.
local function preset(kind, spec)
  M.client_presets[kind] = function(opts)
    if type(opts) ~= "table" or type(opts.host) ~= "string" or opts.host == "" then
      error("rauthy.client_presets." .. kind .. ": opts.host is required", 2)
    end
    local origin = "https://" .. opts.host
    local redirects = {}
    for i, target in ipairs(spec.redirects) do
      redirects[i] = target:match("^%a[%w+.-]*:") and target or origin .. target
    end
    local scopes = { "openid", "email", "profile" }
    if spec.groups then scopes[#scopes + 1] = "groups" end
    return {
      id = opts.id or spec.id, name = opts.name or spec.name, confidential = spec.confidential, enabled = true,
      redirect_uris = redirects, post_logout_redirect_uris = { origin }, allowed_origins = { origin },
      flows_enabled = table.move(FLOWS, 1, #FLOWS, 1, {}),
      access_token_alg = spec.alg, id_token_alg = spec.alg,
      auth_code_lifetime = 60, access_token_lifetime = 1800,
      scopes = scopes, default_scopes = table.move(scopes, 1, #scopes, 1, {}),
      challenges = spec.pkce and { "S256" } or nil, force_mfa = false,
    }
  end
end

-- go-oidc (OpenBao) accepts only RS256 and sends a PKCE challenge even as a confidential client.
preset("openbao", { id = "openbao", name = "OpenBao", confidential = true, alg = "RS256", groups = true, pkce = true,
  redirects = { "/ui/vault/auth/oidc/oidc/callback", "http://localhost:8250/oidc/callback" } })
preset("argocd", { id = "argocd", name = "ArgoCD", confidential = false, alg = "EdDSA", groups = true, pkce = true,
  redirects = { "/auth/callback", "http://localhost:8085/auth/callback" } })
-- Outline and Seafile never send a PKCE challenge, and Rauthy refuses a client that expects one.
preset("outline", { id = "outline", name = "Outline", confidential = true, alg = "RS256", groups = false, pkce = false,
  redirects = { "/auth/oidc.callback" } })
preset("seafile", { id = "seafile", name = "Seafile", confidential = true, alg = "RS256", groups = true, pkce = false,
  redirects = { "/oauth/callback/" } })
preset("paperless", { id = "paperless", name = "Paperless-ngx", confidential = true, alg = "RS256", groups = true,
  pkce = true, redirects = { "/accounts/oidc/rauthy/login/callback/" } })
-- Immich's web app always sends a PKCE challenge; its mobile app cannot keep a secret.
preset("immich", { id = "immich", name = "Immich", confidential = true, alg = "RS256", groups = true, pkce = true,
  redirects = { "/auth/login", "/user-settings" } })
preset("immich_mobile", { id = "immich-mobile", name = "Immich (mobile)", confidential = false, alg = "RS256",
  groups = true, pkce = true, redirects = { "app.immich:///oauth-callback" } })

return M
