"""assay.grafana (spec stdlib/grafana.md, GRAFANA-01..15) against the shared Grafana fake
(fakes.FakeGrafana: API key `glsa_test_key_12345` or Basic admin:admin, 401 otherwise)."""
import re

from fakes import GRAFANA_API_KEY, grafana, grafana_server, lua_with  # noqa: F401 (fixtures)

REQ = 'local grafana = require("assay.grafana")\n'
CLIENT = REQ + 'local c = grafana.client("$URL", {api_key = "%s"})\n' % GRAFANA_API_KEY


def run(lua, code, url, **values):
    return lua_with(lua, CLIENT + code, URL=url, **values)


def test_grafana_01_health_without_auth_headers(lua, grafana):
    health = run(lua, 'return c:health()', grafana.url)
    assert health == {"commit": "6d6e1ea8b5", "database": "ok", "version": "10.2.3"}
    req = grafana.last("/api/health")
    assert req.method == "GET"
    assert req.header("Authorization") is None and req.header("Content-Type") is None


def test_grafana_02_health_error(lua_fails, grafana):
    grafana.fail("GET", "/api/health", 503, '{"database":"failing"}', "application/json")
    msg = lua_fails(lua_with(lambda c: c, CLIENT + "c:health()", URL=grafana.url))
    assert re.search(r'assay/\w+\.lua:\d+: grafana: GET /api/health HTTP 503: \{"database":"failing"\}$', msg), msg


def test_grafana_03_api_key_is_bearer(lua, grafana):
    org = run(lua, "return c:org()", grafana.url)
    assert (org["id"], org["name"]) == (1, "Main Org.")
    req = grafana.last("/api/org")
    assert req.header("Authorization") == "Bearer glsa_test_key_12345"
    assert req.header("Content-Type") == "application/json"


def test_grafana_04_username_password_is_basic(lua, grafana):
    out = lua_with(lua, REQ + 'return grafana.client("$URL", {username = "admin", password = "admin"}):org().name',
                   URL=grafana.url)
    assert out == "Main Org."
    assert grafana.last("/api/org").header("Authorization") == "Basic YWRtaW46YWRtaW4="
    # api_key wins over username/password
    lua_with(lua, REQ + 'return grafana.client("$URL", {api_key = "%s", username = "a", password = "b"}):org()'
             % GRAFANA_API_KEY, URL=grafana.url)
    assert grafana.last("/api/org").header("Authorization") == "Bearer " + GRAFANA_API_KEY
    # neither: no Authorization header (the fake answers 401)
    lua_with(lua, REQ + 'return pcall(function() return grafana.client("$URL"):org() end)', URL=grafana.url)
    assert grafana.last("/api/org").header("Authorization") is None


def test_grafana_05_trailing_slashes(lua, grafana):
    code = REQ + 'local c = grafana.client("$URL///", {api_key = "%s"}); return c:folders(), c.url' % GRAFANA_API_KEY
    folders, url = lua_with(lua, code, URL=grafana.url)
    assert folders[0]["uid"] == "infra" and url == grafana.url
    assert grafana.last().target == "/api/folders"


def test_grafana_06_datasources(lua, grafana):
    ds = run(lua, 'return c:datasources()', grafana.url)
    assert [(d["name"], d["uid"], d["type"]) for d in ds] == [
        ("Prometheus", "prometheus-uid", "prometheus"), ("Loki", "loki-uid", "loki")]
    assert grafana.last().path == "/api/datasources"


def test_grafana_07_datasource_by_uid_or_id(lua, lua_fails, grafana):
    assert run(lua, 'return c:datasource("prometheus-uid").name', grafana.url) == "Prometheus"
    assert grafana.last().path == "/api/datasources/uid/prometheus-uid"
    assert run(lua, 'return c:datasource(2).name', grafana.url) == "Loki"
    assert grafana.last().path == "/api/datasources/2"
    assert run(lua, 'return c:datasource(1.0).name', grafana.url) == "Prometheus"
    assert grafana.last().path == "/api/datasources/1"
    # the string "1" is a uid
    msg = lua_fails(lua_with(lambda c: c, CLIENT + 'c:datasource("1")', URL=grafana.url))
    assert "grafana: GET /api/datasources/uid/1 HTTP 404: " in msg


def test_grafana_08_search(lua, grafana):
    hits = run(lua, 'return c:search({query = "node"})', grafana.url)
    assert [h["uid"] for h in hits] == ["node-exporter"]
    assert grafana.last().target == "/api/search?query=node"
    run(lua, 'return c:search({limit = 1, tag = "k8s", type = "dash-db", query = "Pods list"})', grafana.url)
    req = grafana.last()
    assert req.query_keys == ["query", "type", "tag", "limit"]
    assert req.query == {"query": ["Pods list"], "type": ["dash-db"], "tag": ["k8s"], "limit": ["1"]}
    assert len(run(lua, 'return c:search()', grafana.url)) == 4
    assert grafana.last().target == "/api/search"


def test_grafana_09_dashboard(lua, grafana):
    d = run(lua, 'return c:dashboard("k8s-pods")', grafana.url)
    assert d["dashboard"]["title"] == "Kubernetes Pods" and d["meta"]["folderUid"] == "infra"
    assert grafana.last().path == "/api/dashboards/uid/k8s-pods"


