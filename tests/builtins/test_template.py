"""`template` builtin (builtins.md §16): TPL-01..TPL-06."""
import pytest


def lstr(text):
    return "[==[" + str(text) + "]==]"


# ------------------------------------------------------------------ TPL-01

def test_tpl_01_spec_example(lua):
    """TPL-01: variables and filters (upper, length)."""
    code = 'return template.render_string("{{ name | upper }} has {{ items | length }} items", {name="alice", items={1,2,3}})'
    assert lua(code) == "ALICE has 3 items"


def test_tpl_01_loops_conditionals_nested_attributes(lua):
    """TPL-01: for loops with loop.*, if/elif/else, nested attribute access."""
    tpl = ("{% for s in servers %}{{ loop.index }}.{{ s.name }}@{{ s.net.ip }}"
           "{% if s.up %} up{% elif s.maint %} maint{% else %} down{% endif %}"
           "{% if not loop.last %}, {% endif %}{% endfor %}")
    code = """
    return template.render_string(%s, {servers = {
      {name = "a", net = {ip = "10.0.0.1"}, up = true},
      {name = "b", net = {ip = "10.0.0.2"}, up = false, maint = true},
      {name = "c", net = {ip = "10.0.0.3"}, up = false},
    }})
    """ % lstr(tpl)
    assert lua(code) == "1.a@10.0.0.1 up, 2.b@10.0.0.2 maint, 3.c@10.0.0.3 down"


def test_tpl_01_engine_features(lua):
    """TPL-01 (§16 engine semantics): set, macro, raw, comments, whitespace control, for-else."""
    tpl = ("{% set greeting = 'hi' %}{% macro tag(x) %}<{{ x }}>{% endmacro %}"
           "{{ greeting }} {{ tag('b') }} {% raw %}{{ not rendered }}{% endraw %}{# gone #}"
           "[ {%- for x in empty %}{{ x }}{% else %}none{% endfor -%} ]")
    code = "return template.render_string(%s, {empty = {}})" % lstr(tpl)
    assert lua(code) == "hi <b> {{ not rendered }}[none]"


@pytest.mark.parametrize("tpl,expected", [
    ("{{ 'hello world' | title }}", "Hello World"),
    ("{{ 'hello' | capitalize }}", "Hello"),
    ("{{ '  x  ' | trim }}", "x"),
    ("{{ xs | count }}", "3"),
    ("{{ missing | default('dflt') }}|{{ missing | d('d2') }}", "dflt|d2"),
    ("{{ xs | join('-') }}", "3-1-2"),
    ("{{ 'a-b' | replace('-', '+') }}", "a+b"),
    ("{{ xs | first }}{{ xs | last }}", "32"),
    ("{{ xs | reverse | join }}", "213"),
    ("{{ xs | sort | join }}", "123"),
    ("{{ [1, 1, 2] | unique | join }}", "12"),
    ("{{ users | map(attribute='name') | join(',') }}", "ann,bob"),
    ("{{ xs | select('odd') | join }}{{ xs | reject('odd') | join }}", "312"),
    ("{{ users | selectattr('admin') | map(attribute='name') | join }}", "ann"),
    ("{{ users | rejectattr('admin') | map(attribute='name') | join }}", "bob"),
    ("{{ xs | sum }} {{ xs | min }} {{ xs | max }}", "6 1 3"),
    ("{{ 2.567 | round(1) }} {{ -3 | abs }} {{ '42' | int + 1 }} {{ '1.5' | float }}", "2.6 3 43 1.5"),
    ("{{ xs | tojson }}", "[3, 1, 2]"),
    ("{{ 'a\nb' | indent(2) }}", "a\n  b"),
    ("{% for k, v in m | dictsort %}{{ k }}={{ v }};{% endfor %}", "a=2;b=1;"),
    ("{% for k, v in m | items %}{{ k }}{{ v }}{% endfor %}", "a2b1"),
    ("{{ {'q': 'a b&c'} | urlencode }}|{{ 'a b/c' | urlencode }}", "q=a+b%26c|a%20b/c"),
    ("{{ '<b>' | escape }}{{ '<i>' | e }}{{ '<u>' | safe }}", "&lt;b&gt;&lt;i&gt;<u>"),
    ("{{ 'one\ntwo' | lines | length }}", "2"),
    ("{{ 'a,b,c' | split(',') | join('|') }}", "a|b|c"),
    ("{{ 0 | bool }}{{ 1 | bool }}", "FalseTrue"),
    ("{{ xs | batch(2) | list | length }} {{ xs | slice(2) | list | length }}", "2 2"),
    ("{% for g in users | groupby('admin') %}{{ g.grouper }}:{{ g.list | length }};{% endfor %}", "False:1;True:1;"),
    ("{{ users[0] | attr('name') }} {{ 5 | string }} {{ xs | list | length }}", "ann 5 3"),
])
def test_tpl_01_filters(lua, tpl, expected):
    """TPL-01 (§16 filter list): each listed filter works."""
    code = "return template.render_string(%s, {xs = {3, 1, 2}, m = {b = 1, a = 2}, users = {{name='ann', admin=true}, {name='bob', admin=false}}})" % lstr(tpl)
    assert lua(code) == expected


