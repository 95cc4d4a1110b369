"""`http.download` and the Server-Sent Events client (`on_event`): upstream-delta §1.

The servers are the shared recorder fake (tests/stdlib/fakes.py) with canned answers.
"""
import os
import sys

import pytest

from conftest import lua_error, lua_values, run_assay

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "stdlib"))
from fakes import recorder, recorder_server  # noqa: E402,F401


def q(text):
    return '"%s"' % str(text).replace("\\", "\\\\").replace('"', '\\"')


def leftovers(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".part"))


# ---- http.download ---------------------------------------------------------------------

def test_download_streams_the_body_to_a_new_file_and_returns_its_size(recorder, tmp_path):
    payload = bytes(range(256)) * 1000
    recorder.set("GET", "/release.tar.gz", body=payload, content_type="application/gzip")
    target = tmp_path / "a" / "b" / "release.tar.gz"  # parents are created
    n = lua_values('return http.download(%s, %s)' % (q(recorder.url + "/release.tar.gz"), q(target)))
    assert n == len(payload)
    assert target.read_bytes() == payload
    assert leftovers(target.parent) == []


def test_download_sends_caller_headers_replacing_ours(recorder, tmp_path):
    recorder.set("GET", "/f", body=b"x")
    lua_values('http.download(%s, %s, { headers = { accept = "application/octet-stream", '
               '["X-Token"] = "t1" } })' % (q(recorder.url + "/f"), q(tmp_path / "f")))
    request = recorder.last("/f")
    assert [v for k, v in request.headers.items() if k.lower() == "accept"] == ["application/octet-stream"]
    assert request.header("x-token") == "t1"


def test_download_error_status_leaves_no_file(recorder, tmp_path):
    recorder.fail("GET", "/gone", 404, "no such release")
    target = tmp_path / "out.bin"
    err = lua_error('http.download(%s, %s)' % (q(recorder.url + "/gone"), q(target)))
    assert err == "http.download: HTTP 404 Not Found for %s/gone" % recorder.url
    assert not target.exists() and leftovers(tmp_path) == []


def test_download_cut_short_keeps_the_previous_file_whole(recorder, tmp_path):
    # the server promises 100000 bytes, sends 10 and hangs up
    recorder.set("GET", "/cut", body=b"0123456789", headers={"Content-Length": "100000", "Connection": "close"})
    target = tmp_path / "data.bin"
    target.write_bytes(b"the old, complete file")
    err = lua_error('http.download(%s, %s)' % (q(recorder.url + "/cut"), q(target)))
    assert err.startswith("http.download: reading body failed: ")
    assert target.read_bytes() == b"the old, complete file"
    assert leftovers(tmp_path) == []


def test_download_max_size(recorder, tmp_path):
    recorder.set("GET", "/big", body=b"x" * 5000)
    target = tmp_path / "big"
    err = lua_error('http.download(%s, %s, { max_size = 1000 })' % (q(recorder.url + "/big"), q(target)))
    assert err == "http.download: response exceeds max_size (1000 bytes) for %s/big" % recorder.url
    assert not target.exists() and leftovers(tmp_path) == []
    assert lua_values('return http.download(%s, %s, { max_size = 0 })'
                      % (q(recorder.url + "/big"), q(target))) == 5000


def test_download_transport_failure_and_bad_arguments(tmp_path):
    target = tmp_path / "x"
    err = lua_error('http.download("http://127.0.0.1:1/x", %s)' % q(target))
    assert err.startswith("http.download failed: error sending request for url (http://127.0.0.1:1/x): ")
    assert not target.exists() and leftovers(tmp_path) == []
    assert lua_error('http.download(1, "x")') == "http.download: first argument must be a URL string"
    assert lua_error('http.download("http://h/", nil)') == \
        "http.download: second argument must be a destination path string"
    assert lua_error('http.download("http://h/", "x", 5)') == "http.download: third argument must be a table or nil"
    assert lua_error('http.download("http://h/", "x", { timeout = -1 })') == \
        "http.download: timeout must be a positive number of seconds"
    assert lua_error('http.download("http://h/", %s)' % q(tmp_path)) == \
        'http.download: "%s" is a directory' % tmp_path


def test_download_is_a_write_in_readonly_mode(recorder, tmp_path):
    recorder.set("GET", "/f", body=b"x")
    r = run_assay("exec", "--readonly", "-e", 'http.download(%s, %s)' % (q(recorder.url + "/f"), q(tmp_path / "f")))
    assert r.returncode != 0
    assert "readonly: http.download blocked" in r.stderr
    assert not (tmp_path / "f").exists()


# ---- SSE client --------------------------------------------------------------------------

STREAM = (b": keep-alive comment\n\n"
          b"event: deploy\ndata: {\"app\":\"web\"}\nid: 1\n\n"
          b"data: first line\r\ndata: second line\r\n\r\n"
          b"retry: 1500\nid: 3\n\n"
          b"data:no space\n\n"
          b"data: never finished")  # no closing blank line: not an event


def test_on_event_calls_back_per_event(recorder):
    recorder.set("GET", "/events", body=STREAM, content_type="text/event-stream")
    events, status, ctype, body = lua_values('''
        local seen = {}
        local r = http.get(%s, { on_event = function(ev)
          seen[#seen + 1] = { event = ev.event or "", data = ev.data or "", id = ev.id or "", retry = ev.retry or 0 }
        end })
        return seen, r.status, r.headers["content-type"], r.body
    ''' % q(recorder.url + "/events"))
    assert status == 200 and ctype == "text/event-stream" and body is None
    assert events == [
        {"event": "deploy", "data": '{"app":"web"}', "id": "1", "retry": 0},
        {"event": "", "data": "first line\nsecond line", "id": "", "retry": 0},
        {"event": "", "data": "", "id": "3", "retry": 1500},
        {"event": "", "data": "no space", "id": "", "retry": 0},
    ]


def test_on_event_close_stops_and_callback_may_yield(recorder):
    recorder.set("GET", "/events", body=STREAM, content_type="text/event-stream")
    assert lua_values('''
        local c = http.client()
        local n = 0
        c:get(%s, { on_event = function(ev) sleep(0.01) n = n + 1 if n == 2 then return "close" end end })
        return n
    ''' % q(recorder.url + "/events")) == 2


def test_on_event_with_post_and_an_error_in_the_callback(recorder):
    recorder.set("POST", "/watch", body=STREAM, content_type="text/event-stream")
    err = lua_error('http.post(%s, { watch = true }, { on_event = function(ev) error("stop here") end })'
                    % q(recorder.url + "/watch"))
    assert err.endswith("stop here")
    assert recorder.last("/watch").json() == {"watch": True}


def test_on_event_with_an_ordinary_response_returns_it_whole(recorder):
    recorder.set("GET", "/plain", body={"a": 1})
    assert lua_values('local called = false '
                      'local r = http.get(%s, { on_event = function() called = true end }) '
                      'return r.status, r.body, called' % q(recorder.url + "/plain")) == (200, '{"a": 1}', False)


def test_on_event_must_be_a_function():
    assert lua_error('http.get("http://127.0.0.1:1/", { on_event = 5 })') == "http.get: on_event must be a function"
