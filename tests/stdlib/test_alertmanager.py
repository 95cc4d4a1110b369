"""assay.alertmanager (spec stdlib/alertmanager.md, ALERTMANAGER-01..19) against a real
Alertmanager. Every test posts alerts under its own alert name, so tests do not depend on
each other. Exact request shapes (parameter order, bodies) are checked with the recording
fake service.
"""
import re
import uuid
from datetime import datetime

from fakes import lua_with, recorder, recorder_server  # noqa: F401 (fixtures)

REQ = 'local am = require("assay.alertmanager")\n'
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def unique(prefix="Test"):
    return prefix + uuid.uuid4().hex[:10]


def post(lua, url, name, **labels):
    labels = dict(labels, alertname=name)
    fields = ", ".join('%s = "%s"' % kv for kv in labels.items())
    return run(lua, 'return am.post_alerts("$URL", {{labels = {%s}, annotations = {summary = "s"}}})'
               % fields, url)


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_alertmanager_01_module_functions_take_url_first(lua, alertmanager):
    names = run(lua, '''local names = {}
        for k, v in pairs(am) do assert(type(v) == "function", k); names[#names + 1] = k end
        table.sort(names); return names''', alertmanager.url)
    assert names == sorted(["alerts", "post_alerts", "alert_groups", "silences", "silence", "create_silence",
                            "delete_silence", "status", "receivers", "is_firing", "silence_alert",
                            "active_count", "client"])  # client: issue 12, in addition to the spec shape
    assert run(lua, 'return am.receivers("$URL")[1].name, am.status("$URL").cluster.status',
               alertmanager.url) == ("default", "disabled")


def test_alertmanager_02_trailing_slashes_stripped(lua, alertmanager, recorder):
    assert run(lua, 'return am.receivers("$URL///")[2].name', alertmanager.url) == "team-x"
    recorder.set("GET", "/api/v2/alerts", body="[]")
    run(lua, 'return am.alerts("$URL///")', recorder.url)
    assert recorder.last().target == "/api/v2/alerts"


def test_alertmanager_03_alerts_returns_parsed_array(lua, alertmanager):
    name = unique()
    post(lua, alertmanager.url, name, severity="warning")
    alerts = run(lua, 'return am.alerts("$URL", {filter = {[[alertname="$N"]]}})', alertmanager.url, N=name)
    assert len(alerts) == 1
    assert alerts[0]["labels"] == {"alertname": name, "severity": "warning"}
    assert alerts[0]["status"]["state"] == "active" and alerts[0]["fingerprint"]
    every = run(lua, 'return am.alerts("$URL")', alertmanager.url)
    assert name in [a["labels"]["alertname"] for a in every]


def test_alertmanager_04_empty_array(lua, alertmanager):
    assert run(lua, 'local a = am.alerts("$URL", {filter = {[[alertname="nothing-here"]]}}); '
                    'return type(a), #a', alertmanager.url) == ("table", 0)


def test_alertmanager_05_alerts_query_params(lua, alertmanager, recorder):
    recorder.set("GET", "/api/v2/alerts", body="[]")
    run(lua, '''return am.alerts("$URL", {receiver = "team-x", filter = {[[alertname="A"]], [[env=~"prod|stage"]]},
        unprocessed = false, inhibited = false, silenced = true, active = true})''', recorder.url)
    req = recorder.last()
    assert req.query_keys == ["active", "silenced", "inhibited", "unprocessed", "filter", "filter", "receiver"]
    assert req.query == {"active": ["true"], "silenced": ["true"], "inhibited": ["false"],
                         "unprocessed": ["false"], "filter": ['alertname="A"', 'env=~"prod|stage"'],
                         "receiver": ["team-x"]}
    run(lua, 'return am.alerts("$URL", {silenced = false})', recorder.url)
    assert recorder.last().raw_query == "silenced=false"
    run(lua, 'return am.alerts("$URL", {})', recorder.url)
    assert recorder.last().target == "/api/v2/alerts"
    # the real Alertmanager accepts the encoded matchers and filters by them
    name = unique()
    post(lua, alertmanager.url, name, team="x")
    found = run(lua, '''return am.alerts("$URL", {active = true, silenced = false, inhibited = false,
        unprocessed = false, filter = {[[alertname="$N"]], [[team=~"x|y"]]}, receiver = "team-x"})''',
                alertmanager.url, N=name)
    assert [a["labels"]["alertname"] for a in found] == [name]


