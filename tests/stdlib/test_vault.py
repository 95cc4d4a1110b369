"""assay.vault (spec stdlib/vault.md, VAULT-01..53) against the in-memory Vault API of fake_vault.py."""
import base64
import json
import re

import pytest

from fake_vault import ROOT_TOKEN, FakeVault

# Raised by the module code (assay/vault.lua or the shared assay/_http.lua helper it uses).
PREFIX = re.compile(r"^assay/(vault|_http)\.lua:\d+: ")


@pytest.fixture
def vault():
    fake = FakeVault().start()
    yield fake
    fake.stop()


def client_code(fake, code, token=ROOT_TOKEN):
    return ('local vault = require("assay.vault")\n'
            'local c = vault.client(%s, %s)\n' % (json.dumps(fake.url), json.dumps(token)) + code)


def run(lua, fake, code, token=ROOT_TOKEN):
    return lua(client_code(fake, code, token))


def fails(lua_fails, fake, code, token=ROOT_TOKEN):
    return lua_fails(client_code(fake, code, token))


# ---- module shape, constructor -------------------------------------------------

def test_vault_01_module_functions(lua):
    assert lua('local v = require("assay.vault")\n'
               'return type(v.client), type(v.wait), type(v.authenticated_client), '
               'type(v.ensure_credentials), type(v.assert_secret)') == ("function",) * 5


def test_vault_02_token_header_and_trailing_slashes(lua, vault):
    vault.put_secret("secret", "app", {"k": "v"})
    code = ('local c = require("assay.vault").client(%s, "%s")\n'
            'return c:kv_get("secret", "app").data.k' % (json.dumps(vault.url + "///"), ROOT_TOKEN))
    assert lua(code) == "v"
    req = vault.last("GET")
    assert req.raw_path == "/v1/secret/data/app"  # no doubled slash
    assert req.headers["x-vault-token"] == ROOT_TOKEN


def test_vault_02_nil_token_sends_no_header(lua, vault):
    code = ('local c = require("assay.vault").client(%s)\n'
            'return pcall(c.read, c, "secret/data/x")' % json.dumps(vault.url))
    ok, err = lua(code)
    assert ok is False and "HTTP 403" in err and "permission denied" in err
    assert "x-vault-token" not in vault.last("GET").headers


def test_vault_02_issue12_options_table_token(lua, vault):
    """Issue 12: the token may also be given as {token = ...}."""
    vault.put_secret("secret", "opt", {"a": "1"})
    code = ('local c = require("assay.vault").client(%s, {token = "%s"})\n'
            'return c:kv_get("secret", "opt").data.a' % (json.dumps(vault.url), ROOT_TOKEN))
    assert lua(code) == "1"
    assert vault.last("GET").headers["x-vault-token"] == ROOT_TOKEN


def test_vault_documented_client_form_kv_round_trip(lua, vault):
    """The documented form vault.client(url, token): write, read, list, delete a KV v2 secret."""
    result = run(lua, vault, '''
        local put = c:kv_put("secret", "myapp/db", {username = "app", password = "s3cret"})
        local got = c:kv_get("secret", "myapp/db")
        local keys = c:kv_list("secret", "myapp")
        c:kv_delete("secret", "myapp/db")
        return put.data.version, got.data.password, got.metadata.version, keys, c:kv_get("secret", "myapp/db")
    ''')
    assert result == (1, "s3cret", 1, ["db"], None)


def test_vault_kv_v1_with_generic_methods(lua, vault):
    """KV version 1 has no helper: read/write/list/delete on "<mount>/<key>"."""
    result = run(lua, vault, '''
        local w = c:write("kv/app/config", {url = "x", n = 3})
        local r = c:read("kv/app/config")
        local keys = c:list("kv/app")
        c:delete("kv/app/config")
        return w, r.url, r.n, keys, c:read("kv/app/config")
    ''')
    assert result == (None, "x", 3, ["config"], None)
    assert vault.kv1 == {}
    assert [(r.method, r.path) for r in vault.requests] == [
        ("POST", "/v1/kv/app/config"), ("GET", "/v1/kv/app/config"), ("GET", "/v1/kv/app"),
        ("DELETE", "/v1/kv/app/config"), ("GET", "/v1/kv/app/config")]


