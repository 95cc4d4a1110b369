"""assay.plane (issue 21) against the shared Plane fake (fake_plane.FakePlane)."""
from fake_plane import API_KEY, PAGE_SIZE, PROJECT, WORKSPACE, plane, plane_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local plane = require("assay.plane")\n'
CLIENT = REQ + 'local c = plane.client("$URL/", {workspace = "%s", api_key = "%s"})\nlocal P = "%s"\n' % (
    WORKSPACE, API_KEY, PROJECT)
BASE = "/api/v1/workspaces/%s/projects/%s" % (WORKSPACE, PROJECT)


def run(lua, code, url):
    return lua_with(lua, CLIENT + code, URL=url)


def test_plane_api_key_header_and_workspace_binding(lua, lua_fails, plane, monkeypatch):
    assert run(lua, "return c.projects:list()[1].identifier, c.workspace", plane.url) == ("PLAT", WORKSPACE)
    r = plane.last()
    assert r.header("X-API-Key") == API_KEY and r.header("Authorization") is None
    assert r.path == "/api/v1/workspaces/%s/projects/" % WORKSPACE
    monkeypatch.setenv("PLANE_API_KEY", API_KEY)
    monkeypatch.setenv("PLANE_WORKSPACE", WORKSPACE)
    monkeypatch.setenv("PLANE_BASE_URL", plane.url + "/api/v1")
    assert lua(REQ + "return #plane.client().members:list()") == 1
    assert lua_with(lua, REQ + 'return plane.client({base_url = "$URL", workspace = "%s"}).projects:get("%s").name'
                    % (WORKSPACE, PROJECT), URL=plane.url) == "Platform"
    monkeypatch.delenv("PLANE_WORKSPACE")
    err = lua_fails(REQ + 'plane.client("http://x", {api_key = "k"})')
    assert "plane.client: no workspace slug (pass opts.workspace or set PLANE_WORKSPACE)" in err
    monkeypatch.delenv("PLANE_API_KEY")
    err = lua_fails(lua_with(lambda c: c, REQ + 'plane.client("$URL", {workspace = "%s"}).projects:list()' % WORKSPACE,
                             URL=plane.url))
    assert ('plane: GET /api/v1/workspaces/acme-eng/projects/ HTTP 401: '
            '{"detail": "Authentication credentials were not provided."}') in err


def test_plane_cursor_pagination(lua, plane):
    out = run(lua, "local first = c.items:page(P)\n"
                   "local names = {} for _, i in ipairs(plane.all_items(c, P)) do names[#names + 1] = i.name end\n"
                   "return #first.items, first.next_cursor, first.has_more, names, #c.items:all(P, {per_page = 4})",
              plane.url)
    assert out[:3] == (PAGE_SIZE, "2:1:0", True)
    assert out[3] == ["Set up CI", "Write runbook", "Rotate keys", "Upgrade Postgres", "Retire VM"]
    assert out[4] == 5
    cursors = [q.query.get("cursor") for q in plane.requests if q.path == BASE + "/work-items/"]
    assert cursors == [None, None, ["2:1:0"], ["2:2:0"], None, ["4:1:0"]]
    plane.reset()
    assert run(lua, "return #plane.all_items(c, P, {max_pages = 2})", plane.url) == 2 * PAGE_SIZE
    # small collections walk their pages too
    plane.reset()
    assert run(lua, "return #c.states:list(P)", plane.url) == 3
    assert len([q for q in plane.requests if q.path == BASE + "/states/"]) == 2


def test_plane_ensure_item_is_idempotent(lua, lua_fails, plane):
    out = run(lua, 'local a, made_a = plane.ensure_item(c, P, {name = "Nightly backup check", priority = "high"})\n'
                   'local b, made_b = plane.ensure_item(c, P, {name = "Nightly backup check"})\n'
                   'local old = plane.ensure_item(c, P, {name = "Retire VM"})\n'
                   'return a.id == b.id, made_a, made_b, old.name', plane.url)
    assert out == (True, True, False, "Retire VM")
    posts = [q for q in plane.requests if q.method == "POST"]
    assert len(posts) == 1
    assert (posts[0].path, posts[0].json()) == (BASE + "/work-items/", {"name": "Nightly backup check", "priority": "high"})
    err = lua_fails(lua_with(lambda c: c, CLIENT + "plane.ensure_item(c, P, {})", URL=plane.url))
    assert "plane.ensure_item: spec.name is required" in err


