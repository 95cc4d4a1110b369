"""Checks mode 2 http features: request options (method, headers, body/json, timeout, TLS),
the new assertions (headers, max_duration, jsonpath, schema) and the per-check retry policy."""
import json
import os
import sys

import pytest

from checkhelpers import run_config, write
from conftest import ROOT
from fakes import FakeService, Response

sys.path.insert(0, os.path.join(ROOT, "tests", "builtins"))


@pytest.fixture
def fake():
    service = FakeService()
    yield service
    service.close()


def config(*checks, head="retries: 0\n"):
    return head + "checks:\n" + "".join(checks)


def http(name, url, extra=""):
    return "  - name: %s\n    type: http\n    url: %s\n%s" % (name, url, extra)


# ---- requests ---------------------------------------------------------------------

def test_chk2_method_headers_and_bodies_are_sent(tmp_path, fake):
    fake.set("POST", "/items", 201, {"id": 7})
    fake.set("PUT", "/raw", 204, "")
    fake.set("DELETE", "/items/7", 200, "{}")
    r = run_config(tmp_path, config(
        http("create", fake.url + "/items", "    method: POST\n    headers: {X-Team: sre, X-Count: 3}\n"
             "    json: {name: widget, tags: [a, b], nested: {ok: true, n: null}}\n"
             "    expect: {status: 201}\n"),
        http("raw", fake.url + "/raw", "    method: put\n    headers: {Content-Type: text/plain}\n"
             "    body: \"line one\\nline two\"\n"),
        http("delete", fake.url + "/items/7", "    method: DELETE\n")))
    assert r.code == 0, r
    create, raw, delete = fake.requests
    assert (create.method, raw.method, delete.method) == ("POST", "PUT", "DELETE")
    assert create.json() == {"name": "widget", "tags": ["a", "b"], "nested": {"ok": True, "n": None}}
    assert create.header("Content-Type") == "application/json"
    assert create.header("X-Team") == "sre" and create.header("X-Count") == "3"
    assert raw.body == b"line one\nline two" and raw.header("Content-Type") == "text/plain"
    assert delete.body == b""


def test_chk2_transport_failure_names_the_method(tmp_path):
    from checkhelpers import closed_port
    url = "http://127.0.0.1:%d/x" % closed_port()
    r = run_config(tmp_path, config(http("gone", url, "    method: PATCH\n")))
    assert r.checks[0]["message"].startswith("HTTP PATCH %s: " % url), r


def test_chk2_per_request_timeout(tmp_path, fake):
    fake.set("GET", "/slow", 200, "{}", delay=2.0)
    r = run_config(tmp_path, config(http("slow", fake.url + "/slow", "    timeout: 300ms\n")))
    assert r.code == 1
    assert r.checks[0]["message"] == ("HTTP GET %s/slow: error sending request for url (%s/slow): operation timed out"
                                      % (fake.url, fake.url)), r


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    from test_http import _make_certs
    return _make_certs(tmp_path_factory.mktemp("certs"))


def _serve(certs, mtls):
    from test_http import _https_server
    server = _https_server(certs, mtls)
    return server, "https://127.0.0.1:%d/" % server.server_address[1]


def test_chk2_tls_options(tmp_path, certs):
    server, url = _serve(certs, False)
    mserver, murl = _serve(certs, True)
    try:
        r = run_config(tmp_path, config(
            http("untrusted", url),
            http("insecure", url, "    insecure: true\n"),
            http("own-ca", url, "    ca_cert: %s\n" % certs["ca"]),
            http("mtls-no-cert", murl, "    ca_cert: %s\n" % certs["ca"]),
            http("mtls", murl, "    ca_cert: %s\n    client_cert: %s\n    client_key: %s\n"
                 % (certs["ca"], certs["client_cert"], certs["client_key"]))))
    finally:
        server.shutdown()
        mserver.shutdown()
    results = {c["name"]: c for c in r.checks}
    assert "certificate verify failed" in results["untrusted"]["message"], r
    assert results["insecure"]["passed"] and results["own-ca"]["passed"], r
    assert not results["mtls-no-cert"]["passed"], r
    assert results["mtls"]["passed"], r


# ---- assertions ---------------------------------------------------------------------

DOC = {"status": "ok", "version": "1.4.2", "replicas": 3, "ratio": 0.5,
       "items": [{"name": "a", "ready": True, "cpu": 10}, {"name": "b", "ready": True, "cpu": 30}],
       "labels": {"team": "sre"}, "empty": None}


