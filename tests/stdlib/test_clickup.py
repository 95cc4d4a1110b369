"""assay.clickup (issue 21) against the shared ClickUp fake (fake_clickup.FakeClickUp)."""
from fake_clickup import LIST, PAGE_SIZE, TEAM, TOKEN, clickup, clickup_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local clickup = require("assay.clickup")\n'
CLIENT = REQ + 'local c = clickup.client("$URL/api", {token = "%s"})\n' % TOKEN


def run(lua, code, url):
    return lua_with(lua, CLIENT + code, URL=url)


def test_clickup_raw_token_and_client_forms(lua, lua_fails, clickup, monkeypatch):
    assert run(lua, "return c.teams:list()[1].name", clickup.url) == "Acme"
    r = clickup.last()
    assert (r.path, r.header("Authorization")) == ("/api/v2/team", TOKEN)
    # the original's table form and $CLICKUP_TOKEN
    monkeypatch.setenv("CLICKUP_TOKEN", TOKEN)
    assert lua_with(lua, REQ + 'return clickup.client({base_url = "$URL/api/"}).teams:list()[1].id',
                    URL=clickup.url) == TEAM
    assert lua_with(lua, REQ + 'local c = clickup.client("$URL/api/v2"); return c:discover().authenticated',
                    URL=clickup.url) is True
    assert clickup.last().header("Authorization") == TOKEN
    err = lua_fails(lua_with(lambda c: c, REQ + 'clickup.client("$URL/api", {token = "Bearer %s"}).teams:list()'
                             % TOKEN, URL=clickup.url))
    assert 'clickup: GET /v2/team HTTP 401: {"err": "Token invalid", "ECODE": "OAUTH_025"}' in err


def test_clickup_hierarchy(lua, clickup):
    out = run(lua, 'local s = c.spaces:list("%s")[1]\n'
                   'local f = c.folders:list(s.id)[1]\n'
                   'local l = c.lists:list(f.id)[1]\n'
                   'local new = c.lists:create(f.id, {name = "Sprint 2"})\n'
                   'return s.name, f.name, l.name, c.lists:get(new.id).name, c.lists:get("nope") == nil, '
                   'c.spaces:tags(s.id)[2].name, #c.lists:members(l.id)' % TEAM, clickup.url)
    assert out == ("Engineering", "Sprints", "Sprint 1", "Sprint 2", True, "feature", 3)
    assert [q.path for q in clickup.requests][:3] == ["/api/v2/team/9001/space", "/api/v2/space/space-1/folder",
                                                      "/api/v2/folder/folder-1/list"]
    post = [q for q in clickup.requests if q.method == "POST"][0]
    assert post.json() == {"name": "Sprint 2"}


def test_clickup_all_tasks_walks_every_page(lua, clickup):
    out = run(lua, 'local first = c.tasks:list("%s")\n'
                   'local all = clickup.all_tasks(c, "%s")\n'
                   'local names = {} for _, t in ipairs(all) do names[#names + 1] = t.name end\n'
                   'return #first, names, #c.tasks:all("%s", {include_closed = true})' % (LIST, LIST, LIST), clickup.url)
    assert out[0] == PAGE_SIZE
    assert out[1] == ["Fix login", "Write docs", "Ship 1.0", "Review"]
    assert out[2] == 5
    pages = [q.query.get("page") for q in clickup.requests if q.path == "/api/v2/list/list-1/task"]
    assert pages == [None, ["0"], ["1"], ["0"], ["1"], ["2"]]
    # max_pages bounds the walk
    clickup.reset()
    assert run(lua, 'return #clickup.all_tasks(c, "%s", {max_pages = 1})' % LIST, clickup.url) == PAGE_SIZE


def test_clickup_list_filters_are_repeated_keys(lua, clickup):
    out = run(lua, 'local ts = clickup.all_tasks(c, "%s", {statuses = {"open", "in progress"}, order_by = "created"})\n'
                   'return #ts' % LIST, clickup.url)
    assert out == 4
    r = clickup.requests[0]
    assert r.query_keys == ["order_by", "page", "statuses[]", "statuses[]"]
    assert r.query["statuses[]"] == ["open", "in progress"] and "in%20progress" in r.raw_query


def test_clickup_ensure_task_is_idempotent(lua, lua_fails, clickup):
    out = run(lua, 'local a, made_a = clickup.ensure_task(c, "%s", {name = "Nightly report", priority = 3})\n'
                   'local b, made_b = clickup.ensure_task(c, "%s", {name = "Nightly report"})\n'
                   'return a.id == b.id, made_a, made_b' % (LIST, LIST), clickup.url)
    assert out == (True, True, False)
    posts = [q for q in clickup.requests if q.method == "POST"]
    assert len(posts) == 1 and posts[0].json() == {"name": "Nightly report", "priority": 3}
    assert posts[0].path == "/api/v2/list/list-1/task"
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'clickup.ensure_task(c, "l", {})', URL=clickup.url))
    assert "clickup.ensure_task: spec.name is required" in err


def test_clickup_task_crud_and_members(lua, clickup):
    out = run(lua, 'local t = c.tasks:create("%s", {name = "X", markdown_description = "**b**"})\n'
                   'c.tasks:update(t.id, {name = "Y"})\n'
                   'local got = c.tasks:get(t.id, {include_subtasks = true})\n'
                   'local del = c.tasks:delete(t.id)\n'
                   'return got.name, del, c.tasks:get(t.id) == nil, #c.tasks:filtered("%s", {page = 0}).tasks'
              % (LIST, TEAM), clickup.url)
    assert out == ("Y", True, True, PAGE_SIZE)
    get = [q for q in clickup.requests if q.method == "GET" and q.path.startswith("/api/v2/task/")][0]
    assert get.raw_query == "include_subtasks=true"


