"""assay.ory.hydra (spec stdlib/ory.hydra.md, HYDRA-01..25) against the Hydra public and admin
APIs of the shared Ory fake (fake_ory.FakeOry); id_tokens are verified with PyJWT against the
JWKS the module fetched."""
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from fake_ory import ory, ory_server  # noqa: F401 (fixtures)
from fakes import lua_with

CLIENT = ('local hydra = require("assay.ory.hydra")\n'
          'local c = hydra.client({public_url = "$HYDRA_PUBLIC/", admin_url = "$HYDRA_ADMIN/"})\n')
PREFIX = r"^assay/(ory/hydra|_http)\.lua:\d+: "


def run(lua, fake, code):
    return lua_with(lua, CLIENT + code, **fake.placeholders())


def fails(lua_fails, fake, code):
    return lua_with(lua_fails, CLIENT + code, **fake.placeholders())


def verify_id_token(token, jwks, issuer, audience):
    key = jwt.PyJWK(jwks["keys"][0])
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == jwks["keys"][0]["kid"]
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=issuer)


def test_hydra_01_module_has_client(lua, ory):
    assert lua('return type(require("assay.ory.hydra").client)') == "function"
    assert run(lua, ory, "return c.public_url, c.admin_url") == (ory.hydra_public.url, ory.hydra_admin.url)
    assert lua('return require("assay.ory.hydra").client({}).admin_url') is None


def test_hydra_02_unconfigured_urls(lua_fails, ory):
    public_only = 'local c = require("assay.ory.hydra").client({public_url = "$HYDRA_PUBLIC"})\n'
    admin_only = 'local c = require("assay.ory.hydra").client({admin_url = "$HYDRA_ADMIN"})\n'
    admin_calls = ["c:list_clients()", 'c:get_client("x")', "c:create_client({})", 'c:update_client("x", {})',
                   'c:delete_client("x")', 'c:introspect("t")', 'c:get_login_request("x")',
                   'c:accept_login("x", "s")', 'c:reject_login("x")', 'c:get_consent_request("x")',
                   'c:accept_consent("x")', 'c:reject_consent("x")', 'c:get_logout_request("x")',
                   'c:accept_logout("x")', 'c:reject_logout("x")']
    public_calls = ['c:build_authorize_url("x")', 'c:exchange_code({code = "x"})', 'c:refresh_token("a", "b", "c")',
                    'c:revoke_token("a", "b", "c")', "c:well_known()", "c:jwks()"]
    for call in admin_calls:
        msg = lua_with(lua_fails, public_only + call, **ory.placeholders())
        assert re.search(r"^assay/ory/hydra\.lua:\d+: hydra: admin_url not configured$", msg), (call, msg)
    for call in public_calls:
        msg = lua_with(lua_fails, admin_only + call, **ory.placeholders())
        assert re.search(r"^assay/ory/hydra\.lua:\d+: hydra: public_url not configured$", msg), (call, msg)
    assert ory.requests == []


def test_hydra_03_list_clients(lua, ory):
    clients = run(lua, ory, "return c:list_clients()")
    assert [cl["client_id"] for cl in clients] == ["example-app", "basic-app"]
    assert "client_secret" not in clients[0]
    req = ory.last("hydra_admin")
    assert (req.method, req.target) == ("GET", "/admin/clients")
    assert len(run(lua, ory, "return c:list_clients({page_size = 1})")) == 1
    assert ory.last("hydra_admin").target == "/admin/clients?page_size=1"


def test_hydra_04_get_client(lua, ory):
    cl = run(lua, ory, 'return c:get_client("example-app")')
    assert cl["client_id"] == "example-app" and cl["token_endpoint_auth_method"] == "client_secret_post"
    assert ory.last("hydra_admin").path == "/admin/clients/example-app"


def test_hydra_05_create_client(lua, ory):
    cl = run(lua, ory, '''return c:create_client({client_name = "CLI", grant_types = {"authorization_code"},
        redirect_uris = {"https://cli.example.com/cb"}, token_endpoint_auth_method = "client_secret_post"})''')
    assert cl["client_id"] in ory.clients and cl["client_secret"]  # 201 Created with the generated secret
    req = ory.last("hydra_admin")
    assert (req.method, req.path) == ("POST", "/admin/clients")
    assert req.header("Content-Type") == "application/json"
    assert req.json()["redirect_uris"] == ["https://cli.example.com/cb"]
    ory.fail("hydra_admin", "POST", "/admin/clients", 200, '{"client_id":"x"}', "application/json")
    assert run(lua, ory, 'return c:create_client({client_id = "x"}).client_id') == "x"


