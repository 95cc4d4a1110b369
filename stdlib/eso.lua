--- @module assay.eso
--- @description External Secrets Operator. ExternalSecrets, SecretStores, ClusterSecretStores sync status.
--- @keywords eso, external-secrets, secretstores, kubernetes, secrets, sync, store, readiness, wait, cluster, external-secret
--- @quickref M.client(url, opts) -> client | External Secrets client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c:external_secrets(namespace) -> {items} | List ExternalSecrets in namespace
--- @quickref c:external_secret(namespace, name) -> es|nil | Get ExternalSecret by name
--- @quickref c:external_secret_status(namespace, name) -> {ready, status, sync_hash} | Get sync status
--- @quickref c:is_secret_synced(namespace, name) -> bool | Check if ExternalSecret is synced
--- @quickref c:wait_secret_synced(namespace, name, timeout_secs?) -> true | Wait for sync
--- @quickref c:secret_stores(namespace) -> {items} | List SecretStores in namespace
--- @quickref c:secret_store(namespace, name) -> store|nil | Get SecretStore by name
--- @quickref c:secret_store_status(namespace, name) -> {ready, conditions} | Get store status
--- @quickref c:is_store_ready(namespace, name) -> bool | Check if SecretStore is ready
--- @quickref c:cluster_secret_stores() -> {items} | List ClusterSecretStores
--- @quickref c:cluster_secret_store(name) -> store|nil | Get ClusterSecretStore by name
--- @quickref c:is_cluster_store_ready(name) -> bool | Check if ClusterSecretStore is ready
--- @quickref c:cluster_external_secrets() -> {items} | List ClusterExternalSecrets
--- @quickref c:cluster_external_secret(name) -> es|nil | Get ClusterExternalSecret by name
--- @quickref c:all_secrets_synced(namespace) -> {synced, failed, total} | Check all secrets sync status
--- @quickref c:all_stores_ready(namespace) -> {ready, not_ready, total} | Check all stores readiness

local k8s = require("assay.k8s")

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

return M
