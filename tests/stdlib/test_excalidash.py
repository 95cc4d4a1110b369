"""assay.excalidash (issue 21) against the shared ExcaliDash fake (fake_excalidash.FakeExcaliDash)."""
from fake_excalidash import API_KEY, CSRF_COOKIE, CSRF_TOKEN, SESSION, excalidash, excalidash_server  # noqa: F401
from fakes import lua_with

REQ = 'local exd = require("assay.excalidash")\n'
KEY = REQ + 'local c = exd.client("$URL", {api_key = "%s"})\n' % API_KEY
BOTH = REQ + 'local c = exd.client("$URL/", {api_key = "%s", token = "%s"})\n' % (API_KEY, SESSION)
SESS = REQ + 'local c = exd.client("$URL", {token = "%s"})\n' % SESSION


def run(lua, prefix, code, url):
    return lua_with(lua, prefix + code, URL=url)


def test_excalidash_api_key_routes_need_no_csrf(lua, excalidash):
    out = run(lua, KEY, 'local page = c.drawings:list({limit = 2, search = "diagram"})\n'
                        'local d = c.drawings:create({name = "Flow"})\n'
                        'return #page.drawings, page.totalCount, d.version, #c.collections:list()', excalidash.url)
    assert out == (2, 5, 1, 2)
    assert not any(q.path == "/api/csrf-token" for q in excalidash.requests)
    r = excalidash.requests[0]
    assert r.header("Authorization") == "Bearer " + API_KEY and r.raw_query == "limit=2&search=diagram"
    create = excalidash.requests[1]
    assert create.json() == {"name": "Flow", "elements": [], "appState": {}}
    assert create.header("Origin") is None and create.header("Referer") is None


def test_excalidash_session_routes_and_csrf_handshake(lua, lua_fails, excalidash):
    err = lua_fails(lua_with(lambda c: c, KEY + 'c.history:list("d-1")', URL=excalidash.url))
    assert "excalidash: version history needs a session token (opts.token or EXCALIDASH_TOKEN)" in err
    assert excalidash.requests == []
    out = run(lua, BOTH, 'local copy = c.drawings:duplicate("d-1")\n'
                         'local copy2 = c.drawings:duplicate("d-2")\n'
                         'return copy.name, copy2.name, #c.drawings:list().drawings', excalidash.url)
    assert out == ("Diagram 1 (Copy)", "Diagram 2 (Copy)", 7)
    csrf = [q for q in excalidash.requests if q.path == "/api/csrf-token"]
    assert len(csrf) == 1 and csrf[0].header("Authorization") is None
    dup = [q for q in excalidash.requests if q.path.endswith("/duplicate")]
    assert all(q.header("Authorization") == "Bearer " + SESSION for q in dup)
    assert all(q.header("x-csrf-token") == CSRF_TOKEN for q in dup)
    assert all(q.header("Cookie") == "excalidash-csrf-client=" + CSRF_COOKIE for q in dup)
    # drawings:list still goes with the key when both are given
    assert excalidash.last("/api/drawings").header("Authorization") == "Bearer " + API_KEY
    err = lua_fails(lua_with(lambda c: c, REQ + 'exd.client("$URL").drawings:list()', URL=excalidash.url))
    assert "excalidash: no credential (pass opts.api_key or opts.token" in err


def test_excalidash_refuses_stale_scene_writes(lua, lua_fails, excalidash):
    err = lua_fails(lua_with(lambda c: c, KEY + 'c.drawings:update("d-1", {elements = {{id = "x"}}})', URL=excalidash.url))
    assert "drawings:update of a scene needs patch.version" in err
    assert not any(q.method == "PUT" for q in excalidash.requests)
    out = run(lua, KEY, 'local d = c.drawings:get("d-1")\n'
                        'local after = c.drawings:update("d-1", {elements = {{id = "x", type = "ellipse"}}, version = d.version})\n'
                        'local ok, err = pcall(c.drawings.update, c.drawings, "d-1", {elements = {}, version = d.version})\n'
                        'local renamed = c.drawings:update("d-1", {name = "Renamed"})\n'
                        'return after.version, ok, err, renamed.name, renamed.version', excalidash.url)
    assert out[0] == 2 and out[1] is False
    assert "excalidash: PUT /drawings/d-1 HTTP 409: Conflict (VERSION_CONFLICT) The drawing changed since it was read" in out[2]
    assert out[3:] == ("Renamed", 2)
    put = [q for q in excalidash.requests if q.method == "PUT"][0]
    assert put.json() == {"elements": [{"id": "x", "type": "ellipse"}], "version": 1}
    out = run(lua, KEY, 'return c.drawings:update("d-2", {elements = {}, force = true}).version', excalidash.url)
    assert out == 2
    assert excalidash.last().json() == {"elements": []}