def test_hydra_06_update_client(lua, ory):
    out = run(lua, ory, '''local spec = {client_name = "Renamed", redirect_uris = {"https://app.example.com/cb2"},
        token_endpoint_auth_method = "client_secret_post", scope = "openid offline_access"}
        local cl = c:update_client("example-app", spec)
        return cl, spec.client_id''')
    cl, injected = out
    assert injected == "example-app"  # the caller's table is mutated
    assert cl["client_id"] == "example-app" and cl["client_name"] == "Renamed"
    req = ory.last("hydra_admin")
    assert (req.method, req.path) == ("PUT", "/admin/clients/example-app")
    assert req.json()["client_id"] == "example-app"


def test_hydra_06_update_missing_client_is_404(lua_fails, ory):
    """Hydra's PUT is not an upsert (spec note)."""
    msg = fails(lua_fails, ory, 'c:update_client("ghost", {client_name = "x"})')
    assert re.search(PREFIX + r"hydra: PUT /admin/clients/ghost HTTP 404: ", msg), msg


def test_hydra_07_delete_client(lua, lua_fails, ory):
    assert run(lua, ory, 'return select("#", c:delete_client("basic-app"))') == 0
    req = ory.last("hydra_admin")
    assert (req.method, req.path) == ("DELETE", "/admin/clients/basic-app")
    assert "basic-app" not in ory.clients
    ory.fail("hydra_admin", "DELETE", "/admin/clients/example-app", 200, "")
    run(lua, ory, 'c:delete_client("example-app")')
    msg = fails(lua_fails, ory, 'c:delete_client("basic-app")')
    assert re.search(PREFIX + r'hydra: DELETE client HTTP 404: \{"error": "Unable to locate the resource"', msg), msg


def test_hydra_08_build_authorize_url(lua, ory):
    code = '''local c = require("assay.ory.hydra").client({public_url = "https://hydra.example.com/"})
              return c:build_authorize_url("example-app", {state = "xyz",
                redirect_uri = "https://app.example.com/callback?x=1"})'''
    url = lua(code)
    assert url.startswith("https://hydra.example.com/oauth2/auth?")
    query = url.split("?", 1)[1]
    assert query == ("client_id=example-app&response_type=code&scope=openid%20profile%20email"
                     "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback%3Fx%3D1&state=xyz")
    # defaults: empty redirect_uri, no state
    url = lua('return require("assay.ory.hydra").client({public_url = "https://h"}):build_authorize_url("a b", '
              '{scope = "openid offline_access", response_type = "code id_token"})')
    assert url == ("https://h/oauth2/auth?client_id=a%20b&response_type=code%20id_token"
                   "&scope=openid%20offline_access&redirect_uri=")


def test_hydra_09_nonce_and_extra(lua):
    url = lua('''local c = require("assay.ory.hydra").client({public_url = "https://hydra.example.com"})
                 return c:build_authorize_url("example-app", {state = "s", nonce = "n 1",
                   extra = {prompt = "login", ui_locales = "de en", audience = "https://api"}})''')
    base, query = url.split("?", 1)
    parts = query.split("&")
    assert parts[:6] == ["client_id=example-app", "response_type=code", "scope=openid%20profile%20email",
                         "redirect_uri=", "state=s", "nonce=n%201"]
    assert sorted(parts[6:]) == ["audience=https%3A%2F%2Fapi", "prompt=login", "ui_locales=de%20en"]


def test_hydra_10_exchange_code(lua, ory):
    ory.issue_code("abc", scope=("openid", "offline_access"), nonce="n-1",
                   id_token_claims={"email": "alice@example.com"})
    tokens = run(lua, ory, '''return c:exchange_code({code = "abc", redirect_uri = "https://app.example.com/callback",
        client_id = "example-app", client_secret = "example-secret"}), c:jwks()''')
    tokens, jwks = tokens
    assert tokens["access_token"].startswith("ory_at_") and tokens["refresh_token"].startswith("ory_rt_")
    req = ory.last("hydra_public", "/oauth2/token")
    assert req.method == "POST"
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert req.body.decode() == ("grant_type=authorization_code&code=abc"
                                 "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback"
                                 "&client_id=example-app&client_secret=example-secret")
    claims = verify_id_token(tokens["id_token"], jwks, ory.issuer, "example-app")
    assert claims["sub"] == "user:alice" and claims["nonce"] == "n-1" and claims["email"] == "alice@example.com"


