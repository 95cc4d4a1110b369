"""assay.unleash (spec stdlib/unleash.md, UNLEASH-01..32) against the shared Unleash fake
(fake_unleash.FakeUnleash: admin token `*:*.test-admin-token`, sent raw)."""
import re
import time

from fake_unleash import ADMIN_TOKEN, unleash, unleash_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local unleash = require("assay.unleash")\n'
CLIENT = REQ + 'local c = unleash.client("$URL", {token = "%s"})\n' % ADMIN_TOKEN


def run(lua, code, url, **values):
    return lua_with(lua, CLIENT + code, URL=url, **values)


def fails(lua_fails, code, url):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=url))


def test_unleash_01_module_exports(lua):
    out = lua(REQ + 'return type(unleash.client), type(unleash.wait), type(unleash.ensure_project), '
                    'type(unleash.ensure_environment), type(unleash.ensure_token)')
    assert out == ("function",) * 5


def test_unleash_02_raw_token_and_content_type(lua, unleash):
    run(lua, "return c:projects()", unleash.url)
    r = unleash.last()
    assert r.header("Authorization") == "*:*.test-admin-token"
    assert r.header("Content-Type") == "application/json"
    # the documented client form also takes {api_key = ...}; trailing slashes are stripped
    code = REQ + 'local c = unleash.client("$URL//", {api_key = "%s"}); return #c:environments(), c.url' % ADMIN_TOKEN
    assert lua_with(lua, code, URL=unleash.url) == (3, unleash.url)
    assert unleash.last().header("Authorization") == ADMIN_TOKEN
    assert unleash.last().target == "/api/admin/environments"
    # no token: no Authorization header (and the server's 401)
    lua_with(lua, REQ + 'return pcall(function() return unleash.client("$URL"):projects() end)', URL=unleash.url)
    assert unleash.last().header("Authorization") is None
    lua_with(lua, REQ + 'return pcall(function() return unleash.client("$URL", {username = "admin", '
                        'password = "unleash4all"}):projects() end)', URL=unleash.url)
    assert unleash.last().header("Authorization") == "Basic YWRtaW46dW5sZWFzaDRhbGw="


def test_unleash_03_health(lua, unleash):
    assert run(lua, "return c:health()", unleash.url) == {"health": "GOOD"}
    assert (unleash.last().method, unleash.last().target) == ("GET", "/health")


def test_unleash_04_projects(lua, unleash):
    projects = run(lua, "return c:projects()", unleash.url)
    assert [(p["id"], p["name"]) for p in projects] == [("default", "Default")]
    assert unleash.last().target == "/api/admin/projects"
    unleash.set("GET", "/api/admin/projects", 404, {"name": "NotFoundError"})
    assert run(lua, "local p = c:projects(); return type(p), #p", unleash.url) == ("table", 0)
    unleash.set("GET", "/api/admin/projects", 200, {"version": 1})
    assert run(lua, "return #c:projects()", unleash.url) == 0


def test_unleash_05_project_or_nil(lua, unleash):
    project = run(lua, 'return c:project("default")', unleash.url)
    assert project["id"] == "default" and [f["name"] for f in project["features"]] == ["new-checkout", "dark-mode"]
    assert unleash.last().target == "/api/admin/projects/default"
    assert run(lua, 'return c:project("missing") == nil', unleash.url) is True


def test_unleash_06_create_project(lua, unleash):
    created = run(lua, 'return c:create_project({id = "payments", name = "Payments", description = "Pay"})',
                  unleash.url)
    assert (created["id"], created["name"], created["description"]) == ("payments", "Payments", "Pay")
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/projects")
    assert r.json() == {"id": "payments", "name": "Payments", "description": "Pay"}
    assert "payments" in unleash.projects


def test_unleash_07_update_project(lua, unleash):
    updated = run(lua, 'return c:update_project("default", {id = "default", name = "Main"})', unleash.url)
    assert updated["name"] == "Main"
    r = unleash.last()
    assert (r.method, r.target, r.json()) == ("PUT", "/api/admin/projects/default", {"id": "default", "name": "Main"})


