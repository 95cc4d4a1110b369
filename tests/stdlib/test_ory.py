"""assay.ory umbrella (spec stdlib/ory.md, ORY-01..06) with the shared Ory fake
(fake_ory.FakeOry) for the clients built by ory.connect."""
import re

from fake_ory import ory, ory_server  # noqa: F401 (fixtures)
from fakes import lua_with


def test_ory_01_module_fields(lua):
    out = lua('local ory = require("assay.ory")\n'
              'return type(ory.kratos), type(ory.hydra), type(ory.keto), type(ory.rbac), type(ory.connect), '
              'type(ory.kratos.client), type(ory.hydra.client), type(ory.keto.client), type(ory.rbac.policy)')
    assert out == ("table",) * 4 + ("function",) * 5


def test_ory_02_same_tables_as_submodules(lua):
    out = lua('local ory = require("assay.ory")\n'
              'return ory.kratos == require("assay.ory.kratos"), ory.hydra == require("assay.ory.hydra"), '
              'ory.keto == require("assay.ory.keto"), ory.rbac == require("assay.ory.rbac")')
    assert out == (True, True, True, True)
    # the same when the submodule is loaded first
    assert lua('local k = require("assay.ory.keto"); return require("assay.ory").keto == k') is True


def test_ory_03_connect_kratos_public_only(lua, lua_fails, ory):
    ory.create_session("user-123")
    token = list(ory.sessions)[0]
    code = '''local clients = require("assay.ory").connect({kratos_public = "$KRATOS_PUBLIC/"})
              local keys = {}
              for k in pairs(clients) do keys[#keys + 1] = k end
              return keys, clients.kratos.public_url, clients.kratos.admin_url,
                     clients.kratos:whoami("ory_kratos_session=%s").identity.id''' % token
    out = lua_with(lua, code, **ory.placeholders())
    assert out == (["kratos"], ory.kratos_public.url, None, "user-123")
    # read-only public client: admin methods raise the submodule's error without a request
    msg = lua_with(lua_fails, 'require("assay.ory").connect({kratos_public = "$KRATOS_PUBLIC"}).kratos:get_identity("x")',
                   **ory.placeholders())
    assert re.search(r"^assay/ory/kratos\.lua:\d+: kratos: admin_url not configured$", msg), msg
    assert ory.kratos_admin.requests == []


def test_ory_03_connect_kratos_admin_only(lua, ory):
    out = lua_with(lua, '''local c = require("assay.ory").connect({kratos_admin = "$KRATOS_ADMIN"})
        return c.kratos.public_url, c.kratos:get_identity("user-456").traits.email, c.hydra, c.keto''',
                   **ory.placeholders())
    assert out == (None, "bob@example.com", None, None)


def test_ory_04_connect_hydra(lua, lua_fails, ory):
    out = lua_with(lua, '''local c = require("assay.ory").connect({hydra_public = "$HYDRA_PUBLIC/",
          hydra_admin = "$HYDRA_ADMIN/"})
        return c.hydra.public_url, c.hydra.admin_url, c.hydra:well_known().issuer, #c.hydra:list_clients(),
          c.kratos, c.keto''', **ory.placeholders())
    assert out == (ory.hydra_public.url, ory.hydra_admin.url, ory.issuer, 2, None, None)
    msg = lua_with(lua_fails, 'require("assay.ory").connect({hydra_admin = "$HYDRA_ADMIN"}).hydra:jwks()',
                   **ory.placeholders())
    assert msg.endswith("hydra: public_url not configured")


def test_ory_05_connect_keto(lua, lua_fails, ory):
    ory.add_tuple("Role", "app:admin", "members", "user:alice")
    out = lua_with(lua, '''local c = require("assay.ory").connect({keto_read = "$KETO_READ/", keto_write = "$KETO_WRITE/"})
        c.keto:create({namespace = "Role", object = "app:viewer", relation = "members", subject_id = "user:bob"})
        return c.keto.read_url, c.keto.write_url, c.keto:check("Role", "app:admin", "members", "user:alice"),
          #c.keto:list({namespace = "Role"}).relation_tuples''', **ory.placeholders())
    assert out == (ory.keto_read.url, ory.keto_write.url, True, 2)
    # read-only without keto_write
    msg = lua_with(lua_fails, '''require("assay.ory").connect({keto_read = "$KETO_READ"}).keto:delete_all({namespace = "Role"})''',
                   **ory.placeholders())
    assert "write_url not configured" in msg


def test_ory_06_connect_empty(lua):
    out = lua('''local ory = require("assay.ory")
        local a, b, c = ory.connect({}), ory.connect(), ory.connect({keto_write = "http://keto:4467"})
        return next(a) == nil, next(b) == nil, next(c) == nil, c.rbac''')
    assert out == (True, True, True, None)