def test_chk2_expect_headers_and_max_duration(tmp_path, fake):
    fake.set("GET", "/h", 200, "{}", "application/json; charset=utf-8")
    fake.set("GET", "/slow", 200, "{}", delay=0.4)
    r = run_config(tmp_path, config(
        http("has", fake.url + "/h", "    expect:\n      headers: {content-type: application/json}\n"),
        http("wrong", fake.url + "/h", "    expect:\n      headers: {Content-Type: text/html}\n"),
        http("absent", fake.url + "/h", "    expect:\n      headers: {X-Request-Id: abc}\n"),
        http("fast-enough", fake.url + "/h", "    expect:\n      max_duration: 5s\n"),
        http("too-slow", fake.url + "/slow", "    expect:\n      max_duration: 100ms\n")))
    assert r.check("has")["passed"], r
    assert r.message("wrong") == ('header Content-Type is "application/json; charset=utf-8", '
                                  'expected it to contain "text/html"')
    assert r.message("absent") == 'header X-Request-Id missing (expected it to contain "abc")'
    assert r.check("fast-enough")["passed"]
    assert r.message("too-slow").startswith("response took ") and r.message("too-slow").endswith(
        " ms, expected at most 100 ms")


JSONPATH_CASES = [
    ("$.status", "equals", '"ok"', None),
    ("$.status", "equals", '"down"', 'jsonpath $.status: expected value equals "down", got "ok"'),
    ("$.replicas", "equals", "3.0", None),
    ("$.status", "not_equals", '"down"', None),
    ("$.status", "not_equals", '"ok"', 'jsonpath $.status: expected value not equals "ok", got "ok"'),
    ("$.version", "contains", '"1.4"', None),
    ("$.items[*].name", "contains", '"a"', 'jsonpath $[\'items\'][1][\'name\']: expected value contains "a", got "b"'),
    ("$.labels", "contains", '"team"', None),
    ("$.version", "matches", r"'^1\.\d+\.\d+$'", None),
    ("$.version", "matches", "'^2'", 'jsonpath $.version: expected value matches "^2", got "1.4.2"'),
    ("$.labels.team", "exists", None, None),
    ("$.labels.owner", "exists", None, "jsonpath $.labels.owner: no match (expected it to exist)"),
    ("$.labels.owner", "not_exists", None, None),
    ("$.empty", "not_exists", None, "jsonpath $.empty: matched $['empty'] (expected no match)"),
    ("$.items[?@.ready == true]", "count", "2", None),
    ("$.items[?@.cpu > 20]", "count", "2", "jsonpath $.items[?@.cpu > 20]: expected count 2, got 1"),
    ("$.items[*].cpu", "gt", "5", None),
    ("$.items[*].cpu", "gte", "30", "jsonpath $['items'][0]['cpu']: expected value gte 30, got 10"),
    ("$.ratio", "lt", "1", None),
    ("$.ratio", "lte", "0.25", "jsonpath $.ratio: expected value lte 0.25, got 0.5"),
    ("$.nothing", "equals", "1", "jsonpath $.nothing: no match"),
]


def test_chk2_jsonpath_operators(tmp_path, fake):
    fake.set("GET", "/doc", 200, DOC)
    checks = []
    for i, (path, op, value, _) in enumerate(JSONPATH_CASES):
        item = "{path: '%s', op: %s%s}" % (path, op, "" if value is None else ", value: %s" % value)
        checks.append(http("c%d" % i, fake.url + "/doc", "    expect:\n      jsonpath:\n        - %s\n" % item))
    r = run_config(tmp_path, config(*checks))
    for i, (path, op, value, expected) in enumerate(JSONPATH_CASES):
        assert r.message("c%d" % i) == expected, (path, op, value, r.check("c%d" % i))


def test_chk2_jsonpath_needs_a_json_body(tmp_path, fake):
    fake.set("GET", "/text", 200, "not json", "text/plain")
    r = run_config(tmp_path, config(http("t", fake.url + "/text",
                                         "    expect:\n      jsonpath: [{path: $.a, op: exists}]\n")))
    assert r.checks[0]["message"].startswith("response body is not valid JSON"), r


