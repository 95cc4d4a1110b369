"""`regex` builtin (builtins.md §9): REGEX-01..06.

The original uses Rust's regex-lite; these tests also pin every place where its
syntax or semantics differ from Python's `re` (the translator in
assay/builtins/regex.py), each named after the checklist item it belongs to.
"""
import pytest


def esc(s):
    """A Lua long-bracket literal, so patterns need no double escaping."""
    return "[==[" + s + "]==]"


# ---------------------------------------------------------------------------
# REGEX-01 match: boolean, unanchored search

def test_regex_01_match_returns_boolean(lua):
    assert lua('return regex.match("hello world", "wor")') is True
    assert lua('return regex.match("hello world", "xyz")') is False
    assert lua('return type(regex.match("a", "a")), type(regex.match("a", "b"))') == ("boolean", "boolean")


def test_regex_01_match_is_unanchored_unless_anchors(lua):
    assert lua('return regex.match("2024-01-15", %s)' % esc(r"\d{2}-\d{2}")) is True
    assert lua('return regex.match("x2024-01-15", %s)' % esc(r"^\d{4}-\d{2}-\d{2}$")) is False
    assert lua('return regex.match("2024-01-15", %s)' % esc(r"^\d{4}-\d{2}-\d{2}$")) is True


def test_regex_01_argument_order_is_text_then_pattern(lua):
    # documentation showing (pattern, text) is wrong: the pattern is the 2nd argument
    assert lua('return regex.match("abc", "^a")') is True
    assert lua('return regex.match("^a", "abc")') is False


def test_regex_01_dollar_does_not_match_before_final_newline(lua):
    # Python's `$` matches before a trailing "\n"; Rust's only at the very end
    assert lua(r'return regex.match("abc\n", "abc$")') is False
    assert lua(r'return regex.match("abc", "abc$")') is True
    assert lua(r'return regex.match("abc\n", "(?m)abc$")') is True


def test_regex_01_caret_only_at_text_start_without_m(lua):
    assert lua(r'return regex.match("x\nabc", "^abc")') is False
    assert lua(r'return regex.match("x\nabc", "(?m)^abc")') is True


def test_regex_01_multiline_anchors_per_line(lua):
    assert lua(r'return regex.find_all("ab\ncd\n", %s)' % esc(r"(?m)^\w+$")) == ["ab", "cd"]
    assert lua(r'return regex.find_all("ab\ncd\n", %s)' % esc(r"^\w+$")) == []
    # `^` matches after a final newline in multi-line mode
    assert lua(r'return #regex.find_all("test\n", "(?m)^")') == 2


def test_regex_01_backslash_A_and_z_are_text_ends(lua):
    assert lua(r'return regex.match("a\nb", %s)' % esc(r"(?m)\Ab")) is False
    assert lua(r'return regex.match("a\nb", %s)' % esc(r"(?m)a\z")) is False
    assert lua(r'return regex.match("a\nb\n", %s)' % esc(r"b\z")) is False
    assert lua(r'return regex.match("a\nb", %s)' % esc(r"\Aa\nb\z")) is True


def test_regex_01_dot_excludes_newline_unless_s(lua):
    assert lua(r'return regex.find_all("a\nb", ".")') == ["a", "b"]
    assert lua(r'return regex.find_all("a\nb", "(?s).")') == ["a", "\n", "b"]
    assert lua(r'return regex.match("a\nb", "a.b")') is False
    assert lua(r'return regex.match("a\nb", "(?s:a.b)")') is True


def test_regex_01_crlf_mode(lua):
    # (?R): `.` also excludes \r, and ^/$ treat \r\n as one line terminator
    assert lua(r'return regex.find_all("a\r\nb", "(?R).")') == ["a", "b"]
    assert lua(r'return regex.find_all("a\r\nb", ".")') == ["a", "\r", "b"]
    assert lua(r'return regex.find("\r\nfoo\r\n", "(?R)\\Afoo$")') is None
    assert lua(r'return regex.match("\r\nfoo\r\n", "(?m)^foo$")') is False


