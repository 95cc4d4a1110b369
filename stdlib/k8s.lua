--- @module assay.k8s
--- @description Kubernetes API client. 30+ resource types, CRDs, readiness checks, pod logs, rollouts. Kubeconfig contexts.
--- @category kubernetes
--- @icon kubernetes
--- @keywords kubernetes, k8s, pods, deployments, services, secrets, configmaps, namespaces, crd, custom-resources, rbac, events, logs, rollout, nodes, readiness, wait, deploy, deployment, kubeconfig, multi-cluster
--- @env KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT, KUBECONFIG, ASSAY_K8S_CONTEXT, HOME
--- @quickref M.client(url?, opts?) -> client | Kubernetes client; opts {token?, ca_cert?, client_cert?, client_key?, namespace?, context?, kubeconfig?}; no url = the kubeconfig context if one is named, else the in-cluster service account; every function below is also a method (c:list(ns, kind))
--- @quickref M.contexts(opts?) -> [name], current | Kubeconfig context names and the current-context (opts.kubeconfig, KUBECONFIG, ~/.kube/config)
--- @quickref M.use_context(name) -> nil | Default kubeconfig context for every call without base_url/context (nil: back to ASSAY_K8S_CONTEXT / in-cluster)
--- @quickref c:deployment(namespace, name) -> deployment|nil | Typed getters: deployment, statefulset, daemonset, replicaset, pod, service, configmap, secret, job, cronjob, ingress (nil on 404)
--- @quickref c:namespace(name) -> namespace|nil | Get namespace (c:node(name) for nodes), nil on 404
--- @quickref M.register_crd(kind, api_group, version, plural, cluster_scoped?) -> nil | Register custom resource
--- @quickref M.get(path, opts?) -> resource | GET any K8s API path
--- @quickref M.post(path, body, opts?) -> resource | POST to any K8s API path
--- @quickref M.put(path, body, opts?) -> resource | PUT to any K8s API path
--- @quickref M.patch(path, body, opts?) -> resource | PATCH any K8s API path
--- @quickref M.delete(path, opts?) -> nil | DELETE any K8s API path
--- @quickref M.resources:get(namespace, kind, name, opts?) -> resource | Get resource by kind and name; flat: M.get_resource(namespace, kind, name, opts?)
--- @quickref M.resources:list(namespace, kind, opts?) -> {items} | List resources by kind; flat: M.list(namespace, kind, opts?)
--- @quickref M.resources:create(namespace, kind, body, opts?) -> resource | Create resource; flat: M.create(namespace, kind, body, opts?)
--- @quickref M.resources:update(namespace, kind, name, body, opts?) -> resource | Update resource; flat: M.update(namespace, kind, name, body, opts?)
--- @quickref M.resources:patch(namespace, kind, name, body, opts?) -> resource | Patch resource; flat: M.patch_resource(namespace, kind, name, body, opts?)
--- @quickref M.resources:delete(namespace, kind, name, opts?) -> nil | Delete resource; flat: M.delete_resource(namespace, kind, name, opts?)
--- @quickref M.resources:exists(namespace, kind, name, opts?) -> bool | Check if resource exists; flat: M.exists(namespace, kind, name, opts?)
--- @quickref M.secrets:get(namespace, name, opts?) -> {key=value} | Get decoded secret data; flat: M.get_secret(namespace, name, opts?)
--- @quickref M.configmaps:get(namespace, name, opts?) -> {key=value} | Get ConfigMap data; flat: M.get_configmap(namespace, name, opts?)
--- @quickref M.pods:list(namespace, opts?) -> {items} | List pods in namespace; flat: M.list_pods(namespace, opts?)
--- @quickref M.events:list(namespace, opts?) -> {items} | List events in namespace; flat: M.list_events(namespace, opts?)
--- @quickref M.pods:status(namespace, opts?) -> {running, pending, failed, total} | Get pod status counts; flat: M.pod_status(namespace, opts?)
--- @quickref M.resources:is_ready(namespace, kind, name, opts?) -> bool | Check if resource is ready; flat: M.is_ready(namespace, kind, name, opts?)
--- @quickref M.resources:wait_ready(namespace, kind, name, timeout_secs?, opts?) -> true | Wait for readiness; flat: M.wait_ready(namespace, kind, name, timeout_secs?, opts?)
--- @quickref M.services:endpoints(namespace, name, opts?) -> [ip] | Get service endpoint IPs; flat: M.service_endpoints(namespace, name, opts?)
--- @quickref M.pods:logs(namespace, pod_name, opts?) -> string | Get pod logs; flat: M.logs(namespace, pod_name, opts?)
--- @quickref M.pods:exec(namespace, pod_name, command, opts?) -> {stdout, stderr, exit_code} | Run a command in a pod over WebSocket (v5/v4.channel.k8s.io); opts {container, tty, stdin (string sent to the command), timeout (s without output before giving up)}; flat: M.exec(namespace, pod_name, command, opts?)
--- @quickref M.deployments:rollout_status(namespace, name, opts?) -> {desired, ready, complete} | Get deployment rollout; flat: M.rollout_status(namespace, name, opts?)
--- @quickref M.nodes:status(opts?) -> [{name, ready, roles, capacity}] | Get node statuses; flat: M.node_status(opts?)
--- @quickref M.namespaces:exists(name, opts?) -> bool | Check if namespace exists; flat: M.namespace_exists(name, opts?)
--- @quickref M.events:for_resource(namespace, kind, name, opts?) -> {items} | Get events for resource; flat: M.events_for(namespace, kind, name, opts?)

local H = require("assay._http")

local M = {}

local SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
local TOKEN_FILE = SA_DIR .. "/token"
local CA_FILE = SA_DIR .. "/ca.crt"
local NAMESPACE_FILE = SA_DIR .. "/namespace"

-- kind (lower case) -> { API prefix, plural, cluster-scoped }
local KINDS = {}

local function kind_entries(prefix, cluster, list)
  for i = 1, #list, 2 do
    for key in list[i]:gmatch("[^,]+") do
      KINDS[key] = { prefix, list[i + 1], cluster }
    end
  end
end