# ---- generic read/write/delete/list ---------------------------------------------

def test_vault_03_read_returns_body_data(lua, vault):
    vault.put_secret("secret", "mykey", {"foo": "bar"})
    assert run(lua, vault, 'return c:read("secret/data/mykey").data.foo') == "bar"
    assert vault.last().method == "GET" and vault.last().raw_path == "/v1/secret/data/mykey"


def test_vault_04_read_404_is_nil(lua, vault):
    assert run(lua, vault, 'return c:read("secret/data/missing") == nil') is True
    assert vault.last().raw_path == "/v1/secret/data/missing"


def test_vault_05_write_posts_payload(lua, vault):
    vault.respond("POST", "/v1/custom/thing", 200, {"data": {"ok": True}})
    assert run(lua, vault, 'return c:write("custom/thing", {a = 1}).data.ok') is True
    assert vault.last().method == "POST" and vault.last().json == {"a": 1}
    assert vault.last().headers["content-type"] == "application/json"


def test_vault_05_write_204_is_nil(lua, vault):
    assert run(lua, vault, 'return c:write("kv/x", {a = "b"}) == nil') is True
    assert vault.kv1[("kv", "x")] == {"a": "b"}


def test_vault_05_write_empty_200_body_is_nil(lua, vault):
    """Spec Note: Vault may answer 200 with an empty body; that is nil, not a parse error."""
    vault.respond("POST", "/v1/custom/empty", 200, "")
    assert run(lua, vault, 'return c:write("custom/empty", {a = 1}) == nil') is True


def test_vault_06_delete_accepts_204_and_200(lua, vault):
    vault.respond("DELETE", "/v1/custom/two", 200, {"data": None})
    assert run(lua, vault, 'return c:delete("kv/a"), select("#", c:delete("custom/two"))') == (None, 0)
    assert [r.method + " " + r.path for r in vault.requests] == ["DELETE /v1/kv/a", "DELETE /v1/custom/two"]


def test_vault_07_list_uses_get_list_true(lua, vault):
    vault.put_secret("secret", "a", {"x": 1})
    vault.put_secret("secret", "dir/b", {"x": 1})
    assert run(lua, vault, 'return c:list("secret/metadata")') == ["a", "dir/"]
    req = vault.last()
    assert req.method == "GET" and req.path == "/v1/secret/metadata" and req.query == {"list": "true"}


def test_vault_08_list_404_is_empty_table(lua, vault):
    assert run(lua, vault, 'local k = c:list("secret/metadata/none"); return type(k), #k') == ("table", 0)


def test_vault_08_list_without_keys_is_empty(lua, vault):
    vault.respond("GET", "/v1/odd", 200, {"data": {}})
    assert run(lua, vault, 'return #c:list("odd")') == 0


# ---- KV v2 ----------------------------------------------------------------------

def test_vault_09_kv_get_envelope(lua, vault):
    vault.respond("GET", "/v1/secret/data/mykey", 200,
                  {"data": {"data": {"foo": "bar"}, "metadata": {"version": 3}}})
    assert run(lua, vault, 'local r = c:kv_get("secret", "mykey"); return r.data.foo, r.metadata.version') == ("bar", 3)
    assert vault.last().raw_path == "/v1/secret/data/mykey"


def test_vault_09_kv_get_404_nil(lua, vault):
    assert run(lua, vault, 'return c:kv_get("secret", "nope") == nil') is True


def test_vault_10_kv_put_wraps_data(lua, vault):
    assert run(lua, vault, 'return c:kv_put("secrets", "svc/api", {token = "t1"}).data.version') == 1
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/secrets/data/svc/api", {"data": {"token": "t1"}})
    assert vault.kv2[("secrets", "svc/api")][-1]["data"] == {"token": "t1"}


def test_vault_11_kv_delete(lua, vault):
    vault.put_secret("secret", "gone", {"a": 1})
    assert run(lua, vault, 'c:kv_delete("secret", "gone"); return c:kv_get("secret", "gone") == nil') is True
    assert vault.requests[0].method == "DELETE" and vault.requests[0].path == "/v1/secret/data/gone"


