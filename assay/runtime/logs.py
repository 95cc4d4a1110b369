"""Log lines on stderr in the original's format.

    2026-04-07T10:00:00.123456Z  INFO message key=value

`RUST_LOG` picks the level: a bare level, or `target=level` items with an optional
bare default (`info,lua=off`). Lua's `log.*` calls use target `lua`, assay's own
messages target `assay`. `-v` forces debug. Colour only on a TTY without NO_COLOR.
"""
import os
import sys
import time

LEVELS = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "off": 5}
_LABEL = {0: "TRACE", 1: "DEBUG", 2: " INFO", 3: " WARN", 4: "ERROR"}
_COLOUR = {0: "35", 1: "34", 2: "32", 3: "33", 4: "31"}

TRACE, DEBUG, INFO, WARN, ERROR = 0, 1, 2, 3, 4


def parse_filter(spec):
    """Return (default_level, {target: level}) for a RUST_LOG value; bad input → info."""
    default, targets = LEVELS["info"], {}
    if not spec:
        return default, targets
    try:
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            if "=" in item:
                target, level = item.split("=", 1)
                targets[target.strip()] = LEVELS[level.strip().lower()]
            else:
                default = LEVELS[item.lower()]
    except KeyError:
        return LEVELS["info"], {}
    return default, targets


class Logger:
    def __init__(self):
        self.configure(verbose=False)

    def configure(self, verbose=False):
        self.redact = None  # a function hiding secret values (checks mode's `secrets:`)
        self.default, self.targets = parse_filter(os.environ.get("RUST_LOG", ""))
        if verbose:
            self.default, self.targets = LEVELS["debug"], {}
        no_color = os.environ.get("NO_COLOR", "")
        self.colour = not no_color and _isatty(sys.stderr)

    def enabled(self, level, target="assay"):
        return level >= self.targets.get(target, self.default)

    def log(self, level, message, /, target="assay", **fields):
        if not self.enabled(level, target):
            return
        sys.stderr.write(self.format(level, message, fields) + "\n")
        sys.stderr.flush()

    def format(self, level, message, fields):
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1e6)
        label = _LABEL[level]
        rendered = "".join(" %s=%s" % (k, v) for k, v in fields.items())
        if self.colour:
            label = "\x1b[%sm%s\x1b[0m" % (_COLOUR[level], label)
            stamp = "\x1b[2m%s\x1b[0m" % stamp
            rendered = "".join(" \x1b[3m%s\x1b[0m\x1b[2m=\x1b[0m%s" % (k, v) for k, v in fields.items())
        line = "%s %s %s%s" % (stamp, label, message, rendered)
        if self.redact is not None:
            line = self.redact(line)
        return policy_redacted(line)

    def debug(self, message, /, **fields):
        self.log(DEBUG, message, **fields)

    def info(self, message, /, **fields):
        self.log(INFO, message, **fields)

    def warn(self, message, /, **fields):
        self.log(WARN, message, **fields)

    def error(self, message, /, **fields):
        self.log(ERROR, message, **fields)

    def timed(self, message, /, **fields):
        """`with logger.timed("db query", statement=...) as call:` logs one debug line when
        the block ends: the fields, what the block added to `call.fields`, `status=ok` or
        `status=error` and the duration. Costs nothing when debug is off."""
        return _Timed(self, message, fields) if self.enabled(DEBUG) else _NOT_TIMED


class _Timed:
    def __init__(self, logger, message, fields):
        self.logger, self.message, self.fields = logger, message, fields

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        fields = dict(self.fields)
        fields.setdefault("status", "ok" if exc_type is None else "error")
        fields["duration"] = "%.1fms" % ((time.monotonic() - self.started) * 1000)
        self.logger.debug(self.message, **fields)
        return False


class _NotTimed:
    @property
    def fields(self):
        return {}  # a fresh dict: what the block writes is forgotten

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False


_NOT_TIMED = _NotTimed()


def policy_redacted(text):
    """`text` with the policy file's `http.redact` names hidden (unchanged without one)."""
    if not text or not os.environ.get("ASSAY_POLICY_FILE"):
        return text
    from . import policy as policies
    try:
        rules = policies.current()
    except policies.PolicyError:  # reported where the run starts; a log line must not fail
        return text
    return rules.redact_text(text) if rules is not None else text


def quoted(text):
    """A string field value in double quotes with backslash escapes (`check="api"`)."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return '"%s"' % out


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


logger = Logger()
