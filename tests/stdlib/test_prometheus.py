"""assay.prometheus (spec stdlib/prometheus.md, PROM-01..17) against a real Prometheus.

Cases a healthy Prometheus never produces (a 200 answer without `data.result`, a 200 answer
with status "error", a 503 on reload) use the recording fake service instead.
"""
import json
import re
import time

from fakes import lua_with, recorder, recorder_server  # noqa: F401 (fixtures)

REQ = 'local p = require("assay.prometheus")\n'


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def success(data):
    return json.dumps({"status": "success", "data": data})


def test_prom_01_single_result_is_a_number(lua, prometheus):
    assert run(lua, 'return p.query("$URL", "vector(42)")', prometheus.url) == 42
    assert run(lua, 'return math.type(p.query("$URL", "vector(42)"))', prometheus.url) == "integer"


def test_prom_01_single_value_string_42_from_vector_response(lua, recorder):
    recorder.set("GET", "/api/v1/query", body=success(
        {"resultType": "vector", "result": [{"metric": {"__name__": "up"}, "value": [1700000000, "42"]}]}))
    assert run(lua, 'return p.query("$URL", "up")', recorder.url) == 42


def test_prom_01_scalar_result_is_a_number(lua, prometheus):
    # resultType scalar: result is a [ts, "value"] pair (spec Note: return the number)
    assert run(lua, 'return p.query("$URL", "scalar(vector(2.5))")', prometheus.url) == 2.5


def test_prom_02_two_results_are_metric_value_pairs(lua, prometheus):
    promql = ('sort_desc(label_replace(vector(1), "x", "a", "", "") '
              'or label_replace(vector(0), "x", "b", "", ""))')
    result = run(lua, 'return p.query("$URL", [[$Q]])', prometheus.url, Q=promql)
    assert result == [{"metric": {"x": "a"}, "value": 1}, {"metric": {"x": "b"}, "value": 0}]


def test_prom_02_zero_results_is_an_empty_array(lua, prometheus):
    assert run(lua, 'local r = p.query("$URL", "up{job=\\"nope\\"}"); return type(r), #r',
               prometheus.url) == ("table", 0)


def test_prom_03_non_numeric_value_is_returned_raw(lua, prometheus):
    # Lua's tonumber does not accept "NaN": the raw string comes back
    assert run(lua, 'return p.query("$URL", "vector(NaN)")', prometheus.url) == "NaN"
    assert run(lua, 'return p.query("$URL", [["hello"]])', prometheus.url) == "hello"


def test_prom_03_non_numeric_in_multi_results_raw(lua, recorder):
    recorder.set("GET", "/api/v1/query", body=success({"resultType": "vector", "result": [
        {"metric": {"a": "1"}, "value": [1, "abc"]}, {"metric": {"a": "2"}, "value": [1, "7"]}]}))
    assert run(lua, 'return p.query("$URL", "x")', recorder.url) == [
        {"metric": {"a": "1"}, "value": "abc"}, {"metric": {"a": "2"}, "value": 7}]


def test_prom_04_missing_result_is_unexpected_format(lua_fails, recorder):
    recorder.set("GET", "/api/v1/query", body=success({"resultType": "vector"}))
    msg = lua_fails(REQ + 'p.query("%s", "up")' % recorder.url)
    assert "prometheus.query: unexpected response format" in msg
    recorder.set("GET", "/api/v1/query", body=json.dumps({"status": "success"}))
    msg = lua_fails(REQ + 'p.query("%s", "up")' % recorder.url)
    assert "prometheus.query: unexpected response format" in msg


def test_prom_05_query_sends_get_with_encoded_query_param(lua, recorder):
    recorder.set("GET", "/api/v1/query", body=success({"resultType": "vector", "result": []}))
    promql = 'sum(rate(http_requests_total{job="api", code=~"5.."}[5m])) + 1 & x'
    run(lua, 'return p.query("$URL", [[$Q]])', recorder.url, Q=promql)
    req = recorder.last("/api/v1/query")
    assert req.method == "GET"
    assert req.query == {"query": [promql]}
    assert re.fullmatch(r"query=[A-Za-z0-9%._~-]+", req.raw_query), req.raw_query


