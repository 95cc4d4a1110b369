"""JSON text exactly as the original writes it (serde_json): compact, keys sorted,
non-ASCII raw, control characters escaped, floats in shortest round-trip form with
ryu's layout (`3.0`, `1e21`, `1e-7`, `0.00001`), never Python's `1e+21`.

Works on plain Python values (None, bool, int, float, str, list, dict).
"""
import math


def format_float(value):
    """Shortest round-trip text of a finite float, laid out like Rust's ryu crate."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    # decimal exponent of the first significant digit, counted as in ryu: value = 0.DIGITS × 10^kk
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    kk = len(whole) - lead_zeros + (int(exp) if exp else 0)
    digits = digits.rstrip("0") or "0"
    n = len(digits)
    if n <= kk <= 21:
        body = digits + "0" * (kk - n) + ".0"
    elif 0 < kk <= 21:
        body = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        body = "0." + "0" * (-kk) + digits
    else:
        e = kk - 1
        body = digits[0] + ("." + digits[1:] if n > 1 else "") + "e" + str(e)
    return sign + body


class JsonError(ValueError):
    pass


def encode(value):
    """Compact JSON text of a Python value; raises JsonError for NaN/inf."""
    # C-accelerated: escapes ", \ and < 0x20 only; imported here, not at start
    from json.encoder import encode_basestring
    parts = []
    _encode(value, parts.append, encode_basestring)
    return "".join(parts)


def _encode(v, out, encode_basestring):
    if v is None:
        out("null")
    elif v is True:
        out("true")
    elif v is False:
        out("false")
    elif isinstance(v, int):
        out(str(v))
    elif isinstance(v, float):
        if v != v:
            raise JsonError("cannot encode NaN as JSON number")
        if v in (math.inf, -math.inf):
            raise JsonError("cannot encode %s as JSON number" % ("inf" if v > 0 else "-inf"))
        out(format_float(v))
    elif isinstance(v, str):
        out(encode_basestring(v))
    elif isinstance(v, dict):
        out("{")
        first = True
        for key in sorted(v):
            if not first:
                out(",")
            first = False
            out(encode_basestring(key))
            out(":")
            _encode(v[key], out, encode_basestring)
        out("}")
    elif isinstance(v, (list, tuple)):
        out("[")
        for i, item in enumerate(v):
            if i:
                out(",")
            _encode(item, out, encode_basestring)
        out("]")
    else:
        raise JsonError("unsupported value for JSON: %s" % type(v).__name__)