def test_chk2_schema_inline_and_file(tmp_path, fake):
    fake.set("GET", "/doc", 200, DOC)
    write(tmp_path, "schema.yaml", "type: object\nrequired: [status, items]\nproperties:\n"
                                   "  items:\n    type: array\n    items:\n      type: object\n"
                                   "      required: [name]\n      properties:\n        cpu: {maximum: 20}\n")
    write(tmp_path, "schema.json", json.dumps({"type": "object", "required": ["status"]}))
    r = run_config(tmp_path, config(
        http("inline-ok", fake.url + "/doc", "    expect:\n      schema: {type: object, required: [replicas],"
                                             " properties: {replicas: {type: integer, minimum: 1}}}\n"),
        http("inline-bad", fake.url + "/doc", "    expect:\n      schema: {properties: {status: {enum: [up]}}}\n"),
        http("file-json", fake.url + "/doc", "    expect:\n      schema_file: schema.json\n"),
        http("file-yaml", fake.url + "/doc", "    expect:\n      schema_file: schema.yaml\n")))
    assert r.check("inline-ok")["passed"] and r.check("file-json")["passed"], r
    assert r.message("inline-bad") == ("schema: 'ok' is not one of ['up'] at $.status "
                                       "(schema location #/properties/status/enum)")
    assert r.message("file-yaml") == ("schema: 30 is greater than the maximum of 20 at $.items[1].cpu "
                                      "(schema location #/properties/items/items/properties/cpu/maximum)")


# ---- per-check policy -------------------------------------------------------------

def test_chk2_per_check_retries_backoff_and_interval(tmp_path, fake):
    fake.set("GET", "/down", 503, "")
    r = run_config(tmp_path, config(
        http("fixed", fake.url + "/down", "    retries: 2\n    interval: 200ms\n"),
        http("growing", fake.url + "/down", "    retries: 2\n    backoff: 1s\n"),
        http("global", fake.url + "/down"),
        head="retries: 5\nbackoff: 3s\ninterval: 1s\n"))
    retries = r.log_lines("check failed, retrying")
    fixed = [line for line in retries if 'check="fixed"' in line]
    growing = [line for line in retries if 'check="growing"' in line]
    global_ = [line for line in retries if 'check="global"' in line]
    assert len(fixed) == 2 and all("max_attempts=3 backoff_secs=0 " in line for line in fixed), r
    assert [l.split("backoff_secs=")[1].split()[0] for l in growing] == ["1", "2"], r
    # the top-level interval (1s) wins over the top-level growing backoff for checks without their own
    assert len(global_) == 5 and all("max_attempts=6 backoff_secs=1 " in line for line in global_), r
    assert len(fake.requests) == 3 + 3 + 6


def test_chk2_stable_for_and_consecutive(tmp_path, fake):
    fake.set("GET", "/ok", 200, "{}")
    r = run_config(tmp_path, config(
        http("stable", fake.url + "/ok", "    stable_for: 600ms\n    consecutive: 3\n    interval: 100ms\n")))
    assert r.code == 0, r
    passes = [line for line in r.stderr.splitlines() if "waiting until stable" in line]
    assert len(fake.requests) >= 3 and len(passes) == len(fake.requests) - 1, r
    assert [int(line.split("streak=")[1].split()[0]) for line in passes] == list(range(1, len(passes) + 1))
    # the last wait was needed: too short a time or too few passes (on a loaded machine the
    # three passes may take longer than 600 ms) ...
    last_streak = int(passes[-1].split("streak=")[1].split()[0])
    assert int(passes[-1].split("stable_ms=")[1]) < 600 or last_streak < 3, passes
    assert r.report["duration_ms"] >= 600                 # ... and the pass came only after 600 ms


def test_chk2_stable_for_fails_at_the_deadline_with_the_last_message(tmp_path, fake):
    fake.set("GET", "/flap", 503, "")
    r = run_config(tmp_path, config(
        http("flapping", fake.url + "/flap", "    stable_for: 10s\n    interval: 100ms\n"),
        head="timeout: 1s\nretries: 0\n"))
    assert r.code == 1
    assert r.checks[0]["message"] == "expected 2xx, got 503 (then: global timeout of 1s exceeded)", r
    fake.set("GET", "/flap", 200, "{}")
    r = run_config(tmp_path, config(
        http("never-stable", fake.url + "/flap", "    stable_for: 10s\n    consecutive: 2\n    interval: 100ms\n"),
        head="timeout: 1s\n"))
    assert r.code == 1
    assert r.checks[0]["message"].startswith("not stable yet: ") and r.checks[0]["message"].endswith(
        " of 10s (then: global timeout of 1s exceeded)"), r


def test_chk2_global_timeout_keeps_the_last_failure_and_attempts(tmp_path, fake):
    fake.set("GET", "/down", 503, "")
    r = run_config(tmp_path, config(http("down", fake.url + "/down"), head="timeout: 1s\nretries: 10\n"
                                                                           "backoff: 300ms\n"),
                   "--format", "tap")
    assert r.code == 1
    assert '  message: "expected 2xx, got 503 (then: global timeout of 1s exceeded)"' in r.stdout, r
    attempts = int(r.stdout.split("  attempts: ")[1].split()[0])
    assert attempts == len(fake.requests) >= 2
    assert "  max_attempts: 11" in r.stdout and "  timed_out: true" in r.stdout
