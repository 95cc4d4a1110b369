"""assay.argocd (spec stdlib/argocd.md, ARGOCD-01..28) against the shared Argo CD fake
(fake_argocd.FakeArgoCD: bearer token `test-token-123`; Basic admin:password accepted for the
original's Basic mode)."""
import json
import re
import time

from fake_argocd import ARGOCD_TOKEN, argocd, argocd_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local argocd = require("assay.argocd")\n'
CLIENT = REQ + 'local c = argocd.client("$URL", {token = "%s"})\n' % ARGOCD_TOKEN


def run(lua, code, url, **values):
    return lua_with(lua, CLIENT + code, URL=url, **values)


def fails(lua_fails, code, url):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=url))


def test_argocd_01_token_is_bearer(lua, argocd):
    version = run(lua, "return c:version()", argocd.url)
    assert version["Version"].startswith("v2.")
    assert argocd.last("/api/version").header("Authorization") == "Bearer test-token-123"
    # the documented client form with api_key is the same Bearer header
    lua_with(lua, REQ + 'return argocd.client("$URL", {api_key = "k1"}):version()', URL=argocd.url)
    assert argocd.last().header("Authorization") == "Bearer k1"


def test_argocd_02_username_password_is_basic_token_wins(lua, argocd):
    code = REQ + 'local c = argocd.client("$URL", {username = "admin", password = "password"})\n' \
        'return #c:applications(), c.username, c.password, c.token'
    n, user, password, token = lua_with(lua, code, URL=argocd.url)
    assert (n, user, password, token) == (2, "admin", "password", None)
    assert argocd.last().header("Authorization") == "Basic YWRtaW46cGFzc3dvcmQ="
    code = REQ + 'local c = argocd.client("$URL", {token = "tok", username = "admin", password = "password"})\n' \
        'c:version(); return c.token'
    assert lua_with(lua, code, URL=argocd.url) == "tok"
    assert argocd.last().header("Authorization") == "Bearer tok"
    # username without password: no Authorization header at all
    lua_with(lua, REQ + 'return argocd.client("$URL", {username = "admin"}):version()', URL=argocd.url)
    assert argocd.last().header("Authorization") is None
    lua_with(lua, REQ + 'return argocd.client("$URL"):version()', URL=argocd.url)
    assert argocd.last().header("Authorization") is None


def test_argocd_03_content_type_on_every_request(lua, argocd):
    run(lua, 'c:version(); c:applications(); c:sync("guestbook"); c:delete_app("helm-app")', argocd.url)
    assert [r.method for r in argocd.requests] == ["GET", "GET", "POST", "DELETE"]
    for r in argocd.requests:
        assert r.header("Content-Type") == "application/json", r


def test_argocd_04_trailing_slashes_stripped(lua, argocd):
    code = REQ + 'local c = argocd.client("$URL///", {token = "%s"}); return c:version().Platform, c.url' \
        % ARGOCD_TOKEN
    platform, url = lua_with(lua, code, URL=argocd.url)
    assert platform == "linux/amd64" and url == argocd.url
    assert argocd.last().target == "/api/version"


def test_argocd_05_applications_items_or_empty(lua, argocd):
    apps = run(lua, "return c:applications()", argocd.url)
    assert [(a["metadata"]["name"], a["status"]["health"]["status"], a["status"]["sync"]["status"])
            for a in apps] == [("guestbook", "Healthy", "Synced"), ("helm-app", "Degraded", "OutOfSync")]
    assert argocd.last().target == "/api/v1/applications"
    # the real server sends "items": null for an empty list
    argocd.apps.clear()
    assert run(lua, "local a = c:applications(); return type(a), #a", argocd.url) == ("table", 0)
    argocd.set("GET", "/api/v1/applications", 200, {"metadata": {}})
    assert run(lua, "local a = c:applications(); return type(a), #a", argocd.url) == ("table", 0)


def test_argocd_06_applications_filters(lua, argocd):
    apps = run(lua, 'return c:applications({project = "platform"})', argocd.url)
    assert [a["metadata"]["name"] for a in apps] == ["helm-app"]
    assert argocd.last().target == "/api/v1/applications?project=platform"
    apps = run(lua, 'return c:applications({project = "default", selector = "team=web"})', argocd.url)
    assert [a["metadata"]["name"] for a in apps] == ["guestbook"]
    r = argocd.last()
    assert r.query_keys == ["project", "selector"]
    assert r.query == {"project": ["default"], "selector": ["team=web"]}
    run(lua, 'return c:applications({selector = "team=platform"})', argocd.url)
    assert argocd.last().query == {"selector": ["team=platform"]}


