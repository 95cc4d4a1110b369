"""assay.n8n (issue 21) against fake_n8n.FakeN8n."""
from fake_n8n import API_KEY, n8n, n8n_server  # noqa: F401
from fakes import lua_with

REQ = 'local n8n = require("assay.n8n")\n'
CLIENT = REQ + 'local c = n8n.client("$URL/", {api_key = "%s"})\n' % API_KEY


def run(lua, code, fake):
    return lua_with(lua, CLIENT + code, URL=fake.url)


def fails(lua_fails, code, fake):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=fake.url))


def test_n8n_lists_follow_every_cursor(lua, n8n):
    assert run(lua, "return #c.workflows:list()", n8n) == 300
    pages = [r for r in n8n.requests if r.path == "/api/v1/workflows"]
    assert [r.raw_query for r in pages] == ["limit=250", "cursor=250&limit=250"]
    assert pages[0].header("X-N8N-API-KEY") == API_KEY and pages[0].header("Accept") == "application/json"
    # limit (or cursor) asks for one page; options are n8n's query parameters, encoded
    got = run(lua, 'local p = c.workflows:page({limit = 5, active = true}); '
                   'return #c.workflows:list({limit = 3}), #p.data, p.nextCursor, #n8n.all(c.workflows, {name = "job 01"})', n8n)
    assert got == (3, 5, "5", 10)
    assert n8n.last().raw_query == "name=job%2001"
    assert run(lua, 'return #c.executions:list({status = "error"}), c.executions:get("4", {includeData = true}).data ~= nil',
               n8n) == (3, True)


def test_n8n_workflow_lifecycle(lua, lua_fails, n8n):
    got = run(lua, 'local wf = c.workflows:create({name = "nightly"})\n'
                   'local on = c.workflows:activate(wf.id).active\n'
                   'c.workflows:transfer(wf.id, "p1")\n'
                   'local t = c.tags:create({name = "ops"})\n'
                   'local tags = c.workflows:set_tags(wf.id, {t.id})\n'
                   'local none = c.workflows:set_tags(wf.id, {})\n'
                   'return wf.id, on, c.workflows:archive(wf.id).isArchived, tags[1].name, #none, '
                   'c.workflows:delete(wf.id).name, c.workflows:get(wf.id)', n8n)
    assert got == ("new1", True, True, "ops", 0, "nightly", None)
    create = next(r for r in n8n.requests if r.method == "POST" and r.path == "/api/v1/workflows")
    # empty nodes go as a JSON array, empty connections and settings as objects
    assert create.json() == {"name": "nightly", "nodes": [], "connections": {}, "settings": {}}
    puts = [(r.path, r.json()) for r in n8n.requests if r.method == "PUT"]
    assert puts == [("/api/v1/workflows/new1/transfer", {"destinationProjectId": "p1"}),
                    ("/api/v1/workflows/new1/tags", [{"id": "t2"}]), ("/api/v1/workflows/new1/tags", [])]
    # a node's empty parameters go as an object, as n8n requires
    run(lua, 'c.workflows:create({name = "hook", nodes = {{name = "Start", type = "n8n-nodes-base.manualTrigger", parameters = {}}}})', n8n)
    assert n8n.last().json()["nodes"] == [{"name": "Start", "type": "n8n-nodes-base.manualTrigger", "parameters": {}}]
    err = fails(lua_fails, 'c.workflows:activate("nope")', n8n)
    assert "n8n: POST /workflows/nope/activate HTTP 404: " in err
    err = fails(lua_fails, 'c.tags:create({name = "x"}); c.tags:create({name = "x"})', n8n)
    assert "n8n: POST /tags HTTP 409: " in err and "already exists" in err


def test_n8n_ensure_helpers_are_idempotent(lua, n8n):
    code = ('local wf = n8n.ensure_workflow(c, {name = "job 007", nodes = {}, settings = {timezone = "UTC"}}, {active = true})\n'
            'local again = n8n.ensure_workflow(c, {name = "brand new"})\n'
            'local tags = n8n.ensure_workflow_tags(c, wf.id, {"ops", "nightly"})\n'
            'n8n.ensure_workflow_tags(c, wf.id, {"ops"})\n'
            'local v1 = n8n.ensure_variable(c, "REGION", "eu")\n'
            'local v2 = n8n.ensure_variable(c, "REGION", "eu")\n'
            'local v3 = n8n.ensure_variable(c, "REGION", "us")\n'
            'local p = n8n.ensure_project(c, "Platform"); local p2 = n8n.ensure_project(c, "Platform")\n'
            'return wf.id, wf.active, again.id, #tags, v1.id == v2.id, v3.value, p.id == p2.id, '
            'n8n.set_active(c, wf.id, true).active, n8n.find_workflow_by_name(c, "job 00")')
    got = run(lua, code, n8n)
    assert got == ("wf007", True, "new1", 2, True, "us", True, True, None)
    assert len(n8n.tags) == 2 and len(n8n.variables) == 1 and n8n.variables["v4"]["value"] == "us"
    assert sum(1 for p in n8n.projects.values() if p["name"] == "Platform") == 1
    # the existing workflow was updated in place (PUT), activated once
    assert [r.path for r in n8n.requests if r.method == "PUT" and r.path == "/api/v1/workflows/wf007"]
    assert len([r for r in n8n.requests if r.path.endswith("/activate")]) == 1  # set_active(true) after: no second


