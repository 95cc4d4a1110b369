"""assay.sonarqube (issue 21) against fake_sonarqube.FakeSonarQube."""
import base64

from fake_sonarqube import TOKEN, sonarqube, sonarqube_server  # noqa: F401
from fakes import lua_with

REQ = 'local sonarqube = require("assay.sonarqube")\n'
CLIENT = REQ + 'local c = sonarqube.client("$URL/", {token = "%s"})\n' % TOKEN


def run(lua, code, fake):
    return lua_with(lua, CLIENT + code, URL=fake.url)


def test_sonarqube_quality_gate(lua, sonarqube):
    got = run(lua, 'local ok, status = c.qualitygate:passed("web"); local bad, why = c.qualitygate:passed("api")\n'
                   'return ok, status, bad, why, c.qualitygate:project_status("nope")', sonarqube)
    assert got == (True, "OK", False, "ERROR", None)
    r = sonarqube.last()
    assert r.path == "/api/qualitygates/project_status" and r.raw_query == "projectKey=nope"
    assert r.header("Authorization") == "Bearer " + TOKEN
    status = run(lua, 'return c.qualitygate:project_status("web", {branch = "feature"}).projectStatus', sonarqube)
    assert status["status"] == "ERROR" and status["conditions"][0]["metricKey"] == "new_coverage"
    assert sonarqube.last().raw_query == "projectKey=web&branch=feature"


def test_sonarqube_issues_follow_every_page(lua, sonarqube):
    got = run(lua, 'local r = c.issues:search({component_keys = {"api"}}); return #r.issues, r.total, r.issues[#r.issues].key',
              sonarqube)
    assert got == (1203, 1203, "AX-1202")
    pages = [r.query for r in sonarqube.requests if r.path == "/api/issues/search"]
    assert [(q["p"], q["ps"]) for q in pages] == [(["1"], ["500"]), (["2"], ["500"]), (["3"], ["500"])]
    assert pages[0]["componentKeys"] == ["api"]
    # filters are comma-separated lists; opts.page asks for exactly one page
    sonarqube.reset()
    got = run(lua, 'local r = c.issues:search({component_keys = "api", types = {"BUG", "VULNERABILITY"}, '
                   'severities = {"BLOCKER"}, page = 2, page_size = 10}); return #r.issues, r.total, r.p', sonarqube)
    assert got == (10, 161, 2)
    assert sonarqube.last().raw_query == "componentKeys=api&types=BUG%2CVULNERABILITY&severities=BLOCKER&p=2&ps=10"


def test_sonarqube_hotspots_measures_projects_status(lua, sonarqube):
    got = run(lua, 'local h = c.hotspots:search({project_key = "api", status = "TO_REVIEW"}); return #h.hotspots, h.paging.total',
              sonarqube)
    assert got == (2, 2)
    assert sonarqube.last().query["projectKey"] == ["api"]
    m = run(lua, 'return c.measures:component("api", {"coverage", "bugs"}).component.measures', sonarqube)
    assert m == [{"metric": "coverage", "value": "87.5"}, {"metric": "bugs", "value": "3"}]
    assert sonarqube.last().raw_query == "component=api&metricKeys=coverage%2Cbugs"
    assert run(lua, 'return c.measures:values("api", "coverage,code_smells")', sonarqube) == {
        "coverage": "87.5", "code_smells": "41"}
    assert run(lua, 'local p = c.projects:search({query = "front"}); return #p.components, p.components[1].key',
               sonarqube) == (1, "web")
    assert run(lua, 'return c.system:status().status', sonarqube) == "UP"


def test_sonarqube_auth_forms_and_errors(lua, lua_fails, sonarqube, monkeypatch):
    code = REQ + 'return sonarqube.client("$URL", {user = "admin", password = "admin"}).qualitygate:passed("web")'
    assert lua_with(lua, code, URL=sonarqube.url) == (True, "OK")
    assert sonarqube.last().header("Authorization") == "Basic " + base64.b64encode(b"admin:admin").decode()
    # a token as login (servers before 10.0) and $SONAR_TOKEN
    lua_with(lua, REQ + 'return sonarqube.client("$URL", {user = "%s"}).system:status()' % TOKEN, URL=sonarqube.url)
    monkeypatch.setenv("SONAR_TOKEN", TOKEN)
    assert lua_with(lua, REQ + 'return sonarqube.client("$URL").qualitygate:passed("web")', URL=sonarqube.url) == (True, "OK")
    assert sonarqube.last().header("Authorization") == "Bearer " + TOKEN
    monkeypatch.delenv("SONAR_TOKEN")
    err = lua_fails(lua_with(lambda c: c, REQ + 'sonarqube.client("$URL", {token = "bad"}).issues:search()', URL=sonarqube.url))
    assert "sonarqube: GET /api/issues/search HTTP 401: " in err
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'c.qualitygate:passed("nope")', URL=sonarqube.url))
    assert "sonarqube: no quality gate status for project nope" in err
    assert run(lua, 'return c.measures:component("nope", "coverage")', sonarqube) is None
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'c.hotspots:search({project_key = "nope"})', URL=sonarqube.url))
    assert "sonarqube: GET /api/hotspots/search HTTP 404: " in err and "Project 'nope' not found" in err
    assert lua_fails(REQ + 'sonarqube.client(nil)').endswith("sonarqube.client: url must be a non-empty string")
