"""`http.serve` additions of upstream-delta §1: wildcard routes, binary bodies, the
WebSocket upgrade (`{ws = function(conn) ... end}`), and the server's log lines (debug per
request, error for a handler failure answered 500).

The server is the real `assay` command (the starter of test_serve.py) running with
RUST_LOG=debug; WebSocket clients are websocket-client and raw sockets.
"""
import base64
import os
import socket
import struct

import pytest
import requests

from test_serve import _start_server, raw_exchange, wait_for_log

SERVER = r"""
async.spawn(function()
  while _SERVER_PORT == nil do sleep(0.005) end
  print(_SERVER_PORT)
  io.stdout:flush()
end)

local function tag(name) return function(req) return { body = name .. " " .. req.path } end end

http.serve(0, {
  GET = {
    ["/"] = tag("root"),
    ["/*"] = tag("catch-all"),
    ["/static/*"] = tag("static"),
    ["/static/img/*"] = tag("images"),
    ["/static/img/logo.png"] = tag("exact"),
    ["/bytes"] = function() return { body = "\0\1\2\255\254 end", headers = { ["Content-Type"] = "application/octet-stream" } } end,
    ["/fail"] = function() error("database is down") end,
    ["/echo"] = function(req)
      return { headers = { ["X-Seen-By"] = "assay", ["Sec-WebSocket-Protocol"] = "chat" }, ws = function(conn)
        conn:write("hello " .. (conn.peer_addr:match("^127%.0%.0%.1:%d+$") and "local" or "remote"))
        while true do
          local msg, kind = conn:read()
          if msg == nil then break end
          if msg == "bye" then conn:close(4000, "asked to") break end
          if kind == "binary" then conn:write(msg, { binary = true }) else conn:write(kind .. ":" .. msg) end
        end
      end }
    end,
    ["/ws-fail"] = function() return { ws = function(conn) error("socket handler broke") end } end,
  },
  POST = {
    ["/upload"] = function(req)
      return { body = crypto.hash(req.body, "sha256") .. " " .. #req.body .. " " .. req.body:sub(1, 4),
               headers = { ["Content-Type"] = "application/octet-stream" } }
    end,
  },
})
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("RUST_LOG", "debug")
    try:
        proc, port, stderr_path = _start_server(tmp_path_factory.mktemp("serve2"), SERVER)
    finally:
        mp.undo()
    yield {"proc": proc, "port": port, "url": "http://127.0.0.1:%d" % port, "stderr": stderr_path,
           "ws": "ws://127.0.0.1:%d" % port}
    proc.kill()
    proc.wait(5)


def get(server, path, **kw):
    return requests.get(server["url"] + path, timeout=10, **kw)


def test_wildcard_routes_most_specific_wins(server):
    assert get(server, "/").text == "root /"
    assert get(server, "/static/img/logo.png").text == "exact /static/img/logo.png"
    assert get(server, "/static/img/icons/x.svg").text == "images /static/img/icons/x.svg"
    assert get(server, "/static/css/site.css").text == "static /static/css/site.css"
    assert get(server, "/static/").text == "static /static/"
    assert get(server, "/static").text == "catch-all /static"  # `/static/*` is for paths under it
    assert get(server, "/anything/else?x=1").text == "catch-all /anything/else"
    assert requests.post(server["url"] + "/nowhere", timeout=10).status_code == 404  # per method


def test_binary_bodies_pass_unchanged(server):
    r = get(server, "/bytes")
    assert r.content == b"\x00\x01\x02\xff\xfe end"
    import hashlib
    upload = bytes(range(256)) * 64
    r = requests.post(server["url"] + "/upload", data=upload, timeout=10)
    assert r.content == ("%s %d " % (hashlib.sha256(upload).hexdigest(), len(upload))).encode() + upload[:4]


def test_handler_error_is_answered_500_and_logged_at_error_level(server):
    r = get(server, "/fail")
    assert r.status_code == 500 and "database is down" in r.text
    log = wait_for_log(server, "database is down")
    line = [l for l in log.splitlines() if "database is down" in l][0]
    assert "ERROR http.serve: handler error: " in line and "path=/fail" in line


def test_every_request_is_logged_at_debug_level(server):
    get(server, "/static/x.css?token=s3cret")
    log = wait_for_log(server, "path=/static/x.css")
    line = [l for l in log.splitlines() if "path=/static/x.css" in l][-1]
    assert "DEBUG http.serve request method=GET" in line and "status=200" in line and "duration=" in line
    assert "s3cret" not in log  # secret-looking query values are redacted


def test_websocket_upgrade_echo_binary_and_close(server):
    import websocket
    conn = websocket.create_connection(server["ws"] + "/echo", subprotocols=["chat"], timeout=10)
    try:
        assert conn.getsubprotocol() == "chat"
        assert conn.getheaders()["x-seen-by"] == "assay"
        assert conn.recv() == "hello local"
        conn.send("hi")
        assert conn.recv() == "text:hi"
        conn.send_binary(b"\x00\xffraw")
        opcode, data = conn.recv_data()
        assert (opcode, data) == (websocket.ABNF.OPCODE_BINARY, b"\x00\xffraw")
        big = "x" * 70000  # 64-bit length frames
        conn.send(big)
        assert conn.recv() == "text:" + big
        conn.ping(b"p")
        conn.send("after ping")
        assert conn.recv() == "text:after ping"
        conn.send("bye")
        frame = conn.recv_frame()
        assert frame.opcode == websocket.ABNF.OPCODE_CLOSE
        assert struct.unpack("!H", frame.data[:2])[0] == 4000 and frame.data[2:] == b"asked to"
    finally:
        conn.close()


def test_websocket_client_close_ends_the_handler_and_server_keeps_serving(server):
    import websocket
    conn = websocket.create_connection(server["ws"] + "/echo", timeout=10)
    assert conn.recv() == "hello local"
    conn.close()
    assert get(server, "/").text == "root /"


def test_websocket_handshake_checked(server):
    key = base64.b64encode(os.urandom(16))
    bad_version = (b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n")
    out = raw_exchange(server["port"], bad_version, read_until=(b"Sec-WebSocket-Version must be 13", 1))
    assert out.startswith(b"HTTP/1.1 400 ") and b"websocket upgrade rejected: Sec-WebSocket-Version must be 13" in out
    # a plain GET of a WebSocket route is not an upgrade
    r = get(server, "/echo")
    assert r.status_code == 400 and r.text == "websocket upgrade rejected: missing Upgrade: websocket header"


def test_websocket_handler_error_is_logged_and_closes_1011(server):
    import websocket
    conn = websocket.create_connection(server["ws"] + "/ws-fail", timeout=10)
    try:
        frame = conn.recv_frame()
        assert frame.opcode == websocket.ABNF.OPCODE_CLOSE and struct.unpack("!H", frame.data[:2])[0] == 1011
    finally:
        conn.close()
    wait_for_log(server, "http.serve ws: handler error: ")


def test_websocket_unmasked_client_frame_is_a_protocol_error(server):
    key = base64.b64encode(os.urandom(16))
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n")
        data = b""
        while data.count(b"\x81") < 1 or b"hello local" not in data:
            data += s.recv(4096)
        assert data.startswith(b"HTTP/1.1 101 ")
        s.sendall(b"\x81\x02hi")  # not masked
        rest = b""
        while b"\x88" not in rest:
            chunk = s.recv(4096)
            if not chunk:
                break
            rest += chunk
        assert b"\x88" in rest and struct.unpack("!H", rest[rest.index(b"\x88") + 2:][:2])[0] == 1002
