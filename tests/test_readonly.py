"""Read-only mode: `--readonly` / ASSAY_READONLY for run, exec, checks and tool mode."""
import json
import os
import sys

import pytest

from conftest import run_assay

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "stdlib"))
from fakes import FakeService  # noqa: E402

BLOCKED = "readonly: %s blocked (write operations are disabled in read-only mode)"
RO = {"ASSAY_READONLY": "1"}


def walk_builtins():
    """(global path of every function reachable from a fresh VM's globals,
    the bridge name of every Python builtin)."""
    from assay.runtime.guard import Guard
    from assay.builtins import FAMILIES, new_runtime
    rt = new_runtime(guard=Guard())
    for name, _, functions in FAMILIES:
        if functions is not None:  # installed on first use: install now, to see every bridge name
            rt.bridge.load(name)
    walk = rt.lua.eval('''function()
      local out, seen = {}, {}
      local function go(t, prefix, depth)
        if seen[t] or depth > 4 then return end
        seen[t] = true
        for k, v in pairs(t) do
          if type(k) == "string" then
            local name = prefix == "" and k or prefix .. "." .. k
            if type(v) == "function" then out[#out + 1] = name
            elseif type(v) == "table" and k ~= "_G" and k ~= "loaded" then go(v, name, depth + 1) end
          end
        end
      end
      go(_G, "", 0)
      return table.concat(out, " ")
    end''')
    names = walk().decode().split()
    bridged = list(rt.bridge.names)
    rt.close()
    return names, bridged


def test_every_builtin_function_is_classified_read_or_write():
    from assay.runtime.operations import lookup
    names, bridged = walk_builtins()
    assert "fs.write" in names and "io.open" in names and "fs.write" in bridged
    missing = sorted({n for n in names + bridged if lookup(n) is None})
    assert not missing, (
        "builtin functions missing from OPERATIONS in assay/runtime/operations.py: %s\n"
        "Add each one as READ (changes nothing outside the VM), as the name it is blocked under "
        "when it writes (e.g. \"fs.write\": \"fs.write\"), as a function of its arguments when only "
        "some calls write, or as VIA for a Lua function that only calls other builtins."
        % ", ".join(missing))


def test_the_table_names_real_functions_only():
    """An entry for a function that no longer exists would hide a rename."""
    from assay.runtime.operations import OPERATIONS
    names, bridged = walk_builtins()
    known = set(names) | set(bridged)
    stale = [k for k in OPERATIONS if not k.endswith(".*") and k not in known]
    assert not stale, "OPERATIONS lists functions no VM has: %s" % stale


WRITES = [
    ("fs.write", "fs.write(DIR .. '/f', 'x')"),
    ("fs.remove", "fs.remove(DIR .. '/keep')"),
    ("fs.rename", "fs.rename(DIR .. '/keep', DIR .. '/moved')"),
    ("fs.copy", "fs.copy(DIR .. '/keep', DIR .. '/copy')"),
    ("fs.mkdir", "fs.mkdir(DIR .. '/d')"),
    ("fs.chmod", "fs.chmod(DIR .. '/keep', 511)"),
    ("fs.tempdir", "fs.tempdir()"),
    ("io.open", "io.open(DIR .. '/f', 'w')"),
    ("io.open", "io.open(DIR .. '/keep', 'a+')"),
    ("io.output", "io.output(DIR .. '/f')"),
    ("io.popen", "io.popen('touch ' .. DIR .. '/f')"),
    ("os.remove", "os.remove(DIR .. '/keep')"),
    ("os.rename", "os.rename(DIR .. '/keep', DIR .. '/moved')"),
    ("shell.exec", "shell.exec('touch ' .. DIR .. '/f')"),
    ("process.kill", "process.kill(999999)"),
    ("env.set", "env.set('RO_TEST', '1')"),
    ("db.execute", "db.execute(db.connect('sqlite:' .. DIR .. '/db.sqlite'), 'create table u(a)')"),
    ("db.query", "db.query(db.connect('sqlite:' .. DIR .. '/db.sqlite'), 'insert into t values (1)')"),
    ("db.query", "db.query(db.connect('sqlite:' .. DIR .. '/db.sqlite'), 'select 1; drop table t')"),
    ("ws.connect", "ws.connect('ws://127.0.0.1:1/')"),
    ("http.serve", "http.serve(0, {GET = {['/'] = function() return {status = 200} end}})"),
    ("fs.write_bytes", "fs.write_bytes(DIR .. '/f', 'x')"),
    ("fs.sub_in_file", "fs.sub_in_file(DIR .. '/keep', 'kept', 'changed')"),
    ("tar.create", "tar.create(DIR .. '/a.tar', {['x'] = 'y'})"),
]


