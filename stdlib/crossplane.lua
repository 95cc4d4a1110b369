--- @module assay.crossplane
--- @description Crossplane infrastructure management. Providers, XRDs, compositions, managed resources.
--- @category kubernetes
--- @icon kubernetes
--- @keywords crossplane, providers, xrds, compositions, managed, kubernetes, infrastructure, configuration, function, composition, managed-resource, health, readiness, established, terraform
--- @quickref M.client(url, opts) -> client | Crossplane client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c.providers:list() -> {items} | List providers; flat: c:providers()
--- @quickref c.providers:get(name) -> provider|nil | Get provider by name; flat: c:provider(name)
--- @quickref c.providers:is_healthy(name) -> bool | Check if provider is healthy; flat: c:is_provider_healthy(name)
--- @quickref c.providers:is_installed(name) -> bool | Check if provider is installed; flat: c:is_provider_installed(name)
--- @quickref c.providers:status(name) -> {installed, healthy, current_revision} | Get provider status; flat: c:provider_status(name)
--- @quickref c.provider_revisions:list() -> {items} | List provider revisions; flat: c:provider_revisions()
--- @quickref c.provider_revisions:get(name) -> revision|nil | Get provider revision; flat: c:provider_revision(name)
--- @quickref c.configurations:list() -> {items} | List configurations; flat: c:configurations()
--- @quickref c.configurations:get(name) -> config|nil | Get configuration by name; flat: c:configuration(name)
--- @quickref c.configurations:is_healthy(name) -> bool | Check if configuration is healthy; flat: c:is_configuration_healthy(name)
--- @quickref c.configurations:is_installed(name) -> bool | Check if configuration is installed; flat: c:is_configuration_installed(name)
--- @quickref c.functions:list() -> {items} | List functions; flat: c:functions()
--- @quickref c.functions:get(name) -> function|nil | Get function by name; flat: c:xfunction(name)
--- @quickref c.functions:is_healthy(name) -> bool | Check if function is healthy; flat: c:is_function_healthy(name)
--- @quickref c.xrds:list() -> {items} | List composite resource definitions; flat: c:xrds()
--- @quickref c.xrds:get(name) -> xrd|nil | Get XRD by name; flat: c:xrd(name)
--- @quickref c.xrds:is_established(name) -> bool | Check if XRD is established; flat: c:is_xrd_established(name)
--- @quickref c.compositions:list() -> {items} | List compositions; flat: c:compositions()
--- @quickref c.compositions:get(name) -> composition|nil | Get composition by name; flat: c:composition(name)
--- @quickref c.managed_resources:get(api_group, version, kind, name) -> resource|nil | Get managed resource; flat: c:managed_resource(api_group, version, kind, name)
--- @quickref c.managed_resources:is_ready(api_group, version, kind, name) -> bool | Check if managed resource is ready; flat: c:is_managed_ready(api_group, version, kind, name)
--- @quickref c.managed_resources:list(api_group, version, kind) -> {items} | List managed resources; flat: c:managed_resources(api_group, version, kind)
--- @quickref c.providers:all_healthy() -> {healthy, unhealthy, total} | Check all providers health; flat: c:all_providers_healthy()
--- @quickref c.xrds:all_established() -> {established, not_established, total} | Check all XRDs status; flat: c:all_xrds_established()

local k8s = require("assay.k8s")

local H = require("assay._http")
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

H.api({
  module = "crossplane",
  quickref = {
    "M.client(url, opts) -> client | Crossplane client for the Kubernetes API; opts {token, ca_cert?} or the token string",
  },
  ops = {
    { "providers", "providers:list", "() -> {items}", "List providers" },
    { "provider", "providers:get", "(name) -> provider|nil", "Get provider by name" },
    { "is_provider_healthy", "providers:is_healthy", "(name) -> bool", "Check if provider is healthy" },
    { "is_provider_installed", "providers:is_installed", "(name) -> bool", "Check if provider is installed" },
    { "provider_status", "providers:status", "(name) -> {installed, healthy, current_revision}", "Get provider status" },
    { "provider_revisions", "provider_revisions:list", "() -> {items}", "List provider revisions" },
    { "provider_revision", "provider_revisions:get", "(name) -> revision|nil", "Get provider revision" },
    { "configurations", "configurations:list", "() -> {items}", "List configurations" },
    { "configuration", "configurations:get", "(name) -> config|nil", "Get configuration by name" },
    { "is_configuration_healthy", "configurations:is_healthy", "(name) -> bool", "Check if configuration is healthy" },
    { "is_configuration_installed", "configurations:is_installed", "(name) -> bool", "Check if configuration is installed" },
    { "functions", "functions:list", "() -> {items}", "List functions" },
    { "xfunction", "functions:get", "(name) -> function|nil", "Get function by name" },
    { "is_function_healthy", "functions:is_healthy", "(name) -> bool", "Check if function is healthy" },
    { "xrds", "xrds:list", "() -> {items}", "List composite resource definitions" },
    { "xrd", "xrds:get", "(name) -> xrd|nil", "Get XRD by name" },
    { "is_xrd_established", "xrds:is_established", "(name) -> bool", "Check if XRD is established" },
    { "compositions", "compositions:list", "() -> {items}", "List compositions" },
    { "composition", "compositions:get", "(name) -> composition|nil", "Get composition by name" },
    { "managed_resource", "managed_resources:get", "(api_group, version, kind, name) -> resource|nil", "Get managed resource" },
    { "is_managed_ready", "managed_resources:is_ready", "(api_group, version, kind, name) -> bool", "Check if managed resource is ready" },
    { "managed_resources", "managed_resources:list", "(api_group, version, kind) -> {items}", "List managed resources" },
    { "all_providers_healthy", "providers:all_healthy", "() -> {healthy, unhealthy, total}", "Check all providers health" },
    { "all_xrds_established", "xrds:all_established", "() -> {established, not_established, total}", "Check all XRDs status" },
  },
}):install(C)

return M