def test_clickup_rich_comments_and_mentions(lua, lua_fails, clickup):
    out = run(lua, 'local ada = clickup.resolve_member(c, "%s", "ada@example.com")\n'
                   'local grace = clickup.resolve_member(c, "%s", "grace")\n'
                   'local body = clickup.rich():bold("Release"):text(" done "):mention(ada):br()'
                   ':text("tests"):bullet():link("run", "https://ci/1"):number()\n'
                   'local made = c.comments:create("t-1", body, {notify_all = true})\n'
                   'c.comments:create("t-1", "plain **text**")\n'
                   'return ada.id, grace.id, made.id ~= nil, #c.comments:list("t-1")' % (TEAM, TEAM), clickup.url)
    assert out == (11, 13, True, 2)
    rich, plain = [q.json() for q in clickup.requests if q.method == "POST"]
    assert rich == {"notify_all": True, "comment": [
        {"text": "Release", "attributes": {"bold": True}}, {"text": " done "},
        {"type": "tag", "user": {"id": 11}, "text": "@Ada Lovelace"}, {"text": "\n"},
        {"text": "tests"}, {"text": "\n", "attributes": {"list": "bullet"}},
        {"text": "run", "attributes": {"link": "https://ci/1"}}, {"text": "\n", "attributes": {"list": "ordered"}}]}
    assert plain == {"comment_text": "plain **text**"}
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'clickup.resolve_member(c, "%s", "a")' % TEAM, URL=clickup.url))
    assert "clickup: 3 members match a; give a full username or email" in err
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'clickup.resolve_member(c, "%s", "zed")' % TEAM, URL=clickup.url))
    assert "clickup: no member of workspace 9001 matches zed" in err


def test_clickup_goals_unwrapped_fields_and_time(lua, clickup):
    out = run(lua, 'local g = c.goals:create("%s", {name = "Q3 revenue", due_date = 1700000000000})\n'
                   'local u = c.goals:update(g.id, {name = "Q3 ARR"})\n'
                   'local running = c.time:running("%s")\n'
                   'return g.name, u.name, c.goals:get(g.id).name, #c.goals:list("%s"), c.goals:get("x") == nil, '
                   'c.fields:list("%s")[1].id, c.fields:set("t-1", "f-kpi", 42), running == nil, '
                   '#c.time:entries("%s", {start_date = 1, end_date = 2})' % (TEAM, TEAM, TEAM, LIST, TEAM), clickup.url)
    assert out == ("Q3 revenue", "Q3 ARR", "Q3 ARR", 1, True, "f-kpi", True, True, 1)
    assert clickup.field_values == {("t-1", "f-kpi"): 42}
    setreq = [q for q in clickup.requests if "/field/" in q.path][0]
    assert (setreq.method, setreq.path, setreq.json()) == ("POST", "/api/v2/task/t-1/field/f-kpi", {"value": 42})
    assert clickup.last().raw_query == "end_date=2&start_date=1"
    # a task named by its custom id needs the workspace too, in the query
    clickup.tasks["t-2"]["custom_id"] = "ENG-2"
    assert run(lua, 'return c.fields:set("ENG-2", "f-kpi", 7, {custom_task_ids = true, team_id = "%s"})' % TEAM,
               clickup.url) is True
    assert clickup.last().raw_query == "custom_task_ids=true&team_id=9001"
    assert clickup.field_values[("t-2", "f-kpi")] == 7
    clickup.running = {"id": "te-9", "duration": -1}
    assert run(lua, 'return c.time:running("%s").id, c.time:stop("%s").data.id' % (TEAM, TEAM), clickup.url) == ("te-9", "te-9")


def test_clickup_docs_v3_and_cursor(lua, clickup):
    out = run(lua, 'local one = c.docs:search("%s")\n'
                   'local all = c.docs:all("%s")\n'
                   'local d = c.docs:create("%s", {name = "Runbook"})\n'
                   'local p = c.docs:create_page("%s", d.id, {name = "Deploy", content = "# Steps", content_format = "text/md"})\n'
                   'c.docs:edit_page("%s", d.id, p.id, {content = "\\n1. build", content_edit_mode = "append"})\n'
                   'return #one.docs, one.next_cursor, #all, c.docs:pages("%s", d.id)[1].content, c.docs:get("%s", "nope") == nil'
              % ((TEAM,) * 7), clickup.url)
    assert out == (2, "2", 5, "# Steps\n1. build", True)
    # v3 takes the cursor back as `next_cursor`
    searches = [q for q in clickup.requests if q.path == "/api/v3/workspaces/9001/docs" and q.method == "GET"]
    assert [q.raw_query for q in searches] == ["", "", "next_cursor=2", "next_cursor=4"]
    edit = [q for q in clickup.requests if q.method == "PUT"][0]
    assert edit.path.startswith("/api/v3/workspaces/9001/docs/doc-") and "/pages/page-" in edit.path


def test_clickup_resolve_team(lua, lua_fails, clickup):
    assert run(lua, 'return clickup.resolve_team(c).id, clickup.resolve_team(c, "Acme").name', clickup.url) == (TEAM, "Acme")
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'clickup.resolve_team(c, "Other")', URL=clickup.url))
    assert "clickup: no workspace named Other" in err
