"""assay.zitadel (spec stdlib/zitadel.md, ZITADEL-01..30) against the Zitadel fake
(fake_zitadel.FakeZitadel: virtual host auth.example.com, JWT bearer grant verified with PyJWT)."""
import json
import re
import time

import jwt

from fake_zitadel import PAT, zitadel, zitadel_server  # noqa: F401 (fixtures)
from fakes import lua_with

PAT_CLIENT = ('local zitadel = require("assay.zitadel")\n'
              'local c = zitadel.client({url = "$URL/", domain = "example.com", token = "%s"})\n' % PAT)


def run(lua, fake, code):
    return lua_with(lua, PAT_CLIENT + code, URL=fake.url)


def fails(lua_fails, fake, code):
    return lua_with(lua_fails, PAT_CLIENT + code, URL=fake.url)


def key_literal(key):
    """A Lua table constructor for a machine-key object."""
    return "{%s}" % ", ".join("%s = %s" % (k, json.dumps(v)) for k, v in key.items())


def api_requests(fake):
    return [r for r in fake.requests if r.path != "/oauth/v2/token"]


def test_zitadel_01_module_has_client(lua):
    assert lua('return type(require("assay.zitadel").client)') == "function"


def test_zitadel_02_token_client_fields(lua, zitadel):
    out = run(lua, zitadel, "return c.url, c.domain, c.access_token, c.host_header")
    assert out == (zitadel.url, "example.com", PAT, "auth.example.com")
    assert zitadel.requests == []  # a PAT needs no HTTP call


def test_zitadel_03_required_options(lua_fails):
    msg = lua_fails('require("assay.zitadel").client({domain = "example.com", token = "t"})')
    assert msg.endswith("assert.not_nil failed: value is nil - zitadel.client: url required"), msg
    msg = lua_fails('require("assay.zitadel").client({url = "http://z", token = "t"})')
    assert msg.endswith("assert.not_nil failed: value is nil - zitadel.client: domain required"), msg
    msg = lua_fails('require("assay.zitadel").client({url = "http://z", domain = "example.com"})')
    assert re.search(r"^assay/zitadel\.lua:\d+: zitadel\.client: one of machine_key, machine_key_file, or token "
                     r"required$", msg), msg


def test_zitadel_04_machine_key_jwt_bearer_grant(lua, zitadel):
    before = int(time.time())
    code = ('local c = require("assay.zitadel").client({url = "$URL", domain = "example.com", machine_key = %s})\n'
            'return c.access_token' % key_literal(zitadel.machine_key()))
    token = lua_with(lua, code, URL=zitadel.url)
    assert token in zitadel.tokens and token.startswith("zat_")
    req = zitadel.last("/oauth/v2/token")
    assert req.method == "POST"
    assert req.header("Host") == "auth.example.com"
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert req.header("Authorization") is None
    body = req.body.decode()
    prefix = ("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
              "&scope=openid+urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud&assertion=")
    assert body.startswith(prefix)
    assertion = body[len(prefix):]
    # verified here with PyJWT against the machine key's public half
    header = jwt.get_unverified_header(assertion)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": zitadel.key_id}
    claims = jwt.decode(assertion, zitadel.public_key, algorithms=["RS256"], audience="https://auth.example.com")
    assert claims["iss"] == claims["sub"] == zitadel.user_id
    assert claims["aud"] == "https://auth.example.com"
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int)  # spec note: integer seconds
    assert claims["exp"] == claims["iat"] + 300
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1
    assert set(claims) == {"iss", "sub", "aud", "iat", "exp"}


def test_zitadel_05_token_exchange_failure(lua_fails, zitadel):
    key = dict(zitadel.machine_key(), keyId="unknown-key")
    msg = lua_with(lua_fails, 'require("assay.zitadel").client({url = "$URL", domain = "example.com", '
                              'machine_key = %s})' % key_literal(key), URL=zitadel.url)
    assert re.search(r'^assay/zitadel\.lua:\d+: zitadel: token exchange failed \(HTTP 400\): '
                     r'\{"error": "invalid_grant", "error_description": "assertion invalid: unknown key id', msg), msg
    # wrong domain: the instance is not found under that virtual host
    msg = lua_with(lua_fails, 'require("assay.zitadel").client({url = "$URL", domain = "other.example", '
                              'machine_key = %s})' % key_literal(zitadel.machine_key()), URL=zitadel.url)
    assert "zitadel: token exchange failed (HTTP 404): " in msg