def test_regex_01_crlf_line_anchors_are_refused_naming_the_construct(lua):
    # RE2 has no CRLF-aware line anchors; running the pattern on a backtracking
    # engine instead would let it hang (a deviation, see docs/deviations.md)
    message = lua(r'return select(2, pcall(regex.find, "\r\nfoo\r\n", "(?mR)^foo$"))')
    assert message.startswith("regex.find: invalid pattern: ^ under both (?m) and (?R) is not supported")
    assert "\n" not in message
    message = lua(r'return select(2, pcall(regex.match, "x", "(?m)(?R)x$"))')
    assert message.startswith("regex.match: invalid pattern: $ under both (?m) and (?R)")


def test_regex_01_posix_classes(lua):
    assert lua('return regex.find_all("foo.bar 42", "[[:alpha:]]+")') == ["foo", "bar"]
    assert lua('return regex.find_all("a1_b", "[[:^alpha:]]")') == ["1", "_"]
    assert lua('return regex.find_all("x=1,y", "[[:punct:][:digit:]]")') == ["=", "1", ","]
    assert lua('return regex.find_all("aF9g", "[[:xdigit:]]+")') == ["aF9"]


def test_regex_01_inline_flag_mid_pattern_lasts_to_group_end(lua):
    # Python rejects global flags in the middle; Rust applies them from there on
    assert lua('return regex.find_all("aB Ab AB", "a(?i)b")') == ["aB"]
    assert lua('return regex.find_all("ABC", "(?i)a(?-i)bc")') == []
    assert lua('return regex.find_all("aBC", "(?i)a(?-i)BC")') == ["aBC"]
    # the flag stays set for later alternatives of the same group...
    assert lua('return regex.match("C", "a(?i)b|c")') is True
    # ...but ends with the enclosing group
    assert lua('return regex.match("xB", "(x(?i))b")') is False


def test_regex_01_scoped_flags(lua):
    assert lua('return regex.find_all("AB aB Ab ab", "(?i:a)b")') == ["Ab", "ab"]
    assert lua(r'return regex.match("a\nb", "(?s:a.)b")') is True
    assert lua('return regex.find_all("AB", "(?i)(?-i:a)b")') == []


def test_regex_01_case_insensitivity_is_ascii_only(lua):
    assert lua('return regex.find_all("ABC abc", "(?i)abc")') == ["ABC", "abc"]
    assert lua('return regex.find_all("Éé", "(?i)é")') == ["é"]
    assert lua('return regex.find_all("Xx", "(?i)[^x]")') == []
    assert lua(r'return regex.find_all("K\u{212A}", "(?i)k")') == ["K"]


def test_regex_01_verbose_mode(lua):
    pattern = "(?x)\n  (\\d{4}) # year\n  -\n  (\\d{2}) # month\n"
    assert lua('return regex.find("on 2024-05", %s).groups' % esc(pattern)) == ["2024", "05"]
    assert lua('return regex.find_all("a b", %s)' % esc(r"(?x) a \  b")) == ["a b"]


def test_regex_01_lazy_quantifiers(lua):
    assert lua('return regex.find("<<a>>", "<+?(.+?)>").groups[1]') == "<a"
    assert lua('return regex.find_all("aaaa", "a{1,}?")') == ["a", "a", "a", "a"]
    assert lua('return regex.find_all("aaaa", "a{2,3}?")') == ["aa", "aa"]
    assert lua('return regex.find("aaa", "a??").match') == ""


def test_regex_01_swap_greed_flag(lua):
    assert lua('return regex.find_all("aaaa", "(?U)a+")') == ["a", "a", "a", "a"]
    assert lua('return regex.find_all("aaaa", "(?U)a+?")') == ["aaaa"]