def test_ory_connect_builds_all_three(lua, ory):
    """The documented form: ory.connect{...} with every URL, then an rbac policy over its keto client."""
    out = lua_with(lua, '''local ory = require("assay.ory")
        local c = ory.connect({kratos_public = "$KRATOS_PUBLIC", kratos_admin = "$KRATOS_ADMIN",
          hydra_public = "$HYDRA_PUBLIC", hydra_admin = "$HYDRA_ADMIN",
          keto_read = "$KETO_READ", keto_write = "$KETO_WRITE"})
        local p = ory.rbac.policy({namespace = "demo", keto = c.keto, roles = {admin = {rank = 1, capabilities = {"all"}}}})
        p:add("user-123", "admin")
        local id = c.kratos:get_identity("user-123").id
        return id, p:user_has_capability(id, "all"), c.hydra:get_client("example-app").client_id, c.rbac''',
                   **ory.placeholders())
    assert out == ("user-123", True, "example-app", None)


# ---- discovery headers (discovery.md §4, §7.5) --------------------------------------------

HEADERS = {
    "ory.lua": ("assay.ory", "Convenience umbrella for the Ory stack submodules (kratos, hydra, keto, rbac). "
                "Prefer requiring the individual submodules directly (e.g. assay.ory.kratos) if you only need one.",
                "ory, stack, kratos, hydra, keto, rbac, identity, oauth2, oidc, authz, zanzibar, capability", 5),
    "ory/hydra.lua": ("assay.ory.hydra", "Ory Hydra OAuth2 and OpenID Connect — client CRUD, authorize URL builder, "
                      "token exchange, login/consent/logout challenges, introspection, JWK endpoint.",
                      "hydra, ory, oauth2, oidc, openid, authentication, clients, tokens, login_challenge, "
                      "consent_challenge, logout_challenge, jwk, authorize, introspect", 23),
    "ory/keto.lua": ("assay.ory.keto", "Ory Keto authorization — relation-tuple CRUD, permission checks, role "
                     "membership queries. Implements relationship-based access control (ReBAC, Google "
                     "Zanzibar-style).",
                     "keto, ory, authorization, authz, rbac, rebac, permissions, roles, relation-tuples, zanzibar, "
                     "access-control, members, groups", 11),  # + upsert, batch_check, has_any (current Assay)
    "ory/kratos.lua": ("assay.ory.kratos", "Ory Kratos identity management — login/registration/recovery flows, "
                       "identity CRUD via admin API, session introspection, schemas.",
                       "kratos, ory, identity, authentication, login, registration, recovery, settings, sessions, "
                       "identities, schemas, whoami", 17),  # + flows:get_registration, schemas:get
    "ory/rbac.lua": ("assay.ory.rbac", "Capability-based RBAC engine layered on top of Ory Keto. Define a policy "
                     "once (role -> capabilities map) and get user lookups, capability checks, and membership "
                     "management helpers. A user can hold multiple roles; their effective capability set is the "
                     "union of all assigned roles. Each role also has a rank so a single \"primary\" role can be "
                     "shown for display.",
                     "rbac, roles, permissions, capabilities, authz, authorization, keto, ory, zanzibar, policy", 13),
}


def test_ory_headers_match_spec():
    import os
    from assay.discovery import metadata
    root = os.path.join(os.path.dirname(__file__), "..", "..", "stdlib")
    for path, (module, description, keywords, quickrefs) in HEADERS.items():
        with open(os.path.join(root, path), encoding="utf-8") as f:
            meta = metadata.parse(f.read())
        assert meta.module == module
        assert meta.description == description, path
        assert meta.keywords == [k.strip() for k in keywords.split(",")], path
        assert len(meta.quickrefs) == quickrefs, path
        if path in ("ory/hydra.lua", "ory/kratos.lua"):
            # issue 12: the documented URL-first form first, then the spec's own constructor line
            short = path[4:-4]
            assert [q[0] for q in meta.quickrefs[:2]] == [short + ".client(public_url, opts?)",
                                                       short + ".client(opts)"], path


def test_ory_context_kratos_finds_both(assay):
    """discovery §7.5: the query `kratos` lists assay.ory and the nested assay.ory.kratos."""
    out = assay("context", "kratos").stdout
    found = [line[4:] for line in out.splitlines() if line.startswith("### ")]
    assert "assay.ory" in found and "assay.ory.kratos" in found, out
    rows = assay("modules").stdout
    for name in ("assay.ory.hydra", "assay.ory.keto", "assay.ory.kratos", "assay.ory.rbac"):
        assert name in rows