def test_zitadel_05_no_access_token_in_response(lua, lua_fails, zitadel):
    zitadel.fail("POST", "/oauth/v2/token", 200, '{"token_type":"Bearer"}', "application/json")
    msg = lua_with(lua_fails, 'require("assay.zitadel").client({url = "$URL", domain = "example.com", '
                              'machine_key = %s})' % key_literal(zitadel.machine_key()), URL=zitadel.url)
    assert re.search(r"^assay/zitadel\.lua:\d+: zitadel: no access_token in token response$", msg), msg


def test_zitadel_05_exchanged_token_is_stored_and_used(lua, zitadel):
    code = ('local c = require("assay.zitadel").client({url = "$URL", domain = "example.com", machine_key = %s})\n'
            'return c.access_token, c:get_login_policy().allowRegister' % key_literal(zitadel.machine_key()))
    token, allow = lua_with(lua, code, URL=zitadel.url)
    assert allow is True
    assert zitadel.last("/admin/v1/policies/login").header("Authorization") == "Bearer " + token


def test_zitadel_06_machine_key_file(lua, lua_fails, zitadel, tmp_path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(zitadel.machine_key()))
    code = ('local c = require("assay.zitadel").client({url = "$URL", domain = "example.com", '
            'machine_key_file = "%s", token = "ignored"})\nreturn c.access_token' % path)
    token = lua_with(lua, code, URL=zitadel.url)
    assert token in zitadel.tokens and token != "ignored"
    assert zitadel.assertions[-1]["claims"]["sub"] == zitadel.user_id
    for missing in ("userId", "key", "keyId"):
        key = zitadel.machine_key()
        del key[missing]
        path.write_text(json.dumps(key))
        msg = lua_with(lua_fails, 'require("assay.zitadel").client({url = "$URL", domain = "example.com", '
                                  'machine_key_file = "%s"})' % path, URL=zitadel.url)
        assert re.search(r"^assay/zitadel\.lua:\d+: zitadel: machine key missing %s$" % missing, msg), msg
    msg = lua_with(lua_fails, 'require("assay.zitadel").client({url = "$URL", domain = "example.com", '
                              'machine_key_file = "%s"})' % (tmp_path / "absent.json"), URL=zitadel.url)
    assert msg.startswith('fs.read: failed to read "%s"' % (tmp_path / "absent.json")), msg


def test_zitadel_06_precedence(lua, zitadel):
    """machine_key > machine_key_file > token."""
    code = ('local c = require("assay.zitadel").client({url = "$URL", domain = "example.com", machine_key = %s, '
            'machine_key_file = "/nonexistent", token = "pat"})\nreturn c.access_token' % key_literal(zitadel.machine_key()))
    assert lua_with(lua, code, URL=zitadel.url).startswith("zat_")


def test_zitadel_07_api_headers(lua, zitadel):
    run(lua, zitadel, 'return c:find_project("x")')
    req = zitadel.last("/management/v1/projects/_search")
    assert req.header("Authorization") == "Bearer " + PAT
    assert req.header("Content-Type") == "application/json"
    assert req.header("Host") == "auth.example.com"
    run(lua, zitadel, "return c:get_login_policy()")
    get = zitadel.last("/admin/v1/policies/login")
    assert get.method == "GET" and get.header("Host") == "auth.example.com" and get.body == b""


def test_zitadel_07_missing_body_is_empty_object(lua, zitadel):
    assert run(lua, zitadel, "return #c:search_users()") == 2
    assert zitadel.last("/management/v1/users/_search").body == b"{}"
    assert run(lua, zitadel, "return #c:search_users({})") == 2
    assert zitadel.last("/management/v1/users/_search").body == b"{}"


