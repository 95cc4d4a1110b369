--- @module assay.ory.kratos
--- @description Ory Kratos identity management — login/registration/recovery flows, identity CRUD via admin API, session introspection, schemas.
--- @category identity
--- @icon ory
--- @keywords kratos, ory, identity, authentication, login, registration, recovery, settings, sessions, identities, schemas, whoami
--- @quickref kratos.client(public_url, opts?) -> client | Kratos client for public_url; opts {admin_url?}
--- @quickref kratos.client(opts) -> client | Create a Kratos client. opts: {public_url, admin_url}
--- @quickref c.sessions:whoami(cookie) -> {identity, expires_at, ...} | Check if the current session is valid; flat: c:whoami(cookie)
--- @quickref c.flows:create_login(opts?) -> {id, ui, return_to, ...} | Create a browser login flow; flat: c:create_login_flow(opts?)
--- @quickref c.flows:get_login(id, cookie?) -> flow | Fetch an existing login flow; flat: c:get_login_flow(id, cookie?)
--- @quickref c.flows:submit_login(flow_id, payload, cookie?) -> {session, ...} | Submit a login flow; flat: c:submit_login_flow(flow_id, payload, cookie?)
--- @quickref c.flows:create_registration() -> flow | Create a registration flow; flat: c:create_registration_flow()
--- @quickref c.identities:get(id) -> identity | Get an identity by ID (admin API); flat: c:get_identity(id)
--- @quickref c.identities:list(opts?) -> [identity] | List all identities (admin API); flat: c:list_identities(opts?)
--- @quickref c.identities:create(spec) -> identity | Create an identity (admin API); flat: c:create_identity(spec)
--- @quickref c.identities:update(id, spec) -> identity | Update an identity (admin API); flat: c:update_identity(id, spec)
--- @quickref c.identities:delete(id) -> nil | Delete an identity (admin API); flat: c:delete_identity(id)
--- @quickref c.sessions:list(id) -> [session] | List active sessions for an identity; flat: c:list_sessions(id)
--- @quickref c.sessions:revoke(id) -> nil | Revoke all sessions for an identity; flat: c:delete_sessions(id)
--- @quickref c.flows:get_registration(id, cookie?) -> flow | Fetch a registration flow; flat: c:get_registration_flow(id, cookie?)
--- @quickref c.schemas:get(id) -> schema | Get one identity schema; flat: c:get_schema(id)
--- @quickref c.schemas:list() -> [schema] | List identity schemas; flat: c:list_schemas()

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

local GENERIC = "kratos: {method} {path_query} HTTP {status}: {body}"

--- kratos.client(opts) with opts {public_url?, admin_url?};
--- kratos.client(public_url, opts?) takes the public URL first and opts.admin_url.
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

-- A request client on the public or admin API with the given error template.
local function api(self, which, message)
  local url = self[which .. "_url"]
  if not url then error("kratos: " .. which .. "_url not configured") end
  return H.client(url, { error = message or GENERIC })
end

-- Headers of a public request: JSON answers (Kratos redirects browsers otherwise) and the
-- browser's cookie when given.
local function public_headers(cookie, extra)
  local headers = { Accept = "application/json" }
  if cookie ~= nil then headers.Cookie = cookie end
  H.merge_headers(headers, extra)
  return headers
end

local function public_get(self, path, cookie, message)
  return api(self, "public", message):get(path, { headers = public_headers(cookie) })
end

local function admin_get(self, path)
  return api(self, "admin"):get(path, { allow_404 = true })
end

-- Session

function Client:whoami(cookie)
  local resp = api(self, "public", "kratos: whoami HTTP {status}: {body}"):get("/sessions/whoami",
    { headers = public_headers(cookie), expect = { 200, 401 }, result = "response" })
  if resp.status == 401 then return nil end
  return json.parse(resp.body)
end

-- Login / registration flows (public)

function Client:create_login_flow(opts)
  opts = opts or {}
  local q = H.query("return_to", opts.return_to, "refresh", opts.refresh and "true" or nil,
    "login_challenge", opts.login_challenge, "aal", opts.aal)
  return public_get(self, "/self-service/login/browser" .. q)
end

