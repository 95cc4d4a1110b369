--- @module assay.certmanager
--- @description cert-manager certificate lifecycle. Certificates, issuers, ACME orders and challenges.
--- @category kubernetes
--- @icon certificate
--- @keywords certmanager, certificates, issuers, acme, tls, kubernetes, letsencrypt, order, challenge, request, approval, readiness, wait, ssl
--- @quickref M.client(url, opts) -> client | cert-manager client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c.certificates:list(namespace) -> {items} | List certificates in namespace; flat: c:certificates(namespace)
--- @quickref c.certificates:get(namespace, name) -> cert|nil | Get certificate by name; flat: c:certificate(namespace, name)
--- @quickref c.certificates:status(namespace, name) -> {ready, not_after, renewal_time} | Get certificate status; flat: c:certificate_status(namespace, name)
--- @quickref c.certificates:is_ready(namespace, name) -> bool | Check if certificate is ready; flat: c:is_certificate_ready(namespace, name)
--- @quickref c.certificates:wait_ready(namespace, name, timeout_secs?) -> true | Wait for certificate readiness; flat: c:wait_certificate_ready(namespace, name, timeout_secs?)
--- @quickref c.issuers:list(namespace) -> {items} | List issuers in namespace; flat: c:issuers(namespace)
--- @quickref c.issuers:get(namespace, name) -> issuer|nil | Get issuer by name; flat: c:issuer(namespace, name)
--- @quickref c.issuers:is_ready(namespace, name) -> bool | Check if issuer is ready; flat: c:is_issuer_ready(namespace, name)
--- @quickref c.cluster_issuers:list() -> {items} | List cluster issuers; flat: c:cluster_issuers()
--- @quickref c.cluster_issuers:get(name) -> issuer|nil | Get cluster issuer by name; flat: c:cluster_issuer(name)
--- @quickref c.cluster_issuers:is_ready(name) -> bool | Check if cluster issuer is ready; flat: c:is_cluster_issuer_ready(name)
--- @quickref c.requests:list(namespace) -> {items} | List certificate requests; flat: c:certificate_requests(namespace)
--- @quickref c.requests:get(namespace, name) -> request|nil | Get certificate request; flat: c:certificate_request(namespace, name)
--- @quickref c.requests:is_approved(namespace, name) -> bool | Check if request is approved; flat: c:is_request_approved(namespace, name)
--- @quickref c.orders:list(namespace) -> {items} | List ACME orders; flat: c:orders(namespace)
--- @quickref c.orders:get(namespace, name) -> order|nil | Get ACME order; flat: c:order(namespace, name)
--- @quickref c.challenges:list(namespace) -> {items} | List ACME challenges; flat: c:challenges(namespace)
--- @quickref c.challenges:get(namespace, name) -> challenge|nil | Get ACME challenge; flat: c:challenge(namespace, name)
--- @quickref c.certificates:all_ready(namespace) -> {ready, not_ready, total} | Check all certificates readiness; flat: c:all_certificates_ready(namespace)
--- @quickref c.issuers:all_ready(namespace) -> {ready, not_ready, total} | Check all issuers readiness; flat: c:all_issuers_ready(namespace)

local k8s = require("assay.k8s")

local H = require("assay._http")
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

H.api({
  module = "certmanager",
  quickref = {
    "M.client(url, opts) -> client | cert-manager client for the Kubernetes API; opts {token, ca_cert?} or the token string",
  },
  ops = {
    { "certificates", "certificates:list", "(namespace) -> {items}", "List certificates in namespace" },
    { "certificate", "certificates:get", "(namespace, name) -> cert|nil", "Get certificate by name" },
    { "certificate_status", "certificates:status", "(namespace, name) -> {ready, not_after, renewal_time}", "Get certificate status" },
    { "is_certificate_ready", "certificates:is_ready", "(namespace, name) -> bool", "Check if certificate is ready" },
    { "wait_certificate_ready", "certificates:wait_ready", "(namespace, name, timeout_secs?) -> true", "Wait for certificate readiness" },
    { "issuers", "issuers:list", "(namespace) -> {items}", "List issuers in namespace" },
    { "issuer", "issuers:get", "(namespace, name) -> issuer|nil", "Get issuer by name" },
    { "is_issuer_ready", "issuers:is_ready", "(namespace, name) -> bool", "Check if issuer is ready" },
    { "cluster_issuers", "cluster_issuers:list", "() -> {items}", "List cluster issuers" },
    { "cluster_issuer", "cluster_issuers:get", "(name) -> issuer|nil", "Get cluster issuer by name" },
    { "is_cluster_issuer_ready", "cluster_issuers:is_ready", "(name) -> bool", "Check if cluster issuer is ready" },
    { "certificate_requests", "requests:list", "(namespace) -> {items}", "List certificate requests" },
    { "certificate_request", "requests:get", "(namespace, name) -> request|nil", "Get certificate request" },
    { "is_request_approved", "requests:is_approved", "(namespace, name) -> bool", "Check if request is approved" },
    { "orders", "orders:list", "(namespace) -> {items}", "List ACME orders" },
    { "order", "orders:get", "(namespace, name) -> order|nil", "Get ACME order" },
    { "challenges", "challenges:list", "(namespace) -> {items}", "List ACME challenges" },
    { "challenge", "challenges:get", "(namespace, name) -> challenge|nil", "Get ACME challenge" },
    { "all_certificates_ready", "certificates:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all certificates readiness" },
    { "all_issuers_ready", "issuers:all_ready", "(namespace) -> {ready, not_ready, total}", "Check all issuers readiness" },
  },
}):install(C)

return M