def test_vault_12_kv_list_trailing_slash(lua, vault):
    vault.put_secret("secret", "app1", {"a": 1})
    vault.put_secret("secret", "tls/cert", {"a": 1})
    assert run(lua, vault, 'return c:kv_list("secret")') == ["app1", "tls/"]
    req = vault.last()
    assert req.path == "/v1/secret/metadata/" and req.query == {"list": "true"}
    assert run(lua, vault, 'return c:kv_list("secret", "tls")') == ["cert"]
    assert vault.last().path == "/v1/secret/metadata/tls"


def test_vault_13_kv_metadata_whole_body(lua, vault):
    vault.put_secret("secret", "m", {"a": 1})
    vault.put_secret("secret", "m", {"a": 2})
    result = run(lua, vault, 'local m = c:kv_metadata("secret", "m"); return m.data.current_version, m.request_id')
    assert result == (2, "req-fake")
    assert vault.last().path == "/v1/secret/metadata/m"
    assert run(lua, vault, 'return c:kv_metadata("secret", "none") == nil') is True


# ---- sys --------------------------------------------------------------------------

def test_vault_14_health_no_status_check_no_headers(lua, vault):
    vault.sealed = True  # Vault answers 503 with a JSON body
    assert run(lua, vault, 'local h = c:health(); return h.sealed, h.initialized, h.version') == (True, True, "1.15.0")
    req = vault.last()
    assert req.raw_path == "/v1/sys/health" and "x-vault-token" not in req.headers


def test_vault_15_seal_status(lua, vault):
    assert run(lua, vault, 'local s = c:seal_status(); return s.sealed, s.type') == (False, "shamir")
    assert vault.last().path == "/v1/sys/seal-status" and "x-vault-token" not in vault.last().headers


def test_vault_15_seal_status_error(lua_fails, vault):
    vault.respond("GET", "/v1/sys/seal-status", 500, "internal boom", "text/plain")
    err = fails(lua_fails, vault, "return c:seal_status()")
    assert PREFIX.match(err) and err.endswith("vault: seal-status HTTP 500: internal boom")


def test_vault_16_is_sealed(lua, vault):
    assert run(lua, vault, "return c:is_sealed()") is False
    vault.sealed = True
    assert run(lua, vault, "return c:is_sealed()") is True


def test_vault_17_is_initialized(lua, vault):
    assert run(lua, vault, "return c:is_initialized()") is True
    vault.initialized = False
    assert run(lua, vault, "return c:is_initialized()") is False


# ---- policies -----------------------------------------------------------------------

def test_vault_18_policy_get(lua, vault):
    assert run(lua, vault, 'local p = c:policy_get("default"); return p.name, p.policy') == \
        ("default", vault.policies["default"])
    assert vault.last().path == "/v1/sys/policies/acl/default"
    assert run(lua, vault, 'return c:policy_get("nope") == nil') is True


def test_vault_19_policy_put(lua, vault):
    rules = 'path "secret/*" { capabilities = ["read"] }'
    assert run(lua, vault, 'return c:policy_put("reader", %s) == nil' % json.dumps(rules)) is True
    req = vault.last()
    assert (req.method, req.path, req.json) == ("PUT", "/v1/sys/policies/acl/reader", {"policy": rules})
    assert vault.policies["reader"] == rules


def test_vault_20_policy_delete(lua, vault):
    vault.policies["tmp"] = "x"
    run(lua, vault, 'c:policy_delete("tmp")')
    assert (vault.last().method, vault.last().path) == ("DELETE", "/v1/sys/policies/acl/tmp")
    assert "tmp" not in vault.policies


def test_vault_21_policy_list(lua, vault):
    vault.policies["zeta"] = ""
    assert run(lua, vault, "return c:policy_list()") == ["default", "root", "zeta"]
    assert vault.last().path == "/v1/sys/policies/acl" and vault.last().query == {"list": "true"}


# ---- auth methods ---------------------------------------------------------------------

def test_vault_22_auth_enable(lua, vault):
    run(lua, vault, 'c:auth_enable("kubernetes", "kubernetes", {description = "k8s", config = {default_lease_ttl = "1h"}, ignored = 1})')
    req = vault.last()
    assert (req.method, req.path) == ("POST", "/v1/sys/auth/kubernetes")
    assert req.json == {"type": "kubernetes", "description": "k8s", "config": {"default_lease_ttl": "1h"}}
    run(lua, vault, 'c:auth_enable("approle", "approle")')
    assert vault.last().json == {"type": "approle"}
    assert "approle/" in vault.auth


