"""assay.loki (spec stdlib/loki.md, LOKI-01..19) against the shared Loki fake (fakes.FakeLoki),
which stores pushed streams and answers queries, labels and series from them."""
import re
import time

from fakes import loki, loki_server, lua_with  # noqa: F401 (fixtures)

REQ = 'local loki = require("assay.loki")\n'


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def test_loki_01_module_shape(lua):
    assert lua(REQ + 'return type(loki.client), type(loki.selector)') == ("function", "function")


def test_loki_02_trailing_slashes_stripped(lua, loki):
    assert run(lua, 'return loki.client("$URL///"):ready()', loki.url) is True
    assert loki.last().target == "/ready"
    assert run(lua, 'return loki.client("$URL/").url', loki.url) == loki.url


def test_loki_03_ready_true(lua, loki):
    assert run(lua, 'return loki.client("$URL"):ready()', loki.url) is True
    assert loki.last().method == "GET"


def test_loki_04_ready_false_on_503(lua, loki):
    loki.fail("GET", "/ready", 503, "Ingester not ready")
    assert run(lua, 'return loki.client("$URL"):ready()', loki.url) is False


def test_loki_05_push_string_entries(lua, loki):
    before = time.time_ns()
    assert run(lua, 'return loki.client("$URL"):push({app = "web"}, {"a", "b", "c"})', loki.url) is True
    after = time.time_ns()
    req = loki.last("/loki/api/v1/push")
    assert req.method == "POST"
    values = loki.streams[0]["values"]
    assert [line for _, line in values] == ["a", "b", "c"]
    for ts, _ in values:
        assert re.fullmatch(r"\d{19}", ts), ts
        assert before - 10**9 <= int(ts) <= after + 10**9


def test_loki_06_push_timestamp_pairs(lua, loki):
    assert run(lua, '''return loki.client("$URL"):push({app = "web"},
        {{1234567890000000000, "first"}, {"1234567891000000000", "second"}})''', loki.url) is True
    assert loki.streams[0]["values"] == [["1234567890000000000", "first"], ["1234567891000000000", "second"]]


def test_loki_07_push_body_and_content_type(lua, loki):
    run(lua, 'return loki.client("$URL"):push({app = "web", env = "prod"}, {{1700000000000000000, "x"}})', loki.url)
    req = loki.last("/loki/api/v1/push")
    assert req.header("Content-Type") == "application/json"
    assert req.json() == {"streams": [{"stream": {"app": "web", "env": "prod"},
                                       "values": [["1700000000000000000", "x"]]}]}
    run(lua, 'return loki.client("$URL"):push({}, {})', loki.url)
    assert loki.last("/loki/api/v1/push").json() == {"streams": [{"stream": {}, "values": []}]}


def test_loki_08_push_non_204_raises(lua_fails, loki):
    loki.fail("POST", "/loki/api/v1/push", 400, "entry out of order")
    msg = lua_fails(REQ + 'loki.client("%s"):push({app = "a"}, {"x"})' % loki.url)
    assert "loki: POST /loki/api/v1/push HTTP 400: entry out of order" in msg
    loki.set("POST", "/loki/api/v1/push", 200, "ok", "text/plain")  # only 204 counts
    msg = lua_fails(REQ + 'loki.client("%s"):push({app = "a"}, {"x"})' % loki.url)
    assert "loki: POST /loki/api/v1/push HTTP 200: ok" in msg


def test_loki_09_query(lua, loki):
    result = run(lua, '''local c = loki.client("$URL")
        c:push({app = "api"}, {{1700000000000000000, "hello"}})
        c:push({app = "web"}, {{1700000000000000001, "other"}})
        return c:query([[{app="api"} |= "hello"]], {limit = 10, time = 1700000000, direction = "backward"})''',
                 loki.url)
    assert result == [{"stream": {"app": "api"}, "values": [["1700000000000000000", "hello"]]}]
    req = loki.last("/loki/api/v1/query")
    assert req.method == "GET"
    assert req.query_keys == ["query", "limit", "time", "direction"]
    assert req.query == {"query": ['{app="api"} |= "hello"'], "limit": ["10"], "time": ["1700000000"],
                         "direction": ["backward"]}
    run(lua, 'return loki.client("$URL"):query([[{app="x"}]])', loki.url)
    assert loki.last("/loki/api/v1/query").query_keys == ["query"]