def test_unleash_08_delete_project(lua, unleash):
    run(lua, 'c:create_project({id = "tmp", name = "Tmp"})', unleash.url)
    assert run(lua, 'return c:delete_project("tmp") == nil', unleash.url) is True
    r = unleash.last()
    assert (r.method, r.target) == ("DELETE", "/api/admin/projects/tmp")
    assert "tmp" not in unleash.projects


def test_unleash_09_environments(lua, unleash):
    envs = run(lua, "return c:environments()", unleash.url)
    assert [e["name"] for e in envs] == ["default", "development", "production"]
    assert unleash.last().target == "/api/admin/environments"


def test_unleash_10_enable_environment(lua, unleash):
    run(lua, 'c:create_project({id = "web", name = "Web"})', unleash.url)
    assert run(lua, 'return c:enable_environment("web", "production") == nil', unleash.url) is True
    r = unleash.last()
    assert (r.method, r.target, r.json()) == ("POST", "/api/admin/projects/web/environments",
                                              {"environment": "production"})
    assert unleash.project_envs["web"] == ["default", "production"]


def test_unleash_11_disable_environment(lua, unleash):
    assert run(lua, 'return c:disable_environment("default", "production") == nil', unleash.url) is True
    r = unleash.last()
    assert (r.method, r.target) == ("DELETE", "/api/admin/projects/default/environments/production")
    assert "production" not in unleash.project_envs["default"]


def test_unleash_12_features(lua, unleash):
    features = run(lua, 'return c:features("default")', unleash.url)
    assert [f["name"] for f in features] == ["new-checkout", "dark-mode"]
    assert unleash.last().target == "/api/admin/projects/default/features"


def test_unleash_13_feature_or_nil(lua, unleash):
    f = run(lua, 'return c:feature("default", "new-checkout")', unleash.url)
    assert (f["name"], f["type"]) == ("new-checkout", "release")
    assert unleash.last().target == "/api/admin/projects/default/features/new-checkout"
    assert run(lua, 'return c:feature("default", "nope") == nil', unleash.url) is True


def test_unleash_14_create_feature(lua, unleash):
    f = run(lua, 'return c:create_feature("default", {name = "beta-banner", type = "release", '
                 'description = "Banner"})', unleash.url)
    assert (f["name"], f["project"], f["description"]) == ("beta-banner", "default", "Banner")
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/projects/default/features")
    assert r.json() == {"name": "beta-banner", "type": "release", "description": "Banner"}


def test_unleash_15_update_feature(lua, unleash):
    f = run(lua, 'return c:update_feature("default", "dark-mode", {type = "permission", description = "x"})',
            unleash.url)
    assert (f["type"], f["description"]) == ("permission", "x")
    r = unleash.last()
    assert (r.method, r.target) == ("PUT", "/api/admin/projects/default/features/dark-mode")


def test_unleash_16_archive_feature(lua, unleash):
    # the real server answers 202 Accepted without a body
    assert run(lua, 'return c:archive_feature("default", "dark-mode") == nil', unleash.url) is True
    r = unleash.last()
    assert (r.method, r.target) == ("DELETE", "/api/admin/projects/default/features/dark-mode")
    assert "dark-mode" not in unleash.features["default"]


def test_unleash_17_toggle_on(lua, unleash):
    assert run(lua, 'return c:toggle_on("default", "new-checkout", "development") == nil', unleash.url) is True
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/projects/default/features/new-checkout/environments/development/on")
    assert r.body == b"{}"
    assert unleash.enabled[("default", "new-checkout", "development")] is True


def test_unleash_18_toggle_off(lua, unleash):
    run(lua, 'c:toggle_on("default", "new-checkout", "production"); c:toggle_off("default", "new-checkout", "production")',
        unleash.url)
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/projects/default/features/new-checkout/environments/production/off")
    assert r.body == b"{}"
    assert unleash.enabled[("default", "new-checkout", "production")] is False


