"""`yaml` builtin (builtins.md §4): YAML-01..04.

yaml.parse reads events from libyaml (PyYAML) when it is installed, else from
ruamel.yaml; every parse test runs against both (fixture `backend`).
"""
import math

import pytest

import assay.builtins.yaml as yaml_builtin


def esc(s):
    return "[==[" + s + "]==]"


@pytest.fixture(params=["libyaml", "ruamel"])
def backend(request, monkeypatch):
    if request.param == "libyaml":
        try:
            import yaml  # noqa: F401  (PyYAML)
            yaml.CBaseLoader
        except (ImportError, AttributeError):
            pytest.skip("PyYAML with libyaml is not installed")
    monkeypatch.setattr(yaml_builtin, "PREFER_LIBYAML", request.param == "libyaml")
    return request.param


def parse(lua, text):
    return lua("return yaml.parse(%s)" % esc(text))


# ---------------------------------------------------------------------------
# YAML-01 mappings, sequences, nesting, block scalars, booleans, null

def test_yaml_01_mapping_and_sequence(lua, backend):
    doc = "name: assay\nversion: 1\ntags:\n  - a\n  - b\n"
    assert parse(lua, doc) == {"name": "assay", "version": 1, "tags": ["a", "b"]}


def test_yaml_01_nested_and_flow_collections(lua, backend):
    doc = "a:\n  b:\n    c: [1, 2, {d: e}]\n  f: {g: h}\nlist:\n- x: 1\n  y: 2\n- - nested\n"
    assert parse(lua, doc) == {"a": {"b": {"c": [1, 2, {"d": "e"}]}, "f": {"g": "h"}},
                               "list": [{"x": 1, "y": 2}, ["nested"]]}


def test_yaml_01_block_scalars(lua, backend):
    doc = ("lit: |\n  line1\n  line2\nfold: >\n  word1\n  word2\nstrip: |-\n  x\n"
           "keep: |+\n  y\n\nafter: 1\n")
    assert parse(lua, doc) == {"lit": "line1\nline2\n", "fold": "word1 word2\n", "strip": "x",
                               "keep": "y\n\n", "after": 1}


def test_yaml_01_booleans_and_null(lua, backend):
    code = ('local t = yaml.parse(%s) return t.t, t.f, t.n1 == nil, t.n2 == nil, t.n3 == nil, '
            'type(t.s), t.T, t.F')
    doc = "t: true\nf: false\nn1: null\nn2: ~\nn3:\ns: 'null'\nT: True\nF: FALSE\n"
    assert lua(code % esc(doc)) == (True, False, True, True, True, "string", True, False)


def test_yaml_01_empty_document_is_nil(lua, backend):
    assert lua('return yaml.parse("") == nil, yaml.parse("# just a comment\\n") == nil') == (True, True)


def test_yaml_01_top_level_scalars_and_explicit_document(lua, backend):
    assert parse(lua, "42") == 42
    assert parse(lua, "hello") == "hello"
    assert parse(lua, "---\na: 1\n...\n") == {"a": 1}
    assert parse(lua, "- 1\n- 2\n") == [1, 2]


def test_yaml_01_anchors_and_aliases(lua, backend):
    doc = "base: &b {x: 1, y: [1, 2]}\ncopy: *b\nname: &n hello\nagain: *n\n"
    assert parse(lua, doc) == {"base": {"x": 1, "y": [1, 2]}, "copy": {"x": 1, "y": [1, 2]},
                               "name": "hello", "again": "hello"}


def test_yaml_01_quoted_scalars_and_escapes(lua, backend):
    doc = 'a: "tab\\there \\u00e9"\nb: \'it\'\'s\'\nc: "123"\n'
    assert parse(lua, doc) == {"a": "tab\there é", "b": "it's", "c": "123"}


def test_yaml_01_keys_become_strings(lua, backend):
    code = 'local t = yaml.parse(%s) return t["1"], t["true"], t["x"]'
    assert lua(code % esc("1: one\ntrue: yes\nx: 2\n")) == ("one", "yes", 2)


def test_yaml_01_null_in_sequence_is_a_hole(lua, backend):
    assert lua('local t = yaml.parse("[1, null, 3]") return t[1], t[2] == nil, t[3]') == (1, True, 3)


# ---------------------------------------------------------------------------
# YAML-02 integers are Lua integers; only true/false are booleans

def test_yaml_02_integers_are_integers(lua, backend):
    code = ('local t = yaml.parse(%s) return math.type(t.i), math.type(t.n), math.type(t.f), '
            'math.type(t.e), "v" .. t.i')
    assert lua(code % esc("i: 42\nn: -7\nf: 1.5\ne: 1e3\n")) == ("integer", "integer", "float", "float", "v42")


def test_yaml_02_integer_forms(lua, backend):
    assert parse(lua, "[0x1F, 0o17, 0b101, +5, -0x10]") == [31, 15, 5, 5, -16]
    assert lua('return math.type(yaml.parse("0x1F"))') == "integer"