def test_grafana_10_annotations_query(lua, grafana):
    out = run(lua, '''c:create_annotation({dashboardId = 10, text = "deploy", tags = {"release"}, time = 1700000000500})
        c:create_annotation({dashboardId = 11, text = "other", tags = {"misc"}, time = 1700000000600})
        return c:annotations({from = 1700000000000, to = 1.7000000009e12, limit = 100,
                              dashboard_id = 10, tags = {"release"}})''', grafana.url)
    assert [a["text"] for a in out] == ["deploy"]
    req = grafana.last("/api/annotations")
    assert req.method == "GET"
    assert req.query_keys == ["from", "to", "dashboardId", "limit", "tags"]
    assert req.raw_query == "from=1700000000000&to=1700000000900&dashboardId=10&limit=100&tags=release"
    run(lua, 'return c:annotations({tags = {"a", "b"}})', grafana.url)
    assert grafana.last().raw_query == "tags=a&tags=b"
    assert run(lua, 'local a = c:annotations({tags = {"none"}}); return type(a), #a', grafana.url) == ("table", 0)


def test_grafana_11_create_annotation(lua, grafana):
    out = run(lua, 'return c:create_annotation({dashboardId = 1, panelId = 2, text = "hi", tags = {"x"}, '
                   'time = 1700000000000, timeEnd = 1700000001000})', grafana.url)
    assert out == {"id": 1, "message": "Annotation added"}
    req = grafana.last("/api/annotations")
    assert req.method == "POST" and req.header("Content-Type") == "application/json"
    assert req.json() == {"dashboardId": 1, "panelId": 2, "text": "hi", "tags": ["x"],
                          "time": 1700000000000, "timeEnd": 1700000001000}


def test_grafana_12_org(lua, grafana):
    org = run(lua, 'return c:org()', grafana.url)
    assert (org["id"], org["name"]) == (1, "Main Org.")


def test_grafana_13_alert_rules(lua, grafana):
    rules = run(lua, 'return c:alert_rules()', grafana.url)
    assert [(r["uid"], r["title"], r["ruleGroup"]) for r in rules] == [
        ("rule-1", "High CPU", "node"), ("rule-2", "Disk full", "node")]
    assert grafana.last().path == "/api/v1/provisioning/alert-rules"


def test_grafana_14_folders(lua, grafana):
    folders = run(lua, 'return c:folders()', grafana.url)
    assert [(f["id"], f["uid"], f["title"]) for f in folders] == [(5, "infra", "Infrastructure"),
                                                                  (6, "apps", "Applications")]


def test_grafana_15_errors_name_method_and_path(lua_fails, grafana):
    code = lambda body: lua_with(lambda c: c, CLIENT + body, URL=grafana.url)  # noqa: E731
    msg = lua_fails(code('c:create_annotation({tags = {"no text"}})'))
    assert 'grafana: POST /api/annotations HTTP 400: {"message": "Failed to save annotation: text is required"}' in msg
    msg = lua_fails(lua_with(lambda c: c, REQ + 'grafana.client("$URL", {api_key = "wrong"}):org()', URL=grafana.url))
    assert 'grafana: GET /api/org HTTP 401: {"message": "Unauthorized"}' in msg
    msg = lua_fails(code('c:dashboard("missing")'))
    assert 'grafana: GET /api/dashboards/uid/missing HTTP 404: {"message": "Dashboard not found"}' in msg
    grafana.fail("GET", "/api/search", 500, "db locked")
    assert "grafana: GET /api/search HTTP 500: db locked" in lua_fails(code('c:search({query = "x"})'))
    for path, call in [("/api/datasources", "c:datasources()"), ("/api/org", "c:org()"),
                       ("/api/v1/provisioning/alert-rules", "c:alert_rules()"), ("/api/folders", "c:folders()"),
                       ("/api/annotations", "c:annotations()")]:
        grafana.fail("GET", path, 502, "bad gateway")
        assert "grafana: GET %s HTTP 502: bad gateway" % path in lua_fails(code(call))


def test_grafana_client_form_token(lua, grafana):
    """Issue 12: {token = ...} is accepted like {api_key = ...}."""
    out = lua_with(lua, REQ + 'return grafana.client("$URL", {token = "%s"}):org().id' % GRAFANA_API_KEY,
                   URL=grafana.url)
    assert out == 1
    assert grafana.last("/api/org").header("Authorization") == "Bearer " + GRAFANA_API_KEY


def test_grafana_through_the_assay_command(assay, grafana):
    proc = assay("exec", "-e", lua_with(lambda c: c, CLIENT + 'print(c:health().database, c:org().name)',
                                        URL=grafana.url))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\tMain Org.\n"


def test_grafana_header_in_context(assay):
    block = assay("context", "grafana").stdout.split("### ", 2)[1]
    assert block.startswith("assay.grafana\nGrafana monitoring and dashboards. Health, datasources, annotations, "
                            "alerts, folders.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert ("  c.health:check() -> {database, version, commit} | Check Grafana health (sent without auth)"
            "; flat: c:health()\n") in block


def test_grafana_both_generations(lua, grafana):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''
        return {c:health().database, #c:datasources(), c:datasource("loki-uid").name,
                c:search({query = "node"})[1].uid, c:org().name, c:folders()[1].uid,
                c:create_annotation({text = "deploy"}).id}''', grafana.url)
    new = run(lua, '''
        return {c.health:check().database, #c.datasources:list(), c.datasources:get("loki-uid").name,
                c.dashboards:search({query = "node"})[1].uid, c.org:get().name, c.folders:list()[1].uid,
                c.annotations:create({text = "deploy"}).id}''', grafana.url)
    assert old[:6] == new[:6] == ["ok", 2, "Loki", "node-exporter", "Main Org.", "infra"]
    assert new[6] == old[6] + 1  # each script created one annotation
    assert grafana.last().path == "/api/annotations" and grafana.last().json() == {"text": "deploy"}
    # the group name and the flat name can be the same table: c:folders() is c.folders
    assert run(lua, 'return c.folders == c.folders and #c:folders() == #c.folders:list()', grafana.url) is True
