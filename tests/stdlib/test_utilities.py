"""assay.url, assay.version and assay.ansi: encoding against Python's urllib, Debian ordering against
the machine's dpkg, semver against semver.org's precedence list, rpm against rpmvercmp's cases."""
import json
import shutil
import subprocess
from urllib.parse import parse_qs, quote, unquote_plus

import pytest

NASTY = ["plain", "a b&c=d+e%f", "ünï/cødé?#", "~-_.", "", "line\nbreak\t", "'\"<>"]


def lua_str(s):
    """A Lua string literal holding the UTF-8 bytes of s."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else "\\%03d" % b for b in s.encode()) + '"'


# ---- url ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", NASTY)
def test_url_encode_decode_match_urllib(lua, text):
    enc, dec = lua('local url = require("assay.url")\nlocal e = url.encode(%s)\nreturn e, url.decode(e)' % lua_str(text))
    assert enc == quote(text, safe="~")
    assert dec == text
    assert lua('return require("assay.url").decode(%s)' % lua_str(enc.replace("%20", "+"))) == unquote_plus(enc)


def test_url_form_bodies_round_trip(lua):
    body, back = lua('local url = require("assay.url")\n'
                     'local b = url.encode_form({client_secret = "a&b=c+d%e", grant_type = "client_credentials",'
                     ' scope = {"read", "write all"}, n = 3, on = true})\n'
                     'return b, url.decode_form(b)')
    assert body == "client_secret=a%26b%3Dc%2Bd%25e&grant_type=client_credentials&n=3&on=true&scope=read&scope=write%20all"
    assert parse_qs(body) == {"client_secret": ["a&b=c+d%e"], "grant_type": ["client_credentials"], "n": ["3"],
                              "on": ["true"], "scope": ["read", "write all"]}
    assert back == {"client_secret": "a&b=c+d%e", "grant_type": "client_credentials", "n": "3", "on": "true",
                    "scope": ["read", "write all"]}
    assert lua('local url = require("assay.url")\nreturn url.with_query("https://x/api?a=1", {q = "x y"}),'
               ' url.with_query("https://x/api", {}), url.with_query("https://x/api", {b = 2})') == \
        ("https://x/api?a=1&q=x%20y", "https://x/api", "https://x/api?b=2")


def test_url_bad_input_is_a_one_line_error(lua_fails):
    assert "url.encode_form: expected a table" in lua_fails('return require("assay.url").encode_form("x")')
    assert "url.encode: expected a string, number or boolean, got table" in lua_fails(
        'return require("assay.url").encode({})')


# ---- version --------------------------------------------------------------------------

SEMVER_ORDER = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.0.1+build.5", "1.2", "1.10.0", "2.0.0"]


def test_semver_precedence(lua):
    shuffled = list(reversed(SEMVER_ORDER))
    got = lua('return require("assay.version").sort(json.parse(%s))' % lua_str(json.dumps(shuffled)))
    assert got == SEMVER_ORDER
    assert lua('local v = require("assay.version")\nreturn v.compare("v0.13.1", "0.13.2"), '
               'v.compare("1.0.0+a", "1.0.0+b"), v.compare("1.2", "1.2.0"), v.max({"1.2", "1.10", "1.9"})') == \
        (-1, 0, 0, "1.10")


DEB_PAIRS = [("1:1.84.3-noble1", "1.84.2"), ("1.0~rc1", "1.0"), ("1.0~rc1", "1.0~rc1~1"), ("1.0", "1.0-0"),
             ("2.30-0ubuntu1", "2.30-0ubuntu10"), ("1.2.3a", "1.2.3+b"), ("1.2.3-1", "1.2.3-1build1"),
             ("0.9", "0.10"), ("1.0a", "1.0."), ("7:1.2", "6:9.9"), ("1.01", "1.1"), ("~~", "~~a"),
             ("1.0+dfsg-2", "1.0-2"), ("3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.9")]


def dpkg_compare(a, b):
    for op, result in (("lt", -1), ("eq", 0), ("gt", 1)):
        if subprocess.run(["dpkg", "--compare-versions", a, op, b]).returncode == 0:
            return result
    raise AssertionError("dpkg cannot compare %r %r" % (a, b))


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is the reference for Debian ordering")
@pytest.mark.parametrize("a,b", DEB_PAIRS)
def test_debian_order_matches_dpkg(lua, a, b):
    got = lua('local v = require("assay.version")\nreturn v.compare(%s, %s, "debian"), v.compare(%s, %s, "debian")'
              % (lua_str(a), lua_str(b), lua_str(b), lua_str(a)))
    expected = dpkg_compare(a, b)
    assert got == (expected, -expected)


@pytest.mark.parametrize("a,b,expected", [
    ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0.1", "2.0.1a", -1), ("5.5p1", "5.5p2", -1), ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1), ("xyz10", "xyz10.1", -1), ("2a", "2.0", -1), ("1.0.1", "1.0_1", 0),
    ("1.0aa", "1.0a", 1), ("6.0.rc1", "6.0", 1), ("1.010", "1.9", 1), ("1.0-1.el9", "1.0-1.el8", 1),
])
def test_rpm_order_like_rpmvercmp(lua, a, b, expected):
    assert lua('return require("assay.version").compare(%s, %s, "rpm")' % (lua_str(a), lua_str(b))) == expected


def test_numeric_scheme_and_errors(lua, lua_fails):
    assert lua('local v = require("assay.version")\nreturn v.compare("1.10", "1.9", "numeric"), '
               'v.compare("1.2", "1.2.0", "numeric"), v.satisfies("1.4.2", ">=", "1.4", "numeric"),'
               ' v.satisfies("2.0.0-rc.1", "<", "2.0.0")') == (1, 0, True, True)
    assert "is not a dotted numeric version" in lua_fails('return require("assay.version").compare("1.x", "1", "numeric")')
    assert "version.compare: unknown scheme 'calver' (semver, debian, rpm, numeric)" in lua_fails(
        'return require("assay.version").compare("1", "2", "calver")')
    assert lua('return require("assay.version").max({})') is None


# ---- ansi -----------------------------------------------------------------------------

def test_ansi_to_html(lua):
    cases = {
        "\x1b[32mok\x1b[0m": '<span class="ansi-fg-32">ok</span>',
        "\x1b[1;31mFAIL\x1b[0m <b>&": '<span class="ansi-bold ansi-fg-31">FAIL</span> &lt;b&gt;&amp;',
        "\x1b[44mbg\x1b[49m plain \x1b[93mbright": '<span class="ansi-bg-44">bg</span> plain <span class="ansi-fg-93">bright</span>',
        "\x1b[2K\x1b[1Gprogress \x1b[38;5;208morange\x1b[m 'q' \"d\"": "progress orange &#39;q&#39; &quot;d&quot;",
        "\x1b[31mred\x1b[32mgreen\x1b[39m": '<span class="ansi-fg-31">red</span><span class="ansi-fg-32">green</span>',
        "\x1b[1mbold\x1b[22m normal": '<span class="ansi-bold">bold</span> normal',
    }
    for raw, html in cases.items():
        assert lua('return require("assay.ansi").to_html(%s)' % lua_str(raw)) == html, raw


def test_ansi_strip(lua, lua_fails):
    assert lua('return require("assay.ansi").strip(%s)' % lua_str("\x1b[1;32m✔\x1b[0m done\x1b[K\x1b[2A")) == "✔ done"
    assert "ansi.strip: expected a string" in lua_fails('return require("assay.ansi").strip(nil)')