def test_argocd_07_application(lua, argocd):
    app = run(lua, 'return c:application("guestbook")', argocd.url)
    assert app["metadata"]["name"] == "guestbook"
    assert app["spec"]["source"]["repoURL"] == "https://github.com/argoproj/argocd-example-apps"
    assert app["status"]["history"][1]["id"] == 2
    assert argocd.last().target == "/api/v1/applications/guestbook"


def test_argocd_08_app_health(lua, argocd):
    health = run(lua, 'return c:app_health("helm-app")', argocd.url)
    assert health == {"status": "Degraded", "sync": "OutOfSync",
                      "message": "Deployment helm-app has 0/2 ready replicas"}
    assert argocd.last().path == "/api/v1/applications/helm-app"
    # missing parts are nil
    argocd.set("GET", "/api/v1/applications/guestbook", 200, {"metadata": {"name": "guestbook"}, "status": {}})
    assert run(lua, 'local h = c:app_health("guestbook"); return h.status == nil and h.sync == nil '
                    'and h.message == nil', argocd.url) is True


def test_argocd_09_sync(lua, argocd):
    result = run(lua, 'return c:sync("guestbook", {revision = "def456", prune = true})', argocd.url)
    r = argocd.last()
    assert (r.method, r.path) == ("POST", "/api/v1/applications/guestbook/sync")
    assert r.json() == {"revision": "def456", "prune": True}
    assert result["operation"]["sync"]["revision"] == "def456" and result["metadata"]["name"] == "guestbook"
    run(lua, 'return c:sync("guestbook", {dry_run = true, prune = false, strategy = {hook = {force = true}}})',
        argocd.url)
    assert argocd.last().json() == {"dryRun": True, "prune": False, "strategy": {"hook": {"force": True}}}
    # no options: an empty JSON object (the original sent []), which the real gateway accepts
    result = run(lua, 'return c:sync("guestbook")', argocd.url)
    assert argocd.last().body == b"{}" and result["metadata"]["name"] == "guestbook"
    # empty strategy objects stay objects
    run(lua, 'return c:sync("guestbook", {strategy = {hook = {}}})', argocd.url)
    assert argocd.last().body == b'{"strategy":{"hook":{}}}'


def test_argocd_10_refresh(lua, argocd):
    app = run(lua, 'return c:refresh("guestbook", {type = "hard"})', argocd.url)
    assert app["metadata"]["name"] == "guestbook"
    assert argocd.last().target == "/api/v1/applications/guestbook?refresh=hard"
    run(lua, 'return c:refresh("guestbook")', argocd.url)
    assert argocd.last().target == "/api/v1/applications/guestbook?refresh=normal"
    assert argocd.refreshes == [("guestbook", "hard"), ("guestbook", "normal")]


def test_argocd_11_rollback(lua, lua_fails, argocd):
    # the real server: POST with {"id": id}
    result = run(lua, 'return c:rollback("guestbook", 1)', argocd.url)
    r = argocd.last()
    assert (r.method, r.path, r.json()) == ("POST", "/api/v1/applications/guestbook/rollback", {"id": 1})
    assert result["operation"]["sync"]["revision"] == "111aaa"
    assert len(argocd.requests) == 1
    run(lua, 'return c:rollback("guestbook", 2.0)', argocd.url)
    assert argocd.last().body == b'{"id":2}'  # an integral float is sent as an integer id
    # a server that only routes the original's PUT (as the original's mocks did)
    argocd.reset()
    argocd.fail("POST", "/api/v1/applications/guestbook/rollback", 404, '{"error":"Not Found"}')
    argocd.set("PUT", "/api/v1/applications/guestbook/rollback", 200, {"rolled": True})
    assert run(lua, 'return c:rollback("guestbook", 2)', argocd.url) == {"rolled": True}
    assert [(r.method, r.json()) for r in argocd.requests] == [("POST", {"id": 2}), ("PUT", {"id": 2})]
    # an unknown history id is the server's error
    argocd.reset()
    msg = fails(lua_fails, 'c:rollback("guestbook", 9)', argocd.url)
    assert "argocd: POST /api/v1/applications/guestbook/rollback HTTP 400: " in msg and "id 9" in msg


def test_argocd_12_app_resources(lua, argocd):
    tree = run(lua, 'return c:app_resources("guestbook")', argocd.url)
    assert [n["kind"] for n in tree["nodes"]] == ["Deployment", "ReplicaSet", "Service"]
    assert argocd.last().target == "/api/v1/applications/guestbook/resource-tree"


