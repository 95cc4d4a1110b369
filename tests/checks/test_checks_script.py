"""`type: script` checks (checks.md §5.3): fresh runtime per attempt, env overlay, errors."""
import json
import os

from checkhelpers import free_port, run_config, write


def script_check(name, file, extra=""):
    return "  - name: %s\n    type: script\n    file: %s\n%s" % (name, file, extra)


def config(*checks, retries=0, backoff="10ms"):
    return "retries: %d\nbackoff: %s\nchecks:\n%s" % (retries, backoff, "".join(checks))


def test_chk_34_pass_and_lua_error_text(tmp_path):
    write(tmp_path, "ok.lua", "local t = {1, 2, 3}\nreturn false, 'return values are ignored'\n")
    write(tmp_path, "fail.lua", "local x = 1\n\nerror('health endpoint down')\n")
    write(tmp_path, "assert.lua", "assert.eq(1, 2, 'replicas')\n")
    write(tmp_path, "table_err.lua", "error({code = 1})\n")
    write(tmp_path, "syntax.lua", "local = 1\n")
    r = run_config(tmp_path, config(script_check("ok", "ok.lua"), script_check("fail", "fail.lua"),
                                    script_check("assert", "assert.lua"), script_check("table", "table_err.lua"),
                                    script_check("syntax", "syntax.lua")))
    assert r.check("ok")["passed"] is True and r.check("ok")["message"] is None
    assert r.message("fail") == "fail.lua:3: health endpoint down"
    assert "replicas" in r.message("assert")
    assert r.check("table")["passed"] is False and r.message("table")
    assert r.message("syntax").startswith("syntax error: syntax.lua:1:")
    assert r.code == 1


def test_chk_35_missing_file_field_and_missing_file(tmp_path):
    r = run_config(tmp_path, config("  - name: nofile\n    type: script\n",
                                    script_check("gone", "checks/gone.lua"), retries=2))
    assert r.message("nofile") == "script check requires a 'file' field"
    assert r.message("gone") == 'failed to read Lua script "checks/gone.lua": No such file or directory (os error 2)'
    (tmp_path / "latin1.lua").write_bytes(b"-- caf\xe9\n")
    r = run_config(tmp_path, config(script_check("latin", "latin1.lua")))
    assert r.message("latin").startswith('failed to read Lua script "latin1.lua": ')


def test_chk_36_paths_relative_to_working_directory(tmp_path):
    write(tmp_path, "checks/probe.lua", "log.info('probe ran')\n")
    write(tmp_path, "conf/probe.lua", "error('resolved against the YAML directory')\n")
    (tmp_path / "conf").mkdir(exist_ok=True)
    write(tmp_path, "conf/c.yaml", config(script_check("probe", "checks/probe.lua")))
    from conftest import run_assay
    r = run_assay("conf/c.yaml", cwd=str(tmp_path))
    report = json.loads(r.stdout)
    assert report["passed"] is True, r.stderr
    # from inside conf/ the same relative path does not exist
    r = run_assay("c.yaml", cwd=str(tmp_path / "conf"))
    assert json.loads(r.stdout)["checks"][0]["message"].startswith('failed to read Lua script "checks/probe.lua"')


def test_chk_37_env_overlay_is_per_check_and_private(tmp_path):
    write(tmp_path, "with_env.lua", """
assert(env.get("ASSAY_TEST_TOKEN") == "s3cret", "overlay missing")
assert(env.get("HOME_OVERRIDE") == "/override")
for _, item in ipairs(env.list()) do
  assert(item.key ~= "ASSAY_TEST_TOKEN", "overlay leaked into env.list")
end
local out = shell.exec("printf '%s' \\"${ASSAY_TEST_TOKEN:-unset}\\"")
assert(out.stdout == "unset", "child process saw " .. tostring(out.stdout))
""")
    write(tmp_path, "without_env.lua", """
assert(env.get("ASSAY_TEST_TOKEN") == nil, "overlay leaked into another check")
assert(env.get("HOME_OVERRIDE") == nil)
""")
    r = run_config(tmp_path, config(
        script_check("with", "with_env.lua", "    env:\n      ASSAY_TEST_TOKEN: s3cret\n      HOME_OVERRIDE: /override\n"),
        script_check("without", "without_env.lua")))
    assert r.code == 0, r
    assert "ASSAY_TEST_TOKEN" not in os.environ


def test_chk_37_overlay_shadows_process_environment(tmp_path):
    write(tmp_path, "shadow.lua", 'assert(env.get("ASSAY_SHADOWED") == "from-yaml", env.get("ASSAY_SHADOWED"))\n'
                                  'env.set("ASSAY_SHADOWED", "set-by-script")\n'
                                  'assert(env.get("ASSAY_SHADOWED") == "from-yaml")\n')
    write(tmp_path, "plain.lua", 'assert(env.get("ASSAY_SHADOWED") == "from-process", env.get("ASSAY_SHADOWED"))\n')
    r = run_config(tmp_path, config(script_check("shadow", "shadow.lua", "    env: {ASSAY_SHADOWED: from-yaml}\n"),
                                    script_check("plain", "plain.lua")),
                   extra_env={"ASSAY_SHADOWED": "from-process"})
    assert r.check("shadow")["passed"] is True, r
    # env.set changes the real process environment (builtins.md §12), which later checks then see
    assert r.message("plain") is not None and "set-by-script" in r.message("plain")