def test_n8n_other_groups(lua, n8n):
    got = run(lua, 'local cred = c.credentials:create({name = "gh", type = "githubApi", data = {accessToken = "x"}})\n'
                   'return cred.id, #c.credentials:list(), c.credentials:schema("githubApi").required[1], '
                   'c.credentials:delete(cred.id).name, c.users:get("owner@example.com").id, #c.users:list(), '
                   'c.executions:retry("2").retryOf, c.executions:stop("3").status, c.source_control:pull({force = true}).statusCode, '
                   'c.audit:generate()["Credentials Risk Report"].risk', n8n)
    assert got == ("c1", 1, "token", "gh", "u1", 1, "2", "canceled", 200, "credentials")
    assert n8n.last().body == b"{}"
    assert [r.path for r in n8n.requests if "schema" in r.path] == ["/api/v1/credentials/schema/githubApi"]


def test_n8n_auth_env_wait(lua, lua_fails, n8n, monkeypatch):
    monkeypatch.setenv("N8N_API_KEY", API_KEY)
    assert lua_with(lua, REQ + 'return #n8n.client("$URL").projects:list()', URL=n8n.url) == 1
    monkeypatch.delenv("N8N_API_KEY")
    err = lua_fails(lua_with(lambda c: c, REQ + 'n8n.client("$URL").tags:list()', URL=n8n.url))
    assert "n8n: GET /tags HTTP 401: " in err and "X-N8N-API-KEY" in err
    n8n.healthz_failures = 1
    assert lua_with(lua, REQ + 'return n8n.wait("$URL", {timeout = 1, interval = 0.1})', URL=n8n.url) is True
    n8n.healthz_failures = 100
    err = lua_fails(lua_with(lambda c: c, REQ + 'n8n.wait("$URL", {timeout = 0.2, interval = 0.1})', URL=n8n.url))
    assert "n8n.wait: not reachable at %s after 0.2s" % n8n.url in err


def test_n8n_members_users_credentials_history(lua, n8n):
    got = run(lua, 'local inv = c.users:create({{email = "dev@example.com", role = "global:member"}})\n'
                   'local uid = inv[1].user.id\n'
                   'c.users:set_role("dev@example.com", "global:admin")\n'
                   'c.projects:add_users("p1", {{userId = uid, role = "project:editor"}})\n'
                   'c.projects:set_user_role("p1", uid, "project:admin")\n'
                   'local members = c.projects:users("p1")\n'
                   'c.projects:remove_user("p1", uid)\n'
                   'local role = c.users:get(uid).role\n'
                   'c.users:delete(uid)\n'
                   'return uid, members[1].role, #c.projects:users("p1"), role, c.users:get(uid)', n8n)
    assert got == ("u11", "project:admin", 0, "global:admin", None)
    bodies = [(r.method, r.path, r.json()) for r in n8n.requests if r.method in ("POST", "PATCH")]
    assert bodies == [("POST", "/api/v1/users", [{"email": "dev@example.com", "role": "global:member"}]),
                      ("PATCH", "/api/v1/users/dev%40example.com/role", {"newRoleName": "global:admin"}),
                      ("POST", "/api/v1/projects/p1/users", {"relations": [{"userId": "u11", "role": "project:editor"}]}),
                      ("PATCH", "/api/v1/projects/p1/users/u11", {"role": "project:admin"})]
    got = run(lua, 'local cred = c.credentials:create({name = "gh", type = "githubApi", data = {accessToken = "bad"}})\n'
                   'local before = c.credentials:test(cred.id).status\n'
                   'c.credentials:update(cred.id, {data = {accessToken = "good"}})\n'
                   'return before, c.credentials:test(cred.id).status, c.credentials:get(cred.id).name, c.credentials:get("zz")',
              n8n)
    assert got == ("Error", "OK", "gh", None)
    got = run(lua, 'local h = c.workflows:history("wf001", {limit = 2}); local wf = c.workflows:publish("wf001")\n'
                   'return #h.data, h.nextCursor, wf.active, c.workflows:unpublish("wf001").active', n8n)
    assert got == (2, "2", True, False)