def test_prom_05_real_prometheus_evaluates_the_promql(lua, prometheus):
    # characters that must be percent-encoded: { } " = + and spaces
    assert run(lua, 'return p.query("$URL", [[count(up{job="prometheus"}) + 41]])', prometheus.url) == 42


def test_prom_06_query_range_returns_matrix(lua, prometheus):
    end = int(time.time())
    result = run(lua, 'return p.query_range("$URL", "up", "$S", "$E", "1s")', prometheus.url,
                 S=end - 30, E=end + 3)
    assert result and result[0]["metric"]["__name__"] == "up"
    assert all(v[1] == "1" for v in result[0]["values"])


def test_prom_06_query_range_params_in_order(lua, recorder):
    recorder.set("GET", "/api/v1/query_range", body=success({"resultType": "matrix", "result": [
        {"metric": {"job": "x"}, "values": [[1234567890, "1"]]}]}))
    out = run(lua, 'return p.query_range("$URL", "up", "1234567890", "1234567900", "10s")', recorder.url)
    assert out == [{"metric": {"job": "x"}, "values": [[1234567890, "1"]]}]
    req = recorder.last()
    assert req.method == "GET" and req.path == "/api/v1/query_range"
    assert req.query_keys == ["query", "start", "end", "step"]
    assert req.query == {"query": ["up"], "start": ["1234567890"], "end": ["1234567900"], "step": ["10s"]}
    run(lua, 'return p.query_range("$URL", "up", nil, nil, "10s")', recorder.url)
    assert recorder.last().query_keys == ["query", "step"]


def test_prom_07_alerts_lists_the_firing_alert(lua, prometheus):
    alerts = run(lua, 'return p.alerts("$URL")', prometheus.url)
    assert [a["labels"]["alertname"] for a in alerts] == ["AlwaysFiring"]
    assert alerts[0]["state"] == "firing" and alerts[0]["labels"]["severity"] == "page"


def test_prom_07_alerts_empty(lua, recorder):
    recorder.set("GET", "/api/v1/alerts", body=success({"alerts": []}))
    assert run(lua, 'local a = p.alerts("$URL"); return type(a), #a', recorder.url) == ("table", 0)


def test_prom_08_targets(lua, prometheus):
    data = run(lua, 'return p.targets("$URL")', prometheus.url)
    assert [t["labels"]["job"] for t in data["activeTargets"]] == ["prometheus"]
    assert data["activeTargets"][0]["health"] == "up"
    assert [t["discoveredLabels"]["job"] for t in data["droppedTargets"]] == ["dropped"]


def test_prom_09_rules_and_type_filter(lua, prometheus):
    groups = run(lua, 'return p.rules("$URL")', prometheus.url)
    assert [g["name"] for g in groups] == ["demo"]
    assert sorted(r["name"] for r in groups[0]["rules"]) == ["AlwaysFiring", "NeverFiring", "job:up:sum"]
    alerting = run(lua, 'return p.rules("$URL", {type = "alert"})', prometheus.url)
    assert sorted(r["name"] for r in alerting[0]["rules"]) == ["AlwaysFiring", "NeverFiring"]
    recording = run(lua, 'return p.rules("$URL", {type = "record"})', prometheus.url)
    assert [r["name"] for r in recording[0]["rules"]] == ["job:up:sum"]


def test_prom_09_rules_type_param_sent(lua, recorder):
    recorder.set("GET", "/api/v1/rules", body=success({"groups": []}))
    run(lua, 'return p.rules("$URL", {type = "alert"})', recorder.url)
    assert recorder.last().raw_query == "type=alert"
    run(lua, 'return p.rules("$URL")', recorder.url)
    assert recorder.last().raw_query == ""


def test_prom_10_label_values(lua, prometheus, recorder):
    assert run(lua, 'return p.label_values("$URL", "job")', prometheus.url) == ["prometheus"]
    recorder.set("GET", "/api/v1/label/job/values", body=success(["a", "b"]))
    assert run(lua, 'return p.label_values("$URL", "job")', recorder.url) == ["a", "b"]
    assert recorder.last().method == "GET"


