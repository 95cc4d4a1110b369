"""Checks mode 2 keeps every 0.8.3 config working exactly as before.

The golden report below was produced by assay before checks mode 2 existed (the
same config, same servers); only the timings are normalised. Any change in the
JSON a 0.8.3 config prints — a key, an order, a message, the indentation — fails.
"""
import re

from checkhelpers import run_config, write
from fakes import FakeService, Response

CONFIG_083 = """
timeout: 60s
retries: 1
backoff: 10ms
parallel: false
checks:
  - name: up
    type: http
    url: {base}/health
  - name: down
    type: http
    url: {base}/down
  - name: json holds
    type: http
    url: {base}/health
    expect:
      status: 200
      body: healthy
      json: .db.conns == 3
  - name: json fails
    type: http
    url: {base}/health
    expect:
      json: '.status == "sick"'
  - name: not json
    type: http
    url: {base}/text
    expect:
      json: .a == 1
  - name: redirect kept
    type: http
    url: {base}/old
    follow_redirects: false
    expect:
      status: 302
  - name: prometheus value
    type: prometheus
    url: {base}/
    query: up
  - name: prometheus min
    type: prometheus
    url: {base}
    query: up
    expect:
      min: 2
  - name: no url
    type: http
  - name: lua passes
    type: script
    file: ok.lua
    env: {{PORT: 8080}}
  - name: lua fails
    type: script
    file: bad.lua
  - name: "ünïcode — body"
    type: http
    url: {base}/health
    expect:
      body: "naïve"
"""

GOLDEN_083 = """{
  "passed": false,
  "checks": [
    {
      "name": "up",
      "passed": true,
      "duration_ms": 0,
      "message": null
    },
    {
      "name": "down",
      "passed": false,
      "duration_ms": 0,
      "message": "expected 2xx, got 503"
    },
    {
      "name": "json holds",
      "passed": true,
      "duration_ms": 0,
      "message": null
    },
    {
      "name": "json fails",
      "passed": false,
      "duration_ms": 0,
      "message": "JSON expression failed: .status == \\"sick\\""
    },
    {
      "name": "not json",
      "passed": false,
      "duration_ms": 0,
      "message": "response body is not valid JSON: Expecting value at line 1 column 1"
    },
    {
      "name": "redirect kept",
      "passed": true,
      "duration_ms": 0,
      "message": null
    },
    {
      "name": "prometheus value",
      "passed": true,
      "duration_ms": 0,
      "message": "query returned: 1"
    },
    {
      "name": "prometheus min",
      "passed": false,
      "duration_ms": 0,
      "message": "expected min 2, got 1"
    },
    {
      "name": "no url",
      "passed": false,
      "duration_ms": 0,
      "message": "http check requires a 'url' field"
    },
    {
      "name": "lua passes",
      "passed": true,
      "duration_ms": 0,
      "message": null
    },
    {
      "name": "lua fails",
      "passed": false,
      "duration_ms": 0,
      "message": "bad.lua:2: boom"
    },
    {
      "name": "ünïcode — body",
      "passed": false,
      "duration_ms": 0,
      "message": "body does not contain \\"naïve\\""
    }
  ],
  "duration_ms": 0
}
"""


class Canned(FakeService):
    name = "canned"

    def route(self, request):
        if request.path == "/health":
            return Response(200, '{"status":"healthy","db":{"conns":3}}')
        if request.path == "/down":
            return Response(503, "down", "text/plain")
        if request.path == "/text":
            return Response(200, "plain text", "text/plain")
        if request.path == "/old":
            return Response(302, "", "text/plain")
        if request.path == "/api/v1/query":
            return Response(200, '{"status":"success","data":{"resultType":"vector",'
                                 '"result":[{"metric":{},"value":[1700000000,"1"]}]}}')
        return Response(404, "", "text/plain")


def normalise(text):
    return re.sub(r'"duration_ms": \d+', '"duration_ms": 0', text)


def test_chk2_083_config_prints_byte_identical_json(tmp_path):
    fake = Canned()
    try:
        write(tmp_path, "ok.lua", 'assert(env.get("PORT") == "8080")\n')
        write(tmp_path, "bad.lua", "local x = 1\nerror('boom')\n")
        r = run_config(tmp_path, CONFIG_083.format(base=fake.url))
    finally:
        fake.close()
    assert r.code == 1, r
    assert normalise(r.stdout) == GOLDEN_083
    # and nothing but warnings-free logs: a 0.8.3 config without unknown keys is not nagged
    assert " WARN " not in r.stderr
