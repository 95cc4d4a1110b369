"""Render a finished run: the original's JSON, JUnit XML, TAP or HTML.

All of them are built from the same `RunResult`, so the exit code and the verdict
of every check are identical whatever the format.
"""
import dataclasses
import json
from dataclasses import dataclass, field

FORMATS = ("json", "junit", "tap", "html")


@dataclass
class Attempt:
    passed: bool
    duration_ms: int
    message: str = None


@dataclass
class CheckResult:
    name: str
    type: str
    passed: bool
    duration_ms: int
    message: str = None
    attempts: list = field(default_factory=list)   # Attempt, in order
    timed_out: bool = False
    max_attempts: int = None   # None: until stable or the global timeout


@dataclass
class RunResult:
    path: str
    checks: list
    duration_ms: int
    started: float             # time.time() just after the config was loaded
    settings: dict = field(default_factory=dict)

    @property
    def passed(self):
        return all(c.passed for c in self.checks)

    def redacted(self, redact):
        """A copy with secret values replaced in every name and message."""
        def attempt(a):
            return dataclasses.replace(a, message=redact(a.message))

        def check(c):
            return dataclasses.replace(c, name=redact(c.name), message=redact(c.message),
                                       attempts=[attempt(a) for a in c.attempts])
        return dataclasses.replace(self, checks=[check(c) for c in self.checks])


def render(run, fmt="json"):
    if fmt == "junit":
        return junit(run)
    if fmt == "tap":
        return tap(run)
    if fmt == "html":
        from .html_report import html
        return html(run)
    return to_json(run)


def summary(run):
    """`N/M checks passed`, then one line per failed check with its message."""
    passed = sum(1 for c in run.checks if c.passed)
    lines = ["%d/%d checks passed" % (passed, len(run.checks))]
    for c in run.checks:
        if not c.passed:
            lines.append("FAIL %s: %s" % (c.name, " ".join((c.message or "check failed").split())))
    return "\n".join(lines) + "\n"


# ---- JSON (the original's document) ----------------------------------------

def to_json(run):
    document = {
        "passed": run.passed,
        "checks": [{"name": c.name, "passed": c.passed, "duration_ms": c.duration_ms, "message": c.message}
                   for c in run.checks],
        "duration_ms": run.duration_ms,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---- JUnit XML --------------------------------------------------------------
# Valid against both widespread JUnit schemas (Ant's strict one and Jenkins'):
# an attribute-free <testsuites>, one <testsuite> with properties, testcases,
# system-out and system-err; a testcase holds at most one <failure>.

def _xml_text(text):
    """Escape for XML 1.0 text/attributes; characters XML cannot carry become U+FFFD."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch in "\n\r\t":
            out.append("&#%d;" % code)
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def _body_text(text):
    """Element content: like _xml_text but real newlines stay readable."""
    return _xml_text(text).replace("&#10;", "\n").replace("&#9;", "\t")


def _seconds(ms):
    return "%d.%03d" % divmod(ms, 1000)


def _attempt_line(check, number, attempt, total):
    line = "attempt %d/%d: %s in %d ms" % (number, total, "PASS" if attempt.passed else "FAIL", attempt.duration_ms)
    if attempt.message is not None:
        line += ": " + attempt.message
    return line


def _history(check, max_attempts):
    lines = [_attempt_line(check, i + 1, a, max_attempts or len(check.attempts))
             for i, a in enumerate(check.attempts)]
    if check.timed_out:
        lines.append("%s (after %d attempt%s)" % (check.message, len(check.attempts),
                                                  "" if len(check.attempts) == 1 else "s"))
    return lines


def junit(run):
    import socket
    import time
    failures = sum(1 for c in run.checks if not c.passed)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(run.started))
    host = socket.gethostname() or "localhost"
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    out.append('  <testsuite name="%s" package="assay.checks" id="0" tests="%d" failures="%d" errors="0" '
               'skipped="0" time="%s" timestamp="%s" hostname="%s">'
               % (_xml_text(run.path), len(run.checks), failures, _seconds(run.duration_ms), stamp, _xml_text(host)))
    out.append("    <properties>")
    out.append('      <property name="config" value="%s"/>' % _xml_text(run.path))
    for key in ("timeout", "retries", "backoff", "parallel"):
        if key in run.settings:
            value = run.settings[key]
            value = ("true" if value else "false") if isinstance(value, bool) else value
            out.append('      <property name="%s" value="%s"/>' % (key, _xml_text(value)))
    out.append("    </properties>")
    system_out = []
    for check in run.checks:
        head = '    <testcase name="%s" classname="assay.%s" time="%s"' % (
            _xml_text(check.name), _xml_text(check.type), _seconds(check.duration_ms))
        history = _history(check, check.max_attempts)
        system_out += ["[%s] %s" % (check.name, line) for line in history]
        out.append(head + ">")
        out += _attempt_properties(check)
        if not check.passed:
            kind = "timeout" if check.timed_out else "failure"
            message = check.message if check.message is not None else "check failed"
            text = "\n".join([message, ""] + history)
            out.append('      <failure message="%s" type="%s">%s</failure>'
                       % (_xml_text(message), kind, _body_text(text)))
        out.append("    </testcase>")
    out.append("    <system-out>%s</system-out>" % _body_text("\n".join(system_out)))
    out.append("    <system-err></system-err>")
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _attempt_properties(check):
    """Every attempt's result, duration and message as testcase properties (Jenkins/GitLab show them)."""
    out = ["      <properties>", '        <property name="attempts" value="%d"/>' % len(check.attempts)]
    for number, attempt in enumerate(check.attempts, 1):
        out.append('        <property name="attempt.%d.result" value="%s"/>'
                   % (number, "PASS" if attempt.passed else "FAIL"))
        out.append('        <property name="attempt.%d.duration_ms" value="%d"/>' % (number, attempt.duration_ms))
        if attempt.message is not None:
            out.append('        <property name="attempt.%d.message" value="%s"/>'
                       % (number, _xml_text(attempt.message)))
    out.append("      </properties>")
    return out


# ---- TAP version 13 ---------------------------------------------------------

def _tap_description(name):
    return " ".join(name.replace("\\", "\\\\").replace("#", "\\#").split())


def tap(run):
    lines = ["TAP version 13", "1..%d" % len(run.checks)]
    for number, check in enumerate(run.checks, 1):
        lines.append("%s %d - %s" % ("ok" if check.passed else "not ok", number, _tap_description(check.name)))
        lines.append("  ---")
        lines.append("  type: %s" % json.dumps(check.type, ensure_ascii=False))
        if check.message is not None:
            lines.append("  message: %s" % json.dumps(check.message, ensure_ascii=False))
        lines.append("  duration_ms: %d" % check.duration_ms)
        lines.append("  attempts: %d" % len(check.attempts))
        if check.max_attempts is not None:
            lines.append("  max_attempts: %d" % check.max_attempts)
        if check.timed_out:
            lines.append("  timed_out: true")
        lines.append("  ...")
    passed = sum(1 for c in run.checks if c.passed)
    lines.append("# %d of %d checks passed in %d ms" % (passed, len(run.checks), run.duration_ms))
    return "\n".join(lines) + "\n"