def test_zitadel_08_primary_domain_already_set(lua, zitadel):
    zitadel.domains.append({"domainName": "example.com", "isVerified": True, "isPrimary": False})
    zitadel.domains[0]["isPrimary"] = False
    zitadel.domains[1]["isPrimary"] = True
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is True
    assert [(r.method, r.path) for r in zitadel.requests] == [("GET", "/admin/v1/orgs/me/domains")]


def test_zitadel_09_adds_then_sets_primary(lua, zitadel):
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is True
    assert [(r.method, r.path) for r in zitadel.requests] == [
        ("GET", "/admin/v1/orgs/me/domains"),
        ("POST", "/admin/v1/orgs/me/domains"),
        ("POST", "/admin/v1/orgs/me/domains/example.com/_set_primary")]
    assert zitadel.requests[1].json() == {"domain": "example.com"}
    assert zitadel.requests[2].body == b"{}"  # shared empty-body rule (Zitadel refuses [])
    assert [d["domainName"] for d in zitadel.domains if d["isPrimary"]] == ["example.com"]


def test_zitadel_10_add_conflict_still_sets_primary(lua, zitadel):
    zitadel.domains.append({"domainName": "example.com", "isVerified": True, "isPrimary": False})
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is True
    statuses = [(r.path, r.method) for r in zitadel.requests]
    assert statuses[-1] == ("/admin/v1/orgs/me/domains/example.com/_set_primary", "POST")
    assert len(statuses) == 3  # list, add (409), set primary


def test_zitadel_11_list_failure_returns_false(lua, assay, zitadel):
    zitadel.fail("GET", "/admin/v1/orgs/me/domains", 500, "internal")
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is False
    assert len(zitadel.requests) == 1
    proc = assay("exec", "-e", PAT_CLIENT.replace("$URL", zitadel.url) +
                 'print(c:ensure_primary_domain("example.com"))')
    assert "zitadel: could not list org domains (HTTP 500)" in proc.stderr and "false" in proc.stdout


def test_zitadel_11_add_and_set_failures(lua, zitadel):
    zitadel.fail("POST", "/admin/v1/orgs/me/domains", 403, "denied")
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is False
    zitadel.reset()
    zitadel.fail("POST", "/admin/v1/orgs/me/domains/example.com/_set_primary", 400, "not verified")
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is False


def test_zitadel_domain_paths_fall_back_to_management_api(lua, zitadel):
    """Spec note: real Zitadel has the org-domain endpoints only under /management/v1; when the
    original /admin/v1 listing is unknown (404), the module uses the management API."""
    zitadel.legacy_domain_api = False
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is True
    assert [(r.method, r.path, r.body) for r in zitadel.requests] == [
        ("GET", "/admin/v1/orgs/me/domains", b""),
        ("POST", "/management/v1/orgs/me/domains/_search", b"{}"),
        ("POST", "/management/v1/orgs/me/domains", b'{"domain":"example.com"}'),
        ("POST", "/management/v1/orgs/me/domains/example.com/_set_primary", b"{}")]
    assert [d["domainName"] for d in zitadel.domains if d["isPrimary"]] == ["example.com"]
    zitadel.requests.clear()
    assert run(lua, zitadel, 'return c:ensure_primary_domain("example.com")') is True
    assert len(zitadel.requests) == 2  # already primary: list (404) + management list


def test_zitadel_12_find_project(lua, zitadel):
    assert run(lua, zitadel, 'return c:find_project("web")') is None
    req = zitadel.last("/management/v1/projects/_search")
    assert req.json() == {"queries": [{"nameQuery": {"name": "web", "method": "TEXT_QUERY_METHOD_EQUALS"}}]}
    pid = run(lua, zitadel, 'return c:create_project("web").id')
    run(lua, zitadel, 'return c:create_project("web-extra")')
    assert run(lua, zitadel, 'return c:find_project("web")') == zitadel.projects[pid]
    zitadel.fail("POST", "/management/v1/projects/_search", 500, "boom")
    assert run(lua, zitadel, 'return c:find_project("web")') is None


