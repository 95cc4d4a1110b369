"""`toml` builtin (builtins.md §5): TOML-01..05."""


def esc(s):
    return "[==[" + s + "]==]"


DOC = '''
title = "Example"
count = 3
ratio = 0.5
enabled = true
off = false
hex = 0xff
big = 1_000
expo = 5e+2

[owner]
name = "Tom"

[database.settings]
ports = [8001, 8001, 8002]
nested = [[1, 2], ["a"]]

[[servers]]
host = "alpha"

[[servers]]
host = "beta"
inline = { x = 1, y = "z" }
'''


# ---------------------------------------------------------------------------
# TOML-01 tables, nested tables, arrays, strings, integers, floats, booleans

def test_toml_01_document(lua):
    assert lua("return toml.parse(%s)" % esc(DOC)) == {
        "title": "Example", "count": 3, "ratio": 0.5, "enabled": True, "off": False,
        "hex": 255, "big": 1000, "expo": 500.0,
        "owner": {"name": "Tom"},
        "database": {"settings": {"ports": [8001, 8001, 8002], "nested": [[1, 2], ["a"]]}},
        "servers": [{"host": "alpha"}, {"host": "beta", "inline": {"x": 1, "y": "z"}}],
    }


def test_toml_01_number_types(lua):
    code = ('local t = toml.parse(%s) return math.type(t.count), math.type(t.ratio), '
            'math.type(t.expo), math.type(t.hex), "n=" .. t.count')
    assert lua(code % esc(DOC)) == ("integer", "float", "float", "integer", "n=3")


def test_toml_01_strings(lua):
    doc = 'basic = "tab\\tquote\\"é"\nlit = \'C:\\path\'\nmulti = """\nline1\nline2"""\nml = \'\'\'\nraw\\n\'\'\'\n'
    assert lua("return toml.parse(%s)" % esc(doc)) == {
        "basic": 'tab\tquote"é', "lit": "C:\\path", "multi": "line1\nline2", "ml": "raw\\n"}


def test_toml_01_dotted_keys_and_quoted_keys(lua):
    doc = 'a.b.c = 1\n"key with space" = 2\n[x."y.z"]\nw = 3\n'
    assert lua("return toml.parse(%s)" % esc(doc)) == {
        "a": {"b": {"c": 1}}, "key with space": 2, "x": {"y.z": {"w": 3}}}


def test_toml_01_empty_document_is_empty_table(lua):
    assert lua('local t = toml.parse("") return type(t), next(t) == nil') == ("table", True)


def test_toml_01_int64_limits(lua):
    code = ('local t = toml.parse("a = 9223372036854775807\\nb = -9223372036854775808") '
            'return t.a == math.maxinteger, t.b == math.mininteger, math.type(t.a)')
    assert lua(code) == (True, True, "integer")


def test_toml_01_nan_and_inf_become_nil(lua):
    # the original maps nan/inf through JSON, where they are null
    code = 'local t = toml.parse("a = nan\\nb = inf\\nc = -inf\\nd = 1.0") return t.a == nil, t.b == nil, t.c == nil, t.d'
    assert lua(code) == (True, True, True, 1.0)


# ---------------------------------------------------------------------------
# TOML-02 invalid input raises `toml.parse: <detail>`

def test_toml_02_invalid_toml_raises(lua_fails):
    for bad in ["a = ", "a = 1\na = 2", "[t]\n[t]", "a = [1, 2", "= 1", "a = 01", "a = {x = 1,}",
                "a = 1 b = 2", 'a = "unterminated', "a = 9223372036854775808", "a = 1979-13-01"]:
        msg = lua_fails("return toml.parse(%s)" % esc(bad))
        assert msg.startswith("toml.parse: "), (bad, msg)


def test_toml_02_invalid_utf8_and_bad_argument(lua_fails):
    msg = lua_fails(r'return toml.parse("a = \"\255\"")')
    assert msg.startswith("toml.parse: ") and "UTF-8" in msg
    assert "bad argument #1" in lua_fails("return toml.parse({})")


def test_toml_02_error_is_catchable_string(lua):
    code = 'local ok, err = pcall(toml.parse, "a = ") return ok, type(err), err:find("toml.parse: ", 1, true) == 1'
    assert lua(code) == (False, "string", True)


# ---------------------------------------------------------------------------
# TOML-03 datetimes parse to their RFC 3339 string

def test_toml_03_datetimes_are_rfc3339_strings(lua):
    doc = ("odt = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00.999999-07:00\n"
           "odt3 = 1979-05-27 07:32:00+05:30\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\n"
           "lt = 07:32:00\nlt2 = 00:32:00.5\n")
    assert lua("return toml.parse(%s)" % esc(doc)) == {
        "odt": "1979-05-27T07:32:00Z", "odt2": "1979-05-27T00:32:00.999999-07:00",
        "odt3": "1979-05-27T07:32:00+05:30", "ldt": "1979-05-27T07:32:00", "ld": "1979-05-27",
        "lt": "07:32:00", "lt2": "00:32:00.5"}


