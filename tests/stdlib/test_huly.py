"""assay.huly (issue 21) against the shared Huly transactor fake (fake_huly.FakeHuly)."""
import json

from fake_huly import PROJECT_ID, SOCIAL_ID, TOKEN, WORKSPACE, huly, huly_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local huly = require("assay.huly")\n'
CLIENT = REQ + 'local c = huly.client("$URL/", {token = "%s", workspace = "%s"})\n' % (TOKEN, WORKSPACE)
FIND = "/_transactor/api/v1/find-all/" + WORKSPACE


def run(lua, code, url):
    return lua_with(lua, CLIENT + code, URL=url)


def test_huly_auth_headers_and_client_forms(lua, lua_fails, huly, monkeypatch):
    assert run(lua, "return c:account().primarySocialId", huly.url) == SOCIAL_ID
    r = huly.last()
    assert r.path == "/_transactor/api/v1/account/" + WORKSPACE
    assert r.header("Authorization") == "Bearer " + TOKEN and r.header("Accept-Encoding") == "identity"
    monkeypatch.setenv("HULY_URL", huly.url + "/_transactor")
    monkeypatch.setenv("HULY_TOKEN", TOKEN)
    monkeypatch.setenv("HULY_WORKSPACE", WORKSPACE)
    assert lua(REQ + "return #huly.client():model(true)") == 2
    assert huly.last().raw_query == "full=true"
    assert lua_with(lua, REQ + 'return huly.client({base_url = "$URL"}).workspace', URL=huly.url) == WORKSPACE
    err = lua_fails(lua_with(lambda c: c, REQ + 'huly.client("$URL", {token = "bad"}):account()', URL=huly.url))
    assert "huly: GET /api/v1/account/%s HTTP 401: Invalid token" % WORKSPACE in err
    monkeypatch.delenv("HULY_WORKSPACE")
    assert "huly.client: no workspace uuid (pass opts.workspace or set HULY_WORKSPACE)" in lua_fails(REQ + "huly.client()")


def test_huly_find_all_encodes_json_and_restores_fields(lua, huly):
    out = run(lua, 'local docs = c:find_all(huly.ISSUE_CLASS, {space = "%s"}, {sort = {number = -1}, limit = 10})\n'
                   'return #docs, docs[1]._class, docs[1].space, docs[1].identifier, '
                   'c:count(huly.ISSUE_CLASS, {space = "%s"}), c:find_one(huly.ISSUE_CLASS, {title = "nope"}) == nil'
              % (PROJECT_ID, PROJECT_ID), huly.url)
    assert out == (1, "tracker:class:Issue", PROJECT_ID, "PLAT-4", 1, True)
    first = [q for q in huly.requests if q.path == FIND][0]
    assert first.query["class"] == ["tracker:class:Issue"]
    assert json.loads(first.query["query"][0]) == {"space": PROJECT_ID}
    assert json.loads(first.query["options"][0]) == {"sort": {"number": -1}, "limit": 10}
    count = [q for q in huly.requests if q.path == FIND][1]
    assert json.loads(count.query["options"][0]) == {"limit": 1, "total": True}


def test_huly_create_issue_numbers_from_the_project_sequence(lua, huly):
    out = run(lua, 'local issue = huly.create_issue(c, "PLAT", {title = "Rotate keys", priority = 2})\n'
                   'return issue.identifier, issue.number, issue.status, issue.rank', huly.url)
    assert out == ("PLAT-5", 5, "tracker:status:Todo", "0|hzzzzz:")
    bump, create = huly.txes
    assert bump["_class"] == "core:class:TxUpdateDoc" and bump["retrieve"] is True
    assert bump["operations"] == {"$inc": {"sequence": 1}} and bump["objectId"] == PROJECT_ID
    assert create["_class"] == "core:class:TxCreateDoc" and create["objectSpace"] == PROJECT_ID
    assert create["modifiedBy"] == SOCIAL_ID == create["createdBy"]
    assert create["attributes"]["childInfo"] == [] and create["attributes"]["attachedTo"] == "tracker:ids:NoParent"
    assert all(len(tx["_id"]) == 24 for tx in huly.txes)


