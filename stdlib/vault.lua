--- @module assay.vault
--- @description HashiCorp Vault secrets management. KV, policies, auth, transit, PKI, token management.
--- @category secrets
--- @icon vault
--- @keywords vault, secrets, kv, policies, auth, transit, pki, tokens, encryption, decryption, certificate, seal, initialization, authentication, secret-engine, password, rotation
--- @quickref M.client(url, opts) -> client | Vault client for url; opts {token} (or the token string: M.client(url, token))
--- @quickref M.wait(url, opts?) -> true | Wait for Vault to become healthy
--- @quickref M.authenticated_client(url, opts?) -> client | Create client with K8s secret auth
--- @quickref M.ensure_credentials(client, path, check_key, generator) -> creds | Ensure credentials exist at secrets/<path>; also (client, mount, path, check_key, generator)
--- @quickref M.assert_secret(client, path, expected_keys) -> data | Assert secret exists with keys at secrets/<path>; also (client, mount, path, expected_keys)
--- @quickref c:read(path) -> data|nil | Read secret at path
--- @quickref c:write(path, payload) -> data|nil | Write secret to path
--- @quickref c:delete(path) -> nil | Delete secret at path
--- @quickref c:list(path) -> [string] | List keys at path
--- @quickref c.kv:get(mount, key) -> {data}|nil | Read KV v2 secret; flat: c:kv_get(mount, key)
--- @quickref c.kv:put(mount, key, data) -> result | Write KV v2 secret; flat: c:kv_put(mount, key, data)
--- @quickref c.kv:delete(mount, key) -> nil | Delete KV v2 secret; flat: c:kv_delete(mount, key)
--- @quickref c.kv:list(mount, prefix?) -> [string] | List KV v2 keys; flat: c:kv_list(mount, prefix?)
--- @quickref c.kv:metadata(mount, key) -> metadata|nil | Get KV v2 metadata; flat: c:kv_metadata(mount, key)
--- @quickref c.sys:health() -> {initialized, sealed, version} | Get Vault health; flat: c:health()
--- @quickref c.sys:seal_status() -> {sealed, initialized} | Get seal status; flat: c:seal_status()
--- @quickref c.sys:is_sealed() -> bool | Check if Vault is sealed; flat: c:is_sealed()
--- @quickref c.sys:is_initialized() -> bool | Check if Vault is initialized; flat: c:is_initialized()
--- @quickref c.policies:get(name) -> policy|nil | Get ACL policy; flat: c:policy_get(name)
--- @quickref c.policies:create(name, rules) -> nil | Create or update ACL policy; flat: c:policy_put(name, rules)
--- @quickref c.policies:delete(name) -> nil | Delete ACL policy; flat: c:policy_delete(name)
--- @quickref c.policies:list() -> [string] | List ACL policies; flat: c:policy_list()
--- @quickref c.auth:enable(path, type, opts?) -> nil | Enable auth method; flat: c:auth_enable(path, type, opts?)
--- @quickref c.auth:disable(path) -> nil | Disable auth method; flat: c:auth_disable(path)
--- @quickref c.auth:methods() -> {path: config} | List auth methods; flat: c:auth_list()
--- @quickref c.auth:config(path, config) -> nil | Configure auth method; flat: c:auth_config(path, config)
--- @quickref c.auth:create_role(path, role_name, config) -> nil | Create auth role; flat: c:auth_create_role(path, role_name, config)
--- @quickref c.auth:get_role(path, role_name) -> role|nil | Read auth role; flat: c:auth_read_role(path, role_name)
--- @quickref c.auth:list_roles(path) -> [string] | List auth roles; flat: c:auth_list_roles(path)
--- @quickref c.engines:enable(path, type, opts?) -> nil | Enable secrets engine; flat: c:engine_enable(path, type, opts?)
--- @quickref c.engines:disable(path) -> nil | Disable secrets engine; flat: c:engine_disable(path)
--- @quickref c.engines:list() -> {path: config} | List secrets engines; flat: c:engine_list()
--- @quickref c.engines:tune(path, config) -> nil | Tune secrets engine; flat: c:engine_tune(path, config)
--- @quickref c.token:create(opts?) -> {client_token, ...} | Create token; flat: c:token_create(opts?)
--- @quickref c.token:lookup(token) -> token_info|nil | Lookup token; flat: c:token_lookup(token)
--- @quickref c.token:lookup_self() -> token_info|nil | Lookup current token; flat: c:token_lookup_self()
--- @quickref c.token:revoke(token) -> nil | Revoke token; flat: c:token_revoke(token)
--- @quickref c.token:revoke_self() -> nil | Revoke current token; flat: c:token_revoke_self()
--- @quickref c.transit:encrypt(key_name, plaintext) -> ciphertext|nil | Encrypt with transit; flat: c:transit_encrypt(key_name, plaintext)
--- @quickref c.transit:decrypt(key_name, ciphertext) -> plaintext|nil | Decrypt with transit; flat: c:transit_decrypt(key_name, ciphertext)
--- @quickref c.transit:create_key(key_name, opts?) -> nil | Create transit key; flat: c:transit_create_key(key_name, opts?)
--- @quickref c.transit:list_keys() -> [string] | List transit keys; flat: c:transit_list_keys()
--- @quickref c.pki:issue(mount, role_name, opts?) -> cert|nil | Issue PKI certificate; flat: c:pki_issue(mount, role_name, opts?)
--- @quickref c.pki:ca_cert(mount?) -> string | Get CA certificate PEM; flat: c:pki_ca_cert(mount?)
--- @quickref c.pki:create_role(mount, role_name, opts?) -> nil | Create PKI role; flat: c:pki_create_role(mount, role_name, opts?)

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