def test_alertmanager_06_post_alerts(lua, alertmanager, recorder):
    name = unique()
    assert post(lua, alertmanager.url, name) is True
    assert run(lua, 'return am.is_firing("$URL", "$N")', alertmanager.url, N=name) is True
    recorder.set("POST", "/api/v2/alerts", body=b"", content_type=None)
    assert run(lua, 'return am.post_alerts("$URL", {{labels = {alertname = "X"}, '
                    'startsAt = "2026-01-01T00:00:00Z", generatorURL = "http://g"}})', recorder.url) is True
    req = recorder.last()
    assert req.method == "POST" and req.path == "/api/v2/alerts"
    assert req.header("Content-Type") == "application/json"
    assert req.json() == [{"labels": {"alertname": "X"}, "startsAt": "2026-01-01T00:00:00Z",
                           "generatorURL": "http://g"}]
    run(lua, 'return am.post_alerts("$URL", {})', recorder.url)
    assert recorder.last().body == b"[]"  # an empty alert list stays a JSON array


def test_alertmanager_07_alert_groups(lua, alertmanager, recorder):
    name = unique()
    post(lua, alertmanager.url, name)
    groups = run(lua, 'return am.alert_groups("$URL", {filter = {[[alertname="$N"]]}})', alertmanager.url, N=name)
    assert len(groups) == 1
    assert groups[0]["labels"] == {"alertname": name}
    assert groups[0]["receiver"]["name"] == "default"
    assert [a["labels"]["alertname"] for a in groups[0]["alerts"]] == [name]
    recorder.set("GET", "/api/v2/alerts/groups", body="[]")
    run(lua, 'return am.alert_groups("$URL", {active = true, unprocessed = true, receiver = "r", '
             'filter = {"a=b"}})', recorder.url)
    assert recorder.last().query_keys == ["active", "filter", "receiver"]


def test_alertmanager_08_silences(lua, alertmanager, recorder):
    name = unique()
    sid = run(lua, 'return am.silence_alert("$URL", "$N", 1)', alertmanager.url, N=name)
    silences = run(lua, 'return am.silences("$URL", {filter = {[[alertname="$N"]]}})', alertmanager.url, N=name)
    assert [s["id"] for s in silences] == [sid]
    assert silences[0]["status"]["state"] == "active"
    assert silences[0]["matchers"][0]["value"] == name
    assert sid in [s["id"] for s in run(lua, 'return am.silences("$URL")', alertmanager.url)]
    recorder.set("GET", "/api/v2/silences", body="[]")
    run(lua, 'return am.silences("$URL", {active = true, filter = {"a=b", "c=d"}})', recorder.url)
    assert recorder.last().query_keys == ["filter", "filter"]
    assert recorder.last().query["filter"] == ["a=b", "c=d"]


def test_alertmanager_09_silence_by_id(lua, alertmanager, recorder):
    name = unique()
    sid = run(lua, 'return am.silence_alert("$URL", "$N", 2)', alertmanager.url, N=name)
    silence = run(lua, 'return am.silence("$URL", "$ID")', alertmanager.url, ID=sid)
    assert silence["id"] == sid and silence["matchers"][0]["name"] == "alertname"
    recorder.set("GET", "/api/v2/silence/abc-123", body='{"id": "abc-123"}')
    assert run(lua, 'return am.silence("$URL", "abc-123")', recorder.url) == {"id": "abc-123"}