def test_excalidash_history_and_undo(lua, lua_fails, excalidash):
    out = run(lua, BOTH, 'local d = c.drawings:get("d-1")\n'
                         'c.drawings:update("d-1", {elements = {{id = "new"}}, version = d.version})\n'
                         'local h = c.history:list("d-1")\n'
                         'local snap = c.history:get("d-1", h.snapshots[1].id)\n'
                         'local undone = exd.undo_last_change(c, "d-1")\n'
                         'return h.totalCount, snap.elements[1].id, undone.elements[1].id, undone.version', excalidash.url)
    assert out == (1, "e1", "e1", 3)
    restore = [q for q in excalidash.requests if q.path.endswith("/restore")][0]
    assert restore.json() == {"version": 2}
    err = lua_fails(lua_with(lambda c: c, BOTH + 'c.history:restore("d-1", "s-1")', URL=excalidash.url))
    assert "history:restore needs the drawing's current version" in err


def test_excalidash_sharing(lua, lua_fails, excalidash):
    out = run(lua, SESS, 'local p = c.sharing:grant("d-1", "user-2", "edit")\n'
                         'local forever = c.sharing:create_link("d-1", {expires_at = false})\n'
                         'local default = c.sharing:create_link("d-2")\n'
                         'local s = c.sharing:get("d-1")\n'
                         'local users = c.sharing:resolve_users("d-1", "ada")\n'
                         'return p.permission, forever.expiresAt == nil, default.expiresAt, #s.permissions, #s.linkShares, '
                         'users[1].email, c.sharing:revoke("d-1", p.id), c.sharing:revoke_link("d-1", forever.id)',
              excalidash.url)
    assert out == ("edit", True, "2026-01-08T00:00:00Z", 1, 1, "ada@example.com", True, True)
    links = [q for q in excalidash.requests if q.path.endswith("/link-shares") and q.method == "POST"]
    assert links[0].body == b'{"permission":"view","expiresAt":null}'
    assert links[1].json() == {"permission": "view"}
    assert excalidash.links["d-1"] == {}
    err = lua_fails(lua_with(lambda c: c, SESS + 'c.sharing:grant("d-1", "user-1")', URL=excalidash.url))
    assert 'excalidash: POST /drawings/d-1/permissions HTTP 400: Cannot share with yourself' in err


def test_excalidash_collections_and_helpers(lua, excalidash):
    out = run(lua, BOTH, 'local col, made = exd.ensure_collection(c, "Runbooks")\n'
                         'local again, made2 = exd.ensure_collection(c, "Runbooks")\n'
                         'local d, created = exd.ensure_drawing(c, {name = "Diagram 3"})\n'
                         'local n, created2 = exd.ensure_drawing(c, {name = "Network", collection_id = col.id})\n'
                         'local share = c.collections:share(col.id, "ada@example.com")\n'
                         'c.collections:set_share_role(col.id, share.userId, "edit")\n'
                         'local role = c.collections:shares(col.id)[1].role\n'
                         'local t = exd.trash(c, n.id)\n'
                         'return col.id == again.id, made, made2, d.id, created, created2, role, t.collectionId, '
                         '#exd.collections(c), exd.resolve_collection(c, "Architecture").id', excalidash.url)
    assert out == (True, True, False, "d-3", False, True, "edit", "trash", 2, "col-1")
    share = [q for q in excalidash.requests if q.path.endswith("/shares") and q.method == "POST"][0]
    assert share.json() == {"identifier": "ada@example.com", "role": "view"}


def test_excalidash_all_drawings_and_wrong_api_path(lua, lua_fails, excalidash):
    assert run(lua, KEY, 'return #exd.all_drawings(c, {limit = 2})', excalidash.url) == 5
    offsets = [q.query.get("offset") for q in excalidash.requests]
    assert offsets == [["0"], ["2"], ["4"]]
    err = lua_fails(lua_with(lambda c: c, REQ + 'exd.client("$URL", {api_key = "%s", api_path = "/x"}).drawings:list()'
                             % API_KEY, URL=excalidash.url))
    assert 'excalidash: GET /drawings answered HTTP 200 with a body that is not JSON; is api_path ("/x") right' in err