--- M.client(url, token): token is a string (or nil for no X-Vault-Token header);
--- an options table {token = ...} is accepted in its place.
function M.client(url, token)
  if type(token) == "table" then
    token = token.token
  end
  local headers = {}
  if token ~= nil then
    headers["X-Vault-Token"] = token
  end
  local base = H.strip(url)
  return setmetatable({
    url = base,
    -- no `token` field: c.token is the token group (c.token:create(), ...)
    api = H.client(base, { module = "vault", headers = headers }),
    -- unauthenticated endpoints (health, seal-status, pki ca) send no headers at all
    seal_api = H.client(base, { error = "vault: seal-status HTTP {status}: {body}" }),
    pki_api = H.client(base, { error = "vault: pki ca cert HTTP {status}" }),
  }, Client)
end

-- Internal request helpers (vault.md "Internal request helpers").

local function get(c, path)
  return c.api:get(path, { allow_404 = true })
end

local function post(c, path, body)
  return c.api:post(path, body or {}, { expect = { 200, 204 } })
end

local function put(c, path, body)
  return c.api:put(path, body or {}, { expect = { 200, 204 } })
end

local function delete(c, path)
  c.api:delete(path, { expect = { 200, 204 }, result = "true" })
end

local function list(c, path)
  local body = c.api:get(path .. "?list=true", { allow_404 = true, verb = "LIST" })
  if type(body) == "table" and type(body.data) == "table" and body.data.keys ~= nil then
    return body.data.keys
  end
  return {}
end

local function field(body, name)
  if type(body) == "table" then return body[name] end
  return nil
end

-- Generic

function Client:read(path)
  return field(get(self, "/v1/" .. path), "data")
end

function Client:write(path, payload)
  return post(self, "/v1/" .. path, payload)
end

function Client:delete(path)
  delete(self, "/v1/" .. path)
end

function Client:list(path)
  return list(self, "/v1/" .. path)
end

-- KV version 2

function Client:kv_get(mount, key)
  return self:read(mount .. "/data/" .. key)
end

function Client:kv_put(mount, key, data)
  return self:write(mount .. "/data/" .. key, { data = data })
end

function Client:kv_delete(mount, key)
  delete(self, "/v1/" .. mount .. "/data/" .. key)
end

function Client:kv_list(mount, prefix)
  return list(self, "/v1/" .. mount .. "/metadata/" .. (prefix or ""))
end