def test_yaml_02_large_integers(lua, backend):
    code = ('local a = yaml.parse("9223372036854775807") local b = yaml.parse("18446744073709551615") '
            'return math.type(a), a == math.maxinteger, math.type(b)')
    assert lua(code) == ("integer", True, "float")


def test_yaml_02_special_floats(lua, backend):
    code = ('local t = yaml.parse("[.inf, -.inf, .nan, .Inf, 1.0]") '
            'return t[1] == math.huge, t[2] == -math.huge, t[3] ~= t[3], t[4] == math.huge, math.type(t[5])')
    assert lua(code) == (True, True, True, True, "float")


def test_yaml_02_yes_no_on_off_are_strings(lua, backend):
    assert parse(lua, "[yes, no, on, off, y, n, Yes, NO]") == ["yes", "no", "on", "off", "y", "n", "Yes", "NO"]


def test_yaml_02_leading_zero_digits_stay_strings(lua, backend):
    assert parse(lua, "zip: 01234\n") == {"zip": "01234"}


def test_yaml_02_dates_and_other_scalars_stay_strings(lua, backend):
    assert parse(lua, "[2024-01-15, 1_000, 12:30, 1.2.3]") == ["2024-01-15", "1_000", "12:30", "1.2.3"]


def test_yaml_02_core_tags(lua, backend):
    doc = "a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!bool 'true'\ne: ! 12\n"
    code = 'local t = yaml.parse(%s) return t.a, t.b, math.type(t.b), t.c, math.type(t.c), t.d, t.e'
    assert lua(code % esc(doc)) == ("5", 7, "integer", 1.0, "float", True, "12")


# ---------------------------------------------------------------------------
# YAML-03 invalid input and multiple documents raise `yaml.parse: <detail>`

def _fails(lua_fails, text):
    msg = lua_fails("return yaml.parse(%s)" % esc(text))
    assert msg.startswith("yaml.parse: "), msg
    return msg


def test_yaml_03_invalid_yaml_raises(lua_fails, backend):
    for bad in ["a: [1, 2", "a: b: c", "key: 'unterminated", "a:\n  - b\n  -c: d", "\t- tab"]:
        _fails(lua_fails, bad)


def test_yaml_03_error_names_the_position(lua_fails, backend):
    assert "line" in _fails(lua_fails, "a: [1, 2")


def test_yaml_03_multiple_documents_raise(lua_fails, backend):
    msg = _fails(lua_fails, "a: 1\n---\nb: 2\n")
    assert "more than one document" in msg
    _fails(lua_fails, "---\n1\n---\n2\n")


def test_yaml_03_unknown_alias_raises(lua_fails, backend):
    _fails(lua_fails, "a: *missing")


def test_yaml_03_collection_keys_raise(lua_fails, backend):
    _fails(lua_fails, "[1, 2]: x")


def test_yaml_03_alias_bomb_is_refused(lua_fails, backend):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = "*a%d" % (i - 1)
        lines.append("a%d: &a%d [%s]" % (i, i, ", ".join([prev] * 10)))
    msg = _fails(lua_fails, "\n".join(lines) + "\n")
    assert "limit" in msg


def test_yaml_03_error_is_catchable_string(lua, backend):
    code = 'local ok, err = pcall(yaml.parse, "a: [") return ok, type(err), err:find("yaml.parse: ", 1, true) == 1'
    assert lua(code) == (False, "string", True)


def test_yaml_03_invalid_utf8_and_bad_argument(lua_fails):
    msg = lua_fails(r'return yaml.parse("a: \255")')
    assert msg.startswith("yaml.parse: ") and "UTF-8" in msg
    assert "bad argument #1" in lua_fails("return yaml.parse(nil)")


def test_yaml_03_deep_nesting_is_an_error_not_a_crash(lua_fails, backend):
    _fails(lua_fails, "x: " + "[" * 300 + "]" * 300)


# ---------------------------------------------------------------------------
# YAML-04 encode: block YAML, sorted keys, round trip preserving types

def test_yaml_04_spec_example(lua):
    assert lua('return yaml.encode({name="assay", tags={"a","b"}})') == "name: assay\ntags:\n- a\n- b\n"


def test_yaml_04_nested_mappings_indent_two_spaces(lua):
    out = lua('return yaml.encode({a={b={c=1}, d={1, 2}}, e="x"})')
    assert out == "a:\n  b:\n    c: 1\n  d:\n  - 1\n  - 2\ne: x\n"


def test_yaml_04_sequences_of_mappings_and_sequences(lua):
    out = lua('return yaml.encode({{name="a", port=80}, {{1, 2}, "x"}})')
    assert out == "- name: a\n  port: 80\n- - - 1\n    - 2\n  - x\n"


def test_yaml_04_empty_collections_and_scalars(lua):
    assert lua('return yaml.encode({a={}, b=true, c=1.5, d=3.0, e=-2})') == \
        "a: []\nb: true\nc: 1.5\nd: 3.0\ne: -2\n"
    assert lua("return yaml.encode({})") == "[]\n"
    assert lua("return yaml.encode(nil)") == "null\n"
    assert lua("return yaml.encode(5)") == "5\n"
    assert lua('return yaml.encode("text")') == "text\n"