def test_regex_01_word_boundaries_are_ascii(lua):
    assert lua(r'return regex.find_all("the cat", %s)' % esc(r"\b\w")) == ["t", "c"]
    assert lua(r'return regex.find_all("the cat", %s)' % esc(r"\<\w")) == ["t", "c"]
    assert lua(r'return regex.find_all("the cat", %s)' % esc(r"\w\b{end}")) == ["e", "t"]
    assert lua(r'return regex.find_all("the cat", %s)' % esc(r"\b{start}\w")) == ["t", "c"]
    assert lua(r'return regex.find_all("the cat sat", %s)' % esc(r"\<\w+\>")) == ["the", "cat", "sat"]
    assert lua(r'return regex.find_all("a-b c", %s)' % esc(r"\<[a-z]")) == ["a", "b", "c"]
    assert lua(r'return regex.find_all("ab-cd", %s)' % esc(r"[a-z]\>")) == ["b", "d"]
    # half boundaries: \b{start-half} needs no word character before, nothing after
    assert lua(r'return regex.find_all("x -y", %s)' % esc(r"\b{start-half}-")) == ["-"]
    assert lua(r'return regex.find_all("x-y", %s)' % esc(r"\b{start-half}-")) == []
    assert lua(r'return regex.find_all("x- y-", %s)' % esc(r"-\b{end-half}")) == ["-", "-"]
    # a boundary that can never hold next to its neighbours matches nothing
    assert lua(r'return regex.find_all("a b", %s)' % esc(r"\< ")) == []
    # "é" is not a word character for \b
    assert lua(r'return regex.find_all("éa", %s)' % esc(r"\ba")) == ["a"]


def test_regex_01_not_word_boundary_matches_empty_text(lua):
    # Python's \B never matches in an empty string; Rust's does
    assert lua(r'return regex.match("", %s)' % esc(r"\B")) is True
    assert lua(r'return regex.match("", %s)' % esc(r"\b")) is False


def test_regex_01_counted_repetition_forms(lua):
    assert lua('return regex.find_all("aaaaa", "a{2}")') == ["aa", "aa"]
    assert lua('return regex.find_all("aaaaa", "a{2,}")') == ["aaaaa"]
    assert lua('return regex.find_all("aaaaa", "a{1,2}")') == ["aa", "aa", "a"]
    # Rust allows spaces inside the braces, Python would read a literal
    assert lua('return regex.find("aaa", "a{ 2 }").match') == "aa"


def test_regex_01_rust_only_escapes(lua):
    assert lua(r'return regex.match("AB", %s)' % esc(r"^\x41\x{42}$")) is True
    assert lua(r'return regex.match("\u{2603}", %s)' % esc(r"^\u2603$")) is True
    assert lua(r'return regex.match("\u{1F4A9}", %s)' % esc(r"^\U0001F4A9$")) is True
    assert lua(r'return regex.match("\a\v", %s)' % esc(r"^\a\v$")) is True
    assert lua(r'return regex.match("a%%b", %s)' % esc(r"^a\%b$")) is True


def test_regex_01_repetition_of_anything_allowed(lua):
    # `^*` and `a**` are valid in Rust (Python: "nothing to repeat"/"multiple repeat")
    assert lua('return regex.match("b", "^*b")') is True
    assert lua('return regex.find("aaa", "a**").match') == "aaa"


def test_regex_01_number_arguments_are_coerced(lua):
    assert lua(r'return regex.match(12345, %s)' % esc(r"^\d+$")) is True


def test_regex_01_non_string_argument_raises(lua_fails):
    message = lua_fails('regex.match(nil, "a")')
    assert "regex.match" in message and "nil" in message
    message = lua_fails('regex.find("a", {})')
    assert "regex.find" in message and "table" in message


# ---------------------------------------------------------------------------
# REGEX-02 find

def test_regex_02_find_returns_match_and_groups(lua):
    result = lua(r'return regex.find("date: 2024-01-15", %s)' % esc(r"(\d+)-(\d+)-(\d+)"))
    assert result == {"match": "2024-01-15", "groups": ["2024", "01", "15"]}


def test_regex_02_find_returns_nil_without_match(lua):
    assert lua('return regex.find("abc", "x") == nil') is True


def test_regex_02_find_without_groups_has_empty_groups_table(lua):
    assert lua('local r = regex.find("abc", "b") return r.match, type(r.groups), next(r.groups) == nil') == \
        ("b", "table", True)


def test_regex_02_non_participating_group_is_a_hole(lua):
    code = 'local r = regex.find("ac", "(a)(b)?(c)") return r.groups[1], r.groups[2] == nil, r.groups[3]'
    assert lua(code) == ("a", True, "c")


def test_regex_02_named_groups_only_by_number(lua):
    code = ('local r = regex.find("x1", "(?<letter>[a-z])(?P<num>[0-9])") '
            'return r.groups[1], r.groups[2], r.groups.letter == nil, r.groups.num == nil')
    assert lua(code) == ("x", "1", True, True)


