"""`--format html`: one self-contained page (inline CSS, no scripts, no external files).

A summary bar (passed/failed counts and total time), then one row per check with
its status, duration, attempts and failure message; the attempt history of each
check is in a <details> element, which browsers open without JavaScript.
"""
import html as _html
import time


def _e(text):
    return _html.escape("" if text is None else str(text), quote=True)


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.3em;margin:0 0 .5em}
.summary{padding:.8em 1em;border-radius:4px;color:#fff;font-weight:600;margin-bottom:1em}
.summary.pass{background:#2e7d32}.summary.fail{background:#c62828}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f4f4f4}
.status{font-weight:700}.status.pass{color:#2e7d32}.status.fail{color:#c62828}
.message{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
details summary{cursor:pointer;color:#555}
ol{margin:.3em 0 0 1.2em;padding:0}
"""


def html(run):
    passed = sum(1 for c in run.checks if c.passed)
    total = len(run.checks)
    verdict = "pass" if run.passed else "fail"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(run.started))
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           "<title>assay checks: %s</title>" % _e(run.path), "<style>%s</style>" % _STYLE, "</head>", "<body>",
           "<h1>assay checks: %s</h1>" % _e(run.path),
           '<div class="summary %s" id="summary">%s: %d of %d checks passed in %d ms (%d failed) &middot; %s</div>'
           % (verdict, "PASSED" if run.passed else "FAILED", passed, total, run.duration_ms, total - passed,
              _e(stamp)),
           "<table>", "<thead><tr><th>Check</th><th>Type</th><th>Status</th><th>Duration</th><th>Attempts</th>"
           "<th>Message</th></tr></thead>", "<tbody>"]
    for check in run.checks:
        status = "pass" if check.passed else "fail"
        label = "PASS" if check.passed else ("TIMEOUT" if check.timed_out else "FAIL")
        attempts = "%d" % len(check.attempts)
        if check.max_attempts is not None:
            attempts += " of %d" % check.max_attempts
        history = ""
        if check.attempts:
            items = "".join("<li>%s in %d ms%s</li>" % ("PASS" if a.passed else "FAIL", a.duration_ms,
                                                       ": " + _e(a.message) if a.message is not None else "")
                            for a in check.attempts)
            history = "<details><summary>attempt history</summary><ol>%s</ol></details>" % items
        out.append('<tr class="check %s"><td class="name">%s</td><td>%s</td><td class="status %s">%s</td>'
                   "<td>%d ms</td><td>%s</td><td><div class=\"message\">%s</div>%s</td></tr>"
                   % (status, _e(check.name), _e(check.type), status, label, check.duration_ms, attempts,
                      _e(check.message or ""), history))
    out += ["</tbody>", "</table>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
