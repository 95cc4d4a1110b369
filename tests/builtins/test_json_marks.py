"""json.array / json.object shape marks (upstream-delta §1) and their effect on the encoders."""


def test_empty_table_still_encodes_as_array_by_default(lua):
    assert lua('return json.encode({}), json.encode({a = {}})') == ("[]", '{"a":[]}')


def test_object_mark_makes_empty_table_an_object(lua):
    assert lua('return json.encode(json.object()), json.encode(json.object({}))') == ("{}", "{}")


def test_array_mark_makes_empty_table_an_array(lua):
    assert lua('return json.encode(json.array()), json.encode(json.array({}))') == ("[]", "[]")


def test_marks_are_honoured_at_any_depth(lua):
    got = lua('return json.encode({a = {b = {c = json.object(), d = {json.object(), json.array()}}}})')
    assert got == '{"a":{"b":{"c":{},"d":[{},[]]}}}'


def test_object_mark_turns_a_sequence_into_string_keys(lua):
    assert lua('return json.encode(json.object({"x", "y"}))') == '{"1":"x","2":"y"}'


def test_array_mark_fills_holes_with_null(lua):
    assert lua('return json.encode(json.array({[1] = 1, [4] = 4}))') == "[1,null,null,4]"


def test_marking_returns_the_same_table_and_keeps_its_metatable(lua):
    got = lua("""
      local mt = {__index = function(_, k) return "default" end}
      local t = setmetatable({}, mt)
      local same = json.object(t) == t
      return same, getmetatable(t) == mt, t.anything, json.encode(t)
    """)
    assert got == (True, True, "default", "{}")


def test_last_mark_wins(lua):
    assert lua("local t = json.array() json.object(t) return json.encode(t)") == "{}"


def test_marked_table_can_still_be_filled_afterwards(lua):
    assert lua('local t = json.array() t[#t + 1] = "a" t[#t + 1] = "b" return json.encode(t)') == '["a","b"]'


def test_marking_a_non_table_is_an_error(lua_fails):
    assert lua_fails("json.array(5)") == "json.array: table expected, got number"
    assert lua_fails("json.object('x')") == "json.object: table expected, got string"


def test_array_mark_with_string_key_cannot_be_encoded(lua_fails):
    err = lua_fails('json.encode(json.array({name = "x"}))')
    assert err == "table marked with json.array has a non-array key: 'name'"


def test_yaml_and_toml_encode_honour_marks(lua):
    y, t = lua('local v = {items = json.array(), meta = json.object(), n = 1} '
               'return yaml.encode(v), toml.encode(v)')
    assert y == "items: []\nmeta: {}\nn: 1\n"
    assert t == "items = []\nmeta = {}\nn = 1\n"


def test_marks_are_per_table_not_per_content(lua):
    assert lua('local a, b = {}, {} json.object(a) return json.encode({a, b})') == "[{},[]]"


# ---------------------------------------------------------------- yaml.parse_all

def test_parse_all_returns_each_document_in_order(lua):
    got = lua('return yaml.parse_all("a: 1\\n---\\n- x\\n- y\\n---\\nplain\\n")')
    assert got == [{"a": 1}, ["x", "y"], "plain"]


def test_parse_all_skips_empty_documents(lua):
    assert lua('return #yaml.parse_all("---\\n---\\nk: v\\n---\\n...\\n---\\n~\\n")') == 1
    assert lua('local d = yaml.parse_all("") return #d, next(d) == nil') == (0, True)


def test_parse_all_single_document_without_markers(lua):
    assert lua('return yaml.parse_all("x: [1, 2]")') == [{"x": [1, 2]}]


def test_parse_all_anchors_do_not_cross_documents(lua_fails):
    err = lua_fails('yaml.parse_all("a: &v 1\\n---\\nb: *v\\n")')
    assert err.startswith("yaml.parse_all: unknown anchor at line 3")


def test_parse_all_malformed_stream_names_the_position(lua_fails):
    err = lua_fails('yaml.parse_all("a: 1\\n---\\nb: [1, 2\\n")')
    assert err.startswith("yaml.parse_all: ") and "line" in err and "\n" not in err


def test_parse_all_argument_error(lua_fails):
    assert "parse_all" in lua_fails("yaml.parse_all({})")


def test_parse_still_refuses_a_second_document(lua_fails):
    assert "more than one document" in lua_fails('yaml.parse("a: 1\\n---\\nb: 2\\n")')


# ---- the HTTP layer encodes table bodies the same way (issue 18) --------------------------

def test_http_table_bodies_honour_the_marks(lua):
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "stdlib"))
    from fakes import FakeService
    fake = FakeService()
    try:
        lua('''
            local u = "%s"
            http.post(u .. "/top", json.object({}))
            http.put(u .. "/nested", { meta = json.object(), tags = json.array(), plain = {} })
            http.client():patch(u .. "/client", { labels = json.object() })
            http.post(u .. "/unmarked", {})
            http.put(u .. "/array", json.array({}))
        ''' % fake.url)
        bodies = {r.path: r.body for r in fake.requests}
    finally:
        fake.close()
    assert bodies == {"/top": b"{}", "/nested": b'{"meta":{},"plain":[],"tags":[]}',
                      "/client": b'{"labels":{}}', "/unmarked": b"[]", "/array": b"[]"}


def test_http_serve_json_responses_honour_the_marks(lua):
    got = lua('''
        async.spawn(function()
          http.serve(0, { GET = { ["/j"] = function()
            return { json = { items = json.array(), meta = json.object(), plain = {} } }
          end } })
        end)
        while _SERVER_PORT == nil do sleep(0.01) end
        return http.get("http://127.0.0.1:" .. _SERVER_PORT .. "/j").body
    ''')
    assert got == '{"items":[],"meta":{},"plain":[]}'