def test_regex_02_first_match_is_leftmost_first(lua):
    assert lua('return regex.find("samwise", "samwise|sam").match') == "samwise"
    assert lua('return regex.find("samwise", "sam|samwise").match') == "sam"


def test_regex_02_find_on_non_ascii_and_invalid_utf8(lua):
    assert lua('return regex.find("héllo", "h(.)l").groups[1]') == "é"
    assert lua(r'return regex.find("a\255b", "a(.)b").groups[1] == "\255"') is True


# ---------------------------------------------------------------------------
# REGEX-03 find_all

def test_regex_03_find_all_in_order(lua):
    hay = "What do 1865-04-14, 1881-07-02 and 1963-11-22 have in common?"
    assert lua(r'return regex.find_all("%s", %s)' % (hay, esc(r"\d{4}-\d{2}-\d{2}"))) == \
        ["1865-04-14", "1881-07-02", "1963-11-22"]


def test_regex_03_find_all_no_match_is_empty_table(lua):
    assert lua('local t = regex.find_all("abc", "x") return type(t), #t') == ("table", 0)


def test_regex_03_find_all_non_overlapping(lua):
    assert lua('return regex.find_all("aaaa", "aa")') == ["aa", "aa"]


def test_regex_03_find_all_whole_matches_only(lua):
    assert lua(r'return regex.find_all("k1=v1 k2=v2", %s)' % esc(r"(\w+)=(\w+)")) == ["k1=v1", "k2=v2"]


def test_regex_03_empty_matches_included(lua):
    assert lua('return regex.find_all("abc", "")') == ["", "", "", ""]
    assert lua('return regex.find_all("héé", "")') == ["", "", "", ""]


def test_regex_03_empty_match_after_match_is_skipped(lua):
    # Rust skips an empty match that ends where the previous match ended;
    # Python's re.findall would give ['', 'aaa', '', '']
    assert lua('return regex.find_all("baaab", "a*")') == ["", "aaa", ""]
    assert lua('return regex.find_all("a", "|a")') == ["", ""]


def test_regex_03_non_ascii_text(lua):
    assert lua(r'return regex.find_all("héllo wörld", %s)' % esc(r"\w+")) == ["h", "llo", "w", "rld"]
    assert lua('return regex.find_all("héllo wörld", "[^ ]+")') == ["héllo", "wörld"]


# ---------------------------------------------------------------------------
# REGEX-04 replace

def test_regex_04_replace_all_matches(lua):
    assert lua('return regex.replace("a-b-c", "-", "+")') == "a+b+c"


def test_regex_04_spec_example(lua):
    assert lua(r'return regex.replace("John Smith", %s, "$2, $1")' % esc(r"(\w+) (\w+)")) == "Smith, John"


def test_regex_04_braced_and_named_references(lua):
    pattern = esc(r"(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})")
    assert lua('return regex.replace("1973-01-05 and 1980-10-18", %s, "$m/$d/$y")' % pattern) == \
        "01/05/1973 and 10/18/1980"
    assert lua('return regex.replace("1973-01-05", %s, "${y}x${1}y")' % pattern) == "1973x1973y"


def test_regex_04_dollar_zero_and_dollar_dollar(lua):
    assert lua('return regex.replace("cost 5", "[0-9]+", "$$$0.00")') == "cost $5.00"


def test_regex_04_longest_name_and_unknown_groups(lua):
    # `$1a` is the (unknown) group named "1a": empty; `${1}a` is group 1 then "a"
    assert lua('return regex.replace("xy", "(x)", "[$1a]")') == "[]y"
    assert lua('return regex.replace("xy", "(x)", "[${1}a]")') == "[xa]y"
    assert lua('return regex.replace("xy", "(x)", "[$9][$nope][${}]")') == "[][][]y"


def test_regex_04_non_participating_group_expands_empty(lua):
    assert lua('return regex.replace("ac", "a(b)?c", "<$1>")') == "<>"


def test_regex_04_literal_dollar_and_backslashes(lua):
    assert lua(r'return regex.replace("ab", "b", %s)' % esc(r"\1 $ ${x \n")) == r"a\1 $ ${x \n"
    assert lua('return regex.replace("ab", "b", "$-")') == "a$-"