def test_alertmanager_10_create_silence(lua, alertmanager, recorder):
    name = unique()
    created = run(lua, '''return am.create_silence("$URL", {
        matchers = {{name = "alertname", value = "$N", isRegex = false, isEqual = true}},
        startsAt = "2026-01-01T00:00:00Z", endsAt = "2099-01-01T00:00:00Z",
        createdBy = "tester", comment = "maintenance"})''', alertmanager.url, N=name)
    assert set(created) == {"silenceID"}
    silence = run(lua, 'return am.silence("$URL", "$ID")', alertmanager.url, ID=created["silenceID"])
    assert silence["createdBy"] == "tester" and silence["comment"] == "maintenance"
    recorder.set("POST", "/api/v2/silences", body='{"silenceID":"s-1"}')
    out = run(lua, 'return am.create_silence("$URL", {comment = "c", matchers = {}})', recorder.url)
    assert out == {"silenceID": "s-1"}
    req = recorder.last()
    assert req.method == "POST" and req.header("Content-Type") == "application/json"
    assert req.json() == {"comment": "c", "matchers": []}


def test_alertmanager_11_delete_silence(lua, alertmanager, recorder):
    sid = run(lua, 'return am.silence_alert("$URL", "$N", 1)', alertmanager.url, N=unique())
    assert run(lua, 'return am.delete_silence("$URL", "$ID")', alertmanager.url, ID=sid) is True
    assert run(lua, 'return am.silence("$URL", "$ID").status.state', alertmanager.url, ID=sid) == "expired"
    recorder.set("DELETE", "/api/v2/silence/x-1", body=b"")
    assert run(lua, 'return am.delete_silence("$URL", "x-1")', recorder.url) is True
    assert recorder.last().method == "DELETE"


def test_alertmanager_12_status(lua, alertmanager):
    status = run(lua, 'return am.status("$URL")', alertmanager.url)
    assert status["cluster"]["status"] == "disabled"
    assert re.match(r"\d+\.\d+\.\d+", status["versionInfo"]["version"])
    assert "team-x" in status["config"]["original"] and status["uptime"]


def test_alertmanager_13_receivers_in_order(lua, alertmanager):
    assert run(lua, 'return am.receivers("$URL")', alertmanager.url) == [{"name": "default"}, {"name": "team-x"}]


def test_alertmanager_14_is_firing_true(lua, alertmanager, recorder):
    name = unique()
    post(lua, alertmanager.url, name)
    assert run(lua, 'return am.is_firing("$URL", "$N")', alertmanager.url, N=name) is True
    recorder.set("GET", "/api/v2/alerts", body='[{"labels": {"alertname": "X"}}]')
    assert run(lua, 'return am.is_firing("$URL", "X")', recorder.url) is True
    req = recorder.last()
    assert req.query_keys == ["active", "silenced", "inhibited", "filter"]
    assert req.query == {"active": ["true"], "silenced": ["false"], "inhibited": ["false"],
                         "filter": ['alertname="X"']}


def test_alertmanager_15_is_firing_false(lua, alertmanager):
    assert run(lua, 'return am.is_firing("$URL", "$N")', alertmanager.url, N=unique()) is False


def test_alertmanager_16_active_count(lua, alertmanager, recorder):
    before = run(lua, 'return am.active_count("$URL")', alertmanager.url)
    tag = unique()
    for i in range(3):
        post(lua, alertmanager.url, "%s_%d" % (tag, i))
    assert run(lua, 'return am.active_count("$URL")', alertmanager.url) == before + 3
    recorder.set("GET", "/api/v2/alerts", body="[{}, {}, {}]")
    assert run(lua, 'return am.active_count("$URL")', recorder.url) == 3
    assert recorder.last().raw_query == "active=true&silenced=false&inhibited=false"