def test_vault_23_auth_disable(lua, vault):
    vault.auth["userpass/"] = {"type": "userpass"}
    run(lua, vault, 'c:auth_disable("userpass")')
    assert (vault.last().method, vault.last().path) == ("DELETE", "/v1/sys/auth/userpass")
    assert "userpass/" not in vault.auth


def test_vault_24_auth_list(lua, vault):
    assert run(lua, vault, 'local a = c:auth_list(); return a["token/"].type') == "token"
    assert vault.last().path == "/v1/sys/auth"
    vault.respond("GET", "/v1/sys/auth", 200, {"token/": {"type": "token"}})  # no data wrapper
    assert run(lua, vault, 'return c:auth_list()["token/"].type') == "token"


def test_vault_25_auth_config(lua, vault):
    vault.auth["kubernetes/"] = {"type": "kubernetes"}
    run(lua, vault, 'c:auth_config("kubernetes", {kubernetes_host = "https://k8s:443"})')
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/auth/kubernetes/config", {"kubernetes_host": "https://k8s:443"})


def test_vault_26_auth_create_role(lua, vault):
    vault.auth["kubernetes/"] = {"type": "kubernetes"}
    run(lua, vault, 'c:auth_create_role("kubernetes", "app", {bound_service_account_names = {"app"}, policies = {"reader"}})')
    req = vault.last()
    assert (req.method, req.path) == ("POST", "/v1/auth/kubernetes/role/app")
    assert req.json == {"bound_service_account_names": ["app"], "policies": ["reader"]}


def test_vault_27_auth_read_role(lua, vault):
    vault.auth["approle/"] = {"type": "approle"}
    vault.roles[("approle/", "ci")] = {"token_ttl": "1h"}
    assert run(lua, vault, 'return c:auth_read_role("approle", "ci").token_ttl') == "1h"
    assert vault.last().method == "GET" and vault.last().path == "/v1/auth/approle/role/ci"
    assert run(lua, vault, 'return c:auth_read_role("approle", "none") == nil') is True


def test_vault_28_auth_list_roles(lua, vault):
    vault.auth["approle/"] = {"type": "approle"}
    assert run(lua, vault, 'return #c:auth_list_roles("approle")') == 0  # 404 → {}
    vault.roles[("approle/", "b")] = {}
    vault.roles[("approle/", "a")] = {}
    assert run(lua, vault, 'return c:auth_list_roles("approle")') == ["a", "b"]
    assert vault.last().path == "/v1/auth/approle/role" and vault.last().query == {"list": "true"}


# ---- secrets engines --------------------------------------------------------------------

def test_vault_29_engine_enable(lua, vault):
    run(lua, vault, 'c:engine_enable("apps", "kv", {description = "apps", config = {max_lease_ttl = "24h"}, options = {version = "2"}})')
    req = vault.last()
    assert (req.method, req.path) == ("POST", "/v1/sys/mounts/apps")
    assert req.json == {"type": "kv", "description": "apps", "config": {"max_lease_ttl": "24h"}, "options": {"version": "2"}}
    # the new mount is a KV v2 engine now
    assert run(lua, vault, 'c:kv_put("apps", "x", {a = 1}); return c:kv_get("apps", "x").data.a') == 1


def test_vault_30_engine_disable(lua, vault):
    run(lua, vault, 'c:engine_disable("transit")')
    assert (vault.last().method, vault.last().path) == ("DELETE", "/v1/sys/mounts/transit")
    assert "transit/" not in vault.mounts


def test_vault_31_engine_list(lua, vault):
    assert run(lua, vault, 'local m = c:engine_list(); return m["secret/"].options.version, m["sys/"].type') == ("2", "system")
    assert vault.last().path == "/v1/sys/mounts"


def test_vault_32_engine_tune(lua, vault):
    run(lua, vault, 'c:engine_tune("secret", {default_lease_ttl = "1h"})')
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/sys/mounts/secret/tune", {"default_lease_ttl": "1h"})
    assert vault.mounts["secret/"]["config"]["default_lease_ttl"] == "1h"