def test_regex_04_empty_matches_follow_rust(lua):
    assert lua('return regex.replace("abc", "", "-")') == "-a-b-c-"
    assert lua('return regex.replace("baaab", "a*", "-")') == "-b-b-"


def test_regex_04_no_match_returns_text_unchanged(lua):
    assert lua('return regex.replace("abc", "x", "y")') == "abc"


def test_regex_04_bytes_survive(lua):
    assert lua(r'return regex.replace("a\255b\0c", "b", "X") == "a\255X\0c"') is True
    assert lua('return regex.replace("héllo", "é", "e")') == "hello"


# ---------------------------------------------------------------------------
# REGEX-05 invalid patterns

@pytest.mark.parametrize("fn, call", [
    ("match", 'regex.match("test", "[")'),
    ("find", 'regex.find("test", "[")'),
    ("find_all", 'regex.find_all("test", "[")'),
    ("replace", 'regex.replace("test", "[", "x")'),
])
def test_regex_05_invalid_pattern_message(lua_fails, fn, call):
    message = lua_fails(call)
    assert message.startswith("regex.%s: invalid pattern: " % fn)
    assert len(message) > len("regex.%s: invalid pattern: " % fn)


@pytest.mark.parametrize("pattern", [
    r"(?=a)", r"(?!a)", r"(?<=a)b", r"(?<!a)b",      # look-around
    r"(a)\1", r"\0",                                 # backreferences
    r"\p{L}", r"\pL", r"\P{Greek}",                  # Unicode classes
    r"a{", r"a{,3}", r"a{3,1}", r"{2}",              # counted repetition
    r"*a", r"a|+", r"(", r"a)", r"(?)", r"(?i-)", r"(?z)", r"(?P=x)", r"(?#c)",
    r"[a", r"[[a]]", r"[a&&b]", r"[a--b]", r"[a~~b]", r"[z-a]", r"[a-\d]", r"[\b]",
    r"\e", r"\Z", "\\", r"(?<a>x)(?<a>y)", r"(?<>x)", r"(?<1a>x)", r"\x{110000}", r"\xZZ",
    r"\b{foo}",
])
def test_regex_05_rejected_syntax(lua_fails, pattern):
    assert lua_fails('regex.match("x", %s)' % esc(pattern)).startswith("regex.match: invalid pattern: ")


def test_regex_05_too_much_nesting(lua, lua_fails):
    deep = "(" * 60 + "a" + ")" * 60
    assert lua_fails('regex.match("a", "%s")' % deep).startswith("regex.match: invalid pattern: ")
    shallow = "(" * 20 + "a" + ")" * 20
    assert lua('return regex.match("a", "%s")' % shallow) is True


def test_regex_05_error_has_no_position_and_is_a_string(lua):
    ok, err = lua('return pcall(regex.find_all, "x", "(")')
    assert ok is False
    assert err.startswith("regex.find_all: invalid pattern: ")


def test_regex_05_repeated_bad_pattern_fails_every_time(lua):
    code = 'local a = pcall(regex.match, "x", "[") local b = pcall(regex.match, "x", "[") return a, b'
    assert lua(code) == (False, False)


# ---------------------------------------------------------------------------
# REGEX-06 ASCII classes, both named-group spellings

def test_regex_06_perl_classes_are_ascii_only(lua):
    assert lua(r'return regex.find_all("1 \u{0661} 2", %s)' % esc(r"\d")) == ["1", "2"]
    assert lua(r'return regex.match("é", %s)' % esc(r"\w")) is False
    assert lua(r'return regex.match("\u{00A0}", %s)' % esc(r"\s")) is False
    assert lua(r'return regex.match("\u{2000}", %s)' % esc(r"\s")) is False
    assert lua(r'return regex.find_all(" \t\n\v\f\r", %s)' % esc(r"\s")) == [" ", "\t", "\n", "\v", "\f", "\r"]


def test_regex_06_negated_perl_classes_include_non_ascii(lua):
    assert lua(r'return regex.find_all("a1é\n", %s)' % esc(r"\D")) == ["a", "é", "\n"]
    assert lua(r'return regex.find_all("a é", %s)' % esc(r"\W")) == [" ", "é"]
    assert lua(r'return regex.find_all("a\u{00A0}", %s)' % esc(r"\S")) == ["a", "\u00a0"]


