"""assay.k8s (spec stdlib/k8s.md, K8S-01..46) and k8s.client (issue 12), against the shared
fake Kubernetes API server."""
import os

import pytest

from fake_k8s import TOKEN, cond, k8s, k8s_tls, obj  # noqa: F401 (fixtures)

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def run(lua, fake, code):
    """Run `code` with `k8s` required and `o` = {base_url, token} for the fake."""
    prelude = 'local k8s = require("assay.k8s")\nlocal o = { base_url = "%s", token = "%s" }\n' % (fake.url, TOKEN)
    return lua(prelude + code)


def fails(lua_fails, fake, code):
    prelude = 'local k8s = require("assay.k8s")\nlocal o = { base_url = "%s", token = "%s" }\n' % (fake.url, TOKEN)
    return lua_fails(prelude + code)


def deployment(name, ns="default", want=3, **status):
    """A Deployment with spec.replicas = want and the given status fields."""
    return obj("apps/v1", "Deployment", name, ns, spec={"replicas": want}, status=status)


def pod(name, ns="default", phase="Running", labels=None, conditions=None, containers=("app",)):
    status = {"phase": phase} if phase else {}
    if conditions is not None:
        status["conditions"] = conditions
    return obj("v1", "Pod", name, ns, metadata={"labels": labels or {}},
               spec={"containers": [{"name": c, "image": "nginx"} for c in containers]}, status=status)


# ---- module shape, connection, auth ------------------------------------------------

def test_k8s_01_module_functions_no_client_needed(lua):
    names = ["register_crd", "get", "post", "put", "patch", "delete", "get_resource", "list", "create",
             "update", "patch_resource", "delete_resource", "exists", "get_secret", "get_configmap",
             "list_pods", "list_events", "pod_status", "is_ready", "wait_ready", "service_endpoints", "logs",
             "rollout_status", "node_status", "namespace_exists", "events_for", "_resource_path", "_list_path"]
    code = 'local k8s = require("assay.k8s")\nlocal out = {}\n'
    code += "".join('out[#out + 1] = type(k8s.%s)\n' % n for n in names)
    code += "return out"
    assert lua(code) == ["function"] * len(names)


