"""`http` client (builtins.md §1, runtime.md §9): HTTP-01..18, RT-34, RT-65.

Every request goes to servers this module starts on 127.0.0.1: a plain HTTP
ThreadingHTTPServer that records what it receives, and HTTPS servers with a test CA
(one of them requiring a client certificate).
"""
import base64
import datetime
import http.server
import json
import socket
import ssl
import threading
import time

import pytest

from conftest import lua_error, lua_values, run_assay


# ---- test servers ---------------------------------------------------------------

class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []  # (method, path, [(header, value)], body)

    def log_message(self, *a):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Recorder.seen.append((self.command, self.path, list(self.headers.items()), body))
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if parts[0] == "status":
            code = int(parts[1])
            self.send_response(code)
            if code == 204:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self._send(("status %d" % code).encode(), "text/plain")
        if parts[0] == "headers":
            self.send_response(200)
            self.send_header("X-Multi", "first")
            self.send_header("X-Multi", "second")
            self.send_header("X-Mixed-Case", "yes")
            self.send_header("X-Bin", "caf\xe9")  # not visible ASCII: omitted
            return self._send(b"h", "text/plain")
        if parts[0] == "redirect":
            n = int(parts[1])
            if n > 0:
                self.send_response(302)
                self.send_header("Location", "/redirect/%d" % (n - 1))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            return self._send(b"landed", "text/plain")
        if parts[0] == "slow":
            time.sleep(float(parts[1]))
            self.send_response(200)
            return self._send(b"slow done", "text/plain")
        if parts[0] == "setcookie":
            self.send_response(200)
            self.send_header("Set-Cookie", "session=abc; Path=/")
            return self._send(b"cookie set", "text/plain")
        if parts[0] == "binary":
            self.send_response(200)
            return self._send(bytes(range(256)), "application/octet-stream")
        if parts[0] == "latin1":
            self.send_response(200)
            return self._send("caf\xe9".encode("latin-1"), "text/plain; charset=ISO-8859-1")
        if parts[0] == "utf8":
            self.send_response(200)
            return self._send("h\u00e9llo \u2713".encode(), "text/plain; charset=utf-8")
        if parts[0] == "gzip":
            import gzip
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            return self._send(gzip.compress(b"plain text"), "text/plain")
        self.send_response(200)
        return self._send(b"ok", "text/plain")

    def _send(self, body, ctype):
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def _start(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def base():
    server = _start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder))
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                 "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    Recorder.seen.clear()


def last_request():
    assert Recorder.seen, "the server saw no request"
    method, path, headers, body = Recorder.seen[-1]
    return method, path, headers, body


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


# ---- certificates for the HTTPS tests -----------------------------------------------

def _make_certs(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key, path):
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("assay test CA")).issuer_name(name("assay test CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def leaf(cn, server):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                             x509.DNSName("localhost")]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    files = {}
    files["ca"] = directory / "ca.pem"
    files["ca"].write_bytes(pem(ca))
    for label, server in (("server", True), ("client", False)):
        cert, key = leaf("assay test " + label, server)
        files[label + "_cert"] = directory / (label + ".pem")
        files[label + "_cert"].write_bytes(pem(cert))
        files[label + "_key"] = directory / (label + ".key")
        write_key(key, files[label + "_key"])
    return files


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return _make_certs(tmp_path_factory.mktemp("certs"))


def _https_server(certs, require_client_cert):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(certs["server_cert"]), str(certs["server_key"]))
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(certs["ca"]))
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(request, client_address):  # failed handshakes are expected here
        pass

    server.handle_error = handle_error
    return _start(server)


@pytest.fixture(scope="module")
def https_base(certs):
    server = _https_server(certs, False)
    yield "https://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def mtls_base(certs):
    server = _https_server(certs, True)
    yield "https://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def lua_str(text):
    return json.dumps(str(text))


# ---- HTTP-01 .. HTTP-13: the global functions --------------------------------------

def test_http_01_all_methods_return_status_body_headers(base):
    for method in ("get", "post", "put", "patch", "delete"):
        r = lua_values("""
            local r = http.%s(%s)
            return r.status, math.type(r.status), type(r.body), r.body, type(r.headers), r.headers["content-type"]
        """ % (method, lua_str(base + "/x")))
        assert r == (200, "integer", "string", "ok", "table", "text/plain")
        assert last_request()[0] == method.upper()


