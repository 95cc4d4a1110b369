"""`json` builtin (builtins.md §3; runtime.md §7.3, §7.4, §10): JSON-01..06 and the
value-mapping items RT-54, RT-58..RT-63 as seen through `json`."""


def esc(s):
    """A Lua long-bracket literal, so JSON text needs no double escaping."""
    return "[==[" + s + "]==]"


# ---------------------------------------------------------------------------
# JSON-01 parse maps objects/arrays/numbers/strings/bools/null (ints stay ints)

def test_json_01_parse_object_and_array(lua):
    assert lua('return json.parse(%s)' % esc('{"a": [1, "two", true, false], "b": {"c": "d"}}')) == \
        {"a": [1, "two", True, False], "b": {"c": "d"}}


def test_json_01_integers_stay_integers_floats_stay_floats(lua):
    code = 'local t = json.parse(%s) return math.type(t.i), math.type(t.f), math.type(t.e), math.type(t.n)'
    assert lua(code % esc('{"i": 42, "f": 1.0, "e": 1e2, "n": -7}')) == ("integer", "float", "float", "integer")


def test_json_01_integer_text_concatenates_without_fraction(lua):
    # RT-54: a parsed integer must not print as 200.0
    assert lua('return "status " .. json.parse(%s).status' % esc('{"status": 200}')) == "status 200"


def test_json_01_null_member_is_absent_and_array_null_is_a_hole(lua):
    code = 'local t = json.parse(%s) return t.a == nil, t.b[1], t.b[2] == nil, t.b[3]'
    assert lua(code % esc('{"a": null, "b": [1, null, 3]}')) == (True, 1, True, 3)


def test_json_01_arrays_are_one_based_tables_without_metatable(lua):
    code = 'local t = json.parse("[10, 20]") return t[1], t[2], t[0] == nil, getmetatable(t) == nil, type(t)'
    assert lua(code) == (10, 20, True, True, "table")


def test_json_01_unicode_escapes_become_utf8(lua):
    assert lua('return json.parse(%s)' % esc(r'"caf\u00e9 \ud83d\ude00"')) == "café 😀"


def test_json_01_int64_limits_and_beyond(lua):
    # RT-63: int64-fitting integers → integer, beyond → float
    code = ('local a = json.parse("9223372036854775807") local b = json.parse("-9223372036854775808") '
            'local c = json.parse("9223372036854775808") '
            'return math.type(a), a == math.maxinteger, math.type(b), b == math.mininteger, math.type(c)')
    assert lua(code) == ("integer", True, "integer", True, "float")


def test_json_01_duplicate_keys_last_wins(lua):
    assert lua('return json.parse(%s).a' % esc('{"a": 1, "a": 2}')) == 2


def test_json_01_numbers_coerced_to_text(lua):
    # string parameters accept numbers (runtime §7.2)
    assert lua('return json.parse(12)') == 12


# ---------------------------------------------------------------------------
# JSON-02 invalid JSON raises `json.parse: <detail>`

def _fails(lua_fails, text):
    msg = lua_fails('return json.parse(%s)' % esc(text))
    assert msg.startswith("json.parse: "), msg
    return msg


def test_json_02_invalid_json_raises(lua_fails):
    for bad in ['{"a":', "{a: 1}", "[1 2]", '"unterminated', "tru", "{}}"]:
        _fails(lua_fails, bad)


def test_json_02_rejects_nan_and_infinity(lua_fails):
    for bad in ["NaN", "Infinity", "-Infinity", "[NaN]"]:
        _fails(lua_fails, bad)


def test_json_02_rejects_comments_and_trailing_commas(lua_fails):
    for bad in ["[1, 2,]", '{"a": 1,}', "// c\n1", "/* c */ 1", "[1] # c"]:
        _fails(lua_fails, bad)


def test_json_02_rejects_empty_and_extra_values(lua_fails):
    assert "line 1 column 1" in _fails(lua_fails, "")
    _fails(lua_fails, "1 2")
    _fails(lua_fails, "   ")


def test_json_02_rejects_raw_control_characters_and_bad_escapes(lua_fails):
    _fails(lua_fails, '"a\tb"')
    _fails(lua_fails, r'"\x41"')
    _fails(lua_fails, r'"\ud800"')  # lone surrogate cannot become UTF-8


def test_json_02_rejects_number_out_of_range(lua_fails):
    _fails(lua_fails, "1e400")


def test_json_02_error_is_a_plain_string_for_pcall(lua):
    code = 'local ok, err = pcall(json.parse, "{") return ok, type(err), err:match("^json%.parse: ") ~= nil'
    assert lua(code) == (False, "string", True)


def test_json_02_invalid_utf8_input_is_a_clean_error(lua_fails):
    msg = lua_fails(r'return json.parse("\"\255\"")')
    assert msg.startswith("json.parse: ") and "UTF-8" in msg


def test_json_02_non_string_argument_raises(lua_fails):
    for arg in ["nil", "{}", "true"]:
        msg = lua_fails("return json.parse(%s)" % arg)
        assert "bad argument #1" in msg and "parse" in msg


def test_json_02_deep_nesting_is_an_error_not_a_crash(lua_fails):
    msg = lua_fails('return json.parse(string.rep("[", 5000) .. string.rep("]", 5000))')
    assert msg.startswith("json.parse: ")


# ---------------------------------------------------------------------------
# JSON-03 top-level scalars

