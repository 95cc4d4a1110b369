"""stdlib/_http.lua, the request helper most stdlib modules share: URL and query encoding, auth
headers, JSON bodies, statuses, results and error texts, checked on the wire with the recording
fake. (H.api, the operation declarations, has its own file: test_http_api.py.)"""
import base64
import re

from fakes import lua_with, recorder, recorder_server  # noqa: F401 (fixtures)

H = 'local H = require("assay._http")\n'


def test_strip_encode_text_and_query(lua):
    out = lua(H + """
return H.strip("http://x:1///"), H.encode("a b/c?d=é~._-"), H.text(3.0), H.text(2.5), H.text(true),
  H.query("a", "x y", "skip", nil, "tag", {"p", "q&r"}, "n", 10.0), H.query("only", nil)""")
    assert out == ("http://x:1", "a%20b%2Fc%3Fd%3D%C3%A9~._-", "3", "2.5", "true",
                   "?a=x%20y&tag=p&tag=q%26r&n=10", "")


def test_auth_headers_bearer_and_basic(lua):
    out = lua(H + """
return H.auth_headers({token = "t1"}).Authorization, H.auth_headers({api_key = "k"}).Authorization,
  H.auth_headers({username = "u", password = "p:w"}).Authorization, H.auth_headers({}).Authorization""")
    assert out[:3] == ("Bearer t1", "Bearer k", "Basic " + base64.b64encode(b"u:p:w").decode())
    assert len(out) == 3 or out[3] is None


def test_json_body_sends_empty_table_as_object(lua, recorder):
    lua_with(lua, H + """
local c = H.client("$URL", {module = "svc"})
local any = {expect = "any"}
c:post("/empty", {}, any)
c:post("/list", {}, {empty = "[]", expect = "any"})
c:put("/obj", {a = 1, nested = {}}, any)
c:post("/raw", "verbatim text", any)""", URL=recorder.url)
    bodies = {r.path: r.body for r in recorder.requests}
    assert bodies["/empty"] == b"{}" and bodies["/list"] == b"[]"
    assert bodies["/obj"] in (b'{"a":1,"nested":[]}', b'{"nested":[],"a":1}')
    assert bodies["/raw"] == b"verbatim text"
    assert recorder.last("/empty").header("Content-Type") == "application/json"
    assert recorder.last("/raw").header("Content-Type") is None


def test_json_body_honours_json_array_and_json_object_marks(lua, recorder):
    # the bytes on the wire: an empty table the script marked as an array goes as [], not {},
    # whether it is the whole body or nested, and a mark wins over the module's `empty`
    lua_with(lua, H + """
local c = H.client("$URL", {module = "svc"})
local any = {expect = "any"}
c:put("/array", json.array({}), any)
c:put("/array-new", json.array(), any)
c:post("/object-over-empty", json.object(), {empty = "[]", expect = "any"})
c:post("/array-over-empty", json.array(), {empty = "{}", expect = "any"})
c:patch("/nested", {tags = json.array(), meta = json.object(), plain = {}, deep = {json.array({})}}, any)""",
             URL=recorder.url)
    bodies = {r.path: r.body for r in recorder.requests}
    assert bodies == {"/array": b"[]", "/array-new": b"[]", "/object-over-empty": b"{}",
                      "/array-over-empty": b"[]",
                      "/nested": b'{"deep":[[]],"meta":{},"plain":[],"tags":[]}'}
    assert recorder.last("/array").header("Content-Type") == "application/json"


def test_client_headers_auth_and_bare_requests(lua, recorder):
    lua_with(lua, H + """
local c = H.client("$URL/", {token = "sekret", headers = {["X-Extra"] = "1"}})
c:get("/with", {expect = "any"})
c:get("/bare", {bare = true, expect = "any"})
c:get("/more", {headers = {["X-Req"] = "2"}, expect = "any"})""", URL=recorder.url)
    with_auth = recorder.last("/with")
    assert with_auth.target == "/with"  # the trailing slash of the base is stripped
    assert with_auth.header("Authorization") == "Bearer sekret" and with_auth.header("X-Extra") == "1"
    assert recorder.last("/bare").header("Authorization") is None
    more = recorder.last("/more")
    assert more.header("X-Req") == "2" and more.header("Authorization") == "Bearer sekret"


def test_statuses_results_and_404(lua, recorder):
    recorder.set("GET", "/json", 200, {"a": [1, 2]})
    recorder.set("GET", "/text", 200, "plain", "text/plain")
    recorder.set("POST", "/created", 201, {"id": 7})
    recorder.set("DELETE", "/gone", 204, b"", None)
    out = lua_with(lua, H + """
local c = H.client("$URL", {module = "svc"})
return c:get("/json").a[2], c:get("/text", {result = "text"}), c:get("/missing", {allow_404 = true}) == nil,
  c:post("/created", {x = 1}, {expect = {200, 201}}).id, c:delete("/gone", {expect = 204, result = "true"}),
  c:response("GET", "/missing").status""", URL=recorder.url)
    assert out == (2, "plain", True, 7, True, 404)