def test_loki_10_query_range(lua, loki):
    result = run(lua, '''local c = loki.client("$URL")
        c:push({job = "j"}, {{1700000000000000000, "line"}})
        return c:query_range([[{job="j"}]], {start = 1699999999, end_time = 1700000001, limit = 5,
                                             step = "1s", direction = "forward"})''', loki.url)
    assert result == [{"stream": {"job": "j"}, "values": [["1700000000000000000", "line"]]}]
    req = loki.last("/loki/api/v1/query_range")
    assert req.query_keys == ["query", "start", "end", "limit", "step", "direction"]
    assert req.query["end"] == ["1700000001"] and "end_time" not in req.query


def test_loki_11_labels(lua, loki):
    names = run(lua, '''local c = loki.client("$URL")
        c:push({app = "a", env = "prod"}, {"x"})
        return c:labels({start = 1, end_time = 2})''', loki.url)
    assert names == ["app", "env"]
    req = loki.last("/loki/api/v1/labels")
    assert req.query_keys == ["start", "end"]
    run(lua, 'return loki.client("$URL"):labels()', loki.url)
    assert loki.last("/loki/api/v1/labels").raw_query == ""


def test_loki_12_label_values(lua, loki):
    values = run(lua, '''local c = loki.client("$URL")
        c:push({app = "web"}, {"x"}); c:push({app = "api"}, {"y"})
        return c:label_values("app")''', loki.url)
    assert values == ["api", "web"]
    assert loki.last().path == "/loki/api/v1/label/app/values"
    run(lua, 'return loki.client("$URL"):label_values("app", {start = 5, end_time = 6})', loki.url)
    assert loki.last().query == {"start": ["5"], "end": ["6"]}


def test_loki_13_series(lua, loki):
    series = run(lua, '''local c = loki.client("$URL")
        c:push({app = "web", env = "prod"}, {"x"}); c:push({app = "api"}, {"y"})
        return c:series({[[{app="web"}]], [[{app="api"}]]}, {start = 1, end_time = 2})''', loki.url)
    assert series == [{"app": "web", "env": "prod"}, {"app": "api"}]
    req = loki.last("/loki/api/v1/series")
    assert req.query_keys == ["match[]", "match[]", "start", "end"]
    assert req.query["match[]"] == ['{app="web"}', '{app="api"}']


def test_loki_14_tail_returns_whole_body(lua, loki):
    body = run(lua, '''local c = loki.client("$URL")
        c:push({app = "t"}, {{1700000000000000000, "tailed"}})
        return c:tail([[{app="t"}]], {limit = 1, start = 1700000000})''', loki.url)
    assert body == {"streams": [{"stream": {"app": "t"}, "values": [["1700000000000000000", "tailed"]]}],
                    "dropped_entries": []}
    assert loki.last().query_keys == ["query", "limit", "start"]


def test_loki_15_metrics_raw_text(lua, loki):
    text = run(lua, 'return loki.client("$URL"):metrics()', loki.url)
    assert text.startswith("# HELP loki_build_info") and 'loki_build_info{version="2.9.2"} 1\n' in text


def test_loki_16_metrics_error(lua_fails, loki):
    loki.fail("GET", "/metrics", 500, "scrape failed")
    assert "loki: GET /metrics HTTP 500: scrape failed" in lua_fails(REQ + 'loki.client("%s"):metrics()' % loki.url)


