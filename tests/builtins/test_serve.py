"""`http.serve` and Server-Sent Events (builtins.md §2, §2.1): SERVE-01..24, RT-46, RT-34.

The server is the real `assay` command running a script that calls `http.serve(0, ...)`
in its main chunk; a spawned task prints `_SERVER_PORT` once it is set. The tests
drive it with `requests` and raw sockets over 127.0.0.1.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from conftest import ROOT, assay_command, lua_error, run_assay

SERVER = r"""
local hits = 0
local closed_error = "none"
local sent_before_block = 0

local function echo(req)
  return { json = { method = req.method, path = req.path, query = req.query,
                    params = req.params, headers = req.headers, body = req.body } }
end

async.spawn(function()
  while _SERVER_PORT == nil do sleep(0.005) end
  print(_SERVER_PORT)
  io.stdout:flush()
end)

http.serve(0, {
  get = {
    ["/"] = function(req) return { body = "root" } end,
    ["/echo"] = echo,
    ["/p%20q"] = echo,
    ["/port"] = function() return { json = { port = _SERVER_PORT, kind = math.type(_SERVER_PORT) } } end,
    ["/text"] = function() return { body = "plain" } end,
    ["/number-body"] = function() return { body = 42 } end,
    ["/empty"] = function() return {} end,
    ["/json"] = function() return { json = { b = 2, a = { 1, 2.5, "x" }, e = {} } } end,
    ["/json-and-body"] = function() return { json = { j = true }, body = "ignored" } end,
    ["/typed"] = function() return { body = "<p>", headers = { ["Content-Type"] = "text/html" } } end,
    ["/typed-upper"] = function() return { json = { x = 1 }, headers = { ["CONTENT-TYPE"] = "application/x" } } end,
    ["/status"] = function(req)
      local v = req.params.v
      local map = { created = 201, teapot = 418, big = 1000, small = 99, str = "abc", float = 202.0,
                    numstr = "203", neg = -5, bool = true }
      return { status = map[v], body = "s" }
    end,
    ["/cookies"] = function() return { body = "c", headers = { ["Set-Cookie"] = { "a=1", "b=2" },
                                                             ["X-Custom"] = "v" } } end,
    ["/numeric-header"] = function() return { body = "n", headers = { ["X-Int"] = 42, ["X-Float"] = 1.5,
                                                                       ["X-Bool"] = true } } end,
    ["/bad-header-name"] = function() return { body = "x", headers = { ["bad name"] = "v" } } end,
    ["/bad-header-value"] = function() return { body = "x", headers = { ["X-Evil"] = "a\r\nInjected: 1" } } end,
    ["/error"] = function() error("boom") end,
    ["/error-table"] = function() error({ code = 1 }) end,
    ["/nil"] = function() return nil end,
    ["/string"] = function() return "just a string" end,
    ["/same"] = function() return { body = "get same" } end,
    ["/slow"] = function() sleep(0.5) hits = hits + 1 return { body = "slept" } end,
    ["/proxy"] = function()
      local r = http.get("http://127.0.0.1:" .. _SERVER_PORT .. "/json")
      return { status = r.status, body = r.body, headers = { ["Content-Type"] = r.headers["content-type"] } }
    end,
    ["/sse"] = function()
      return { sse = function(send)
        send({ event = "update", data = "a\nb", id = "3" })
        send({ data = "x\r\ny" })
        send({ retry = 1500 })
        send({})
        send({ id = "7", retry = 10, data = "d", event = "e" })
      end }
    end,
    ["/sse-custom"] = function()
      return { status = 201, headers = { ["Cache-Control"] = "no-store", ["X-Stream"] = "1" },
               sse = function(send) send({ data = "one" }) end, json = { ignored = true } }
    end,
    ["/sse-bad"] = function()
      return { sse = function(send)
        local ok1, e1 = pcall(send, { event = "a\nb" })
        local ok2, e2 = pcall(send, { id = "1\r2" })
        send({ data = tostring(ok1) .. "|" .. e1 })
        send({ data = tostring(ok2) .. "|" .. e2 })
      end }
    end,
    ["/sse-forever"] = function()
      return { sse = function(send)
        closed_error = "running"
        local i = 0
        while true do
          i = i + 1
          local ok, err = pcall(send, { data = "tick " .. i })
          if not ok then closed_error = err return end
          sleep(0.02)
        end
      end }
    end,
    ["/sse-closed-status"] = function() return { body = closed_error } end,
    ["/sse-fail"] = function()
      return { sse = function(send) send({ data = "before" }) error("producer kaboom") end }
    end,
    ["/sse-unhandled-close"] = function()
      return { sse = function(send) while true do send({ data = "x" }) sleep(0.02) end end }
    end,
    ["/sse-flood"] = function()
      return { sse = function(send)
        local chunk = string.rep("z", 1000)
        sent_before_block = 0
        for i = 1, 20000 do send({ data = chunk }) sent_before_block = i end
      end }
    end,
    ["/sse-flood-count"] = function() return { body = tostring(sent_before_block) } end,
  },
  POST = {
    ["/echo"] = echo,
    ["/same"] = function(req) return { status = 201, body = "post same: " .. req.body } end,
  },
  Put = {
    ["/same"] = function() return { body = "put same" } end,
  },
})
"""


def _start_server(tmp_path, script=SERVER, name="server.lua"):
    path = tmp_path / name
    path.write_text(script)
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    stderr_path = tmp_path / (name + ".stderr")
    stderr = open(stderr_path, "wb")
    proc = subprocess.Popen(assay_command() + [str(path)], stdout=subprocess.PIPE, stderr=stderr, env=env)
    stderr.close()
    line = proc.stdout.readline()
    if not line:
        proc.wait(5)
        raise AssertionError("server did not start: %s" % stderr_path.read_text())
    return proc, int(line), stderr_path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, port, stderr_path = _start_server(tmp_path_factory.mktemp("serve"))
    yield {"proc": proc, "port": port, "url": "http://127.0.0.1:%d" % port, "stderr": stderr_path}
    proc.kill()
    proc.wait(5)


def raw_exchange(port, data, read_until=None, timeout=5):
    """Send raw bytes, read until the connection closes (or `read_until` appears)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            if read_until is not None and out.count(read_until[0]) >= read_until[1]:
                return out
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return out
            if not chunk:
                return out
            out += chunk