def test_error_text_default_and_template(lua_fails, recorder):
    def unpositioned(text):
        return re.sub(r"^assay/_http\.lua:\d+: ", "", text)

    recorder.set("GET", "/boom", 500, "it broke", "text/plain")
    err = unpositioned(lua_fails(H + 'H.client(%r, {module = "svc"}):get("/boom?x=1")' % recorder.url))
    assert err == "svc: GET /boom HTTP 500: it broke"
    err = unpositioned(lua_fails(H + 'H.client(%r, {error = "mine {method} {path_query} -> {status} {nope}"})'
                                     ':get("/boom?x=1")' % recorder.url))
    assert err == "mine GET /boom?x=1 -> 500 {nope}"
    recorder.set("POST", "/created", 201, {"id": 1})
    err = unpositioned(lua_fails(H + 'H.client(%r, {module = "svc"}):post("/created", {})' % recorder.url))
    assert err.startswith("svc: POST /created HTTP 201: ")  # only 200 unless `expect` says more


def test_bind_gives_function_modules_a_client_form(lua, recorder):
    recorder.set("GET", "/api/thing", 200, {"ok": True})
    out = lua_with(lua, H + """
local M = {}
function M.thing(url) return H.client(url, {module = "m"}):get("/api/thing").ok end
function M.helper(x) return x * 2 end
local c = H.bind(M, "$URL//", {token = "abc"}, {unbound = {helper = true}})
return c:thing(), c:helper(21), c.url, c.client == nil""", URL=recorder.url)
    assert out == (True, 42, recorder.url, True)
    assert recorder.last("/api/thing").header("Authorization") == "Bearer abc"


def test_caller_headers_replace_module_defaults_whatever_the_spelling(lua, recorder):
    """upstream-delta §1 (0.18.5): a header table never holds two spellings of one name, so
    the caller's value is the one sent (the http builtin would otherwise pick either)."""
    keys = lua(H + """
local h = H.merge_headers({["Content-Type"] = "application/json", Accept = "*/*"},
                          {["content-type"] = "text/csv", ACCEPT = "application/xml"})
H.auth_headers({token = "t"}, H.merge_headers(h, {authorization = "Basic x"}))
local keys = {}
for k, v in pairs(h) do keys[#keys + 1] = k .. "=" .. v end
table.sort(keys)
return keys""")
    assert keys == ["ACCEPT=application/xml", "Authorization=Bearer t", "content-type=text/csv"]
    lua_with(lua, H + """
local c = H.client("$URL", {headers = {["content-type"] = "application/vnd.api+json"}})
c:post("/typed", {a = 1}, {expect = "any"})
c:post("/per-call", {a = 1}, {expect = "any", headers = {["CONTENT-TYPE"] = "text/plain"}})""", URL=recorder.url)
    assert recorder.last("/typed").header("Content-Type") == "application/vnd.api+json"
    assert recorder.last("/per-call").header("Content-Type") == "text/plain"


def test_a_failed_call_ends_the_script_at_the_callers_line(assay, recorder, tmp_path):
    """A stdlib error that ends a script is reported once, at the line of the script that made
    the call: `flow.lua:7: vault: GET … HTTP 500: …`, not `flow.lua:7: assay/_http.lua:452: …`.
    Caught with pcall, the text keeps the helper's position, as in Assay 0.8.3."""
    recorder.set("GET", "/v1/secret/data/app", 500, "sealed", "text/plain")
    (tmp_path / "flow.lua").write_text(
        'local vault = require("assay.vault").client("%s", {token = "t"})\n'
        'local kratos = require("assay.ory.kratos").client({public_url = "%s"})\n'
        'print(select(2, pcall(vault.kv_get, vault, "secret", "app")))\n'
        'if arg[1] == "await" then async.spawn(function() return vault:kv_get("secret", "app") end):await() end\n'
        'if arg[1] == "bad input" then kratos:list_identities() end\n'
        'if arg[1] == "re-raised" then error(select(2, pcall(vault.kv_get, vault, "secret", "app"))) end\n'
        'vault:kv_get("secret", "app")\n' % (recorder.url, recorder.url))

    def error_line(*args):
        r = assay("flow.lua", *args, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        return r.stdout, [line for line in r.stderr.splitlines() if " ERROR " in line]

    out, errors = error_line()
    assert re.fullmatch(r"assay/_http\.lua:\d+: vault: GET /v1/secret/data/app HTTP 500: sealed\n", out), out
    assert len(errors) == 1 and errors[0].endswith(" ERROR flow.lua:7: vault: GET /v1/secret/data/app HTTP 500: sealed")
    _, errors = error_line("await")  # a task's error, passed on by await
    assert errors[0].endswith(" ERROR flow.lua:4: vault: GET /v1/secret/data/app HTTP 500: sealed"), errors
    _, errors = error_line("bad input")  # raised by the module's own file
    assert errors[0].endswith(" ERROR flow.lua:5: kratos: admin_url not configured"), errors
    _, errors = error_line("re-raised")  # caught, then raised again by the script
    assert errors[0].endswith(" ERROR flow.lua:6: vault: GET /v1/secret/data/app HTTP 500: sealed"), errors
