"""assay.ory.kratos (spec stdlib/ory.kratos.md, KRATOS-01..18) against the Kratos public and
admin APIs of the shared Ory fake (fake_ory.FakeOry)."""
import re


from fake_ory import ory, ory_server  # noqa: F401 (fixtures)
from fakes import lua_with

CLIENT = ('local kratos = require("assay.ory.kratos")\n'
          'local c = kratos.client({public_url = "$KRATOS_PUBLIC/", admin_url = "$KRATOS_ADMIN//"})\n')
PREFIX = r"^assay/(ory/kratos|_http)\.lua:\d+: "


def run(lua, fake, code):
    return lua_with(lua, CLIENT + code, **fake.placeholders())


def fails(lua_fails, fake, code):
    return lua_with(lua_fails, CLIENT + code, **fake.placeholders())


def test_kratos_01_module_has_client(lua, ory):
    assert lua('return type(require("assay.ory.kratos").client)') == "function"
    assert run(lua, ory, "return c.public_url, c.admin_url") == (ory.kratos_public.url, ory.kratos_admin.url)


def test_kratos_02_missing_urls(lua_fails, ory):
    public_only = 'local c = require("assay.ory.kratos").client({public_url = "$KRATOS_PUBLIC"})\n'
    admin_only = 'local c = require("assay.ory.kratos").client({admin_url = "$KRATOS_ADMIN"})\n'
    for call in ('c:get_identity("x")', "c:list_identities()", "c:create_identity({})", 'c:update_identity("x", {})',
                 'c:delete_identity("x")', 'c:list_sessions("x")', 'c:delete_sessions("x")'):
        msg = lua_with(lua_fails, public_only + call, **ory.placeholders())
        assert re.search(r"^assay/ory/kratos\.lua:\d+: kratos: admin_url not configured$", msg), (call, msg)
    for call in ('c:whoami("a=b")', "c:create_login_flow()", 'c:get_login_flow("x")', 'c:submit_login_flow("x", {})',
                 "c:create_registration_flow()", 'c:get_registration_flow("x")', "c:list_schemas()",
                 'c:get_schema("default")'):
        msg = lua_with(lua_fails, admin_only + call, **ory.placeholders())
        assert re.search(r"^assay/ory/kratos\.lua:\d+: kratos: public_url not configured$", msg), (call, msg)
    assert ory.requests == []


def test_kratos_03_whoami_with_cookie(lua, ory):
    token, _ = ory.create_session("user-123")
    session = run(lua, ory, 'return c:whoami("ory_kratos_session=%s")' % token)
    assert session["active"] is True
    assert session["identity"]["traits"]["email"] == "alice@example.com"
    assert session["identity"]["traits"]["name"]["first"] == "Alice"
    req = ory.last("kratos_public")
    assert (req.method, req.path) == ("GET", "/sessions/whoami")
    assert req.header("Cookie") == "ory_kratos_session=" + token


def test_kratos_04_whoami_401_is_nil(lua, lua_fails, ory):
    assert run(lua, ory, 'return c:whoami("ory_kratos_session=expired")') is None
    assert run(lua, ory, "return c:whoami()") is None
    ory.fail("kratos_public", "GET", "/sessions/whoami", 403, '{"error":{"id":"session_aal2_required"}}')
    msg = fails(lua_fails, ory, 'c:whoami("ory_kratos_session=x")')
    assert re.search(PREFIX + r'kratos: whoami HTTP 403: \{"error":\{"id":"session_aal2_required"\}\}$', msg), msg


def test_kratos_05_create_login_flow(lua, ory):
    flow = run(lua, ory, 'return c:create_login_flow({return_to = "https://app.example.com/after login", '
                         'refresh = true, login_challenge = "lc-123", aal = "aal2"})')
    req = ory.last("kratos_public")
    assert req.path == "/self-service/login/browser"
    assert req.query_keys == ["return_to", "refresh", "login_challenge", "aal"]
    assert req.query == {"return_to": "https://app.example.com/after login", "refresh": "true",
                         "login_challenge": "lc-123", "aal": "aal2"}
    assert "return_to=https%3A%2F%2Fapp.example.com%2Fafter%20login" in req.raw_query
    assert flow["id"] and flow["ui"]["method"] == "POST" and flow["return_to"] == "https://app.example.com/after login"
    assert flow["oauth2_login_challenge"] == "lc-123" and flow["refresh"] is True
    # no options: no query; refresh only when truthy
    run(lua, ory, "return c:create_login_flow()")
    assert ory.last("kratos_public").target == "/self-service/login/browser"
    run(lua, ory, "return c:create_login_flow({refresh = false, aal = 'aal1'})")
    assert ory.last("kratos_public").target == "/self-service/login/browser?aal=aal1"


