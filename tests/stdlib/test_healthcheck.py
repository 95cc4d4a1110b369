"""assay.healthcheck (spec stdlib/healthcheck.md, HEALTHCHECK-01..20) against the shared probe
targets (fakes.HealthTargets: /healthz, /starting, /created, /nocontent, /down, /error, /text,
/slow, /invalid-json, /flaky, /echo)."""
import re
import socket
import time

from fakes import lua_with, targets, targets_server  # noqa: F401 (fixtures)

REQ = 'local hc = require("assay.healthcheck")\n'


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return "http://127.0.0.1:%d/health" % port  # nothing listens after the socket is closed


def test_healthcheck_01_http_ok(lua, targets):
    r = run(lua, 'local r = hc.http("$URL/healthz"); return r, r.error == nil, math.type(r.latency_ms)', targets.url)
    result, no_error, latency_type = r
    assert result["ok"] is True and result["status"] == 200 and no_error
    assert latency_type == "integer" and 0 <= result["latency_ms"] < 5000
    assert targets.last().method == "GET" and targets.last().target == "/healthz"


def test_healthcheck_02_http_500(lua, targets):
    r = run(lua, 'return hc.http("$URL/error")', targets.url)
    assert (r["ok"], r["status"], r["error"]) == (False, 500, "expected status 200, got 500")


def test_healthcheck_03_http_expected_status(lua, targets):
    r = run(lua, 'local r = hc.http("$URL/created", {expected_status = 201}); return r.ok, r.status, r.error == nil',
            targets.url)
    assert r == (True, 201, True)
    r = run(lua, 'return hc.http("$URL/healthz", {expected_status = 201})', targets.url)
    assert (r["ok"], r["error"]) == (False, "expected status 201, got 200")


def test_healthcheck_04_http_methods(lua, targets):
    run(lua, 'return hc.http("$URL/echo", {method = "POST", body = "payload"})', targets.url)
    assert (targets.last().method, targets.last().body) == ("POST", b"payload")
    run(lua, 'return hc.http("$URL/echo", {method = "put", body = "x=1"})', targets.url)
    assert (targets.last().method, targets.last().body) == ("PUT", b"x=1")
    run(lua, 'return hc.http("$URL/echo", {method = "POST"})', targets.url)
    assert (targets.last().method, targets.last().body) == ("POST", b"")
    for method in ("DELETE", "HEAD", "PATCH"):
        r = run(lua, 'return hc.http("$URL/echo", {method = "%s", body = "ignored"})' % method, targets.url)
        assert targets.last().method == "GET" and r["ok"] is True
    run(lua, 'return hc.http("$URL/echo", {headers = {["X-Probe"] = "1"}})', targets.url)
    assert targets.last().header("X-Probe") == "1"


def test_healthcheck_05_transport_errors_never_raise(lua):
    url = closed_port_url()
    r = run(lua, 'return hc.http("$URL")', url)
    assert r["ok"] is False and r["status"] == 0 and "latency_ms" in r
    assert r["error"].startswith("http.get failed: ")
    r = run(lua, 'return hc.http("$URL", {method = "POST"})', url)
    assert r["error"].startswith("http.post failed: ")
    r = run(lua, 'return hc.status_code("$URL", 200)', url)
    assert (r["ok"], r["status"]) == (False, 0) and r["error"].startswith("http.get failed")
    r = run(lua, 'return hc.endpoint("$URL")', url)
    assert (r["ok"], r["status"]) == (False, 0) and r["error"] and "latency_ms" in r
    r = run(lua, 'return hc.body_contains("$URL", "x")', url)
    assert (r["ok"], r["found"]) == (False, False) and r["error"].startswith("http.get failed")
    r = run(lua, 'local r = hc.json_path("$URL", "a.b", 1); return r, r.actual == nil', url)
    assert r[0]["ok"] is False and r[0]["expected"] == 1 and r[1] is True and r[0]["error"]


def test_healthcheck_06_json_path_match(lua, targets):
    r = run(lua, 'local r = hc.json_path("$URL/healthz", "status.ready", true); return r, r.error == nil', targets.url)
    assert r[0] == {"ok": True, "actual": True, "expected": True} and r[1] is True


def test_healthcheck_07_json_path_mismatch(lua, targets):
    r = run(lua, 'return hc.json_path("$URL/healthz", "status.live", true)', targets.url)
    assert r == {"ok": False, "actual": False, "expected": True, "error": "expected true, got false"}
    r = run(lua, 'return hc.json_path("$URL/healthz", "status.replicas", "3")', targets.url)
    assert (r["ok"], r["actual"], r["error"]) == (False, 3, "expected 3, got 3")  # Lua equality: types differ
    r = run(lua, 'return hc.json_path("$URL/healthz", "status.replicas", 3)', targets.url)
    assert r["ok"] is True
    r = run(lua, 'return hc.json_path("$URL/healthz", "status.name", "web")', targets.url)
    assert r["error"] == "expected web, got api"