kind_entries("/api/v1", false, {
  "pod", "pods", "service", "services", "secret", "secrets", "configmap", "configmaps",
  "endpoints", "endpoints", "serviceaccount", "serviceaccounts",
  "persistentvolumeclaim,pvc", "persistentvolumeclaims", "limitrange", "limitranges",
  "resourcequota", "resourcequotas", "event", "events",
})
kind_entries("/api/v1", true, {
  "namespace", "namespaces", "node", "nodes", "persistentvolume,pv", "persistentvolumes",
})
kind_entries("/apis/apps/v1", false, {
  "deployment", "deployments", "statefulset", "statefulsets", "daemonset", "daemonsets",
  "replicaset", "replicasets",
})
kind_entries("/apis/batch/v1", false, { "job", "jobs", "cronjob", "cronjobs" })
kind_entries("/apis/networking.k8s.io/v1", false, {
  "ingress", "ingresses", "networkpolicy", "networkpolicies",
})
kind_entries("/apis/networking.k8s.io/v1", true, { "ingressclass", "ingressclasses" })
kind_entries("/apis/storage.k8s.io/v1", true, { "storageclass", "storageclasses" })
kind_entries("/apis/rbac.authorization.k8s.io/v1", false, {
  "role", "roles", "rolebinding", "rolebindings",
})
kind_entries("/apis/rbac.authorization.k8s.io/v1", true, {
  "clusterrole", "clusterroles", "clusterrolebinding", "clusterrolebindings",
})
kind_entries("/apis/autoscaling/v2", false, { "hpa", "horizontalpodautoscalers" })
kind_entries("/apis/policy/v1", false, { "poddisruptionbudget,pdb", "poddisruptionbudgets" })

function M.register_crd(kind, api_group, version, plural, cluster_scoped)
  KINDS[kind:lower()] = { "/apis/" .. api_group .. "/" .. version, plural, cluster_scoped and true or false }
end

local function lookup(kind)
  local entry = KINDS[tostring(kind):lower()]
  if not entry then
    error("k8s: unknown resource kind '" .. tostring(kind)
      .. "'. Use k8s.register_crd() for custom resources or k8s.get() with a raw path.")
  end
  return entry
end

function M._list_path(namespace, kind)
  local entry = lookup(kind)
  if entry[3] then return entry[1] .. "/" .. entry[2] end
  if namespace == nil then
    error("k8s: a namespace is required for the namespaced kind '" .. tostring(kind) .. "'")
  end
  return entry[1] .. "/namespaces/" .. namespace .. "/" .. entry[2]
end

function M._resource_path(namespace, kind, name)
  return M._list_path(namespace, kind) .. "/" .. name
end

-- ---- connection --------------------------------------------------------------
-- A connection is { base = url or nil (in-cluster), token = string or nil (read the
-- service-account token on every request), transport = http.client or nil (shared) }.

local shared_transport

local function default_transport()
  if shared_transport == nil then
    local ok, client = pcall(http.client, { ca_cert_file = CA_FILE })
    shared_transport = ok and client or http.client({})
  end
  return shared_transport
end

local function in_cluster_url()
  local host = env.get("KUBERNETES_SERVICE_HOST")
  if host == nil or host == "" then
    error("k8s: not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST not set)")
  end
  if host:find(":", 1, true) and host:sub(1, 1) ~= "[" then
    host = "[" .. host .. "]" -- IPv6 service address
  end
  return "https://" .. host .. ":" .. (env.get("KUBERNETES_SERVICE_PORT") or "443")
end

local function service_account_token()
  return (fs.read(TOKEN_FILE):gsub("%s+$", ""))
end

-- ---- kubeconfig contexts ----------------------------------------------------------
-- Where a call goes, first match wins: opts.base_url (+ opts.token); opts.context; the
-- default context (k8s.use_context(name), else ASSAY_K8S_CONTEXT); opts.kubeconfig alone
-- (its current-context); else the in-cluster service account, exactly as before.
-- Kubeconfig files: opts.kubeconfig, else the ":"-separated KUBECONFIG list (the first file
-- naming an entry wins, as kubectl merges them), else ~/.kube/config.

local function nonempty(value)
  if value == nil or value == "" then return nil end
  return value
end

