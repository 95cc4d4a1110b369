"""assay.eso (spec stdlib/eso.md, ESO-01..23) against the shared fake Kubernetes API server."""
from fake_k8s import TOKEN, cond, k8s, obj  # noqa: F401 (fixture)

ESO = "external-secrets.io/v1beta1"
B = "/apis/external-secrets.io/v1beta1"


def run(lua, fake, code, auth=None, url=None):
    auth = auth or '"%s"' % TOKEN
    return lua('local c = require("assay.eso").client("%s", %s)\n%s' % (url or fake.url, auth, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.eso").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def external_secret(name, ns="apps", ready="True", reason="SecretSynced", **status):
    status.setdefault("conditions", [cond("Ready", ready, reason)])
    return obj(ESO, "ExternalSecret", name, ns, spec={"secretStoreRef": {"name": "vault", "kind": "SecretStore"},
                                                      "refreshInterval": "1h"}, status=status)


def store(name, ns="apps", ready="True", kind="SecretStore"):
    return obj(ESO, kind, name, None if kind.startswith("Cluster") else ns, spec={"provider": {"vault": {}}},
               status={"conditions": [cond("Ready", ready, "Valid")]})


def test_eso_01_exposes_client(lua):
    assert lua('return type(require("assay.eso").client)') == "function"


def test_eso_02_token_and_trailing_slashes(lua, k8s):
    k8s.add(external_secret("db"))
    assert run(lua, k8s, 'return c:is_secret_synced("apps", "db")', url=k8s.url + "///") is True
    req = k8s.last()
    assert req.raw_path == B + "/namespaces/apps/externalsecrets/db"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_eso_02_options_table_form(lua, k8s):
    """Issue 12: client(url, {token = ...})."""
    k8s.add(external_secret("db"))
    assert run(lua, k8s, 'return c:external_secret("apps", "db").kind', auth='{ token = "%s" }' % TOKEN) == \
        "ExternalSecret"


def test_eso_03_external_secrets(lua, k8s):
    k8s.add(external_secret("api-keys"), external_secret("db-creds"), external_secret("x", ns="other"))
    out = run(lua, k8s, 'local l = c:external_secrets("apps")\n'
                        'return l.kind, #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == ("ExternalSecretList", 2, "api-keys", "db-creds")
    assert k8s.last().path == B + "/namespaces/apps/externalsecrets"


def test_eso_04_external_secret(lua, k8s):
    k8s.add(external_secret("db", syncedResourceVersion="v42"))
    out = run(lua, k8s, 'local es = c:external_secret("apps", "db")\n'
                        'return es.spec.secretStoreRef.name, es.status.syncedResourceVersion, '
                        'c:external_secret("apps", "nope") == nil')
    assert out == ("vault", "v42", True)
    assert k8s.paths()[0] == B + "/namespaces/apps/externalsecrets/db"


def test_eso_05_external_secret_status(lua, k8s):
    k8s.add(external_secret("db", syncedResourceVersion="v42"))
    out = run(lua, k8s, 'local s = c:external_secret_status("apps", "db")\n'
                        'return s.ready, s.status, s.sync_hash, #s.conditions')
    assert out == (True, "SecretSynced", "v42", 1)


def test_eso_06_status_missing_and_defaults(lua, lua_fails, k8s):
    msg = fails(lua_fails, k8s, 'return c:external_secret_status("apps", "ghost")')
    assert "eso: ExternalSecret apps/ghost not found" in msg
    k8s.add(obj(ESO, "ExternalSecret", "fresh", "apps"),
            external_secret("noreason", conditions=[cond("Ready", "False")]))
    out = run(lua, k8s, 'local a = c:external_secret_status("apps", "fresh")\n'
                        'local b = c:external_secret_status("apps", "noreason")\n'
                        'return a.ready, a.status, a.sync_hash, #a.conditions, b.status')
    assert out == (False, "Unknown", "", 0, "Unknown")


def test_eso_07_synced(lua, k8s):
    k8s.add(external_secret("db"))
    assert run(lua, k8s, 'return c:is_secret_synced("apps", "db")') is True


def test_eso_08_not_synced(lua, k8s):
    k8s.add(external_secret("db", ready="False", reason="SecretSyncedError"))
    assert run(lua, k8s, 'return c:is_secret_synced("apps", "db"), c:is_secret_synced("apps", "nope")') == \
        (False, False)


WAIT = '''
slept = {}
sleep = function(n) slept[#slept + 1] = n end
'''


def test_eso_09_wait_synced(lua, k8s):
    path = B + "/namespaces/apps/externalsecrets/db"
    k8s.sequence(path, [external_secret("db", ready="False"), external_secret("db", ready="False"),
                        external_secret("db")])
    assert run(lua, k8s, WAIT + 'return c:wait_secret_synced("apps", "db"), slept') == (True, [5, 5])


def test_eso_09_wait_timeout_default_and_custom(lua, lua_fails, k8s):
    k8s.add(external_secret("db", ready="False"))
    msg = fails(lua_fails, k8s, WAIT + 'c:wait_secret_synced("apps", "db", 12)')
    assert "eso: ExternalSecret apps/db not synced after 12s" in msg
    assert len(k8s.requests) == 3  # elapsed 0, 5, 10
    out = run(lua, k8s, WAIT + 'local ok, err = pcall(c.wait_secret_synced, c, "apps", "db")\nreturn ok, err, #slept')
    assert out[0] is False and "not synced after 60s" in out[1] and out[2] == 12


def test_eso_09_wait_propagates_http_errors(lua_fails, k8s):
    k8s.fail(B + "/namespaces/apps/externalsecrets/db", 500, body="down")
    msg = fails(lua_fails, k8s, WAIT + 'c:wait_secret_synced("apps", "db")')
    assert "eso: GET " + B + "/namespaces/apps/externalsecrets/db HTTP 500: down" in msg


def test_eso_10_secret_stores(lua, k8s):
    k8s.add(store("vault"), store("aws"))
    out = run(lua, k8s, 'local l = c:secret_stores("apps")\nreturn l.kind, #l.items')
    assert out == ("SecretStoreList", 2)
    assert k8s.last().path == B + "/namespaces/apps/secretstores"


def test_eso_11_secret_store(lua, k8s):
    k8s.add(store("vault"))
    out = run(lua, k8s, 'return c:secret_store("apps", "vault").kind, c:secret_store("apps", "nope") == nil')
    assert out == ("SecretStore", True)
    assert k8s.paths()[0] == B + "/namespaces/apps/secretstores/vault"


def test_eso_12_secret_store_status(lua, lua_fails, k8s):
    k8s.add(store("vault"))
    out = run(lua, k8s, 'local s = c:secret_store_status("apps", "vault")\nreturn s.ready, #s.conditions')
    assert out == (True, 1)
    msg = fails(lua_fails, k8s, 'return c:secret_store_status("apps", "ghost")')
    assert "eso: SecretStore apps/ghost not found" in msg


def test_eso_13_store_ready(lua, k8s):
    k8s.add(store("vault"), store("broken", ready="False"))
    assert run(lua, k8s, 'return c:is_store_ready("apps", "vault"), c:is_store_ready("apps", "broken"), '
                         'c:is_store_ready("apps", "nope")') == (True, False, False)


def test_eso_14_cluster_secret_stores(lua, k8s):
    k8s.add(store("global", kind="ClusterSecretStore"))
    out = run(lua, k8s, 'local l = c:cluster_secret_stores()\nreturn l.kind, #l.items')
    assert out == ("ClusterSecretStoreList", 1)
    assert k8s.last().path == B + "/clustersecretstores"


def test_eso_15_cluster_secret_store(lua, k8s):
    k8s.add(store("global", kind="ClusterSecretStore"))
    out = run(lua, k8s, 'return c:cluster_secret_store("global").kind, c:cluster_secret_store("nope") == nil')
    assert out == ("ClusterSecretStore", True)
    assert k8s.paths()[0] == B + "/clustersecretstores/global"


def test_eso_16_cluster_store_ready(lua, k8s):
    k8s.add(store("global", kind="ClusterSecretStore"), store("bad", ready="False", kind="ClusterSecretStore"))
    assert run(lua, k8s, 'return c:is_cluster_store_ready("global"), c:is_cluster_store_ready("bad"), '
                         'c:is_cluster_store_ready("nope")') == (True, False, False)


def test_eso_17_cluster_external_secrets(lua, k8s):
    k8s.add(obj(ESO, "ClusterExternalSecret", "shared", spec={"namespaceSelector": {}}))
    out = run(lua, k8s, 'local l = c:cluster_external_secrets()\nreturn l.kind, #l.items')
    assert out == ("ClusterExternalSecretList", 1)
    assert k8s.last().path == B + "/clusterexternalsecrets"


def test_eso_18_cluster_external_secret(lua, k8s):
    k8s.add(obj(ESO, "ClusterExternalSecret", "shared"))
    out = run(lua, k8s, 'return c:cluster_external_secret("shared").kind, c:cluster_external_secret("nope") == nil')
    assert out == ("ClusterExternalSecret", True)
    assert k8s.paths()[0] == B + "/clusterexternalsecrets/shared"


def test_eso_19_all_synced(lua, k8s):
    k8s.add(external_secret("a"), external_secret("b"))
    out = run(lua, k8s, 'return c:all_secrets_synced("apps")')
    assert out == {"synced": 2, "failed": 0, "total": 2, "failed_names": []}


def test_eso_20_all_synced_mixed(lua, k8s):
    k8s.add(external_secret("a-bad", ready="False"), external_secret("b-ok"), external_secret("c-bad", ready="False"))
    out = run(lua, k8s, 'return c:all_secrets_synced("apps")')
    assert out == {"synced": 1, "failed": 2, "total": 3, "failed_names": ["a-bad", "c-bad"]}


def test_eso_21_all_stores_ready(lua, k8s):
    k8s.add(store("broken-store", ready="False"), store("vault"))
    out = run(lua, k8s, 'return c:all_stores_ready("apps")')
    assert out == {"ready": 1, "not_ready": 1, "total": 2, "not_ready_names": ["broken-store"]}


def test_eso_22_lists_raise_on_any_non_200(lua_fails, k8s):
    k8s.uninstall(ESO)
    msg = fails(lua_fails, k8s, 'return c:external_secrets("apps")')
    assert "eso: LIST " + B + "/namespaces/apps/externalsecrets HTTP 404: 404 page not found" in msg
    msg = fails(lua_fails, k8s, 'return c:all_stores_ready("apps")')
    assert "eso: LIST " + B + "/namespaces/apps/secretstores HTTP 404" in msg


def test_eso_23_get_errors(lua_fails, k8s):
    k8s.fail(B + "/clustersecretstores/locked", 403, body="forbidden")
    msg = fails(lua_fails, k8s, 'return c:cluster_secret_store("locked")')
    assert "eso: GET " + B + "/clustersecretstores/locked HTTP 403: forbidden" in msg


def test_eso_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(external_secret("db"), external_secret("api", ready="False", reason="SecretSyncedError"),
            store("vault"), store("global", kind="ClusterSecretStore"))
    old = run(lua, k8s, '''return {#c:external_secrets("apps").items, c:external_secret("apps", "db").metadata.name,
        c:external_secret_status("apps", "db").ready, c:is_secret_synced("apps", "api"),
        c:all_secrets_synced("apps").synced, c:is_store_ready("apps", "vault"), c:secret_store_status("apps", "vault").ready,
        c:all_stores_ready("apps").ready, c:is_cluster_store_ready("global"), #c:cluster_secret_stores().items}''')
    new = run(lua, k8s, '''return {#c.external_secrets:list("apps").items, c.external_secrets:get("apps", "db").metadata.name,
        c.external_secrets:status("apps", "db").ready, c.external_secrets:is_synced("apps", "api"),
        c.external_secrets:all_synced("apps").synced, c.secret_stores:is_ready("apps", "vault"),
        c.secret_stores:status("apps", "vault").ready, c.secret_stores:all_ready("apps").ready,
        c.cluster_secret_stores:is_ready("global"), #c.cluster_secret_stores:list().items}''')
    assert old == new == [2, "db", True, False, 1, True, True, 1, True, 1]
