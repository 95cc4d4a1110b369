"""Duration strings of the checks config: `500ms`, `120s`, `5m`."""


class DurationError(ValueError):
    pass


_UNITS = (("ms", 1, "milliseconds"), ("s", 1000, "seconds"), ("m", 60000, "minutes"))


def parse_duration(text):
    """Return the duration in whole milliseconds, or raise DurationError(message)."""
    trimmed = text.strip()
    for suffix, factor, label in _UNITS:
        if trimmed.endswith(suffix):
            return parse_u64(trimmed[: -len(suffix)], "invalid %s value" % label) * factor
    raise DurationError("unsupported duration format: \"%s\" (use e.g. '120s', '5m', '500ms')" % trimmed)


def parse_u64(digits, context):
    """Rust's `u64::from_str` reasons, without its leading `+` (the spec allows no sign)."""
    if digits == "":
        raise DurationError(context + ": cannot parse integer from empty string")
    if not (digits.isascii() and digits.isdigit()):
        raise DurationError(context + ": invalid digit found in string")
    value = int(digits)
    if value >= 1 << 64:
        raise DurationError(context + ": number too large to fit in target type")
    return value


def whole_seconds(ms):
    """Whole seconds, truncated (`500ms` → 0), as the log fields and messages show them."""
    return ms // 1000


def rust_float(value):
    """A float as Rust's `Display` writes it: shortest round-trip digits, no exponent,
    no `.0` on integral values; `NaN`, `inf`, `-inf`."""
    from decimal import Decimal
    value = float(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