function Client:kv_metadata(mount, key)
  return get(self, "/v1/" .. mount .. "/metadata/" .. key)
end

-- System

function Client:health()
  local resp = self.seal_api:response("GET", "/v1/sys/health")
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

function Client:seal_status()
  return self.seal_api:get("/v1/sys/seal-status")
end

function Client:is_sealed()
  return self:seal_status().sealed
end

function Client:is_initialized()
  return self:seal_status().initialized
end

-- Policies (ACL)

function Client:policy_get(name)
  return field(get(self, "/v1/sys/policies/acl/" .. name), "data")
end

function Client:policy_put(name, rules)
  put(self, "/v1/sys/policies/acl/" .. name, { policy = rules })
end

function Client:policy_delete(name)
  delete(self, "/v1/sys/policies/acl/" .. name)
end

function Client:policy_list()
  return list(self, "/v1/sys/policies/acl")
end

-- Auth methods

function Client:auth_enable(path, type_, opts)
  opts = opts or {}
  post(self, "/v1/sys/auth/" .. path, { type = type_, description = opts.description, config = opts.config })
end

function Client:auth_disable(path)
  delete(self, "/v1/sys/auth/" .. path)
end

local function data_or_body(body)
  if type(body) == "table" and body.data ~= nil then return body.data end
  return body
end

function Client:auth_list()
  return data_or_body(get(self, "/v1/sys/auth"))
end

function Client:auth_config(path, config)
  post(self, "/v1/auth/" .. path .. "/config", config)
end

function Client:auth_create_role(path, role_name, config)
  post(self, "/v1/auth/" .. path .. "/role/" .. role_name, config)
end

function Client:auth_read_role(path, role_name)
  return field(get(self, "/v1/auth/" .. path .. "/role/" .. role_name), "data")
end

function Client:auth_list_roles(path)
  return list(self, "/v1/auth/" .. path .. "/role")
end

-- Secrets engines

function Client:engine_enable(path, type_, opts)
  opts = opts or {}
  post(self, "/v1/sys/mounts/" .. path, {
    type = type_, description = opts.description, config = opts.config, options = opts.options,
  })
end

function Client:engine_disable(path)
  delete(self, "/v1/sys/mounts/" .. path)
end

function Client:engine_list()
  return data_or_body(get(self, "/v1/sys/mounts"))
end

function Client:engine_tune(path, config)
  post(self, "/v1/sys/mounts/" .. path .. "/tune", config)
end

-- Tokens

function Client:token_create(opts)
  return field(post(self, "/v1/auth/token/create", opts), "auth")
end

function Client:token_lookup(token)
  return field(post(self, "/v1/auth/token/lookup", { token = token }), "data")
end

function Client:token_lookup_self()
  return field(get(self, "/v1/auth/token/lookup-self"), "data")
end

function Client:token_revoke(token)
  post(self, "/v1/auth/token/revoke", { token = token })
end

function Client:token_revoke_self()
  post(self, "/v1/auth/token/revoke-self", {})
end

-- Transit (mount "transit")

function Client:transit_encrypt(key_name, plaintext)
  local body = post(self, "/v1/transit/encrypt/" .. key_name, { plaintext = base64.encode(plaintext) })
  return field(field(body, "data"), "ciphertext")
end

function Client:transit_decrypt(key_name, ciphertext)
  local body = post(self, "/v1/transit/decrypt/" .. key_name, { ciphertext = ciphertext })
  local plaintext = field(field(body, "data"), "plaintext")
  if plaintext == nil then return nil end
  return base64.decode(plaintext)
end

function Client:transit_create_key(key_name, opts)
  post(self, "/v1/transit/keys/" .. key_name, opts)
end

function Client:transit_list_keys()
  return list(self, "/v1/transit/keys")
end

-- PKI

function Client:pki_issue(mount, role_name, opts)
  return field(post(self, "/v1/" .. mount .. "/issue/" .. role_name, opts), "data")
end

function Client:pki_ca_cert(mount)
  return self.pki_api:get("/v1/" .. (mount or "pki") .. "/ca/pem", { result = "text" })