@pytest.mark.parametrize("tpl,expected", [
    ("{{ x is defined }}{{ y is undefined }}{{ n is none }}", "TrueTrueTrue"),
    ("{{ 1 is number }}{{ 's' is string }}{{ m is mapping }}{{ xs is sequence }}", "TrueTrueTrueTrue"),
    ("{{ 2 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 1 in xs }}{{ 1 is eq 1 }}", "TrueTrueTrueTrueTrue"),
    ("{{ range(3) | join }}{{ dict(a=1).a }}{% set ns = namespace(c=0) %}{% for i in xs %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}", "01216"),
])
def test_tpl_01_tests_and_globals(lua, tpl, expected):
    """TPL-01 (§16): tests and the globals range, dict, namespace."""
    code = "return template.render_string(%s, {x = 1, n = nil, xs = {1, 2, 3}, m = {a = 1}})" % lstr(tpl.replace("n is none", "none is none"))
    assert lua(code) == expected


def test_tpl_01_numbers_render_like_lua(lua):
    """§16: integers render without `.0`; floats keep it."""
    assert lua('return template.render_string("{{ i }} {{ f }} {{ 2.0 }} {{ 7 }}", {i = 3, f = 2.0})') == "3 2.0 2.0 7"


def test_tpl_01_mapping_keys_iterate_sorted(lua):
    """§16 via runtime §7.3: object keys come out in sorted order."""
    assert lua('return template.render_string("{% for k in m %}{{ k }}{% endfor %}", {m = {c = 1, a = 2, b = 3}})') == "abc"


def test_tpl_01_trailing_newline_dropped(lua):
    """§16: the template's trailing newline is dropped; no block trimming."""
    assert lua('return template.render_string("a\\n{% if true %}\\nb{% endif %}\\n", {})') == "a\n\nb"


# ------------------------------------------------------------------ TPL-02

def test_tpl_02_render_file(lua, tmp_path):
    """TPL-02: template.render(path, vars) renders a file."""
    f = tmp_path / "page.html"
    f.write_text("<h1>{{ title }}</h1>\n{% for i in items %}<li>{{ i }}</li>{% endfor %}\n")
    code = 'return template.render(%s, {title = "T", items = {"x", "y"}})' % lstr(f)
    assert lua(code) == "<h1>T</h1>\n<li>x</li><li>y</li>"


def test_tpl_02_missing_file(lua_fails, tmp_path):
    """TPL-02: a missing file raises `template.render: failed to read "<path>": <os error>`."""
    path = tmp_path / "nope.j2"
    assert lua_fails("template.render(%s, {})" % lstr(path)) == \
        'template.render: failed to read "%s": No such file or directory (os error 2)' % path


def test_tpl_02_directory_and_invalid_utf8(lua_fails, tmp_path):
    """TPL-02: a directory or a non-UTF-8 file fail to read."""
    assert lua_fails("template.render(%s)" % lstr(tmp_path)) == \
        'template.render: failed to read "%s": Is a directory (os error 21)' % tmp_path
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    assert lua_fails("template.render(%s)" % lstr(bad)) == \
        'template.render: failed to read "%s": stream did not contain valid UTF-8' % bad


def test_tpl_02_path_quoting(lua_fails, tmp_path):
    """TPL-02: the path is quoted with escapes for `"`."""
    path = str(tmp_path / 'a"b.txt')
    assert lua_fails("template.render(%s)" % lstr(path)) == \
        'template.render: failed to read "%s": No such file or directory (os error 2)' % path.replace('"', '\\"')


def test_tpl_02_render_errors_name_the_file(lua_fails, tmp_path):
    """TPL-02/TPL-04: errors from a file template start with `template.render:` and name file and line."""
    f = tmp_path / "broken.txt"
    f.write_text("ok\n{% if %}\n")
    message = lua_fails("template.render(%s)" % lstr(f))
    assert message.startswith("template.render: ")
    assert "%s:2" % f in message


