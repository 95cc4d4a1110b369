"""`assert` builtin (builtins.md §10): ASSERT-01..08, and RT-06 (`assert(v, msg)` via __call)."""
import pytest


def err(lua, code):
    """The error value a chunk raises, through pcall (so it is exactly what Lua sees)."""
    ok, value = lua("return pcall(function() %s end)" % code)
    assert ok is False, "expected %r to fail" % code
    return value


# ---------------------------------------------------------------------------
# ASSERT-01 eq

def test_assert_01_eq_passes_for_equal_values(lua):
    code = """
      assert.eq(1, 1) assert.eq("a", "a") assert.eq(nil, nil) assert.eq(true, true)
      assert.eq(false, false) assert.eq(1.5, 1.5) assert.eq("", "")
      return select("#", assert.eq(2, 2))
    """
    assert lua(code) == 0


def test_assert_01_eq_int_float_cross_compare(lua):
    assert lua("assert.eq(1, 1.0) assert.eq(1.0, 1) assert.eq(0, -0.0) return 'ok'") == "ok"
    assert lua("assert.eq(0.1 + 0.2, 0.3) return 'ok'") == "ok"  # within EPSILON


def test_assert_01_eq_failure_message_with_msg(lua):
    assert err(lua, 'assert.eq(1, 2, "numbers differ")') == 'assert.eq failed: "1" != "2" - numbers differ'


def test_assert_01_eq_failure_message_without_msg(lua):
    assert err(lua, 'assert.eq("a", "b")') == 'assert.eq failed: "a" != "b"'
    assert err(lua, 'assert.eq(1, nil)') == 'assert.eq failed: "1" != "nil"'
    assert err(lua, 'assert.eq(true, false)') == 'assert.eq failed: "true" != "false"'


def test_assert_01_eq_unequal_values_fail(lua):
    assert err(lua, "assert.eq(1, 1.0000001)") == 'assert.eq failed: "1" != "1.0000001"'
    assert err(lua, "assert.eq(nil, false)") == 'assert.eq failed: "nil" != "false"'
    assert err(lua, "assert.eq(math.maxinteger, math.maxinteger - 1)") == \
        'assert.eq failed: "9223372036854775807" != "9223372036854775806"'


def test_assert_01_strings_compare_bytewise(lua):
    assert lua(r'assert.eq("a\0b", "a\0b") return 1') == 1
    assert err(lua, r'assert.eq("a\0b", "a\0c")') == r'assert.eq failed: "a\0b" != "a\0c"'


def test_assert_01_error_has_no_position_prefix(lua_fails):
    assert lua_fails('assert.eq(1, 2, "numbers differ")') == 'assert.eq failed: "1" != "2" - numbers differ'


def test_assert_01_uncaught_failure_exits_1(assay):
    result = assay("exec", "-e", 'assert.eq(1, 2, "numbers differ")')
    assert result.returncode == 1
    assert 'assert.eq failed: "1" != "2" - numbers differ' in result.stderr


# ---------------------------------------------------------------------------
# ASSERT-02 ne

def test_assert_02_ne_passes_for_unequal(lua):
    assert lua('assert.ne(1, 2) assert.ne("a", "b") assert.ne(nil, false) assert.ne("1", 1) return 1') == 1


def test_assert_02_ne_failure_message(lua):
    assert err(lua, 'assert.ne(1, 1.0, "same")') == 'assert.ne failed: "1" == "1" - same'
    assert err(lua, 'assert.ne("x", "x")') == 'assert.ne failed: "x" == "x"'
    assert err(lua, "assert.ne(nil, nil)") == 'assert.ne failed: "nil" == "nil"'


# ---------------------------------------------------------------------------
# ASSERT-03 gt / lt

def test_assert_03_gt_lt_pass(lua):
    assert lua("assert.gt(2, 1) assert.gt(2.5, 2) assert.lt(1, 2) assert.lt(-1.5, 1) return 1") == 1


def test_assert_03_gt_failure_message(lua):
    assert err(lua, "assert.gt(1, 2)") == "assert.gt failed: 1 is not > 2"
    assert err(lua, 'assert.gt(2, 2, "equal")') == "assert.gt failed: 2 is not > 2 - equal"
    assert err(lua, "assert.gt(1.5, 2.0)") == "assert.gt failed: 1.5 is not > 2"