# ---- tokens ---------------------------------------------------------------------------------

def test_vault_33_token_create(lua, vault):
    result = run(lua, vault, 'local a = c:token_create({policies = {"reader"}, ttl = "1h"}); '
                             'return a.client_token, a.policies, a.renewable')
    token, policies, renewable = result
    assert token in vault.tokens and policies == ["reader"] and renewable is True
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/auth/token/create", {"policies": ["reader"], "ttl": "1h"})


def test_vault_33_token_create_without_opts_sends_object(lua, vault):
    """Spec Note: an empty body is sent as the JSON object {} (Vault refuses [])."""
    assert run(lua, vault, "return c:token_create().client_token") in vault.tokens
    assert vault.last().body == b"{}"


def test_vault_34_token_lookup(lua, vault):
    assert run(lua, vault, 'return c:token_lookup("%s").display_name' % ROOT_TOKEN) == "root"
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/auth/token/lookup", {"token": ROOT_TOKEN})


def test_vault_35_token_lookup_self(lua, vault):
    assert run(lua, vault, "return c:token_lookup_self().policies") == ["root"]
    assert (vault.last().method, vault.last().path) == ("GET", "/v1/auth/token/lookup-self")


def test_vault_36_token_revoke(lua, vault):
    vault.tokens["other"] = {"id": "other"}
    run(lua, vault, 'c:token_revoke("other")')
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/auth/token/revoke", {"token": "other"})
    assert "other" not in vault.tokens


def test_vault_37_token_revoke_self(lua, vault):
    run(lua, vault, "c:token_revoke_self()")
    req = vault.last()
    assert (req.method, req.path, req.body) == ("POST", "/v1/auth/token/revoke-self", b"{}")
    assert ROOT_TOKEN not in vault.tokens


# ---- transit ------------------------------------------------------------------------------------

def test_vault_38_transit_encrypt(lua, vault):
    ciphertext = run(lua, vault, 'return c:transit_encrypt("my-key", "hello world")')
    assert ciphertext.startswith("vault:v1:")
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/transit/encrypt/my-key", {"plaintext": "aGVsbG8gd29ybGQ="})


def test_vault_39_transit_decrypt(lua, vault):
    vault.respond("POST", "/v1/transit/decrypt/my-key", 200, {"data": {"plaintext": "aGVsbG8gd29ybGQ="}})
    assert run(lua, vault, 'return c:transit_decrypt("my-key", "vault:v1:abc")') == "hello world"
    assert vault.last().json == {"ciphertext": "vault:v1:abc"}
    vault.respond("POST", "/v1/transit/decrypt/my-key", 200, {"data": {}})
    assert run(lua, vault, 'return c:transit_decrypt("my-key", "vault:v1:abc") == nil') is True


def test_vault_38_39_transit_round_trip(lua, vault):
    assert run(lua, vault, '''
        c:transit_create_key("app")
        local ct = c:transit_encrypt("app", "pässwörd 1")
        return c:transit_decrypt("app", ct)
    ''') == "pässwörd 1"


def test_vault_40_transit_create_key(lua, vault):
    run(lua, vault, 'c:transit_create_key("k1", {type = "aes256-gcm96"})')
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/transit/keys/k1", {"type": "aes256-gcm96"})
    run(lua, vault, 'c:transit_create_key("k2")')
    assert vault.last().body == b"{}"  # not [] (spec Note)
    assert set(vault.transit_keys) == {"k1", "k2"}


def test_vault_41_transit_list_keys(lua, vault):
    vault.transit_keys.update({"b": {}, "a": {}})
    assert run(lua, vault, "return c:transit_list_keys()") == ["a", "b"]
    assert vault.last().path == "/v1/transit/keys" and vault.last().query == {"list": "true"}


# ---- PKI ------------------------------------------------------------------------------------------

def test_vault_42_pki_issue(lua, vault):
    vault.pki_roles[("pki", "web-certs")] = {}
    result = run(lua, vault, 'local d = c:pki_issue("pki", "web-certs", {common_name = "app.example.com", ttl = "24h"}); '
                             'return d.certificate, d.private_key_type, d.serial_number ~= nil')
    assert "CN=app.example.com" in result[0] and result[1:] == ("rsa", True)
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/pki/issue/web-certs",
                                                {"common_name": "app.example.com", "ttl": "24h"})