def test_hydra_10_exchange_code_errors(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:exchange_code({code = "used", redirect_uri = "https://app.example.com/callback", '
                                'client_id = "example-app", client_secret = "example-secret"})')
    assert re.search(PREFIX + r'hydra: token exchange HTTP 400: \{"error": "invalid_grant"', msg), msg
    # a client registered for client_secret_basic refuses credentials in the body (spec note)
    ory.issue_code("b1", client_id="basic-app", redirect_uri="https://basic.example.com/cb")
    msg = fails(lua_fails, ory, 'c:exchange_code({code = "b1", redirect_uri = "https://basic.example.com/cb", '
                                'client_id = "basic-app", client_secret = "basic-secret"})')
    assert "hydra: token exchange HTTP 401: " in msg and "client_secret_basic" in msg


def test_hydra_11_refresh_token(lua, lua_fails, ory):
    ory.issue_code("abc")
    first, second = run(lua, ory, '''
        local t = c:exchange_code({code = "abc", redirect_uri = "https://app.example.com/callback",
          client_id = "example-app", client_secret = "example-secret"})
        return t, c:refresh_token("example-app", "example-secret", t.refresh_token)''')
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    req = ory.last("hydra_public", "/oauth2/token")
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"
    form = req.body.decode()
    assert form == ("grant_type=refresh_token&refresh_token=%s&client_id=example-app&client_secret=example-secret"
                    % first["refresh_token"])
    # the old refresh token was rotated away
    msg = fails(lua_fails, ory, 'c:refresh_token("example-app", "example-secret", "%s")' % first["refresh_token"])
    assert re.search(PREFIX + r"hydra: refresh token HTTP 400: ", msg), msg


def test_hydra_12_introspect(lua, ory):
    ory.issue_code("abc", scope=("openid", "profile"))
    active, inactive = run(lua, ory, '''
        local t = c:exchange_code({code = "abc", redirect_uri = "https://app.example.com/callback",
          client_id = "example-app", client_secret = "example-secret"})
        return c:introspect(t.access_token), c:introspect("ory_at_unknown")''')
    assert active["active"] is True and active["sub"] == "user:alice" and active["scope"] == "openid profile"
    assert active["client_id"] == "example-app"
    assert inactive == {"active": False}
    req = ory.last("hydra_admin")
    assert (req.method, req.path) == ("POST", "/admin/oauth2/introspect")
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert req.body == b"token=ory_at_unknown"


def test_hydra_12_introspect_error(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:introspect("")')
    assert re.search(PREFIX + r"hydra: introspect HTTP 400: ", msg), msg


def test_hydra_13_revoke_token(lua, lua_fails, ory):
    ory.issue_code("abc")
    out = run(lua, ory, '''
        local t = c:exchange_code({code = "abc", redirect_uri = "https://app.example.com/callback",
          client_id = "example-app", client_secret = "example-secret"})
        local n = select("#", c:revoke_token("example-app", "example-secret", t.access_token))
        return n, c:introspect(t.access_token).active, t.access_token''')
    assert out[:2] == (0, False)
    req = ory.last("hydra_public", "/oauth2/revoke")
    assert req.method == "POST" and req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert req.body.decode() == "token=%s&client_id=example-app&client_secret=example-secret" % out[2]
    msg = fails(lua_fails, ory, 'c:revoke_token("example-app", "wrong", "t")')
    assert re.search(PREFIX + r"hydra: revoke HTTP 401: ", msg), msg


def test_hydra_14_get_login_request(lua, ory):
    ory.add_login_request("abc123", scope=("openid", "email"))
    req = run(lua, ory, 'return c:get_login_request("abc123")')
    assert req["challenge"] == "abc123" and req["client"]["client_id"] == "example-app"
    assert req["requested_scope"] == ["openid", "email"] and req["skip"] is False
    r = ory.last("hydra_admin")
    assert (r.method, r.target) == ("GET", "/admin/oauth2/auth/requests/login?login_challenge=abc123")


def test_hydra_15_accept_login(lua, ory):
    ory.add_login_request("abc123")
    out = run(lua, ory, 'return c:accept_login("abc123", "user:alice", {remember = true, remember_for = 3600, '
                        'acr = "aal1", amr = {"pwd"}, context = {tenant = "t1"}})')
    assert "login_verifier=" in out["redirect_to"]
    r = ory.last("hydra_admin")
    assert (r.method, r.target) == ("PUT", "/admin/oauth2/auth/requests/login/accept?login_challenge=abc123")
    assert r.json() == {"subject": "user:alice", "remember": True, "remember_for": 3600, "acr": "aal1",
                        "amr": ["pwd"], "context": {"tenant": "t1"}}
    ory.add_login_request("min")
    run(lua, ory, 'return c:accept_login("min", "user:bob")')
    assert ory.last("hydra_admin").json() == {"subject": "user:bob"}


def test_hydra_16_reject_login(lua, ory):
    ory.add_login_request("ch-1")
    out = run(lua, ory, 'return c:reject_login("ch-1")')
    assert "error=access_denied" in out["redirect_to"]
    r = ory.last("hydra_admin")
    assert r.target == "/admin/oauth2/auth/requests/login/reject?login_challenge=ch-1"
    assert r.json() == {"error": "access_denied"}
    ory.add_login_request("ch-2")
    run(lua, ory, 'return c:reject_login("ch-2", {error = "login_required", error_description = "nope"})')
    assert ory.last("hydra_admin").json() == {"error": "login_required", "error_description": "nope"}


def test_hydra_17_get_consent_request(lua, ory):
    ory.add_consent_request("xyz789", subject="user:alice", scope=("openid", "profile"))
    out = run(lua, ory, 'return c:get_consent_request("xyz789")')
    assert out["challenge"] == "xyz789" and out["subject"] == "user:alice"
    assert out["requested_scope"] == ["openid", "profile"]
    assert ory.last("hydra_admin").target == "/admin/oauth2/auth/requests/consent?consent_challenge=xyz789"


def test_hydra_18_accept_consent(lua, ory):
    ory.add_consent_request("xyz789")
    out = run(lua, ory, '''return c:accept_consent("xyz789", {grant_scope = {"openid", "email"}, remember = true,
        remember_for = 0, session = {id_token = {email = "alice@example.com", roles = {"admin"}}}})''')
    assert "consent_verifier=" in out["redirect_to"]
    r = ory.last("hydra_admin")
    assert (r.method, r.target) == ("PUT", "/admin/oauth2/auth/requests/consent/accept?consent_challenge=xyz789")
    assert r.json() == {"grant_scope": ["openid", "email"], "grant_access_token_audience": [], "remember": True,
                        "remember_for": 0, "session": {"id_token": {"email": "alice@example.com", "roles": ["admin"]}}}
    ory.add_consent_request("d1")
    run(lua, ory, 'return c:accept_consent("d1")')
    assert ory.last("hydra_admin").json() == {"grant_scope": ["openid", "profile", "email"],
                                              "grant_access_token_audience": []}


def test_hydra_19_reject_consent(lua, ory):
    ory.add_consent_request("c-1")
    out = run(lua, ory, 'return c:reject_consent("c-1")')
    assert "error=access_denied" in out["redirect_to"]
    r = ory.last("hydra_admin")
    assert r.target == "/admin/oauth2/auth/requests/consent/reject?consent_challenge=c-1"
    assert r.json() == {"error": "access_denied"}


def test_hydra_20_get_logout_request(lua, ory):
    ory.add_logout_request("logout-abc", subject="user:alice", rp_initiated=True, sid="sid-9")
    out = run(lua, ory, 'return c:get_logout_request("logout-abc")')
    assert out["subject"] == "user:alice" and out["rp_initiated"] is True and out["sid"] == "sid-9"
    assert out["client"]["client_id"] == "example-app"
    assert ory.last("hydra_admin").target == "/admin/oauth2/auth/requests/logout?logout_challenge=logout-abc"


def test_hydra_21_accept_logout(lua, ory):
    ory.add_logout_request("lo-1")
    out = run(lua, ory, 'return c:accept_logout("lo-1")')
    assert "logout_verifier=" in out["redirect_to"]
    r = ory.last("hydra_admin")
    assert (r.method, r.target) == ("PUT", "/admin/oauth2/auth/requests/logout/accept?logout_challenge=lo-1")
    assert r.body == b"{}"  # shared empty-body rule: an object, not []


def test_hydra_22_reject_logout(lua, lua_fails, ory):
    ory.add_logout_request("lo-2")
    # the fake answers 204 No Content like Hydra (spec note: accepted, returns nil)
    assert run(lua, ory, 'return c:reject_logout("lo-2")') is None
    r = ory.last("hydra_admin")
    assert (r.method, r.target) == ("PUT", "/admin/oauth2/auth/requests/logout/reject?logout_challenge=lo-2")
    assert r.body == b"{}"
    msg = fails(lua_fails, ory, 'c:get_logout_request("lo-2")')  # handled: Hydra answers 410 Gone
    assert "hydra: GET /admin/oauth2/auth/requests/logout?logout_challenge=lo-2 HTTP 410: " in msg
    # the original's test mock: 200 with {} → the parsed (empty) body
    ory.add_logout_request("lo-3")
    ory.fail("hydra_admin", "PUT", "/admin/oauth2/auth/requests/logout/reject", 200, "{}", "application/json")
    assert run(lua, ory, 'return c:reject_logout("lo-3")') == []
    ory.fail("hydra_admin", "PUT", "/admin/oauth2/auth/requests/logout/reject", 500, "boom")
    msg = fails(lua_fails, ory, 'c:reject_logout("lo-3")')
    assert msg.endswith("hydra: PUT /admin/oauth2/auth/requests/logout/reject?logout_challenge=lo-3 HTTP 500: boom")


def test_hydra_23_well_known(lua, lua_fails, ory):
    doc = run(lua, ory, "return c:well_known()")
    assert doc["issuer"] == ory.issuer
    assert doc["authorization_endpoint"] == ory.hydra_public.url + "/oauth2/auth"
    assert ory.last("hydra_public").path == "/.well-known/openid-configuration"
    ory.fail("hydra_public", "GET", "/.well-known/openid-configuration", 503, "down")
    msg = fails(lua_fails, ory, "c:well_known()")
    assert re.search(PREFIX + r"hydra: well-known HTTP 503: down$", msg), msg


def test_hydra_24_jwks(lua, lua_fails, ory):
    keys = run(lua, ory, "return c:jwks()")
    assert keys["keys"][0]["kid"] == ory.kid and keys["keys"][0]["kty"] == "RSA"
    assert ory.last("hydra_public").path == "/.well-known/jwks.json"
    ory.fail("hydra_public", "GET", "/.well-known/jwks.json", 500, "err")
    msg = fails(lua_fails, ory, "c:jwks()")
    assert re.search(PREFIX + r"hydra: jwks HTTP 500: err$", msg), msg


@pytest.mark.parametrize("call, text", [
    ('c:get_login_request("nope")', "hydra: GET /admin/oauth2/auth/requests/login?login_challenge=nope HTTP 404: "),
    ('c:accept_login("nope", "u")',
     "hydra: PUT /admin/oauth2/auth/requests/login/accept?login_challenge=nope HTTP 404: "),
    ('c:get_client("a b")', "hydra: GET /admin/clients/a%20b HTTP 404: "),
    ('c:create_client({client_id = "example-app"})', "hydra: POST /admin/clients HTTP 409: "),
    ('c:accept_consent("n&x=1")',
     "hydra: PUT /admin/oauth2/auth/requests/consent/accept?consent_challenge=n%26x%3D1 HTTP 404: "),
])
def test_hydra_25_admin_error_format(lua_fails, ory, call, text):
    msg = fails(lua_fails, ory, call)
    assert re.search(PREFIX, msg) and text in msg, msg


def test_hydra_25_handled_request_410(lua_fails, ory):
    ory.add_login_request("done")
    ory.challenges["done"]["_handled"] = "https://app/after"
    msg = fails(lua_fails, ory, 'c:get_login_request("done")')
    assert msg.endswith('hydra: GET /admin/oauth2/auth/requests/login?login_challenge=done HTTP 410: '
                        '{"redirect_to": "https://app/after"}')


def test_hydra_documented_client_form_full_flow(lua, ory):
    """hydra.client({public_url, admin_url}) driving a whole authorization-code login: the browser
    (Python requests, no redirects followed) walks Hydra's redirects, the script answers the login
    and consent challenges and exchanges the code; the id_token verifies against the JWKS."""
    start = run(lua, ory, 'return c:build_authorize_url("example-app", {redirect_uri = '
                          '"https://app.example.com/callback", state = "st-1", nonce = "no-1", '
                          'scope = "openid offline_access"})')
    r = requests.get(start, allow_redirects=False)
    assert r.status_code == 302
    login_challenge = parse_qs(urlsplit(r.headers["Location"]).query)["login_challenge"][0]
    redirect = run(lua, ory, '''
        local req = c:get_login_request("%s")
        return c:accept_login(req.challenge, "user:alice", {remember = false}).redirect_to
    ''' % login_challenge)
    r = requests.get(redirect, allow_redirects=False)
    consent_challenge = parse_qs(urlsplit(r.headers["Location"]).query)["consent_challenge"][0]
    redirect = run(lua, ory, '''
        local req = c:get_consent_request("%s")
        return c:accept_consent(req.challenge, {grant_scope = req.requested_scope,
          session = {id_token = {email = "alice@example.com"}}}).redirect_to
    ''' % consent_challenge)
    r = requests.get(redirect, allow_redirects=False)
    callback = urlsplit(r.headers["Location"])
    assert callback.netloc == "app.example.com"
    params = parse_qs(callback.query)
    assert params["state"] == ["st-1"]
    tokens, jwks, info = run(lua, ory, '''
        local t = c:exchange_code({code = "%s", redirect_uri = "https://app.example.com/callback",
          client_id = "example-app", client_secret = "example-secret"})
        return t, c:jwks(), c:introspect(t.access_token)''' % params["code"][0])
    claims = verify_id_token(tokens["id_token"], jwks, ory.issuer, "example-app")
    assert (claims["sub"], claims["nonce"], claims["email"]) == ("user:alice", "no-1", "alice@example.com")
    assert info["active"] is True and info["scope"] == "openid offline_access"
    with pytest.raises(jwt.InvalidSignatureError):
        forged = jwt.encode(dict(claims, sub="user:mallory"), "x" * 32, algorithm="HS256")
        header, payload, _ = forged.split(".")
        orig = tokens["id_token"].split(".")
        jwt.decode(".".join([orig[0], payload, orig[2]]), jwt.PyJWK(jwks["keys"][0]), algorithms=["RS256"],
                   audience="example-app")


def test_hydra_url_first_client_form(lua, ory):
    """Issue 12: hydra.client(public_url, {admin_url}) is the same client."""
    out = lua_with(lua, '''local c = require("assay.ory.hydra").client("$HYDRA_PUBLIC/", {admin_url = "$HYDRA_ADMIN"})
        return c.public_url, c.admin_url, c:well_known().issuer, #c:list_clients()''', **ory.placeholders())
    assert out == (ory.hydra_public.url, ory.hydra_admin.url, ory.issuer, 2)
    assert ory.last("hydra_admin").target == "/admin/clients"


def test_hydra_both_generations(lua, ory):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, ory, '''local made = c:create_client({client_id = "gen-old", grant_types = {"client_credentials"}})
        local out = {#c:list_clients() >= 3, c:get_client("example-app").client_id, made.client_id,
                     c:well_known().issuer, #c:jwks().keys > 0, c:introspect("nope").active,
                     c:build_authorize_url("example-app", {redirect_uri = "https://app/cb", state = "s"}):match("client_id=example%-app") ~= nil}
        c:delete_client("gen-old")
        return out''')
    new = run(lua, ory, '''local made = c.clients:create({client_id = "gen-new", grant_types = {"client_credentials"}})
        local out = {#c.clients:list() >= 3, c.clients:get("example-app").client_id, made.client_id,
                     c.discovery:openid_config().issuer, #c.discovery:jwks().keys > 0, c.oauth2:introspect("nope").active,
                     c.oauth2:authorize_url("example-app", {redirect_uri = "https://app/cb", state = "s"}):match("client_id=example%-app") ~= nil}
        c.clients:delete("gen-new")
        return out''')
    assert old[2:3] == ["gen-old"] and new[2:3] == ["gen-new"]
    assert old[:2] + old[3:] == new[:2] + new[3:] == [True, "example-app", ory.issuer, True, False, True]
