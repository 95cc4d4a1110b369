"""assay.dex (spec stdlib/dex.md, DEX-01..21) against the shared Dex fake (fake_dex.FakeDex: issuers
/dex (complete), /minimal, /wrong (foreign issuer) and /nokeys (JWKS endpoint failing))."""
import re

from fake_dex import JWKS, dex, dex_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local dex = require("assay.dex")\n'


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def fails(lua_fails, code, url):
    return lua_fails(lua_with(lambda c: c, REQ + code, URL=url))


def test_dex_01_discovery(lua, dex):
    doc = run(lua, 'return dex.discovery("$URL/dex")', dex.url)
    issuer = dex.url + "/dex"
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == issuer + "/auth"
    assert doc["token_endpoint"] == issuer + "/token"
    assert doc["jwks_uri"] == issuer + "/keys"
    assert doc["userinfo_endpoint"] == issuer + "/userinfo"
    r = dex.last()
    assert (r.method, r.target) == ("GET", "/dex/.well-known/openid-configuration")
    assert r.header("Authorization") is None
    # trailing slashes are stripped
    run(lua, 'return dex.discovery("$URL/dex//")', dex.url)
    assert dex.last().target == "/dex/.well-known/openid-configuration"


def test_dex_02_discovery_error(lua_fails, dex):
    msg = fails(lua_fails, 'dex.discovery("$URL/nothing")', dex.url)
    assert re.search(r"assay/\w+\.lua:\d+: dex\.discovery: HTTP 404: 404 page not found\n$", msg), repr(msg)
    dex.fail("GET", "/dex/.well-known/openid-configuration", 500, "Internal server error.")
    msg = fails(lua_fails, 'dex.discovery("$URL/dex")', dex.url)
    assert msg.endswith("dex.discovery: HTTP 500: Internal server error.")


def test_dex_03_jwks(lua, dex):
    jwks = run(lua, 'return dex.jwks("$URL/dex")', dex.url)
    assert jwks == JWKS
    assert [(k["kty"], k["alg"]) for k in jwks["keys"]] == [("RSA", "RS256"), ("RSA", "RS256")]
    assert jwks["keys"][0]["kid"].startswith("5c0c8c7b")
    assert [r.target for r in dex.requests] == ["/dex/.well-known/openid-configuration", "/dex/keys"]
    # fresh discovery on every call
    run(lua, 'dex.jwks("$URL/dex"); return dex.jwks("$URL/dex")', dex.url)
    assert len(dex.requests) == 6


def test_dex_04_jwks_errors(lua_fails, dex):
    msg = fails(lua_fails, 'dex.jwks("$URL/minimal")', dex.url)
    assert re.search(r"assay/dex\.lua:\d+: dex\.jwks: discovery response missing jwks_uri$", msg), msg
    msg = fails(lua_fails, 'dex.jwks("$URL/nokeys")', dex.url)
    assert msg.endswith("dex.jwks: HTTP 500: Internal server error.")
    assert dex.last().target == "/nokeys/broken-keys"


def test_dex_05_issuer(lua, dex):
    assert run(lua, 'return dex.issuer("$URL/dex")', dex.url) == dex.url + "/dex"
    assert run(lua, 'return dex.issuer("$URL/wrong")', dex.url) == "https://dex.example.com/dex"


def test_dex_06_health_true(lua, dex):
    assert run(lua, 'return dex.health("$URL/dex")', dex.url) is True
    assert dex.last().target == "/dex/healthz"


def test_dex_07_health_false_on_503(lua, lua_fails, dex):
    dex.healthy = False
    assert run(lua, 'return dex.health("$URL/dex")', dex.url) is False
    assert dex.last().target == "/dex/healthz"
    # transport errors propagate
    assert "http.get failed" in lua_fails(REQ + 'return dex.health("http://127.0.0.1:1")')


def test_dex_08_ready_is_health(lua, dex):
    assert run(lua, 'return dex.ready("$URL/dex/")', dex.url) is True
    assert dex.last().target == "/dex/healthz"
    dex.healthy = False
    assert run(lua, 'return dex.ready("$URL/dex")', dex.url) is False