@pytest.mark.parametrize("name,code", [w for w in WRITES if w[1]], ids=[w[1][:40] for w in WRITES if w[1]])
def test_each_write_is_blocked_and_nothing_is_written(tmp_path, name, code):
    import sqlite3
    (tmp_path / "keep").write_text("kept")
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        conn.execute("create table t(a)")
    before = sorted(os.listdir(tmp_path))
    script = tmp_path.parent / ("ro_%s.lua" % tmp_path.name)
    script.write_text("DIR = %s\nlocal ok, err = pcall(function() %s end)\nprint(err)\nassert(not ok)\n"
                      % (json.dumps(str(tmp_path)), code))
    r = run_assay("run", "--readonly", script)
    assert r.returncode == 0, r.stderr
    assert BLOCKED % name in r.stdout
    assert sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / "keep").read_text() == "kept"
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_reads_keep_working(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    code = """
    local dir = %s
    assert(fs.read(dir .. '/a.txt') == 'hello')
    assert(fs.exists(dir .. '/a.txt'))
    assert(#fs.list(dir) == 1)
    local f = assert(io.open(dir .. '/a.txt'))
    assert(f:read('a') == 'hello') f:close()
    for line in io.lines(dir .. '/a.txt') do assert(line == 'hello') end
    local conn = db.connect('sqlite::memory:')
    assert(db.query(conn, 'select 1 as one')[1].one == 1)
    assert(db.query(conn, "select 'drop table x' as s")[1].s == 'drop table x')
    assert(env.get('HOME') ~= nil)
    assert(json.parse(json.encode({a = 1})).a == 1)
    assert(crypto.hash('x', 'sha256'))
    io.write('still prints\\n')
    print('done')
    """ % json.dumps(str(tmp_path))
    r = run_assay("exec", "--readonly", "-e", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "still prints\ndone\n"


def test_http_reads_pass_and_write_verbs_never_leave_the_process():
    fake = FakeService()
    try:
        fake.set("GET", "/x", body={"v": 1})
        code = """
        local url = %s
        assert(http.get(url .. '/x').status == 200)
        local c = http.client({})
        assert(c:get(url .. '/x').status == 200)
        for _, call in ipairs({
          function() return http.post(url .. '/x', 'b') end,
          function() return http.put(url .. '/x', 'b') end,
          function() return http.patch(url .. '/x', 'b') end,
          function() return http.delete(url .. '/x') end,
          function() return c:post(url .. '/x', 'b') end,
          function() return c:delete(url .. '/x') end,
        }) do
          local ok, err = pcall(call)
          assert(not ok) print(err)
        end
        """ % json.dumps(fake.url)
        r = run_assay("exec", "-e", code, extra_env=RO)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines == [BLOCKED % m for m in ("http.post", "http.put", "http.patch", "http.delete",
                                               "http.post", "http.delete")]
        assert [q.method for q in fake.requests] == ["GET", "GET"]
    finally:
        fake.close()


@pytest.mark.parametrize("value,blocked", [("1", True), ("true", True), ("TRUE", True), ("0", False),
                                            ("", False), ("yes", False)])
def test_env_variable_values(tmp_path, value, blocked):
    target = tmp_path / "f"
    r = run_assay("exec", "-e", "fs.write(%s, 'x')" % json.dumps(str(target)),
                  extra_env={"ASSAY_READONLY": value})
    assert target.exists() is not blocked
    assert (BLOCKED % "fs.write" in r.stderr) is blocked


HIDDEN = {
    "pcall": "local ok, e = pcall(fs.write, F, 'x') error(e, 0)",
    "xpcall": "local ok, e = xpcall(function() fs.write(F, 'x') end, function(e) return e end) error(e, 0)",
    "coroutine": "coroutine.wrap(function() fs.write(F, 'x') end)()",
    "async.spawn": "async.spawn(function() fs.write(F, 'x') end):await()",
    "load": "load(\"fs.write(F, 'x')\")()",
    "require": "package.preload.w = function() fs.write(F, 'x') end require('w')",
    "require file": "require('writer')",
    "captured before": "local w = fs.write; w(F, 'x')",
    "metatable": "local _ = setmetatable({}, {__index = function() fs.write(F, 'x') end}).y",
    "tostring": "tostring(setmetatable({}, {__tostring = function() fs.write(F, 'x') end}))",
    "process escape": "shell.exec('sh -c \"echo x > ' .. F .. '\"')",
    "io.popen escape": "io.popen('echo x > ' .. F):close()",
}


@pytest.mark.parametrize("way", sorted(HIDDEN))
def test_writes_hidden_behind_lua_are_blocked(tmp_path, way):
    if way == "load" and run_assay("exec", "-e", "assert(load)").returncode != 0:
        pytest.skip("the sandbox has no load() (assay 0.8.3 removes it)")
    target = tmp_path / "out.txt"
    (tmp_path / "writer.lua").write_text("fs.write(F, 'from a module') return {}")
    script = tmp_path / "hide.lua"
    script.write_text("F = %s\nlocal ok, err = pcall(function() %s end)\nprint(ok, err)\n"
                      % (json.dumps(str(target)), HIDDEN[way]))
    r = run_assay("run", script, "--readonly", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "readonly: " in r.stdout and "blocked (write operations are disabled in read-only mode)" in r.stdout
    assert not target.exists()


def test_tool_mode_envelope_says_readonly(tmp_path):
    script = tmp_path / "t.lua"
    script.write_text("return fs.read(%s)" % json.dumps(str(script)))
    r = run_assay("run", "--mode", "tool", "--readonly", script)
    doc = json.loads(r.stdout)
    assert doc["status"] == "ok" and doc["readonly"] is True
    assert r.stdout.endswith(',"readonly":true}')
    script.write_text("fs.write(%s, 'x')" % json.dumps(str(tmp_path / "w")))
    r = run_assay("run", "--mode", "tool", script, extra_env=RO)
    doc = json.loads(r.stdout)
    assert list(doc) == ["ok", "status", "error", "readonly"]
    assert doc["ok"] is False and doc["readonly"] is True
    assert doc["error"].endswith("t.lua:1: " + BLOCKED % "fs.write")
    assert not (tmp_path / "w").exists()
    r = run_assay("run", "--mode", "tool", script)  # without the gate: no field, the write happens
    assert "readonly" not in json.loads(r.stdout) and (tmp_path / "w").exists()


def test_checks_mode_script_checks_are_read_only(tmp_path):
    (tmp_path / "reader.lua").write_text("assert(fs.read(%s))" % json.dumps(str(tmp_path / "reader.lua")))
    (tmp_path / "writer.lua").write_text("fs.write(%s, 'x')" % json.dumps(str(tmp_path / "w")))
    config = tmp_path / "c.yaml"
    config.write_text("retries: 0\nchecks:\n  - name: reads\n    type: script\n    file: reader.lua\n"
                      "  - name: writes\n    type: script\n    file: writer.lua\n")
    r = run_assay("--readonly", config, cwd=tmp_path)
    assert r.returncode == 1
    report = json.loads(r.stdout)
    results = {c["name"]: c for c in report["checks"]}
    assert results["reads"]["passed"] is True
    assert results["writes"]["passed"] is False and BLOCKED % "fs.write" in results["writes"]["message"]
    assert not (tmp_path / "w").exists()


def test_flag_is_listed_in_help():
    r = run_assay("run", "--help")
    assert "--readonly" in r.stdout and "ASSAY_READONLY=1" in r.stdout