def test_zitadel_13_create_project(lua, lua_fails, zitadel):
    out = run(lua, zitadel, 'return c:create_project("new-project")')
    assert out["id"] in zitadel.projects and "details" in out
    req = zitadel.last("/management/v1/projects")
    assert req.method == "POST" and req.json() == {"name": "new-project"}
    run(lua, zitadel, 'return c:create_project("p2", {projectRoleAssertion = true})')
    assert zitadel.last("/management/v1/projects").json() == {"name": "p2", "projectRoleAssertion": True}
    msg = fails(lua_fails, zitadel, 'c:create_project("p2")')
    assert re.search(r"^assay/zitadel\.lua:\d+: zitadel: failed to create project 'p2' \(HTTP 409\): "
                     r'\{"code": 6, "message": "Errors.Project.AlreadyExists"', msg), msg


def test_zitadel_14_ensure_project(lua, zitadel):
    first = run(lua, zitadel, 'return c:ensure_project("apps")')
    assert [r.path for r in zitadel.requests] == ["/management/v1/projects/_search", "/management/v1/projects"]
    zitadel.requests.clear()
    second = run(lua, zitadel, 'return c:ensure_project("apps")')
    assert second["id"] == first["id"] and second["name"] == "apps"
    assert [r.path for r in zitadel.requests] == ["/management/v1/projects/_search"]


def add_project(lua, fake, name="apps"):
    return run(lua, fake, 'return c:create_project("%s").id' % name)


def test_zitadel_15_find_app(lua, zitadel):
    pid = add_project(lua, zitadel)
    run(lua, zitadel, 'c:create_oidc_app("%s", {name = "grafana", subdomain = "grafana", callbackPath = "/login"})' % pid)
    run(lua, zitadel, 'c:create_oidc_app("%s", {name = "grafana-dev", subdomain = "g", callbackPath = "/cb"})' % pid)
    app = run(lua, zitadel, 'return c:find_app("%s", "grafana")' % pid)
    assert app["name"] == "grafana"
    req = zitadel.last("/management/v1/projects/%s/apps/_search" % pid)
    assert req.json() == {"query": {"limit": 100},
                          "queries": [{"nameQuery": {"name": "grafana", "method": "TEXT_QUERY_METHOD_EQUALS"}}]}
    assert run(lua, zitadel, 'return c:find_app("%s", "other")' % pid) is None


def test_zitadel_15_find_app_filters_client_side(lua, zitadel):
    pid = add_project(lua, zitadel)
    run(lua, zitadel, 'c:create_oidc_app("%s", {name = "grafana-dev", subdomain = "g", callbackPath = "/cb"})' % pid)
    run(lua, zitadel, 'c:create_oidc_app("%s", {name = "grafana", subdomain = "g2", callbackPath = "/cb"})' % pid)
    body = json.dumps({"result": [app for app in zitadel.apps[pid].values()]})
    zitadel.fail("POST", "/management/v1/projects/%s/apps/_search" % pid, 200, body, "application/json")
    assert run(lua, zitadel, 'return c:find_app("%s", "grafana").name' % pid) == "grafana"
    assert run(lua, zitadel, 'return c:find_app("%s", "graf")' % pid) is None


def test_zitadel_16_find_app_retries_without_name_filter(lua, zitadel):
    pid = add_project(lua, zitadel)
    run(lua, zitadel, 'c:create_oidc_app("%s", {name = "argocd", subdomain = "argocd", callbackPath = "/auth"})' % pid)
    zitadel.old_app_search = True
    zitadel.requests.clear()
    assert run(lua, zitadel, 'return c:find_app("%s", "argocd").name' % pid) == "argocd"
    bodies = [r.json() for r in zitadel.requests]
    assert bodies == [{"query": {"limit": 100}, "queries": [{"nameQuery": {"name": "argocd",
                                                                         "method": "TEXT_QUERY_METHOD_EQUALS"}}]},
                      {"query": {"limit": 100}}]
    zitadel.fail("POST", "/management/v1/projects/%s/apps/_search" % pid, 500, "down")
    assert run(lua, zitadel, 'return c:find_app("%s", "argocd")' % pid) is None