def test_loki_17_get_errors_name_the_path_without_query(lua_fails, loki):
    loki.fail("GET", "/loki/api/v1/query", 500, "boom")
    msg = lua_fails(REQ + 'loki.client("%s"):query([[{a="b"}]], {limit = 5})' % loki.url)
    assert re.search(r"assay/\w+\.lua:\d+: loki: GET /loki/api/v1/query HTTP 500: boom$", msg), msg
    for path, call in [("/loki/api/v1/query_range", 'c:query_range("{a=\\"b\\"}")'),
                       ("/loki/api/v1/labels", "c:labels()"),
                       ("/loki/api/v1/label/app/values", 'c:label_values("app")'),
                       ("/loki/api/v1/series", 'c:series({"{a=\\"b\\"}"})'),
                       ("/loki/api/v1/tail", 'c:tail("{a=\\"b\\"}")')]:
        loki.fail("GET", path, 502, "bad gateway")
        msg = lua_fails(REQ + 'local c = loki.client("%s"); %s' % (loki.url, call))
        assert "loki: GET %s HTTP 502: bad gateway" % path in msg, msg


def test_loki_18_selector_single(lua):
    assert lua(REQ + 'return loki.selector({app = "myapp"})') == '{app="myapp"}'


def test_loki_19_selector_two_labels(lua):
    out = lua(REQ + 'return loki.selector({env = "prod", app = "myapp"})')
    assert out.startswith("{") and out.endswith("}")
    assert sorted(out[1:-1].split(",")) == ['app="myapp"', 'env="prod"']
    # spec Note: quotes and backslashes are escaped so the selector stays valid LogQL
    assert lua(REQ + r"""return loki.selector({msg = 'say "hi" \\ bye'})""") == r'{msg="say \"hi\" \\ bye"}'


def test_loki_client_form_with_auth(lua, loki):
    """Issue 12: M.client(url, opts) also takes auth opts (token / username+password)."""
    run(lua, 'local c = loki.client("$URL", {token = "t1"}); c:labels(); c:push({a = "b"}, {"x"})', loki.url)
    assert loki.last("/loki/api/v1/labels").header("Authorization") == "Bearer t1"
    assert loki.last("/loki/api/v1/push").header("Authorization") == "Bearer t1"
    run(lua, 'return loki.client("$URL", {username = "tenant", password = "key"}):ready()', loki.url)
    assert loki.last("/ready").header("Authorization") == "Basic dGVuYW50OmtleQ=="
    run(lua, 'return loki.client("$URL"):ready()', loki.url)
    assert loki.last("/ready").header("Authorization") is None


def test_loki_through_the_assay_command(assay, loki):
    proc = assay("exec", "-e", REQ + '''local c = loki.client("%s")
        c:push({app = "cli"}, {"from the command"})
        local r = c:query('{app="cli"}')
        print(r[1].values[1][2])''' % loki.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "from the command\n"


def test_loki_header_in_context(assay):
    block = assay("context", "loki").stdout.split("### ", 2)[1]
    assert block.startswith("assay.loki\nLoki log aggregation. Push logs, query with LogQL, labels, series, "
                            "tail.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert ("  c.logs:push(stream_labels, entries) -> true | Push log entries to Loki"
            "; flat: c:push(stream_labels, entries)\n") in block


def test_loki_both_generations(lua, loki):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    code = {
        "old": '''local c = loki.client("$URL")
            c:push({app = "$APP"}, {"line one", "line two"})
            local r = c:query('{app="$APP"}')
            local names = c:labels()
            return {#r, #r[1].values, #c:query_range('{app="$APP"}'), c:label_values("app")[1] ~= nil,
                    #names > 0, #c:series({'{app="$APP"}'}), c:ready()}''',
        "new": '''local c = loki.client("$URL")
            c.logs:push({app = "$APP"}, {"line one", "line two"})
            local r = c.queries:instant('{app="$APP"}')
            local names = c.labels:list()
            return {#r, #r[1].values, #c.queries:range('{app="$APP"}'), c.labels:values("app")[1] ~= nil,
                    #names > 0, #c.series:list({'{app="$APP"}'}), c.health:ready()}''',
    }
    results = {gen: run(lua, text, loki.url, APP="gen-" + gen) for gen, text in code.items()}
    assert results["old"] == results["new"] == [1, 2, 1, True, True, 1, True]
