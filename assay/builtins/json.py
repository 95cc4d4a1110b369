"""`json.parse(text)` / `json.encode(value)`.

Also holds the small helpers shared by the data-format families (yaml, toml,
base64): argument checking with the original's wording and the conversion of a
parsed document into values `to_lua` can hand to Lua (strings as UTF-8 bytes,
integers outside int64 as floats).
"""
import math

from assay.runtime import jsontext
from assay.runtime.convert import INT64_MAX, INT64_MIN, to_py
from assay.runtime.errors import BuiltinError

from . import lua_file


# -- shared helpers -----------------------------------------------------------

def string_arg(v, function):
    """bytes of a string parameter #1 (numbers coerced, as mlua's String conversion does)."""
    from assay.runtime import args
    return args.string_param(v, 1, function)


def text_arg(v, who, function):
    """A string parameter #1 that must be valid UTF-8, as Python text.

    `who` is the error prefix (`json.parse`), `function` the short name used in
    argument errors (`parse`).
    """
    return _decoded(string_arg(v, function), who)


def utf8_arg(v, who, function):
    """A string parameter #1 that must be valid UTF-8, as the checked bytes (for parsers
    that read bytes: a large text then exists once, not also as Python text)."""
    raw = string_arg(v, function)
    if not valid_utf8(raw):
        _decoded(raw, who)  # raises, naming where the bad byte is
    return raw


def _decoded(raw, who):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError("%s: invalid UTF-8 in input: invalid byte at offset %d"
                           % (who, e.start)) from None


MAX_DEPTH = 128


def lua_ready(value, who, hook=None):
    """A parsed document (None/bool/int/float/str/list/dict) ready for `to_lua`.

    Strings become UTF-8 bytes (a lone surrogate is an error), integers outside
    the int64 range become floats, dict keys become bytes.
    `hook`, if given, first maps each scalar (format-specific types such as dates).
    Nesting deeper than MAX_DEPTH raises `<who>: recursion limit exceeded`
    (serde's limit and wording), which also keeps `to_lua` off Python's stack limit.
    """
    def scalar(v):
        if hook is not None:
            v = hook(v)
        if isinstance(v, str):
            try:
                return v.encode("utf-8")
            except UnicodeEncodeError:
                raise BuiltinError("%s: lone surrogate in string" % who) from None
        if type(v) is int and not INT64_MIN <= v <= INT64_MAX:
            f = float(v)
            if math.isinf(f):
                raise BuiltinError("%s: number out of range" % who)
            return f
        return v

    if not isinstance(value, (dict, list)):
        return scalar(value)
    root = {} if isinstance(value, dict) else []
    stack = [(value, root, 1)]
    while stack:
        src, dst, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BuiltinError("%s: recursion limit exceeded" % who)
        if isinstance(src, dict):
            for k, x in src.items():
                key = scalar(k)
                if isinstance(x, (dict, list)):
                    child = {} if isinstance(x, dict) else []
                    stack.append((x, child, depth + 1))
                    dst[key] = child
                else:
                    dst[key] = scalar(x)
        else:
            for x in src:
                if isinstance(x, (dict, list)):
                    child = {} if isinstance(x, dict) else []
                    stack.append((x, child, depth + 1))
                    dst.append(child)
                else:
                    dst.append(scalar(x))
    return root


# -- json ---------------------------------------------------------------------

_MESSAGES = {
    "Expecting value": "expected value",
    "Extra data": "trailing characters",
    "Expecting property name enclosed in double quotes": "key must be a string",
    "Expecting ':' delimiter": "expected `:`",
    "Expecting ',' delimiter": "expected `,` or closing bracket",
    "Unterminated string starting at": "EOF while parsing a string",
    "Invalid control character at": "control character (\\u0000-\\u001F) found while parsing a string",
    "Invalid \\escape": "invalid escape",
    "Invalid \\uXXXX escape": "invalid unicode escape",
    "Illegal trailing comma before end of object": "trailing comma",
    "Illegal trailing comma before end of array": "trailing comma",
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": "expected value",
}


class _Reject(Exception):
    pass


def _reject_constant(name):
    raise _Reject("expected value (%s is not valid JSON)" % name)


def _float(text):
    value = float(text)
    if math.isinf(value):
        raise _Reject("number out of range")
    return value