def test_zitadel_17_create_oidc_app_defaults(lua, zitadel):
    pid = add_project(lua, zitadel)
    out = run(lua, zitadel, 'return c:create_oidc_app("%s", {name = "grafana", subdomain = "grafana", '
                            'callbackPath = "/login/generic_oauth"})' % pid)
    assert out["appId"] in zitadel.apps[pid] and out["clientId"] and out["clientSecret"]
    req = zitadel.last("/management/v1/projects/%s/apps/oidc" % pid)
    assert req.json() == {
        "name": "grafana",
        "redirectUris": ["https://grafana.example.com/login/generic_oauth"],
        "postLogoutRedirectUris": ["https://grafana.example.com/"],
        "responseTypes": ["OIDC_RESPONSE_TYPE_CODE"],
        "grantTypes": ["OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN"],
        "appType": "OIDC_APP_TYPE_WEB",
        "authMethodType": "OIDC_AUTH_METHOD_TYPE_BASIC",
        "accessTokenType": "OIDC_TOKEN_TYPE_BEARER",
        "accessTokenRoleAssertion": True, "idTokenRoleAssertion": True, "idTokenUserinfoAssertion": True,
        "devMode": False, "clockSkew": "0s",
    }


def test_zitadel_17_create_oidc_app_overrides(lua, lua_fails, zitadel):
    pid = add_project(lua, zitadel)
    run(lua, zitadel, '''return c:create_oidc_app("%s", {name = "spa", redirectUris = {"http://localhost:3000/cb"},
        postLogoutRedirectUris = {"http://localhost:3000/"}, appType = "OIDC_APP_TYPE_USER_AGENT",
        authMethodType = "OIDC_AUTH_METHOD_TYPE_NONE", idTokenRoleAssertion = false, devMode = true,
        clockSkew = "1s"})''' % pid)
    body = zitadel.last("/management/v1/projects/%s/apps/oidc" % pid).json()
    assert body["redirectUris"] == ["http://localhost:3000/cb"]  # no subdomain needed (spec note)
    assert (body["appType"], body["authMethodType"]) == ("OIDC_APP_TYPE_USER_AGENT", "OIDC_AUTH_METHOD_TYPE_NONE")
    assert (body["idTokenRoleAssertion"], body["accessTokenRoleAssertion"], body["devMode"], body["clockSkew"]) == (
        False, True, True, "1s")
    msg = fails(lua_fails, zitadel, 'c:create_oidc_app("%s", {name = "x"})' % pid)
    assert "zitadel: create_oidc_app needs opts.subdomain and opts.callbackPath" in msg
    msg = fails(lua_fails, zitadel, 'c:create_oidc_app("nope", {name = "x", subdomain = "x", callbackPath = "/"})')
    assert re.search(r"^assay/zitadel\.lua:\d+: zitadel: failed to create OIDC app 'x' \(HTTP 404\): ", msg), msg


def test_zitadel_18_create_conflict(lua, zitadel):
    pid = add_project(lua, zitadel)
    first = run(lua, zitadel, 'return c:create_oidc_app("%s", {name = "web", subdomain = "w", callbackPath = "/cb"})'
                % pid)
    again = run(lua, zitadel, 'return c:create_oidc_app("%s", {name = "web", subdomain = "w", callbackPath = "/cb"})'
                % pid)
    assert again["id"] == first["appId"] and again["name"] == "web"
    # 409 but the search cannot find it: the stub
    zitadel.fail("POST", "/management/v1/projects/%s/apps/_search" % pid, 200, '{"result":[]}', "application/json")
    stub = run(lua, zitadel, 'return c:create_oidc_app("%s", {name = "web", subdomain = "w", callbackPath = "/cb"})'
               % pid)
    assert stub == {"id": "existing", "name": "web"}


def test_zitadel_19_ensure_oidc_app(lua, zitadel):
    pid = add_project(lua, zitadel)
    created = run(lua, zitadel, 'return c:ensure_oidc_app("%s", {name = "vault", subdomain = "vault", '
                                'callbackPath = "/ui/vault/auth/oidc/oidc/callback"})' % pid)
    assert created["clientSecret"]
    zitadel.requests.clear()
    existing = run(lua, zitadel, 'return c:ensure_oidc_app("%s", {name = "vault", subdomain = "vault", '
                                 'callbackPath = "/x"})' % pid)
    assert existing["id"] == created["appId"] and "clientSecret" not in existing
    assert [r.path.rsplit("/", 1)[-1] for r in zitadel.requests] == ["_search"]