def test_json_03_top_level_scalars(lua):
    assert lua('return json.parse("5")') == 5
    assert lua('return json.parse("-2.5")') == -2.5
    assert lua('return json.parse(%s)' % esc('"hi"')) == "hi"
    assert lua('return json.parse("true"), json.parse("false")') == (True, False)
    assert lua('return json.parse("null") == nil, select("#", json.parse("null"))') == (True, 1)
    assert lua('return json.parse("  [ ]  ")') == []


# ---------------------------------------------------------------------------
# JSON-04 encode: compact, keys sorted, {} → [], nil → null

def test_json_04_compact_sorted_keys(lua):
    assert lua('return json.encode({b=1, a=2, c={z=true, y=false}})') == '{"a":2,"b":1,"c":{"y":false,"z":true}}'


def test_json_04_empty_table_is_array_and_nil_is_null(lua):
    assert lua('return json.encode({})') == "[]"
    assert lua('return json.encode(nil)') == "null"
    assert lua('return json.encode()') == "null"
    assert lua('return json.encode({a={}})') == '{"a":[]}'


def test_json_04_scalars(lua):
    assert lua('return json.encode("x")') == '"x"'
    assert lua('return json.encode(true)') == "true"
    assert lua('return json.encode(42)') == "42"
    assert lua('return json.encode(-0.5)') == "-0.5"


def test_json_04_floats_shortest_form(lua):
    assert lua('return json.encode({3.0, 0.1, 1e21, 1e-7, 1.5e300, 100000.0})') == \
        "[3.0,0.1,1e21,1e-7,1.5e300,100000.0]"


def test_json_04_no_spaces_or_newlines(lua):
    out = lua('return json.encode({list={1,2,3}, obj={k="v"}})')
    assert " " not in out and "\n" not in out


def test_rt_58_array_detection(lua):
    assert lua('return json.encode({"a", "b"})') == '["a","b"]'
    assert lua('return json.encode({[1]="a", [3]="c"})') == '{"1":"a","3":"c"}'
    assert lua('return json.encode({[1]="a", x="y"})') == '{"1":"a","x":"y"}'
    assert lua('return json.encode({[10]="x"})') == '{"10":"x"}'
    assert lua('return json.encode({[1.5]="x"})') == '{"1.5":"x"}'
    assert lua('return json.encode({[2]="b", [1]="a"})') == '["a","b"]'


def test_rt_59_empty_table_encodes_as_array(lua):
    assert lua('return json.encode({{}, {{}}})') == "[[],[[]]]"


def test_rt_60_unsupported_keys_and_values(lua_fails):
    assert lua_fails('return json.encode({[true]=1})') == "unsupported table key type: boolean"
    assert lua_fails('return json.encode({[{}]=1})') == "unsupported table key type: table"
    assert lua_fails('return json.encode(print)') == "unsupported Lua type for JSON: function"
    assert lua_fails('return json.encode({f=print})') == "unsupported Lua type for JSON: function"
    assert lua_fails('return json.encode({io.stdout})').startswith("unsupported Lua type for JSON: ")


def test_rt_61_nan_and_infinity_raise(lua_fails):
    assert lua_fails('return json.encode(0/0)') == "cannot encode NaN as JSON number"
    assert lua_fails('return json.encode({x=math.huge})') == "cannot encode inf as JSON number"
    assert lua_fails('return json.encode({-math.huge})') == "cannot encode -inf as JSON number"


def test_rt_62_keys_sorted_bytewise(lua):
    assert lua('return json.encode({b=1, B=2, a=3, ["é"]=4, ["1"]=5})') == '{"1":5,"B":2,"a":3,"b":1,"é":4}'


def test_json_04_metatables_ignored(lua):
    code = 'local t = setmetatable({a=1}, {__index=function() return 5 end}) return json.encode(t)'
    assert lua(code) == '{"a":1}'


def test_json_04_invalid_utf8_string_raises(lua_fails):
    assert "UTF-8" in lua_fails(r'return json.encode("\255")')


# ---------------------------------------------------------------------------
# JSON-05 round trip

def test_json_05_round_trip(lua):
    text = '{"name":"assay","version":1}'
    assert lua('return json.encode(json.parse(%s))' % esc(text)) == text


def test_json_05_round_trip_nested_preserves_types(lua):
    text = '{"a":[1,2.5,"x",true,false,{"b":[]}],"c":-3,"d":1.0,"e":"\\u0001"}'
    assert lua('return json.encode(json.parse(%s))' % esc(text)) == text
    code = 'local t = json.parse(json.encode({i=3, f=3.0})) return math.type(t.i), math.type(t.f)'
    assert lua(code) == ("integer", "float")


# ---------------------------------------------------------------------------
# JSON-06 non-ASCII raw, control characters escaped

def test_json_06_non_ascii_raw(lua):
    assert lua('return json.encode("héllo 世界 😀")') == '"héllo 世界 😀"'


def test_json_06_control_characters_escaped(lua):
    assert lua(r'return json.encode("a\nb\tc\rd\be\ff\1g\31")') == r'"a\nb\tc\rd\be\ff\u0001g\u001f"'


def test_json_06_quotes_backslash_escaped_slash_not(lua):
    assert lua(r'return json.encode("say \"hi\" \\ a/b")') == r'"say \"hi\" \\ a/b"'


def test_json_06_via_command_line(assay):
    result = assay("exec", "-e", 'print(json.encode({msg="ünï"}))')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"msg":"ünï"}'
