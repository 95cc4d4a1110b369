"""H.api (stdlib/_http.lua): one declaration gives flat methods, grouped methods and callable groups.
Exercised with a small module written in the test against the recording fake."""
import re

from fakes import lua_with, recorder, recorder_server  # noqa: F401 (fixtures)

WIDGET = '''
local H = require("assay._http")
local M, Client = {}, {}
function M.client(url) return setmetatable({ api = H.client(url, { module = "widget" }) }, Client) end
function Client:count() return #self:items() end
H.api({
  module = "widget",
  ops = {
    { "items", "items:list", "(opts?) -> [item]", "List", get = "/v1/items", query = { "tag", "pageSize=page_size" },
      field = "items", default = {} },
    { "item", "items:get", "(id) -> item|nil", "Get", get = "/v1/items/{id}", allow_404 = true },
    { "raw", false, "(path) -> x", "Raw path", get = "/v1/raw/{path*}" },
    { "create", "items:create", "(item) -> item", "Create", post = "/v1/items", body = "item", expect = { 201 } },
    { "count", "items:count", "() -> number", "Written in the module" },
    { false, "items:first", "() -> item", "Group only", fn = function(c) return c:items()[1] end },
  },
}):install(Client)
local c = M.client("$URL")
'''


def run(lua, url, code):
    return lua_with(lua, WIDGET + code, URL=url)


def test_declared_flat_and_grouped_calls(lua, recorder):
    recorder.set("GET", "/v1/items", body='{"items": [{"id": "a b"}]}')
    out = run(lua, recorder.url, 'return c:items({tag = "x", page_size = 2}), c.items:list(), c:count(), '
                                 'c.items:count(), c.items:first().id, c.items == c.items')
    assert out == ([{"id": "a b"}], [{"id": "a b"}], 1, 1, "a b", True)
    assert recorder.requests[0].target == "/v1/items?tag=x&pageSize=2"
    assert recorder.requests[1].target == "/v1/items"


def test_group_named_like_a_flat_method_is_callable(lua, recorder):
    recorder.set("GET", "/v1/items", body='{"items": [1, 2, 3]}')
    assert run(lua, recorder.url, 'return #c:items(), #c.items:list(), type(c.items)') == (3, 3, "table")


def test_path_arguments_are_encoded_or_raw(lua, lua_fails, recorder):
    recorder.set("GET", "/v1/items/a%2Fb%20c", status=404, body="{}")
    assert run(lua, recorder.url, 'return c.items:get("a/b c") == nil') is True
    assert recorder.last().target == "/v1/items/a%2Fb%20c"
    run(lua, recorder.url, 'pcall(c.raw, c, "x/y")')
    assert recorder.last().target == "/v1/raw/x/y"
    msg = lua_with(lua_fails, WIDGET + "c:item()", URL=recorder.url)
    assert msg.endswith("widget: id is required")


def test_default_answer_is_a_fresh_table_and_errors_use_the_module_text(lua, lua_fails, recorder):
    recorder.set("GET", "/v1/items", body="{}")
    assert run(lua, recorder.url, 'local a = c:items(); a[1] = "x"; return #c:items()') == 0
    recorder.set("POST", "/v1/items", status=200, body="{}")
    msg = lua_with(lua_fails, WIDGET + 'c.items:create({name = "n"})', URL=recorder.url)
    assert re.search(r"widget: POST /v1/items HTTP 200: \{\}$", msg), msg
    assert recorder.last().json() == {"name": "n"}


def test_bad_declarations_are_reported(lua_fails):
    msg = lua_fails('require("assay._http").api({module = "w", ops = {{false, "nogroup", "() -> x", "d"}}})')
    assert "bad group 'nogroup' in w" in msg
    msg = lua_fails('require("assay._http").api({module = "w", ops = {{false, "a:b", "() -> x", "d"}}})')
    assert "a:b in w has no implementation" in msg