def test_zitadel_20_find_idp(lua, zitadel):
    assert run(lua, zitadel, 'return c:find_idp("Google")') is None
    req = zitadel.last("/admin/v1/idps/templates/_search")
    assert req.method == "POST"
    assert req.json() == {"queries": [{"idpNameQuery": {"name": "Google", "method": "TEXT_QUERY_METHOD_EQUALS"}}]}
    idp_id = run(lua, zitadel, 'return c:ensure_google_idp({clientId = "gid", clientSecret = "gs"})')
    assert run(lua, zitadel, 'return c:find_idp("Google").id') == idp_id
    zitadel.fail("POST", "/admin/v1/idps/templates/_search", 503, "")
    assert run(lua, zitadel, 'return c:find_idp("Google")') is None


def test_zitadel_21_ensure_google_idp(lua, zitadel):
    idp_id = run(lua, zitadel, 'return c:ensure_google_idp({clientId = "gid", clientSecret = "gsecret"})')
    assert idp_id in zitadel.idps
    req = zitadel.last("/admin/v1/idps/google")
    assert req.json() == {"name": "Google", "clientId": "gid", "clientSecret": "gsecret",
                          "scopes": ["openid", "email", "profile"],
                          "providerOptions": {"isLinkingAllowed": True, "isCreationAllowed": True,
                                              "isAutoCreation": True, "isAutoUpdate": True}}
    zitadel.requests.clear()
    assert run(lua, zitadel, 'return c:ensure_google_idp({clientId = "other"})') == idp_id
    assert [r.path for r in zitadel.requests] == ["/admin/v1/idps/templates/_search"]


def test_zitadel_21_google_idp_id_fields_and_failure(lua, zitadel):
    zitadel.fail("POST", "/admin/v1/idps/google", 200, '{"idp_id":"legacy-1","id":"x"}', "application/json")
    assert run(lua, zitadel, 'return c:ensure_google_idp({clientId = "a"})') == "legacy-1"
    zitadel.fail("POST", "/admin/v1/idps/google", 400, "bad")
    assert run(lua, zitadel, 'return c:ensure_google_idp({clientId = "a"})') is None


def test_zitadel_22_ensure_oidc_idp_creates(lua, lua_fails, zitadel):
    idp_id = run(lua, zitadel, '''return c:ensure_oidc_idp({name = "Dex", clientId = "zitadel", clientSecret = "s",
        issuer = "https://dex.example.com"})''')
    assert idp_id in zitadel.idps
    req = zitadel.last("/admin/v1/idps/generic_oidc")
    assert req.method == "POST"
    assert req.json() == {"name": "Dex", "clientId": "zitadel", "clientSecret": "s", "issuer": "https://dex.example.com",
                          "scopes": ["openid", "email", "profile"], "isIdTokenMapping": True,
                          "providerOptions": {"isLinkingAllowed": True, "isCreationAllowed": True,
                                              "isAutoCreation": True, "isAutoUpdate": True,
                                              "autoLinking": "AUTO_LINKING_OPTION_EMAIL"}}
    msg = fails(lua_fails, zitadel, 'c:ensure_oidc_idp({clientId = "x"})')
    assert re.search(r"^assay/zitadel\.lua:\d+: zitadel: ensure_oidc_idp requires name$", msg), msg
    assert run(lua, zitadel, 'return c:ensure_oidc_idp({name = "Broken", issuer = "https://x"})') is None


