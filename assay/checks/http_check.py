"""`type: http` checks (checks.md §5.1)."""
from assay.runtime.text import debug_quote

from . import client, jsonexpr
from .outcome import Outcome, config_failure


def run(check):
    if check.url is None:
        return config_failure("http check requires a 'url' field")
    try:
        response = client.get(check.url, follow_redirects=check.follow_redirects)
    except client.TransportError as e:
        return Outcome(False, "HTTP GET %s: %s" % (check.url, e))
    except client.BodyError as e:
        return Outcome(False, str(e))
    expect = check.expect
    if expect is None:
        if 200 <= response.status <= 299:
            return Outcome(True)
        return Outcome(False, "expected 2xx, got %d" % response.status)
    if expect.status is not None and response.status != expect.status:
        return Outcome(False, "expected status %d, got %d" % (expect.status, response.status))
    if expect.body is not None and expect.body not in response.text:
        return Outcome(False, "body does not contain %s" % debug_quote(expect.body))
    if expect.json is not None:
        try:
            if not jsonexpr.evaluate(response.text, expect.json):
                return Outcome(False, "JSON expression failed: %s" % expect.json)
        except jsonexpr.ExprError as e:
            return Outcome(False, str(e))
    return Outcome(True)