def test_unleash_19_strategies_bare_array(lua, unleash):
    strategies = run(lua, 'return c:strategies("default", "new-checkout", "development")', unleash.url)
    assert [s["name"] for s in strategies] == ["flexibleRollout", "userWithId"]
    assert strategies[0]["parameters"]["rollout"] == "50"
    assert unleash.last().target == "/api/admin/projects/default/features/new-checkout/environments/development/strategies"
    # empty array as is; wrapped {strategies = [...]} unwrapped; 404 -> {}
    assert run(lua, 'local s = c:strategies("default", "dark-mode", "development"); return type(s), #s',
               unleash.url) == ("table", 0)
    path = "/api/admin/projects/default/features/x/environments/development/strategies"
    unleash.set("GET", path, 200, {"strategies": [{"name": "default"}]})
    assert run(lua, 'return c:strategies("default", "x", "development")', unleash.url) == [{"name": "default"}]
    unleash.set("GET", path, 404, {"name": "NotFoundError"})
    assert run(lua, 'return #c:strategies("default", "x", "development")', unleash.url) == 0


def test_unleash_20_add_strategy(lua, unleash):
    s = run(lua, 'return c:add_strategy("default", "dark-mode", "production", {name = "flexibleRollout", '
                 'parameters = {rollout = "25", stickiness = "default"}})', unleash.url)
    assert s["name"] == "flexibleRollout" and s["parameters"]["rollout"] == "25" and s["id"]
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/projects/default/features/dark-mode/environments/production/strategies")
    assert r.json() == {"name": "flexibleRollout", "parameters": {"rollout": "25", "stickiness": "default"}}
    # empty parameters are sent as an object, which Unleash requires
    s = run(lua, 'return c:add_strategy("default", "dark-mode", "production", {name = "default", parameters = {}, '
                 'constraints = {}})', unleash.url)
    assert s["name"] == "default"
    assert unleash.last().json() == {"name": "default", "parameters": {}, "constraints": []}


def test_unleash_21_tokens(lua, unleash):
    tokens = run(lua, "return c:tokens()", unleash.url)
    assert [(t["tokenName"], t["environment"]) for t in tokens] == [("backend", "development"),
                                                                     ("backend", "production")]
    assert unleash.last().target == "/api/admin/api-tokens"


def test_unleash_22_create_token(lua, unleash):
    t = run(lua, 'return c:create_token({tokenName = "frontend-app", type = "frontend", '
                 'environment = "production", projects = {"default"}})', unleash.url)
    assert t["secret"].startswith("default:production.") and t["tokenName"] == "frontend-app"
    r = unleash.last()
    assert (r.method, r.target) == ("POST", "/api/admin/api-tokens")
    assert r.json() == {"tokenName": "frontend-app", "type": "frontend", "environment": "production",
                        "projects": ["default"]}


def test_unleash_23_delete_token(lua, unleash):
    secret = unleash.tokens[0]["secret"]
    assert run(lua, 'return c:delete_token("$SECRET") == nil', unleash.url, SECRET=secret) is True
    r = unleash.last()
    assert (r.method, r.target) == ("DELETE", "/api/admin/api-tokens/" + secret)
    assert [t["secret"] for t in unleash.tokens] != [] and secret not in [t["secret"] for t in unleash.tokens]


def test_unleash_24_error_format(lua_fails, unleash):
    msg = fails(lua_fails, 'c:create_project({id = "default", name = "Again"})', unleash.url)
    assert re.search(r'assay/\w+\.lua:\d+: unleash: POST /api/admin/projects HTTP 409: \{.*"name": "NameExistsError", '
                     r'"message": "A project with id default already exists".*\}$', msg), msg
    msg = fails(lua_fails, 'c:update_feature("default", "nope", {type = "release"})', unleash.url)
    assert "unleash: PUT /api/admin/projects/default/features/nope HTTP 404: " in msg
    msg = fails(lua_fails, 'c:delete_project("nope")', unleash.url)
    assert "unleash: DELETE /api/admin/projects/nope HTTP 404: " in msg
    unleash.fail("GET", "/api/admin/environments", 500, "db down")
    msg = fails(lua_fails, "c:environments()", unleash.url)
    assert msg.endswith("unleash: GET /api/admin/environments HTTP 500: db down")
    unleash.health_status = 404
    msg = fails(lua_fails, "c:health()", unleash.url)
    assert msg.endswith('unleash: GET /health HTTP 404: {"health": "BAD"}')