def test_alertmanager_17_silence_alert_with_opts(lua, alertmanager):
    name = unique()
    post(lua, alertmanager.url, name)
    sid = run(lua, 'return am.silence_alert("$URL", "$N", 1, {created_by = "ops", comment = "deploy"})',
              alertmanager.url, N=name)
    silence = run(lua, 'return am.silence("$URL", "$ID")', alertmanager.url, ID=sid)
    assert silence["matchers"] == [{"name": "alertname", "value": name, "isRegex": False, "isEqual": True}]
    assert silence["createdBy"] == "ops" and silence["comment"] == "deploy"
    # the silence works: the alert is no longer firing
    assert run(lua, 'return am.is_firing("$URL", "$N")', alertmanager.url, N=name) is False


def test_alertmanager_18_silence_alert_defaults_and_times(lua, alertmanager, recorder):
    recorder.set("POST", "/api/v2/silences", body='{"silenceID":"sid-9"}')
    assert run(lua, 'return am.silence_alert("$URL", "Disk", 2)', recorder.url) == "sid-9"
    req = recorder.last()
    assert req.path == "/api/v2/silences"
    body = req.json()
    assert body["createdBy"] == "assay" and body["comment"] == "Silenced by assay"
    assert body["matchers"] == [{"name": "alertname", "value": "Disk", "isRegex": False, "isEqual": True}]
    # RFC 3339 (spec Note), exactly duration_hours * 3600 s apart
    assert RFC3339.match(body["startsAt"]) and RFC3339.match(body["endsAt"])
    delta = parse_time(body["endsAt"]) - parse_time(body["startsAt"])
    assert delta.total_seconds() == 7200
    assert abs(parse_time(body["startsAt"]).timestamp() - datetime.now().timestamp()) < 60
    run(lua, 'return am.silence_alert("$URL", "Disk", 0.5)', recorder.url)
    body = recorder.last().json()
    assert (parse_time(body["endsAt"]) - parse_time(body["startsAt"])).total_seconds() == 1800
    # the real Alertmanager accepts the silence
    sid = run(lua, 'return am.silence_alert("$URL", "$N", 3)', alertmanager.url, N=unique())
    real = run(lua, 'return am.silence("$URL", "$ID")', alertmanager.url, ID=sid)
    assert real["createdBy"] == "assay" and real["comment"] == "Silenced by assay"
    span = (parse_time(real["endsAt"]) - parse_time(real["startsAt"])).total_seconds()
    assert abs(span - 3 * 3600) < 2


def test_alertmanager_19_http_errors(lua_fails, alertmanager, recorder):
    missing = "00000000-0000-0000-0000-000000000000"
    msg = lua_fails(REQ + 'am.silence("%s", "%s")' % (alertmanager.url, missing))
    assert re.search(r"assay/\w+\.lua:\d+: alertmanager\.silence: HTTP 404: ", msg), msg
    recorder.fail("GET", "/api/v2/alerts", 500, "internal error")
    assert "alertmanager.alerts: HTTP 500: internal error" in lua_fails(REQ + 'am.alerts("%s")' % recorder.url)
    # is_firing and active_count report the alerts call that failed
    assert "alertmanager.alerts: HTTP 500: internal error" in lua_fails(REQ + 'am.is_firing("%s", "X")' % recorder.url)
    assert "alertmanager.alerts: HTTP 500: internal error" in lua_fails(REQ + 'am.active_count("%s")' % recorder.url)
    calls = {"post_alerts": "am.post_alerts(u, {{labels = {a = 'b'}}})", "alert_groups": "am.alert_groups(u)",
             "silences": "am.silences(u)", "create_silence": "am.create_silence(u, {comment = 'x'})",
             "delete_silence": "am.delete_silence(u, 'x')", "status": "am.status(u)",
             "receivers": "am.receivers(u)", "silence_alert": "am.silence_alert(u, 'A', 1)"}
    for fn, call in calls.items():
        msg = lua_fails(REQ + 'local u = "%s"; %s' % (recorder.url, call))
        expected = "create_silence" if fn == "silence_alert" else fn
        assert "alertmanager.%s: HTTP 404: " % expected in msg, (fn, msg)
    # a 201 is not 200: still an error
    recorder.set("POST", "/api/v2/silences", status=201, body='{"silenceID":"x"}')
    assert 'alertmanager.create_silence: HTTP 201: {"silenceID":"x"}' in lua_fails(
        REQ + 'am.create_silence("%s", {comment = "x"})' % recorder.url)