function Client:get_login_flow(flow_id, cookie)
  return public_get(self, "/self-service/login/flows" .. H.query("id", flow_id), cookie)
end

function Client:submit_login_flow(flow_id, payload, cookie)
  return api(self, "public", "kratos: submit login HTTP {status}: {body}"):post(
    "/self-service/login" .. H.query("flow", flow_id), payload or {},
    { headers = public_headers(cookie, { ["Content-Type"] = "application/json" }) })
end

function Client:create_registration_flow(opts)
  opts = opts or {}
  return public_get(self, "/self-service/registration/browser" .. H.query("return_to", opts.return_to))
end

function Client:get_registration_flow(flow_id, cookie)
  return public_get(self, "/self-service/registration/flows" .. H.query("id", flow_id), cookie)
end

-- Identities (admin)

function Client:get_identity(id)
  return admin_get(self, "/admin/identities/" .. H.encode(id))
end

function Client:list_identities(opts)
  opts = opts or {}
  local q = H.query("per_page", opts.per_page, "page", opts.page,
    "credentials_identifier", opts.credentials_identifier)
  return admin_get(self, "/admin/identities" .. q)
end

function Client:create_identity(spec)
  return api(self, "admin"):post("/admin/identities", spec, { expect = { 200, 201 } })
end

function Client:update_identity(id, spec)
  return api(self, "admin"):put("/admin/identities/" .. H.encode(id), spec)
end

function Client:delete_identity(id)
  api(self, "admin", "kratos: delete identity HTTP {status}: {body}")
    :delete("/admin/identities/" .. H.encode(id), { expect = { 200, 204 }, result = "true" })
end

-- Sessions (admin)

function Client:list_sessions(identity_id)
  return admin_get(self, "/admin/identities/" .. H.encode(identity_id) .. "/sessions")
end

function Client:delete_sessions(identity_id)
  api(self, "admin", "kratos: delete sessions HTTP {status}: {body}")
    :delete("/admin/identities/" .. H.encode(identity_id) .. "/sessions",
      { expect = { 200, 204 }, result = "true" })
end

-- Schemas (public)

function Client:list_schemas()
  return public_get(self, "/schemas", nil, "kratos: list schemas HTTP {status}: {body}")
end

function Client:get_schema(schema_id)
  return public_get(self, "/schemas/" .. H.encode(schema_id))
end

H.api({
  module = "ory.kratos",
  quickref = {
    "kratos.client(public_url, opts?) -> client | Kratos client for public_url; opts {admin_url?}",
    "kratos.client(opts) -> client | Create a Kratos client. opts: {public_url, admin_url}",
  },
  ops = {
    { "whoami", "sessions:whoami", "(cookie) -> {identity, expires_at, ...}", "Check if the current session is valid" },
    { "create_login_flow", "flows:create_login", "(opts?) -> {id, ui, return_to, ...}", "Create a browser login flow" },
    { "get_login_flow", "flows:get_login", "(id, cookie?) -> flow", "Fetch an existing login flow" },
    { "submit_login_flow", "flows:submit_login", "(flow_id, payload, cookie?) -> {session, ...}", "Submit a login flow" },
    { "create_registration_flow", "flows:create_registration", "() -> flow", "Create a registration flow" },
    { "get_identity", "identities:get", "(id) -> identity", "Get an identity by ID (admin API)" },
    { "list_identities", "identities:list", "(opts?) -> [identity]", "List all identities (admin API)" },
    { "create_identity", "identities:create", "(spec) -> identity", "Create an identity (admin API)" },
    { "update_identity", "identities:update", "(id, spec) -> identity", "Update an identity (admin API)" },
    { "delete_identity", "identities:delete", "(id) -> nil", "Delete an identity (admin API)" },
    { "list_sessions", "sessions:list", "(id) -> [session]", "List active sessions for an identity" },
    { "delete_sessions", "sessions:revoke", "(id) -> nil", "Revoke all sessions for an identity" },
    { "get_registration_flow", "flows:get_registration", "(id, cookie?) -> flow", "Fetch a registration flow" },
    { "get_schema", "schemas:get", "(id) -> schema", "Get one identity schema" },
    { "list_schemas", "schemas:list", "() -> [schema]", "List identity schemas" },
  },
}):install(Client)

return M
