"""template.render_with_loader (upstream-delta §1): extends/include/import from a directory, sandboxed."""
import pytest


@pytest.fixture
def site(tmp_path):
    files = {
        "base.html": "<title>{% block title %}site{% endblock %}</title><main>{% block body %}{% endblock %}</main>",
        "page.html": ('{% extends "base.html" %}{% import "macros.html" as m %}'
                      '{% block title %}{{ title }}{% endblock %}'
                      '{% block body %}{{ m.badge(status) }}{% include "parts/footer.html" %}{% endblock %}'),
        "macros.html": "{% macro badge(s) %}<b>{{ s | upper }}</b>{% endmacro %}",
        "parts/footer.html": "<footer>{{ owner }}</footer>",
        "includes_missing.html": '{% include "nowhere.html" %}',
        "escape.html": '{% include "../secret.txt" %}',
        "unsafe.html": "{{ title.__class__ }}",
        "broken.html": "line one\n{% if %}",
    }
    for name, text in files.items():
        path = tmp_path / "tpl" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return tmp_path / "tpl"


def test_extends_import_and_include_resolve_in_the_directory(lua, site):
    html = lua('return template.render_with_loader("%s", "page.html", '
               '{title = "Deploys", status = "green", owner = "ops"})' % site)
    assert html == "<title>Deploys</title><main><b>GREEN</b><footer>ops</footer></main>"


def test_missing_template_is_a_clear_error(lua_fails, site):
    assert lua_fails('template.render_with_loader("%s", "nope.html", {})' % site) == \
        'template.render_with_loader: template not found: nope.html (in "%s")' % site
    assert lua_fails('template.render_with_loader("%s", "includes_missing.html", {})' % site) == \
        'template.render_with_loader: template not found: nowhere.html (in "%s")' % site


def test_templates_cannot_reach_above_the_directory(lua_fails, site):
    err = lua_fails('template.render_with_loader("%s", "escape.html", {})' % site)
    assert err == 'template.render_with_loader: template not found: ../secret.txt (in "%s")' % site
    err = lua_fails('template.render_with_loader("%s", "../secret.txt", {})' % site)
    assert "TOP SECRET" not in err and "template not found" in err


def test_sandbox_applies(lua_fails, site):
    assert lua_fails('template.render_with_loader("%s", "unsafe.html", {title = "x"})' % site) == \
        "template.render_with_loader: unsafe access refused: attribute __class__ (in unsafe.html:1)"


def test_syntax_error_names_template_and_line(lua_fails, site):
    err = lua_fails('template.render_with_loader("%s", "broken.html", {})' % site)
    assert err.startswith("template.render_with_loader: syntax error: ") and err.endswith("(in broken.html:2)")


def test_argument_errors(lua_fails, tmp_path):
    assert lua_fails('template.render_with_loader("%s/none", "a.html", {})' % tmp_path) == \
        'template.render_with_loader: template directory "%s/none" does not exist' % tmp_path
    assert lua_fails("template.render_with_loader(nil, 'a', {})") == \
        "template.render_with_loader: directory must be a string, got nil"
    assert lua_fails('template.render_with_loader("%s", 5 > 4, {})' % tmp_path) == \
        "template.render_with_loader: template name must be a string, got boolean"


def test_changed_template_is_picked_up(lua, site):
    got = lua("""
      local a = template.render_with_loader("%s", "parts/footer.html", {owner = "a"})
      fs.write("%s/parts/footer.html", "<p>{{ owner }}</p>")
      return a, template.render_with_loader("%s", "parts/footer.html", {owner = "b"})
    """ % (site, site, site))
    assert got == ("<footer>a</footer>", "<p>b</p>")