def test_assert_03_lt_failure_message(lua):
    assert err(lua, "assert.lt(3, 2)") == "assert.lt failed: 3 is not < 2"
    assert err(lua, 'assert.lt(2.0, 2, "m")') == "assert.lt failed: 2 is not < 2 - m"


@pytest.mark.parametrize("args", ['"2", 1', '2, "1"', "nil, 1", "1, nil", "{}, 1", "true, false"])
def test_assert_03_non_numbers_rejected(lua, args):
    assert err(lua, "assert.gt(%s)" % args) == "assert.gt: both arguments must be numbers"
    assert err(lua, "assert.lt(%s)" % args) == "assert.lt: both arguments must be numbers"


# ---------------------------------------------------------------------------
# ASSERT-04 contains

def test_assert_04_contains_passes_on_substring(lua):
    assert lua('assert.contains("hello world", "o w") assert.contains("abc", "") return 1') == 1


def test_assert_04_contains_is_plain_not_a_pattern(lua):
    assert lua('assert.contains("a.b%d", "%d") assert.contains("x(y", "(") return 1') == 1
    assert err(lua, 'assert.contains("axb", "a.b")') == 'assert.contains failed: "axb" does not contain "a.b"'


def test_assert_04_contains_failure_message(lua):
    assert err(lua, 'assert.contains("hello", "xyz", "needle")') == \
        'assert.contains failed: "hello" does not contain "xyz" - needle'


def test_assert_04_contains_type_errors(lua):
    assert err(lua, 'assert.contains(123, "1")') == "assert.contains: first argument must be a string"
    assert err(lua, 'assert.contains(nil, "1")') == "assert.contains: first argument must be a string"
    assert err(lua, 'assert.contains("123", 1)') == "assert.contains: second argument must be a string"
    assert err(lua, 'assert.contains("123")') == "assert.contains: second argument must be a string"


# ---------------------------------------------------------------------------
# ASSERT-05 not_nil

def test_assert_05_not_nil_passes_for_non_nil(lua):
    assert lua('assert.not_nil(false) assert.not_nil(0) assert.not_nil("") assert.not_nil({}) return 1') == 1


def test_assert_05_not_nil_failure(lua):
    assert err(lua, "assert.not_nil(nil)") == "assert.not_nil failed: value is nil"
    assert err(lua, "assert.not_nil()") == "assert.not_nil failed: value is nil"
    assert err(lua, 'assert.not_nil(nil, "missing id")') == "assert.not_nil failed: value is nil - missing id"


# ---------------------------------------------------------------------------
# ASSERT-06 matches (Lua patterns)

def test_assert_06_matches_uses_lua_patterns(lua):
    assert lua('assert.matches("order-123", "%d+") assert.matches("abc", "^a.c$") '
               'assert.matches("key=val", "^(%w+)=(%w+)$") return 1') == 1


def test_assert_06_regex_syntax_is_not_regex(lua):
    # \d is not a Lua pattern class: the pattern means a literal "d"
    assert err(lua, r'assert.matches("123", "\\d+")') == \
        'assert.matches failed: "123" does not match pattern "\\\\d+"'


def test_assert_06_matches_failure_message(lua):
    assert err(lua, 'assert.matches("abc", "^%d+$", "digits")') == \
        'assert.matches failed: "abc" does not match pattern "^%d+$" - digits'


def test_assert_06_matches_type_errors(lua):
    assert err(lua, 'assert.matches(1, "1")') == "assert.matches: first argument must be a string"
    assert err(lua, 'assert.matches("1", 1)') == "assert.matches: second argument must be a pattern string"
    assert err(lua, 'assert.matches("1")') == "assert.matches: second argument must be a pattern string"


@pytest.mark.parametrize("pattern", ["%", "[a", "(a", "%b", "(()", "%1"])
def test_assert_06_bad_pattern(lua, pattern):
    message = err(lua, 'assert.matches("abc", "%s")' % pattern)
    assert message.startswith("assert.matches: pattern error: ")
    assert len(message) > len("assert.matches: pattern error: ")


def test_assert_06_uses_builtin_find_even_if_string_find_is_replaced(lua):
    assert lua('string.find = function() return nil end assert.matches("abc", "b") return 1') == 1


# ---------------------------------------------------------------------------
# ASSERT-07 tables, functions, mixed types never equal

def test_assert_07_table_never_equals_itself(lua):
    assert err(lua, "local t = {} assert.eq(t, t)") == 'assert.eq failed: "<table>" != "<table>"'
    assert lua("local t = {} assert.ne(t, t) return 1") == 1


