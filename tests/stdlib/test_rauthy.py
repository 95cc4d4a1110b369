"""assay.rauthy (issue 21) against fake_rauthy.FakeRauthy."""
from fake_rauthy import API_KEY, rauthy, rauthy_server  # noqa: F401
from fakes import lua_with

REQ = 'local rauthy = require("assay.rauthy")\n'
CLIENT = REQ + 'local c = rauthy.client("$URL/auth/v1/", "%s")\n' % API_KEY


def run(lua, code, fake):
    return lua_with(lua, CLIENT + code, URL=fake.url)


def fails(lua_fails, code, fake):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=fake.url))


def test_rauthy_health_discovery_jwks(lua, lua_fails, rauthy):
    assert run(lua, "return c.sys:health(), c.sys:wait_healthy(1)", rauthy) == (True, True)
    rauthy.health_failures = 1
    assert run(lua, "return c.sys:health(), c.sys:health()", rauthy) == (False, True)
    rauthy.health_failures = 100
    err = fails(lua_fails, "c.sys:wait_healthy(0.2)", rauthy)
    assert "rauthy: never became healthy at %s/auth/v1/health within 0.2 s" % rauthy.url in err
    rauthy.health_failures = 0
    config = run(lua, "return c.discovery:config()", rauthy)
    assert config["issuer"] == rauthy.url + "/auth/v1"
    # discovery is public: the API key is not sent along
    assert rauthy.last().header("Authorization") is None
    assert run(lua, "return c.discovery:jwks().keys[1].kid", rauthy) == "k1"
    assert rauthy.last().path == "/auth/v1/oidc/certs"


def test_rauthy_client_crud_and_api_key(lua, lua_fails, rauthy):
    got = run(lua, 'local before = #c.clients:list()\n'
                   'c.clients:create(rauthy.client_presets.outline({host = "wiki.example.com"}))\n'
                   'local o = c.clients:get("outline")\n'
                   'local s1 = c.clients:rotate_secret("outline")\n'
                   'c.clients:put("outline", (function() local p = rauthy.client_presets.outline({host = "wiki.example.com"}); '
                   'p.name = "Wiki"; return p end)())\n'
                   'local renamed = c.clients:get("outline").name\n'
                   'c.clients:delete("outline"); c.clients:delete("outline")\n'
                   'return before, o.redirect_uris[1], s1, renamed, c.clients:get("outline")', rauthy)
    assert got == (1, "https://wiki.example.com/auth/oidc.callback", "s3cret-outline-1", "Wiki", None)
    posts = [r for r in rauthy.requests if r.method == "POST" and r.path == "/auth/v1/clients"]
    # the POST carries only the NewClientRequest fields; the PUT the whole payload
    assert posts[0].json() == {"id": "outline", "name": "Outline", "confidential": True,
                               "redirect_uris": ["https://wiki.example.com/auth/oidc.callback"],
                               "post_logout_redirect_uris": ["https://wiki.example.com"]}
    put = next(r for r in rauthy.requests if r.method == "PUT")
    assert put.path == "/auth/v1/clients/outline" and put.json()["id_token_alg"] == "RS256"
    assert all(r.header("Authorization") == "API-Key " + API_KEY for r in rauthy.requests if "/clients" in r.path)
    err = fails(lua_fails, 'c.clients:rotate_secret("rauthy")', rauthy)
    assert "rauthy: POST /clients/rauthy/secret HTTP 400: " in err and "not confidential" in err
    err = lua_fails(lua_with(lambda c: c, REQ + 'rauthy.client("$URL/auth/v1", "wrong$key").clients:list()', URL=rauthy.url))
    assert "rauthy: GET /clients HTTP 401: " in err
    # the opts form of the second argument
    code = REQ + 'return #rauthy.client("$URL/auth/v1", {api_key = "%s"}).clients:list()' % API_KEY
    assert lua_with(lua, code, URL=rauthy.url) == 1


def test_rauthy_reconcile_decisions(lua, rauthy):
    preset = 'local p = rauthy.client_presets.openbao({host = "bao.example.com"})\n'
    first = run(lua, preset + "return c.clients:reconcile(p)", rauthy)
    assert first == {"action": "create", "secret": "s3cret-openbao-1"}
    assert rauthy.secret_of["openbao"] == "s3cret-openbao-1"
    # nothing changed: no request but the read, no new secret
    again = run(lua, preset + "return c.clients:reconcile(p)", rauthy)
    assert again == {"action": "noop"}
    # other drift: PUT only, the secret is kept
    moved = run(lua, preset + 'table.insert(p.redirect_uris, "https://bao2.example.com/cb")\n'
                              'return c.clients:reconcile(p)', rauthy)
    assert moved == {"action": "put", "drift_on": "redirect_uris"}
    assert rauthy.secret_of["openbao"] == "s3cret-openbao-1"
    # a field the server has but the payload drops is drift too (PUT clears it)
    dropped = run(lua, preset + "p.allowed_origins = nil; return c.clients:reconcile(p)", rauthy)
    assert dropped == {"action": "put", "drift_on": "allowed_origins"}
    # PKCE challenges missing on the server: rebuild, which gives a new secret
    del rauthy.clients["openbao"]["challenges"]
    rebuilt = run(lua, preset + "return c.clients:reconcile(p)", rauthy)
    assert rebuilt == {"action": "rebuild", "secret": "s3cret-openbao-2", "reason": "challenges-drift"}
    assert rauthy.clients["openbao"]["challenges"] == ["S256"]
    # lists compare as sets: the server reordering scopes is not drift
    rauthy.clients["openbao"]["scopes"].reverse()
    assert run(lua, preset + "return c.clients:reconcile(p).action", rauthy) == "noop"
    # a public client is created without a secret
    public = run(lua, 'return c.clients:reconcile(rauthy.client_presets.argocd({host = "cd.example.com"}))', rauthy)
    assert public == {"action": "create"}


def test_rauthy_presets(lua, lua_fails):
    got = lua(REQ + 'local b = rauthy.client_presets.openbao({host = "bao.example.com", id = "bao2"})\n'
                    'local m = rauthy.client_presets.immich_mobile({host = "photos.example.com"})\n'
                    'local s = rauthy.client_presets.seafile({host = "files.example.com"})\n'
                    'return b.id, b.redirect_uris, b.challenges, m.redirect_uris[1], m.confidential, '
                    's.challenges, s.scopes, rauthy.client_presets.paperless({host = "p"}).id_token_alg')
    assert got == ("bao2", ["https://bao.example.com/ui/vault/auth/oidc/oidc/callback",
                            "http://localhost:8250/oidc/callback"], ["S256"], "app.immich:///oauth-callback", False,
                   None, ["openid", "email", "profile", "groups"], "RS256")
    err = lua_fails(REQ + "rauthy.client_presets.immich({})")
    assert "rauthy.client_presets.immich: opts.host is required" in err
