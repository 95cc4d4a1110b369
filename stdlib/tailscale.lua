--- @module assay.tailscale
--- @description Tailscale REST API v2: OAuth2 client-credentials token (cached, renewed before expiry), auth keys, devices (list, find, authorize, delete, key expiry, tags), ACL policy, preview and validation.
--- @category cloud
--- @icon tailscale
--- @keywords tailscale, ts, tailnet, oauth2, client-credentials, authkey, auth-key, mint, device, key-expiry, tags, authorize, acl, policy, vpn, wireguard
--- @env TS_CLIENT_ID, TS_CLIENT_SECRET
--- @quickref M.client(url?, opts?) -> client | Tailscale client (url default https://api.tailscale.com; also M.client(opts) with opts.base_url); opts {client_id, client_secret (else $TS_CLIENT_ID/$TS_CLIENT_SECRET), scope = "all:write", tailnet = "-"} or {api_key}
--- @quickref M.acl_test(client, opts) -> result | Same as c:acl_test(opts)
--- @quickref c.auth:token() -> string | The bearer token (OAuth client credentials, form-encoded; renewed 30 s before expiry)
--- @quickref c.keys:create(opts) -> key | Mint an auth key; opts {reusable, ephemeral, preauthorized, tags, expiry_seconds, description}; flat: c:mint_key(opts)
--- @quickref c.keys:list() -> [key] | Auth keys of the tailnet
--- @quickref c.keys:get(id) -> key|nil | One auth key
--- @quickref c.keys:delete(id) -> true | Revoke an auth key
--- @quickref c.devices:list(opts?) -> [device] | Devices of the tailnet; opts {fields = "all"}; flat: c:list_devices(opts?)
--- @quickref c.devices:find(query) -> device|nil | First device whose hostname or MagicDNS name matches query.hostname, or whose id/nodeId is query.id; flat: c:find_device(query)
--- @quickref c.devices:get(id, opts?) -> device | One device; opts {fields = "all"}; flat: c:get_device(id, opts?)
--- @quickref c.devices:set_key_expiry(id, opts) -> "changed"|"unchanged" | Idempotent: reads the device, posts {keyExpiryDisabled} only when it differs; opts {disabled}; flat: c:set_key_expiry(id, opts)
--- @quickref c.devices:authorize(id, authorized?) -> result | Authorize (or with false, deauthorize) a device; flat: c:authorize_device(id, authorized?)
--- @quickref c.devices:set_tags(id, tags) -> result | Replace a device's tags ({"tag:server"}); flat: c:set_device_tags(id, tags)
--- @quickref c.devices:delete(id) -> true | Remove a device from the tailnet; flat: c:delete_device(id)
--- @quickref c.acl:test(opts) -> result | POST the policy to acl/preview; opts {policy?, type?, preview_for?} (without policy, opts is the body); flat: c:acl_test(opts)
--- @quickref c.acl:get() -> policy | The tailnet policy file (as JSON)
--- @quickref c.acl:validate(policy) -> result | Validate a policy (and run its tests) without saving it

local H = require("assay._http")
local url_mod = require("assay.url")

local M = {}

local Client = {}
Client.__index = Client

local DEFAULT_URL = "https://api.tailscale.com"
-- Renew the OAuth token this many seconds before Tailscale says it expires, so a request
-- never leaves with a token that dies on the way.
local TOKEN_SKEW = 30

local function present(value)
  return value ~= nil and value ~= ""
end

--- M.client(url?, opts?): URL first, or the original form M.client(opts) with opts.base_url.
function M.client(url, opts)
  if type(url) == "table" then url, opts = nil, url end
  opts = opts or {}
  url = url or opts.base_url or DEFAULT_URL
  H.require_url("tailscale", url)
  local c = setmetatable({
    url = H.strip(url),
    tailnet = opts.tailnet or "-",
    scope = opts.scope,
    api = H.client(url, { module = "tailscale", headers = opts.headers }),
  }, Client)
  c.base_url = c.url
  local static = opts.api_key or opts.token
  if present(static) then
    -- an API access token (tskey-api-...) needs no exchange
    H.set_header(c.api.headers, "Authorization", "Bearer " .. static)
    return c
  end
  c.client_id = opts.client_id or env.get("TS_CLIENT_ID")
  c.client_secret = opts.client_secret or env.get("TS_CLIENT_SECRET")
  if not present(c.client_id) then
    error("tailscale.client: missing client_id (set TS_CLIENT_ID or pass client_id, or pass api_key)", 2)
  end
  if not present(c.client_secret) then
    error("tailscale.client: missing client_secret (set TS_CLIENT_SECRET or pass client_secret)", 2)
  end
  if c.scope == nil then c.scope = "all:write" end
  return c
end

--- The OAuth access token, exchanged on first use and again shortly before it expires.
function Client:token()
  if not self.client_id then
    return (H.get_header(self.api.headers, "Authorization") or ""):gsub("^Bearer ", "")
  end
  if self.access_token == nil or os.time() >= self.expires_at - TOKEN_SKEW then
    local form = { grant_type = "client_credentials", client_id = self.client_id,
                   client_secret = self.client_secret }
    if present(self.scope) then form.scope = self.scope end
    local answer = self.api:request("POST", "/api/v2/oauth/token", {
      bare = true, body = url_mod.encode_form(form), fn = "token",
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" },
    })
    if type(answer) ~= "table" or not present(answer.access_token) then
      error("tailscale: POST /api/v2/oauth/token: the answer has no access_token", 0)
    end
    self.access_token = answer.access_token
    self.expires_at = os.time() + (tonumber(answer.expires_in) or 3600)
    H.set_header(self.api.headers, "Authorization", "Bearer " .. self.access_token)
  end
  return self.access_token
end

-- Every API request goes through here so the bearer token is fresh.
local function api(c)
  c:token()
  return c.api
end

local function tailnet_path(c, rest)
  return "/api/v2/tailnet/" .. H.encode(c.tailnet) .. rest
end

local function device_path(id, rest, fn)
  if not present(id) then error("tailscale." .. fn .. ": missing device id", 3) end
  return "/api/v2/device/" .. H.encode(id) .. (rest or "")
end

-- Writes answer 200 with a JSON object or with nothing at all; nothing reads as true.
local function post(c, path, body)
  local answer = api(c):post(path, body, { expect = { 200, 201, 204 } })
  if answer == nil then return true end
  return answer
end

function Client:mint_key(opts)
  opts = opts or {}
  local payload = {
    capabilities = { devices = { create = {
      reusable = opts.reusable == true, ephemeral = opts.ephemeral == true,
      preauthorized = opts.preauthorized == true, tags = json.array(opts.tags or {}),
    } } },
    expirySeconds = opts.expiry_seconds,
    description = opts.description,
  }
  return post(self, tailnet_path(self, "/keys"), payload)
end

function Client:list_devices(opts)
  opts = opts or {}
  local answer = api(self):get(tailnet_path(self, "/devices") .. H.query("fields", opts.fields))
  if type(answer) == "table" and answer.devices then return answer.devices end
  return answer or {}
end

function Client:find_device(query)
  query = query or {}
  local devices = self:list_devices()
  local host = query.hostname
  if host then
    for _, d in ipairs(devices) do
      if d.hostname == host then return d end
    end
    -- `name` is the MagicDNS name: "host.tailnet-name.ts.net"
    for _, d in ipairs(devices) do
      if d.name == host or (type(d.name) == "string" and d.name:sub(1, #host + 1) == host .. ".") then
        return d
      end
    end
  end
  if query.id then
    for _, d in ipairs(devices) do
      if d.id == query.id or d.nodeId == query.id then return d end
    end
  end
  return nil
end

function Client:get_device(id, opts)
  opts = opts or {}
  return api(self):get(device_path(id, nil, "get_device") .. H.query("fields", opts.fields))
end

function Client:set_key_expiry(id, opts)
  local wanted = (opts or {}).disabled == true
  local current = self:get_device(id)
  if current and current.keyExpiryDisabled == wanted then return "unchanged" end
  post(self, device_path(id, "/key", "set_key_expiry"), { keyExpiryDisabled = wanted })
  return "changed"
end

function Client:authorize_device(id, authorized)
  return post(self, device_path(id, "/authorized", "authorize_device"), { authorized = authorized ~= false })
end

function Client:set_device_tags(id, tags)
  local path = device_path(id, "/tags", "set_device_tags")
  if type(tags) ~= "table" then error("tailscale.set_device_tags: tags must be an array of strings", 2) end
  return post(self, path, { tags = json.array(tags) })
end

function Client:delete_device(id)
  api(self):delete(device_path(id, nil, "delete_device"), { expect = { 200, 204 } })
  return true
end

function Client:acl_test(opts)
  return post(self, tailnet_path(self, "/acl/preview") .. H.query("type", (opts or {}).type,
    "previewFor", (opts or {}).preview_for), (opts or {}).policy or opts or {})
end

function M.acl_test(client, opts)
  return client:acl_test(opts)
end

H.api({
  module = "tailscale",
  transport = api,
  quickref = {
    "M.client(url?, opts?) -> client | Tailscale client (url default https://api.tailscale.com; also M.client(opts) with opts.base_url); opts {client_id, client_secret (else $TS_CLIENT_ID/$TS_CLIENT_SECRET), scope = \"all:write\", tailnet = \"-\"} or {api_key}",
    "M.acl_test(client, opts) -> result | Same as c:acl_test(opts)",
  },
  ops = {
    { false, "auth:token", "() -> string", "The bearer token (OAuth client credentials, form-encoded; renewed 30 s before expiry)",
      fn = function(c) return c:token() end },
    { "mint_key", "keys:create", "(opts) -> key", "Mint an auth key; opts {reusable, ephemeral, preauthorized, tags, expiry_seconds, description}" },
    { false, "keys:list", "() -> [key]", "Auth keys of the tailnet",
      fn = function(c) return (api(c):get(tailnet_path(c, "/keys")) or {}).keys or {} end },
    { false, "keys:get", "(id) -> key|nil", "One auth key",
      fn = function(c, id) return api(c):get(tailnet_path(c, "/keys/" .. H.encode(id)), { allow_404 = true }) end },
    { false, "keys:delete", "(id) -> true", "Revoke an auth key",
      fn = function(c, id) api(c):delete(tailnet_path(c, "/keys/" .. H.encode(id)), { expect = { 200, 204 } }); return true end },
    { "list_devices", "devices:list", "(opts?) -> [device]", "Devices of the tailnet; opts {fields = \"all\"}" },
    { "find_device", "devices:find", "(query) -> device|nil", "First device whose hostname or MagicDNS name matches query.hostname, or whose id/nodeId is query.id" },
    { "get_device", "devices:get", "(id, opts?) -> device", "One device; opts {fields = \"all\"}" },
    { "set_key_expiry", "devices:set_key_expiry", "(id, opts) -> \"changed\"|\"unchanged\"", "Idempotent: reads the device, posts {keyExpiryDisabled} only when it differs; opts {disabled}" },
    { "authorize_device", "devices:authorize", "(id, authorized?) -> result", "Authorize (or with false, deauthorize) a device" },
    { "set_device_tags", "devices:set_tags", "(id, tags) -> result", "Replace a device's tags ({\"tag:server\"})" },
    { "delete_device", "devices:delete", "(id) -> true", "Remove a device from the tailnet" },
    { "acl_test", "acl:test", "(opts) -> result", "POST the policy to acl/preview; opts {policy?, type?, preview_for?} (without policy, opts is the body)" },
    { false, "acl:get", "() -> policy", "The tailnet policy file (as JSON)",
      fn = function(c) return api(c):get(tailnet_path(c, "/acl"), { headers = { Accept = "application/json" } }) end },
    { false, "acl:validate", "(policy) -> result", "Validate a policy (and run its tests) without saving it",
      fn = function(c, policy) return post(c, tailnet_path(c, "/acl/validate"), policy) end },
  },
}):install(Client)

return M