def test_vault_43_pki_ca_cert(lua, lua_fails, vault):
    from fake_vault import CA_PEM
    assert run(lua, vault, 'return c:pki_ca_cert("pki")') == CA_PEM
    assert vault.last().path == "/v1/pki/ca/pem" and "x-vault-token" not in vault.last().headers
    assert run(lua, vault, 'return c:pki_ca_cert()') == CA_PEM
    assert vault.last().path == "/v1/pki/ca/pem"
    vault.respond("GET", "/v1/pki_int/ca/pem", 500, "no CA")
    err = fails(lua_fails, vault, 'return c:pki_ca_cert("pki_int")')
    assert PREFIX.match(err) and err.endswith("vault: pki ca cert HTTP 500")


def test_vault_44_pki_create_role(lua, vault):
    run(lua, vault, 'c:pki_create_role("pki", "web", {allowed_domains = {"example.com"}, allow_subdomains = true})')
    req = vault.last()
    assert (req.method, req.path) == ("POST", "/v1/pki/roles/web")
    assert req.json == {"allowed_domains": ["example.com"], "allow_subdomains": True}
    assert vault.pki_roles[("pki", "web")]["allow_subdomains"] is True


# ---- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,code,path", [
    ("GET", 'c:read("secret/data/x")', "/v1/secret/data/x"),
    ("POST", 'c:write("secret/data/x", {data = {a = 1}})', "/v1/secret/data/x"),
    ("PUT", 'c:policy_put("x", "rules")', "/v1/sys/policies/acl/x"),
    ("DELETE", 'c:delete("secret/data/x")', "/v1/secret/data/x"),
    ("LIST", 'c:list("secret/metadata")', "/v1/secret/metadata"),
])
def test_vault_45_error_format(lua_fails, vault, method, code, path):
    vault.respond("GET" if method == "LIST" else method, path, 500, '{"errors":["boom"]}')
    err = fails(lua_fails, vault, code)
    assert PREFIX.match(err), err
    assert err.endswith('vault: %s %s HTTP 500: {"errors":["boom"]}' % (method, path))


def test_vault_45_permission_denied_is_an_error(lua_fails, vault):
    err = fails(lua_fails, vault, 'return c:kv_put("secret", "x", {a = 1})', token="wrong")
    assert err.endswith('vault: POST /v1/secret/data/x HTTP 403: {"errors": ["permission denied"]}')


# ---- module helpers ----------------------------------------------------------------------------------

def test_vault_46_wait_healthy(lua, vault):
    code = 'return require("assay.vault").wait(%s, {timeout = 5, interval = 0.1})' % json.dumps(vault.url)
    assert lua(code) is True
    req = vault.last()
    assert req.path == "/v1/sys/health"
    assert req.query == {"standbyok": "true", "sealedcode": "200", "uninitcode": "200"}
    assert "x-vault-token" not in req.headers


