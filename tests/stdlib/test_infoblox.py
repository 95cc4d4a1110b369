"""assay.infoblox (issue 21) against fake_infoblox.FakeInfoblox."""
import base64

from fake_infoblox import PASSWORD, USER, infoblox, infoblox_server  # noqa: F401
from fakes import lua_with

REQ = 'local infoblox = require("assay.infoblox")\n'
CLIENT = REQ + 'local c = infoblox.client("$URL/", {user = "%s", password = "%s"})\n' % (USER, PASSWORD)


def run(lua, code, fake):
    return lua_with(lua, CLIENT + code, URL=fake.url)


def fails(lua_fails, code, fake):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=fake.url))


def test_infoblox_search_encodes_arguments(lua, infoblox):
    got = run(lua, 'local rs = c.records:get("record:a", {["name~"] = "^host000[12]\\\\.", '
                   '_return_fields = {"name", "ipv4addr"}})\n'
                   'return #rs, rs[1].name, rs[1].ipv4addr, rs[1].view', infoblox)
    assert got == (2, "host0001.example.com", "10.0.0.1", None)
    r = infoblox.last()
    assert r.path == "/wapi/v2.12/record:a"
    assert r.raw_query == "_return_fields=name%2Cipv4addr&name~=%5Ehost000%5B12%5D%5C."
    assert r.header("Authorization") == "Basic " + base64.b64encode(b"admin:infoblox").decode()
    # "_return_fields+" keeps its plus sign (sent as %2B)
    got = run(lua, 'return c.records:get("record:cname", {name = "www.example.com", ["_return_fields+"] = "canonical"})[1].canonical',
              infoblox)
    assert got == "host0001.example.com" and "_return_fields%2B=canonical" in infoblox.last().raw_query
    assert run(lua, 'return c.records:get("record:host")', infoblox) == []


def test_infoblox_list_follows_pages(lua, lua_fails, infoblox):
    # one plain search cannot return 2500 records ...
    err = fails(lua_fails, 'c.records:get("record:a")', infoblox)
    assert "infoblox: GET /wapi/v2.12/record:a HTTP 400: " in err and "Result set too large" in err
    # ... list() pages through them
    got = run(lua, 'local rs = c.records:list("record:a", {view = "default"}); return #rs, rs[2500].name', infoblox)
    assert got == (2500, "host2499.example.com")
    pages = [r.query for r in infoblox.requests if r.path == "/wapi/v2.12/record:a"][1:]
    assert pages[0] == {"view": ["default"], "_paging": ["1"], "_return_as_object": ["1"], "_max_results": ["1000"]}
    assert len(pages) == 3 and "_page_id" not in pages[0]
    assert all(q["_page_id"][0].startswith("page") and "view" not in q for q in pages[1:])
    assert run(lua, 'return #c.network:list(), c.network:get({network = "10.0.0.0/16"})[1].comment', infoblox) == (2, "lab")
    assert run(lua, 'return c.range:list({network = "192.168.10.0/24"})[1].start_addr, #c.range:get()', infoblox) == (
        "192.168.10.100", 1)
    assert run(lua, 'return c.grid:status({_return_fields = {"service_status"}})[1].service_status', infoblox) == "ONLINE"


def test_infoblox_record_lifecycle(lua, lua_fails, infoblox):
    got = run(lua, 'local ref = c.records:create("record:a", {name = "app.example.com", ipv4addr = "10.9.9.9"})\n'
                   'local same = c.records:update(ref, {ipv4addr = "10.9.9.10"})\n'
                   'local now = c.records:get("record:a", {name = "app.example.com"})[1]\n'
                   'return ref, same == ref, now.ipv4addr, c.records:delete(ref) == ref, '
                   '#c.records:get("record:a", {name = "app.example.com"})', infoblox)
    assert got[0].startswith("record:a/") and got[1:] == (True, "10.9.9.10", True, 0)
    writes = [(r.method, r.path, r.body and r.json()) for r in infoblox.requests if r.method != "GET"]
    ref = got[0]
    assert writes == [("POST", "/wapi/v2.12/record:a", {"name": "app.example.com", "ipv4addr": "10.9.9.9"}),
                      ("PUT", "/wapi/v2.12/" + ref, {"ipv4addr": "10.9.9.10"}),
                      ("DELETE", "/wapi/v2.12/" + ref, b"")]
    err = fails(lua_fails, 'c.records:create("record:a", {name = "x.example.com"})', infoblox)
    assert "infoblox: POST /wapi/v2.12/record:a HTTP 400: " in err and "ipv4addr" in err
    err = fails(lua_fails, 'c.records:delete("record:a/nope:x/default")', infoblox)
    assert "infoblox: DELETE /wapi/v2.12/record:a/nope:x/default HTTP 404: " in err
    assert "infoblox: a _ref such as" in fails(lua_fails, 'c.records:delete("app.example.com")', infoblox)
    assert "infoblox: object type must look like" in fails(lua_fails, 'c.records:get("../grid")', infoblox)


def test_infoblox_version_and_auth(lua, lua_fails, infoblox):
    code = REQ + 'return #infoblox.client("$URL", {username = "%s", password = "%s", wapi_version = "v2.10"}).network:get()' % (
        USER, PASSWORD)
    assert lua_with(lua, code, URL=infoblox.url) == 2
    assert infoblox.last().path == "/wapi/v2.10/network"
    err = lua_fails(lua_with(lambda c: c, REQ + 'infoblox.client("$URL", {user = "admin", password = "x"}).grid:status()',
                             URL=infoblox.url))
    assert "infoblox: GET /wapi/v2.12/grid HTTP 401: Authorization Required" in err