def test_assert_07_functions_never_equal(lua):
    assert err(lua, "assert.eq(print, print)") == 'assert.eq failed: "<function>" != "<function>"'


def test_assert_07_string_vs_number_unequal(lua):
    assert err(lua, 'assert.eq("1", 1)') == 'assert.eq failed: "1" != "1"'
    assert err(lua, 'assert.eq(1.5, "1.5")') == 'assert.eq failed: "1.5" != "1.5"'


def test_assert_07_other_types_render_by_type(lua):
    assert err(lua, "assert.eq(coroutine.create(print), 1)") == 'assert.eq failed: "<thread>" != "1"'


# ---------------------------------------------------------------------------
# ASSERT-08 rendering

def test_assert_08_integral_floats_without_dot_zero(lua):
    assert err(lua, "assert.eq(2.0, 3)") == 'assert.eq failed: "2" != "3"'
    assert err(lua, "assert.gt(-0.0, 1)") == "assert.gt failed: -0 is not > 1"


def test_assert_08_floats_shortest_and_positional(lua):
    assert err(lua, "assert.eq(1.5, 0.1)") == 'assert.eq failed: "1.5" != "0.1"'
    assert err(lua, "assert.eq(1e16, 1e-7)") == 'assert.eq failed: "10000000000000000" != "0.0000001"'
    assert err(lua, "assert.eq(1/3, 2^63)") == 'assert.eq failed: "0.3333333333333333" != "9223372036854776000"'
    assert err(lua, "assert.lt(math.huge, -math.huge)") == "assert.lt failed: inf is not < -inf"
    assert err(lua, "assert.eq(0/0, 1)") == 'assert.eq failed: "NaN" != "1"'


def test_assert_08_strings_quoted_with_escapes(lua):
    assert err(lua, r'assert.eq("a\"b", "c\\d")') == r'assert.eq failed: "a\"b" != "c\\d"'
    assert err(lua, r'assert.eq("l1\nl2", "t\tx")') == r'assert.eq failed: "l1\nl2" != "t\tx"'
    assert err(lua, r'assert.contains("a\rb", "\27")') == r'assert.contains failed: "a\rb" does not contain "\u{1b}"'
    assert err(lua, 'assert.eq("héllo", "x")') == 'assert.eq failed: "héllo" != "x"'


def test_assert_08_gt_lt_operands_not_quoted(lua):
    assert err(lua, "assert.gt(1, 2)") == "assert.gt failed: 1 is not > 2"


def test_assert_08_msg_uses_tostring(lua):
    assert err(lua, "assert.eq(1, 2, 42)") == 'assert.eq failed: "1" != "2" - 42'
    assert err(lua, "assert.eq(1, 2, false)") == 'assert.eq failed: "1" != "2" - false'
    code = 'assert.not_nil(nil, setmetatable({}, {__tostring = function() return "custom" end}))'
    assert err(lua, code) == "assert.not_nil failed: value is nil - custom"


def test_assert_08_nil_msg_adds_nothing(lua):
    assert err(lua, "assert.eq(1, 2, nil)") == 'assert.eq failed: "1" != "2"'


# ---------------------------------------------------------------------------
# RT-06 assert is a table, and callable like the standard assert

def test_rt_06_assert_is_a_table_of_functions(lua):
    code = ("local names = {} for _, k in ipairs({'eq','ne','gt','lt','contains','not_nil','matches'}) do "
            "names[#names + 1] = type(assert[k]) end return type(assert), table.concat(names, ',')")
    assert lua(code) == ("table", ",".join(["function"] * 7))


def test_rt_06_call_returns_all_arguments(lua):
    assert lua('return assert(1, "m", 3)') == (1, "m", 3)
    assert lua("return select('#', assert(true, nil, nil))") == 3


def test_rt_06_call_failure_uses_message(lua):
    assert err(lua, 'assert(false, "boom")') == "boom"
    assert err(lua, 'assert(nil)') == "assertion failed!"


def test_rt_06_call_keeps_non_string_message(lua):
    assert lua('local t = {} local ok, e = pcall(assert, false, t) return ok, e == t') == (False, True)


def test_rt_06_call_without_arguments_raises(lua):
    assert "value expected" in err(lua, "assert()")


def test_rt_06_call_uncaught_failure_exits_1(assay):
    result = assay("exec", "-e", 'assert(1 == 2, "math is broken")')
    assert result.returncode == 1
    assert "math is broken" in result.stderr