def test_dex_09_has_endpoint_true(lua, dex):
    out = run(lua, 'local u = "$URL/dex"; return dex.has_endpoint(u, "authorization_endpoint"), '
                   'dex.has_endpoint(u, "token_endpoint"), dex.has_endpoint(u, "userinfo_endpoint")', dex.url)
    assert out == (True, True, True)


def test_dex_10_has_endpoint_false(lua, dex):
    out = run(lua, 'local u = "$URL/dex"; return dex.has_endpoint(u, "device_authorization_endpoint"), '
                   'dex.has_endpoint(u, "no_such_endpoint"), dex.has_endpoint("$URL/minimal", "token_endpoint")',
              dex.url)
    assert out == (False, False, False)


def test_dex_11_supported_scopes(lua, dex):
    assert run(lua, 'return dex.supported_scopes("$URL/dex")', dex.url) == [
        "openid", "profile", "email", "groups", "offline_access"]
    assert run(lua, 'local s = dex.supported_response_types("$URL/minimal"); return type(s), #s', dex.url) == (
        "table", 0)
    assert run(lua, 'return dex.supported_scopes("$URL/minimal")', dex.url) == ["openid", "email"]


def test_dex_12_supports_scope(lua, dex):
    out = run(lua, 'local u = "$URL/dex"; return dex.supports_scope(u, "openid"), dex.supports_scope(u, "email"), '
                   'dex.supports_scope(u, "offline_access"), dex.supports_scope(u, "phone"), '
                   'dex.supports_scope(u, "address"), dex.supports_scope(u, "OPENID")', dex.url)
    assert out == (True, True, True, False, False, False)


def test_dex_13_supported_response_types(lua, dex):
    types = run(lua, 'return dex.supported_response_types("$URL/dex")', dex.url)
    assert len(types) == 3 and types[0] == "code"


def test_dex_14_supported_grant_types(lua, dex):
    grants = run(lua, 'return dex.supported_grant_types("$URL/dex")', dex.url)
    assert grants[:2] == ["authorization_code", "refresh_token"] and len(grants) == 3
    assert run(lua, 'return #dex.supported_grant_types("$URL/minimal")', dex.url) == 0


def test_dex_15_supports_grant_type(lua, dex):
    out = run(lua, 'local u = "$URL/dex"; return dex.supports_grant_type(u, "authorization_code"), '
                   'dex.supports_grant_type(u, "refresh_token"), dex.supports_grant_type(u, "implicit")', dex.url)
    assert out == (True, True, False)


def test_dex_16_validate_config_ok(lua, dex):
    out = run(lua, 'local r = dex.validate_config("$URL/dex"); return r.ok, type(r.errors), #r.errors', dex.url)
    assert out == (True, "table", 0)
    # trailing slashes of the URL are stripped before the comparison
    assert run(lua, 'return dex.validate_config("$URL/dex/").ok', dex.url) is True


def test_dex_17_validate_config_missing_endpoints(lua, dex):
    result = run(lua, 'return dex.validate_config("$URL/minimal")', dex.url)
    assert result == {"ok": False, "errors": ["missing authorization_endpoint", "missing token_endpoint",
                                              "missing jwks_uri"]}


def test_dex_18_validate_config_issuer_mismatch(lua, dex):
    result = run(lua, 'return dex.validate_config("$URL/wrong")', dex.url)
    assert result == {"ok": False, "errors": [
        "issuer mismatch: expected %s/wrong, got https://dex.example.com/dex" % dex.url]}
    dex.set("GET", "/dex/.well-known/openid-configuration", 200,
            {"authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"})
    assert run(lua, 'return dex.validate_config("$URL/dex")', dex.url) == {"ok": False, "errors": ["missing issuer"]}
    # an issuer differing only by a trailing slash is a mismatch (exact comparison)
    dex.set("GET", "/dex/.well-known/openid-configuration", 200,
            {"issuer": dex.url + "/dex/", "authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"})
    assert run(lua, 'return #dex.validate_config("$URL/dex").errors', dex.url) == 1


