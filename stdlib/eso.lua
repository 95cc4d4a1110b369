--- @module assay.eso
--- @description External Secrets Operator. ExternalSecrets, SecretStores, ClusterSecretStores sync status.
--- @category secrets
--- @icon lock
--- @keywords eso, external-secrets, secretstores, kubernetes, secrets, sync, store, readiness, wait, cluster, external-secret
--- @quickref M.client(url, opts) -> client | External Secrets client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c.external_secrets:list(namespace) -> {items} | List ExternalSecrets in namespace; flat: c:external_secrets(namespace)
--- @quickref c.external_secrets:get(namespace, name) -> es|nil | Get ExternalSecret by name; flat: c:external_secret(namespace, name)
--- @quickref c.external_secrets:status(namespace, name) -> {ready, status, sync_hash} | Get sync status; flat: c:external_secret_status(namespace, name)
--- @quickref c.external_secrets:is_synced(namespace, name) -> bool | Check if ExternalSecret is synced; flat: c:is_secret_synced(namespace, name)
--- @quickref c.external_secrets:wait_synced(namespace, name, timeout_secs?) -> true | Wait for sync; flat: c:wait_secret_synced(namespace, name, timeout_secs?)
--- @quickref c.secret_stores:list(namespace) -> {items} | List SecretStores in namespace; flat: c:secret_stores(namespace)
--- @quickref c.secret_stores:get(namespace, name) -> store|nil | Get SecretStore by name; flat: c:secret_store(namespace, name)
--- @quickref c.secret_stores:status(namespace, name) -> {ready, conditions} | Get store status; flat: c:secret_store_status(namespace, name)
--- @quickref c.secret_stores:is_ready(namespace, name) -> bool | Check if SecretStore is ready; flat: c:is_store_ready(namespace, name)
--- @quickref c.cluster_secret_stores:list() -> {items} | List ClusterSecretStores; flat: c:cluster_secret_stores()
--- @quickref c.cluster_secret_stores:get(name) -> store|nil | Get ClusterSecretStore by name; flat: c:cluster_secret_store(name)
--- @quickref c.cluster_secret_stores:is_ready(name) -> bool | Check if ClusterSecretStore is ready; flat: c:is_cluster_store_ready(name)
--- @quickref c.cluster_external_secrets:list() -> {items} | List ClusterExternalSecrets; flat: c:cluster_external_secrets()
--- @quickref c.cluster_external_secrets:get(name) -> es|nil | Get ClusterExternalSecret by name; flat: c:cluster_external_secret(name)
--- @quickref c.external_secrets:all_synced(namespace) -> {synced, failed, total} | Check all secrets sync status; flat: c:all_secrets_synced(namespace)
--- @quickref c.secret_stores:all_ready(namespace) -> {ready, not_ready, total} | Check all stores readiness; flat: c:all_stores_ready(namespace)

local k8s = require("assay.k8s")

local H = require("assay._http")
local M = {}

local B = "/apis/external-secrets.io/v1beta1"

local C = {}
C.__index = C

--- eso.client(url, token) or eso.client(url, { token = ..., ca_cert = ... })
function M.client(url, token)
  local api = k8s._api("eso", url, token)
  return setmetatable({ url = api.url, token = api.conn.token, api = api }, C)
end

-- lists raise on every non-200 status, 404 included
local function list(c, path)
  return c.api:list(path, { verb = "LIST" })
end

local function ns_path(namespace, plural)
  return B .. "/namespaces/" .. namespace .. "/" .. plural
end

local function ready(obj)
  return k8s._condition_true(obj, "Ready")
end

function C:external_secrets(namespace)
  return list(self, ns_path(namespace, "externalsecrets"))
end

function C:external_secret(namespace, name)
  return self.api:get(ns_path(namespace, "externalsecrets") .. "/" .. name)
end

function C:external_secret_status(namespace, name)
  local es = self:external_secret(namespace, name)
  if es == nil then error("eso: ExternalSecret " .. namespace .. "/" .. name .. " not found") end
  local st = type(es.status) == "table" and es.status or {}
  local cond = k8s._condition(es, "Ready")
  return {
    ready = cond ~= nil and cond.status == "True",
    status = cond and cond.reason or "Unknown",
    sync_hash = st.syncedResourceVersion or "",
    conditions = st.conditions or {},
  }