def test_toml_03_datetime_is_a_plain_string(lua):
    code = 'local t = toml.parse("d = 1979-05-27T07:32:00Z") return type(t.d), t.d:sub(1, 4)'
    assert lua(code) == ("string", "1979")


# ---------------------------------------------------------------------------
# TOML-04 encode round-trips; errors raise `toml.encode: <detail>`

def test_toml_04_simple_document(lua):
    assert lua('return toml.encode({name="x", port=8080, on=true, ratio=0.25})') == \
        'name = "x"\non = true\nport = 8080\nratio = 0.25\n'


def test_toml_04_arrays_one_element_per_line(lua):
    assert lua('return toml.encode({a={1, 2, 3}, b={"x"}, c={}})') == \
        'a = [\n    1,\n    2,\n    3,\n]\nb = ["x"]\nc = []\n'


def test_toml_04_empty_table_is_empty_document(lua):
    assert lua("return toml.encode({})") == ""


def test_toml_04_nested_empty_table_is_empty_array(lua):
    assert lua("return toml.encode({a={}, t={x={}}})") == "a = []\n\n[t]\nx = []\n"


def test_toml_04_top_level_must_be_a_table_with_keys(lua_fails):
    for value in ["{1, 2}", "5", "nil", '"s"', "true"]:
        msg = lua_fails("return toml.encode(%s)" % value)
        assert msg.startswith("toml.encode: "), (value, msg)


def test_toml_04_conversion_errors(lua_fails):
    assert lua_fails("return toml.encode({x=0/0})") == "cannot encode NaN as JSON number"
    assert lua_fails("return toml.encode({f=print})") == "unsupported Lua type for JSON: function"


def test_toml_04_float_and_string_forms(lua):
    out = lua(r'return toml.encode({f=3.0, g=1e21, h=1e-7, s="q\"uote\n", p="C:\\dir", u="é"})')
    assert out == ('f = 3.0\ng = 1000000000000000000000.0\nh = 0.0000001\np = \'C:\\dir\'\n'
                   's = """\nq\\"uote\n"""\nu = "é"\n')


def test_toml_04_keys_quoted_when_not_bare(lua):
    assert lua('return toml.encode({["a b"]=1, ["x.y"]=2, ok_key=3, ["é"]=4})') == \
        '"a b" = 1\nok_key = 3\n"x.y" = 2\n"é" = 4\n'


ROUND_TRIP = r'''
local v = {
  title = "x", int = 42, neg = -1, flt = 1.5, whole = 2.0, t = true, f = false,
  str = {"plain", "it's", 'dq"q', "back\\slash", "multi\nline\n", "tab\tx", "ctl\1", string.rep("'", 3), "é😀", ""},
  arr = {1, 2, 3}, one = {7}, empty = {}, mixed = {1, "a", true, {1, 2}},
  owner = {name = "Tom", dob = "1979-05-27"},
  database = {settings = {ports = {8001, 8002}, deep = {deeper = {k = "v"}}}},
  servers = {{host = "a", tags = {"x", "y"}}, {host = "b", meta = {zone = "eu"}, sub = {{n = 1}, {n = 2}}}},
  grid = {{{a = 1}}, {{b = 2}}},
  ["key with space"] = {["inner key"] = 1},
}
local back = toml.parse(toml.encode(v))
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


def test_toml_04_round_trip_preserves_data_and_types(lua):
    assert lua(ROUND_TRIP) is True


# ---------------------------------------------------------------------------
# TOML-05 plain keys first (sorted), then [table] sections

def test_toml_05_plain_keys_before_sections(lua):
    out = lua('return toml.encode({z="last", server={host="h", port=1}, a="first", m=2})')
    assert out == 'a = "first"\nm = 2\nz = "last"\n\n[server]\nhost = "h"\nport = 1\n'


def test_toml_05_nested_tables_and_arrays_of_tables(lua):
    code = ('return toml.encode({name="n", db={host="h", pool={size=5}}, '
            'servers={{host="a"}, {host="b", meta={x=1}}}, only={nested={k="v"}}})')
    assert lua(code) == ('name = "n"\n\n[db]\nhost = "h"\n\n[db.pool]\nsize = 5\n\n'
                         '[only.nested]\nk = "v"\n\n[[servers]]\nhost = "a"\n\n[[servers]]\nhost = "b"\n\n'
                         '[servers.meta]\nx = 1\n')


def test_toml_05_document_without_plain_keys_starts_with_section(lua):
    assert lua('return toml.encode({a={b={c=1}}})') == "[a.b]\nc = 1\n"


def test_toml_05_sections_sorted(lua):
    out = lua('return toml.encode({b={x=1}, a={x=2}, c={x=3}})')
    assert out == "[a]\nx = 2\n\n[b]\nx = 1\n\n[c]\nx = 3\n"