def test_plane_items_cycles_modules(lua, plane):
    out = run(lua, 'local item = c.items:create(P, {name = "Bump TLS"})\n'
                   'c.items:update(P, item.id, {priority = "urgent"})\n'
                   'local cy = c.cycles:create(P, {name = "Sprint 7", start_date = "2026-01-05", end_date = "2026-01-19"})\n'
                   'local mod = c.modules:create(P, {name = "Security"})\n'
                   'local a = c.cycles:add_items(P, cy.id, {item.id})\n'
                   'local b = c.modules:add_items(P, mod.id, {item.id})\n'
                   'c.cycles:update(P, cy.id, {name = "Sprint 7b"})\n'
                   'return c.items:get(P, item.id).priority, a, b, c.cycles:get(P, cy.id).name, '
                   '#c.cycles:list(P), #c.modules:list(P), c.items:delete(P, item.id), c.items:get(P, item.id) == nil',
              plane.url)
    assert out == ("urgent", True, True, "Sprint 7b", 1, 1, True, True)
    patch = [q for q in plane.requests if q.method == "PATCH"][0]
    assert patch.path.startswith(BASE + "/work-items/") and patch.json() == {"priority": "urgent"}
    add = [q for q in plane.requests if q.path.endswith("/cycle-issues/")][0]
    assert list(add.json()) == ["issues"] and len(add.json()["issues"]) == 1
    assert list(plane.cycle_items.values()) == [add.json()["issues"]]
    assert plane.module_items


def test_plane_current_cycle_and_intake(lua, plane):
    # Plane answers the current cycle as a bare array (no cursor page); intake is per project
    out = run(lua, 'c.cycles:create(P, {name = "Past", start_date = "2025-01-01", end_date = "2025-01-14"})\n'
                   'c.cycles:create(P, {name = "Now", start_date = "2026-01-05", end_date = "2026-01-19"})\n'
                   'local now = c.cycles:list(P, {cycle_view = "current"})\n'
                   'return #now, now[1].name, #c.cycles:list(P), #c.intake:list(P)', plane.url)
    assert out == (1, "Now", 2, 0)
    assert [q.path for q in plane.requests if q.method == "GET"][-1] == BASE + "/intake-issues/"
    assert [q.raw_query for q in plane.requests if q.method == "GET"][0] == "cycle_view=current"


def test_plane_comments_links_labels(lua, plane):
    out = run(lua, 'local item = c.items:list(P)[1]\n'
                   'c.comments:create(P, item.id, "Deploy <b>now</b> & verify")\n'
                   'c.comments:create(P, item.id, {comment_html = "<p><strong>ok</strong></p>"})\n'
                   'c.links:create(P, item.id, {url = "https://ci.example.com/1", title = "CI"})\n'
                   'c.labels:create(P, {name = "infra", color = "#ff0000"})\n'
                   'return #c.comments:list(P, item.id), c.links:list(P, item.id)[1].title, c.labels:list(P)[1].name',
              plane.url)
    assert out == (2, "CI", "infra")
    comments = [q for q in plane.requests if q.method == "POST" and q.path.endswith("/comments/")]
    assert comments[0].json() == {"comment_html": "<p>Deploy &lt;b&gt;now&lt;/b&gt; &amp; verify</p>"}
    assert "/work-items/" in comments[0].path


def test_plane_resolve_project_and_errors(lua, lua_fails, plane):
    assert run(lua, 'return plane.resolve_project(c).id, plane.resolve_project(c, "PLAT").name', plane.url) == (
        PROJECT, "Platform")
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'c.items:create(P, {})', URL=plane.url))
    assert 'plane: POST %s/work-items/ HTTP 400: {"name": ["This field is required."]}' % BASE in err
    assert run(lua, 'return c.projects:get("nope") == nil', plane.url) is True
