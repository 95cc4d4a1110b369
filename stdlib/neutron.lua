--- @module assay.neutron
--- @description Neutron (the self-hosted agent platform) admin API: named and core agents, secrets, git-host connections, workspace and guide resources, approver roles, API tokens, instance settings, channels, users, usage and the instance's assay module catalog. One client per instance.
--- @category saas
--- @icon neutron
--- @keywords neutron, agent, agents, admin, fleet, secrets, connections, workspaces, guides, roles, tokens, persona, tool-policy, usage, cloudflare-access
--- @env NEUTRON_URL, NEUTRON_TOKEN, CF_ACCESS_CLIENT_ID, CF_ACCESS_CLIENT_SECRET
--- @quickref M.client(url?, opts?) -> client | Neutron admin client; url defaults to $NEUTRON_URL, opts.token to $NEUTRON_TOKEN (Bearer); opts {cf_client_id, cf_client_secret} (default $CF_ACCESS_CLIENT_ID/SECRET) for instances behind Cloudflare Access
--- @quickref c.agents:list() -> {agents, default_agent, defaults, brand} | Named agents and the core agent's config
--- @quickref c.agents:create(display_name, config?) -> agent | Create a named agent
--- @quickref c.agents:update(id, config) -> agent | Replace a named agent's overrides (list fields replace, they do not merge)
--- @quickref c.agents:delete(id) -> true | Delete a named agent
--- @quickref c.agents:core() -> {stored, defaults} | The core agent's stored config
--- @quickref c.agents:update_core(config) -> {stored} | Replace the core agent's overrides
--- @quickref c.secrets:list() -> [secret] | Secrets, redacted (has_value and a masked preview)
--- @quickref c.secrets:set(name, opts?) -> [secret] | Create or update a secret; opts {value?, note?, agents?} (no value keeps the stored one)
--- @quickref c.secrets:value(name) -> string | Read a secret's value back
--- @quickref c.secrets:delete(name) -> [secret] | Delete a secret
--- @quickref c.connections:list() -> [connection] | Git-host connections, redacted
--- @quickref c.connections:set(name, opts) -> [connection] | Create or update a connection; opts {kind = "gitlab"|"github", base_url?, token?, agents?}
--- @quickref c.connections:delete(name) -> [connection] | Delete a connection
--- @quickref c.resources:list() -> [resource] | Workspaces and guides with their grantable ids
--- @quickref c.resources:create(body) -> resource | New workspace {name, type = "workspace", access, config = {repos}} or guide {name, type = "guide", config, guide}
--- @quickref c.resources:update(id, body) -> resource | Replace a resource
--- @quickref c.resources:delete(id) -> true | Delete a resource
--- @quickref c.roles:list() -> [role] | Approver roles with their members
--- @quickref c.roles:create(name) -> role | New approver role
--- @quickref c.roles:member(id, email, action) -> {members} | Add or remove a member; action "add" | "remove"
--- @quickref c.roles:delete(id) -> true | Delete a role
--- @quickref c.tokens:list() -> [token] | API token metadata (name, prefix, created)
--- @quickref c.tokens:mint(name) -> {name, token} | New bearer token (its value is shown only here)
--- @quickref c.tokens:revoke(name) -> [token] | Revoke a token
--- @quickref c.settings:get() -> {theme, approvals} | Instance-wide settings
--- @quickref c.settings:update(body) -> settings | Update theme and/or approvals
--- @quickref c.channels:get() -> channels | Channel config (secrets redacted)
--- @quickref c.channels:update(body) -> channels | Update the channel config
--- @quickref c.users:list() -> [user] | Users the instance has seen
--- @quickref c.usage:get(opts?) -> usage | Usage rollup; opts {from, to} (ISO 8601)
--- @quickref c:assay_catalog() -> [module] | The assay modules the instance offers its agents

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  opts = opts or {}
  url = url or env.get("NEUTRON_URL")
  if type(url) ~= "string" or url == "" then
    error("neutron.client: no url (pass one or set NEUTRON_URL)", 2)
  end
  local token = opts.token or env.get("NEUTRON_TOKEN")
  if not token or token == "" then
    error("neutron.client: no token (pass opts.token or set NEUTRON_TOKEN)", 2)
  end
  local headers = { Authorization = "Bearer " .. token }
  local cf_id = opts.cf_client_id or env.get("CF_ACCESS_CLIENT_ID")
  local cf_secret = opts.cf_client_secret or env.get("CF_ACCESS_CLIENT_SECRET")
  if cf_id and cf_secret then
    headers["CF-Access-Client-Id"], headers["CF-Access-Client-Secret"] = cf_id, cf_secret
  end
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  local c = setmetatable({ url = H.strip(url), api = H.client(url, { module = "neutron", headers = headers }) }, Client)
  -- the original spells it c.assay_catalog() (no receiver); c:assay_catalog() works as well
  c.assay_catalog = function() return Client.assay_catalog(c) end
  return c
end

local OK = { 200, 201, 202, 204 }
local A = "/api/admin"