end

function Client:pki_create_role(mount, role_name, opts)
  post(self, "/v1/" .. mount .. "/roles/" .. role_name, opts)
end

-- Module-level helpers

--- M.wait(url, opts?): poll the health endpoint (url used as given) until it answers 200.
function M.wait(url, opts)
  opts = opts or {}
  local timeout = opts.timeout or 60
  local interval = opts.interval or 2
  local health_path = opts.health_path or "/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200"
  local max_attempts = math.ceil(timeout / interval)
  for i = 1, max_attempts do
    -- a probe: transport errors are caught and count as "not yet"
    local ok, resp = pcall(http.get, url .. health_path)
    if ok and resp.status == 200 then
      log.info("Vault healthy after " .. tostring(i * interval) .. "s")
      return true
    end
    if i == max_attempts then
      error("vault.wait: not reachable at " .. url .. " after " .. tostring(timeout) .. "s")
    end
    log.info("Waiting for Vault... (" .. i .. "/" .. max_attempts .. ")")
    sleep(interval)
  end
  error("vault.wait: not reachable at " .. url .. " after " .. tostring(timeout) .. "s")
end

--- M.authenticated_client(url, opts?): wait for Vault, read the root token from a K8s secret.
function M.authenticated_client(url, opts)
  opts = opts or {}
  M.wait(url, { timeout = opts.timeout or 60, interval = opts.interval or 2 })
  local ns = opts.secret_namespace or opts.secret_ns or "secrets"
  local name = opts.secret_name or "openbao-root-token"
  local key = opts.secret_key or "root-token"
  local secret = require("assay.k8s").get_secret(ns, name)
  local token = secret and secret[key]
  assert.not_nil(token, "vault.authenticated_client: key '" .. key .. "' not found in secret " .. ns .. "/" .. name)
  token = tostring(token):match("^%s*(.-)%s*$")
  return M.client(url, token)
end

--- M.ensure_credentials(client, path, check_key, generator): KV v2 mount "secrets".
function M.ensure_credentials(client, path, check_key, generator, more)
  -- current Assay passes the KV mount first: (client, mount, path, check_key, generator)
  local mount = "secrets"
  if type(more) == "function" then
    mount, path, check_key, generator = path, check_key, generator, more
  end
  local where = mount .. "/" .. path
  local result = client:kv_get(mount, path)
  if result ~= nil and type(result.data) == "table" and result.data[check_key] ~= nil then
    log.info("Credentials already exist at " .. where)
    return result.data
  end
  local creds = generator()
  client:kv_put(mount, path, creds)
  log.info("Generated and stored credentials at " .. where)
  return creds
end

