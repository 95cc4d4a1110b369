"""`toml.parse(text)` / `toml.encode(table)`.

Parsing uses the standard library's strict TOML 1.0 parser (`tomllib`, imported
when first needed). Date/time values come back as their RFC 3339 text (spec
Note, TOML-03); `nan`/`inf` floats become nil as in the original (JSON has no
such numbers); integers outside the signed 64-bit range are an error, as TOML 1.0
requires.

The encoder writes the same layout as the original's pretty printer: plain keys
first (sorted), then `[table]` / `[[array.of.tables]]` sections depth-first,
arrays of two or more elements one element per line with a trailing comma.
"""
import math
import re

from assay.builtins.json import lua_ready, text_arg
from assay.runtime.convert import INT64_MAX, INT64_MIN, to_py
from assay.runtime.errors import BuiltinError


# -- parse --------------------------------------------------------------------

def _rfc3339(v):
    import datetime
    if isinstance(v, datetime.datetime):
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % (v.year, v.month, v.day, v.hour, v.minute, v.second)
        if v.microsecond:
            text += (".%06d" % v.microsecond).rstrip("0")
        offset = v.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds()) // 60
            if minutes == 0:
                text += "Z"
            else:
                sign = "+" if minutes > 0 else "-"
                text += "%s%02d:%02d" % (sign, abs(minutes) // 60, abs(minutes) % 60)
        return text
    if isinstance(v, datetime.date):
        return "%04d-%02d-%02d" % (v.year, v.month, v.day)
    text = "%02d:%02d:%02d" % (v.hour, v.minute, v.second)
    if v.microsecond:
        text += (".%06d" % v.microsecond).rstrip("0")
    return text


def _scalar(v):
    if type(v).__module__ == "datetime":  # date, time, datetime (tomllib only makes these)
        return _rfc3339(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None  # the original turns nan/inf into JSON null, i.e. nil
    if type(v) is int and not INT64_MIN <= v <= INT64_MAX:
        raise BuiltinError("toml.parse: integer %d does not fit in 64 bits" % v)
    return v


def parse(text=None):
    import tomllib
    source = text_arg(text, "toml.parse", "parse")
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        raise BuiltinError("toml.parse: %s" % e) from None
    except RecursionError:
        raise BuiltinError("toml.parse: recursion limit exceeded") from None
    return lua_ready(doc, "toml.parse", _scalar)


# -- encode -------------------------------------------------------------------

_BARE_KEY = r"[A-Za-z0-9_-]+\Z"  # compiled on first use by re's cache
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f]"


def _string_style(s):
    """(multiline, literal) the way the original's TOML writer picks a string form."""
    multiline = "\n" in s
    literal = "\\" in s and "'''" not in s and not s.endswith("'") \
        and not re.search(_CONTROL, s.replace("\n", ""))
    if literal and not multiline and "'" in s:
        return "oneline-triple", True
    return ("multiline" if multiline else "oneline"), literal


_ESCAPES = {"\b": "\\b", "\t": "\\t", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _basic(s, multiline):
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == "\n":
            out.append("\n" if multiline else "\\n")
        elif ch < " " or ch == "\x7f":
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    body = "".join(out)
    return '"""\n%s"""' % body if multiline else '"%s"' % body


def _string(s):
    style, literal = _string_style(s)
    if literal:
        if style == "multiline":
            return "'''\n%s'''" % s
        if style == "oneline-triple":
            return "'''%s'''" % s
        return "'%s'" % s
    return _basic(s, style == "multiline")


def _key(k):
    if re.match(_BARE_KEY, k):
        return k
    style, literal = _string_style(k)
    if literal and style == "oneline":
        return "'%s'" % k
    return _basic(k, False)


def _float(f):
    """Rust's `{}` for f64 (shortest round trip, never an exponent), `.0` when integral."""
    if f == 0:
        return "-0.0" if math.copysign(1.0, f) < 0 else "0.0"
    text = repr(f)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = whole + frac
    point = len(whole) + (int(exp) if exp else 0)
    if point <= 0:
        body = "0." + "0" * (-point) + digits.lstrip("0")
    elif point >= len(digits):
        body = digits + "0" * (point - len(digits))
    else:
        body = digits[:point] + "." + digits[point:]
    body = body.lstrip("0") or "0"
    if body.startswith("."):
        body = "0" + body
    if "." not in body:
        body += ".0"
    return sign + body


def _is_table(v):
    return isinstance(v, dict) and bool(v)


def _is_array_of_tables(v):
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _value(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join("%s = %s" % (_key(k), _value(v[k])) for k in sorted(v)) + " }"
    if isinstance(v, list):
        if len(v) <= 1:
            return "[" + "".join(_value(x) for x in v) + "]"
        return "[" + "".join("\n    %s," % _value(x) for x in v) + "\n]"
    raise BuiltinError("toml.encode: unsupported value: null")


def _header(path):
    return ".".join(_key(k) for k in path)


def _emit(table, path, is_array_element, out, state):
    values = [k for k in sorted(table) if not (_is_table(table[k]) or _is_array_of_tables(table[k]))]
    if not path:
        if values:
            state["first"] = False
    elif is_array_element or values:
        if not state["first"]:
            out.append("\n")
        state["first"] = False
        fmt = "[[%s]]\n" if is_array_element else "[%s]\n"
        out.append(fmt % _header(path))
    for k in values:
        out.append("%s = %s\n" % (_key(k), _value(table[k])))
    for k in sorted(table):
        v = table[k]
        if _is_table(v):
            _emit(v, path + [k], False, out, state)
        elif _is_array_of_tables(v):
            for element in v:
                _emit(element, path + [k], True, out, state)


def _kind(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array"


def encode(value=None, marks=None):
    data = to_py(value, marks=marks)  # conversion errors keep their own texts, without the function prefix
    if data == []:
        return ""  # spec Note: an empty table is an empty document
    if not isinstance(data, dict):
        raise BuiltinError("toml.encode: the top level must be a table with keys, got %s" % _kind(data))
    out = []
    _emit(data, [], False, out, {"first": True})
    return "".join(out)


def install(bridge):
    from assay.builtins.json import honour_marks
    t = bridge.define("toml", {"parse": parse, "encode": encode})
    honour_marks(bridge, t, "encode")
