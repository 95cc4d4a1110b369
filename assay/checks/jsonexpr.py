"""The `expect.json` assertion language, with the port's extensions.

Original form: `<path> == <literal>`. Extensions (documented in README.md, Checks mode):

- operators `!=`, `<`, `<=`, `>`, `>=` and `contains` beside `==`; the leftmost
  operator in the expression is used (`==` expressions read exactly as before);
- array indexes in paths: `.items[0].name`, `.[2]`, `.matrix[1][0]`
  (`.items.0` still looks up the object key "0", as in the original).

`evaluate(body, expr)` returns True/False, or raises ExprError with the message
the check reports (`JSON path '.x' not found in response`, ...).
"""
import json
import math
import re


class ExprError(Exception):
    pass


SYNTAX = "unsupported JSON expression syntax: \"%s\" (expected '.path == value')"

_OPERATOR = re.compile(r"==|!=|<=|>=|<|>|\s+contains\s+")
_INDEXED = re.compile(r"^(.*?)((?:\[\d+\])+)$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|infinity|nan)$",
                    re.IGNORECASE)


def parse_body(body):
    def reject_constant(name):
        raise ValueError("invalid number `%s`" % name)
    try:
        return json.loads(body, parse_constant=reject_constant)
    except json.JSONDecodeError as e:
        raise ExprError("response body is not valid JSON: %s at line %d column %d" % (e.msg, e.lineno, e.colno)) \
            from None
    except (ValueError, RecursionError) as e:
        raise ExprError("response body is not valid JSON: %s" % e) from None


def split(expr):
    """(path text, operator, literal text) of a trimmed expression; ExprError if none."""
    trimmed = expr.strip()
    match = _OPERATOR.search(trimmed)
    if match is None:
        raise ExprError(SYNTAX % trimmed)
    op = match.group(0).strip()
    return trimmed[: match.start()].strip(), op, trimmed[match.end():].strip()


def select(document, path_text):
    """Follow `path_text` through `document`; ExprError naming the first missing segment."""
    current = document
    for segment in path_text.lstrip(".").split("."):
        segment = segment.strip()
        if not segment:
            continue
        current = _step(current, segment)
    return current


def _step(current, segment):
    if isinstance(current, dict) and segment in current:
        return current[segment]  # a key that itself looks like `a[0]` still wins
    match = _INDEXED.match(segment)
    if match is None:
        raise ExprError("JSON path '.%s' not found in response" % segment)
    key, indexes = match.group(1).strip(), re.findall(r"\[(\d+)\]", match.group(2))
    shown = key
    if key:
        if not (isinstance(current, dict) and key in current):
            raise ExprError("JSON path '.%s' not found in response" % key)
        current = current[key]
    for index in indexes:
        shown += "[%s]" % index
        i = int(index)
        if not isinstance(current, list) or i >= len(current):
            raise ExprError("JSON path '.%s' not found in response" % shown)
        current = current[i]
    return current


def literal(text):
    """The right-hand literal rules: quoted string, true/false/null, integer, float, else text."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if _INTEGER.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def equal(a, b):
    """JSON equality, numbers by value (`1 == 1.0`, deliberately unlike the original's typed comparison)."""
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False


def _order(value, lit, op):
    if _is_number(value) and _is_number(lit):
        if any(isinstance(x, float) and math.isnan(x) for x in (value, lit)):
            return False
    elif not (isinstance(value, str) and isinstance(lit, str)):
        return False
    if op == "<":
        return value < lit
    if op == "<=":
        return value <= lit
    if op == ">":
        return value > lit
    return value >= lit


def _contains(value, lit, lit_text):
    if isinstance(value, str):
        needle = lit if isinstance(lit, str) else lit_text
        return needle in value
    if isinstance(value, list):
        return any(equal(item, lit) for item in value)
    if isinstance(value, dict):
        return (lit if isinstance(lit, str) else lit_text) in value
    return False


def evaluate(body, expr):
    """Evaluate `expr` against the response `body` (text)."""
    document = parse_body(body)
    path_text, op, lit_text = split(expr)
    value = select(document, path_text)
    lit = literal(lit_text)
    if op == "==":
        return equal(value, lit)
    if op == "!=":
        return not equal(value, lit)
    if op == "contains":
        return _contains(value, lit, lit_text)
    return _order(value, lit, op)