def test_unleash_25_wait_healthy(lua, unleash, capfd):
    assert lua_with(lua, REQ + 'return unleash.wait("$URL", {timeout = 5, interval = 0.1})', URL=unleash.url) is True
    r = unleash.last()
    assert (r.target, r.header("Authorization")) == ("/health", None)
    assert "Unleash healthy after 0.1s" in capfd.readouterr().err


def test_unleash_26_wait_timeout(lua_fails, unleash, capfd):
    unleash.health_status = 503
    start = time.monotonic()
    msg = lua_fails(lua_with(lambda c: c, REQ + 'unleash.wait("$URL", {timeout = 0.5, interval = 0.1})',
                             URL=unleash.url))
    assert time.monotonic() - start < 5
    assert re.search(r"assay/unleash\.lua:\d+: unleash\.wait: not reachable at %s after 0\.5s$"
                     % re.escape(unleash.url), msg), msg
    assert len(unleash.requests) == 5
    err = capfd.readouterr().err
    assert "Waiting for Unleash... (1/5)" in err and "Waiting for Unleash... (4/5)" in err
    # transport errors count as failed attempts
    msg = lua_fails(REQ + 'unleash.wait("http://127.0.0.1:1", {timeout = 0.2, interval = 0.1})')
    assert msg.endswith("unleash.wait: not reachable at http://127.0.0.1:1 after 0.2s")


def test_unleash_27_ensure_project_existing(lua, unleash, capfd):
    p = run(lua, 'return unleash.ensure_project(c, "default", {name = "Other"})', unleash.url)
    assert p["name"] == "Default"
    assert [r.method for r in unleash.requests] == ["GET"]
    assert "Project already exists: default" in capfd.readouterr().err


def test_unleash_28_ensure_project_creates(lua, unleash, capfd):
    p = run(lua, 'return unleash.ensure_project(c, "payments", {description = "Pay"})', unleash.url)
    assert (p["id"], p["name"]) == ("payments", "payments")
    post = unleash.last()
    assert (post.method, post.target) == ("POST", "/api/admin/projects")
    assert post.json() == {"id": "payments", "name": "payments", "description": "Pay"}
    run(lua, 'return unleash.ensure_project(c, "web", {name = "Web"})', unleash.url)
    assert unleash.last().json() == {"id": "web", "name": "Web"}
    run(lua, 'return unleash.ensure_project(c, "api")', unleash.url)
    assert unleash.last().json() == {"id": "api", "name": "api"}
    assert "Created project: payments" in capfd.readouterr().err


def test_unleash_29_ensure_environment_enables(lua, unleash):
    run(lua, 'c:create_project({id = "web", name = "Web"})', unleash.url)
    assert run(lua, 'return unleash.ensure_environment(c, "web", "development")', unleash.url) is True
    assert unleash.last().json() == {"environment": "development"}
    assert "development" in unleash.project_envs["web"]


def test_unleash_30_ensure_environment_conflict_and_errors(lua, lua_fails, unleash, capfd):
    # already enabled: the server's 409 counts as success
    assert run(lua, 'return unleash.ensure_environment(c, "default", "production")', unleash.url) is True
    assert unleash.last().method == "POST"
    assert "Environment production already enabled on project default" in capfd.readouterr().err
    path = "/api/admin/projects/default/environments"
    unleash.fail("POST", path, 400, "environment is already enabled")
    assert run(lua, 'return unleash.ensure_environment(c, "default", "production")', unleash.url) is True
    unleash.fail("POST", path, 500, "db down")
    msg = fails(lua_fails, 'unleash.ensure_environment(c, "default", "production")', unleash.url)
    assert re.search(r"assay/unleash\.lua:\d+: unleash\.ensure_environment: assay/\w+\.lua:\d+: "
                     r"unleash: POST /api/admin/projects/default/environments HTTP 500: db down$", msg), msg