def test_http_02_non_string_url_rejected():
    for method in ("get", "post", "put", "patch", "delete"):
        for bad in ("5", "nil", "{}", "true"):
            assert lua_error("http.%s(%s)" % (method, bad)) == \
                "http.%s: first argument must be a URL string" % method


def test_http_03_table_body_is_compact_sorted_json(base):
    for method in ("post", "put", "patch"):
        lua_values('http.%s(%s, { name = "x", b = { 1, 2.5, true }, a = "é" })' % (method, lua_str(base + "/j")))
        m, _, headers, body = last_request()
        assert m == method.upper()
        assert body == '{"a":"é","b":[1,2.5,true],"name":"x"}'.encode()
        assert header_values(headers, "content-type") == ["application/json"]
    lua_values("http.post(%s, {})" % lua_str(base + "/j"))
    assert last_request()[3] == b"[]"


def test_http_03_json_encode_failure():
    message = lua_error('http.post("http://127.0.0.1:1/", { x = 0/0 })')
    assert message.startswith("http.post: JSON encode failed")
    assert "NaN" in message
    assert "unsupported Lua type for JSON: function" in lua_error(
        'http.put("http://127.0.0.1:1/", { f = print })')


def test_http_04_string_body_verbatim_without_content_type(base):
    lua_values('http.post(%s, "raw \\0 text")' % lua_str(base + "/s"))
    _, _, headers, body = last_request()
    assert body == b"raw \0 text"
    assert header_values(headers, "content-type") == []


def test_http_04_binary_string_body_sent_unchanged(base):
    lua_values('local s = {} for i = 0, 255 do s[#s + 1] = string.char(i) end '
               'http.put(%s, table.concat(s))' % lua_str(base + "/b"))
    assert last_request()[3] == bytes(range(256))


def test_http_05_nil_or_empty_body_sends_nothing(base):
    for code in ('http.post(%s)', 'http.post(%s, nil)', 'http.patch(%s, "")', 'http.put(%s, nil, {})'):
        lua_values(code % lua_str(base + "/e"))
        _, _, headers, body = last_request()
        assert body == b""
        assert header_values(headers, "content-length") in ([], ["0"])
        assert header_values(headers, "content-type") == []


def test_http_06_invalid_body_type():
    for method in ("post", "put", "patch"):
        for bad in ("true", "5", "print"):
            assert lua_error('http.%s("http://127.0.0.1:1/", %s)' % (method, bad)) == \
                "http.%s: second argument must be a string, table, or nil" % method


def test_http_07_invalid_opts_type():
    for method in ("get", "delete"):
        assert lua_error('http.%s("http://127.0.0.1:1/", "x")' % method) == \
            "http.%s: second argument must be a table or nil" % method
    for method in ("post", "put", "patch"):
        assert lua_error('http.%s("http://127.0.0.1:1/", "body", 5)' % method) == \
            "http.%s: third argument must be a table or nil" % method


def test_http_08_headers_are_sent(base):
    lua_values('http.get(%s, { headers = { Authorization = "Bearer t", ["X-Num"] = 42, ["X-Float"] = 1.5 } })'
               % lua_str(base + "/h"))
    _, _, headers, _ = last_request()
    assert header_values(headers, "authorization") == ["Bearer t"]
    assert header_values(headers, "x-num") == ["42"]
    assert header_values(headers, "x-float") == ["1.5"]
    lua_values('http.post(%s, "b", { headers = { ["X-A"] = "1" } })' % lua_str(base + "/h"))
    assert header_values(last_request()[2], "x-a") == ["1"]


def test_http_09_non_2xx_statuses_are_returned(base):
    assert lua_values('local r = http.get(%s) return r.status, r.body' % lua_str(base + "/status/404")) == \
        (404, "status 404")
    assert lua_values('local r = http.delete(%s) return r.status, r.body' % lua_str(base + "/status/500")) == \
        (500, "status 500")
    assert lua_values('local r = http.post(%s, "x") return r.status, r.body' % lua_str(base + "/status/204")) == \
        (204, "")


def test_http_10_header_names_lowercase_last_value_wins(base):
    r = lua_values('local r = http.get(%s) return r.headers' % lua_str(base + "/headers"))
    assert r["x-multi"] == "second"
    assert r["x-mixed-case"] == "yes"
    assert "X-Mixed-Case" not in r
    assert "x-bin" not in r  # non-ASCII value omitted
    assert all(k == k.lower() for k in r)