--- M.assert_secret(client, path, expected_keys): the secret's data, checked for every key;
--- also (client, mount, path, expected_keys) as in current Assay.
function M.assert_secret(client, path, expected_keys, more)
  local mount = "secrets"
  if type(expected_keys) == "string" and type(more) == "table" then
    mount, path, expected_keys = path, expected_keys, more
  end
  local where = mount .. "/" .. path
  local result = client:kv_get(mount, path)
  assert.not_nil(result, "vault.assert_secret: secret not found at " .. where)
  assert.not_nil(result.data, "vault.assert_secret: no data at " .. where)
  for _, key in ipairs(expected_keys) do
    assert.not_nil(result.data[key], "vault.assert_secret: key '" .. key .. "' missing at " .. where)
  end
  log.info("Secret verified at " .. where .. " (" .. #expected_keys .. " keys)")
  return result.data
end

H.api({
  module = "vault",
  quickref = {
    "M.client(url, opts) -> client | Vault client for url; opts {token} (or the token string: M.client(url, token))",
    "M.wait(url, opts?) -> true | Wait for Vault to become healthy",
    "M.authenticated_client(url, opts?) -> client | Create client with K8s secret auth",
    "M.ensure_credentials(client, path, check_key, generator) -> creds | Ensure credentials exist at secrets/<path>; also (client, mount, path, check_key, generator)",
    "M.assert_secret(client, path, expected_keys) -> data | Assert secret exists with keys at secrets/<path>; also (client, mount, path, expected_keys)",
  },
  ops = {
    { "read", false, "(path) -> data|nil", "Read secret at path" },
    { "write", false, "(path, payload) -> data|nil", "Write secret to path" },
    { "delete", false, "(path) -> nil", "Delete secret at path" },
    { "list", false, "(path) -> [string]", "List keys at path" },
    { "kv_get", "kv:get", "(mount, key) -> {data}|nil", "Read KV v2 secret" },
    { "kv_put", "kv:put", "(mount, key, data) -> result", "Write KV v2 secret" },
    { "kv_delete", "kv:delete", "(mount, key) -> nil", "Delete KV v2 secret" },
    { "kv_list", "kv:list", "(mount, prefix?) -> [string]", "List KV v2 keys" },
    { "kv_metadata", "kv:metadata", "(mount, key) -> metadata|nil", "Get KV v2 metadata" },
    { "health", "sys:health", "() -> {initialized, sealed, version}", "Get Vault health" },
    { "seal_status", "sys:seal_status", "() -> {sealed, initialized}", "Get seal status" },
    { "is_sealed", "sys:is_sealed", "() -> bool", "Check if Vault is sealed" },
    { "is_initialized", "sys:is_initialized", "() -> bool", "Check if Vault is initialized" },
    { "policy_get", "policies:get", "(name) -> policy|nil", "Get ACL policy" },
    { "policy_put", "policies:create", "(name, rules) -> nil", "Create or update ACL policy" },
    { "policy_delete", "policies:delete", "(name) -> nil", "Delete ACL policy" },
    { "policy_list", "policies:list", "() -> [string]", "List ACL policies" },
    { "auth_enable", "auth:enable", "(path, type, opts?) -> nil", "Enable auth method" },
    { "auth_disable", "auth:disable", "(path) -> nil", "Disable auth method" },
    { "auth_list", "auth:methods", "() -> {path: config}", "List auth methods" },
    { "auth_config", "auth:config", "(path, config) -> nil", "Configure auth method" },
    { "auth_create_role", "auth:create_role", "(path, role_name, config) -> nil", "Create auth role" },
    { "auth_read_role", "auth:get_role", "(path, role_name) -> role|nil", "Read auth role" },
    { "auth_list_roles", "auth:list_roles", "(path) -> [string]", "List auth roles" },
    { "engine_enable", "engines:enable", "(path, type, opts?) -> nil", "Enable secrets engine" },
    { "engine_disable", "engines:disable", "(path) -> nil", "Disable secrets engine" },
    { "engine_list", "engines:list", "() -> {path: config}", "List secrets engines" },
    { "engine_tune", "engines:tune", "(path, config) -> nil", "Tune secrets engine" },
    { "token_create", "token:create", "(opts?) -> {client_token, ...}", "Create token" },
    { "token_lookup", "token:lookup", "(token) -> token_info|nil", "Lookup token" },
    { "token_lookup_self", "token:lookup_self", "() -> token_info|nil", "Lookup current token" },
    { "token_revoke", "token:revoke", "(token) -> nil", "Revoke token" },
    { "token_revoke_self", "token:revoke_self", "() -> nil", "Revoke current token" },
    { "transit_encrypt", "transit:encrypt", "(key_name, plaintext) -> ciphertext|nil", "Encrypt with transit" },
    { "transit_decrypt", "transit:decrypt", "(key_name, ciphertext) -> plaintext|nil", "Decrypt with transit" },
    { "transit_create_key", "transit:create_key", "(key_name, opts?) -> nil", "Create transit key" },
    { "transit_list_keys", "transit:list_keys", "() -> [string]", "List transit keys" },
    { "pki_issue", "pki:issue", "(mount, role_name, opts?) -> cert|nil", "Issue PKI certificate" },
    { "pki_ca_cert", "pki:ca_cert", "(mount?) -> string", "Get CA certificate PEM" },
    { "pki_create_role", "pki:create_role", "(mount, role_name, opts?) -> nil", "Create PKI role" },
  },
}):install(Client)

return M