# ------------------------------------------------------------------ TPL-03

def test_tpl_03_nil_and_empty_vars(lua):
    """TPL-03: vars nil or {} render static templates."""
    assert lua('return template.render_string("static text")') == "static text"
    assert lua('return template.render_string("static text", nil)') == "static text"
    assert lua('return template.render_string("static text", {})') == "static text"


def test_tpl_03_undefined_variables_render_empty(lua):
    """TPL-03: undefined variables render as empty."""
    assert lua('return template.render_string("Hello {{ name }}!", {})') == "Hello !"


def test_tpl_03_array_vars_give_no_names(lua):
    """§16: an array-like vars table gives no named variables."""
    assert lua('return template.render_string("[{{ x }}]", {1, 2})') == "[]"


def test_tpl_03_attribute_of_undefined_raises(lua_fails):
    """§16: attribute access on an undefined value raises."""
    message = lua_fails('template.render_string("a\\n{{ user.name }}", {})')
    assert message.startswith("template.render_string: ") and "user" in message
    assert "<string>:2" in message


# ------------------------------------------------------------------ TPL-04

@pytest.mark.parametrize("tpl", ["{% invalid %}", "{{ unclosed", "{% for x in %}{% endfor %}", "{% if x %}"])
def test_tpl_04_syntax_errors(lua_fails, tpl):
    """TPL-04: syntax errors raise `template.render_string: <detail>`."""
    message = lua_fails("template.render_string(%s, {})" % lstr(tpl))
    assert message.startswith("template.render_string: ") and len(message) > len("template.render_string: ")
    assert "\n" not in message


def test_tpl_04_syntax_error_names_line(lua_fails):
    """TPL-04: the detail carries the template line."""
    message = lua_fails('template.render_string("line one\\n{% invalid %}", {})')
    assert "invalid" in message and "<string>:2" in message


def test_tpl_04_include_has_no_loader(lua_fails):
    """§16: include/extends/import fail (no loader)."""
    for tpl in ('{% include "x.html" %}', '{% extends "base.html" %}', '{% import "m.html" as m %}'):
        message = lua_fails("template.render_string(%s, {})" % lstr(tpl))
        assert message.startswith("template.render_string: ") and "not found" in message


def test_tpl_04_render_error(lua_fails):
    """§16: runtime errors during rendering also raise with the prefix."""
    assert lua_fails('template.render_string("{{ 1 / 0 }}", {})').startswith("template.render_string: ")


# ------------------------------------------------------------------ TPL-05

def test_tpl_05_loop_over_array_of_tables_no_autoescape(lua):
    """TPL-05: {{ item.name }} over an array of tables; HTML is not escaped."""
    code = """
    return template.render_string("{% for item in items %}<li>{{ item.name }}</li>{% endfor %}",
      {items = {{name = "<b>bold</b>"}, {name = "a & b"}}})
    """
    assert lua(code) == "<li><b>bold</b></li><li>a & b</li>"


def test_tpl_05_no_autoescape_for_html_files(lua, tmp_path):
    """TPL-05: no autoescaping for .html files either."""
    f = tmp_path / "x.html"
    f.write_text("{{ v }}")
    assert lua('return template.render(%s, {v = "<script>"})' % lstr(f)) == "<script>"


# ------------------------------------------------------------------ TPL-06

@pytest.mark.parametrize("fn,first", [("render_string", '"x"'), ("render", '"/nonexistent"')])
@pytest.mark.parametrize("value", ['"str"', "42", "true", "print"])
def test_tpl_06_vars_must_be_table_or_nil(lua_fails, fn, first, value):
    """TPL-06: non-table vars raise `template.<fn>: second argument must be a table or nil`."""
    assert lua_fails("template.%s(%s, %s)" % (fn, first, value)) == \
        "template.%s: second argument must be a table or nil" % fn


def test_tpl_06_unconvertible_vars(lua_fails):
    """§16: vars are converted per runtime §7.3 (functions are not data)."""
    message = lua_fails('template.render_string("x", {f = print})')
    assert message.startswith("template.render_string: ") and "function" in message


def test_template_is_blocking_runs_in_tasks(lua):
    """RT-35: template calls work inside tasks (blocking, no yield)."""
    code = """
    local h = async.spawn(function() return template.render_string("{{ a }}", {a = 1}) end)
    return h.await()[1]
    """
    assert lua(code) == "1"