def test_zitadel_23_ensure_oidc_idp_updates_existing(lua, zitadel):
    idp_id = run(lua, zitadel, 'return c:ensure_oidc_idp({name = "Dex", clientId = "a", issuer = "https://dex"})')
    zitadel.requests.clear()
    again = run(lua, zitadel, '''return c:ensure_oidc_idp({name = "Dex", clientId = "b", issuer = "https://dex2",
        isIdTokenMapping = false, autoLinking = "AUTO_LINKING_OPTION_USERNAME", scopes = {"openid"}})''')
    assert again == idp_id
    put = zitadel.last("/admin/v1/idps/generic_oidc/" + idp_id)
    assert put.method == "PUT"
    body = put.json()
    assert body["clientId"] == "b" and body["isIdTokenMapping"] is False and body["scopes"] == ["openid"]
    assert body["providerOptions"]["autoLinking"] == "AUTO_LINKING_OPTION_USERNAME"
    assert zitadel.idps[idp_id]["config"]["issuer"] == "https://dex2"
    # a failing update still returns the existing id
    zitadel.fail("PUT", "/admin/v1/idps/generic_oidc/" + idp_id, 500, "")
    assert run(lua, zitadel, 'return c:ensure_oidc_idp({name = "Dex", clientId = "c"})') == idp_id


def test_zitadel_24_add_idp_to_login_policy(lua, zitadel):
    idp_id = run(lua, zitadel, 'return c:ensure_google_idp({clientId = "g"})')
    assert run(lua, zitadel, 'return c:add_idp_to_login_policy("%s")' % idp_id) is True
    req = zitadel.last("/admin/v1/policies/login/idps")
    assert req.json() == {"idpId": idp_id, "ownerType": "IDPOWNERTYPE_SYSTEM"}
    assert run(lua, zitadel, 'return c:add_idp_to_login_policy("%s")' % idp_id) is True  # 409 already there
    zitadel.fail("POST", "/admin/v1/policies/login/idps", 500, "")
    assert run(lua, zitadel, 'return c:add_idp_to_login_policy("%s")' % idp_id) is False


def test_zitadel_25_search_users(lua, zitadel):
    query = '{queries = {{userNameQuery = {userName = "alice", method = "TEXT_QUERY_METHOD_EQUALS"}}}}'
    users = run(lua, zitadel, "return c:search_users(%s)" % query)
    assert [u["id"] for u in users] == ["u-1"]
    assert zitadel.last("/management/v1/users/_search").json() == {
        "queries": [{"userNameQuery": {"userName": "alice", "method": "TEXT_QUERY_METHOD_EQUALS"}}]}
    none = run(lua, zitadel, 'return c:search_users({queries = {{userNameQuery = {userName = "zed"}}}})')
    assert none == []
    zitadel.fail("POST", "/management/v1/users/_search", 500, "")
    assert run(lua, zitadel, "return c:search_users(%s)" % query) == []
    zitadel.fail("POST", "/management/v1/users/_search", 200, '{"details":{}}', "application/json")
    assert run(lua, zitadel, "return c:search_users(%s)" % query) == []


def test_zitadel_26_update_user_email(lua, zitadel):
    assert run(lua, zitadel, 'return c:update_user_email("u-1", "alice@example.com")') is True
    req = zitadel.last("/management/v1/users/u-1/email")
    assert req.method == "PUT" and req.json() == {"email": "alice@example.com", "isEmailVerified": True}
    assert zitadel.users["u-1"]["human"]["email"] == {"email": "alice@example.com", "isEmailVerified": True}
    assert run(lua, zitadel, 'return c:update_user_email("nobody", "x@example.com")') is False


def test_zitadel_27_get_login_policy(lua, zitadel):
    policy = run(lua, zitadel, "return c:get_login_policy()")
    assert policy["allowUsernamePassword"] is True and policy["passwordCheckLifetime"] == "864000s"
    zitadel.fail("GET", "/admin/v1/policies/login", 500, "")
    assert run(lua, zitadel, "return c:get_login_policy()") is None


def test_zitadel_28_update_login_policy(lua, zitadel):
    assert run(lua, zitadel, "return c:update_login_policy({allowRegister = false, forceMfa = true})") is True
    assert zitadel.last("/admin/v1/policies/login").json() == {"allowRegister": False, "forceMfa": True}
    assert zitadel.login_policy["forceMfa"] is True
    zitadel.fail("PUT", "/admin/v1/policies/login", 500, "boom")
    assert run(lua, zitadel, "return c:update_login_policy({forceMfa = false})") is False


