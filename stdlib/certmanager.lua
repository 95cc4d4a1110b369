--- @module assay.certmanager
--- @description cert-manager certificate lifecycle. Certificates, issuers, ACME orders and challenges.
--- @keywords certmanager, certificates, issuers, acme, tls, kubernetes, letsencrypt, order, challenge, request, approval, readiness, wait, ssl
--- @quickref M.client(url, opts) -> client | cert-manager client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c:certificates(namespace) -> {items} | List certificates in namespace
--- @quickref c:certificate(namespace, name) -> cert|nil | Get certificate by name
--- @quickref c:certificate_status(namespace, name) -> {ready, not_after, renewal_time} | Get certificate status
--- @quickref c:is_certificate_ready(namespace, name) -> bool | Check if certificate is ready
--- @quickref c:wait_certificate_ready(namespace, name, timeout_secs?) -> true | Wait for certificate readiness
--- @quickref c:issuers(namespace) -> {items} | List issuers in namespace
--- @quickref c:issuer(namespace, name) -> issuer|nil | Get issuer by name
--- @quickref c:is_issuer_ready(namespace, name) -> bool | Check if issuer is ready
--- @quickref c:cluster_issuers() -> {items} | List cluster issuers
--- @quickref c:cluster_issuer(name) -> issuer|nil | Get cluster issuer by name
--- @quickref c:is_cluster_issuer_ready(name) -> bool | Check if cluster issuer is ready
--- @quickref c:certificate_requests(namespace) -> {items} | List certificate requests
--- @quickref c:certificate_request(namespace, name) -> request|nil | Get certificate request
--- @quickref c:is_request_approved(namespace, name) -> bool | Check if request is approved
--- @quickref c:orders(namespace) -> {items} | List ACME orders
--- @quickref c:order(namespace, name) -> order|nil | Get ACME order
--- @quickref c:challenges(namespace) -> {items} | List ACME challenges
--- @quickref c:challenge(namespace, name) -> challenge|nil | Get ACME challenge
--- @quickref c:all_certificates_ready(namespace) -> {ready, not_ready, total} | Check all certificates readiness
--- @quickref c:all_issuers_ready(namespace) -> {ready, not_ready, total} | Check all issuers readiness

local k8s = require("assay.k8s")

local M = {}

local CM = "/apis/cert-manager.io/v1"
local ACME = "/apis/acme.cert-manager.io/v1"

local C = {}
C.__index = C

--- certmanager.client(url, token) or certmanager.client(url, { token = ..., ca_cert = ... })
function M.client(url, token)
  local api = k8s._api("certmanager", url, token)
  return setmetatable({ url = api.url, token = api.conn.token, api = api }, C)
end

local function ns_path(prefix, namespace, plural)
  return prefix .. "/namespaces/" .. namespace .. "/" .. plural
end

-- lists: 404 (CRD not installed) -> { items = {} }
local function list(c, path)
  return c.api:list(path, { verb = "LIST", empty_on_404 = true })
end

local function ready(obj)
  return k8s._condition_true(obj, "Ready")
end

function C:certificates(namespace)
  return list(self, ns_path(CM, namespace, "certificates"))
end

function C:certificate(namespace, name)
  return self.api:get(ns_path(CM, namespace, "certificates") .. "/" .. name)
end

function C:certificate_status(namespace, name)
  local cert = self:certificate(namespace, name)
  if cert == nil then return nil end
  local st = type(cert.status) == "table" and cert.status or {}
  return {
    ready = ready(cert),
    not_after = st.notAfter,
    not_before = st.notBefore,
    renewal_time = st.renewalTime,
    revision = st.revision,
    conditions = st.conditions or {},
  }
end

function C:is_certificate_ready(namespace, name)
  return ready(self:certificate(namespace, name))
end

function C:wait_certificate_ready(namespace, name, timeout_secs)
  timeout_secs = timeout_secs or 300
  local start = time()
  while true do
    if self:is_certificate_ready(namespace, name) then return true end
    if time() - start >= timeout_secs then
      error("certmanager: timeout waiting for certificate " .. namespace .. "/" .. name .. " to be ready")
    end
    sleep(5)
  end
end

function C:issuers(namespace)
  return list(self, ns_path(CM, namespace, "issuers"))
end

function C:issuer(namespace, name)
  return self.api:get(ns_path(CM, namespace, "issuers") .. "/" .. name)
end

function C:is_issuer_ready(namespace, name)
  return ready(self:issuer(namespace, name))
end

function C:cluster_issuers()
  return list(self, CM .. "/clusterissuers")
end

function C:cluster_issuer(name)
  return self.api:get(CM .. "/clusterissuers/" .. name)
end

function C:is_cluster_issuer_ready(name)
  return ready(self:cluster_issuer(name))
end

function C:certificate_requests(namespace)
  return list(self, ns_path(CM, namespace, "certificaterequests"))
end

function C:certificate_request(namespace, name)
  return self.api:get(ns_path(CM, namespace, "certificaterequests") .. "/" .. name)
end

function C:is_request_approved(namespace, name)
  return k8s._condition_true(self:certificate_request(namespace, name), "Approved")
end

function C:orders(namespace)
  return list(self, ns_path(ACME, namespace, "orders"))
end

function C:order(namespace, name)
  return self.api:get(ns_path(ACME, namespace, "orders") .. "/" .. name)
end

function C:challenges(namespace)
  return list(self, ns_path(ACME, namespace, "challenges"))
end

function C:challenge(namespace, name)
  return self.api:get(ns_path(ACME, namespace, "challenges") .. "/" .. name)
end

function C:all_certificates_ready(namespace)
  return k8s._tally(self:certificates(namespace).items or {}, ready, "ready", "not_ready")
end

function C:all_issuers_ready(namespace)
  return k8s._tally(self:issuers(namespace).items or {}, ready, "ready", "not_ready")
end

return M