def test_alertmanager_client_form(lua, alertmanager, recorder):
    """Issue 12: M.client(url, opts) binds the URL and auth; c:fn(...) == M.fn(url, ...)."""
    name = unique()
    out = run(lua, '''local c = am.client("$URL/", {token = "t"})
        assert(c:post_alerts({{labels = {alertname = "$N"}}}))
        local names = {}
        for _, r in ipairs(c:receivers()) do names[#names + 1] = r.name end
        local sid = c:silence_alert("$N", 1)
        return table.concat(names, ","), c:is_firing("$N"), c:silence(sid).id == sid,
               c:status().cluster.status, #c:alerts({filter = {[[alertname="$N"]]}})''',
              alertmanager.url, N=name)
    assert out == ("default,team-x", False, True, "disabled", 1)
    recorder.set("GET", "/api/v2/receivers", body='[{"name":"r"}]')
    run(lua, 'return am.client("$URL", {username = "admin", password = "pw"}):receivers()', recorder.url)
    assert recorder.last().header("Authorization") == "Basic YWRtaW46cHc="
    run(lua, 'return am.client("$URL", {api_key = "k"}):receivers()', recorder.url)
    assert recorder.last().header("Authorization") == "Bearer k"


def test_alertmanager_header_in_context(assay):
    out = assay("context", "alertmanager").stdout
    block = out.split("### ", 2)[1]
    assert block.startswith("assay.alertmanager\nAlertmanager alert and silence management. Query, create, "
                            "and delete alerts and silences.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert ("  c.silences:silence_alert(alertname, duration_hours, opts?) -> silenceID | Silence an alert by name"
            "; flat: c:silence_alert(alertname, duration_hours, opts?)\n") in block
    assert "assay._http" not in assay("modules").stdout


def test_alertmanager_both_generations(lua, alertmanager):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the real Alertmanager."""
    script = {
        "old": '''local c = am.client("$URL")
            assert(c:post_alerts({{labels = {alertname = "$N"}}}))
            local receivers = {}
            for _, r in ipairs(c:receivers()) do receivers[#receivers + 1] = r.name end
            local firing = c:is_firing("$N")
            local sid = c:silence_alert("$N", 1)
            local got = c:silence(sid).id == sid
            local listed = #c:silences({filter = {[[alertname="$N"]]}})
            c:delete_silence(sid)
            return {receivers, firing, got, listed, c:status().cluster.status,
                    #c:alerts({filter = {[[alertname="$N"]]}}), #c:alert_groups() > 0}''',
        "new": '''local c = am.client("$URL")
            assert(c.alerts:post({{labels = {alertname = "$N"}}}))
            local receivers = {}
            for _, r in ipairs(c.receivers:list()) do receivers[#receivers + 1] = r.name end
            local firing = c.alerts:is_firing("$N")
            local sid = c.silences:silence_alert("$N", 1)
            local got = c.silences:get(sid).id == sid
            local listed = #c.silences:list({filter = {[[alertname="$N"]]}})
            c.silences:delete(sid)
            return {receivers, firing, got, listed, c.status:get().cluster.status,
                    #c.alerts:list({filter = {[[alertname="$N"]]}}), #c.alerts:groups() > 0}''',
    }
    results = {gen: run(lua, code, alertmanager.url, N=unique()) for gen, code in script.items()}
    assert results["old"] == results["new"] == [["default", "team-x"], True, True, 1, "disabled", 1, True]