def test_http_11_transport_errors():
    refused = "http://127.0.0.1:1/"
    for method, call in (("get", 'http.get(U)'), ("post", 'http.post(U, "x")'), ("delete", 'http.delete(U)'),
                         ("put", 'http.put(U)'), ("patch", 'http.patch(U, {a=1})')):
        message = lua_error("local U = %s\n%s" % (lua_str(refused), call))
        assert message.startswith("http.%s failed: " % method), message
        assert "127.0.0.1:1" in message
    message = lua_error('http.get("not a url")')
    assert message.startswith("http.get failed: ")
    assert lua_values('local ok, e = pcall(http.get, "http://127.0.0.1:1/") return type(e)') == "string"


def test_http_11_client_method_transport_error():
    message = lua_error('local c = http.client() c:get("http://127.0.0.1:1/")')
    assert message.startswith("http.get failed: ")


def test_http_12_redirects_followed_up_to_ten(base):
    r = lua_values('local r = http.get(%s) return r.status, r.body' % lua_str(base + "/redirect/10"))
    assert r == (200, "landed")
    assert len(Recorder.seen) == 11
    message = lua_error('http.get(%s)' % lua_str(base + "/redirect/11"))
    assert message.startswith("http.get failed: ")
    assert "redirect" in message


def test_http_12_default_headers(base):
    lua_values('http.get(%s)' % lua_str(base + "/d"))
    _, _, headers, _ = last_request()
    assert header_values(headers, "accept") == ["*/*"]
    assert header_values(headers, "user-agent") == []
    assert header_values(headers, "accept-encoding") == []
    # the body is not decompressed (no Accept-Encoding is sent, so servers send plain text)
    gz = lua_values('local r = http.get(%s) return r.body, r.headers["content-encoding"]' % lua_str(base + "/gzip"))
    assert gz[1] == "gzip"
    assert gz[0] != "plain text"


def test_http_12_proxy_environment_is_honoured(base, monkeypatch):
    # the recorder doubles as a forward proxy: it receives the absolute-form target
    monkeypatch.setenv("HTTP_PROXY", base)
    r = lua_values('local r = http.get("http://proxied.invalid/via-proxy") return r.status, r.body')
    assert r == (200, "ok")
    assert last_request()[1] == "http://proxied.invalid/via-proxy"
    # NO_PROXY bypasses it
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    Recorder.seen.clear()
    lua_values('http.get(%s)' % lua_str(base + "/direct"))
    assert last_request()[1] == "/direct"


def test_http_12_system_trust_store_rejects_unknown_ca(https_base):
    message = lua_error('http.get(%s)' % lua_str(https_base + "/x"))
    assert message.startswith("http.get failed: ")
    assert "certificate" in message.lower() or "tls" in message.lower()


def test_http_12_rt_65_default_timeout_is_30_seconds(base):
    from assay.net import client
    assert client.DEFAULT_TIMEOUT == 30
    assert client.MAX_REDIRECTS == 10
    # a slow answer well within the default timeout still succeeds
    assert lua_values('return http.get(%s).body' % lua_str(base + "/slow/1.2")) == "slow done"


def test_http_12_no_cookie_store(base):
    """Like the original's client, cookies from Set-Cookie are not stored and sent back."""
    lua_values('local c = http.client() c:get(U .. "/setcookie") c:get(U .. "/after") '
               'http.get(U .. "/setcookie") http.get(U .. "/after")'.replace("U", lua_str(base)))
    assert [header_values(h, "cookie") for _, _, h, _ in Recorder.seen] == [[], [], [], []]
    lua_values('http.get(%s, { headers = { Cookie = "explicit=1" } })' % lua_str(base + "/x"))
    assert header_values(last_request()[2], "cookie") == ["explicit=1"]


def test_http_13_binary_body_is_returned_raw(base):
    r = lua_values('local b = http.get(%s).body local ok = true '
                   'for i = 0, 255 do if b:byte(i + 1) ~= i then ok = false end end return #b, ok'
                   % lua_str(base + "/binary"))
    assert r == (256, True)


def test_http_13_text_bodies(base):
    assert lua_values('return http.get(%s).body' % lua_str(base + "/utf8")) == "h\u00e9llo \u2713"
    # a declared non-UTF-8 charset is decoded to UTF-8, as the original does
    assert lua_values('return http.get(%s).body' % lua_str(base + "/latin1")) == "caf\u00e9"


# ---- HTTP-14 .. HTTP-18: clients -----------------------------------------------------

