"""`type: http` checks and the `expect.json` language (checks.md §5.1, §7), against a local server."""
import pytest

from checkhelpers import closed_port, run_config, server  # noqa: F401 (fixture)

BODY = '{"status":"healthy","db":{"up":true,"conns":3},"items":[1],"ratio":1.0}'


def http_check(name, url, extra=""):
    return "  - name: %s\n    type: http\n    url: %s\n%s" % (name, url, extra)


def config(*checks, retries=0):
    return "retries: %d\nbackoff: 10ms\nchecks:\n%s" % (retries, "".join(checks))


def test_chk_15_no_expect_needs_2xx(tmp_path, server):
    server.route("/ok", 200, "fine")
    server.route("/created", 204, "")
    server.route("/err", 503, "down")
    server.route("/missing", 404, "")
    r = run_config(tmp_path, config(http_check("ok", server.url("/ok")), http_check("created", server.url("/created")),
                                    http_check("err", server.url("/err")), http_check("missing", server.url("/missing"))))
    assert r.check("ok") == {"name": "ok", "passed": True, "duration_ms": r.check("ok")["duration_ms"], "message": None}
    assert r.check("created")["passed"] is True
    assert r.message("err") == "expected 2xx, got 503"
    assert r.message("missing") == "expected 2xx, got 404"
    assert r.code == 1


def test_chk_16_status_mismatch(tmp_path, server):
    server.route("/x", 200, "{}")
    r = run_config(tmp_path, config(
        http_check("want-201", server.url("/x"), "    expect:\n      status: 201\n"),
        http_check("want-200", server.url("/x"), "    expect:\n      status: 200\n")))
    assert r.message("want-201") == "expected status 201, got 200"
    assert r.check("want-200")["passed"] is True


def test_chk_17_body_substring(tmp_path, server):
    server.route("/x", 200, 'all systems "go"\n')
    r = run_config(tmp_path, config(
        http_check("has", server.url("/x"), "    expect:\n      body: systems\n"),
        http_check("case", server.url("/x"), "    expect:\n      body: Systems\n"),
        http_check("escaped", server.url("/x"), '    expect:\n      body: "say \\"hi\\"\\n\\tnow\\\\"\n')))
    assert r.check("has")["passed"] is True
    assert r.message("case") == 'body does not contain "Systems"'
    assert r.message("escaped") == 'body does not contain "say \\"hi\\"\\n\\tnow\\\\"'


def test_chk_18_json_expression_true_and_false(tmp_path, server):
    server.route("/h", 200, BODY)
    r = run_config(tmp_path, config(
        http_check("yes", server.url("/h"), "    expect:\n      json: '.status == \"healthy\"'\n"),
        http_check("no", server.url("/h"), "    expect:\n      json: .db.conns == 4\n")))
    assert r.check("yes")["passed"] is True
    assert r.message("no") == "JSON expression failed: .db.conns == 4"


def test_chk_19_expect_without_status_accepts_500(tmp_path, server):
    server.route("/e", 500, '{"status":"degraded"}')
    r = run_config(tmp_path, config(
        http_check("body", server.url("/e"), "    expect:\n      body: degraded\n"),
        http_check("json", server.url("/e"), "    expect:\n      json: .status == degraded\n"),
        http_check("plain", server.url("/e"))))
    assert r.check("body")["passed"] is True
    assert r.check("json")["passed"] is True
    assert r.message("plain") == "expected 2xx, got 500"


def test_chk_20_expectation_order(tmp_path, server):
    server.route("/o", 500, "not json")
    r = run_config(tmp_path, config(
        http_check("all", server.url("/o"),
                   "    expect:\n      status: 200\n      body: missing\n      json: .a == 1\n"),
        http_check("body-json", server.url("/o"), "    expect:\n      body: missing\n      json: .a == 1\n"),
        http_check("json", server.url("/o"), "    expect:\n      status: 500\n      body: not\n      json: .a == 1\n")))
    assert r.message("all") == "expected status 200, got 500"
    assert r.message("body-json") == 'body does not contain "missing"'
    assert r.message("json").startswith("response body is not valid JSON")


def test_chk_21_invalid_json_body(tmp_path, server):
    server.route("/t", 200, "<html>ok</html>")
    server.route("/nan", 200, '{"a": NaN}')
    r = run_config(tmp_path, config(http_check("t", server.url("/t"), "    expect:\n      json: .a == 1\n"),
                                    http_check("nan", server.url("/nan"), "    expect:\n      json: .a == 1\n")))
    assert r.message("t").startswith("response body is not valid JSON: ")
    assert r.message("nan").startswith("response body is not valid JSON")


