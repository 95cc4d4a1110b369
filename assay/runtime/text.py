"""Text formats the original prints through Rust: `{:?}` string quoting and OS errors."""


def os_error_text(e):
    """`No such file or directory (os error 2)` — the original's wording of OS errors."""
    if getattr(e, "errno", None) is None or not getattr(e, "strerror", None):
        return str(e)
    return "%s (os error %d)" % (e.strerror, e.errno)


def read_utf8_file(path):
    """(bytes, text) of the file at `path`; ValueError saying why when it cannot be read
    (`No such file or directory (os error 2)`) or is not UTF-8."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(os_error_text(e)) from None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("stream did not contain valid UTF-8") from None


def debug_quote(raw):
    """A path (bytes) in double quotes, escaped like Rust's Debug for paths.

    `"`, `\\`, `\\t`, `\\r`, `\\n`, `\\0` get their C escapes, other control and
    non-printable characters become `\\u{hex}`, bytes that are not UTF-8 `\\xNN`.
    """
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
            out.append("\\x%02X" % (code - 0xDC00))
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F or not _printable(ch):
            out.append("\\u{%x}" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SIMPLE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\0": "\\0"}


def _printable(ch):
    import unicodedata
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me"):
        return False
    return category != "Zs"  # only the ASCII space (handled by the caller) is printed bare