def test_regex_06_perl_classes_inside_brackets(lua):
    assert lua(r'return regex.find_all("a1-é", %s)' % esc(r"[\d\-]")) == ["1", "-"]
    assert lua(r'return regex.find_all("a1 é", %s)' % esc(r"[^\w\s]")) == ["é"]


def test_regex_06_both_named_group_spellings(lua):
    assert lua(r'return regex.find("k=v", %s).groups' % esc(r"(?<key>\w+)=(?P<value>\w+)")) == ["k", "v"]
    assert lua(r'return regex.replace("k=v", %s, "$value=$key")' % esc(r"(?<key>\w+)=(?P<value>\w+)")) == "v=k"


def test_regex_06_rust_group_names_python_rejects(lua):
    # regex-lite allows `.`, `[`, `]` in names (Python's re does not)
    pattern = esc(r"(?<a.b>x)(?<c[0]>y)")
    assert lua('return regex.replace("xy", %s, "${c[0]}${a.b}")' % pattern) == "yx"


# ---------------------------------------------------------------------------
# translator unit checks (no Lua involved)

def test_regex_01_translator_output_needs_no_python_flags():
    from assay.builtins.regex import translate
    assert translate("abc$") == r"abc\z"
    assert translate(r"^\d") == r"\A[0-9]"
    assert translate(r"\<\w+\>") == r"\b" + translate(r"\w+") + r"\b"
    assert translate("(?i)a") == "[Aa]"
    assert translate("(?<n>x)") == "(x)"


def test_regex_05_compiled_patterns_are_cached():
    from assay.builtins import regex
    regex._compile.cache_clear()
    first, _ = regex._compile("cache-me")
    second, _ = regex._compile("cache-me")
    assert first is second
    assert regex._compile.cache_info().hits >= 1


def test_regex_catastrophic_pattern_is_linear_time():
    # the backtracking engine took minutes for this; RE2 answers at once
    from conftest import lua_values
    assert lua_values('return regex.match(string.rep("a", 100000) .. "b", "(a+)+$")') is False
    assert lua_values('return regex.match(string.rep("a", 40) .. "!", "^(a+)+$")') is False
    assert lua_values('return #regex.find_all(string.rep("ab ", 20000), "(a|b)*b")') == 20000


@pytest.mark.parametrize("pattern, subject, found", [
    (r"(\<a+)+\>$", 'string.rep("a", 100000) .. "!"', False),
    (r"(\<a+)+\>!", 'string.rep("a", 100000) .. "!"', True),
    (r"(?m)^(a|aa)*\b{end}c", 'string.rep("a", 100000)', False),
    (r"(\w+\b{end-half})+x", 'string.rep("ab ", 30000)', False),
    (r"(?i)(x+x+)+y\>", 'string.rep("x", 100000)', False),
])
def test_regex_patterns_with_rust_only_assertions_never_hang(pattern, subject, found):
    # these used to go to Python's backtracking engine; now every pattern runs on RE2
    from conftest import lua_values
    assert lua_values('return regex.match(%s, %s)' % (subject, esc(pattern))) is found


@pytest.mark.parametrize("pattern, construct", [
    (r"\<.", "\\< (or \\b{start})"),
    (r"(a|-)\>", "\\> (or \\b{end})"),
    (r"\b{start-half}", "\\b{start-half}"),
    (r"x?\b{end-half}", "\\b{end-half}"),
])
def test_regex_undecidable_assertion_is_one_line_error_naming_it(lua, pattern, construct):
    message = lua(r'return select(2, pcall(regex.match, "a", %s))' % esc(pattern))
    assert message.startswith("regex.match: invalid pattern: %s is supported only where" % construct)
    assert "\n" not in message


def test_regex_lookaround_and_backreference_errors_keep_their_texts():
    from conftest import lua_values
    assert lua_values('return select(2, pcall(regex.match, "a", "(?=a)"))') == \
        "regex.match: invalid pattern: look-around is not supported"
    assert lua_values('return select(2, pcall(regex.match, "aa", "(a)\\\\1"))').startswith(
        "regex.match: invalid pattern: ")