H.api({
  module = "neutron",
  quickref = { "M.client(url?, opts?) -> client | Neutron admin client; url defaults to $NEUTRON_URL, opts.token to $NEUTRON_TOKEN (Bearer); opts {cf_client_id, cf_client_secret} (default $CF_ACCESS_CLIENT_ID/SECRET) for instances behind Cloudflare Access" },
  ops = {
    { false, "agents:list", "() -> {agents, default_agent, defaults, brand}", "Named agents and the core agent's config",
      get = A .. "/agents" },
    { false, "agents:create", "(display_name, config?) -> agent", "Create a named agent",
      fn = function(c, display_name, config)
        if display_name == nil then error("neutron: display_name is required", 2) end
        local body = {}
        for k, v in pairs(config or {}) do body[k] = v end
        body.display_name = display_name
        return c.api:post(A .. "/agents", body, { expect = OK })
      end },
    { false, "agents:update", "(id, config) -> agent", "Replace a named agent's overrides (list fields replace, they do not merge)",
      put = A .. "/agents/{id}", body = "config", expect = OK },
    { false, "agents:delete", "(id) -> true", "Delete a named agent", delete = A .. "/agents/{id}", expect = OK, result = "true" },
    { false, "agents:core", "() -> {stored, defaults}", "The core agent's stored config", get = A .. "/settings/agent" },
    { false, "agents:update_core", "(config) -> {stored}", "Replace the core agent's overrides",
      put = A .. "/settings/agent", body = "config", expect = OK },

    { false, "secrets:list", "() -> [secret]", "Secrets, redacted (has_value and a masked preview)",
      get = A .. "/secrets", field = "secrets", default = {} },
    { false, "secrets:set", "(name, opts?) -> [secret]", "Create or update a secret; opts {value?, note?, agents?} (no value keeps the stored one)",
      fn = function(c, name, opts)
        if name == nil then error("neutron: name is required", 2) end
        return (c.api:put(A .. "/secrets/" .. H.encode(name), opts or {}, { expect = OK }) or {}).secrets
      end },
    { false, "secrets:value", "(name) -> string", "Read a secret's value back", get = A .. "/secrets/{name}/value", field = "value" },
    { false, "secrets:delete", "(name) -> [secret]", "Delete a secret",
      delete = A .. "/secrets/{name}", expect = OK, field = "secrets" },

    { false, "connections:list", "() -> [connection]", "Git-host connections, redacted",
      get = A .. "/connections", field = "connections", default = {} },
    { false, "connections:set", "(name, opts) -> [connection]", "Create or update a connection; opts {kind = \"gitlab\"|\"github\", base_url?, token?, agents?}",
      fn = function(c, name, opts)
        if name == nil then error("neutron: name is required", 2) end
        if type(opts) ~= "table" or not opts.kind then error("neutron: connections:set needs opts.kind", 2) end
        return (c.api:put(A .. "/connections/" .. H.encode(name), opts, { expect = OK }) or {}).connections
      end },
    { false, "connections:delete", "(name) -> [connection]", "Delete a connection",
      delete = A .. "/connections/{name}", expect = OK, field = "connections" },

    { false, "resources:list", "() -> [resource]", "Workspaces and guides with their grantable ids",
      get = A .. "/resources", field = "resources", default = {} },
    { false, "resources:create", "(body) -> resource", "New workspace {name, type = \"workspace\", access, config = {repos}} or guide {name, type = \"guide\", config, guide}",
      post = A .. "/resources", body = "body", expect = OK },
    { false, "resources:update", "(id, body) -> resource", "Replace a resource", put = A .. "/resources/{id}", body = "body", expect = OK },
    { false, "resources:delete", "(id) -> true", "Delete a resource", delete = A .. "/resources/{id}", expect = OK, result = "true" },

    { false, "roles:list", "() -> [role]", "Approver roles with their members", get = A .. "/roles", field = "roles", default = {} },
    { false, "roles:create", "(name) -> role", "New approver role",
      fn = function(c, name) return c.api:post(A .. "/roles", { name = name }, { expect = OK }) end },
    { false, "roles:member", "(id, email, action) -> {members}", "Add or remove a member; action \"add\" | \"remove\"",
      fn = function(c, id, email, action)
        if action ~= "add" and action ~= "remove" then
          error("neutron: roles:member action must be \"add\" or \"remove\"", 2)
        end
        return c.api:put(A .. "/roles/" .. H.encode(id) .. "/members", { email = email, action = action }, { expect = OK })
      end },
    { false, "roles:delete", "(id) -> true", "Delete a role", delete = A .. "/roles/{id}", expect = OK, result = "true" },

    { false, "tokens:list", "() -> [token]", "API token metadata (name, prefix, created)",
      get = A .. "/tokens", field = "tokens", default = {} },
    { false, "tokens:mint", "(name) -> {name, token}", "New bearer token (its value is shown only here)",
      fn = function(c, name) return c.api:post(A .. "/tokens", { name = name }, { expect = OK }) end },
    { false, "tokens:revoke", "(name) -> [token]", "Revoke a token", delete = A .. "/tokens/{name}", expect = OK, field = "tokens" },

    { false, "settings:get", "() -> {theme, approvals}", "Instance-wide settings", get = "/api/settings" },
    { false, "settings:update", "(body) -> settings", "Update theme and/or approvals", put = A .. "/settings", body = "body", expect = OK },
    { false, "channels:get", "() -> channels", "Channel config (secrets redacted)", get = A .. "/settings/channels", field = "channels" },
    { false, "channels:update", "(body) -> channels", "Update the channel config",
      put = A .. "/settings/channels", body = "body", expect = OK, field = "channels" },
    { false, "users:list", "() -> [user]", "Users the instance has seen", get = A .. "/users", field = "users", default = {} },
    { false, "usage:get", "(opts?) -> usage", "Usage rollup; opts {from, to} (ISO 8601)", get = A .. "/usage", query = { "from", "to" } },
    { "assay_catalog", false, "() -> [module]", "The assay modules the instance offers its agents",
      get = A .. "/assay/catalog", field = "modules", default = {} },
  },
}):install(Client)

return M
