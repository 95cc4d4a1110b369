"""assay.harbor (spec stdlib/harbor.md, HARBOR-01..22) against the shared Harbor fake
(fake_harbor.FakeHarbor: Basic admin:Harbor12345, Basic robot$ci:s3cret or Bearer robot$mytoken123)."""
import re

from fake_harbor import digest, harbor, harbor_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local harbor = require("assay.harbor")\n'
CLIENT = REQ + 'local c = harbor.client("$URL", {username = "admin", password = "Harbor12345"})\n'


def run(lua, code, url, **values):
    return lua_with(lua, CLIENT + code, URL=url, **values)


def fails(lua_fails, code, url):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=url))


def test_harbor_01_health(lua, harbor):
    health = run(lua, "return c:health()", harbor.url)
    assert health["status"] == "healthy"
    assert len(health["components"]) == 7
    assert {c["name"]: c["status"] for c in health["components"]}["database"] == "healthy"
    r = harbor.last()
    assert (r.method, r.target) == ("GET", "/api/v2.0/health")
    assert r.header("Content-Type") == "application/json"


def test_harbor_02_is_healthy_true(lua, harbor):
    assert run(lua, "return c:is_healthy()", harbor.url) is True
    assert harbor.last().target == "/api/v2.0/health"


def test_harbor_03_is_healthy_false(lua, harbor):
    harbor.components["redis"] = "unhealthy"
    assert run(lua, "return c:is_healthy()", harbor.url) is False
    # the top-level status is not consulted: components decide
    harbor.set("GET", "/api/v2.0/health", 200, {"status": "unhealthy",
                                                 "components": [{"name": "core", "status": "healthy"}]})
    assert run(lua, "return c:is_healthy()", harbor.url) is True
    harbor.set("GET", "/api/v2.0/health", 200, {"status": "healthy"})
    assert run(lua, "return c:is_healthy()", harbor.url) is False


def test_harbor_04_system_info(lua, harbor):
    info = run(lua, "return c:system_info()", harbor.url)
    assert (info["harbor_version"], info["auth_mode"], info["with_trivy"]) == ("v2.10.0-b7b88476", "db_auth", True)
    assert harbor.last().target == "/api/v2.0/systeminfo"


def test_harbor_05_statistics(lua, harbor):
    stats = run(lua, "return c:statistics()", harbor.url)
    assert (stats["total_project_count"], stats["private_project_count"], stats["public_project_count"]) == (3, 2, 1)
    assert stats["total_repo_count"] == 3
    assert harbor.last().target == "/api/v2.0/statistics"


def test_harbor_06_projects(lua, harbor):
    projects = run(lua, "return c:projects()", harbor.url)
    assert [p["name"] for p in projects] == ["library", "team", "staging"]
    assert harbor.last().target == "/api/v2.0/projects"
    projects = run(lua, 'return c:projects({name = "lib", public = true, page = 1, page_size = 5})', harbor.url)
    assert [p["name"] for p in projects] == ["library"]
    r = harbor.last()
    assert r.query_keys == ["name", "public", "page", "page_size"]
    assert r.query == {"name": ["lib"], "public": ["true"], "page": ["1"], "page_size": ["5"]}
    projects = run(lua, 'return c:projects({public = false, page_size = 1, page = 2})', harbor.url)
    assert [p["name"] for p in projects] == ["staging"]
    assert harbor.last().raw_query == "public=false&page=2&page_size=1"


def test_harbor_07_project(lua, harbor):
    project = run(lua, 'return c:project("library")', harbor.url)
    assert project["project_id"] == 1 and project["metadata"]["auto_scan"] == "true"
    assert harbor.last().target == "/api/v2.0/projects/library"
    assert run(lua, "return c:project(2).name", harbor.url) == "team"
    assert harbor.last().target == "/api/v2.0/projects/2"


def test_harbor_08_repositories(lua, harbor):
    repos = run(lua, 'return c:repositories("library")', harbor.url)
    assert [r["name"] for r in repos] == ["library/alpine", "library/nginx"]
    assert harbor.last().target == "/api/v2.0/projects/library/repositories"
    repos = run(lua, 'return c:repositories("library", {page = 1, page_size = 10, q = "name=~nginx"})', harbor.url)
    assert [r["name"] for r in repos] == ["library/nginx"]
    r = harbor.last()
    assert r.query_keys == ["page", "page_size", "q"]
    assert r.query["q"] == ["name=~nginx"]


def test_harbor_09_repository(lua, harbor):
    repo = run(lua, 'return c:repository("library", "nginx")', harbor.url)
    assert (repo["name"], repo["artifact_count"], repo["pull_count"]) == ("library/nginx", 2, 42)
    assert harbor.last().target == "/api/v2.0/projects/library/repositories/nginx"
    # nested repository names are double-encoded as Harbor requires
    repo = run(lua, 'return c:repository("team", "team/app")', harbor.url)
    assert repo["description"] == "nested"
    assert harbor.last().target == "/api/v2.0/projects/team/repositories/team%252Fapp"