def test_healthcheck_08_json_path_missing_key(lua, targets):
    r = run(lua, 'local r = hc.json_path("$URL/starting", "status.ready", true); return r, r.actual == nil',
            targets.url)
    assert r[0] == {"ok": False, "expected": True, "error": "path 'status.ready': key 'ready' not found"}
    assert r[1] is True


def test_healthcheck_09_json_path_errors(lua, targets):
    r = run(lua, 'return hc.json_path("$URL/down", "status", "x")', targets.url)
    assert r["error"] == "HTTP 503" and r["ok"] is False
    r = run(lua, 'return hc.json_path("$URL/invalid-json", "status", "x")', targets.url)
    assert r["error"].startswith("JSON parse error: ") and len(r["error"]) > len("JSON parse error: ")
    r = run(lua, 'return hc.json_path("$URL/healthz", "version.major", 1)', targets.url)
    assert r["error"] == "path traversal failed at 'major': not a table"
    r = run(lua, 'return hc.json_path("$URL/healthz", "items.1", 1)', targets.url)
    assert r["error"] == "path 'items.1': key '1' not found"  # string keys only
    r = run(lua, 'return hc.json_path("$URL/healthz", ".status..ready.", true)', targets.url)
    assert r["ok"] is True  # empty segments ignored


def test_healthcheck_10_status_code_ok(lua, targets):
    r = run(lua, 'local r = hc.status_code("$URL/nocontent", 204); return r, r.error == nil', targets.url)
    assert r == ({"ok": True, "status": 204}, True)


def test_healthcheck_11_status_code_mismatch(lua, targets):
    r = run(lua, 'return hc.status_code("$URL/down", 200)', targets.url)
    assert r == {"ok": False, "status": 503, "error": "expected status 200, got 503"}


def test_healthcheck_12_body_contains(lua, targets):
    r = run(lua, 'local r = hc.body_contains("$URL/text", "healthy"); return r, r.error == nil', targets.url)
    assert r == ({"ok": True, "found": True}, True)
    # the status is not checked: a 503 page containing the text passes
    assert run(lua, 'return hc.body_contains("$URL/down", "unavailable").ok', targets.url) is True


def test_healthcheck_13_body_not_contains(lua, targets):
    r = run(lua, 'return hc.body_contains("$URL/text", "degraded")', targets.url)
    assert r == {"ok": False, "found": False, "error": "pattern not found in response body"}
    # plain substring, not a Lua pattern
    assert run(lua, 'return hc.body_contains("$URL/text", "s.rvice").found', targets.url) is False
    assert run(lua, 'return hc.body_contains("$URL/text", "status: s").found', targets.url) is True


def test_healthcheck_14_endpoint_ok(lua, targets):
    r = run(lua, 'local r = hc.endpoint("$URL/healthz"); return r, r.error == nil', targets.url)
    assert r[0]["ok"] is True and r[0]["status"] == 200 and isinstance(r[0]["latency_ms"], int) and r[1]


def test_healthcheck_15_endpoint_status_and_latency(lua, targets):
    r = run(lua, 'return hc.endpoint("$URL/down")', targets.url)
    assert (r["ok"], r["status"], r["error"]) == (False, 503, "expected status 200, got 503")
    r = run(lua, 'return hc.endpoint("$URL/slow", {max_latency_ms = 100})', targets.url)
    assert r["ok"] is False and r["status"] == 200 and r["latency_ms"] >= 300
    assert r["error"] == "latency %dms exceeds threshold 100ms" % r["latency_ms"]
    r = run(lua, 'return hc.endpoint("$URL/created", {expected_status = 201, max_latency_ms = 5000})', targets.url)
    assert r["ok"] is True


def test_healthcheck_16_multi_all_pass(lua, targets):
    r = run(lua, '''return hc.multi({
        {name = "api", check = function() return hc.http("$URL/healthz") end},
        {name = "text", check = function() return hc.body_contains("$URL/text", "healthy") end}})''', targets.url)
    assert (r["ok"], r["passed"], r["failed"], r["total"]) == (True, 2, 0, 2)
    assert [(e["name"], e["ok"]) for e in r["results"]] == [("api", True), ("text", True)]


