"""`type: http` checks."""
import json

from assay.runtime.text import debug_quote

from . import client, jsonexpr
from .outcome import Outcome, config_failure


def request_options(check):
    """The request a check sends: (method, headers, body bytes or None)."""
    headers = dict(check.headers)
    data = None
    if check.has_json:
        data = json.dumps(check.json, ensure_ascii=False).encode("utf-8")
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = "application/json"
    elif check.body is not None:
        data = check.body.encode("utf-8")
    return check.method, headers, data


def run(check):
    if check.url is None:
        return config_failure("http check requires a 'url' field")
    method, headers, data = request_options(check)
    verify = False if check.insecure else check.ca_cert
    cert = (check.client_cert, check.client_key) if check.client_cert else None
    timeout = check.timeout / 1000.0 if check.timeout is not None else client.REQUEST_TIMEOUT
    try:
        response = client.request(method, check.url, headers=headers or None, data=data,
                                  follow_redirects=check.follow_redirects, timeout=timeout,
                                  verify=verify, cert=cert)
    except client.TransportError as e:
        return Outcome(False, "HTTP %s %s: %s" % (method, check.url, e))
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
    return _newer_expectations(expect, response)


def _newer_expectations(expect, response):
    """headers, max_duration, jsonpath, schema — in that order, the first failure wins."""
    for name, wanted in (expect.headers or {}).items():
        actual = response.headers.get(name)
        if actual is None:
            return Outcome(False, "header %s missing (expected it to contain %s)" % (name, debug_quote(wanted)))
        if wanted not in actual:
            return Outcome(False, "header %s is %s, expected it to contain %s"
                           % (name, debug_quote(actual), debug_quote(wanted)))
    if expect.max_duration is not None and response.elapsed_ms > expect.max_duration:
        return Outcome(False, "response took %d ms, expected at most %d ms"
                       % (response.elapsed_ms, expect.max_duration))
    if not expect.jsonpath and expect.validator is None:
        return Outcome(True)
    from . import assertions
    try:
        document = jsonexpr.parse_body(response.text)
    except jsonexpr.ExprError as e:
        return Outcome(False, str(e))
    for item in expect.jsonpath or []:
        problem = assertions.check_jsonpath(document, item)
        if problem is not None:
            return Outcome(False, problem)
    if expect.validator is not None:
        problem = assertions.check_schema(document, expect.validator)
        if problem is not None:
            return Outcome(False, problem)
    return Outcome(True)