local function kubeconfig_paths(opts)
  if nonempty(opts.kubeconfig) then return { opts.kubeconfig } end
  local list = nonempty(env.get("KUBECONFIG"))
  if list then
    local paths = {}
    for path in list:gmatch("[^:]+") do paths[#paths + 1] = path end
    return paths
  end
  local home = nonempty(env.get("HOME"))
  return { (home or "") .. "/.kube/config" }
end

local function dir_of(path)
  return path:match("^(.*)/[^/]*$") or "."
end

-- The merged kubeconfig: {contexts, clusters, users = {name -> entry with _dir}, current, source}.
local function load_kubeconfig(opts)
  local paths = kubeconfig_paths(opts)
  local merged = { contexts = {}, clusters = {}, users = {}, order = {}, source = table.concat(paths, ":") }
  local found = false
  for _, path in ipairs(paths) do
    if fs.exists(path) then
      found = true
      local ok, doc = pcall(yaml.parse, fs.read(path))
      if not ok or type(doc) ~= "table" then
        error("k8s: kubeconfig " .. path .. " is not valid YAML: " .. tostring(doc), 0)
      end
      for _, section in ipairs({ "contexts", "clusters", "users" }) do
        for _, entry in ipairs(type(doc[section]) == "table" and doc[section] or {}) do
          if type(entry) == "table" and type(entry.name) == "string" and merged[section][entry.name] == nil then
            entry._dir = dir_of(path)
            merged[section][entry.name] = entry
            if section == "contexts" then merged.order[#merged.order + 1] = entry.name end
          end
        end
      end
      merged.current = merged.current or nonempty(doc["current-context"])
    end
  end
  if not found then
    error("k8s: no kubeconfig at " .. merged.source .. " (set KUBECONFIG or pass opts.kubeconfig)", 0)
  end
  return merged
end

--- k8s.contexts(opts?) -> names, current: the kubeconfig's context names (file order) and
--- its current-context.
function M.contexts(opts)
  local doc = load_kubeconfig(opts or {})
  local names = {}
  for i, name in ipairs(doc.order) do names[i] = name end
  return names, doc.current
end

M._default_context = nil

--- k8s.use_context(name): every call without base_url/context goes to this kubeconfig
--- context from now on; nil returns to ASSAY_K8S_CONTEXT / in-cluster.
function M.use_context(name)
  if name ~= nil and (type(name) ~= "string" or name == "") then
    error("k8s.use_context: name must be a non-empty string or nil", 2)
  end
  M._default_context = name
end

local function file_path(dir, path)
  if path:sub(1, 1) == "/" then return path end
  return dir .. "/" .. path
end

local function shell_quote(text)
  return "'" .. tostring(text):gsub("'", "'\\''") .. "'"
end

-- The `aws eks get-token` plugin's settings, or nil for any other plugin.
local function aws_eks_plugin(exec)
  local command = tostring(exec.command or ""):match("([^/]+)$")
  if command ~= "aws" then return nil end
  local args = type(exec.args) == "table" and exec.args or {}
  local is_eks, is_get_token = false, false
  local settings = {}
  local flags = { ["--cluster-name"] = "cluster", ["--cluster-id"] = "cluster", ["--region"] = "region",
    ["--role-arn"] = "role_arn", ["--profile"] = "profile" }
  local i = 1
  while i <= #args do
    local arg = tostring(args[i])
    local flag, value = arg:match("^(%-%-[%w-]+)=(.*)$")
    if arg == "eks" then is_eks = true
    elseif arg == "get-token" then is_get_token = true
    elseif flag and flags[flag] then settings[flags[flag]] = value
    elseif flags[arg] then settings[flags[arg]] = args[i + 1]; i = i + 1
    end
    i = i + 1
  end
  if not (is_eks and is_get_token) then return nil end
  for _, e in ipairs(type(exec.env) == "table" and exec.env or {}) do
    if e.name == "AWS_PROFILE" then settings.profile = settings.profile or e.value
    elseif e.name == "AWS_REGION" or e.name == "AWS_DEFAULT_REGION" then settings.region = settings.region or e.value
    elseif e.name == "AWS_ROLE_ARN" then settings.role_arn = settings.role_arn or e.value
    end
  end
  return settings
end

-- A token function for an exec credential plugin; the token is kept until it expires.
local function exec_token_fn(context, exec)
  local eks = aws_eks_plugin(exec)
  local token, renew_at
  if eks then
    if not eks.cluster then
      error("k8s: context '" .. context .. "': aws eks get-token without --cluster-name", 0)
    end
    return function()
      if token == nil or time() >= renew_at then
        token, renew_at = require("assay.aws.eks").get_token(eks.cluster, {
          region = eks.region, role_arn = eks.role_arn, profile = eks.profile })
      end
      return token
    end
  end
  local command = tostring(exec.command or "")
  local parts = { shell_quote(command) }
  for _, arg in ipairs(type(exec.args) == "table" and exec.args or {}) do parts[#parts + 1] = shell_quote(arg) end
  local vars = { KUBERNETES_EXEC_INFO = json.encode({ apiVersion = exec.apiVersion,
    kind = "ExecCredential", spec = { interactive = false } }) }
  for _, e in ipairs(type(exec.env) == "table" and exec.env or {}) do vars[e.name] = e.value end
  return function()
    if token ~= nil and (renew_at == nil or time() < renew_at) then return token end
    local ok, result = pcall(shell.exec, table.concat(parts, " "), { env = vars })
    if not ok then
      error("k8s: context '" .. context .. "' needs the exec credential plugin '" .. command
        .. "', which cannot run here: " .. tostring(result), 0)
    end
    if result.status ~= 0 then
      error("k8s: exec credential plugin '" .. command .. "' for context '" .. context .. "' exited with "
        .. tostring(result.status) .. ": " .. tostring(result.stderr):gsub("%s+$", ""), 0)
    end
    local parsed, cred = pcall(json.parse, result.stdout)
    local status = parsed and type(cred) == "table" and cred.status or nil
    if type(status) ~= "table" or type(status.token) ~= "string" then
      error("k8s: exec credential plugin '" .. command .. "' for context '" .. context
        .. "' printed no ExecCredential with status.token", 0)
    end
    token = status.token
    local expires = status.expirationTimestamp and require("assay.aws.sigv4")._epoch(status.expirationTimestamp)
    renew_at = expires and expires - 30 or nil
    return token
  end
end

local context_cache = {}

-- The connection of a kubeconfig context: {base, namespace, token | token_fn | cert_auth,
-- username/password, transport}.
local function context_conn(name, opts)
  local doc = load_kubeconfig(opts)
  local key = doc.source .. "\0" .. name
  if context_cache[key] then return context_cache[key] end
  local ctx = doc.contexts[name]
  if ctx == nil then
    error("k8s: context '" .. name .. "' not found in kubeconfig " .. doc.source .. " (contexts: "
      .. table.concat(doc.order, ", ") .. ")", 0)
  end
  local spec = type(ctx.context) == "table" and ctx.context or {}
  local cluster_entry = doc.clusters[tostring(spec.cluster)]
  if cluster_entry == nil or type(cluster_entry.cluster) ~= "table" or not nonempty(cluster_entry.cluster.server) then
    error("k8s: context '" .. name .. "' refers to cluster '" .. tostring(spec.cluster)
      .. "', which is missing from the kubeconfig or has no server", 0)
  end
  local cluster = cluster_entry.cluster
  local user_entry = spec.user and doc.users[tostring(spec.user)]
  if spec.user and user_entry == nil then
    error("k8s: context '" .. name .. "' refers to user '" .. tostring(spec.user) .. "', which is missing from the kubeconfig", 0)
  end
  local user = user_entry and type(user_entry.user) == "table" and user_entry.user or {}
  if cluster["insecure-skip-tls-verify"] == true then
    error("k8s: context '" .. name .. "': insecure-skip-tls-verify is not supported; put the cluster's CA in certificate-authority-data", 0)
  end
  local tls = {}
  if nonempty(cluster["certificate-authority-data"]) then
    tls.ca_cert = base64.decode(cluster["certificate-authority-data"])
  elseif nonempty(cluster["certificate-authority"]) then
    tls.ca_cert_file = file_path(cluster_entry._dir, cluster["certificate-authority"])
  end
  if nonempty(user["client-certificate-data"]) then
    tls.client_cert = base64.decode(user["client-certificate-data"])
  elseif nonempty(user["client-certificate"]) then
    tls.client_cert = file_path(user_entry._dir, user["client-certificate"])
  end
  if nonempty(user["client-key-data"]) then
    tls.client_key = base64.decode(user["client-key-data"])
  elseif nonempty(user["client-key"]) then
    tls.client_key = file_path(user_entry._dir, user["client-key"])
  end
  local conn = { base = H.strip(cluster.server), namespace = nonempty(spec.namespace), context = name }
  if next(tls) then
    local ok, client = pcall(http.client, tls)
    if not ok then error("k8s: context '" .. name .. "': " .. tostring(client), 0) end
    conn.transport = client
    conn.tls = tls
  end
  if nonempty(user.token) then
    conn.token = user.token
  elseif nonempty(user.tokenFile) then
    local path = file_path(user_entry._dir, user.tokenFile)
    conn.token_fn = function() return (fs.read(path):gsub("%s+$", "")) end
  elseif type(user.exec) == "table" then
    conn.token_fn = exec_token_fn(name, user.exec)
  elseif nonempty(user.username) then
    conn.username, conn.password = user.username, user.password or ""
  elseif user["auth-provider"] then
    error("k8s: context '" .. name .. "' uses the auth-provider '" .. tostring(type(user["auth-provider"]) == "table"
      and user["auth-provider"].name) .. "', which is not supported (use an exec plugin or a token)", 0)
  end
  if conn.token == nil and conn.token_fn == nil and conn.username == nil then
    conn.cert_auth = true -- a client certificate or nothing: no Authorization header
  end
  context_cache[key] = conn
  return conn
end

-- The context a call names (opts.context, the default context, ASSAY_K8S_CONTEXT), or the
-- kubeconfig's current-context when only opts.kubeconfig is given; nil = no kubeconfig.
local function context_name(opts)
  local name = nonempty(opts.context) or M._default_context or nonempty(env.get("ASSAY_K8S_CONTEXT"))
  if name then return name end
  if nonempty(opts.kubeconfig) then
    local _, current = M.contexts(opts)
    if not current then
      error("k8s: kubeconfig " .. opts.kubeconfig .. " has no current-context; pass opts.context", 0)
    end
    return current
  end
  return nil
end

local function conn_of(opts)
  opts = opts or {}
  if opts.base_url then return { base = opts.base_url, token = opts.token } end
  local name = context_name(opts)
  if name == nil then return { token = opts.token } end
  local conn = context_conn(name, opts)
  if opts.token then
    local copy = {}
    for k, v in pairs(conn) do copy[k] = v end
    copy.token, copy.token_fn, copy.cert_auth = opts.token, nil, nil
    return copy
  end
  return conn
end

local function token_of(conn)
  if conn.token then return conn.token end
  if conn.token_fn then return conn.token_fn() end
  if conn.cert_auth or conn.username then return nil end
  return service_account_token()
end

local SUCCESS = {}
for status = 200, 299 do SUCCESS[#SUCCESS + 1] = status end

-- One request through the shared helper; `how` carries the H request options (expect,
-- result, headers, body, allow_404, verb); `message` is the H error template.
local function send(conn, message, method, path, how)
  local base = conn.base or in_cluster_url()
  local api = H.client(base, {
    token = token_of(conn), username = conn.username, password = conn.password,
    transport = conn.transport or default_transport(),
    error = message,
  })
  return api:request(method, path, how)
end

local function request(conn, fn, method, path, how)
  return send(conn, "k8s." .. fn .. ": HTTP {status} {path_query}: {body}", method, path, how)
end

-- A connection from a client constructor's (url, token | {token, ca_cert, ca_cert_file}):
-- nil url = the in-cluster address, nil token = the service-account token.
local function connect(url, auth)
  if type(auth) ~= "table" then auth = { token = auth } end
  local conn = { base = url and H.strip(url) or nil, token = auth.token }
  if auth.ca_cert or auth.ca_cert_file or auth.client_cert then
    conn.tls = { ca_cert = auth.ca_cert, ca_cert_file = auth.ca_cert_file,
      client_cert = auth.client_cert, client_key = auth.client_key }
    conn.transport = http.client(conn.tls)
  end
  return conn, auth
end

-- ---- raw verbs -----------------------------------------------------------------

local I = {} -- implementations: I.fn(conn, <the module function's arguments>)

function I.get(conn, path)
  return request(conn, "get", "GET", path)
end

function I.post(conn, path, body)
  return request(conn, "post", "POST", path, { body = body, expect = SUCCESS })
end

function I.put(conn, path, body)
  return request(conn, "put", "PUT", path, { body = body, expect = SUCCESS })
end

function I.patch(conn, path, body, opts)
  opts = opts or {}
  local content_type = opts.content_type or "application/merge-patch+json"
  if content_type == "application/apply-patch+yaml" and not path:find("[?&]fieldManager=") then
    -- server-side apply is rejected without a field manager
    path = path .. (path:find("?", 1, true) and "&" or "?") .. "fieldManager="
      .. H.encode(opts.field_manager or "assay")
  end
  return request(conn, "patch", "PATCH", path, {
    body = body, expect = SUCCESS, headers = { ["Content-Type"] = content_type },
  })
end

function I.delete(conn, path)
  request(conn, "delete", "DELETE", path, { expect = SUCCESS, result = "response" })
end

-- ---- typed helpers ---------------------------------------------------------------

function I.get_resource(conn, namespace, kind, name)
  return I.get(conn, M._resource_path(namespace, kind, name))
end

-- Without opts.limit every page is fetched (following metadata.continue) and merged;
-- with opts.limit one page is returned and opts.continue asks for the next one.
function I.list(conn, namespace, kind, opts)
  opts = opts or {}
  local path = M._list_path(namespace, kind)
  local function page(continue)
    return I.get(conn, path .. H.query("labelSelector", opts.label_selector,
      "fieldSelector", opts.field_selector, "limit", opts.limit, "continue", continue))
  end
  local list = page(opts.continue)
  if opts.limit == nil and type(list) == "table" then
    local meta = list.metadata
    while type(meta) == "table" and meta.continue and meta.continue ~= "" do
      local nxt = page(meta.continue)
      list.items = list.items or {}
      for _, item in ipairs(nxt.items or {}) do
        list.items[#list.items + 1] = item
      end
      meta.continue = (nxt.metadata or {}).continue
      meta.remainingItemCount = nil
    end
  end
  return list
end

function I.create(conn, namespace, kind, body)
  return I.post(conn, M._list_path(namespace, kind), body)
end

function I.update(conn, namespace, kind, name, body)
  return I.put(conn, M._resource_path(namespace, kind, name), body)
end

function I.patch_resource(conn, namespace, kind, name, body, opts)
  return I.patch(conn, M._resource_path(namespace, kind, name), body, opts)
end

function I.delete_resource(conn, namespace, kind, name)
  return I.delete(conn, M._resource_path(namespace, kind, name))
end

function I.exists(conn, namespace, kind, name)
  local path = M._resource_path(namespace, kind, name)
  return request(conn, "get", "GET", path, { expect = "any", result = "response" }).status == 200
end

function I.namespace_exists(conn, name)
  return I.exists(conn, nil, "namespace", name)
end

function I.get_secret(conn, namespace, name)
  local secret = I.get(conn, "/api/v1/namespaces/" .. namespace .. "/secrets/" .. name)
  local out = {}
  for key, value in pairs(secret.data or {}) do
    out[key] = base64.decode(value)
  end
  return out
end

function I.get_configmap(conn, namespace, name)
  local cm = I.get(conn, "/api/v1/namespaces/" .. namespace .. "/configmaps/" .. name)
  return cm.data or {}
end

function I.list_pods(conn, namespace, opts)
  return I.list(conn, namespace, "pod", opts)
end

function I.list_events(conn, namespace, opts)
  return I.list(conn, namespace, "event", opts)
end

function I.pod_status(conn, namespace, opts)
  local counts = { running = 0, pending = 0, succeeded = 0, failed = 0, unknown = 0, total = 0 }
  for _, pod in ipairs(I.list(conn, namespace, "pod", opts).items or {}) do
    counts.total = counts.total + 1
    local phase = type(pod.status) == "table" and pod.status.phase
    phase = type(phase) == "string" and phase:lower() or "unknown"
    if counts[phase] == nil or phase == "total" then phase = "unknown" end
    counts[phase] = counts[phase] + 1
  end
  return counts
end

function I.service_endpoints(conn, namespace, name)
  local ep = I.get(conn, M._resource_path(namespace, "endpoints", name))
  local ips = {}
  for _, subset in ipairs(ep.subsets or {}) do
    for _, addr in ipairs(subset.addresses or {}) do
      ips[#ips + 1] = addr.ip
    end
  end
  return ips
end

function I.logs(conn, namespace, pod, opts)
  opts = opts or {}
  local path = "/api/v1/namespaces/" .. namespace .. "/pods/" .. pod .. "/log" .. H.query(
    "tailLines", opts.tail, "container", opts.container,
    "previous", opts.previous and "true" or nil, "sinceSeconds", opts.since)
  return request(conn, "logs", "GET", path, { result = "text" })
end

-- ---- exec ------------------------------------------------------------------------

-- The exit code in the v1.Status the API server sends on channel 3 when the command ends:
-- 0 for Success, the ExitCode cause of a Failure, else 1.
function M._exit_code_from_status(status)
  if type(status) ~= "table" or status.status == "Success" then return 0 end
  local details = type(status.details) == "table" and status.details or {}
  for _, cause in ipairs(type(details.causes) == "table" and details.causes or {}) do
    if cause.reason == "ExitCode" then return tonumber(cause.message) or 1 end
  end
  return 1
end

-- {stdout, stderr, exit_code, status} from v4.channel.k8s.io frames: the first byte of each
-- frame is its channel (1 stdout, 2 stderr, 3 status).
function M._demux_exec_frames(frames)
  local out, err, status = {}, {}, nil
  for _, frame in ipairs(frames) do
    local channel, payload = frame:byte(1), frame:sub(2)
    if channel == 1 then out[#out + 1] = payload
    elseif channel == 2 then err[#err + 1] = payload
    elseif channel == 3 and payload ~= "" then
      local ok, parsed = pcall(json.parse, payload)
      if ok then status = parsed end
    end
  end
  return { stdout = table.concat(out), stderr = table.concat(err),
    exit_code = M._exit_code_from_status(status), status = status }
end

local function pem_of(text, file)
  if text then return text end
  if file and fs.exists(file) then return fs.read(file) end
  return nil
end

-- Run `command` (a string or an argv list) in a pod over the streaming exec endpoint, the
-- WebSocket subprotocol v5.channel.k8s.io (or v4 from older servers), with the connection's credentials and TLS.
function I.exec(conn, namespace, pod, command, opts)
  opts = opts or {}
  local argv = type(command) == "table" and command or { command }
  if #argv == 0 then error("k8s.exec: command must be a string or a non-empty list of strings", 0) end
  for i, arg in ipairs(argv) do
    if type(arg) ~= "string" then error("k8s.exec: command[" .. i .. "] must be a string", 0) end
  end
  if opts.stdin ~= nil and type(opts.stdin) ~= "string" then
    error("k8s.exec: opts.stdin must be a string", 0)
  end
  if opts.timeout ~= nil and (type(opts.timeout) ~= "number" or opts.timeout <= 0) then
    error("k8s.exec: opts.timeout must be a positive number of seconds", 0)
  end
  local base = conn.base or in_cluster_url()
  local url = base:gsub("^http", "ws") .. "/api/v1/namespaces/" .. namespace .. "/pods/" .. pod .. "/exec"
    .. H.query("container", opts.container, "command", argv, "stdout", "true", "stderr", "true",
      "stdin", opts.stdin and "true" or "false", "tty", opts.tty and "true" or "false")
  local headers = {}
  local token = token_of(conn)
  if token then headers.Authorization = "Bearer " .. token
  elseif conn.username then headers.Authorization = "Basic " .. base64.encode(conn.username .. ":" .. conn.password) end
  local tls = conn.tls or { ca_cert_file = CA_FILE } -- in-cluster: the service-account CA
  -- v5 (Kubernetes 1.30+) can signal the end of stdin, so a command reading it (`cat`,
  -- `sh -s`) finishes; v4 servers still answer, their stdin ends with the connection.
  local ok, stream = pcall(ws.connect, url, {
    subprotocols = { "v5.channel.k8s.io", "v4.channel.k8s.io" }, headers = headers, timeout = opts.timeout,
    ca_cert = pem_of(tls.ca_cert, tls.ca_cert_file),
    client_cert = tls.client_cert, client_key = tls.client_key,
  })
  if not ok then
    error("k8s.exec: " .. namespace .. "/" .. pod .. ": " .. tostring(stream), 0)
  end
  if opts.stdin then
    ws.send_binary(stream, "\0" .. opts.stdin)   -- channel 0: stdin
    if ws.protocol(stream) == "v5.channel.k8s.io" then
      ws.send_binary(stream, "\255\0")          -- close signal for channel 0: end of stdin
    end
  end
  local frames = {}
  while true do
    local got, frame = pcall(ws.recv, stream)
    if not got then -- the server closes the stream when the command ends
      if tostring(frame):find("timed out", 1, true) then
        pcall(ws.close, stream)
        error("k8s.exec: " .. namespace .. "/" .. pod .. ": no output for " .. opts.timeout
          .. " s (opts.timeout), the command may still be running", 0)
      end
      break
    end
    frames[#frames + 1] = frame
  end
  pcall(ws.close, stream)
  return M._demux_exec_frames(frames)
end

-- ---- readiness -------------------------------------------------------------------

local function condition(status, wanted)
  for _, c in ipairs(type(status) == "table" and status.conditions or {}) do
    if c.type == wanted then return c end
  end
  return nil
end

local function condition_true(status, wanted)
  local c = condition(status, wanted)
  return c ~= nil and c.status == "True"
end

-- The controller has seen the latest spec (when both sides report a generation).
local function observed(obj, st)
  local generation = type(obj.metadata) == "table" and obj.metadata.generation
  return not (generation and st.observedGeneration and st.observedGeneration < generation)
end

local function workload_ready(obj, st)
  local replicas = st.replicas or 0
  if (st.readyReplicas or 0) < replicas or replicas <= 0 then return false end
  local desired = type(obj.spec) == "table" and obj.spec.replicas or replicas
  if (st.readyReplicas or 0) < desired then return false end
  if st.updatedReplicas and st.updatedReplicas < desired then return false end
  if st.availableReplicas and st.availableReplicas < desired then return false end
  return observed(obj, st)
end

local READY_PHASES = { Active = true, Running = true, Bound = true, Ready = true }

local function ready_of(kind, obj)
  local st = type(obj.status) == "table" and obj.status or {}
  kind = kind:lower()
  if kind == "deployment" or kind == "statefulset" then
    return workload_ready(obj, st)
  elseif kind == "daemonset" then
    local desired = st.desiredNumberScheduled or 0
    if desired <= 0 or (st.numberReady or 0) < desired then return false end
    if st.updatedNumberScheduled and st.updatedNumberScheduled < desired then return false end
    return observed(obj, st)
  elseif kind == "job" then
    if condition_true(st, "Complete") then return true end
    if condition_true(st, "Failed") then return false end
    local completions = type(obj.spec) == "table" and obj.spec.completions or 1
    return (st.succeeded or 0) >= completions
  elseif kind == "node" then
    return condition_true(st, "Ready")
  end
  local ready = condition(st, "Ready")
  if ready then return ready.status == "True" end
  if st.phase then return READY_PHASES[st.phase] == true end
  return false
end

-- Whether a workload finished rolling out at its current generation, and why not:
-- (true|false, "2/3 ready, 3/3 updated, 2/3 available"). The verdict is ready_of's; a
-- Deployment, StatefulSet or DaemonSet must also report the generation it observed.
local function rollout_of(kind, obj)
  local st = type(obj.status) == "table" and obj.status or {}
  local meta = type(obj.metadata) == "table" and obj.metadata or {}
  local spec = type(obj.spec) == "table" and obj.spec or {}
  local ready = ready_of(kind, obj)
  local parts = {}
  kind = kind:lower()
  local function count(label, have, want)
    parts[#parts + 1] = label .. " " .. H.text(have or 0) .. "/" .. H.text(want or 0)
  end
  if kind == "job" then
    local failed = condition(st, "Failed")
    if failed and failed.status == "True" then
      return false, "job failed: " .. tostring(failed.reason or "") ..
        (failed.message and (" " .. failed.message) or "")
    end
    count("succeeded", st.succeeded, spec.completions or 1)
    return ready, table.concat(parts, ", ")
  end
  if meta.generation and st.observedGeneration == nil then
    return false, "generation " .. H.text(meta.generation) .. " not observed yet"
  end
  if not observed(obj, st) then
    return false, "generation " .. H.text(meta.generation) .. " not observed yet (observedGeneration "
      .. H.text(st.observedGeneration) .. ")"
  end
  if kind == "daemonset" then
    local desired = st.desiredNumberScheduled
    count("ready", st.numberReady, desired)
    count("updated", st.updatedNumberScheduled, desired)
    count("available", st.numberAvailable, desired)
  else
    local desired = spec.replicas or st.replicas
    count("ready", st.readyReplicas, desired)
    count("updated", st.updatedReplicas, desired)
    count("available", st.availableReplicas, desired)
  end
  return ready, table.concat(parts, ", ")
end

function I.is_ready(conn, namespace, kind, name)
  return ready_of(kind, I.get_resource(conn, namespace, kind, name))
end

function I.wait_ready(conn, namespace, kind, name, timeout_secs)
  timeout_secs = timeout_secs or 60
  -- a missing resource or a failing API server counts as "not ready yet"
  if H.poll(timeout_secs, 2, function() return I.is_ready(conn, namespace, kind, name) end) then return true end
  error("k8s.wait_ready: " .. tostring(kind) .. "/" .. tostring(name) .. " not ready after "
    .. H.text(timeout_secs) .. "s")
end

function I.rollout_status(conn, namespace, name)
  local d = I.get_resource(conn, namespace, "deployment", name)
  local spec = type(d.spec) == "table" and d.spec or {}
  local st = type(d.status) == "table" and d.status or {}
  local desired = spec.replicas or 1
  local out = {
    desired = desired,
    updated = st.updatedReplicas or 0,
    ready = st.readyReplicas or 0,
    available = st.availableReplicas or 0,
    unavailable = st.unavailableReplicas or 0,
  }
  out.complete = out.updated == desired and out.ready == desired
    and (st.availableReplicas == nil or out.available >= desired)
    and (st.replicas == nil or st.replicas == out.updated)
    and observed(d, st)
  return out
end

function I.node_status(conn, opts)
  local out = {}
  for _, node in ipairs(I.list(conn, nil, "node", opts).items or {}) do
    local meta = node.metadata or {}
    local st = type(node.status) == "table" and node.status or {}
    local roles = {}
    for label in pairs(meta.labels or {}) do
      local role = label:match("^node%-role%.kubernetes%.io/(.+)$")
      if role then roles[#roles + 1] = role end
    end
    table.sort(roles)
    out[#out + 1] = {
      name = meta.name,
      ready = condition_true(st, "Ready"),
      roles = roles,
      capacity = st.capacity or {},
      allocatable = st.allocatable or {},
    }
  end
  return out
end

function I.events_for(conn, namespace, kind, name)
  return I.list(conn, namespace, "event", {
    field_selector = "involvedObject.kind=" .. kind .. ",involvedObject.name=" .. name,
  })
end

-- ---- module functions: I.fn bound to the connection in their trailing opts ----------

-- name -> position of the trailing opts argument
local ARITY = {
  get = 2, post = 3, put = 3, patch = 3, delete = 2,
  get_resource = 4, list = 3, create = 4, update = 5, patch_resource = 5, delete_resource = 4,
  exists = 4, namespace_exists = 2, get_secret = 3, get_configmap = 3, list_pods = 2,
  list_events = 2, pod_status = 2, is_ready = 4, wait_ready = 5, service_endpoints = 3,
  logs = 3, rollout_status = 3, node_status = 1, events_for = 4, exec = 4,
}

for name, position in pairs(ARITY) do
  local impl = I[name]
  M[name] = function(...)
    local opts = (select(position, ...))
    return impl(conn_of(opts), ...)
  end
end

-- ---- k8s.client(url?, opts?) ---------------------------------------------------------

-- methods whose first argument is a namespace (nil = the client's namespace)
local NAMESPACED = {
  get_resource = true, list = true, create = true, update = true, patch_resource = true,
  delete_resource = true, exists = true, get_secret = true, get_configmap = true,
  list_pods = true, list_events = true, pod_status = true, is_ready = true, wait_ready = true,
  service_endpoints = true, logs = true, rollout_status = true, events_for = true, exec = true,
}

local TYPED = {
  "deployment", "statefulset", "daemonset", "replicaset", "pod", "service", "configmap",
  "secret", "job", "cronjob", "ingress",
}

local Client = {}

for name, impl in pairs(I) do
  if ARITY[name] then
    Client[name] = function(self, first, ...)
      if NAMESPACED[name] and first == nil then first = self.default_namespace end
      return impl(self._conn, first, ...)
    end
  end
end

local function get_or_nil(self, path)
  return request(self._conn, "get", "GET", path, { allow_404 = true })
end

for _, kind in ipairs(TYPED) do
  -- c:deployment(ns, name), or c:deployment(name) in the client's namespace
  Client[kind] = function(self, namespace, name)
    if name == nil then namespace, name = self.default_namespace, namespace end
    return get_or_nil(self, M._resource_path(namespace or self.default_namespace, kind, name))
  end
end

function Client:namespace(name)
  return get_or_nil(self, M._resource_path(nil, "namespace", name))
end

function Client:node(name)
  return get_or_nil(self, M._resource_path(nil, "node", name))
end

-- pure helpers as methods (the namespace defaults to the client's)
Client.register_crd = function(_, ...) return M.register_crd(...) end
Client._resource_path = function(self, namespace, kind, name)
  return M._resource_path(namespace or self.default_namespace, kind, name)
end
Client._list_path = function(self, namespace, kind)
  return M._list_path(namespace or self.default_namespace, kind)
end

Client.__index = Client

--- k8s.client(url?, opts?): url = API server (default: the kubeconfig context named by
--- opts.context / k8s.use_context / ASSAY_K8S_CONTEXT, or opts.kubeconfig's current-context,
--- else the in-cluster address); opts.token (default: the context's credentials or the
--- service-account token, read per request), opts.ca_cert (PEM text) or opts.ca_cert_file
--- (default: the context's CA or the service-account CA, else the system roots),
--- opts.client_cert/client_key (PEM text or files), opts.namespace (default: the context's,
--- the service-account namespace in-cluster, else "default").
function M.client(url, opts)
  if type(url) == "table" and opts == nil then url, opts = nil, url end
  local conn, auth = connect(url, opts)
  local namespace = auth.namespace
  if url == nil and context_name(auth) then
    conn = conn_of(auth)
    namespace = namespace or conn.namespace
  end
  conn.base = conn.base or in_cluster_url()
  if namespace == nil and url == nil and conn.context == nil and fs.exists(NAMESPACE_FILE) then
    namespace = (fs.read(NAMESPACE_FILE):gsub("%s+$", ""))
  end
  return setmetatable({
    url = conn.base,
    default_namespace = namespace or "default",
    _conn = conn,
  }, Client)
end

-- ---- shared by the CRD modules (certmanager, crossplane, eso, flux, kargo, velero) ----
-- (internal: defined as fields, not `function` statements, to keep them out of the
-- discovery function index)

local Api = {
  request = function(self, method, path, how)
    return send(self.conn, self.module .. ": {method} {path_query} HTTP {status}: {body}", method, path, how)
  end,

  -- An object; nil on 404 unless `strict`.
  get = function(self, path, strict)
    return self:request("GET", path, { allow_404 = not strict })
  end,

  -- A list object with the items of every page (metadata.continue is followed).
  -- how.verb names the call in errors ("LIST" or "GET"); how.empty_on_404 returns
  -- {items = {}} on 404 instead of raising.
  list = function(self, path, how)
    how = how or {}
    local list, continue
    repeat
      local page_path = path
      if continue then
        page_path = path .. (path:find("?", 1, true) and "&" or "?") .. "continue=" .. H.encode(continue)
      end
      local page = self:request("GET", page_path, { allow_404 = how.empty_on_404, verb = how.verb })
      if page == nil then return list or { items = {} } end
      if list == nil then
        list = page
      else
        list.items = list.items or {}
        for _, item in ipairs(page.items or {}) do list.items[#list.items + 1] = item end
      end
      continue = type(page.metadata) == "table" and page.metadata.continue or nil
      if continue == "" then continue = nil end
    until continue == nil
    if type(list) == "table" and type(list.metadata) == "table" then
      list.metadata.continue, list.metadata.remainingItemCount = nil, nil
    end
    return list
  end,

  post = function(self, path, body)
    return self:request("POST", path, { body = body, expect = SUCCESS })
  end,
}
Api.__index = Api

-- k8s._api(module, url, token | {token, ca_cert, ca_cert_file}): the request object of a
-- CRD module's client. Errors read "<module>: <VERB> <path> HTTP <status>: <body>".
M._api = function(module, url, auth)
  local conn = connect(url, auth)
  return setmetatable({ module = module, url = conn.base, conn = conn }, Api)
end

-- Rollout verdict of a Deployment/StatefulSet/DaemonSet/Job object: ready, detail.
M._rollout = function(kind, obj)
  return rollout_of(kind, obj)
end

-- The first condition of `wanted` type in obj.status.conditions, or nil.
M._condition = function(obj, wanted)
  return condition(type(obj) == "table" and obj.status or nil, wanted)
end

-- That condition exists and its status is "True".
M._condition_true = function(obj, wanted)
  local c = M._condition(obj, wanted)
  return c ~= nil and c.status == "True"
end

-- Counts for the all_* helpers: { [good] = n, [bad] = n, total = #items, [bad.."_names"] = {...} }
-- with the metadata.name ("unknown" when missing) of every item failing `is_good`, in order.
M._tally = function(items, is_good, good, bad)
  local names = {}
  local out = { [good] = 0, [bad] = 0, total = #items, [bad .. "_names"] = names }
  for _, item in ipairs(items) do
    if is_good(item) then
      out[good] = out[good] + 1
    else
      out[bad] = out[bad] + 1
      local meta = type(item) == "table" and type(item.metadata) == "table" and item.metadata or {}
      names[#names + 1] = meta.name or "unknown"
    end
  end
  return out
end

-- Grouped spellings of current Assay (k8s.secrets:get(ns, name)) beside the 0.8.3 functions
-- (k8s.get_secret(ns, name)), on the module and on every k8s.client object (c.secrets:get).
local api = H.api({
  module = "k8s",
  receiver = "M",
  style = "module",
  quickref = {
    "M.client(url?, opts?) -> client | Kubernetes client; opts {token?, ca_cert?, client_cert?, client_key?, namespace?, context?, kubeconfig?}; no url = the kubeconfig context if one is named, else the in-cluster service account; every function below is also a method (c:list(ns, kind))",
    "M.contexts(opts?) -> [name], current | Kubeconfig context names and the current-context (opts.kubeconfig, KUBECONFIG, ~/.kube/config)",
    "M.use_context(name) -> nil | Default kubeconfig context for every call without base_url/context (nil: back to ASSAY_K8S_CONTEXT / in-cluster)",
    "c:deployment(namespace, name) -> deployment|nil | Typed getters: deployment, statefulset, daemonset, replicaset, pod, service, configmap, secret, job, cronjob, ingress (nil on 404)",
    "c:namespace(name) -> namespace|nil | Get namespace (c:node(name) for nodes), nil on 404",
    "M.register_crd(kind, api_group, version, plural, cluster_scoped?) -> nil | Register custom resource",
    "M.get(path, opts?) -> resource | GET any K8s API path",
    "M.post(path, body, opts?) -> resource | POST to any K8s API path",
    "M.put(path, body, opts?) -> resource | PUT to any K8s API path",
    "M.patch(path, body, opts?) -> resource | PATCH any K8s API path",
    "M.delete(path, opts?) -> nil | DELETE any K8s API path",
  },
  ops = {
    { "get_resource", "resources:get", "(namespace, kind, name, opts?) -> resource", "Get resource by kind and name" },
    { "list", "resources:list", "(namespace, kind, opts?) -> {items}", "List resources by kind" },
    { "create", "resources:create", "(namespace, kind, body, opts?) -> resource", "Create resource" },
    { "update", "resources:update", "(namespace, kind, name, body, opts?) -> resource", "Update resource" },
    { "patch_resource", "resources:patch", "(namespace, kind, name, body, opts?) -> resource", "Patch resource" },
    { "delete_resource", "resources:delete", "(namespace, kind, name, opts?) -> nil", "Delete resource" },
    { "exists", "resources:exists", "(namespace, kind, name, opts?) -> bool", "Check if resource exists" },
    { "get_secret", "secrets:get", "(namespace, name, opts?) -> {key=value}", "Get decoded secret data" },
    { "get_configmap", "configmaps:get", "(namespace, name, opts?) -> {key=value}", "Get ConfigMap data" },
    { "list_pods", "pods:list", "(namespace, opts?) -> {items}", "List pods in namespace" },
    { "list_events", "events:list", "(namespace, opts?) -> {items}", "List events in namespace" },
    { "pod_status", "pods:status", "(namespace, opts?) -> {running, pending, failed, total}", "Get pod status counts" },
    { "is_ready", "resources:is_ready", "(namespace, kind, name, opts?) -> bool", "Check if resource is ready" },
    { "wait_ready", "resources:wait_ready", "(namespace, kind, name, timeout_secs?, opts?) -> true", "Wait for readiness" },
    { "service_endpoints", "services:endpoints", "(namespace, name, opts?) -> [ip]", "Get service endpoint IPs" },
    { "logs", "pods:logs", "(namespace, pod_name, opts?) -> string", "Get pod logs" },
    { "exec", "pods:exec", "(namespace, pod_name, command, opts?) -> {stdout, stderr, exit_code}", "Run a command in a pod over WebSocket (v5/v4.channel.k8s.io); opts {container, tty, stdin (string sent to the command), timeout (s without output before giving up)}" },
    { "rollout_status", "deployments:rollout_status", "(namespace, name, opts?) -> {desired, ready, complete}", "Get deployment rollout" },
    { "node_status", "nodes:status", "(opts?) -> [{name, ready, roles, capacity}]", "Get node statuses" },
    { "namespace_exists", "namespaces:exists", "(name, opts?) -> bool", "Check if namespace exists" },
    { "events_for", "events:for_resource", "(namespace, kind, name, opts?) -> {items}", "Get events for resource" },
  },
})
api:install_module(M)
api:install(Client)

return M