def test_zitadel_29_disable_password_login(lua, zitadel):
    assert run(lua, zitadel, "return c:disable_password_login()") is True
    put = zitadel.last("/admin/v1/policies/login")
    assert put.method == "PUT"
    assert put.json() == {
        "allowUsernamePassword": False, "allowExternalIdp": True, "allowRegister": True, "forceMfa": False,
        "passwordlessType": "PASSWORDLESS_TYPE_ALLOWED", "hidePasswordReset": True,
        "passwordCheckLifetime": "864000s", "externalLoginCheckLifetime": "864000s",
        "mfaInitSkipLifetime": "2592000s", "secondFactorCheckLifetime": "64800s",
        "multiFactorCheckLifetime": "43200s"}
    assert zitadel.login_policy["allowUsernamePassword"] is False


def test_zitadel_29_defaults_for_missing_policy_fields(lua, zitadel):
    zitadel.fail("GET", "/admin/v1/policies/login", 200, '{"policy":{"allowUsernamePassword":true}}',
                 "application/json")
    assert run(lua, zitadel, "return c:disable_password_login()") is True
    body = [r for r in zitadel.requests if r.method == "PUT"][-1].json()
    assert body == {"allowUsernamePassword": False, "allowExternalIdp": True, "allowRegister": False,
                    "forceMfa": False, "passwordlessType": "PASSWORDLESS_TYPE_NOT_ALLOWED", "hidePasswordReset": True}


def test_zitadel_30_already_disabled_or_unreadable(lua, zitadel):
    zitadel.login_policy["allowUsernamePassword"] = False
    assert run(lua, zitadel, "return c:disable_password_login()") is True
    assert [r.method for r in zitadel.requests] == ["GET"]
    zitadel.fail("GET", "/admin/v1/policies/login", 500, "")
    assert run(lua, zitadel, "return c:disable_password_login()") is False
    assert not [r for r in zitadel.requests if r.method == "PUT"]


def test_zitadel_documented_client_forms(lua, zitadel, tmp_path):
    """zitadel.client{url, domain, machine_key_file} and the URL-first form (issue 12) set up an
    OIDC app end to end."""
    path = tmp_path / "machinekey.json"
    path.write_text(json.dumps(zitadel.machine_key()))
    out = lua_with(lua, '''
        local zitadel = require("assay.zitadel")
        local a = zitadel.client({url = "$URL", domain = "example.com", machine_key_file = "$KEY"})
        local b = zitadel.client("$URL/", {domain = "example.com", token = "$PAT"})
        local project = a:ensure_project("platform")
        local app = a:ensure_oidc_app(project.id, {name = "grafana", subdomain = "grafana", callbackPath = "/login"})
        local idp = b:ensure_google_idp({clientId = "g", clientSecret = "s"})
        return b.url, b.access_token, app.clientId ~= nil, b:find_app(project.id, "grafana").id == app.appId,
          b:add_idp_to_login_policy(idp), b:disable_password_login()
    ''', URL=zitadel.url, KEY=str(path), PAT=PAT)
    assert out == (zitadel.url, PAT, True, True, True, True)
    assert zitadel.login_policy["idps"] and zitadel.login_policy["allowUsernamePassword"] is False
    assert {r.header("Host") for r in zitadel.requests} == {"auth.example.com"}


def test_zitadel_both_generations(lua, zitadel):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, zitadel, '''local p = c:ensure_project("gen-old")
        local app = c:ensure_oidc_app(p.id, {name = "web", subdomain = "web", callbackPath = "/cb"})
        return {c:find_project("gen-old").id == p.id, c:find_app(p.id, "web") ~= nil, app.clientId ~= nil,
                #c:search_users(), c:get_login_policy() ~= nil, c:find_idp("nope") == nil}''')
    new = run(lua, zitadel, '''local p = c.projects:ensure("gen-new")
        local app = c.apps:ensure_oidc(p.id, {name = "web", subdomain = "web", callbackPath = "/cb"})
        return {c.projects:find("gen-new").id == p.id, c.apps:find(p.id, "web") ~= nil, app.clientId ~= nil,
                #c.users:search(), c.login_policy:get() ~= nil, c.idps:find("nope") == nil}''')
    assert old == new == [True, True, True, 2, True, True]
