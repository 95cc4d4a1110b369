"""`assert.eq/ne/gt/lt/contains/not_nil/matches`.

The assertions are written in Lua (below): they are tiny, `matches` must use
Lua's own `string.find`, and the optional message needs Lua's `tostring`. Python
only renders values for failure messages the way the original does (Rust's
`Display` for numbers, `Debug` quoting for strings).

The `assert` table also gets a `__call` metamethod behaving like Lua's standard
`assert(v, message, ...)`, so both styles work.
"""
import math
from . import lua_file


def rust_float(f):
    """Rust's `Display` for f64: shortest round-trip digits, never an exponent, no `.0`."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    text = repr(f)
    if "e" in text:
        from decimal import Decimal  # only for failure messages: keep it off the start path
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def rust_debug(text):
    """Rust's `Debug` for a str: double-quoted, with Rust's escapes."""
    out = ['"']
    for c in text:
        cp = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c == "\0":
            out.append("\\0")
        elif 0xDC80 <= cp <= 0xDCFF:  # an invalid UTF-8 byte (surrogateescape)
            out.append("\\x%02x" % (cp - 0xDC00))
        elif cp < 0x20 or cp == 0x7F or (cp > 0x7F and _escaped_unicode(c)):
            out.append("\\u{%x}" % cp)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _escaped_unicode(c):
    # Rust escapes non-printable characters and grapheme extenders
    import unicodedata
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me")


def render(value, quoted=False, kind=None):
    """A value as the original shows it in failure messages.

    `kind` is the value's Lua type name (lupa presents coroutines as functions).
    """
    if value is None:
        text = "nil"
    elif value is True or value is False:
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = rust_float(value)
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "surrogateescape")
    else:
        if isinstance(kind, bytes):
            kind = kind.decode("ascii", "replace")
        text = "<%s>" % (kind or "userdata")
    return rust_debug(text) if quoted else text


def install(bridge):
    bridge.define("assert", {"_render": render}, lua=lua_file("assert"))
