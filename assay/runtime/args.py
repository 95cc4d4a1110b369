"""Argument checks shared by builtins. Each raises BuiltinError with the caller's text.

Lua strings arrive as bytes; a string parameter also accepts numbers (converted
as Lua's tostring does) and a number parameter accepts numeric strings.
"""
from .errors import BuiltinError
from .luaengine import lua_type


def is_table(v):
    return lua_type(v) == "table"


def is_function(v):
    return lua_type(v) == "function"


def lua_number_text(n):
    """Lua's tostring for numbers: integers bare, floats as %.14g with a `.0` if integral."""
    if isinstance(n, bool):
        raise TypeError("boolean is not a number")
    if isinstance(n, int):
        return str(n)
    if n != n:
        return "nan" if str(n)[0] != "-" else "-nan"
    if n in (float("inf"), float("-inf")):
        return "inf" if n > 0 else "-inf"
    text = "%.14g" % n
    if all(c in "-0123456789" for c in text):
        text += ".0"
    return text


def string(v, message):
    """bytes for a Lua string parameter (numbers coerced)."""
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return lua_number_text(v).encode()
    raise BuiltinError(message)


def text(v, message):
    """A string parameter as Python text (invalid UTF-8 survives via surrogateescape)."""
    return string(v, message).decode("utf-8", "surrogateescape")


def utf8_text(v, message, invalid_message=None):
    """A string parameter that must be valid UTF-8."""
    raw = string(v, message)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError(invalid_message or ("%s (invalid UTF-8: %s)" % (message, e))) from None


def number(v, message):
    """int or float for a number parameter (numeric strings coerced as Lua does)."""
    if isinstance(v, bool):
        raise BuiltinError(message)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, bytes):
        parsed = parse_lua_number(v)
        if parsed is not None:
            return parsed
    raise BuiltinError(message)


def parse_lua_number(raw):
    """tonumber() for a byte string; None when it is not a number."""
    try:
        s = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    if not s:
        return None
    try:
        return int(s, 10)
    except ValueError:
        pass
    try:
        body = s.lstrip("+-")
        if body.lower().startswith("0x"):
            value = int(body, 16)
            return -value if s.startswith("-") else value
        if body.lower() in ("inf", "infinity", "nan"):
            return None
        return float(s)
    except ValueError:
        return None


def optional_table(v, message):
    """A table or nil parameter; returns the table or None."""
    if v is None:
        return None
    if not is_table(v):
        raise BuiltinError(message)
    return v


def field(table, name, default=None):
    """table[name] for a Lua table (None-safe), name given as str."""
    if table is None:
        return default
    value = table[name.encode()]
    return default if value is None else value


def type_name(v):
    """Lua's name for a value's type, as the original's conversion errors print it."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, bytes):
        return "string"
    if type(v).__name__ in ("_LuaThread", "_LuaCoroutineFunction"):  # lupa shows new coroutines as functions
        return "thread"
    return lua_type(v) or "userdata"


def bad_argument(position, function, value, target="String"):
    """`bad argument #1 to 'read': error converting Lua nil to String (expected string or number)`."""
    return ("bad argument #%d to '%s': error converting Lua %s to %s (expected string or number)"
            % (position, function, type_name(value), target))


def string_param(v, position, function):
    """bytes for string parameter `position` of `function`, with the original's conversion error."""
    return string(v, bad_argument(position, function, v))