def test_unleash_31_ensure_token_existing(lua, lua_fails, unleash):
    t = run(lua, 'return unleash.ensure_token(c, {tokenName = "backend", type = "client", '
                 'environment = "production"})', unleash.url)
    assert t["secret"].startswith("*:production.")
    t = run(lua, 'return unleash.ensure_token(c, {tokenName = "backend", type = "client"})', unleash.url)
    assert t["environment"] == "development"
    assert all(r.method == "GET" for r in unleash.requests)
    msg = fails(lua_fails, 'unleash.ensure_token(c, {type = "client"})', unleash.url)
    assert "unleash.ensure_token: opts.tokenName is required" in msg
    msg = fails(lua_fails, 'unleash.ensure_token(c, {tokenName = "x"})', unleash.url)
    assert "unleash.ensure_token: opts.type is required" in msg


def test_unleash_32_ensure_token_creates(lua, unleash, capfd):
    t = run(lua, 'return unleash.ensure_token(c, {tokenName = "backend", type = "client", environment = "default"})',
            unleash.url)
    assert t["secret"].startswith("*:default.")
    post = unleash.last()
    assert (post.method, post.target) == ("POST", "/api/admin/api-tokens")
    assert post.json() == {"tokenName": "backend", "type": "client", "environment": "default"}
    run(lua, 'return unleash.ensure_token(c, {tokenName = "web", type = "frontend", projects = {"default"}})',
        unleash.url)
    assert unleash.last().json() == {"tokenName": "web", "type": "frontend", "projects": ["default"]}
    assert "Created token for backend (client)" in capfd.readouterr().err


def test_unleash_both_generations(lua, unleash):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''c:create_project({id = "gen-old", name = "Old"})
        c:enable_environment("gen-old", "production")
        c:create_feature("gen-old", {name = "flag", type = "release"})
        c:toggle_on("gen-old", "flag", "production")
        c:add_strategy("gen-old", "flag", "production", {name = "default"})
        local out = {c:health().health, c:project("gen-old").name, c:feature("gen-old", "flag").name,
                     #c:strategies("gen-old", "flag", "production"), #c:features("gen-old"), #c:environments() > 0,
                     c:project("missing") == nil}
        c:archive_feature("gen-old", "flag")
        out[#out + 1] = #c:features("gen-old")
        c:delete_project("gen-old")
        out[#out + 1] = c:project("gen-old") == nil
        return out''', unleash.url)
    new = run(lua, '''c.projects:create({id = "gen-new", name = "Old"})
        c.environments:enable("gen-new", "production")
        c.features:create("gen-new", {name = "flag", type = "release"})
        c.features:toggle_on("gen-new", "flag", "production")
        c.strategies:add("gen-new", "flag", "production", {name = "default"})
        local out = {c.health:check().health, c.projects:get("gen-new").name, c.features:get("gen-new", "flag").name,
                     #c.strategies:list("gen-new", "flag", "production"), #c.features:list("gen-new"),
                     #c.environments:list() > 0, c.projects:get("missing") == nil}
        c.features:archive("gen-new", "flag")
        out[#out + 1] = #c.features:list("gen-new")
        c.projects:delete("gen-new")
        out[#out + 1] = c.projects:get("gen-new") == nil
        return out''', unleash.url)
    assert old == new == ["GOOD", "Old", "flag", 1, 1, True, True, 0, True]
    # c:projects() (0.8.3) and c.projects:list() (0.19) on the same callable table
    assert run(lua, "return #c:projects() == #c.projects:list() and #c.tokens:list() == #c:tokens()", unleash.url)
