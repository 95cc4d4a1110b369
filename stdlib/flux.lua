--- @module assay.flux
--- @description Flux CD GitOps toolkit. GitRepositories, Kustomizations, HelmReleases, notifications.
--- @category gitops
--- @icon flux
--- @keywords flux, gitops, kustomizations, helmreleases, gitrepositories, kubernetes, helm, oci, image-automation, notification, readiness, sources
--- @quickref M.client(url, opts) -> client | Flux client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c.git_repos:list(namespace) -> {items} | List GitRepositories; flat: c:git_repositories(namespace)
--- @quickref c.git_repos:get(namespace, name) -> repo|nil | Get GitRepository by name; flat: c:git_repository(namespace, name)
--- @quickref c.git_repos:is_ready(namespace, name) -> bool | Check if GitRepository is ready; flat: c:is_git_repo_ready(namespace, name)
--- @quickref c.helm_repos:list(namespace) -> {items} | List HelmRepositories; flat: c:helm_repositories(namespace)
--- @quickref c.helm_repos:get(namespace, name) -> repo|nil | Get HelmRepository by name; flat: c:helm_repository(namespace, name)
--- @quickref c.helm_repos:is_ready(namespace, name) -> bool | Check if HelmRepository is ready; flat: c:is_helm_repo_ready(namespace, name)
--- @quickref c.helm_charts:list(namespace) -> {items} | List HelmCharts; flat: c:helm_charts(namespace)
--- @quickref c.oci_repos:list(namespace) -> {items} | List OCIRepositories; flat: c:oci_repositories(namespace)
--- @quickref c.kustomizations:list(namespace) -> {items} | List Kustomizations; flat: c:kustomizations(namespace)
--- @quickref c.kustomizations:get(namespace, name) -> ks|nil | Get Kustomization by name; flat: c:kustomization(namespace, name)
--- @quickref c.kustomizations:is_ready(namespace, name) -> bool | Check if Kustomization is ready; flat: c:is_kustomization_ready(namespace, name)
--- @quickref c.kustomizations:status(namespace, name) -> {ready, revision}|nil | Get Kustomization status; flat: c:kustomization_status(namespace, name)
--- @quickref c.helm_releases:list(namespace) -> {items} | List HelmReleases; flat: c:helm_releases(namespace)
--- @quickref c.helm_releases:get(namespace, name) -> hr|nil | Get HelmRelease by name; flat: c:helm_release(namespace, name)
--- @quickref c.helm_releases:is_ready(namespace, name) -> bool | Check if HelmRelease is ready; flat: c:is_helm_release_ready(namespace, name)
--- @quickref c.helm_releases:status(namespace, name) -> {ready, revision}|nil | Get HelmRelease status; flat: c:helm_release_status(namespace, name)
--- @quickref c.notifications:alerts(namespace) -> {items} | List notification alerts; flat: c:alerts(namespace)
--- @quickref c.notifications:providers(namespace) -> {items} | List notification providers; flat: c:providers_list(namespace)
--- @quickref c.notifications:receivers(namespace) -> {items} | List notification receivers; flat: c:receivers(namespace)
--- @quickref c.image_policies:list(namespace) -> {items} | List image policies; flat: c:image_policies(namespace)
--- @quickref c.sources:all_ready(namespace) -> {ready, not_ready, total} | Check all sources readiness; flat: c:all_sources_ready(namespace)
--- @quickref c.kustomizations:all_ready(namespace) -> {ready, not_ready, total} | Check all Kustomizations; flat: c:all_kustomizations_ready(namespace)
--- @quickref c.helm_releases:all_ready(namespace) -> {ready, not_ready, total} | Check all HelmReleases; flat: c:all_helm_releases_ready(namespace)

local k8s = require("assay.k8s")

local H = require("assay._http")
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

H.api({
  module = "flux",
  quickref = {
    "M.client(url, opts) -> client | Flux client for the Kubernetes API; opts {token, ca_cert?} or the token string",
  },
  ops = {
    { "git_repositories", "git_repos:list", "(namespace) -> {items}", "List GitRepositories" },
    { "git_repository", "git_repos:get", "(namespace, name) -> repo|nil", "Get GitRepository by name" },
    { "is_git_repo_ready", "git_repos:is_ready", "(namespace, name) -> bool", "Check if GitRepository is ready" },
    { "helm_repositories", "helm_repos:list", "(namespace) -> {items}", "List HelmRepositories" },
    { "helm_repository", "helm_repos:get", "(namespace, name) -> repo|nil", "Get HelmRepository by name" },
    { "is_helm_repo_ready", "helm_repos:is_ready", "(namespace, name) -> bool", "Check if HelmRepository is ready" },
    { "helm_charts", "helm_charts:list", "(namespace) -> {items}", "List HelmCharts" },
    { "oci_repositories", "oci_repos:list", "(namespace) -> {items}", "List OCIRepositories" },
    { "kustomizations", "kustomizations:list", "(namespace) -> {items}", "List Kustomizations" },
    { "kustomization", "kustomizations:get", "(namespace, name) -> ks|nil", "Get Kustomization by name" },
    { "is_kustomization_ready", "kustomizations:is_ready", "(namespace, name) -> bool", "Check if Kustomization is ready" },
    { "kustomization_status", "kustomizations:status", "(namespace, name) -> {ready, revision}|nil", "Get Kustomization status" },
    { "helm_releases", "helm_releases:list", "(namespace) -> {items}", "List HelmReleases" },
    { "helm_release", "helm_releases:get", "(namespace, name) -> hr|nil", "Get HelmRelease by name" },
    { "is_helm_release_ready", "helm_releases:is_ready", "(namespace, name) -> bool", "Check if HelmRelease is ready" },
    { "helm_release_status", "helm_releases:status", "(namespace, name) -> {ready, revision}|nil", "Get HelmRelease status" },
    { "alerts", "notifications:alerts", "(namespace) -> {items}", "List notification alerts" },
    { "providers_list", "notifications:providers", "(namespace) -> {items}", "List notification providers" },
    { "receivers", "notifications:receivers", "(namespace) -> {items}", "List notification receivers" },
    { "image_policies", "image_policies:list", "(namespace) -> {items}", "List image policies" },
    { "all_sources_ready", "sources:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all sources readiness" },
    { "all_kustomizations_ready", "kustomizations:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all Kustomizations" },
    { "all_helm_releases_ready", "helm_releases:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all HelmReleases" },
  },
}):install(C)

return M