def test_huly_ensure_issue_is_idempotent(lua, lua_fails, huly):
    out = run(lua, 'local a, made_a = huly.ensure_issue(c, "PLAT", {title = "Nightly check"})\n'
                   'local b, made_b = huly.ensure_issue(c, "Platform", {title = "Nightly check"})\n'
                   'local old = huly.ensure_issue(c, "PLAT", {title = "Existing bug"})\n'
                   'return a._id == b._id, made_a, made_b, old.identifier', huly.url)
    assert out == (True, True, False, "PLAT-4")
    assert len([tx for tx in huly.txes if tx["_class"] == "core:class:TxCreateDoc"]) == 1
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'huly.ensure_issue(c, "PLAT", {})', URL=huly.url))
    assert "huly.ensure_issue: spec.title is required" in err
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'huly.resolve_project(c, "NOPE")', URL=huly.url))
    assert "huly: no project named NOPE" in err


def test_huly_status_remove_and_actor_override(lua, huly):
    out = run(lua, 'local issue = huly.find_issue_by_title(c, "%s", "Existing bug")\n'
                   'huly.set_issue_status(c, issue, "tracker:status:Done")\n'
                   'local moved = c:find_one(huly.ISSUE_CLASS, {_id = issue._id}).status\n'
                   'return moved, #huly.statuses(c), huly.delete_issue(c, issue), #huly.issues(c, "%s")'
              % (PROJECT_ID, PROJECT_ID), huly.url)
    assert out == ("tracker:status:Done", 2, True, 0)
    assert [tx["_class"] for tx in huly.txes] == ["core:class:TxUpdateDoc", "core:class:TxRemoveDoc"]
    # an explicit account is written as the author without asking the server
    huly.reset()
    code = REQ + ('local c = huly.client("$URL", {token = "%s", workspace = "%s", account = "someone-else"})\n'
                  'return pcall(c.remove_doc, c, huly.ISSUE_CLASS, "%s", "65f0aa000000000000000002")'
                  % (TOKEN, WORKSPACE, PROJECT_ID))
    ok_, err = lua_with(lua, code, URL=huly.url)
    assert ok_ is False and "huly: POST /api/v1/tx/%s HTTP 400: modifiedBy is not the account's social id" % WORKSPACE in err
    assert not any(q.path.startswith("/_transactor/api/v1/account/") for q in huly.requests)


def test_huly_milestones_components_search_person(lua, huly):
    out = run(lua, 'local m = huly.create_milestone(c, "PLAT", {label = "1.0", targetDate = 1767225600000})\n'
                   'local k = huly.create_component(c, "PLAT", {label = "API"})\n'
                   'local p1 = c:ensure_person("email", "ada@example.com", "Ada", "Lovelace")\n'
                   'local p2 = c:ensure_person("email", "ada@example.com", "Ada", "Lovelace")\n'
                   'local s = c:search("existing", {limit = 5, classes = {huly.ISSUE_CLASS}})\n'
                   'return m.label, k.label, #huly.milestones(c, "%s"), #huly.components(c, "%s"), '
                   'p1.uuid == p2.uuid, s.total' % (PROJECT_ID, PROJECT_ID), huly.url)
    assert out == ("1.0", "API", 1, 1, True, 1)
    search = huly.last("/_transactor/api/v1/search-fulltext/" + WORKSPACE)
    assert search.query["limit"] == ["5"] and json.loads(search.query["classes"][0]) == ["tracker:class:Issue"]
    person = huly.last("/_transactor/api/v1/ensure-person/" + WORKSPACE)
    assert person.json() == {"socialType": "email", "socialValue": "ada@example.com", "firstName": "Ada",
                             "lastName": "Lovelace"}