def test_argocd_13_app_manifests(lua, argocd):
    m = run(lua, 'return c:app_manifests("guestbook")', argocd.url)
    assert m["revision"] == "abc123" and json.loads(m["manifests"][0])["kind"] == "Service"
    assert argocd.last().target == "/api/v1/applications/guestbook/manifests"
    m = run(lua, 'return c:app_manifests("guestbook", {revision = "v1.2.0"})', argocd.url)
    assert m["revision"] == "v1.2.0"
    assert argocd.last().target == "/api/v1/applications/guestbook/manifests?revision=v1.2.0"


def test_argocd_14_delete_app_query(lua, argocd):
    out = run(lua, 'local r = c:delete_app("guestbook", {cascade = true, propagation_policy = "foreground"}); '
                   'return type(r), next(r) == nil', argocd.url)
    assert out == ("table", True)
    r = argocd.last()
    assert r.method == "DELETE"
    assert r.target == "/api/v1/applications/guestbook?cascade=true&propagationPolicy=foreground"
    assert argocd.deleted == [("guestbook", "true", "foreground")]
    run(lua, 'return c:delete_app("helm-app", {cascade = false})', argocd.url)
    assert argocd.last().target == "/api/v1/applications/helm-app?cascade=false"


def test_argocd_15_delete_app_empty_body_is_nil(lua, argocd):
    argocd.set("DELETE", "/api/v1/applications/guestbook", 200, b"")
    assert run(lua, 'local r = c:delete_app("guestbook"); return r == nil', argocd.url) is True
    assert argocd.last().target == "/api/v1/applications/guestbook"


def test_argocd_16_projects(lua, argocd):
    projects = run(lua, "return c:projects()", argocd.url)
    assert [p["metadata"]["name"] for p in projects] == ["default", "platform"]
    assert argocd.last().target == "/api/v1/projects"
    argocd.set("GET", "/api/v1/projects", 200, {"metadata": {}, "items": None})
    assert run(lua, "return #c:projects()", argocd.url) == 0


def test_argocd_17_project(lua, argocd):
    p = run(lua, 'return c:project("platform")', argocd.url)
    assert p["spec"]["description"] == "Platform services"
    assert argocd.last().target == "/api/v1/projects/platform"


def test_argocd_18_repositories(lua, argocd):
    repos = run(lua, "return c:repositories()", argocd.url)
    assert repos[0]["repo"] == "https://github.com/argoproj/argocd-example-apps"
    assert repos[0]["connectionState"]["status"] == "Successful"
    assert argocd.last().target == "/api/v1/repositories"


def test_argocd_19_repository_percent_encoded(lua, argocd):
    repo = run(lua, 'return c:repository("https://github.com/org/repo")', argocd.url)
    assert repo["repo"] == "https://github.com/org/repo"
    assert argocd.last().target == "/api/v1/repositories/https%3A%2F%2Fgithub.com%2Forg%2Frepo"
    run(lua, 'return pcall(c.repository, c, "git@host:a b/x_y-z.git~")', argocd.url)
    assert argocd.last().target == "/api/v1/repositories/git%40host%3Aa%20b%2Fx_y-z.git~"


def test_argocd_20_clusters(lua, argocd):
    clusters = run(lua, "return c:clusters()", argocd.url)
    assert [(k["name"], k["server"]) for k in clusters] == [
        ("in-cluster", "https://kubernetes.default.svc"), ("prod", "https://prod.example.com:6443")]
    assert argocd.last().target == "/api/v1/clusters"


def test_argocd_21_cluster_percent_encoded(lua, argocd):
    cluster = run(lua, 'return c:cluster("https://prod.example.com:6443")', argocd.url)
    assert cluster["name"] == "prod"
    assert argocd.last().target == "/api/v1/clusters/https%3A%2F%2Fprod.example.com%3A6443"


def test_argocd_22_settings(lua, argocd):
    s = run(lua, "return c:settings()", argocd.url)
    assert s["url"] == "https://argocd.example.com" and s["appLabelKey"] == "app.kubernetes.io/instance"
    assert argocd.last().target == "/api/v1/settings"


def test_argocd_23_version(lua, argocd):
    v = run(lua, "return c:version()", argocd.url)
    assert (v["Version"], v["GitCommit"][:7], v["Platform"]) == ("v2.9.3+6eba5be", "6eba5be", "linux/amd64")
    assert argocd.last().target == "/api/version"


def test_argocd_24_is_healthy(lua, argocd):
    assert run(lua, 'return c:is_healthy("guestbook"), c:is_healthy("helm-app")', argocd.url) == (True, False)


def test_argocd_25_is_synced(lua, argocd):
    assert run(lua, 'return c:is_synced("guestbook"), c:is_synced("helm-app")', argocd.url) == (True, False)


