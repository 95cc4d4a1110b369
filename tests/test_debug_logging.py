"""Diagnostics (issue 18): at debug level (`-v` or RUST_LOG=debug) every outgoing HTTP, ws and db
call and every `http.serve` request is logged with its outcome and duration, secrets redacted;
without it nothing of the kind is written.

One script serves HTTP and a WebSocket in the background and calls itself, so every family
is exercised against a real server in one run.
"""
import re

from conftest import run_assay

SCRIPT = r'''
async.spawn(function()
  http.serve(0, { GET = {
    ["/ok"] = function() return { body = "ok" } end,
    ["/ws"] = function() return { ws = function(conn) local m = conn:read() conn:write(m) end } end,
  } })
end)
while _SERVER_PORT == nil do sleep(0.01) end
local base = "127.0.0.1:" .. _SERVER_PORT
http.get("http://user:hunter2@" .. base .. "/ok?api_token=hunter2&page=2")
local c = ws.connect("ws://" .. base .. "/ws")
ws.send(c, "ping")
ws.recv(c)
ws.close(c)
local d = db.connect("sqlite::memory:")
db.execute(d, "create table users (name text, password text)")
db.execute(d, "insert into users values (?, ?)", { "ann", "hunter2" })
db.query(d, "select name from users where password = 'hunter2'")
db.close(d)
print("done")
'''


def debug_lines(stderr):
    return [line for line in stderr.splitlines() if " DEBUG " in line]


def test_debug_level_logs_every_call_with_secrets_redacted(tmp_path):
    script = tmp_path / "calls.lua"
    script.write_text(SCRIPT)
    r = run_assay("-v", "run", script, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = debug_lines(r.stderr)
    text = "\n".join(lines)
    assert "hunter2" not in r.stderr

    def one(pattern):
        found = [line for line in lines if re.search(pattern, line)]
        assert found, "no log line matching %r in:\n%s" % (pattern, text)
        return found[0]

    line = one(r"DEBUG http request method=GET url=http://user:\[redacted\]@127\.0\.0\.1:\d+/ok\?")
    assert "api_token=%5Bredacted%5D" in line or "api_token=[redacted]" in line
    assert re.search(r"status=200 duration=\d+\.\dms", line)
    one(r"DEBUG http\.serve request method=GET path=/ok\?api_token=\[redacted\]&page=2 status=200 duration=")
    one(r"DEBUG http\.serve request method=GET path=/ws status=101 ")
    one(r"DEBUG ws connect url=ws://127\.0\.0\.1:\d+/ws status=ok duration=")
    one(r"DEBUG ws send conn=\d+ kind=text bytes=4 status=ok")
    one(r"DEBUG ws recv conn=\d+ bytes=4 status=ok")
    one(r"DEBUG db connect driver=sqlite url=sqlite::memory: status=ok")
    one(r'DEBUG db\.execute driver=sqlite statement="insert into users values \(\?, \?\)" rows=1 status=ok')
    one(r"DEBUG db\.query driver=sqlite statement=\"select name from users where password = '\?'\" rows=1 status=ok")


def test_failed_calls_are_logged_as_errors_of_the_call(tmp_path):
    r = run_assay("exec", "-e", 'pcall(ws.connect, "ws://127.0.0.1:1/") '
                  'local d = db.connect("sqlite::memory:") pcall(db.query, d, "select nope from nowhere")',
                  extra_env={"RUST_LOG": "debug"}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = "\n".join(debug_lines(r.stderr))
    assert re.search(r"ws connect url=ws://127\.0\.0\.1:1/ status=error duration=", text), text
    assert re.search(r'db\.query driver=sqlite statement="select nope from nowhere" status=error', text), text


def test_nothing_is_logged_at_the_default_level(tmp_path):
    script = tmp_path / "calls.lua"
    script.write_text(SCRIPT)
    r = run_assay("run", script, cwd=tmp_path, extra_env={"RUST_LOG": ""})
    assert r.returncode == 0 and r.stdout == "done\n"
    assert debug_lines(r.stderr) == []
