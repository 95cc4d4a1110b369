--- @module assay.flux
--- @description Flux CD GitOps toolkit. GitRepositories, Kustomizations, HelmReleases, notifications.
--- @keywords flux, gitops, kustomizations, helmreleases, gitrepositories, kubernetes, helm, oci, image-automation, notification, readiness, sources
--- @quickref M.client(url, opts) -> client | Flux client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c:git_repositories(namespace) -> {items} | List GitRepositories
--- @quickref c:git_repository(namespace, name) -> repo|nil | Get GitRepository by name
--- @quickref c:is_git_repo_ready(namespace, name) -> bool | Check if GitRepository is ready
--- @quickref c:helm_repositories(namespace) -> {items} | List HelmRepositories
--- @quickref c:helm_repository(namespace, name) -> repo|nil | Get HelmRepository by name
--- @quickref c:is_helm_repo_ready(namespace, name) -> bool | Check if HelmRepository is ready
--- @quickref c:helm_charts(namespace) -> {items} | List HelmCharts
--- @quickref c:oci_repositories(namespace) -> {items} | List OCIRepositories
--- @quickref c:kustomizations(namespace) -> {items} | List Kustomizations
--- @quickref c:kustomization(namespace, name) -> ks|nil | Get Kustomization by name
--- @quickref c:is_kustomization_ready(namespace, name) -> bool | Check if Kustomization is ready
--- @quickref c:kustomization_status(namespace, name) -> {ready, revision}|nil | Get Kustomization status
--- @quickref c:helm_releases(namespace) -> {items} | List HelmReleases
--- @quickref c:helm_release(namespace, name) -> hr|nil | Get HelmRelease by name
--- @quickref c:is_helm_release_ready(namespace, name) -> bool | Check if HelmRelease is ready
--- @quickref c:helm_release_status(namespace, name) -> {ready, revision}|nil | Get HelmRelease status
--- @quickref c:alerts(namespace) -> {items} | List notification alerts
--- @quickref c:providers_list(namespace) -> {items} | List notification providers
--- @quickref c:receivers(namespace) -> {items} | List notification receivers
--- @quickref c:image_policies(namespace) -> {items} | List image policies
--- @quickref c:all_sources_ready(namespace) -> {ready, not_ready, total} | Check all sources readiness
--- @quickref c:all_kustomizations_ready(namespace) -> {ready, not_ready, total} | Check all Kustomizations
--- @quickref c:all_helm_releases_ready(namespace) -> {ready, not_ready, total} | Check all HelmReleases

local k8s = require("assay.k8s")

local M = {}

local SOURCE = "/apis/source.toolkit.fluxcd.io/v1"
local SOURCE_BETA = "/apis/source.toolkit.fluxcd.io/v1beta2"
local KUSTOMIZE = "/apis/kustomize.toolkit.fluxcd.io/v1"
local HELM = "/apis/helm.toolkit.fluxcd.io/v2"
local NOTIFICATION_BETA = "/apis/notification.toolkit.fluxcd.io/v1beta3"
local NOTIFICATION = "/apis/notification.toolkit.fluxcd.io/v1"
local IMAGE = "/apis/image.toolkit.fluxcd.io/v1beta2"

local C = {}
C.__index = C

--- flux.client(url, token) or flux.client(url, { token = ..., ca_cert = ... })
function M.client(url, token)
  local api = k8s._api("flux", url, token)
  return setmetatable({ url = api.url, token = api.conn.token, api = api }, C)
end

local function path(prefix, namespace, plural, name)
  local p = prefix .. "/namespaces/" .. namespace .. "/" .. plural
  if name ~= nil then p = p .. "/" .. name end
  return p
end

-- lists raise on every non-200 status, 404 included
local function list(c, prefix, namespace, plural)
  return c.api:list(path(prefix, namespace, plural), { verb = "LIST" })
end

local function ready(obj)
  return k8s._condition_true(obj, "Ready")
end

local function status_of(obj)
  if obj == nil then return nil end
  local st = type(obj.status) == "table" and obj.status or {}
  return {
    ready = ready(obj),
    revision = st.lastAttemptedRevision or "",
    last_applied_revision = st.lastAppliedRevision or "",
    conditions = st.conditions or {},
  }
end

function C:git_repositories(namespace) return list(self, SOURCE, namespace, "gitrepositories") end
function C:git_repository(namespace, name)
  return self.api:get(path(SOURCE, namespace, "gitrepositories", name))
end
function C:is_git_repo_ready(namespace, name) return ready(self:git_repository(namespace, name)) end

function C:helm_repositories(namespace) return list(self, SOURCE, namespace, "helmrepositories") end
function C:helm_repository(namespace, name)
  return self.api:get(path(SOURCE, namespace, "helmrepositories", name))
end
function C:is_helm_repo_ready(namespace, name) return ready(self:helm_repository(namespace, name)) end

function C:helm_charts(namespace) return list(self, SOURCE, namespace, "helmcharts") end
function C:oci_repositories(namespace) return list(self, SOURCE_BETA, namespace, "ocirepositories") end

function C:kustomizations(namespace) return list(self, KUSTOMIZE, namespace, "kustomizations") end
function C:kustomization(namespace, name)
  return self.api:get(path(KUSTOMIZE, namespace, "kustomizations", name))
end
function C:is_kustomization_ready(namespace, name) return ready(self:kustomization(namespace, name)) end
function C:kustomization_status(namespace, name) return status_of(self:kustomization(namespace, name)) end

function C:helm_releases(namespace) return list(self, HELM, namespace, "helmreleases") end
function C:helm_release(namespace, name)
  return self.api:get(path(HELM, namespace, "helmreleases", name))
end
function C:is_helm_release_ready(namespace, name) return ready(self:helm_release(namespace, name)) end
function C:helm_release_status(namespace, name) return status_of(self:helm_release(namespace, name)) end

function C:alerts(namespace) return list(self, NOTIFICATION_BETA, namespace, "alerts") end
function C:providers_list(namespace) return list(self, NOTIFICATION_BETA, namespace, "providers") end
function C:receivers(namespace) return list(self, NOTIFICATION, namespace, "receivers") end
function C:image_policies(namespace) return list(self, IMAGE, namespace, "imagepolicies") end

local function all_ready(items)
  return k8s._tally(items, ready, "ready", "not_ready")
end

-- GitRepositories then HelmRepositories (HelmCharts, OCIRepositories, Buckets not included)
function C:all_sources_ready(namespace)
  local items = {}
  for _, source in ipairs({ self:git_repositories(namespace), self:helm_repositories(namespace) }) do
    for _, item in ipairs(source.items or {}) do items[#items + 1] = item end
  end
  return all_ready(items)
end

function C:all_kustomizations_ready(namespace)
  return all_ready(self:kustomizations(namespace).items or {})
end

function C:all_helm_releases_ready(namespace)
  return all_ready(self:helm_releases(namespace).items or {})
end

return M