def test_argocd_26_wait_healthy(lua, lua_fails, argocd):
    argocd.health_plan["helm-app"] = ["Progressing", "Healthy"]
    start = time.monotonic()
    assert run(lua, 'return c:wait_healthy("helm-app", 10)', argocd.url) is True
    elapsed = time.monotonic() - start
    assert 1.8 <= elapsed < 6, elapsed  # one 2 s pause between the two polls
    assert len([r for r in argocd.requests if r.path == "/api/v1/applications/helm-app"]) == 2
    argocd.reset()
    msg = fails(lua_fails, 'c:wait_healthy("helm-app", 1)', argocd.url)
    assert re.search(r"assay/argocd\.lua:\d+: argocd: timeout waiting for helm-app to become healthy$", msg), msg
    assert len(argocd.requests) == 1
    # HTTP errors while polling propagate at once
    msg = fails(lua_fails, 'c:wait_healthy("nope", 30)', argocd.url)
    assert "argocd: GET /api/v1/applications/nope HTTP 404: " in msg


def test_argocd_27_wait_synced(lua, lua_fails, argocd):
    assert run(lua, 'return c:wait_synced("guestbook", 5)', argocd.url) is True
    argocd.sync_plan["helm-app"] = ["OutOfSync", "Synced"]
    assert run(lua, 'return c:wait_synced("helm-app", 10)', argocd.url) is True
    msg = fails(lua_fails, 'c:wait_synced("guestbook", 0)', argocd.url)
    assert msg.endswith("argocd: timeout waiting for guestbook to become synced")


def test_argocd_28_errors(lua_fails, argocd):
    msg = fails(lua_fails, 'c:application("missing")', argocd.url)
    assert re.search(r'assay/\w+\.lua:\d+: argocd: GET /api/v1/applications/missing HTTP 404: '
                     r'\{"error": "applications.argoproj.io \\"missing\\" not found".*\}$', msg), msg
    argocd.fail("GET", "/api/v1/applications", 500, "boom")
    msg = fails(lua_fails, 'c:applications({project = "x"})', argocd.url)
    assert msg.endswith("argocd: GET /api/v1/applications?project=x HTTP 500: boom")
    argocd.fail("DELETE", "/api/v1/applications/guestbook", 403, "denied")
    msg = fails(lua_fails, 'c:delete_app("guestbook", {cascade = false})', argocd.url)
    assert msg.endswith("argocd: DELETE /api/v1/applications/guestbook?cascade=false HTTP 403: denied")
    argocd.fail("POST", "/api/v1/applications/guestbook/sync", 409, "another operation in progress")
    msg = fails(lua_fails, 'c:sync("guestbook")', argocd.url)
    assert msg.endswith("argocd: POST /api/v1/applications/guestbook/sync HTTP 409: another operation in progress")
    # no Authorization: the server's 401
    msg = lua_fails(lua_with(lambda c: c, REQ + 'argocd.client("$URL"):projects()', URL=argocd.url))
    assert "argocd: GET /api/v1/projects HTTP 401: " in msg


def test_argocd_both_generations(lua, argocd):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''
        local names = {}
        for _, a in ipairs(c:applications({project = "default"})) do names[#names + 1] = a.metadata.name end
        return {names = names, health = c:app_health("helm-app").status, healthy = c:is_healthy("guestbook"),
                synced = c:is_synced("helm-app"), project = c:project("platform").spec.description,
                projects = #c:projects(), repos = #c:repositories(), clusters = #c:clusters(),
                version = c:version().Version, tree = c:app_resources("guestbook") ~= nil}''', argocd.url)
    new = run(lua, '''
        local names = {}
        for _, a in ipairs(c.apps:list({project = "default"})) do names[#names + 1] = a.metadata.name end
        return {names = names, health = c.apps:health("helm-app").status, healthy = c.apps:is_healthy("guestbook"),
                synced = c.apps:is_synced("helm-app"), project = c.projects:get("platform").spec.description,
                projects = #c.projects:list(), repos = #c.repositories:list(), clusters = #c.clusters:list(),
                version = c:version().Version, tree = c.apps:resources("guestbook") ~= nil}''', argocd.url)
    assert old == new
    assert (old["names"], old["health"], old["healthy"], old["synced"], old["project"], old["projects"]) == \
        (["guestbook"], "Degraded", True, False, "Platform services", 2)
    run(lua, 'c.apps:sync("guestbook", {revision = "def456"}); c.apps:delete("helm-app", {cascade = false})',
        argocd.url)
    assert argocd.last().method == "DELETE" and argocd.last().target == "/api/v1/applications/helm-app?cascade=false"