def test_dex_19_validate_config_discovery_failed(lua, dex):
    result = run(lua, 'return dex.validate_config("$URL/nothing")', dex.url)
    assert result["ok"] is False and len(result["errors"]) == 1
    assert re.fullmatch(r"discovery failed: assay/\w+\.lua:\d+: dex\.discovery: HTTP 404: 404 page not found\n",
                        result["errors"][0]), result
    result = run(lua, 'return dex.validate_config("http://127.0.0.1:1")', dex.url)
    assert result["errors"][0].startswith("discovery failed: http.get failed: ")


def test_dex_20_admin_version(lua, dex):
    dex.set("GET", "/dex/api/v1/version", 200, {"server": "dex", "version": "2.39.0", "api": 2})
    v = run(lua, 'return dex.admin_version("$URL/dex")', dex.url)
    assert (v["server"], v["version"]) == ("dex", "2.39.0")
    assert dex.last().target == "/dex/api/v1/version"


def test_dex_21_admin_version_nil_on_failure(lua, dex):
    # a real Dex has no such HTTP endpoint: 404
    assert run(lua, 'return dex.admin_version("$URL/dex") == nil', dex.url) is True
    dex.set("GET", "/dex/api/v1/version", 200, "<html>not json</html>", "text/html")
    assert run(lua, 'return dex.admin_version("$URL/dex") == nil', dex.url) is True
    assert run(lua, 'return dex.admin_version("http://127.0.0.1:1") == nil', dex.url) is True


def test_dex_client_form_binds_url_and_auth(lua, dex):
    """Issue 12: dex.client(url, opts) returns an object whose methods are the module functions."""
    code = 'local c = dex.client("$URL/dex/", {token = "t0k"})\n' \
        'return c:issuer(), #c:jwks().keys, c:health(), c:supports_scope("groups"), c:validate_config().ok, c.url'
    assert run(lua, code, dex.url) == (dex.url + "/dex", 2, True, True, True, dex.url + "/dex")
    assert {r.target for r in dex.requests} == {"/dex/.well-known/openid-configuration", "/dex/keys", "/dex/healthz"}
    assert all(r.header("Authorization") == "Bearer t0k" for r in dex.requests)
    run(lua, 'return dex.client("$URL/dex", {username = "admin", password = "pw"}):discovery()', dex.url)
    assert dex.last().header("Authorization") == "Basic YWRtaW46cHc="
    run(lua, 'return dex.client("$URL/dex"):has_endpoint("token_endpoint")', dex.url)
    assert dex.last().header("Authorization") is None


def test_dex_both_generations(lua, dex):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''local c = dex.client("$URL/dex")
        return {c:discovery().issuer, #c:jwks().keys, c:issuer(), c:has_endpoint("token_endpoint"), c:health(),
                c:ready(), #c:supported_scopes() > 0, c:supports_scope("openid"), #c:supported_grant_types() > 0,
                c:supports_grant_type("authorization_code"), #c:supported_response_types() > 0,
                c:validate_config().ok}''', dex.url)
    new = run(lua, '''local c = dex.client("$URL/dex")
        return {c.discovery:config().issuer, #c.discovery:jwks().keys, c.discovery:issuer(),
                c.discovery:has_endpoint("token_endpoint"), c.health:check(), c.health:ready(), #c.scopes:list() > 0,
                c.scopes:supports("openid"), #c.grants:list() > 0, c.grants:supports("authorization_code"),
                #c.grants:response_types() > 0, c:validate_config().ok}''', dex.url)
    issuer = dex.url + "/dex"
    assert old == new == [issuer, 2, issuer, True, True, True, True, True, True, True, True, True]
    # c.discovery and c.health are groups and, called, the 0.8.3 methods
    assert run(lua, 'local c = dex.client("$URL/dex"); return c.discovery().issuer, c:health()', dex.url) == \
        (issuer, True)