def test_harbor_10_artifacts(lua, harbor):
    arts = run(lua, 'return c:artifacts("library", "nginx")', harbor.url)
    assert [[t["name"] for t in a["tags"]] for a in arts] == [["1.25", "latest"], ["1.24"]]
    assert "scan_overview" not in arts[0]
    assert harbor.last().target == "/api/v2.0/projects/library/repositories/nginx/artifacts"
    arts = run(lua, 'return c:artifacts("library", "nginx", {page = 1, page_size = 1, with_tag = false, '
                    'with_scan_overview = true})', harbor.url)
    assert len(arts) == 1 and "tags" not in arts[0] and "scan_overview" in arts[0]
    r = harbor.last()
    assert r.raw_query == "page=1&page_size=1&with_tag=false&with_scan_overview=true"
    assert run(lua, 'return #c:artifacts("team", "team/app")', harbor.url) == 1


def test_harbor_11_artifact(lua, harbor):
    art = run(lua, 'return c:artifact("library", "nginx", "latest")', harbor.url)
    assert art["digest"] == digest(1)
    assert art["extra_attrs"]["architecture"] == "amd64" and art["extra_attrs"]["os"] == "linux"
    assert harbor.last().target == "/api/v2.0/projects/library/repositories/nginx/artifacts/latest"


def test_harbor_12_artifact_tags_by_digest(lua, harbor):
    d = digest(1)
    tags = run(lua, 'return c:artifact_tags("library", "nginx", "$D")', harbor.url, D=d)
    assert [t["name"] for t in tags] == ["1.25", "latest"]
    assert harbor.last().target == "/api/v2.0/projects/library/repositories/nginx/artifacts/%s/tags" % d


def test_harbor_13_scan_artifact(lua, lua_fails, harbor):
    assert run(lua, 'return c:scan_artifact("library", "nginx", "latest")', harbor.url) is True
    r = harbor.last()
    assert (r.method, r.path) == ("POST", "/api/v2.0/projects/library/repositories/nginx/artifacts/latest/scan")
    assert r.body == b"{}"  # an object, which Harbor accepts (the original sent [])
    assert harbor.scans == [("library", "nginx", "latest")]
    msg = fails(lua_fails, 'c:scan_artifact("library", "nginx", "0.1")', harbor.url)
    assert re.search(r'assay/harbor\.lua:\d+: harbor: POST scan HTTP 404: \{"errors": .*not found.*\}$', msg), msg
    harbor.fail("POST", "/api/v2.0/projects/library/repositories/nginx/artifacts/latest/scan", 200, "done")
    msg = fails(lua_fails, 'c:scan_artifact("library", "nginx", "latest")', harbor.url)
    assert msg.endswith("harbor: POST scan HTTP 200: done")


def test_harbor_14_artifact_vulnerabilities(lua, lua_fails, harbor):
    v = run(lua, 'return c:artifact_vulnerabilities("library", "nginx", "latest")', harbor.url)
    assert v == {"total": 20, "fixable": 17, "critical": 2, "high": 5, "medium": 10, "low": 3, "negligible": 0}
    r = harbor.last()
    assert r.target == "/api/v2.0/projects/library/repositories/nginx/artifacts/latest?with_scan_overview=true"
    # not scanned: the report has no summary -> nil
    assert run(lua, 'return c:artifact_vulnerabilities("library", "nginx", "1.24") == nil', harbor.url) is True
    # no scan_overview at all -> nil
    harbor.set("GET", "/api/v2.0/projects/library/repositories/alpine/artifacts/3.19", 200,
               {"id": 5, "digest": digest(9)})
    assert run(lua, 'return c:artifact_vulnerabilities("library", "alpine", "3.19") == nil', harbor.url) is True
    # summary without the nested severity map -> zeros
    harbor.set("GET", "/api/v2.0/projects/library/repositories/alpine/artifacts/3.19", 200,
               {"scan_overview": {"x": {"summary": {"total": 4}}}})
    v = run(lua, 'return c:artifact_vulnerabilities("library", "alpine", "3.19")', harbor.url)
    assert v == {"total": 4, "fixable": 0, "critical": 0, "high": 0, "medium": 0, "low": 0, "negligible": 0}
    v = run(lua, 'return c:artifact_vulnerabilities("team", "team/app", "v1")', harbor.url)
    assert (v["total"], v["low"]) == (1, 1)
    msg = fails(lua_fails, 'c:artifact_vulnerabilities("library", "nginx", "nope")', harbor.url)
    assert re.search(r"harbor: GET artifact vulnerabilities HTTP 404: .*not found", msg), msg


def test_harbor_15_replication_policies(lua, harbor):
    out = run(lua, 'local p = c:replication_policies(); '
                   'return #p, p[1].name, p[1].dest_registry == nil, p[2].dest_registry.name', harbor.url)
    assert out == (2, "mirror-dockerhub", True, "dr-harbor")
    assert harbor.last().target == "/api/v2.0/replication/policies"