def test_k8s_02_get_with_base_url_and_token(lua, k8s):
    k8s.add(pod("web-1"), pod("web-2"))
    out = run(lua, k8s, 'local l = k8s.get("/api/v1/namespaces/default/pods", o)\n'
                        'return l.kind, #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == ("PodList", 2, "web-1", "web-2")
    req = k8s.last()
    assert req.path == "/api/v1/namespaces/default/pods"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_k8s_02_wrong_token_is_rejected(lua_fails, k8s):
    msg = lua_fails('local k8s = require("assay.k8s")\n'
                    'return k8s.get("/api/v1/namespaces", { base_url = "%s", token = "wrong" })' % k8s.url)
    assert "k8s.get: HTTP 401 /api/v1/namespaces: " in msg and "Unauthorized" in msg


def in_cluster_prelude(pem, token="test-token\n"):
    """Lua that fakes the service-account files through fs.read and points the CA-file client
    at the fake's certificate; records http.client calls in `calls` and token reads in `reads`."""
    return '''
local SA = "%s"
local PEM = [[%s]]
calls, reads = {}, 0
local real_client, real_read = http.client, fs.read
http.client = function(opts)
  calls[#calls + 1] = opts
  if opts and opts.ca_cert_file == SA .. "/ca.crt" then return real_client({ ca_cert = PEM }) end
  return real_client(opts)
end
fs.read = function(path)
  if path == SA .. "/token" then reads = reads + 1; return %s end
  return real_read(path)
end
local k8s = require("assay.k8s")
''' % (SA, pem, '"' + token.replace("\n", "\\n") + '"')


def test_k8s_03_in_cluster_base_url(lua, k8s_tls, monkeypatch):
    host, port = k8s_tls.url.split("//")[1].split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    k8s_tls.add(obj("v1", "Namespace", "infra"))
    out = lua(in_cluster_prelude(k8s_tls.ca_pem) + 'return k8s.get("/api/v1/namespaces/infra").metadata.name')
    assert out == "infra"
    assert k8s_tls.last().path == "/api/v1/namespaces/infra"


def test_k8s_03_port_defaults_to_443(lua_fails, monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    msg = lua_fails(in_cluster_prelude("") + 'return k8s.get("/api/v1/nodes")')
    assert "https://127.0.0.1:443/api/v1/nodes" in msg


def test_k8s_03_ipv6_host_is_bracketed(lua_fails, monkeypatch):
    """Spec Note: an IPv6 KUBERNETES_SERVICE_HOST needs brackets in the URL."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    msg = lua_fails(in_cluster_prelude("") + 'return k8s.get("/api/v1/nodes")')
    assert "https://[::1]:1/api/v1/nodes" in msg


def test_k8s_03_missing_host_raises(lua_fails, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    msg = lua_fails('local k8s = require("assay.k8s")\nreturn k8s.get("/api/v1/nodes", { token = "t" })')
    assert "k8s: not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST not set)" in msg


def test_k8s_04_token_read_from_service_account_on_each_request(lua, k8s):
    k8s.add(obj("v1", "Namespace", "infra"))
    out = lua(in_cluster_prelude("") + '''
local o = { base_url = "%s" }
k8s.get("/api/v1/namespaces/infra", o)
k8s.get("/api/v1/namespaces/infra", o)
return reads''' % k8s.url)
    assert out == 2
    assert [r.headers["authorization"] for r in k8s.requests] == ["Bearer test-token"] * 2


@pytest.mark.skipif(os.path.exists(SA + "/token"), reason="runs inside a pod")
def test_k8s_04_missing_token_file_raises_fs_error(lua_fails, k8s):
    msg = lua_fails('local k8s = require("assay.k8s")\nreturn k8s.get("/api/v1/nodes", { base_url = "%s" })'
                    % k8s.url)
    assert msg.startswith('fs.read: failed to read "%s/token"' % SA)


@pytest.mark.skipif(os.path.exists(SA + "/ca.crt"), reason="runs inside a pod")
def test_k8s_05_client_built_once_with_ca_file_then_fallback(lua, k8s):
    k8s.add(obj("v1", "Namespace", "infra"))
    out = lua(in_cluster_prelude("").replace("return real_client({ ca_cert = PEM })", "return real_client(opts)") + '''
local o = { base_url = "%s", token = "test-token" }
k8s.get("/api/v1/namespaces/infra", o)
k8s.exists(nil, "namespace", "infra", o)
k8s.list(nil, "namespace", o)
return calls''' % k8s.url)
    # the CA file is missing here: the first call raises, the second builds the fallback
    assert out == [{"ca_cert_file": SA + "/ca.crt"}, []]


def test_k8s_05_ca_file_client_is_used_when_it_loads(lua, k8s_tls, monkeypatch):
    host, port = k8s_tls.url.split("//")[1].split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    k8s_tls.add(obj("v1", "Namespace", "infra"))
    out = lua(in_cluster_prelude(k8s_tls.ca_pem) + '''
k8s.get("/api/v1/namespaces/infra")
k8s.get("/api/v1/namespaces/infra")
return #calls, calls[1].ca_cert_file''')
    assert out == (1, SA + "/ca.crt")


# ---- raw verbs -------------------------------------------------------------------------

def test_k8s_06_get_non_200_raises(lua_fails, k8s):
    msg = fails(lua_fails, k8s, 'return k8s.get("/api/v1/namespaces/default/pods/ghost?pretty=true", o)')
    assert 'k8s.get: HTTP 404 /api/v1/namespaces/default/pods/ghost?pretty=true: {"kind":"Status"' in msg
    assert '"reason":"NotFound"' in msg


def test_k8s_06_server_error_raises(lua_fails, k8s):
    k8s.fail("/api/v1/namespaces", 503, body="overloaded")
    msg = fails(lua_fails, k8s, 'return k8s.get("/api/v1/namespaces", o)')
    assert "k8s.get: HTTP 503 /api/v1/namespaces: overloaded" in msg


def test_k8s_07_post_creates_and_returns_json(lua, k8s):
    out = run(lua, k8s, '''
local cm = k8s.post("/api/v1/namespaces/default/configmaps",
  { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "cfg" }, data = { a = "1" } }, o)
return cm.metadata.name, cm.metadata.namespace, cm.data.a''')
    assert out == ("cfg", "default", "1")
    req = k8s.last()
    assert (req.method, req.path) == ("POST", "/api/v1/namespaces/default/configmaps")
    assert req.headers["content-type"] == "application/json"
    assert k8s.get("v1", "configmaps", "default", "cfg")["data"] == {"a": "1"}


def test_k8s_07_post_string_body_and_error(lua, lua_fails, k8s):
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"}}'
    out = run(lua, k8s, "return k8s.post('/api/v1/namespaces/default/configmaps', '%s', o).metadata.name" % body)
    assert out == "raw"
    assert k8s.last().body == body.encode()
    msg = fails(lua_fails, k8s, "return k8s.post('/api/v1/namespaces/default/configmaps', '%s', o)" % body)
    assert "k8s.post: HTTP 409 /api/v1/namespaces/default/configmaps: " in msg and "AlreadyExists" in msg


def test_k8s_08_put_replaces_and_raises(lua, lua_fails, k8s):
    k8s.add(obj("v1", "ConfigMap", "cfg", "default", data={"a": "1"}))
    out = run(lua, k8s, '''
local cm = k8s.put("/api/v1/namespaces/default/configmaps/cfg",
  { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "cfg" }, data = { b = "2" } }, o)
return cm.data.b, cm.data.a''')
    assert out == ("2", None)
    assert k8s.last().method == "PUT"
    msg = fails(lua_fails, k8s, 'return k8s.put("/api/v1/namespaces/default/configmaps/nope", '
                                '{ metadata = { name = "nope" } }, o)')
    assert "k8s.put: HTTP 404 /api/v1/namespaces/default/configmaps/nope: " in msg


def test_k8s_09_patch_merge_patch_by_default(lua, k8s):
    k8s.add(deployment("web", want=2))
    out = run(lua, k8s, 'return k8s.patch("/apis/apps/v1/namespaces/default/deployments/web", '
                        '{ spec = { replicas = 5 } }, o).spec.replicas')
    assert out == 5
    req = k8s.last()
    assert req.method == "PATCH"
    assert req.headers["content-type"] == "application/merge-patch+json"
    assert req.json() == {"spec": {"replicas": 5}}


def test_k8s_09_patch_content_types(lua, lua_fails, k8s):
    k8s.add(deployment("web", want=2))
    out = run(lua, k8s, '''
local p = "/apis/apps/v1/namespaces/default/deployments/web"
local a = k8s.patch(p, '[{"op":"replace","path":"/spec/replicas","value":7}]',
  { base_url = o.base_url, token = o.token, content_type = "application/json-patch+json" })
local b = k8s.patch(p, { spec = { paused = true } },
  { base_url = o.base_url, token = o.token, content_type = "application/strategic-merge-patch+json" })
return a.spec.replicas, b.spec.paused''')
    assert out == (7, True)
    assert k8s.requests[0].body == b'[{"op":"replace","path":"/spec/replicas","value":7}]'
    assert k8s.requests[1].headers["content-type"] == "application/strategic-merge-patch+json"
    msg = fails(lua_fails, k8s, 'return k8s.patch("/apis/apps/v1/namespaces/default/deployments/web", "x", '
                                '{ base_url = o.base_url, token = o.token, content_type = "text/plain" })')
    assert "k8s.patch: HTTP 415 /apis/apps/v1/namespaces/default/deployments/web: " in msg


def test_k8s_09_apply_patch_gets_a_field_manager(lua, k8s):
    """Server-side apply needs fieldManager (the real API rejects it otherwise)."""
    k8s.add(deployment("web", want=2))
    out = run(lua, k8s, '''
return k8s.patch("/apis/apps/v1/namespaces/default/deployments/web", { spec = { replicas = 4 } },
  { base_url = o.base_url, token = o.token, content_type = "application/apply-patch+yaml" }).spec.replicas''')
    assert out == 4
    assert k8s.last().param("fieldManager") == "assay"


def test_k8s_10_delete_returns_nil_and_raises(lua, lua_fails, k8s):
    k8s.add(pod("old"))
    out = run(lua, k8s, 'return k8s.delete("/api/v1/namespaces/default/pods/old", o) == nil')
    assert out is True
    assert k8s.last().method == "DELETE"
    assert k8s.get("v1", "pods", "default", "old") is None
    msg = fails(lua_fails, k8s, 'return k8s.delete("/api/v1/namespaces/default/pods/old", o)')
    assert "k8s.delete: HTTP 404 /api/v1/namespaces/default/pods/old: " in msg


# ---- kind registry and paths -----------------------------------------------------------

REGISTRY = [
    ("pod", "/api/v1", "pods", False), ("service", "/api/v1", "services", False),
    ("secret", "/api/v1", "secrets", False), ("configmap", "/api/v1", "configmaps", False),
    ("endpoints", "/api/v1", "endpoints", False), ("serviceaccount", "/api/v1", "serviceaccounts", False),
    ("persistentvolumeclaim", "/api/v1", "persistentvolumeclaims", False),
    ("pvc", "/api/v1", "persistentvolumeclaims", False), ("limitrange", "/api/v1", "limitranges", False),
    ("resourcequota", "/api/v1", "resourcequotas", False), ("event", "/api/v1", "events", False),
    ("namespace", "/api/v1", "namespaces", True), ("node", "/api/v1", "nodes", True),
    ("persistentvolume", "/api/v1", "persistentvolumes", True), ("pv", "/api/v1", "persistentvolumes", True),
    ("deployment", "/apis/apps/v1", "deployments", False), ("statefulset", "/apis/apps/v1", "statefulsets", False),
    ("daemonset", "/apis/apps/v1", "daemonsets", False), ("replicaset", "/apis/apps/v1", "replicasets", False),
    ("job", "/apis/batch/v1", "jobs", False), ("cronjob", "/apis/batch/v1", "cronjobs", False),
    ("ingress", "/apis/networking.k8s.io/v1", "ingresses", False),
    ("ingressclass", "/apis/networking.k8s.io/v1", "ingressclasses", True),
    ("networkpolicy", "/apis/networking.k8s.io/v1", "networkpolicies", False),
    ("storageclass", "/apis/storage.k8s.io/v1", "storageclasses", True),
    ("role", "/apis/rbac.authorization.k8s.io/v1", "roles", False),
    ("rolebinding", "/apis/rbac.authorization.k8s.io/v1", "rolebindings", False),
    ("clusterrole", "/apis/rbac.authorization.k8s.io/v1", "clusterroles", True),
    ("clusterrolebinding", "/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", True),
    ("hpa", "/apis/autoscaling/v2", "horizontalpodautoscalers", False),
    ("poddisruptionbudget", "/apis/policy/v1", "poddisruptionbudgets", False),
    ("pdb", "/apis/policy/v1", "poddisruptionbudgets", False),
]


def test_k8s_11_registry_covers_32_keys_case_insensitively(lua):
    code = 'local k8s = require("assay.k8s")\nlocal out = {}\n'
    for kind, _, _, _ in REGISTRY:
        code += 'out[#out + 1] = k8s._resource_path("ns1", "%s", "x")\n' % kind.upper()
    code += "return out"
    got = lua(code)
    want = [prefix + ("" if cluster else "/namespaces/ns1") + "/" + plural + "/x"
            for _, prefix, plural, cluster in REGISTRY]
    assert len(REGISTRY) == 32
    assert got == want


def test_k8s_11_pvc_request_path(lua, k8s):
    k8s.add(obj("v1", "PersistentVolumeClaim", "data", "db", status={"phase": "Bound"}))
    assert run(lua, k8s, 'return k8s.get_resource("db", "PVC", "data", o).status.phase') == "Bound"
    assert k8s.last().path == "/api/v1/namespaces/db/persistentvolumeclaims/data"


def test_k8s_11_no_long_form_hpa_key(lua_fails):
    msg = lua_fails('return require("assay.k8s")._list_path("ns", "horizontalpodautoscaler")')
    assert "k8s: unknown resource kind 'horizontalpodautoscaler'" in msg


def test_k8s_12_cluster_scoped_kinds_drop_namespace(lua):
    kinds = ["namespace", "node", "persistentvolume", "pv", "storageclass", "ingressclass", "clusterrole",
             "clusterrolebinding"]
    code = 'local k8s = require("assay.k8s")\nlocal out = {}\n'
    code += "".join('out[#out + 1] = k8s._list_path("ignored", "%s")\n' % k for k in kinds)
    code += "return out"
    for path in lua(code):
        assert "/namespaces/" not in path or path == "/api/v1/namespaces"


def test_k8s_13_path_builders(lua):
    out = lua('local k8s = require("assay.k8s")\n'
              'return k8s._resource_path("prod", "deployment", "api"), k8s._list_path("prod", "deployment"), '
              'k8s._resource_path(nil, "node", "n1"), k8s._list_path(nil, "node")')
    assert out == ("/apis/apps/v1/namespaces/prod/deployments/api", "/apis/apps/v1/namespaces/prod/deployments",
                   "/api/v1/nodes/n1", "/api/v1/nodes")


def test_k8s_14_unknown_kind(lua_fails):
    msg = lua_fails('return require("assay.k8s").get_resource("ns", "Widget", "x", { base_url = "http://127.0.0.1:1" })')
    assert ("k8s: unknown resource kind 'Widget'. Use k8s.register_crd() for custom resources "
            "or k8s.get() with a raw path.") in msg


def test_k8s_15_register_crd(lua, k8s):
    k8s.add(obj("argoproj.io/v1alpha1", "Application", "traefik", "argocd", spec={"project": "default"}))
    out = run(lua, k8s, '''
k8s.register_crd("application", "argoproj.io", "v1alpha1", "applications")
local app = k8s.get_resource("argocd", "Application", "traefik", o)
k8s.register_crd("Bucket", "s3.aws.upbound.io", "v1beta1", "buckets", true)
return app.spec.project, k8s._resource_path("ignored", "bucket", "b1")''')
    assert out == ("default", "/apis/s3.aws.upbound.io/v1beta1/buckets/b1")
    assert k8s.last().path == "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/traefik"


def test_k8s_15_registration_overrides_builtin_and_is_module_global(lua):
    out = lua('''
require("assay.k8s").register_crd("pod", "example.com", "v1", "mypods")
return require("assay.k8s")._list_path("ns", "pod")''')
    assert out == "/apis/example.com/v1/namespaces/ns/mypods"


# ---- typed helpers ---------------------------------------------------------------------

def test_k8s_16_get_resource(lua, k8s):
    k8s.add(obj("v1", "Service", "api", "prod", spec={"clusterIP": "10.0.0.7"}))
    assert run(lua, k8s, 'return k8s.get_resource("prod", "service", "api", o).spec.clusterIP') == "10.0.0.7"
    assert k8s.last().path == "/api/v1/namespaces/prod/services/api"


def test_k8s_17_list_returns_list_object(lua, k8s):
    k8s.add(deployment("a", "apps"), deployment("b", "apps"), deployment("c", "other"))
    out = run(lua, k8s, 'local l = k8s.list("apps", "deployment", o)\n'
                        'return l.kind, #l.items, l.metadata.resourceVersion ~= nil')
    assert out == ("DeploymentList", 2, True)
    assert k8s.last().raw_path == "/apis/apps/v1/namespaces/apps/deployments"


def test_k8s_18_list_query_parameters_in_order(lua, k8s):
    k8s.add(pod("a", labels={"app": "web"}), pod("b", labels={"app": "db"}))
    out = run(lua, k8s, '''
local l = k8s.list("default", "pod", { base_url = o.base_url, token = o.token,
  label_selector = "app=web", field_selector = "status.phase=Running", limit = 10 })
return #l.items, l.items[1].metadata.name''')
    assert out == (1, "a")
    req = k8s.last()
    assert [k for k, _ in req.query] == ["labelSelector", "fieldSelector", "limit"]
    assert req.query == [("labelSelector", "app=web"), ("fieldSelector", "status.phase=Running"), ("limit", "10")]


def test_k8s_18_selector_values_are_percent_encoded(lua, k8s):
    """Spec Note: set-based selectors need URL-encoding; the server sees the exact selector."""
    k8s.add(pod("a", labels={"env": "prod"}), pod("b", labels={"env": "dev"}), pod("c", labels={"env": "qa"}))
    out = run(lua, k8s, '''
local l = k8s.list("default", "pod", { base_url = o.base_url, token = o.token, label_selector = "env in (prod, qa)" })
return #l.items''')
    assert out == 2
    assert k8s.last().param("labelSelector") == "env in (prod, qa)"
    assert " " not in k8s.last().raw_path and "(" not in k8s.last().raw_path


def test_k8s_18_limit_returns_one_page_and_continue_fetches_the_next(lua, k8s):
    k8s.add(*[pod("p%d" % i) for i in range(5)])
    out = run(lua, k8s, '''
local opts = { base_url = o.base_url, token = o.token, limit = 2 }
local first = k8s.list("default", "pod", opts)
opts.continue = first.metadata.continue
local second = k8s.list("default", "pod", opts)
return #first.items, first.metadata.remainingItemCount, second.items[1].metadata.name, #second.items''')
    assert out == (2, 3, "p2", 2)
    assert k8s.last().param("continue")


def test_k8s_18_without_limit_all_pages_are_merged(lua, k8s):
    """Spec Note (no pagination): a server that chunks its answer is followed to the end."""
    k8s.add(*[pod("p%d" % i) for i in range(5)])
    k8s.page_size = 2
    out = run(lua, k8s, 'local l = k8s.list("default", "pod", o)\n'
                        'local names = {}\nfor i, p in ipairs(l.items) do names[i] = p.metadata.name end\n'
                        'return names, l.metadata.continue')
    assert out == (["p0", "p1", "p2", "p3", "p4"], None)
    assert len(k8s.requests) == 3


def test_k8s_19_create(lua, k8s):
    out = run(lua, k8s, '''
local s = k8s.create("prod", "secret", { apiVersion = "v1", kind = "Secret", metadata = { name = "db" },
  data = { password = "c2VjcmV0" } }, o)
return s.metadata.namespace, s.metadata.uid ~= nil''')
    assert out == ("prod", True)
    req = k8s.last()
    assert (req.method, req.path) == ("POST", "/api/v1/namespaces/prod/secrets")
    assert req.json()["data"] == {"password": "c2VjcmV0"}


def test_k8s_20_update(lua, k8s):
    k8s.add(deployment("web", want=1))
    out = run(lua, k8s, '''
local d = k8s.get_resource("default", "deployment", "web", o)
d.spec.replicas = 4
return k8s.update("default", "deployment", "web", d, o).spec.replicas''')
    assert out == 4
    req = k8s.last()
    assert (req.method, req.path) == ("PUT", "/apis/apps/v1/namespaces/default/deployments/web")


def test_k8s_21_patch_resource(lua, k8s):
    k8s.add(deployment("web", want=1))
    out = run(lua, k8s, 'return k8s.patch_resource("default", "deployment", "web", '
                        '{ metadata = { labels = { team = "a" } } }, o).metadata.labels.team')
    assert out == "a"
    req = k8s.last()
    assert (req.method, req.path) == ("PATCH", "/apis/apps/v1/namespaces/default/deployments/web")
    assert req.headers["content-type"] == "application/merge-patch+json"


def test_k8s_22_delete_resource(lua, k8s):
    k8s.add(obj("batch/v1", "Job", "migrate", "default"))
    assert run(lua, k8s, 'return k8s.delete_resource("default", "job", "migrate", o) == nil') is True
    assert (k8s.last().method, k8s.last().path) == ("DELETE", "/apis/batch/v1/namespaces/default/jobs/migrate")


def test_k8s_23_exists_true(lua, k8s):
    k8s.add(obj("v1", "Secret", "db-creds", "infra"))
    assert run(lua, k8s, 'return k8s.exists("infra", "secret", "db-creds", o)') is True
    assert k8s.last().path == "/api/v1/namespaces/infra/secrets/db-creds"


def test_k8s_24_exists_false_on_404_and_other_status(lua, k8s):
    k8s.fail("/api/v1/namespaces/infra/secrets/broken", 500)
    assert run(lua, k8s, 'return k8s.exists("infra", "secret", "nope", o), '
                         'k8s.exists("infra", "secret", "broken", o)') == (False, False)


def test_k8s_25_namespace_exists(lua, k8s):
    k8s.add(obj("v1", "Namespace", "monitoring"))
    assert run(lua, k8s, 'return k8s.namespace_exists("monitoring", o), k8s.namespace_exists("nope", o)') == \
        (True, False)
    assert k8s.paths() == ["/api/v1/namespaces/monitoring", "/api/v1/namespaces/nope"]


def test_k8s_26_get_secret_decodes(lua, k8s):
    k8s.add(obj("v1", "Secret", "db", "infra", data={"username": "YWRtaW4=", "password": "c2VjcmV0"},
                stringData=None), obj("v1", "Secret", "empty", "infra"))
    out = run(lua, k8s, 'local s = k8s.get_secret("infra", "db", o)\nlocal e = k8s.get_secret("infra", "empty", o)\n'
                        'return s.username, s.password, next(e) == nil')
    assert out == ("admin", "secret", True)
    assert k8s.paths() == ["/api/v1/namespaces/infra/secrets/db", "/api/v1/namespaces/infra/secrets/empty"]


def test_k8s_27_get_configmap(lua, k8s):
    k8s.add(obj("v1", "ConfigMap", "cluster", "kube-system",
                data={"clusterDomain": "cluster.local", "environment": "prod"}),
            obj("v1", "ConfigMap", "bin", "kube-system", binaryData={"x": "AA=="}))
    out = run(lua, k8s, 'local c = k8s.get_configmap("kube-system", "cluster", o)\n'
                        'return c.clusterDomain, c.environment, next(k8s.get_configmap("kube-system", "bin", o)) == nil')
    assert out == ("cluster.local", "prod", True)


def test_k8s_28_list_pods_with_options(lua, k8s):
    k8s.add(pod("a", labels={"app": "web"}), pod("b", labels={"app": "db"}))
    out = run(lua, k8s, 'return #k8s.list_pods("default", { base_url = o.base_url, token = o.token, '
                        'label_selector = "app=db" }).items')
    assert out == 1
    assert k8s.last().path == "/api/v1/namespaces/default/pods"
    assert k8s.last().param("labelSelector") == "app=db"


def test_k8s_29_list_events_with_options(lua, k8s):
    k8s.add(obj("v1", "Event", "e1", "default", reason="Pulled", type="Normal"),
            obj("v1", "Event", "e2", "default", reason="BackOff", type="Warning"))
    out = run(lua, k8s, 'local l = k8s.list_events("default", { base_url = o.base_url, token = o.token, '
                        'field_selector = "type=Warning" })\nreturn #l.items, l.items[1].reason')
    assert out == (1, "BackOff")
    assert k8s.last().path == "/api/v1/namespaces/default/events"


def test_k8s_30_pod_status_counts(lua, k8s):
    k8s.add(pod("a"), pod("b"), pod("c", phase="Pending"))
    out = run(lua, k8s, 'return k8s.pod_status("default", o)')
    assert out == {"running": 2, "pending": 1, "succeeded": 0, "failed": 0, "unknown": 0, "total": 3}


def test_k8s_30_pod_status_unknown_phases_and_selector(lua, k8s):
    k8s.add(pod("a", phase="Failed", labels={"app": "x"}), pod("b", phase=None, labels={"app": "x"}),
            pod("c", phase="Weird", labels={"app": "x"}), pod("d", phase="Succeeded", labels={"app": "x"}),
            pod("e", labels={"app": "other"}))
    out = run(lua, k8s, 'return k8s.pod_status("default", { base_url = o.base_url, token = o.token, '
                        'label_selector = "app=x" })')
    assert out == {"running": 0, "pending": 0, "succeeded": 1, "failed": 1, "unknown": 2, "total": 4}


# ---- readiness -------------------------------------------------------------------------

def ready(lua, fake, kind, name, ns="default"):
    return run(lua, fake, 'return k8s.is_ready("%s", "%s", "%s", o)' % (ns, kind, name))


def test_k8s_31_deployment_ready(lua, k8s):
    k8s.add(deployment("web", **{"replicas": 3, "readyReplicas": 3}))
    assert ready(lua, k8s, "deployment", "web") is True


def test_k8s_32_deployment_not_ready(lua, k8s):
    k8s.add(deployment("partial", **{"replicas": 3, "readyReplicas": 1}),
            deployment("zero", want=0, **{"replicas": 0}),
            obj("apps/v1", "StatefulSet", "db", "default", spec={"replicas": 3},
                status={"replicas": 3, "readyReplicas": 1}),
            obj("apps/v1", "StatefulSet", "db-ok", "default", spec={"replicas": 3},
                status={"replicas": 3, "readyReplicas": 3}))
    assert ready(lua, k8s, "deployment", "partial") is False
    assert ready(lua, k8s, "deployment", "zero") is False
    assert ready(lua, k8s, "StatefulSet", "db") is False
    assert ready(lua, k8s, "statefulset", "db-ok") is True


def test_k8s_32_rollout_in_progress_is_not_ready(lua, k8s):
    """Spec Note: updatedReplicas and observedGeneration are honoured (kubectl rollout semantics)."""
    k8s.add(deployment("rolling", **{"replicas": 4, "readyReplicas": 4, "updatedReplicas": 1,
                                                 "availableReplicas": 4}),
            obj("apps/v1", "Deployment", "stale", "default", metadata={"generation": 5}, spec={"replicas": 3},
                status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                        "observedGeneration": 4}),
            obj("apps/v1", "Deployment", "done", "default", metadata={"generation": 5}, spec={"replicas": 3},
                status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                        "observedGeneration": 5}))
    assert ready(lua, k8s, "deployment", "rolling") is False
    assert ready(lua, k8s, "deployment", "stale") is False
    assert ready(lua, k8s, "deployment", "done") is True


def test_k8s_33_daemonset(lua, k8s):
    k8s.add(obj("apps/v1", "DaemonSet", "ok", "default", status={"numberReady": 3, "desiredNumberScheduled": 3}),
            obj("apps/v1", "DaemonSet", "partial", "default", status={"numberReady": 2, "desiredNumberScheduled": 3}),
            obj("apps/v1", "DaemonSet", "none", "default", status={"numberReady": 0, "desiredNumberScheduled": 0}))
    assert ready(lua, k8s, "daemonset", "ok") is True
    assert ready(lua, k8s, "daemonset", "partial") is False
    assert ready(lua, k8s, "daemonset", "none") is False


def test_k8s_34_pod_ready_condition(lua, k8s):
    k8s.add(pod("ok", conditions=[cond("Initialized", "True"), cond("Ready", "True")]),
            pod("bad", conditions=[cond("Ready", "False")]))
    assert ready(lua, k8s, "pod", "ok") is True
    assert ready(lua, k8s, "pod", "bad") is False


def test_k8s_35_generic_kind_ready_condition(lua, k8s):
    k8s.add(obj("networking.k8s.io/v1", "Ingress", "web", "default", status={"conditions": [cond("Ready", "True")]}))
    assert ready(lua, k8s, "ingress", "web") is True


def test_k8s_36_phase_fallback(lua, k8s):
    k8s.add(obj("v1", "PersistentVolumeClaim", "bound", "default", status={"phase": "Bound"}),
            obj("v1", "PersistentVolumeClaim", "pending", "default", status={"phase": "Pending"}),
            obj("v1", "Namespace", "active", status={"phase": "Active"}),
            obj("v1", "Service", "plain", "default", status={}))
    assert ready(lua, k8s, "pvc", "bound") is True
    assert ready(lua, k8s, "pvc", "pending") is False
    assert ready(lua, k8s, "namespace", "active") is True
    assert ready(lua, k8s, "service", "plain") is False


def test_k8s_36_is_ready_raises_on_404(lua_fails, k8s):
    msg = fails(lua_fails, k8s, 'return k8s.is_ready("default", "pod", "ghost", o)')
    assert "k8s.get: HTTP 404 /api/v1/namespaces/default/pods/ghost" in msg


def test_k8s_37_job_succeeded(lua, k8s):
    k8s.add(obj("batch/v1", "Job", "once", "default", status={"succeeded": 1}),
            obj("batch/v1", "Job", "running", "default", status={"active": 1}),
            obj("batch/v1", "Job", "three", "default", spec={"completions": 3}, status={"succeeded": 1}),
            obj("batch/v1", "Job", "complete", "default", spec={"completions": 3},
                status={"succeeded": 3, "conditions": [cond("Complete", "True")]}),
            obj("batch/v1", "Job", "failed", "default", status={"succeeded": 0, "failed": 6,
                                                               "conditions": [cond("Failed", "True")]}))
    assert ready(lua, k8s, "job", "once") is True
    assert ready(lua, k8s, "job", "running") is False
    # spec Note: completion needs spec.completions successes or the Complete condition
    assert ready(lua, k8s, "job", "three") is False
    assert ready(lua, k8s, "job", "complete") is True
    assert ready(lua, k8s, "job", "failed") is False


def test_k8s_38_node_ready(lua, k8s):
    k8s.add(obj("v1", "Node", "n1", status={"conditions": [cond("MemoryPressure", "False"), cond("Ready", "True")]}),
            obj("v1", "Node", "n2", status={"conditions": [cond("Ready", "Unknown")]}),
            obj("v1", "Node", "n3", status={"phase": "Running"}))
    assert ready(lua, k8s, "node", "n1") is True
    assert ready(lua, k8s, "node", "n2") is False
    assert ready(lua, k8s, "node", "n3") is False
    assert k8s.last().path == "/api/v1/nodes/n3"


WAIT = '''
slept = {}
sleep = function(n) slept[#slept + 1] = n end
'''


def test_k8s_39_wait_ready_polls_until_ready(lua, k8s):
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    k8s.sequence(path, [404, deployment("web", **{"replicas": 3, "readyReplicas": 1}),
                        deployment("web", **{"replicas": 3, "readyReplicas": 3})])
    out = run(lua, k8s, WAIT + 'return k8s.wait_ready("default", "deployment", "web", nil, o), slept')
    assert out == (True, [2, 2])
    assert k8s.paths() == [path] * 3


def test_k8s_39_wait_ready_times_out(lua_fails, k8s):
    k8s.add(deployment("web", **{"replicas": 3, "readyReplicas": 0}))
    msg = fails(lua_fails, k8s, WAIT + 'k8s.wait_ready("default", "deployment", "web", 6, o)')
    assert "k8s.wait_ready: deployment/web not ready after 6s" in msg
    # probes at 0, 2, 4 and 6 s: the last look happens at the deadline, not a sleep past it
    assert len(k8s.requests) == 4


def test_k8s_39_wait_ready_never_waits_past_the_timeout(lua, k8s):
    k8s.add(deployment("web", **{"replicas": 3, "readyReplicas": 0}))
    out = run(lua, k8s, WAIT + 'local ok, err = pcall(k8s.wait_ready, "default", "deployment", "web", 5, o)\n'
                               'return ok, err, slept')
    assert out[0] is False and "not ready after 5s" in out[1]
    assert out[2] == [2, 2, 1] and len(k8s.requests) == 4


def test_k8s_39_wait_ready_default_timeout_is_60s(lua, k8s):
    out = run(lua, k8s, WAIT + 'local ok, err = pcall(k8s.wait_ready, "default", "Pod", "ghost", nil, o)\n'
                               'return ok, err, #slept')
    assert out[0] is False and "k8s.wait_ready: Pod/ghost not ready after 60s" in out[1]
    assert out[2] == 30


# ---- endpoints, logs, rollout, nodes, events ------------------------------------------------

def test_k8s_40_service_endpoints(lua, k8s):
    k8s.add(obj("v1", "Endpoints", "web", "default", subsets=[
        {"addresses": [{"ip": "10.42.0.5"}], "notReadyAddresses": [{"ip": "10.42.0.9"}], "ports": [{"port": 80}]},
        {"addresses": [{"ip": "10.42.0.6"}]}]))
    assert run(lua, k8s, 'return k8s.service_endpoints("default", "web", o)') == ["10.42.0.5", "10.42.0.6"]
    assert k8s.last().path == "/api/v1/namespaces/default/endpoints/web"


def test_k8s_41_service_endpoints_empty(lua, k8s):
    k8s.add(obj("v1", "Endpoints", "none", "default", subsets=[]), obj("v1", "Endpoints", "bare", "default"))
    assert run(lua, k8s, 'return #k8s.service_endpoints("default", "none", o), '
                         '#k8s.service_endpoints("default", "bare", o)') == (0, 0)


def test_k8s_42_logs_tail(lua, k8s):
    k8s.add(pod("web"))
    k8s.set_log("default", "web", "".join("line %d\n" % i for i in range(100)))
    out = run(lua, k8s, 'return k8s.logs("default", "web", { base_url = o.base_url, token = o.token, tail = 50 })')
    assert out.splitlines()[0] == "line 50" and len(out.splitlines()) == 50
    assert k8s.last().raw_path == "/api/v1/namespaces/default/pods/web/log?tailLines=50"


def test_k8s_42_logs_parameter_order(lua, k8s):
    k8s.add(pod("multi", containers=("app", "sidecar")))
    k8s.set_log("default", "multi", "before crash\n", container="sidecar", previous=True)
    out = run(lua, k8s, 'return k8s.logs("default", "multi", { base_url = o.base_url, token = o.token, '
                        'tail = 5, container = "sidecar", previous = true, since = 300 })')
    assert out == "before crash\n"
    assert k8s.last().raw_query == "tailLines=5&container=sidecar&previous=true&sinceSeconds=300"


def test_k8s_43_logs_error(lua_fails, k8s):
    k8s.add(pod("multi", containers=("app", "sidecar")))
    msg = fails(lua_fails, k8s, 'return k8s.logs("default", "multi", o)')
    assert "k8s.logs: HTTP 400 /api/v1/namespaces/default/pods/multi/log: " in msg
    assert "a container name must be specified" in msg


def test_k8s_44_rollout_status(lua, k8s):
    k8s.add(deployment("web", **{"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
                                             "availableReplicas": 3, "observedGeneration": 1}),
            deployment("rolling", **{"replicas": 4, "updatedReplicas": 1, "readyReplicas": 3,
                                                 "availableReplicas": 3, "unavailableReplicas": 1}))
    out = run(lua, k8s, 'return k8s.rollout_status("default", "web", o), k8s.rollout_status("default", "rolling", o)')
    assert out[0] == {"desired": 3, "updated": 3, "ready": 3, "available": 3, "unavailable": 0, "complete": True}
    assert out[1] == {"desired": 3, "updated": 1, "ready": 3, "available": 3, "unavailable": 1, "complete": False}


def test_k8s_45_node_status(lua, k8s):
    k8s.add(obj("v1", "Node", "cp1", metadata={"labels": {"node-role.kubernetes.io/control-plane": "",
                                                          "kubernetes.io/hostname": "cp1"}},
                status={"conditions": [cond("Ready", "True")], "capacity": {"cpu": "4", "memory": "8Gi"},
                        "allocatable": {"cpu": "3800m"}}),
            obj("v1", "Node", "w1", status={"conditions": [cond("Ready", "False")]}))
    out = run(lua, k8s, 'return k8s.node_status(o)')
    assert out == [
        {"name": "cp1", "ready": True, "roles": ["control-plane"], "capacity": {"cpu": "4", "memory": "8Gi"},
         "allocatable": {"cpu": "3800m"}},
        {"name": "w1", "ready": False, "roles": [], "capacity": [], "allocatable": []},
    ]
    assert k8s.last().path == "/api/v1/nodes"


def test_k8s_46_events_for(lua, k8s):
    k8s.add(obj("v1", "Event", "e1", "default", involvedObject={"kind": "Pod", "name": "web-1"}, reason="Pulled"),
            obj("v1", "Event", "e2", "default", involvedObject={"kind": "Pod", "name": "web-2"}, reason="Killing"))
    out = run(lua, k8s, 'local l = k8s.events_for("default", "Pod", "web-1", { base_url = o.base_url, '
                        'token = o.token, label_selector = "ignored=yes" })\nreturn #l.items, l.items[1].reason')
    assert out == (1, "Pulled")
    req = k8s.last()
    assert req.path == "/api/v1/namespaces/default/events"
    assert req.query == [("fieldSelector", "involvedObject.kind=Pod,involvedObject.name=web-1")]


# ---- k8s.client (issue 12) ---------------------------------------------------------------

TYPED = [("deployment", "apps/v1", "Deployment"), ("statefulset", "apps/v1", "StatefulSet"),
         ("daemonset", "apps/v1", "DaemonSet"), ("replicaset", "apps/v1", "ReplicaSet"), ("pod", "v1", "Pod"),
         ("service", "v1", "Service"), ("configmap", "v1", "ConfigMap"), ("secret", "v1", "Secret"),
         ("job", "batch/v1", "Job"), ("cronjob", "batch/v1", "CronJob"),
         ("ingress", "networking.k8s.io/v1", "Ingress")]


def test_k8s_client_typed_getters_return_object_or_nil(lua, k8s):
    for method, api_version, kind in TYPED:
        k8s.add(obj(api_version, kind, "x-" + method, "apps"))
    k8s.add(obj("v1", "Namespace", "apps"), obj("v1", "Node", "n1"))
    code = 'local c = require("assay.k8s").client("%s", { token = "%s" })\nlocal out = {}\n' % (k8s.url, TOKEN)
    for method, _, _ in TYPED:
        code += 'out[#out + 1] = c:%s("apps", "x-%s").kind\n' % (method, method)
        code += 'out[#out + 1] = c:%s("apps", "missing") == nil\n' % method
    code += ('out[#out + 1] = c:namespace("apps").metadata.name\nout[#out + 1] = c:namespace("nope") == nil\n'
             'out[#out + 1] = c:node("n1").kind\nout[#out + 1] = c:node("n9") == nil\nreturn out')
    out = lua(code)
    expected = []
    for _, _, kind in TYPED:
        expected += [kind, True]
    assert out == expected + ["apps", True, "Node", True]
    assert k8s.paths()[:2] == ["/apis/apps/v1/namespaces/apps/deployments/x-deployment",
                               "/apis/apps/v1/namespaces/apps/deployments/missing"]


def test_k8s_client_methods_mirror_module_functions(lua, k8s):
    k8s.add(pod("a"), pod("b", phase="Pending"), obj("v1", "Secret", "db", "team", data={"u": "YWRtaW4="}),
            deployment("web", "team", **{"replicas": 3, "readyReplicas": 3}))
    out = lua('''
local k8s = require("assay.k8s")
local c = k8s.client("%s/", { token = "%s", namespace = "team" })
return c:pod_status("default").total, c:get_secret(nil, "db").u, c:is_ready(nil, "deployment", "web"),
  c:deployment("web").metadata.namespace, #c:list("default", "pod", { limit = 1 }).items,
  c:get("/api/v1/namespaces/team/secrets/db").kind, c:exists(nil, "secret", "nope"), c.url''' % (k8s.url, TOKEN))
    assert out == (2, "admin", True, "team", 1, "Secret", False, k8s.url)
    assert all(r.headers["authorization"] == "Bearer " + TOKEN for r in k8s.requests)


def test_k8s_client_errors_keep_the_module_format(lua_fails, k8s):
    msg = lua_fails('local c = require("assay.k8s").client("%s", { token = "%s" })\n'
                    'return c:get_resource("default", "pod", "ghost")' % (k8s.url, TOKEN))
    assert "k8s.get: HTTP 404 /api/v1/namespaces/default/pods/ghost: " in msg


def test_k8s_client_ca_cert_verifies_tls(lua, lua_fails, k8s_tls):
    k8s_tls.add(obj("v1", "Namespace", "secure"))
    out = lua('local c = require("assay.k8s").client("%s", { token = "%s", ca_cert = [[%s]] })\n'
              'return c:namespace("secure").metadata.name' % (k8s_tls.url, TOKEN, k8s_tls.ca_pem))
    assert out == "secure"
    msg = lua_fails('local c = require("assay.k8s").client("%s", { token = "%s" })\n'
                    'return c:namespace("secure")' % (k8s_tls.url, TOKEN))
    assert "http.get failed" in msg


def test_k8s_client_in_cluster_defaults(lua, k8s_tls, monkeypatch):
    host, port = k8s_tls.url.split("//")[1].split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    k8s_tls.add(pod("p1", "ops"), pod("p2", "ops"))
    out = lua(in_cluster_prelude(k8s_tls.ca_pem) + '''
local real_exists = fs.exists
fs.exists = function(p) if p == SA .. "/namespace" then return true end return real_exists(p) end
local real_read2 = fs.read
fs.read = function(p) if p == SA .. "/namespace" then return "ops\\n" end return real_read2(p) end
local c = k8s.client()
return #c:list_pods().items, c.default_namespace, reads, c.url''')
    assert out == (2, "ops", 1, k8s_tls.url)
    assert k8s_tls.last().headers["authorization"] == "Bearer test-token"


def test_k8s_client_without_cluster_raises(lua_fails, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    msg = lua_fails('return require("assay.k8s").client()')
    assert "k8s: not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST not set)" in msg


def test_k8s_both_generations(lua, k8s):
    """A 0.8.3 script (k8s.get_secret(...)) and a 0.19 script (k8s.secrets:get(...)) on the same fake API
    server; the groups are on the module and on k8s.client objects."""
    k8s.add(obj("v1", "Secret", "db", "infra", data={"username": "YWRtaW4="}, stringData=None),
            obj("v1", "ConfigMap", "cfg", "infra", data={"mode": "fast"}), pod("web-1"), pod("web-2", phase="Pending"),
            deployment("api", want=2, replicas=2, readyReplicas=2, updatedReplicas=2, availableReplicas=2),
            obj("v1", "Namespace", "infra", None))
    old = run(lua, k8s, '''return {k8s.get_secret("infra", "db", o).username, k8s.get_configmap("infra", "cfg", o).mode,
        #k8s.list_pods("default", o).items, k8s.pod_status("default", o).pending, k8s.exists("default", "deployment", "api", o),
        k8s.get_resource("default", "deployment", "api", o).metadata.name, k8s.rollout_status("default", "api", o).complete,
        k8s.namespace_exists("infra", o), #k8s.list_events("default", o).items, #k8s.list("default", "pod", o).items}''')
    new = run(lua, k8s, '''return {k8s.secrets:get("infra", "db", o).username, k8s.configmaps:get("infra", "cfg", o).mode,
        #k8s.pods:list("default", o).items, k8s.pods:status("default", o).pending, k8s.resources:exists("default", "deployment", "api", o),
        k8s.resources:get("default", "deployment", "api", o).metadata.name,
        k8s.deployments:rollout_status("default", "api", o).complete, k8s.namespaces:exists("infra", o),
        #k8s.events:list("default", o).items, #k8s.resources:list("default", "pod", o).items}''')
    assert old == new == ["admin", "fast", 2, 1, True, "api", True, True, 0, 2]
    # the same groups on a client (namespace defaults to the client's)
    client = run(lua, k8s, '''local c = k8s.client(o.base_url, {token = o.token, namespace = "infra"})
        return c.secrets:get(nil, "db").username, c:get_secret(nil, "db").username, #c.pods:list("default").items''')
    assert client == ("admin", "admin", 2)