def test_yaml_04_sorted_keys_and_no_document_marker(lua):
    out = lua('return yaml.encode({zeta=1, alpha=2, Mid=3})')
    assert out == "Mid: 3\nalpha: 2\nzeta: 1\n"
    assert not out.startswith("---")


def test_yaml_04_strings_quoted_only_when_needed(lua):
    code = ('return yaml.encode({s1="123", s2="true", s3="", s4="plain text", s5="null", s6="1.5", '
            's7="yes", s8="a: b", s9="- x", s10="#c", s11=" pad", s12="0123", s13="~", s14="it\'s"})')
    assert lua(code) == ("s1: '123'\ns10: '#c'\ns11: ' pad'\ns12: '0123'\ns13: '~'\ns14: it's\n"
                         "s2: 'true'\ns3: ''\ns4: plain text\ns5: 'null'\ns6: '1.5'\ns7: yes\n"
                         "s8: 'a: b'\ns9: '- x'\n")


def test_yaml_04_multiline_and_special_strings(lua):
    assert lua(r'return yaml.encode({m="l1\nl2", t="a\tb"})') == 'm: |-\n  l1\n  l2\nt: "a\\tb"\n'
    assert lua(r'return yaml.encode({"l1\nl2\n"})') == "- |\n  l1\n  l2\n"


def test_yaml_04_non_ascii_raw(lua):
    assert lua('return yaml.encode({k="héllo 世界"})') == "k: héllo 世界\n"


def test_yaml_04_conversion_errors(lua_fails):
    assert lua_fails("return yaml.encode({x=0/0})") == "cannot encode NaN as JSON number"
    assert lua_fails("return yaml.encode({f=print})") == "unsupported Lua type for JSON: function"
    assert lua_fails("return yaml.encode({[true]=1})") == "unsupported table key type: boolean"


ROUND_TRIP = r'''
local v = {
  str = "hello", num = 42, neg = -7, flt = 1.5, whole = 3.0, tiny = 1e-7, big = 1e21,
  t = true, f = false, empty = {}, list = {1, "two", 3.5, false},
  nested = {deep = {deeper = {"x", {k = "v"}}}},
  quoted = {"123", "true", "", "null", "~", "0x1F", ".inf", "yes", "0123", "1e3", "-1"},
  odd = {"a: b", "- x", "#c", " lead", "trail ", "it's", 'dq"q', "tab\there", "back\\slash",
         "multi\nline", "end\n", "\nstart", "  indented\nx", "@at", "`tick", "%pct", "[b]", "{c}",
         "*star", "&amp", "!bang", "|pipe", ">gt", "?q", ":colon", "a #b", "---", "...", "é😀"},
  long = string.rep("word ", 40), longq = "'" .. string.rep("word ", 40),
  ["key with space"] = 1, ["1"] = "numeric key", ["multi\nkey"] = 2, [string.rep("k", 200)] = 3,
}
local back = yaml.parse(yaml.encode(v))
local function same(a, b, path)
  if type(a) ~= type(b) then error(path .. ": type " .. type(a) .. " vs " .. type(b)) end
  if type(a) == "table" then
    for k, x in pairs(a) do same(x, b[k], path .. "." .. tostring(k)) end
    for k in pairs(b) do if a[k] == nil then error(path .. ": extra key " .. tostring(k)) end end
  elseif math.type(a) ~= math.type(b) or a ~= b then
    error(path .. ": " .. tostring(a) .. " vs " .. tostring(b))
  end
end
same(v, back, "v")
return true
'''


def test_yaml_04_round_trip_preserves_types(lua, backend):
    assert lua(ROUND_TRIP) is True


def test_yaml_04_round_trip_top_level_values(lua, backend):
    for expr in ['"123"', "5", "2.5", "true", '"multi\\nline"', '{1, {2, {3}}}', '"x"']:
        code = ("local v = %s local b = yaml.parse(yaml.encode(v)) "
                "return math.type(b) == math.type(v) and json.encode(b) == json.encode(v)") % expr
        assert lua(code) is True, expr


def test_yaml_04_long_strings_fold_and_round_trip(lua, backend):
    out = lua('return yaml.encode({k=string.rep("word ", 30) .. "end"})')
    assert "\n  word" in out  # folded after column 80, continuation indented
    assert max(len(line) for line in out.splitlines()) < 100
    assert lua('local s = string.rep("word ", 30) .. "end" return yaml.parse(yaml.encode({k=s})).k == s') is True


def test_yaml_04_nan_and_infinity_decode(lua, backend):
    # floats from the parser may be special; encoding them back is a conversion error
    assert lua('return pcall(yaml.encode, yaml.parse(".nan"))') == (False, "cannot encode NaN as JSON number")


def test_yaml_04_parse_output_math(lua, backend):
    assert math.isclose(lua('return yaml.parse("x: 0.1").x + 0.2'), 0.30000000000000004)
