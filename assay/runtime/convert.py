"""Values crossing the Lua/Python border.

The runtime runs lupa with `encoding=None`: Lua strings arrive as `bytes` and only
`bytes` become Lua strings (a Python `str` would turn into an opaque userdata). So
every value handed back to Lua goes through `to_lua`, and tables that builtins read
as data go through `to_py`, which applies the original's table → JSON rules.
"""
import math
from collections.abc import Mapping

from .errors import BuiltinError
from .luaengine import lua_type

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class Multi(tuple):
    """Return several values to Lua: `return Multi((a, b))`."""


def make_to_lua(lua):
    table_from = lua.table_from

    def to_lua(v):
        if v is None or v is True or v is False or isinstance(v, bytes):
            return v
        if isinstance(v, str):
            return v.encode("utf-8", "surrogateescape")
        if isinstance(v, int):
            return v if INT64_MIN <= v <= INT64_MAX else float(v)
        if isinstance(v, float):
            return v
        if isinstance(v, Mapping):
            return table_from({to_lua(k): to_lua(x) for k, x in v.items()})
        if isinstance(v, (list, tuple)):
            if isinstance(v, Multi):
                return Multi(to_lua(x) for x in v)
            return table_from([to_lua(x) for x in v])
        if isinstance(v, (bytearray, memoryview)):
            return bytes(v)
        return v  # already a Lua object (table, function) or an opaque handle

    return to_lua


def lua_text(v):
    """Decode a Lua string for Python text APIs; invalid bytes survive a round trip."""
    return v.decode("utf-8", "surrogateescape")


def to_py(v, who="", empty_as_object=False, marks=None):
    """Lua value → JSON-shaped Python value (the table rules every encoder shares).

    Tables with keys exactly 1..n become lists (so `{}` is `[]`), other tables dicts
    with string keys. Strings must be UTF-8. `who` prefixes error messages.
    `marks`, if given, is the Lua table in which `json.array`/`json.object` record
    the shape a table must take (table -> "array" | "object"), whatever its content.
    """
    prefix = who + ": " if who else ""
    return _to_py(v, prefix, empty_as_object, 0, marks)


def _to_py(v, prefix, empty_as_object, depth, marks):
    if v is None or v is True or v is False:
        return v
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("%sinvalid UTF-8 in string: %s" % (prefix, e)) from None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            raise BuiltinError(prefix + "cannot encode NaN as JSON number")
        if math.isinf(v):
            raise BuiltinError(prefix + "cannot encode %s as JSON number" % ("inf" if v > 0 else "-inf"))
        return v
    kind = lua_type(v)
    if kind != "table":
        raise BuiltinError("%sunsupported Lua type for JSON: %s" % (prefix, kind or type(v).__name__))
    if depth > 200:
        raise BuiltinError(prefix + "table nesting too deep (cycle?)")
    items = list(v.items())
    shape = marks[v] if marks is not None else None
    if shape == b"array":
        return _marked_array(items, prefix, empty_as_object, depth, marks)
    n = len(items)
    if shape != b"object":
        if n == 0:
            return {} if empty_as_object else []
        if all(type(k) is int and 1 <= k <= n for k, _ in items):
            out = [None] * n
            for k, x in items:
                out[k - 1] = _to_py(x, prefix, empty_as_object, depth + 1, marks)
            return out
    obj = {}
    for k, x in items:
        obj[_key(k, prefix)] = _to_py(x, prefix, empty_as_object, depth + 1, marks)
    return obj


def _marked_array(items, prefix, empty_as_object, depth, marks):
    """A table marked by json.array: positive integer keys only; holes become null."""
    for k, _ in items:
        if type(k) is not int or k < 1:
            key = k.decode("utf-8", "replace") if isinstance(k, bytes) else k
            raise BuiltinError("%stable marked with json.array has a non-array key: %r" % (prefix, key))
    size = max((k for k, _ in items), default=0)
    if size > 4 * len(items) + 1024:  # refuse to blow {[1e9] = 1} up into a billion nulls
        raise BuiltinError("%stable marked with json.array is too sparse (index %d)" % (prefix, size))
    out = [None] * size
    for k, x in items:
        out[k - 1] = _to_py(x, prefix, empty_as_object, depth + 1, marks)
    return out


def _key(k, prefix):
    if isinstance(k, bytes):
        try:
            return k.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("%sinvalid UTF-8 in table key: %s" % (prefix, e)) from None
    if isinstance(k, bool):
        raise BuiltinError(prefix + "unsupported table key type: boolean")
    if isinstance(k, int):
        return str(k)
    if isinstance(k, float):
        from .jsontext import format_float
        return format_float(k) if math.isfinite(k) else str(k)
    raise BuiltinError("%sunsupported table key type: %s" % (prefix, lua_type(k) or type(k).__name__))