def test_prom_11_series(lua, prometheus):
    series = run(lua, 'return p.series("$URL", {"up"})', prometheus.url)
    assert series == [{"__name__": "up", "instance": "127.0.0.1:%d" % prometheus.port, "job": "prometheus"}]
    both = run(lua, 'return p.series("$URL", {"up", [[prometheus_build_info{job="prometheus"}]]})',
               prometheus.url)
    assert sorted(s["__name__"] for s in both) == ["prometheus_build_info", "up"]


def test_prom_11_series_match_params_in_order(lua, recorder):
    recorder.set("GET", "/api/v1/series", body=success([]))
    run(lua, 'return p.series("$URL", {"up", [[node_load1{job="n"}]]})', recorder.url)
    req = recorder.last()
    assert req.query_keys == ["match[]", "match[]"]
    assert req.query["match[]"] == ["up", 'node_load1{job="n"}']


def test_prom_13_config_reload_false_on_503(lua, recorder):
    recorder.set("POST", "/-/reload", status=503, body="unavailable", content_type="text/plain")
    assert run(lua, 'return p.config_reload("$URL")', recorder.url) is False
    req = recorder.last("/-/reload")
    assert req.method == "POST" and req.body == b""


def test_prom_14_targets_metadata(lua, prometheus):
    meta = run(lua, 'return p.targets_metadata("$URL", {match_target = [[{job="prometheus"}]], '
                    'metric = "go_goroutines", limit = 1})', prometheus.url)
    assert len(meta) == 1
    assert meta[0]["target"]["job"] == "prometheus" and meta[0]["type"] == "gauge"


def test_prom_14_targets_metadata_params(lua, recorder):
    recorder.set("GET", "/api/v1/targets/metadata", body=success([{"metric": "up"}]))
    out = run(lua, 'return p.targets_metadata("$URL", {limit = 5, metric = "up", '
                   'match_target = [[{job="x"}]]})', recorder.url)
    assert out == [{"metric": "up"}]
    req = recorder.last()
    assert req.query_keys == ["match_target", "metric", "limit"]
    assert req.query == {"match_target": ['{job="x"}'], "metric": ["up"], "limit": ["5"]}
    run(lua, 'return p.targets_metadata("$URL")', recorder.url)
    assert recorder.last().target == "/api/v1/targets/metadata"


def test_prom_15_http_error_message(lua_fails, prometheus, recorder):
    msg = lua_fails(REQ + 'p.query("%s", "sum(")' % prometheus.url)
    assert 'prometheus.query: HTTP 400: {"status":"error","errorType":"bad_data"' in msg
    recorder.set("GET", "/api/v1/alerts", status=500, body="boom", content_type="text/plain")
    assert "prometheus.alerts: HTTP 500: boom" in lua_fails(REQ + 'p.alerts("%s")' % recorder.url)
    for fn, call in [("targets", "p.targets(u)"), ("rules", "p.rules(u)"),
                     ("label_values", 'p.label_values(u, "job")'), ("series", 'p.series(u, {"up"})'),
                     ("query_range", 'p.query_range(u, "up")'), ("targets_metadata", "p.targets_metadata(u)")]:
        msg = lua_fails(REQ + 'local u = "%s"; %s' % (recorder.url, call))
        assert re.search(r"prometheus\.%s: HTTP 404: " % fn, msg), msg


def test_prom_15_error_through_the_assay_command(assay, prometheus):
    proc = assay("exec", "-e", REQ + 'p.query("%s", "sum(")' % prometheus.url)
    assert proc.returncode == 1
    # the report names the script's line once, not the module's line as well
    assert re.search(r" ERROR <eval>:2: prometheus\.query: HTTP 400: ", proc.stderr), proc.stderr