def test_chk_38_fresh_runtime_per_attempt(tmp_path):
    write(tmp_path, "stateful.lua", """
if MARKER then error("global survived from an earlier attempt") end
MARKER = true
package.loaded["shared.state"] = package.loaded["shared.state"] or {n = 0}
local state = package.loaded["shared.state"]
state.n = state.n + 1
if state.n > 1 then error("package.loaded survived") end
error("attempt failed on purpose")
""")
    write(tmp_path, "second.lua", "if MARKER then error('global leaked between checks') end\n")
    r = run_config(tmp_path, config(script_check("stateful", "stateful.lua"), script_check("second", "second.lua"),
                                    retries=2))
    assert r.message("stateful") == "stateful.lua:8: attempt failed on purpose", r
    assert len(r.log_lines('check failed, retrying check="stateful"')) == 2
    assert all("attempt failed on purpose" in line for line in r.log_lines("check failed, retrying"))
    assert r.check("second")["passed"] is True


def test_chk_39_error_positions_name_the_file_and_real_line(tmp_path):
    write(tmp_path, "checks/shebang.lua", "#!/usr/bin/env assay\n-- comment\nlocal a = 1\nerror('boom')\n")
    write(tmp_path, "checks/mod_user.lua", "local x = nil\nlocal y = x.field\n")
    r = run_config(tmp_path, config(script_check("shebang", "checks/shebang.lua"),
                                    script_check("index", "./checks/mod_user.lua")))
    assert r.message("shebang") == "checks/shebang.lua:4: boom"
    assert r.message("index").startswith("./checks/mod_user.lua:2: ")
    assert "async_bridge" not in r.stdout


def test_chk_48_async_spawn_in_check_script(tmp_path):
    write(tmp_path, "spawn.lua", """
local h = async.spawn(function()
  sleep(0.05)
  return 41
end)
local t = async.spawn_interval(0.01, function() end)
local values = h:await()  -- an array of the task's return values (runtime.md RT-39)
t:cancel()
assert(values[1] + 1 == 42, "awaited value " .. tostring(values[1]))
""")
    write(tmp_path, "spawn_fail.lua", """
local h = async.spawn(function() error("task broke") end)
h:await()
""")
    r = run_config(tmp_path, config(script_check("spawn", "spawn.lua"), script_check("spawn-fail", "spawn_fail.lua")))
    assert r.report is not None, r  # the original aborts here: no JSON at all
    assert r.check("spawn")["passed"] is True, r
    assert "task broke" in r.message("spawn-fail")


def test_chk_48_http_serve_in_check_script_and_port_reuse(tmp_path):
    port = free_port()
    write(tmp_path, "serve.lua", """
async.spawn(function()
  http.serve(%d, { GET = { ["/ping"] = function(req) return { status = 200, body = "pong" } end } })
end)
local r
for i = 1, 50 do
  local ok, res = pcall(http.get, "http://127.0.0.1:%d/ping")
  if ok then r = res break end
  sleep(0.05)
end
assert(r and r.body == "pong", "server did not answer")
ATTEMPTS = (ATTEMPTS or 0) + 1
error("served once, failing to force a retry")
""" % (port, port))
    r = run_config(tmp_path, config(script_check("serve", "serve.lua"), retries=1))
    assert r.report is not None, r
    # both attempts could bind the same port: the first attempt's server was stopped
    assert r.message("serve") == "serve.lua:13: served once, failing to force a retry", r
    assert "bind failed" not in r.stderr


def test_chk_script_os_exit_and_io_write_do_not_break_the_report(tmp_path):
    """Port addition: os.exit ends only the script (0 passes), io.write goes to stderr."""
    write(tmp_path, "exit0.lua", "io.write('written by io.write\\n')\nos.exit(0)\nerror('not reached')\n")
    write(tmp_path, "exit3.lua", "os.exit(3)\n")
    write(tmp_path, "exit_false.lua", "os.exit(false)\n")
    write(tmp_path, "after.lua", "")
    r = run_config(tmp_path, config(script_check("exit0", "exit0.lua"), script_check("exit3", "exit3.lua"),
                                    script_check("exit-false", "exit_false.lua"), script_check("after", "after.lua")))
    assert r.report is not None, r
    assert [(c["name"], c["passed"], c["message"]) for c in r.checks] == [
        ("exit0", True, None), ("exit3", False, "script called os.exit(3)"),
        ("exit-false", False, "script called os.exit(1)"), ("after", True, None)]
    assert "written by io.write" in r.stderr and "written by io.write" not in r.stdout