def test_chk_22_paths_follow_object_keys(tmp_path, server):
    server.route("/h", 200, BODY)
    exprs = {"nested": ".db.up == true", "missing": ".missing == 1", "deep-missing": ".db.nope.x == 1",
             "array-dot": ".items.0 == 1", "whole": ". == 1", "spaces": " . db . conns == 3"}
    r = run_config(tmp_path, config(*[http_check(n, server.url("/h"), "    expect:\n      json: '%s'\n" % e)
                                      for n, e in exprs.items()]))
    assert r.check("nested")["passed"] is True
    assert r.message("missing") == "JSON path '.missing' not found in response"
    assert r.message("deep-missing") == "JSON path '.nope' not found in response"
    assert r.message("array-dot") == "JSON path '.0' not found in response"
    assert r.message("whole") == "JSON expression failed: . == 1"  # the whole document is an object
    assert r.check("spaces")["passed"] is True


@pytest.mark.parametrize("expr, passed", [
    ('.status == "healthy"', True),
    (".status == healthy", True),
    (".db.up == true", True),
    (".db.up == false", False),
    (".db.conns == 3", True),
    ("db.conns==3", True),
    (".db.conns == 3.0", True),
    (".db.conns == \"3\"", False),
    (".gone == null", True),
    (".nick == 'ok'", False),
    (".quote == \"", True),
    (".big == 1e3", True),
])
def test_chk_23_literals(tmp_path, server, expr, passed):
    server.route("/l", 200, '{"status":"healthy","db":{"up":true,"conns":3},"gone":null,"nick":"ok",'
                            '"quote":"\\"","big":1000}')
    r = run_config(tmp_path, config(http_check("l", server.url("/l"), "    expect:\n      json: %s\n"
                                               % _yaml_single(expr))))
    assert r.checks[0]["passed"] is passed, r
    if not passed:
        assert r.checks[0]["message"] == "JSON expression failed: %s" % expr


def _yaml_single(text):
    return "'%s'" % text.replace("'", "''")


def test_chk_23_literal_unit_rules():
    from assay.checks.jsonexpr import literal
    assert literal('"a b"') == "a b"
    assert literal('"') == '"'
    assert literal('""') == ""
    assert literal('"x\\n"') == "x\\n"  # no escape processing
    assert literal("true") is True and literal("null") is None
    assert literal("-12") == -12 and isinstance(literal("-12"), int)
    assert literal("1.5") == 1.5 and literal("-0.25") == -0.25 and literal("1e3") == 1000.0
    assert literal("healthy") == "healthy" and literal("'ok'") == "'ok'"
    assert literal("1_0") == "1_0"  # Rust's float parser rejects underscores


def test_chk_24_unsupported_syntax(tmp_path, server):
    server.route("/h", 200, BODY)
    r = run_config(tmp_path, config(http_check("h", server.url("/h"), "    expect:\n      json: '  .status = 1  '\n")))
    assert r.checks[0]["message"] == "unsupported JSON expression syntax: \".status = 1\" (expected '.path == value')"


def test_chk_25_numbers_compare_by_value(tmp_path, server):
    server.route("/n", 200, '{"one": 1, "onef": 1.0, "k": 1000}')
    r = run_config(tmp_path, config(
        http_check("a", server.url("/n"), "    expect:\n      json: .one == 1.0\n"),
        http_check("b", server.url("/n"), "    expect:\n      json: .onef == 1\n"),
        http_check("c", server.url("/n"), "    expect:\n      json: .k == 1e3\n"),
        http_check("d", server.url("/n"), "    expect:\n      json: .one == 2.0\n")))
    assert [c["passed"] for c in r.checks] == [True, True, True, False]


def test_chk_26_follow_redirects_false_reports_3xx(tmp_path, server):
    server.route("/login", 302, "", headers={"Location": "/home"})
    server.route("/home", 200, "home")
    r = run_config(tmp_path, config(
        http_check("expect-302", server.url("/login"), "    follow_redirects: false\n    expect:\n      status: 302\n"),
        http_check("no-expect", server.url("/login"), "    follow_redirects: false\n"),
        http_check("followed", server.url("/login"), "    expect:\n      status: 200\n      body: home\n")))
    assert r.check("expect-302")["passed"] is True
    assert r.message("no-expect") == "expected 2xx, got 302"
    assert r.check("followed")["passed"] is True
    assert server.routes["/home"].hits == 1


def test_chk_26_redirect_limit(tmp_path, server):
    server.route("/loop", 302, "", headers={"Location": "/loop"})
    r = run_config(tmp_path, config(http_check("loop", server.url("/loop"))))
    assert r.checks[0]["message"].startswith("HTTP GET %s: " % server.url("/loop"))
    assert "redirect" in r.checks[0]["message"]
    assert server.routes["/loop"].hits == 11  # the first request and 10 redirects


def test_chk_27_missing_url(tmp_path):
    r = run_config(tmp_path, config("  - name: nourl\n    type: http\n    expect:\n      status: 200\n", retries=2))
    assert r.checks[0]["message"] == "http check requires a 'url' field"
    assert r.code == 1


def test_chk_28_connection_failure(tmp_path):
    url = "http://127.0.0.1:%d/health" % closed_port()
    r = run_config(tmp_path, config(http_check("down", url)))
    assert r.checks[0]["passed"] is False
    assert r.checks[0]["message"].startswith("HTTP GET %s: " % url)
    assert "\n" not in r.checks[0]["message"]