def test_vault_46_wait_retries_until_healthy(assay, vault):
    vault.respond("GET", "/v1/sys/health", 503, {"sealed": True})
    orig = vault.dispatch

    def dispatch(req):  # the third probe finds Vault healthy
        if len([q for q in vault.requests if q.path == "/v1/sys/health"]) >= 3:
            vault.overrides.pop(("GET", "/v1/sys/health"), None)
        return orig(req)
    vault.dispatch = dispatch
    code = 'print(require("assay.vault").wait(%s, {timeout = 5, interval = 0.1}))' % json.dumps(vault.url)
    r = assay("exec", "-e", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "true\n"
    assert "Waiting for Vault... (1/50)" in r.stderr and "Waiting for Vault... (2/50)" in r.stderr
    assert re.search(r"INFO Vault healthy after 0\.3\d*s\n", r.stderr)
    assert len([q for q in vault.requests if q.path == "/v1/sys/health"]) == 3


def test_vault_47_wait_not_reachable(lua_fails, vault):
    vault.respond("GET", "/v1/sys/health", 503, {"sealed": True})
    err = lua_fails('return require("assay.vault").wait(%s, {timeout = 1, interval = 0.5})' % json.dumps(vault.url))
    assert PREFIX.match(err) and err.endswith("vault.wait: not reachable at %s after 1s" % vault.url)
    assert len([q for q in vault.requests if q.path == "/v1/sys/health"]) == 2


def test_vault_47_wait_transport_errors_are_caught(lua_fails):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    err = lua_fails('return require("assay.vault").wait("http://127.0.0.1:%d", {timeout = 0.2, interval = 0.1})' % port)
    assert err.endswith("vault.wait: not reachable at http://127.0.0.1:%d after 0.2s" % port)


K8S_STUB = '''
local seen = {}
package.loaded["assay.k8s"] = {get_secret = function(ns, name)
  seen.ns, seen.name = ns, name
  return SECRETS[ns .. "/" .. name] or error("k8s: secret not found")
end}
'''


def test_vault_48_authenticated_client_defaults(lua, vault):
    vault.put_secret("secret", "x", {"v": "ok"})
    code = ('SECRETS = {["secrets/openbao-root-token"] = {["root-token"] = "  %s\\n"}}\n' % ROOT_TOKEN + K8S_STUB +
            'local c = require("assay.vault").authenticated_client(%s, {timeout = 2, interval = 0.1})\n'
            'return seen.ns, seen.name, c:kv_get("secret", "x").data.v' % json.dumps(vault.url))
    assert lua(code) == ("secrets", "openbao-root-token", "ok")
    assert vault.requests[0].path == "/v1/sys/health"
    assert vault.last().headers["x-vault-token"] == ROOT_TOKEN  # whitespace trimmed


def test_vault_48_authenticated_client_options(lua, vault):
    code = ('SECRETS = {["vault/boot"] = {tok = "%s"}}\n' % ROOT_TOKEN + K8S_STUB +
            'local c = require("assay.vault").authenticated_client(%s, '
            '{secret_ns = "vault", secret_name = "boot", secret_key = "tok", timeout = 2, interval = 0.1})\n'
            'return seen.ns, seen.name, c:token_lookup_self().id' % json.dumps(vault.url))
    assert lua(code) == ("vault", "boot", ROOT_TOKEN)


def test_vault_48_authenticated_client_missing_key(lua_fails, vault):
    code = ('SECRETS = {["secrets/openbao-root-token"] = {other = "x"}}\n' + K8S_STUB +
            'return require("assay.vault").authenticated_client(%s, {timeout = 2, interval = 0.1})' % json.dumps(vault.url))
    err = lua_fails(code)
    assert "assert.not_nil failed: value is nil - vault.authenticated_client: key 'root-token' not found " \
           "in secret secrets/openbao-root-token" in err


def test_vault_49_ensure_credentials_existing(lua, vault):
    vault.put_secret("secrets", "db/app", {"password": "old", "user": "app"})
    code = client_code(vault, '''
        local called = false
        local creds = vault.ensure_credentials(c, "db/app", "password", function() called = true; return {password = "new"} end)
        return creds.password, creds.user, called
    ''')
    assert lua(code) == ("old", "app", False)
    assert [r.method + " " + r.path for r in vault.requests] == ["GET /v1/secrets/data/db/app"]


def test_vault_50_ensure_credentials_generates(lua, vault):
    code = client_code(vault, '''
        local creds = vault.ensure_credentials(c, "db/new", "password", function() return {password = "gen", user = "u"} end)
        return creds.password, creds.user
    ''')
    assert lua(code) == ("gen", "u")
    req = vault.last()
    assert (req.method, req.path, req.json) == ("POST", "/v1/secrets/data/db/new", {"data": {"password": "gen", "user": "u"}})
    assert vault.kv2[("secrets", "db/new")][-1]["data"] == {"password": "gen", "user": "u"}


def test_vault_50_ensure_credentials_missing_check_key_regenerates(lua, vault):
    vault.put_secret("secrets", "db/partial", {"user": "u"})
    code = client_code(vault, 'return vault.ensure_credentials(c, "db/partial", "password", function() return {password = "p"} end).password')
    assert lua(code) == "p"
    assert vault.last().method == "POST"


def test_vault_51_assert_secret_ok(assay, vault):
    vault.put_secret("secrets", "svc", {"a": "1", "b": "2"})
    code = client_code(vault, 'local d = vault.assert_secret(c, "svc", {"a", "b"}); print(d.a .. d.b)')
    r = assay("exec", "-e", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "12\n"
    assert "Secret verified at secrets/svc (2 keys)" in r.stderr


def test_vault_52_assert_secret_missing(lua_fails, vault):
    err = fails(lua_fails, vault, 'return vault.assert_secret(c, "nothing", {"a"})')
    assert "assert.not_nil failed: value is nil - vault.assert_secret: secret not found at secrets/nothing" in err


def test_vault_52_assert_secret_no_data(lua_fails, vault):
    vault.respond("GET", "/v1/secrets/data/empty", 200, {"data": {"metadata": {}}})
    err = fails(lua_fails, vault, 'return vault.assert_secret(c, "empty", {"a"})')
    assert "vault.assert_secret: no data at secrets/empty" in err


def test_vault_53_assert_secret_missing_key(lua_fails, vault):
    vault.put_secret("secrets", "svc", {"a": "1"})
    err = fails(lua_fails, vault, 'return vault.assert_secret(c, "svc", {"a", "b", "c"})')
    assert "assert.not_nil failed: value is nil - vault.assert_secret: key 'b' missing at secrets/svc" in err


def test_vault_transit_plaintext_is_standard_base64(lua, vault):
    """VAULT-38: standard alphabet with padding (bytes that give + and / in base64)."""
    run(lua, vault, 'c:transit_encrypt("k", "\\251\\255\\191?")')
    assert vault.last().json["plaintext"] == base64.b64encode(b"\xfb\xff\xbf?").decode()


def test_vault_both_generations(lua, vault):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, vault, '''c:kv_put("secret", "gen/old", {user = "u1"})
        c:policy_put("gen-old", 'path "x" { capabilities = ["read"] }')
        local out = {c:kv_get("secret", "gen/old").data.user, c:kv_list("secret", "gen")[1],
            c:kv_metadata("secret", "gen/old") ~= nil, c:is_sealed(), c:is_initialized(), c:policy_get("gen-old").name,
            c:auth_list()["token/"].type, c:engine_list()["secret/"].type, c:token_lookup_self() ~= nil,
            c:token_create().client_token ~= nil}
        c:kv_delete("secret", "gen/old"); c:policy_delete("gen-old")
        out[#out + 1] = c:kv_get("secret", "gen/old") == nil
        return out''')
    new = run(lua, vault, '''c.kv:put("secret", "gen/new", {user = "u1"})
        c.policies:create("gen-new", 'path "x" { capabilities = ["read"] }')
        local out = {c.kv:get("secret", "gen/new").data.user, c.kv:list("secret", "gen")[1],
            c.kv:metadata("secret", "gen/new") ~= nil, c.sys:is_sealed(), c.sys:is_initialized(),
            c.policies:get("gen-new").name, c.auth:methods()["token/"].type, c.engines:list()["secret/"].type,
            c.token:lookup_self() ~= nil, c.token:create().client_token ~= nil}
        c.kv:delete("secret", "gen/new"); c.policies:delete("gen-new")
        out[#out + 1] = c.kv:get("secret", "gen/new") == nil
        return out''')
    assert old == ["u1", "old", True, False, True, "gen-old", "token", "kv", True, True, True]
    assert new == ["u1", "new", True, False, True, "gen-new", "token", "kv", True, True, True]


def test_vault_helpers_take_the_mount_first_too(lua, vault):
    """ensure_credentials / assert_secret: 0.8.3's (client, path, ...) on mount "secrets", and current
    Assay's (client, mount, path, ...)."""
    out = run(lua, vault, '''local calls = 0
        local gen = function() calls = calls + 1; return {user = "u", pass = "p" .. calls} end
        local a = vault.ensure_credentials(c, "app/db", "pass", gen)
        local b = vault.ensure_credentials(c, "kv", "app/db", "pass", gen)
        local again = vault.ensure_credentials(c, "kv", "app/db", "pass", gen)
        return a.pass, b.pass, again.pass, calls, vault.assert_secret(c, "app/db", {"user"}).pass,
               vault.assert_secret(c, "kv", "app/db", {"user", "pass"}).pass''')
    assert out == ("p1", "p2", "p2", 2, "p1", "p2")
