"""assay.servicenow (issue 21) against fake_servicenow.FakeServiceNow."""
import base64

from fake_servicenow import PASSWORD, TOKEN, USER, servicenow, servicenow_server  # noqa: F401
from fakes import lua_with

REQ = 'local servicenow = require("assay.servicenow")\n'
CLIENT = REQ + 'local c = servicenow.client("$URL/", {user = "%s", password = "%s"})\n' % (USER, PASSWORD)


def run(lua, code, fake):
    return lua_with(lua, CLIENT + code, URL=fake.url)


def fails(lua_fails, code, fake):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=fake.url))


def test_servicenow_list_pages_and_encodes_the_query(lua, servicenow):
    got = run(lua, 'local rows = c.table:list("incident", {query = "active=true^ORDERBYDESCnumber", '
                   'fields = {"number", "priority"}, page_size = 2})\n'
                   'return #rows, rows[1].number, rows[1].short_description', servicenow)
    assert got == (4, "INC0010003", None)
    pages = [r for r in servicenow.requests if r.path == "/api/now/table/incident"]
    assert [r.query["sysparm_offset"] for r in pages] == [["0"], ["2"], ["4"]]
    assert pages[0].raw_query == ("sysparm_query=active%3Dtrue%5EORDERBYDESCnumber&sysparm_fields=number%2Cpriority"
                                  "&sysparm_limit=2&sysparm_offset=0")
    assert pages[0].header("Authorization") == "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    assert pages[0].header("Accept") == "application/json"
    # limit asks for one page, as the API does
    assert run(lua, 'return #c.table:list("incident", {limit = 3, offset = 1})', servicenow) == 3
    assert servicenow.last().raw_query == "sysparm_limit=3&sysparm_offset=1"
    assert run(lua, 'return #c.table:list("incident")', servicenow) == 5


def test_servicenow_records_lifecycle(lua, lua_fails, servicenow):
    got = run(lua, 'local chg = c.table:create("change_request", {short_description = "patch db", type = "normal"})\n'
                   'local upd = c.table:update("change_request", chg.sys_id, {state = "-1"})\n'
                   'local again = c.table:get("change_request", chg.sys_id, {fields = {"state"}})\n'
                   'return chg.number, upd.state, again, c.table:delete("change_request", chg.sys_id), '
                   'c.table:get("change_request", chg.sys_id)', servicenow)
    assert got == ("CHG0000100", "-1", {"state": "-1", "number": "CHG0000100", "sys_id": "new100",
                                        "short_description": "patch db", "type": "normal"}, True, None)
    posts = [r for r in servicenow.requests if r.method in ("POST", "PATCH")]
    assert posts[0].json() == {"short_description": "patch db", "type": "normal"}
    assert posts[0].header("Content-Type") == "application/json"
    assert (posts[1].method, posts[1].path, posts[1].json()) == ("PATCH", "/api/now/table/change_request/new100",
                                                                 {"state": "-1"})
    err = fails(lua_fails, 'c.table:list("nope")', servicenow)
    assert "servicenow: GET /api/now/table/nope HTTP 400: " in err and "Invalid table nope" in err
    err = fails(lua_fails, 'c.table:update("incident", "missing", {state = "2"})', servicenow)
    assert "servicenow: PATCH /api/now/table/incident/missing HTTP 404: " in err
    assert "servicenow: table name is required" in fails(lua_fails, 'c.table:list("")', servicenow)


def test_servicenow_cmdb(lua, servicenow):
    got = run(lua, 'local cis = c.cmdb:query("cmdb_ci_linux_server", {query = "os=Linux", page_size = 2})\n'
                   'local ci = c.cmdb:get("cmdb_ci_linux_server", cis[3].sys_id)\n'
                   'local made = c.cmdb:create("cmdb_ci_linux_server", {attributes = {name = "lnx-09"}, source = "ServiceNow"})\n'
                   'return #cis, ci.attributes.ip_address, made.attributes.name, '
                   'c.cmdb:get("cmdb_ci_linux_server", "zz")', servicenow)
    assert got == (3, "10.0.0.2", "lnx-09", None)
    lists = [r for r in servicenow.requests if r.method == "GET" and r.path == "/api/now/cmdb/instance/cmdb_ci_linux_server"]
    assert lists[0].query == {"sysparm_query": ["os=Linux"], "sysparm_limit": ["2"], "sysparm_offset": ["0"]}
    assert servicenow.requests[-2].json() == {"attributes": {"name": "lnx-09"}, "source": "ServiceNow"}
    # the original's spelling: a body table with sysparm_query
    assert run(lua, 'return #c.cmdb:query("cmdb_ci_linux_server", {sysparm_query = "name=lnx-01"})', servicenow) == 1


def test_servicenow_bearer_and_unauthenticated(lua, lua_fails, servicenow):
    code = REQ + 'return #servicenow.client("$URL", {token = "%s"}).table:list("incident", {limit = 1})' % TOKEN
    assert lua_with(lua, code, URL=servicenow.url) == 1
    assert servicenow.last().header("Authorization") == "Bearer " + TOKEN
    err = lua_fails(lua_with(lambda c: c, REQ + 'servicenow.client("$URL").table:get("incident", "inc1")', URL=servicenow.url))
    assert "servicenow: GET /api/now/table/incident/inc1 HTTP 401: " in err and "User Not Authenticated" in err
