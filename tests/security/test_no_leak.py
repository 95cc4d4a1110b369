"""Errors never carry a secret, a Python name or library text, and no network
operation waits forever."""
import socket

from conftest import lua_values


def test_header_value_with_newline_is_not_printed():
    ok, msg = lua_values('return pcall(http.get, "http://127.0.0.1:1/", '
                         '{headers = {Authorization = "Bearer SUPERSECRET\\n"}})')
    assert ok is False
    assert "SUPERSECRET" not in msg
    assert msg == ("http.get failed: builder error: invalid value for header Authorization "
                   "(a line break, or leading whitespace)")


def test_url_without_scheme_reads_like_the_original():
    ok, msg = lua_values('return pcall(http.get, "example.com/x")')
    assert (ok, msg) == (False, "http.get failed: builder error: relative URL without a base (example.com/x)")


def test_malformed_mysql_url_hides_the_password():
    ok, msg = lua_values('return pcall(db.connect, "mysql://root:hunter2@127.0.0.1:notaport/x")')
    assert ok is False
    assert msg == ('db.connect: invalid database URL "mysql://root:[redacted]@127.0.0.1:notaport/x": '
                   'invalid port number')


def test_mysql_handshake_against_a_silent_port_is_bounded():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        ok, msg = lua_values('return pcall(db.connect, "mysql://root@127.0.0.1:%d/x?connect-timeout=1")' % port)
    assert ok is False
    assert msg.startswith("db.connect: ")
    assert "timed out" in msg


def test_internal_errors_never_name_python_exceptions():
    from assay.runtime.sandbox import error_text
    assert error_text(ZeroDivisionError("division by zero"), "x.y") == "x.y: division by zero"
    assert error_text(ValueError("bad thing"), "x.y") == "x.y: internal error: bad thing"
    assert error_text(TypeError("<object object at 0x7f>"), "x.y") == "x.y: internal error: unexpected failure"
    assert error_text(KeyError(b"k"), "f") == "f: internal error: unexpected failure"


def test_error_inside_a_stdlib_module_names_the_users_line(tmp_path):
    from conftest import run_assay
    script = tmp_path / "st.lua"
    script.write_text('local vault = require("assay.vault")\n'
                      'local c = vault.client("http://127.0.0.1:1", "t")\n'
                      'c:read("x")\n')
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "st.lua:3: " in r.stderr
    assert "ERROR assay/" not in r.stderr


def test_ws_connect_to_a_plain_http_port_is_one_clean_line():
    import http.server
    import threading
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ok, msg = lua_values('return pcall(ws.connect, "ws://127.0.0.1:%d/")' % server.server_address[1])
    finally:
        server.shutdown()
    assert (ok, msg) == (False, "ws.connect: HTTP error: 200 OK")


def test_surplus_arguments_are_dropped_as_lua_drops_them():
    """A builtin called with more arguments than it takes ignores the rest, as a Lua
    function does, instead of failing with Python's wording about positional arguments."""
    out = lua_values("""
        return json.parse("[1]", "extra", 3)[1], base64.encode("a", 2, 3),
               toml.parse("a = 1", {}, {}).a, regex.match("a", "a", 3, 4, 5)
    """)
    assert out == (1, "YQ==", 1, True)