def test_harbor_16_replication_executions(lua, harbor):
    execs = run(lua, "return c:replication_executions()", harbor.url)
    assert [e["id"] for e in execs] == [7, 8]
    assert harbor.last().target == "/api/v2.0/replication/executions"
    execs = run(lua, "return c:replication_executions({policy_id = 2})", harbor.url)
    assert [(e["id"], e["status"]) for e in execs] == [(8, "Failed")]
    assert harbor.last().target == "/api/v2.0/replication/executions?policy_id=2"


def test_harbor_17_image_exists(lua, harbor):
    assert run(lua, 'return c:image_exists("library", "nginx", "1.25")', harbor.url) is True
    assert harbor.last().target == "/api/v2.0/projects/library/repositories/nginx/artifacts/1.25"
    assert run(lua, 'return c:image_exists("team", "team/app", "v1")', harbor.url) is True


def test_harbor_18_image_exists_false_on_404(lua, lua_fails, harbor):
    assert run(lua, 'return c:image_exists("library", "nginx", "9.9")', harbor.url) is False
    assert run(lua, 'return c:image_exists("nope", "nginx", "latest")', harbor.url) is False
    # only the HTTP status is mapped; transport errors propagate
    msg = lua_fails(REQ + 'return harbor.client("http://127.0.0.1:1"):image_exists("a", "b", "c")')
    assert "http.get failed" in msg


def test_harbor_19_latest_artifact(lua, harbor):
    art = run(lua, 'return c:latest_artifact("library", "nginx")', harbor.url)
    assert art["digest"] == digest(1)  # newest push first
    r = harbor.last()
    assert r.path == "/api/v2.0/projects/library/repositories/nginx/artifacts"
    assert r.query["page_size"] == ["1"] and r.query["sort"] == ["-push_time"]
    assert run(lua, 'return c:latest_artifact("library", "alpine") == nil', harbor.url) is True


def test_harbor_20_basic_auth(lua, harbor):
    run(lua, "return c:statistics()", harbor.url)
    assert harbor.last().header("Authorization") == "Basic YWRtaW46SGFyYm9yMTIzNDU="
    # robot accounts are Basic credentials too
    out = lua_with(lua, REQ + 'return harbor.client("$URL", {username = "robot$ci", password = "s3cret"})'
                   ':project("library").name', URL=harbor.url)
    assert out == "library"
    assert harbor.last().header("Authorization") == "Basic cm9ib3QkY2k6czNjcmV0"


def test_harbor_21_api_key_is_bearer(lua, harbor):
    code = REQ + 'local c = harbor.client("$URL/", {api_key = "robot$mytoken123", username = "x", password = "y"})\n' \
        'return c:projects()[1].name, c.url'
    assert lua_with(lua, code, URL=harbor.url) == ("library", harbor.url)
    r = harbor.last()
    assert r.header("Authorization") == "Bearer robot$mytoken123"
    assert r.header("Content-Type") == "application/json"
    # the documented client form also takes {token = ...}
    lua_with(lua, REQ + 'return harbor.client("$URL", {token = "robot$mytoken123"}):statistics()', URL=harbor.url)
    assert harbor.last().header("Authorization") == "Bearer robot$mytoken123"


def test_harbor_22_get_errors(lua_fails, harbor):
    msg = fails(lua_fails, 'c:project("nope")', harbor.url)
    assert re.search(r'assay/\w+\.lua:\d+: harbor: GET /api/v2.0/projects/nope HTTP 404: '
                     r'\{"errors": \[\{"code": "NOT_FOUND", "message": "project nope not found"\}\]\}$', msg), msg
    msg = lua_fails(lua_with(lambda c: c, REQ + 'harbor.client("$URL"):statistics()', URL=harbor.url))
    assert "harbor: GET /api/v2.0/statistics HTTP 401: " in msg and "UNAUTHORIZED" in msg
    harbor.fail("GET", "/api/v2.0/projects", 500, "internal error")
    msg = fails(lua_fails, 'c:projects({page = 2})', harbor.url)
    assert msg.endswith("harbor: GET /api/v2.0/projects?page=2 HTTP 500: internal error")


def test_harbor_both_generations(lua, harbor):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''return {c:is_healthy(), c:system_info().harbor_version, c:statistics().total_project_count,
        #c:projects(), c:project("library").project_id, #c:repositories("library"),
        c:repository("library", "nginx").name, #c:artifacts("library", "nginx"),
        c:image_exists("library", "nginx", "latest"), c:latest_artifact("library", "nginx") ~= nil,
        #c:replication_policies()}''', harbor.url)
    new = run(lua, '''return {c.system:is_healthy(), c.system:info().harbor_version, c.system:statistics().total_project_count,
        #c.projects:list(), c.projects:get("library").project_id, #c.repositories:list("library"),
        c.repositories:get("library", "nginx").name, #c.artifacts:list("library", "nginx"),
        c.artifacts:exists("library", "nginx", "latest"), c.artifacts:latest("library", "nginx") ~= nil,
        #c.replication:policies()}''', harbor.url)
    assert old == new
    assert old[:7] == [True, "v2.10.0-b7b88476", 3, 3, 1, 2, "library/nginx"]