def test_prom_16_status_not_success(lua_fails, recorder):
    recorder.set("GET", "/api/v1/targets", body=json.dumps({"status": "error", "error": "bad thing"}))
    assert "prometheus.targets: bad thing" in lua_fails(REQ + 'p.targets("%s")' % recorder.url)
    recorder.set("GET", "/api/v1/rules", body=json.dumps({"status": "error"}))
    assert "prometheus.rules: unknown error" in lua_fails(REQ + 'p.rules("%s")' % recorder.url)


def test_prom_17_trailing_slashes_stripped(lua, prometheus, recorder):
    assert run(lua, 'return p.query("$URL///", "vector(3)")', prometheus.url) == 3
    recorder.set("GET", "/api/v1/alerts", body=success({"alerts": []}))
    run(lua, 'return p.alerts("$URL//")', recorder.url)
    assert recorder.last().target == "/api/v1/alerts"


def test_prom_client_form_binds_url(lua, prometheus):
    """Issue 12: M.client(url, opts) methods equal the module functions with that URL."""
    same = run(lua, '''
        local c = p.client("$URL/", {token = "t"})
        local a, b = c:targets(), p.targets("$URL")
        return c:query("vector(7)"), a.activeTargets[1].scrapeUrl == b.activeTargets[1].scrapeUrl,
               c:label_values("job")[1], #c:alerts(), c.url''', prometheus.url)
    assert same == (7, True, "prometheus", 1, prometheus.url)


def test_prom_client_form_sends_auth(lua, recorder):
    recorder.set("GET", "/api/v1/targets", body=success({"activeTargets": [], "droppedTargets": []}))
    run(lua, 'return p.client("$URL", {token = "tok"}):targets()', recorder.url)
    assert recorder.last().header("Authorization") == "Bearer tok"
    run(lua, 'return p.client("$URL", {username = "u", password = "p"}):targets()', recorder.url)
    assert recorder.last().header("Authorization") == "Basic dTpw"
    run(lua, 'return p.targets("$URL")', recorder.url)
    assert recorder.last().header("Authorization") is None


def test_prom_header_in_context(assay):
    out = assay("context", "prometheus").stdout
    block = out.split("### assay.prometheus\n", 1)[1]
    assert block.startswith("Prometheus monitoring queries. PromQL instant/range queries, alerts, "
                            "targets, rules, series.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert "  c.queries:instant(promql) -> number|[{metric, value}] | Instant PromQL query; flat: c:query(promql)\n" in block
    for word in ("prometheus", "metric", "observability"):
        first = assay("context", word).stdout.split("### ", 2)[1]
        assert first.startswith("assay.prometheus\n"), (word, first)


def last_reload(prometheus):
    import urllib.request
    text = urllib.request.urlopen(prometheus.url + "/metrics", timeout=5).read().decode()
    return float(re.search(r"^prometheus_config_last_reload_success_timestamp_seconds (\S+)$",
                           text, re.M).group(1))


def test_prom_12_config_reload_true(lua, prometheus):
    # last in this file: a reload restarts the scrape loop
    before = last_reload(prometheus)
    time.sleep(1.1)
    assert run(lua, 'return p.config_reload("$URL")', prometheus.url) is True
    assert last_reload(prometheus) > before


def test_prom_both_generations(lua, prometheus):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the real Prometheus."""
    old = run(lua, '''local c = p.client("$URL")
        local t = c:targets()
        return {c:query("vector(42)"), #c:query_range("vector(1)", time() - 60, time(), 15) , type(c:alerts()),
                type(t.activeTargets), type(c:rules()), type(c:label_values("job")), type(c:series({"up"})),
                type(c:targets_metadata())}''', prometheus.url)
    new = run(lua, '''local c = p.client("$URL")
        local t = c.targets:list()
        return {c.queries:instant("vector(42)"), #c.queries:range("vector(1)", time() - 60, time(), 15),
                type(c.alerts:list()), type(t.activeTargets), type(c.rules:list()), type(c.labels:values("job")),
                type(c.series:list({"up"})), type(c.targets:metadata())}''', prometheus.url)
    assert old == new == [42, 1, "table", "table", "table", "table", "table", "table"]