def test_kratos_05_browser_flows_ask_for_json(lua, ory):
    """Note choice: public calls send `Accept: application/json`, so Kratos answers the /browser
    endpoints with the flow instead of a 303 redirect to the login UI."""
    run(lua, ory, "return c:create_login_flow()")
    assert ory.last("kratos_public").header("Accept") == "application/json"
    run(lua, ory, "return c:create_registration_flow()")
    assert ory.last("kratos_public").header("Accept") == "application/json"


def test_kratos_06_get_login_flow(lua, ory):
    flow_id = run(lua, ory, 'return c:create_login_flow({login_challenge = "hydra-ch-1"}).id')
    flow = run(lua, ory, 'return c:get_login_flow("%s", "csrf_token_fake=abc")' % flow_id)
    assert flow["id"] == flow_id and flow["oauth2_login_challenge"] == "hydra-ch-1"
    req = ory.last("kratos_public")
    assert req.path == "/self-service/login/flows" and req.query == {"id": flow_id}
    assert req.header("Cookie") == "csrf_token_fake=abc"


def test_kratos_06_get_login_flow_errors(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:get_login_flow("flow-abc")')
    assert re.search(PREFIX + r"kratos: GET /self-service/login/flows\?id=flow-abc HTTP 404: ", msg), msg


def test_kratos_07_submit_login_flow(lua, ory):
    out = run(lua, ory, '''
        local flow = c:create_login_flow()
        local csrf
        for _, node in ipairs(flow.ui.nodes) do
          if node.attributes.name == "csrf_token" then csrf = node.attributes.value end
        end
        local result = c:submit_login_flow(flow.id, {method = "password", identifier = "alice@example.com",
          password = "alice-password", csrf_token = csrf}, "csrf_token_fake=" .. csrf)
        return flow.id, result.session.identity.id, result.session.active
    ''')
    flow_id, identity, active = out
    assert (identity, active) == ("user-123", True)
    req = ory.last("kratos_public", "/self-service/login")
    assert req.method == "POST" and req.query == {"flow": flow_id}
    assert req.header("Content-Type") == "application/json" and req.header("Accept") == "application/json"
    assert req.header("Cookie").startswith("csrf_token_fake=")
    assert req.json()["identifier"] == "alice@example.com" and req.json()["method"] == "password"


def test_kratos_07_submit_login_errors(lua_fails, ory):
    code = '''local flow = c:create_login_flow()
              c:submit_login_flow(flow.id, {method = "password", identifier = "alice@example.com",
                password = "wrong", csrf_token = "%s"})'''
    msg = fails(lua_fails, ory, code % "bad-token")
    assert re.search(PREFIX + r"kratos: submit login HTTP 403: .*security_csrf_violation", msg), msg
    msg = fails(lua_fails, ory, 'c:submit_login_flow("no-such-flow", {method = "password"})')
    assert "kratos: submit login HTTP 404: " in msg


def test_kratos_07_wrong_password_is_an_error(lua_fails, ory):
    code = '''local flow = c:create_login_flow()
              local csrf
              for _, n in ipairs(flow.ui.nodes) do if n.attributes.name == "csrf_token" then csrf = n.attributes.value end end
              c:submit_login_flow(flow.id, {method = "password", identifier = "alice@example.com",
                password = "wrong", csrf_token = csrf})'''
    msg = fails(lua_fails, ory, code)
    assert "kratos: submit login HTTP 400: " in msg and "credentials are invalid" in msg


def test_kratos_08_create_registration_flow(lua, ory):
    flow = run(lua, ory, 'return c:create_registration_flow({return_to = "https://app.example.com/welcome"})')
    req = ory.last("kratos_public")
    assert req.path == "/self-service/registration/browser"
    assert req.query == {"return_to": "https://app.example.com/welcome"}
    assert flow["ui"]["action"].endswith("/self-service/registration?flow=" + flow["id"])
    run(lua, ory, "return c:create_registration_flow()")
    assert ory.last("kratos_public").target == "/self-service/registration/browser"


def test_kratos_09_get_registration_flow(lua, lua_fails, ory):
    flow_id = run(lua, ory, "return c:create_registration_flow().id")
    flow = run(lua, ory, 'return c:get_registration_flow("%s")' % flow_id)
    assert flow["id"] == flow_id
    req = ory.last("kratos_public")
    assert req.path == "/self-service/registration/flows" and req.query == {"id": flow_id}
    msg = fails(lua_fails, ory, 'c:get_registration_flow("gone")')
    assert "kratos: GET /self-service/registration/flows?id=gone HTTP 404: " in msg


def test_kratos_03_no_cookie_without_cookie_argument(lua, ory):
    """Cookies are sent only when a cookie argument is given: the Set-Cookie of an earlier
    answer (Kratos sets CSRF and session cookies) must not come back by itself."""
    run(lua, ory, "return c:create_login_flow()")
    run(lua, ory, "return c:list_schemas()")
    assert ory.last("kratos_public").header("Cookie") is None


def test_kratos_10_get_identity(lua, ory):
    identity = run(lua, ory, 'return c:get_identity("user-123")')
    assert identity["id"] == "user-123" and identity["traits"]["email"] == "alice@example.com"
    req = ory.last("kratos_admin")
    assert (req.method, req.path) == ("GET", "/admin/identities/user-123")
    assert run(lua, ory, 'return c:get_identity("missing")') is None


def test_kratos_10_admin_get_other_errors(lua_fails, ory):
    ory.fail("kratos_admin", "GET", "/admin/identities/user-123", 500, "database unavailable")
    msg = fails(lua_fails, ory, 'c:get_identity("user-123")')
    assert re.search(PREFIX + r"kratos: GET /admin/identities/user-123 HTTP 500: database unavailable$", msg), msg


def test_kratos_11_list_identities(lua, ory):
    out = run(lua, ory, "return c:list_identities()")
    assert [i["id"] for i in out] == ["user-123", "user-456"]
    assert ory.last("kratos_admin").target == "/admin/identities"
    out = run(lua, ory, 'return c:list_identities({per_page = 1, page = 1})')
    assert [i["id"] for i in out] == ["user-456"]
    assert ory.last("kratos_admin").query == {"per_page": "1", "page": "1"}
    out = run(lua, ory, 'return c:list_identities({credentials_identifier = "bob@example.com"})')
    assert [i["id"] for i in out] == ["user-456"]
    assert ory.last("kratos_admin").raw_query == "credentials_identifier=bob%40example.com"
    ory.fail("kratos_admin", "GET", "/admin/identities", 404, "")
    assert run(lua, ory, "return c:list_identities()") is None


def test_kratos_12_create_identity(lua, lua_fails, ory):
    identity = run(lua, ory, '''return c:create_identity({schema_id = "default",
        traits = {email = "carol@example.com", name = {first = "Carol"}},
        credentials = {password = {config = {password = "carol-pw"}}}})''')
    assert identity["traits"]["email"] == "carol@example.com" and identity["state"] == "active"
    req = ory.last("kratos_admin")
    assert (req.method, req.path) == ("POST", "/admin/identities")
    assert req.header("Content-Type") == "application/json"
    assert req.json()["credentials"]["password"]["config"]["password"] == "carol-pw"
    assert identity["id"] in ory.identities
    msg = fails(lua_fails, ory, 'c:create_identity({schema_id = "default", traits = {email = "carol@example.com"}})')
    assert re.search(PREFIX + r"kratos: POST /admin/identities HTTP 409: ", msg), msg


def test_kratos_13_update_identity(lua, lua_fails, ory):
    out = run(lua, ory, '''return c:update_identity("user-456", {schema_id = "default", state = "inactive",
        traits = {email = "bob@example.com", name = {first = "Robert"}}})''')
    assert out["traits"]["name"]["first"] == "Robert" and out["state"] == "inactive"
    req = ory.last("kratos_admin")
    assert (req.method, req.path) == ("PUT", "/admin/identities/user-456")
    msg = fails(lua_fails, ory, 'c:update_identity("nobody", {traits = {email = "x@example.com"}})')
    assert "kratos: PUT /admin/identities/nobody HTTP 404: " in msg


def test_kratos_14_delete_identity(lua, lua_fails, ory):
    assert run(lua, ory, 'return select("#", c:delete_identity("user-456"))') == 0
    req = ory.last("kratos_admin")
    assert (req.method, req.path) == ("DELETE", "/admin/identities/user-456")
    assert "user-456" not in ory.identities
    ory.fail("kratos_admin", "DELETE", "/admin/identities/user-123", 200, "")
    run(lua, ory, 'c:delete_identity("user-123")')  # 200 is accepted too
    msg = fails(lua_fails, ory, 'c:delete_identity("user-456")')
    assert re.search(PREFIX + r"kratos: delete identity HTTP 404: ", msg), msg


def test_kratos_15_list_sessions(lua, ory):
    token, session = ory.create_session("user-123")
    ory.create_session("user-456")
    out = run(lua, ory, 'return c:list_sessions("user-123")')
    assert [s["id"] for s in out] == [session["id"]]
    assert ory.last("kratos_admin").path == "/admin/identities/user-123/sessions"
    assert run(lua, ory, 'return c:list_sessions("nobody")') is None


def test_kratos_16_delete_sessions(lua, lua_fails, ory):
    token, _ = ory.create_session("user-123")
    assert run(lua, ory, 'return c:whoami("ory_kratos_session=%s").identity.id' % token) == "user-123"
    run(lua, ory, 'c:delete_sessions("user-123")')
    req = ory.last("kratos_admin")
    assert (req.method, req.path) == ("DELETE", "/admin/identities/user-123/sessions")
    assert run(lua, ory, 'return c:whoami("ory_kratos_session=%s")' % token) is None
    msg = fails(lua_fails, ory, 'c:delete_sessions("nobody")')
    assert re.search(PREFIX + r"kratos: delete sessions HTTP 404: ", msg), msg


def test_kratos_17_schemas(lua, lua_fails, ory):
    schemas = run(lua, ory, "return c:list_schemas()")
    assert [s["id"] for s in schemas] == ["default"]
    assert ory.last("kratos_public").path == "/schemas"
    schema = run(lua, ory, 'return c:get_schema("default")')
    assert schema["title"] == "Person" and ory.last("kratos_public").path == "/schemas/default"
    msg = fails(lua_fails, ory, 'c:get_schema("other")')
    assert "kratos: GET /schemas/other HTTP 404: " in msg
    ory.fail("kratos_public", "GET", "/schemas", 500, "oops")
    msg = fails(lua_fails, ory, "c:list_schemas()")
    assert re.search(PREFIX + r"kratos: list schemas HTTP 500: oops$", msg), msg


def test_kratos_18_percent_encoding(lua, ory):
    run(lua, ory, 'return c:get_identity("a/b c?d")')
    req = ory.last("kratos_admin")
    assert req.target == "/admin/identities/a%2Fb%20c%3Fd"
    run(lua, ory, 'return c:list_sessions("id~._-x")')
    assert ory.last("kratos_admin").target == "/admin/identities/id~._-x/sessions"
    run(lua, ory, 'return pcall(c.get_login_flow, c, "f&id=1")')
    assert ory.last("kratos_public").target == "/self-service/login/flows?id=f%26id%3D1"
    run(lua, ory, 'return pcall(c.get_schema, c, "s/1")')
    assert ory.last("kratos_public").target == "/schemas/s%2F1"
    run(lua, ory, 'return pcall(c.submit_login_flow, c, "a b", {})')
    assert ory.last("kratos_public").target == "/self-service/login?flow=a%20b"


def test_kratos_documented_client_forms(lua, ory):
    """kratos.client({public_url, admin_url}) and the URL-first form kratos.client(public_url, {admin_url})."""
    out = lua_with(lua, '''
        local kratos = require("assay.ory.kratos")
        local a = kratos.client({public_url = "$KRATOS_PUBLIC", admin_url = "$KRATOS_ADMIN"})
        local b = kratos.client("$KRATOS_PUBLIC/", {admin_url = "$KRATOS_ADMIN"})
        local created = a:create_identity({schema_id = "default", traits = {email = "dan@example.com"},
          credentials = {password = {config = {password = "dan-pw"}}}})
        local flow = b:create_login_flow()
        local csrf
        for _, n in ipairs(flow.ui.nodes) do if n.attributes.name == "csrf_token" then csrf = n.attributes.value end end
        local login = b:submit_login_flow(flow.id, {method = "password", identifier = "dan@example.com",
          password = "dan-pw", csrf_token = csrf})
        return b.public_url, b.admin_url, login.session.identity.id == created.id, #b:list_sessions(created.id)
    ''', **ory.placeholders())
    assert out == (ory.kratos_public.url, ory.kratos_admin.url, True, 1)


def test_kratos_both_generations(lua, ory):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    code = {
        "old": '''local i = c:create_identity({schema_id = "default", traits = {email = "$WHO@example.com"}})
            local out = {c:get_identity(i.id).traits.email, #c:list_identities() > 0, #c:list_schemas(),
                         c:get_schema("default") ~= nil, c:create_login_flow().id ~= nil, type(c:list_sessions(i.id))}
            c:delete_identity(i.id)
            return out''',
        "new": '''local i = c.identities:create({schema_id = "default", traits = {email = "$WHO@example.com"}})
            local out = {c.identities:get(i.id).traits.email, #c.identities:list() > 0, #c.schemas:list(),
                         c.schemas:get("default") ~= nil, c.flows:create_login().id ~= nil, type(c.sessions:list(i.id))}
            c.identities:delete(i.id)
            return out''',
    }
    for who, text in code.items():
        assert lua_with(lua, CLIENT + text, WHO=who, **ory.placeholders()) == \
            [who + "@example.com", True, 1, True, True, "table"]
