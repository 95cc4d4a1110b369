"""The 64 MiB Lua heap: a builtin whose result does not fit is a clean, catchable
error naming the size; the process neither hangs nor panics afterwards."""
import os
import sys

import pytest

from conftest import run_assay

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "stdlib"))
from fakes import recorder, recorder_server  # noqa: E402,F401

BIG = "string.rep('x', 40 * 1024 * 1024)"


@pytest.mark.parametrize("call", [
    "json.encode({%s})" % BIG,
    "yaml.encode({%s})" % BIG,
    "base64.encode(string.rep('x', 30 * 1024 * 1024))",
])
def test_builtin_result_too_big_is_catchable(tmp_path, call):
    fn = call.split("(")[0]
    script = tmp_path / "m.lua"
    script.write_text("local ok, err = pcall(function() return %s end)\n"
                      "print(ok, err)\nprint('after')\n" % call)
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.splitlines()
    assert first.startswith("false\t%s: not enough memory (a value of " % fn)
    assert second == "after"


def test_fs_read_of_a_file_bigger_than_the_heap(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(70_000_000)
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(fs.read, %r))\nprint('after')\n" % str(big))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\tfs.read: not enough memory (a value of 70000")
    assert r.stdout.endswith("after\n")


def test_fs_read_of_an_endless_file_stops_at_the_heap(tmp_path):
    # /dev/zero has no size to check first: the read itself must stop at the room left
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(fs.read, '/dev/zero'))\nprint('after')\n")
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\tfs.read: not enough memory (a value of more than ")
    assert r.stdout.endswith("after\n")


def test_http_body_bigger_than_the_heap_is_refused_by_its_size(tmp_path, recorder):
    recorder.set("GET", "/big", body=b"x" * 70_000_000, content_type="application/octet-stream")
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(http.get, %r))\nprint('after')\n" % (recorder.url + "/big"))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\thttp.get: not enough memory (a value of 70000000 bytes, ")
    assert r.stdout.endswith("after\n")
    assert "PANIC" not in r.stderr


def test_uncaught_http_body_too_big_is_a_memory_error(tmp_path, recorder):
    recorder.set("GET", "/big", body=b"x" * 70_000_000, content_type="application/octet-stream")
    script = tmp_path / "m.lua"
    script.write_text("local r = http.get(%r)\n" % (recorder.url + "/big"))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "memory error: not enough memory (" in r.stderr
    assert "m.lua:1: http.get: a value of 70000000 bytes" in r.stderr


def test_uncaught_lua_out_of_memory_exits_1(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n")
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "ERROR memory error: not enough memory\n" in r.stderr


def test_uncaught_result_too_big_exits_1_and_names_the_builtin(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("local s = json.encode({%s})\n" % BIG)
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 1
    assert "memory error: not enough memory (" in r.stderr
    assert "m.lua:1: json.encode: a value of " in r.stderr


@pytest.mark.parametrize("body", [
    b"data: " + b"x" * 70_000_000,                      # one line that never ends
    (b"data: " + b"x" * 1_000_000 + b"\n") * 70,        # data lines, never the blank line
], ids=["endless_line", "endless_event"])
def test_sse_event_bigger_than_the_heap_is_refused(tmp_path, recorder, body):
    recorder.set("GET", "/events", body=body, content_type="text/event-stream")
    script = tmp_path / "m.lua"
    script.write_text("local n = 0\n"
                      "print(pcall(http.get, %r, {on_event = function() n = n + 1 end}))\n"
                      "print('after', n)\n" % (recorder.url + "/events"))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\thttp.get: not enough memory (a value of more than ")
    assert r.stdout.endswith("after\t0\n")


def test_on_event_with_an_ordinary_body_bigger_than_the_heap_is_refused(tmp_path, recorder):
    recorder.set("GET", "/big", body=b"x" * 70_000_000, content_type="application/octet-stream")
    script = tmp_path / "m.lua"
    script.write_text("print(pcall(http.get, %r, {on_event = function() end}))\nprint('after')\n"
                      % (recorder.url + "/big"))
    r = run_assay(str(script), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("false\thttp.get: not enough memory (a value of 70000000 bytes, ")
    assert r.stdout.endswith("after\n")