def test_http_14_client_object_with_colon_methods(base):
    code = """
        local c = http.client()
        local out = { type(c), type(c._ud) }
        out[#out + 1] = c:get(U .. "/a").status
        out[#out + 1] = c:post(U .. "/b", { k = 1 }).status
        out[#out + 1] = c:put(U .. "/c", "x").status
        out[#out + 1] = c:patch(U .. "/d").status
        out[#out + 1] = c:delete(U .. "/e", { headers = { ["X-C"] = "1" } }).status
        return out
    """
    assert lua_values("local U = %s\n%s" % (lua_str(base), code)) == ["table", "table", 200, 200, 200, 200, 200]
    assert [s[0] for s in Recorder.seen] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert Recorder.seen[1][3] == b'{"k":1}'
    assert header_values(Recorder.seen[4][2], "x-c") == ["1"]


def test_http_14_client_methods_validate_like_globals():
    assert lua_error('http.client():get(5)') == "http.get: first argument must be a URL string"
    assert lua_error('http.client():post("http://x/", true)') == \
        "http.post: second argument must be a string, table, or nil"
    assert lua_error('http.client({}):delete("http://x/", 1)') == "http.delete: second argument must be a table or nil"


def test_http_15_client_timeout(base):
    start = time.monotonic()
    message = lua_error('http.client({ timeout = 0.3 }):get(%s)' % lua_str(base + "/slow/2"))
    assert time.monotonic() - start < 1.8
    assert message.startswith("http.get failed: ")
    # a non-number timeout is ignored (default applies)
    assert lua_values('return http.client({ timeout = "x" }):get(%s).status' % lua_str(base + "/slow/0.4")) == 200


def test_http_15_follow_redirects_false(base):
    r = lua_values('local r = http.client({ follow_redirects = false }):get(%s) return r.status, r.headers.location'
                   % lua_str(base + "/redirect/3"))
    assert r == (302, "/redirect/2")
    assert lua_values('return http.client({ follow_redirects = true }):get(%s).status'
                      % lua_str(base + "/redirect/3")) == 200


def test_http_16_ca_cert_file_and_inline(certs, https_base):
    url = lua_str(https_base + "/tls")
    assert lua_values('return http.client({ ca_cert_file = %s }):get(%s).body'
                      % (lua_str(certs["ca"]), url)) == "ok"
    pem = certs["ca"].read_text()
    assert lua_values('return http.client({ ca_cert = %s }):post(%s, "x").status' % (lua_str(pem), url)) == 200
    # the extra root is added for that client only
    assert lua_error('http.client():get(%s)' % url).startswith("http.get failed: ")


def test_http_16_ca_cert_errors(tmp_path):
    missing = tmp_path / "missing.pem"
    assert lua_error('http.client({ ca_cert_file = %s })' % lua_str(missing)) == \
        'http.client: failed to read CA cert file "%s": No such file or directory (os error 2)' % missing
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    assert lua_error('http.client({ ca_cert_file = %s })' % lua_str(bad)).startswith(
        'http.client: invalid PEM in "%s": ' % bad)
    assert lua_error('http.client({ ca_cert = "garbage" })').startswith("http.client: invalid CA cert PEM: ")
    # the stdlib k8s pattern: pcall, then fall back to a default client
    assert lua_values('local ok, c = pcall(http.client, { ca_cert_file = %s }) '
                      'if not ok then c = http.client({}) end return ok, type(c.get)' % lua_str(missing)) == \
        (False, "function")


def test_http_client_mtls_certificate(certs, mtls_base):
    url = lua_str(mtls_base + "/mtls")
    opts = 'ca_cert_file = %s, client_cert = %s, client_key = %s' % (
        lua_str(certs["ca"]), lua_str(certs["client_cert"]), lua_str(certs["client_key"]))
    assert lua_values('return http.client({ %s }):get(%s).body' % (opts, url)) == "ok"
    assert lua_error('http.client({ ca_cert_file = %s }):get(%s)' % (lua_str(certs["ca"]), url)).startswith(
        "http.get failed: ")
    assert lua_error('http.client({ client_cert = "/nonexistent.pem" })').startswith(
        "http.client: failed to build client: ")