def _int(text):
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        return _float(text)
    return value


def parse(text=None):
    import json
    source = text_arg(text, "json.parse", "parse")
    try:
        value = json.loads(source, parse_constant=_reject_constant, parse_float=_float,
                           parse_int=_int)
    except json.JSONDecodeError as e:
        detail = _MESSAGES.get(e.msg, e.msg[:1].lower() + e.msg[1:])
        raise BuiltinError("json.parse: %s at line %d column %d" % (detail, e.lineno, e.colno)) from None
    except _Reject as e:
        raise BuiltinError("json.parse: %s" % e) from None
    except ValueError as e:  # e.g. an integer literal with thousands of digits
        raise BuiltinError("json.parse: %s" % e) from None
    except RecursionError:
        raise BuiltinError("json.parse: recursion limit exceeded") from None
    return lua_ready(value, "json.parse")


def encode(value=None, marks=None):
    data = to_py(value, marks=marks)  # conversion errors keep their own texts, without the function prefix
    try:
        return jsontext.encode(data)
    except (jsontext.JsonError, ValueError) as e:
        raise BuiltinError("json.encode: %s" % e) from None


class JsonState:
    """One VM's JSON parts other families use: the json.array/json.object `marks` table,
    the `shapes` lookup functions, the Lua `codec` (yaml.parse reuses its decoder)."""

    def __init__(self):
        self.marks = self.shapes = self.codec = None


class Shapes:
    """`shapes[table]` -> b"array" | b"object" | None, as `to_py(marks=...)` reads it."""

    def __init__(self, lookup):
        self._lookup = lookup

    def __getitem__(self, table):
        return self._lookup(table)


def marks_for(bridge):
    """The json.array/json.object marks for `to_py`, or None while nothing is marked (so
    scripts that never mark a table pay nothing). Call during a builtin call."""
    shapes = bridge.state("json", JsonState).shapes
    if shapes is None:
        return None
    lookup, any_marked = shapes
    return Shapes(lookup) if any_marked() else None


def honour_marks(bridge, family, name):
    """Make `family.name(value)` receive the json.array/json.object marks."""
    bridge.run_lua_file(lua_file("json_honour"), family, name.encode(), bridge.state("json", JsonState).marks)


# json.parse / json.encode try the Lua codec first and fall back to the Python
# functions above, which stay the reference for every result and error text.

_CODEC = lua_file("jsoncodec")
_SOURCE = []  # the codec's source, read once per process
# how Python's json module escapes control characters, `"` and `\\` (a test checks it)
ESCAPES = {bytes([c]): b"\\u%04x" % c for c in range(32)}
ESCAPES.update({b'"': b'\\"', b"\\": b"\\\\", b"\n": b"\\n", b"\r": b"\\r", b"\t": b"\\t",
                b"\b": b"\\b", b"\f": b"\\f"})


def valid_utf8(raw):
    """True if `raw` is valid UTF-8, read in slices so that no copy of a large text is made."""
    if raw.isascii():
        return True
    import codecs
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    step = 1 << 16
    try:
        for start in range(0, len(view), step):
            decoder.decode(view[start:start + step])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _install_codec(bridge, t):
    if not _SOURCE:
        with open(_CODEC, "rb") as f:
            _SOURCE.append(f.read())
    source = _SOURCE[0]
    escapes = bridge.lua.table_from(ESCAPES)
    float_text = bridge.internals.wrap(bridge.protocol(
        lambda v: jsontext.format_float(v).encode(), "json.encode"))
    check_utf8 = bridge.internals.wrap(bridge.protocol(valid_utf8, "json.parse"))
    collect = bridge.lua.eval(b"function() collectgarbage() end")
    state = bridge.state("json", JsonState)
    state.codec = bridge.run_lua_file(lua_file("json"), t, source, escapes, float_text,
                                      check_utf8, collect, t[b"parse"], t[b"encode"], state.marks)


def install(bridge):
    t = bridge.define("json", {"parse": parse, "encode": encode})
    state = bridge.state("json", JsonState)
    state.marks = bridge.run_lua_file(lua_file("json_marks"), t)
    state.shapes = bridge.run_lua_file(lua_file("json_shapes"), state.marks)
    honour_marks(bridge, t, "encode")
    _install_codec(bridge, t)
