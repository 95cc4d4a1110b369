"""`type: prometheus` checks (checks.md §5.2).

Two kinds of tests: a canned local server for response shapes a real Prometheus
never sends, and a real Prometheus (Debian package `prometheus`) started by the
`prometheus` fixture (tests/realservers.py), scraping itself. Without the
binary the real-server tests skip, except under CI=true, where they fail.
"""
import urllib.parse

import pytest

from checkhelpers import closed_port, run_config, server  # noqa: F401 (fixture)


def prom_check(name, url, query=None, extra=""):
    text = "  - name: %s\n    type: prometheus\n    url: %s\n" % (name, url)
    if query is not None:
        text += "    query: '%s'\n" % query.replace("'", "''")
    return text + extra


def config(*checks):
    return "retries: 0\nchecks:\n" + "".join(checks)


def vector(value, metric=None):
    return ('{"status":"success","data":{"resultType":"vector","result":[{"metric":%s,"value":[1700000000.1,"%s"]}]}}'
            % ('{"__name__":"up"}' if metric is None else metric, value))


# ---- real Prometheus ----------------------------------------------------------

@pytest.fixture
def prom(prometheus):
    """The URL of the shared real Prometheus (tests/realservers.py), scraping itself as job `prometheus`."""
    return prometheus.url


@pytest.mark.real_server("prometheus")
def test_chk_29_real_prometheus_query_and_first_value(tmp_path, prom):
    r = run_config(tmp_path, config(
        prom_check("targets", prom, "count(up)", "    expect:\n      min: 1\n      max: 1\n"),
        prom_check("slashes", prom + "///", 'up{job="prometheus"}', "    expect:\n      min: 1\n"),
        prom_check("spaces", prom, "sum(up) + 0.5"),
        prom_check("first-series", prom, "sort_desc(vector(2) or label_replace(vector(7), \"x\", \"y\", \"\", \"\"))")))
    assert r.check("targets")["passed"] is True, r
    assert r.check("slashes")["passed"] is True, r
    assert r.message("spaces") == "query returned: 1.5"
    assert r.message("first-series") == "query returned: 7"  # sort_desc puts 7 first


@pytest.mark.real_server("prometheus")
def test_chk_30_real_prometheus_without_expect(tmp_path, prom):
    r = run_config(tmp_path, config(prom_check("count", prom, "count(up)")))
    assert r.code == 0, r
    assert r.checks[0] == {"name": "count", "passed": True, "duration_ms": r.checks[0]["duration_ms"],
                           "message": "query returned: 1"}


@pytest.mark.real_server("prometheus")
def test_chk_31_real_prometheus_bounds(tmp_path, prom):
    r = run_config(tmp_path, config(
        prom_check("min", prom, "count(up)", "    expect:\n      min: 2\n"),
        prom_check("max", prom, "count(up)", "    expect:\n      max: 0.5\n"),
        prom_check("big", prom, "vector(1e21)", "    expect:\n      max: 1000\n"),
        prom_check("tiny", prom, "vector(0.0000001)", "    expect:\n      min: 1\n"),
        prom_check("ok", prom, "vector(0.5)", "    expect:\n      min: 0.25\n      max: 0.75\n")))
    assert r.message("min") == "expected min 2, got 1"
    assert r.message("max") == "expected max 0.5, got 1"
    assert r.message("big") == "expected max 1000, got 1000000000000000000000"
    assert r.message("tiny") == "expected min 1, got 0.0000001"
    assert r.check("ok") == {"name": "ok", "passed": True, "duration_ms": r.check("ok")["duration_ms"], "message": None}
    assert r.code == 1


@pytest.mark.real_server("prometheus")
def test_chk_32_real_prometheus_errors(tmp_path, prom):
    r = run_config(tmp_path, config(
        prom_check("syntax", prom, "sum("),
        prom_check("empty", prom, 'up{job="no-such-job"}'),
        prom_check("scalar", prom, "1+1")))
    assert r.message("syntax").startswith("Prometheus query failed: "), r
    assert "parse error" in r.message("syntax")
    assert r.message("empty") == "Prometheus query returned no results"
    assert r.message("scalar") == "unexpected Prometheus result format: missing value"


# ---- canned responses -----------------------------------------------------------