def test_chk_http_client_headers_and_charset(tmp_path, server):
    """Client behaviour (§5): no User-Agent / Accept-Encoding, Accept */*; charset from Content-Type."""
    route = server.route("/latin", 200, "caf\xe9".encode("latin-1"),
                         headers={"Content-Type": "text/plain; charset=iso-8859-1"})
    server.route("/broken", 200, b"ok \xff\xfe", headers={"Content-Type": "text/plain"})
    r = run_config(tmp_path, config(
        http_check("latin", server.url("/latin"), "    expect:\n      body: café\n"),
        http_check("broken", server.url("/broken"), "    expect:\n      body: \"ok \\uFFFD\"\n")))
    assert [c["passed"] for c in r.checks] == [True, True], r
    headers = {k.lower(): v for k, v in route.requests[0]["headers"].items()}
    assert "user-agent" not in headers and "accept-encoding" not in headers
    assert headers.get("accept") == "*/*"


def test_chk_http_request_timeout_is_bounded(tmp_path, server, monkeypatch):
    """A slow server is cut off by the global timeout, not waited for."""
    server.route("/slow", 200, "{}", delay=5)
    r = run_config(tmp_path, "timeout: 1s\nretries: 0\nchecks:\n" + http_check("slow", server.url("/slow")))
    assert r.code == 1
    assert r.checks[0]["message"] == "global timeout of 1s exceeded"
    assert r.report["duration_ms"] < 3000


# ---- port extensions of expect.json -------------------------------------------

@pytest.mark.parametrize("expr, passed", [
    (".items[0].name == \"web\"", True),
    (".items[1].replicas == 3", True),
    (".items[1].tags[0] == blue", True),
    (".matrix[1][0] == 3", True),
    (".[0] == 1", None),  # the document is an object: path not found
    (".status != \"down\"", True),
    (".status != up", False),
    (".items[0].replicas > 1", True),
    (".items[0].replicas < 2", False),
    (".items[1].replicas >= 3", True),
    (".items[1].replicas <= 2.5", False),
    (".version < \"1.2\"", True),  # strings compare lexicographically (not as versions)
    (".status contains \"u\"", True),
    (".items[1].tags contains \"green\"", True),
    (".items[1].tags contains \"red\"", False),
    (".items[0] contains name", True),
    (".status < 3", False),
])
def test_chk_json_extensions(tmp_path, server, expr, passed):
    server.route("/e", 200, '{"status":"up","version":"1.10","matrix":[[1,2],[3,4]],'
                            '"items":[{"name":"web","replicas":2},{"name":"db","replicas":3,"tags":["blue","green"]}]}')
    r = run_config(tmp_path, config(http_check("e", server.url("/e"), "    expect:\n      json: %s\n"
                                               % _yaml_single(expr))))
    check = r.checks[0]
    if passed is None:
        assert check["message"] == "JSON path '.[0]' not found in response"
    else:
        assert check["passed"] is passed, r
        if not passed:
            assert check["message"] == "JSON expression failed: %s" % expr


def test_chk_json_extension_index_errors():
    from assay.checks.jsonexpr import ExprError, evaluate
    body = '{"items":[{"name":"a"}],"a[0]":"literal"}'
    assert evaluate(body, '.items[0].name == a')
    assert evaluate(body, '.a[0] == literal')  # an existing key that looks like an index wins
    with pytest.raises(ExprError, match=r"JSON path '\.items\[3\]' not found in response"):
        evaluate(body, ".items[3].name == a")
    with pytest.raises(ExprError, match=r"JSON path '\.name\[0\]' not found in response"):
        evaluate('{"name":"x"}', ".name[0] == x")
    # leftmost operator wins; a `==` expression reads as in the original
    assert evaluate('{"a":"x < y"}', '.a == "x < y"')
    assert evaluate('{"a":"b == c"}', '.a != "b"')


def test_chk_http_client_request_limit_unit(server):
    """The per-request limit bounds the whole request, slow body included (client unit)."""
    import time as _time
    from assay.checks import client
    server.route("/slow", 200, "{}", delay=3)
    started = _time.monotonic()
    with pytest.raises(client.TransportError, match="operation timed out"):
        client.get(server.url("/slow"), timeout=0.5)
    assert _time.monotonic() - started < 2
    assert client.REQUEST_TIMEOUT == 30.0 and client.MAX_REDIRECTS == 10


def _self_signed(tmp_path):
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_chk_http_tls_is_verified(tmp_path, server):
    """An untrusted (self-signed) certificate fails the check: TLS is verified."""
    import ssl
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.route("/secure", 200, "{}")
    url = "https://127.0.0.1:%d/secure" % server.port
    r = run_config(tmp_path, config(http_check("tls", url)))
    assert r.checks[0]["passed"] is False, r
    assert r.checks[0]["message"].startswith("HTTP GET %s: " % url)
    assert "certificate" in r.checks[0]["message"]
    assert server.routes["/secure"].hits == 0