def test_healthcheck_17_multi_one_fails(lua, targets):
    r = run(lua, '''local r = hc.multi({
        {name = "api", check = function() return hc.http("$URL/healthz") end},
        {name = "db", check = function() return hc.status_code("$URL/down", 200) end}})
        return r, r.results[2].ok == false''', targets.url)
    assert (r[0]["ok"], r[0]["passed"], r[0]["failed"], r[0]["total"]) == (False, 1, 1, 2) and r[1] is True


def test_healthcheck_18_multi_raising_check_and_copied_fields(lua, targets):
    r = run(lua, '''return hc.multi({
        {name = "boom", check = function() error("exploded", 0) end},
        {name = "api", check = function() return hc.http("$URL/error") end},
        {name = "odd", check = function() return 42 end}})''', targets.url)
    boom, api, odd = r["results"]
    assert boom == {"name": "boom", "ok": False, "error": "exploded"}
    assert api["name"] == "api" and api["ok"] is False and api["status"] == 500
    assert api["error"] == "expected status 200, got 500" and "latency_ms" in api
    assert odd["ok"] is False and "not a result table" in odd["error"]
    assert (r["passed"], r["failed"], r["total"]) == (0, 3, 3)


def test_healthcheck_19_wait_immediately_healthy(lua, targets):
    r = run(lua, 'return hc.wait("$URL/healthz", {timeout = 5, interval = 0.1})', targets.url)
    assert r == {"ok": True, "status": 200, "attempts": 1}
    r = run(lua, 'return hc.wait("$URL/created", {timeout = 5, interval = 0.1, expect_status = 201})', targets.url)
    assert r == {"ok": True, "status": 201, "attempts": 1}
    r = run(lua, 'return hc.wait("$URL/flaky", {timeout = 5, interval = 0.05})', targets.url)
    assert r == {"ok": True, "status": 200, "attempts": 3}


def test_healthcheck_19_wait_logs_through_the_assay_command(assay, targets):
    url = targets.url + "/healthz"
    proc = assay("exec", "-e", REQ + 'print(hc.wait("%s", {timeout = 2, interval = 0.1}).attempts)' % url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1\n"
    assert re.search(r" INFO Healthy: %s \(attempt 1\)$" % re.escape(url), proc.stderr, re.M), proc.stderr


def test_healthcheck_20_wait_times_out(lua_fails, targets):
    url = targets.url + "/down"
    msg = lua_fails(REQ + 'hc.wait("%s", {timeout = 1, interval = 0.5})' % url)
    assert re.search(r"assay/healthcheck\.lua:\d+: healthcheck\.wait: %s not healthy after 1s$" % re.escape(url), msg), msg
    assert len([r for r in targets.requests if r.path == "/down"]) == 2  # ceil(1 / 0.5) attempts
    # one sleep between the two attempts, none after the last one
    started = time.monotonic()
    msg = lua_fails(REQ + 'hc.wait("%s", {timeout = 4, interval = 2})' % url)
    elapsed = time.monotonic() - started
    assert "not healthy after 4s" in msg and 2.0 <= elapsed < 3.9, elapsed  # two sleeps would be 4 s
    msg = lua_fails(REQ + 'hc.wait("%s", {timeout = 0.3, interval = 0.1})' % closed_port_url())
    assert "not healthy after 0.3s" in msg  # transport errors are retried, not raised


def test_healthcheck_client_form(lua, targets):
    """Issue 12: c = M.client(url, opts) binds one probe URL and auth; c:fn(...) == M.fn(url, ...)."""
    r = run(lua, '''local c = hc.client("$URL/healthz", {token = "t0k", headers = {["X-Env"] = "prod"}})
        local m = c:multi({{name = "a", check = function() return c:http() end}})
        return c:http().ok, c:json_path("status.ready", true).ok, c:status_code(200).ok,
               c:body_contains("ready").found, c:endpoint().ok, c:wait({timeout = 1, interval = 0.1}).attempts,
               m.passed, c.url''', targets.url)
    assert r == (True, True, True, True, True, 1, 1, targets.url + "/healthz")
    assert all(q.header("Authorization") == "Bearer t0k" and q.header("X-Env") == "prod" for q in targets.requests)
    run(lua, 'return hc.client("$URL/echo", {username = "u", password = "p"}):http({headers = {A = "b"}})', targets.url)
    assert targets.last().header("Authorization") == "Basic dTpw" and targets.last().header("A") == "b"


def test_healthcheck_header_in_context(assay):
    block = assay("context", "healthcheck").stdout.split("### ", 2)[1]
    assert block.startswith("assay.healthcheck\nHTTP health checking utilities. Status codes, JSON path, body "
                            "matching, latency, multi-check.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert "  M.multi(checks) -> {ok, results, passed, failed, total} | Run multiple checks\n" in block