def test_chk_29_request_shape(tmp_path, server):
    route = server.route("/api/v1/query", 200, vector("4"))
    r = run_config(tmp_path, config(prom_check("p", server.url("//"), 'sum(rate(x{job="a b"}[5m]))')))
    assert r.checks[0]["message"] == "query returned: 4"
    request = route.requests[0]
    assert request["path"].startswith("/api/v1/query?query=")
    assert urllib.parse.parse_qs(request["query"]) == {"query": ['sum(rate(x{job="a b"}[5m]))']}
    assert "+" in request["query"]  # form encoding: space as '+'


def test_chk_29_only_first_series_counts(tmp_path, server):
    server.route("/api/v1/query", 200,
                 '{"status":"success","data":{"resultType":"vector","result":['
                 '{"metric":{},"value":[1,"0"]},{"metric":{},"value":[1,"9"]}]}}')
    r = run_config(tmp_path, config(prom_check("p", server.base, "x", "    expect:\n      min: 1\n")))
    assert r.checks[0]["message"] == "expected min 1, got 0"


def test_chk_30_value_rendering(tmp_path, server):
    for text, shown in (("3", "3"), ("2.50", "2.5"), ("1e21", "1000000000000000000000"), ("NaN", "NaN"),
                        ("+Inf", "inf"), ("-Inf", "-inf"), ("1e-7", "0.0000001")):
        server.route("/api/v1/query", 200, vector(text))
        r = run_config(tmp_path, config(prom_check("p", server.base, "x")))
        assert r.checks[0] == {"name": "p", "passed": True, "duration_ms": r.checks[0]["duration_ms"],
                               "message": "query returned: " + shown}, text


def test_chk_31_nan_passes_bounds_and_status_is_ignored(tmp_path, server):
    server.route("/api/v1/query", 503, vector("NaN"))
    r = run_config(tmp_path, config(prom_check("p", server.base, "x", "    expect:\n      min: 1\n      max: 2\n")))
    assert r.checks[0]["passed"] is True, r


def test_chk_32_canned_errors(tmp_path, server):
    cases = {
        '{"status":"error","errorType":"bad_data","error":"boom"}': "Prometheus query failed: boom",
        '{"status":"error"}': "Prometheus query failed: unknown error",
        '{"data":{"result":[]}}': "Prometheus query failed: unknown error",
        '{"status":"success","data":{}}': "unexpected Prometheus response format: missing data.result",
        '{"status":"success","data":{"result":{}}}': "unexpected Prometheus response format: missing data.result",
        '{"status":"success","data":{"result":[]}}': "Prometheus query returned no results",
        '{"status":"success","data":{"result":[{"value":[1,2]}]}}':
            "unexpected Prometheus result format: missing value",
        '{"status":"success","data":{"result":[{"metric":{}}]}}':
            "unexpected Prometheus result format: missing value",
        '{"status":"success","data":{"result":[{"value":[1,"fast"]}]}}': 'failed to parse Prometheus value: "fast"',
    }
    for body, message in cases.items():
        server.route("/api/v1/query", 200, body)
        r = run_config(tmp_path, config(prom_check("p", server.base, "x")))
        assert r.checks[0]["message"] == message, body
    server.route("/api/v1/query", 200, "<html>")
    r = run_config(tmp_path, config(prom_check("p", server.base, "x")))
    assert r.checks[0]["message"].startswith("Prometheus response is not valid JSON: ")


def test_chk_32_transport_error(tmp_path):
    base = "http://127.0.0.1:%d" % closed_port()
    r = run_config(tmp_path, config(prom_check("p", base + "/", "up")))
    assert r.checks[0]["message"].startswith("Prometheus query to %s/api/v1/query: " % base)


def test_chk_33_missing_url_or_query(tmp_path):
    r = run_config(tmp_path, "retries: 2\nchecks:\n"
                             "  - name: nourl\n    type: prometheus\n    query: up\n"
                             "  - name: noquery\n    type: prometheus\n    url: http://127.0.0.1:9/\n"
                             "  - name: neither\n    type: prometheus\n")
    assert r.message("nourl") == "prometheus check requires a 'url' field"
    assert r.message("noquery") == "prometheus check requires a 'query' field"
    assert r.message("neither") == "prometheus check requires a 'url' field"