end

function C:is_secret_synced(namespace, name)
  return ready(self:external_secret(namespace, name))
end

function C:wait_secret_synced(namespace, name, timeout_secs)
  timeout_secs = timeout_secs or 60
  local elapsed = 0
  while elapsed < timeout_secs do
    if self:is_secret_synced(namespace, name) then return true end
    sleep(5)
    elapsed = elapsed + 5
  end
  error("eso: ExternalSecret " .. namespace .. "/" .. name .. " not synced after " .. timeout_secs .. "s")
end

function C:secret_stores(namespace)
  return list(self, ns_path(namespace, "secretstores"))
end

function C:secret_store(namespace, name)
  return self.api:get(ns_path(namespace, "secretstores") .. "/" .. name)
end

function C:secret_store_status(namespace, name)
  local store = self:secret_store(namespace, name)
  if store == nil then error("eso: SecretStore " .. namespace .. "/" .. name .. " not found") end
  local st = type(store.status) == "table" and store.status or {}
  return { ready = ready(store), conditions = st.conditions or {} }
end

function C:is_store_ready(namespace, name)
  return ready(self:secret_store(namespace, name))
end

function C:cluster_secret_stores()
  return list(self, B .. "/clustersecretstores")
end

function C:cluster_secret_store(name)
  return self.api:get(B .. "/clustersecretstores/" .. name)
end

function C:is_cluster_store_ready(name)
  return ready(self:cluster_secret_store(name))
end

function C:cluster_external_secrets()
  return list(self, B .. "/clusterexternalsecrets")
end

function C:cluster_external_secret(name)
  return self.api:get(B .. "/clusterexternalsecrets/" .. name)
end

function C:all_secrets_synced(namespace)
  return k8s._tally(self:external_secrets(namespace).items or {}, ready, "synced", "failed")
end

function C:all_stores_ready(namespace)
  return k8s._tally(self:secret_stores(namespace).items or {}, ready, "ready", "not_ready")
end

H.api({
  module = "eso",
  quickref = {
    "M.client(url, opts) -> client | External Secrets client for the Kubernetes API; opts {token, ca_cert?} or the token string",
  },
  ops = {
    { "external_secrets", "external_secrets:list", "(namespace) -> {items}", "List ExternalSecrets in namespace" },
    { "external_secret", "external_secrets:get", "(namespace, name) -> es|nil", "Get ExternalSecret by name" },
    { "external_secret_status", "external_secrets:status", "(namespace, name) -> {ready, status, sync_hash}", "Get sync status" },
    { "is_secret_synced", "external_secrets:is_synced", "(namespace, name) -> bool", "Check if ExternalSecret is synced" },
    { "wait_secret_synced", "external_secrets:wait_synced", "(namespace, name, timeout_secs?) -> true", "Wait for sync" },
    { "secret_stores", "secret_stores:list", "(namespace) -> {items}", "List SecretStores in namespace" },
    { "secret_store", "secret_stores:get", "(namespace, name) -> store|nil", "Get SecretStore by name" },
    { "secret_store_status", "secret_stores:status", "(namespace, name) -> {ready, conditions}", "Get store status" },
    { "is_store_ready", "secret_stores:is_ready", "(namespace, name) -> bool", "Check if SecretStore is ready" },
    { "cluster_secret_stores", "cluster_secret_stores:list", "() -> {items}", "List ClusterSecretStores" },
    { "cluster_secret_store", "cluster_secret_stores:get", "(name) -> store|nil", "Get ClusterSecretStore by name" },
    { "is_cluster_store_ready", "cluster_secret_stores:is_ready", "(name) -> bool", "Check if ClusterSecretStore is ready" },
    { "cluster_external_secrets", "cluster_external_secrets:list", "() -> {items}", "List ClusterExternalSecrets" },
    { "cluster_external_secret", "cluster_external_secrets:get", "(name) -> es|nil", "Get ClusterExternalSecret by name" },
    { "all_secrets_synced", "external_secrets:all_synced", "(namespace) -> {synced, failed, total}", "Check all secrets sync status" },
    { "all_stores_ready", "secret_stores:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all stores readiness" },
  },
}):install(C)

return M
