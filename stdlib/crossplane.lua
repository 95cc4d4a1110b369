--- @module assay.crossplane
--- @description Crossplane infrastructure management. Providers, XRDs, compositions, managed resources.
--- @keywords crossplane, providers, xrds, compositions, managed, kubernetes, infrastructure, configuration, function, composition, managed-resource, health, readiness, established, terraform
--- @quickref M.client(url, opts) -> client | Crossplane client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c:providers() -> {items} | List providers
--- @quickref c:provider(name) -> provider|nil | Get provider by name
--- @quickref c:is_provider_healthy(name) -> bool | Check if provider is healthy
--- @quickref c:is_provider_installed(name) -> bool | Check if provider is installed
--- @quickref c:provider_status(name) -> {installed, healthy, current_revision} | Get provider status
--- @quickref c:provider_revisions() -> {items} | List provider revisions
--- @quickref c:provider_revision(name) -> revision|nil | Get provider revision
--- @quickref c:configurations() -> {items} | List configurations
--- @quickref c:configuration(name) -> config|nil | Get configuration by name
--- @quickref c:is_configuration_healthy(name) -> bool | Check if configuration is healthy
--- @quickref c:is_configuration_installed(name) -> bool | Check if configuration is installed
--- @quickref c:functions() -> {items} | List functions
--- @quickref c:xfunction(name) -> function|nil | Get function by name
--- @quickref c:is_function_healthy(name) -> bool | Check if function is healthy
--- @quickref c:xrds() -> {items} | List composite resource definitions
--- @quickref c:xrd(name) -> xrd|nil | Get XRD by name
--- @quickref c:is_xrd_established(name) -> bool | Check if XRD is established
--- @quickref c:compositions() -> {items} | List compositions
--- @quickref c:composition(name) -> composition|nil | Get composition by name
--- @quickref c:managed_resource(api_group, version, kind, name) -> resource|nil | Get managed resource
--- @quickref c:is_managed_ready(api_group, version, kind, name) -> bool | Check if managed resource is ready
--- @quickref c:managed_resources(api_group, version, kind) -> {items} | List managed resources
--- @quickref c:all_providers_healthy() -> {healthy, unhealthy, total} | Check all providers health
--- @quickref c:all_xrds_established() -> {established, not_established, total} | Check all XRDs status

local k8s = require("assay.k8s")

local M = {}

local PKG = "/apis/pkg.crossplane.io/v1"
local FUNCTIONS = "/apis/pkg.crossplane.io/v1beta1/functions"
local XP = "/apis/apiextensions.crossplane.io/v1"

local C = {}
C.__index = C

--- crossplane.client(url, token) or crossplane.client(url, { token = ..., ca_cert = ... })
function M.client(url, token)
  local api = k8s._api("crossplane", url, token)
  return setmetatable({ url = api.url, token = api.conn.token, api = api }, C)
end

-- lists: 404 (CRD not installed) -> { items = {} }
local function list(c, path)
  return c.api:list(path, { verb = "LIST", empty_on_404 = true })
end

local has = k8s._condition_true

function C:providers() return list(self, PKG .. "/providers") end
function C:provider(name) return self.api:get(PKG .. "/providers/" .. name) end
function C:is_provider_healthy(name) return has(self:provider(name), "Healthy") end
function C:is_provider_installed(name) return has(self:provider(name), "Installed") end

function C:provider_status(name)
  local provider = self:provider(name)
  if provider == nil then error("crossplane: provider not found: " .. name) end
  local st = type(provider.status) == "table" and provider.status or {}
  return {
    installed = has(provider, "Installed"),
    healthy = has(provider, "Healthy"),
    current_revision = st.currentRevision,
    conditions = st.conditions or {},
  }
end

function C:provider_revisions() return list(self, PKG .. "/providerrevisions") end
function C:provider_revision(name) return self.api:get(PKG .. "/providerrevisions/" .. name) end

function C:configurations() return list(self, PKG .. "/configurations") end
function C:configuration(name) return self.api:get(PKG .. "/configurations/" .. name) end
function C:is_configuration_healthy(name) return has(self:configuration(name), "Healthy") end
function C:is_configuration_installed(name) return has(self:configuration(name), "Installed") end

function C:functions() return list(self, FUNCTIONS) end
function C:xfunction(name) return self.api:get(FUNCTIONS .. "/" .. name) end
function C:is_function_healthy(name) return has(self:xfunction(name), "Healthy") end

function C:xrds() return list(self, XP .. "/compositeresourcedefinitions") end
function C:xrd(name) return self.api:get(XP .. "/compositeresourcedefinitions/" .. name) end
function C:is_xrd_established(name) return has(self:xrd(name), "Established") end

function C:compositions() return list(self, XP .. "/compositions") end
function C:composition(name) return self.api:get(XP .. "/compositions/" .. name) end

-- `kind` is the plural resource name (e.g. "buckets")
function C:managed_resources(api_group, version, kind)
  return list(self, "/apis/" .. api_group .. "/" .. version .. "/" .. kind)
end

function C:managed_resource(api_group, version, kind, name)
  return self.api:get("/apis/" .. api_group .. "/" .. version .. "/" .. kind .. "/" .. name)
end

function C:is_managed_ready(api_group, version, kind, name)
  return has(self:managed_resource(api_group, version, kind, name), "Ready")
end

local function healthy(obj) return has(obj, "Healthy") end
local function established(obj) return has(obj, "Established") end

function C:all_providers_healthy()
  return k8s._tally(self:providers().items or {}, healthy, "healthy", "unhealthy")
end

function C:all_xrds_established()
  local out = k8s._tally(self:xrds().items or {}, established, "established", "not_established")
  out.not_established_names = nil
  return out
end

return M
