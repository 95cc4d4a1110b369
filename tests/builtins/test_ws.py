"""`ws` client (builtins.md §15): WS-01..04, RT-34.

A small RFC 6455 echo server written with the standard library runs on 127.0.0.1.
Commands it understands (text messages): `ping-then <x>` sends a ping and a pong,
then echoes `<x>`; `close-me` answers with a close frame; `binary-ok` / `binary-bad`
send a binary frame (valid / invalid UTF-8); `slow <x>` echoes after 0.6 s. Anything
else is echoed back as text.
"""
import base64
import hashlib
import socket
import socketserver
import struct
import threading
import time

import pytest

from conftest import lua_error, lua_values, run_assay, ws_frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class EchoHandler(socketserver.BaseRequestHandler):
    pongs = []
    heads = []  # every handshake request head, as received

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        EchoHandler.heads.append(head)
        key = [line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:")][0]
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        try:
            while True:
                b1, b2 = self._read(2)
                opcode = b1 & 0x0F
                n = b2 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8))[0]
                mask = self._read(4) if b2 & 0x80 else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
                if opcode == 0x8:  # close: answer and stop
                    self.request.sendall(ws_frame(0x8, payload[:2]))
                    return
                if opcode == 0xA:
                    EchoHandler.pongs.append(payload)
                    continue
                if opcode != 0x1:
                    continue
                self.respond(payload)
        except (ConnectionError, OSError):
            return

    def respond(self, payload):
        send = self.request.sendall
        if payload.startswith(b"ping-then "):
            send(ws_frame(0x9, b"are you there"))
            send(ws_frame(0xA, b"unsolicited pong"))
            send(ws_frame(0x1, payload[len(b"ping-then "):]))
        elif payload == b"close-me":
            send(ws_frame(0x8, struct.pack("!H", 1000)))
        elif payload == b"binary-ok":
            send(ws_frame(0x2, "bin é".encode()))
        elif payload == b"binary-bad":
            send(ws_frame(0x2, b"\xff\xfe"))
        elif payload.startswith(b"slow "):
            time.sleep(0.6)
            send(ws_frame(0x1, payload[5:]))
        else:
            send(ws_frame(0x1, payload))


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def ws_url():
    server = Server(("127.0.0.1", 0), EchoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "ws://127.0.0.1:%d/echo" % server.server_address[1]
    server.shutdown()
    server.server_close()


def q(text):
    return '"%s"' % text


def test_ws_01_send_recv_several_messages(ws_url):
    r = lua_values("""
        local c = ws.connect(%s)
        local out = {}
        for i = 1, 5 do
          ws.send(c, "message " .. i)
          out[i] = ws.recv(c)
        end
        ws.send(c, "a") ws.send(c, "b")
        out[6] = ws.recv(c) .. ws.recv(c)
        ws.send(c, 42)
        out[7] = ws.recv(c)
        ws.send(c, "héllo ✓")
        out[8] = ws.recv(c)
        ws.close(c)
        return out
    """ % q(ws_url))
    assert r == ["message 1", "message 2", "message 3", "message 4", "message 5", "ab", "42", "héllo ✓"]


def test_ws_01_binary_frames_returned_when_utf8(ws_url):
    assert lua_values('local c = ws.connect(%s) ws.send(c, "binary-ok") local m = ws.recv(c) ws.close(c) return m'
                      % q(ws_url)) == "bin é"
    assert lua_error('local c = ws.connect(%s) ws.send(c, "binary-bad") ws.recv(c)' % q(ws_url)).startswith(
        "ws.recv: invalid UTF-8: ")


def test_ws_01_handles_are_opaque(ws_url):
    assert lua_values('local c = ws.connect(%s) local r = { type(c), tostring(getmetatable(c)), tostring(next(c)) } '
                      'ws.close(c) return r' % q(ws_url)) == ["table", "false", "nil"]
    for fn, call in (("send", 'ws.send({}, "x")'), ("recv", "ws.recv(nil)"), ("close", "ws.close(5)"),
                     ("recv", "ws.recv(http.client()._ud)")):
        assert lua_error(call) == "ws.%s: first argument must be a ws connection" % fn


def test_ws_02_connect_failure():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    assert lua_error('ws.connect("ws://127.0.0.1:%d/")' % port).startswith("ws.connect: ")
    assert lua_error('ws.connect("not a url")').startswith("ws.connect: ")
    assert lua_error('ws.connect("http://127.0.0.1:%d/")' % port).startswith("ws.connect: ")


def test_ws_02_connect_to_a_non_websocket_server():
    import http.server
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        message = lua_error('ws.connect("ws://127.0.0.1:%d/")' % server.server_address[1])
    finally:
        server.shutdown()
    assert message.startswith("ws.connect: ")


def test_ws_03_recv_raises_on_closews_frame(ws_url):
    assert lua_error('local c = ws.connect(%s) ws.send(c, "close-me") ws.recv(c)' % q(ws_url)) == \
        "ws.recv: connection closed"


def test_ws_03_recv_after_own_close(ws_url):
    assert lua_error('local c = ws.connect(%s) ws.close(c) ws.recv(c)' % q(ws_url)) == "ws.recv: connection closed"
    assert lua_error('local c = ws.connect(%s) ws.close(c) ws.send(c, "x")' % q(ws_url)).startswith("ws.send: ")


def test_ws_03_recv_skips_ping_and_pong(ws_url):
    EchoHandler.pongs.clear()
    assert lua_values('local c = ws.connect(%s) ws.send(c, "ping-then payload") local m = ws.recv(c) '
                      'ws.close(c) return m' % q(ws_url)) == "payload"
    deadline = time.monotonic() + 2
    while not EchoHandler.pongs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert EchoHandler.pongs == [b"are you there"]  # the ping was answered automatically


def test_ws_04_recv_does_not_block_other_tasks(ws_url):
    r = lua_values("""
        local c = ws.connect(%s)
        local ticks = 0
        local ticker = async.spawn(function()
          for i = 1, 40 do sleep(0.02) ticks = ticks + 1 end
        end)
        ws.send(c, "slow late")
        local msg = ws.recv(c)        -- the server answers after 0.6 s
        local during = ticks
        ws.close(c)
        return msg, during
    """ % q(ws_url))
    assert r[0] == "late"
    assert r[1] >= 10  # the ticker kept running while recv waited


def test_ws_04_parallel_connections(ws_url):
    start = time.monotonic()
    r = lua_values("""
        local hs = {}
        for i = 1, 8 do
          hs[i] = async.spawn(function()
            local c = ws.connect(%s)
            ws.send(c, "slow " .. i)
            local m = ws.recv(c)
            ws.close(c)
            return m
          end)
        end
        local out = {}
        for i = 1, 8 do out[i] = hs[i]:await()[1] end
        return out
    """ % q(ws_url))
    assert r == [str(i) for i in range(1, 9)]
    assert time.monotonic() - start < 2.5  # serial would be 4.8 s


def test_ws_send_validates_text(ws_url):
    assert lua_error('local c = ws.connect(%s) ws.send(c, {})' % q(ws_url)).startswith("ws.send: ")
    assert lua_error('local c = ws.connect(%s) ws.send(c, "\\xff")' % q(ws_url)).startswith("ws.send: ")


def test_ws_process_exits_with_pending_recv(ws_url):
    # a spawned task blocked in recv must not keep the process alive (runtime.md §6.3)
    start = time.monotonic()
    r = run_assay("exec", "-e", 'local c = ws.connect(%s) async.spawn(function() ws.recv(c) end) sleep(0.1) '
                  'print("done")' % q(ws_url), timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
    assert time.monotonic() - start < 10


def test_ws_connect_with_options_returns_binary_frames_as_raw_bytes(ws_url):
    """The newer ws API: with an options table, binary frames are raw bytes (no UTF-8 check);
    ws.connect(url) alone keeps the 0.8.3 check above."""
    got = lua_values('local c = ws.connect(%s, {headers = {["X-Trace"] = "1"}}) ws.send(c, "binary-bad")\n'
                     'local m = ws.recv(c) local p = ws.protocol(c) ws.close(c) return #m, p' % q(ws_url))
    assert got[0] > 0 and got[1] is None
    assert lua_error('ws.connect(%s, {subprotocols = "x"})' % q(ws_url)) == \
        "ws.connect: subprotocols must be an array of strings"


def test_ws_caller_headers_replace_the_handshake_defaults(ws_url):
    """upstream-delta §1 (0.18.5): a header the script names is sent once, with its value,
    even where the client library sets one itself."""
    EchoHandler.heads.clear()
    lua_values('local c = ws.connect(%s, {headers = {origin = "https://app.example", HOST = "svc.local", '
               '["X-Trace"] = "7"}}) ws.close(c)' % q(ws_url))
    lines = [line.lower() for line in EchoHandler.heads[-1].split(b"\r\n")]
    assert [v for v in lines if v.startswith(b"origin:")] == [b"origin: https://app.example"]
    assert [v for v in lines if v.startswith(b"host:")] == [b"host: svc.local"]
    assert [v for v in lines if v.startswith(b"x-trace:")] == [b"x-trace: 7"]
    assert len([v for v in lines if v.startswith(b"upgrade:")]) == 1


def test_ws_tls_options_are_read_like_http_client(lua_fails, tmp_path):
    """ws.connect and http.client take the same TLS options, checked the same way
    (one reader in assay/builtins/_tls_options.py, one policy in assay/net/tls.py)."""
    missing = tmp_path / "nope.pem"
    for fn in ("ws.connect('wss://127.0.0.1:1/', %s)", "http.client(%s)"):
        name = fn.split("(")[0]
        err = lua_fails(fn % ("{ca_cert_file = %r}" % str(missing)))
        assert err.startswith("%s: failed to read CA cert file \"%s\": No such file or directory" % (name, missing))
        assert lua_fails(fn % "{ca_cert = 'not a pem'}").startswith("%s: invalid CA cert PEM: " % name)
        assert lua_fails(fn % "{client_key = 'k.pem'}") == \
            "%s: failed to build client: client_key given without client_cert" % name
    assert lua_fails("ws.connect('wss://127.0.0.1:1/', {insecure = 'yes'})") == \
        "ws.connect: insecure must be a boolean"
    assert lua_fails("ws.connect('ws://127.0.0.1:1/', {timeout = -1})") == \
        "ws.connect: timeout must be a positive number of seconds"