def test_http_17_client_request_validates_handle(base):
    assert lua_error('http._client_request({}, "get", "http://x/")') == \
        "http._client_request: first arg must be an http client"
    assert lua_error('http._client_request(nil, "get", "http://x/")') == \
        "http._client_request: first arg must be an http client"
    assert lua_error('local c = http.client() http._client_request(c, "get", "http://x/")') == \
        "http._client_request: first arg must be an http client"
    assert lua_error('local c = http.client() http._client_request(c._ud, nil, "http://x/")') == \
        "http._client_request: second arg must be method name"
    assert lua_error('local c = http.client() http._client_request(c._ud, "head", "http://x/")') == \
        "http: unsupported method: head"
    assert lua_values('local c = http.client() return http._client_request(c._ud, "get", %s).status'
                      % lua_str(base + "/direct-call")) == 200


def test_http_17_client_handle_is_opaque():
    assert lua_values('local c = http.client() return getmetatable(c._ud), next(c._ud), tostring(c._ud)') == \
        (False, None, "http.client")
    assert "read-only" in lua_error('local c = http.client() c._ud.x = 1')


def test_http_18_user_content_type_replaces_json_default(base):
    lua_values('http.post(%s, { a = 1 }, { headers = { ["content-type"] = "application/vnd.x+json" } })'
               % lua_str(base + "/ct"))
    _, _, headers, body = last_request()
    assert header_values(headers, "content-type") == ["application/vnd.x+json"]
    assert body == b'{"a":1}'


# ---- RT-34: yielding requests, non-suspending client creation -------------------------

def test_rt_34_requests_yield_to_other_tasks(base):
    start = time.monotonic()
    r = lua_values("""
        local hs = {}
        for i = 1, 4 do hs[i] = async.spawn(function() return http.get(%s).status end) end
        local out = {}
        for i = 1, 4 do out[i] = hs[i]:await()[1] end
        return out
    """ % lua_str(base + "/slow/0.6"))
    assert r == [200, 200, 200, 200]
    assert time.monotonic() - start < 2.0  # serial would be 2.4 s


def test_rt_34_many_parallel_requests_are_not_capped_by_a_small_pool(base):
    start = time.monotonic()
    r = lua_values("""
        local hs = {}
        for i = 1, 12 do hs[i] = async.spawn(function() return http.get(%s).status end) end
        local n = 0
        for i = 1, 12 do n = n + hs[i]:await()[1] end
        return n
    """ % lua_str(base + "/slow/1.5"))
    assert r == 12 * 200
    assert time.monotonic() - start < 2.9  # a 6-thread pool would need 3 s+ (two rounds)


def test_rt_34_http_client_works_where_lua_cannot_yield():
    assert lua_values('local c string.gsub("a", "a", function() c = http.client({ timeout = 1 }) end) '
                      'return type(c.get)') == "function"


def test_rt_37_requests_inside_user_coroutines(base):
    assert lua_values('local co = coroutine.wrap(function() return http.get(%s).status end) return co()'
                      % lua_str(base + "/co")) == 200


def test_http_from_the_command_line(base):
    r = run_assay("exec", "-e", 'print(http.get(%s).body)' % lua_str(base + "/cli"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok\n"


def test_http_connections_are_pooled_per_client():
    """One pooled session for the global functions and one per client: keep-alive reuse."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted = []

    def serve_conn(c):
        buf = b""
        while True:
            data = c.recv(65536)
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                _, buf = buf.split(b"\r\n\r\n", 1)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    def accept():
        while True:
            try:
                c, _ = listener.accept()
            except OSError:
                return
            accepted.append(c)
            threading.Thread(target=serve_conn, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        n = lua_values('local U = "http://127.0.0.1:%d/" local n = 0 '
                       'for i = 1, 5 do n = n + #http.get(U).body end '
                       'local c = http.client() for i = 1, 5 do n = n + #c:post(U, "x").body end return n' % port)
    finally:
        listener.close()
    assert n == 20
    assert len(accepted) == 2  # one keep-alive connection per session


def test_http_18_any_caller_header_replaces_the_runtime_default_whatever_its_spelling(base):
    """upstream-delta §1 (0.18.5): never sent twice, the caller's value wins."""
    lua_values('http.get(%s, { headers = { accept = "application/json", ["USER-AGENT"] = "probe/1" } })'
               % lua_str(base + "/acc"))
    _, _, headers, _ = last_request()
    assert header_values(headers, "accept") == ["application/json"]
    assert header_values(headers, "user-agent") == ["probe/1"]
    lua_values('http.put(%s, { a = 1 }, { headers = { ["CONTENT-type"] = "application/merge-patch+json" } })'
               % lua_str(base + "/ct2"))
    _, _, headers, _ = last_request()
    assert header_values(headers, "content-type") == ["application/merge-patch+json"]
