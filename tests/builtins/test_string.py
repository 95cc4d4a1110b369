"""string.split (upstream-delta §1): awk-style without a separator, literal with one."""


def test_split_without_separator_splits_on_whitespace_runs(lua):
    assert lua('return string.split("  alpha \\t beta\\n\\ngamma  ")') == ["alpha", "beta", "gamma"]


def test_split_is_a_string_method(lua):
    assert lua('local line = "root 1 0.0 /sbin/init" return line:split()[4]') == "/sbin/init"


def test_split_blank_string_gives_empty_array(lua):
    assert lua('return #string.split("   ")') == 0


def test_split_with_literal_separator_keeps_empty_fields(lua):
    assert lua('return string.split("a,,b,", ",")') == ["a", "", "b", ""]


def test_split_separator_is_not_a_pattern_and_may_be_long(lua):
    assert lua('return string.split("a.b.c", ".")') == ["a", "b", "c"]
    assert lua('return string.split("k1::v1::k2", "::")') == ["k1", "v1", "k2"]
    assert lua('return string.split("x%d+y", "%d+")') == ["x", "y"]


def test_split_without_separator_match_returns_whole_string(lua):
    assert lua('return string.split("abc", ";")') == ["abc"]
    assert lua('return string.split("", ",")') == [""]


def test_split_argument_errors(lua_fails):
    assert lua_fails('string.split(nil)') == "string.split: string expected, got nil"
    assert lua_fails('string.split("a", "")') == "string.split: separator must not be empty"
    assert lua_fails('string.split("a", {})') == "string.split: separator must be a string, got table"