def get(server, path, **kw):
    return requests.get(server["url"] + path, timeout=10, **kw)


def wait_for_log(server, text, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = server["stderr"].read_text()
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError("log line %r not found in:\n%s" % (text, server["stderr"].read_text()))


# ---- arguments and startup --------------------------------------------------------

def test_serve_01_port_must_be_an_integer():
    for bad in ("8080.0", '"8080"', "nil", "true", "{}", "70000", "-1", "65536"):
        assert lua_error("http.serve(%s, {})" % bad) == "http.serve: first argument must be a port number"


def test_serve_02_routes_must_be_a_table():
    for bad in ('"x"', "nil", "5", "print"):
        assert lua_error("http.serve(0, %s)" % bad) == "http.serve: second argument must be a routes table"


def test_serve_02_bad_route_entries_fail_at_startup():
    assert "http.serve:" in lua_error('http.serve(0, { GET = { ["/"] = "not a function" } })')
    assert "http.serve:" in lua_error('http.serve(0, { GET = 5 })')
    assert "http.serve:" in lua_error('http.serve(0, { [1] = {} })')


def test_serve_03_bind_failure():
    blocker = socket.socket()
    blocker.bind(("0.0.0.0", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        r = run_assay("exec", "-e", "http.serve(%d, { GET = {} })" % port, timeout=20)
    finally:
        blocker.close()
    assert r.returncode == 1
    assert "http.serve: bind failed: Address already in use (os error 98)" in r.stderr


def test_serve_03_binds_all_ipv4_interfaces(server):
    listening = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A":  # LISTEN
                address, port = local.split(":")
                listening.add((address, int(port, 16)))
    assert ("00000000", server["port"]) in listening


def test_serve_04_port_zero_sets_server_port(server):
    r = get(server, "/port").json()
    assert r == {"port": server["port"], "kind": "integer"}
    assert server["port"] > 0


def test_rt_46_serve_in_main_chunk_keeps_running(server):
    time.sleep(0.3)
    assert server["proc"].poll() is None
    assert get(server, "/").text == "root"


def test_serve_spawned_server_lives_while_main_runs(tmp_path):
    script = tmp_path / "spawned.lua"
    script.write_text("""
        async.spawn(function() http.serve(0, { GET = { ["/"] = function() return { body = "hi" } end } }) end)
        sleep(0.1)
        local r = http.get("http://127.0.0.1:" .. _SERVER_PORT .. "/")
        print(r.status, r.body)
    """)
    r = run_assay(script, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\thi\n"


def test_serve_spawned_bind_failure_is_logged(tmp_path):
    blocker = socket.socket()
    blocker.bind(("0.0.0.0", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        r = run_assay("exec", "-e", "async.spawn(function() http.serve(%d, {}) end) sleep(0.2)" % port, timeout=20)
    finally:
        blocker.close()
    assert r.returncode == 0
    assert "bind failed" in r.stderr


# ---- dispatch and the request table ---------------------------------------------------

def test_serve_05_method_keys_case_insensitive_paths_exact(server):
    assert get(server, "/").text == "root"          # registered under "get"
    assert requests.put(server["url"] + "/same", timeout=5).text == "put same"  # under "Put"
    assert get(server, "/text?x=1").text == "plain"  # query is not part of the match
    assert get(server, "/text/").status_code == 404  # no trailing-slash folding
    assert get(server, "/TEXT").status_code == 404
    # paths are matched as sent, still percent-encoded
    assert get(server, "/p%20q").json()["path"] == "/p%20q"


def test_serve_06_no_route_is_404_not_found(server):
    for method, path in (("GET", "/nope"), ("DELETE", "/"), ("HEAD", "/")):
        r = requests.request(method, server["url"] + path, timeout=5)
        assert r.status_code == 404
        assert r.headers["content-type"] == "text/plain"
        if method != "HEAD":
            assert r.text == "not found"


def test_serve_07_request_table(server):
    r = requests.post(server["url"] + "/echo?a=1&b=two", data=b"payload", timeout=5,
                      headers={"X-Custom-Header": "Value", "Content-Type": "text/x"}).json()
    assert r["method"] == "POST"
    assert r["path"] == "/echo"
    assert r["query"] == "a=1&b=two"
    assert r["params"] == {"a": "1", "b": "two"}
    assert r["body"] == "payload"
    assert r["headers"]["x-custom-header"] == "Value"
    assert r["headers"]["content-type"] == "text/x"
    assert all(k == k.lower() for k in r["headers"])
    r = get(server, "/echo").json()
    assert r["query"] == ""
    assert r["body"] == ""
    assert r["params"] == []  # an empty table encodes as []


def test_serve_07_repeated_and_non_ascii_request_headers(server):
    raw = raw_exchange(server["port"], b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Rep: 1\r\nX-Rep: 2\r\n"
                                       b"X-Bin: caf\xc3\xa9\r\nConnection: close\r\n\r\n")
    body = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    assert body["headers"]["x-rep"] == "2"
    assert "x-bin" not in body["headers"]


def test_serve_08_params_decoding(server):
    r = get(server, "/echo?eq=%3D&sp=%20x&plus=a+b&utf=%C3%A9&flag&dup=1&dup=2&e=").json()
    assert r["params"] == {"eq": "=", "sp": " x", "plus": "a b", "utf": "é", "flag": "", "dup": "2", "e": ""}
    assert r["query"] == "eq=%3D&sp=%20x&plus=a+b&utf=%C3%A9&flag&dup=1&dup=2&e="


def test_serve_09_handler_calls_yielding_builtin_on_same_server(server):
    r = get(server, "/proxy")
    assert r.status_code == 200
    assert r.json() == {"a": [1, 2.5, "x"], "b": 2, "e": []}


# ---- responses ------------------------------------------------------------------------

def test_serve_10_status_default_and_invalid(server):
    expected = {"created": 201, "teapot": 418, "big": 200, "small": 200, "str": 200, "float": 202,
                "numstr": 203, "neg": 200, "bool": 200, "none": 200}
    for key, status in expected.items():
        assert get(server, "/status?v=" + key).status_code == status, key
    assert get(server, "/text").status_code == 200


def test_serve_11_body_defaults_to_text_plain(server):
    r = get(server, "/text")
    assert (r.text, r.headers["content-type"]) == ("plain", "text/plain")
    r = get(server, "/empty")
    assert (r.content, r.headers["content-type"]) == (b"", "text/plain")
    assert get(server, "/number-body").text == "42"


def test_serve_12_json_responses(server):
    r = get(server, "/json")
    assert r.headers["content-type"] == "application/json"
    assert r.text == '{"a":[1,2.5,"x"],"b":2,"e":[]}'
    r = get(server, "/json-and-body")
    assert r.text == '{"j":true}'


def test_serve_13_user_content_type_wins(server):
    r = get(server, "/typed")
    assert r.headers["content-type"] == "text/html"
    raw = raw_exchange(server["port"], b"GET /typed-upper HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = raw.split(b"\r\n\r\n")[0].decode()
    assert head.lower().count("content-type:") == 1
    assert "content-type: application/x" in head


def test_serve_14_repeated_headers_from_arrays(server):
    raw = raw_exchange(server["port"], b"GET /cookies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = raw.split(b"\r\n\r\n")[0].decode()
    assert "set-cookie: a=1\r\n" in head
    assert "set-cookie: b=2\r\n" in head
    assert "x-custom: v\r\n" in head


def test_serve_15_header_names_lowercase_on_the_wire(server):
    raw = raw_exchange(server["port"], b"GET /cookies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    lines = raw.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    names = [line.split(b":")[0] for line in lines]
    assert names and all(n == n.lower() for n in names)
    assert b"content-length" in names


def test_serve_16_handler_errors_give_500(server):
    r = get(server, "/error")
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/plain"
    assert r.text.startswith("handler error: ")
    assert "boom" in r.text
    for path in ("/nil", "/string", "/error-table"):
        r = get(server, path)
        assert r.status_code == 500, path
        assert r.text.startswith("handler error: "), path
    # the server keeps serving after handler errors
    assert get(server, "/").text == "root"


def test_serve_17_methods_on_same_path_dispatch_independently(server):
    assert get(server, "/same").text == "get same"
    r = requests.post(server["url"] + "/same", data="B", timeout=5)
    assert (r.status_code, r.text) == (201, "post same: B")
    assert requests.put(server["url"] + "/same", timeout=5).text == "put same"
    assert requests.delete(server["url"] + "/same", timeout=5).status_code == 404


def test_serve_18_requests_are_served_concurrently(server):
    results = []

    def one():
        results.append(get(server, "/slow").text)

    start = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["slept"] * 8
    assert time.monotonic() - start < 2.0  # serial would take 4 s


def test_serve_18_keep_alive_and_pipelining(server):
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        for i in range(3):  # sequential requests on one connection
            s.sendall(b"GET /text HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"plain"):
                data += s.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        # two pipelined requests, answered in order
        s.sendall(b"GET /text HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while not data.endswith(b"root"):
            data += s.recv(4096)
        assert data.index(b"plain") < data.index(b"root")
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(server["url"] + "/", timeout=5).text == "root"


def test_serve_request_bodies_chunked_and_expect_continue(server):
    raw = raw_exchange(server["port"], b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                       b"Connection: close\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n")
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["body"] == "abcdefg"
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"hello")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert json.loads(data.split(b"\r\n\r\n", 1)[1])["body"] == "hello"


def test_serve_binary_request_body_is_kept(server):
    r = requests.post(server["url"] + "/same", data=b"\xff\x00\xfe", timeout=5)
    assert r.content == b"post same: \xff\x00\xfe"


def test_serve_http_10_closes_after_response(server):
    raw = raw_exchange(server["port"], b"GET /text HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(b"plain")


def test_serve_malformed_request_gets_400_and_a_log_line(server):
    raw = raw_exchange(server["port"], b"THIS IS NOT HTTP\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400 ")
    wait_for_log(server, "http.serve: connection error: ")


def test_serve_24_invalid_response_headers_give_500(server):
    for path in ("/bad-header-name", "/bad-header-value"):
        r = get(server, path)
        assert r.status_code == 500, path
        assert r.text.startswith("handler error: "), path
        assert "Injected" not in r.headers
    assert server["proc"].poll() is None


def test_serve_24_numeric_header_values_coerced(server):
    r = get(server, "/numeric-header")
    assert r.headers["x-int"] == "42"
    assert r.headers["x-float"] == "1.5"
    assert "x-bool" not in r.headers


# ---- Server-Sent Events ----------------------------------------------------------------

def test_serve_19_sse_default_headers(server):
    r = get(server, "/sse")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["connection"] == "keep-alive"
    assert r.headers["transfer-encoding"] == "chunked"


def test_serve_19_sse_user_headers_and_status_win(server):
    r = get(server, "/sse-custom")
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-stream"] == "1"
    assert r.headers["content-type"] == "text/event-stream"
    assert r.text == "data: one\n\n"  # sse takes precedence over json


def test_serve_20_sse_event_format(server):
    r = get(server, "/sse")
    assert r.text == ("event: update\ndata: a\ndata: b\nid: 3\n\n"
                      "data: x\r\ndata: y\n\n"
                      "retry: 1500\n\n"
                      "\n"
                      "event: e\ndata: d\nid: 7\nretry: 10\n\n")


def test_serve_21_sse_newlines_in_event_and_id_rejected(server):
    r = get(server, "/sse-bad")
    assert r.text == ("data: false|SSE event name must not contain newlines\n\n"
                      "data: false|SSE id must not contain newlines\n\n")


def test_serve_22_sse_send_after_disconnect_raises(server):
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        s.sendall(b"GET /sse-forever HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"tick 2" not in data:
            data += s.recv(4096)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = get(server, "/sse-closed-status").text
        if status not in ("running", "none"):
            break
        time.sleep(0.05)
    assert status == "SSE stream closed"


def test_serve_22_sse_stream_ends_when_producer_returns(server):
    start = time.monotonic()
    with requests.get(server["url"] + "/sse", stream=True, timeout=5) as r:
        body = b"".join(r.iter_content(None))
    assert body.endswith(b"retry: 10\n\n")
    assert time.monotonic() - start < 3
    # the connection stays usable after the stream completed
    raw = raw_exchange(server["port"], b"GET /sse-custom HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n"
                                       b"Connection: close\r\n\r\n")
    assert raw.count(b"HTTP/1.1 ") == 2
    assert raw.endswith(b"root")


def test_serve_23_sse_producer_errors_are_logged(server):
    r = get(server, "/sse-fail")
    assert r.text == "data: before\n\n"
    log = wait_for_log(server, "http.serve SSE: handler error: ")
    line = [l for l in log.splitlines() if "http.serve SSE: handler error: " in l][0]
    assert "producer kaboom" in line
    assert "ERROR" in line


def test_serve_23_sse_closed_error_is_not_logged(server):
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        s.sendall(b"GET /sse-unhandled-close HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"data: x") < 2:
            data += s.recv(4096)
    time.sleep(0.3)
    assert "SSE stream closed" not in server["stderr"].read_text()


def test_serve_sse_buffer_is_bounded(server):
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=10) as s:
        s.sendall(b"GET /sse-flood HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.8)  # not reading: the producer must block once the buffers are full
        blocked_at = int(get(server, "/sse-flood-count").text)
        assert 0 < blocked_at < 20000
        received = 0
        s.settimeout(10)
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            received += chunk.count(b"data: ")
            if chunk.endswith(b"0\r\n\r\n"):
                break
    assert received == 20000
    assert int(get(server, "/sse-flood-count").text) == 20000


def test_rt_34_sse_and_handlers_interleave(server):
    # a long-running stream does not stop other requests
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        s.sendall(b"GET /sse-forever HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(4096)
        start = time.monotonic()
        assert get(server, "/").text == "root"
        assert time.monotonic() - start < 1


def test_rt_67_spawned_server_in_process_runtimes(capfd, caplog):
    """RT-67 / RT-44: servers inside spawned tasks work in in-process runtimes (as check
    scripts use them) and are torn down quietly with the runtime, repeatedly."""
    import gc
    from conftest import lua_values
    for _ in range(5):
        body = lua_values("""
            local routes = {}
            for i = 1, 50 do routes["/" .. i] = function(req) return { body = "r" .. i .. req.query } end end
            async.spawn(function() http.serve(0, { GET = routes }) end)
            sleep(0.02)
            local base = "http://127.0.0.1:" .. _SERVER_PORT
            local r = http.get(base .. "/7?q")
            local keep = http.client()  -- an idle keep-alive connection stays open at shutdown
            keep:get(base .. "/1")
            return r.body
        """)
        assert body == "r7q"
        gc.collect()
    err = capfd.readouterr().err + "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" not in err
    assert "Exception in callback" not in err
    assert "Task was destroyed" not in err
