"""Tool mode, the JSON envelope, approval and resume (cli.md §6)."""
import json
import os
import re

from conftest import run_assay

APPROVAL_SCRIPT = """
local decision = env.get("ASSAY_APPROVAL_RESULT")
if decision then
  return { status = decision == "yes" and "deployed" or "rejected" }
end
error('__assay_approval_request__:' .. json.encode({ prompt = "Deploy?", context = { env = "prod" } }))
"""


def tool(tmp_path, body, *extra, env=None, name="t.lua"):
    script = tmp_path / name
    script.write_text(body)
    return run_assay("run", "--mode", "tool", *extra, script, cwd=tmp_path, extra_env=env)


def test_cli_21_mode_selection(tmp_path):
    script = tmp_path / "m.lua"
    script.write_text("return 'value'")
    r = run_assay(script, extra_env={"ASSAY_MODE": "tool"})
    assert r.stdout.startswith('{"ok":true')
    r = run_assay("exec", script, extra_env={"ASSAY_MODE": "tool"})
    assert r.stdout.startswith('{"ok":true')
    r = run_assay("run", "--mode", "script", script, extra_env={"ASSAY_MODE": "tool"})
    assert r.stdout == ""
    r = run_assay("exec", "-e", "return 1", extra_env={"ASSAY_MODE": "tool"})
    assert r.stdout == ""  # exec -e always runs in script mode


def test_cli_22_table_output_envelope(tmp_path):
    r = tool(tmp_path, "return { b = 1, a = { 1, 2.5, 3.0 }, s = 'é' }")
    assert r.returncode == 0
    assert r.stdout == '{"ok":true,"status":"ok","output":{"a":[1,2.5,3.0],"b":1,"s":"é"},"requiresApproval":null}'


def test_cli_23_nil_and_string_outputs(tmp_path):
    assert tool(tmp_path, "local x = 1").stdout == '{"ok":true,"status":"ok","output":null,"requiresApproval":null}'
    assert tool(tmp_path, "return 'hi\\n'").stdout == \
        '{"ok":true,"status":"ok","output":"hi\\n","requiresApproval":null}'


def test_cli_24_sorted_keys_sequences_and_empty_table(tmp_path):
    r = tool(tmp_path, "return { z = {}, y = { 3, 2, nil, 9 }, x = { [1] = 'a', k = 'dropped' }, "
                       "n = 0/0, big = 1e21, small = 1e-7 }")
    out = r.stdout
    assert out == ('{"ok":true,"status":"ok","output":{"big":1e21,"n":null,"small":1e-7,"x":["a"],'
                   '"y":[3,2],"z":{}},"requiresApproval":null}')


def test_cli_25_lua_error_envelope(tmp_path):
    r = tool(tmp_path, "local a = 1\nerror('went wrong')")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["status"] == "error" and "t.lua:2: went wrong" in doc["error"]
    assert list(doc) == ["ok", "status", "error"]


def test_cli_26_timeout_sleeping_and_cpu_bound(tmp_path):
    for body in ("sleep(30)", "while true do end", "local ok = pcall(function() while true do end end) "
                                                    "while true do end"):
        r = tool(tmp_path, body, "--timeout", "1")
        assert r.returncode == 0
        assert r.stdout == '{"ok":false,"status":"timeout","error":"execution timed out after 1s"}'


def test_cli_27_stdout_only_envelope(tmp_path):
    r = tool(tmp_path, "print('noise') log.info('a log') io.stderr:write('x') return 1")
    assert r.stdout == '{"ok":true,"status":"ok","output":1,"requiresApproval":null}'
    assert "noise" in r.stderr and "a log" in r.stderr
    assert "starting assay (tool mode)" in r.stderr and "timeout_secs=20" in r.stderr


def test_cli_28_truncation(tmp_path):
    r = tool(tmp_path, "return string.rep('x', 600000)")
    data = r.stdout.encode()
    assert len(data) <= 524288
    doc = json.loads(r.stdout)
    assert doc["truncated"] is True and doc["output"].endswith("...")
    assert len(data) > 524288 - 10  # the largest prefix that fits
    r = tool(tmp_path, "local t = {} for i = 1, 100000 do t[i] = {id = i, name = 'n\\t' .. i} end return t")
    doc = json.loads(r.stdout)
    assert len(r.stdout.encode()) <= 524288 and doc["truncated"] is True
    assert doc["output"].startswith('[{"id":1,"name":"n\\t1"}')


def test_cli_29_unsupported_value(tmp_path):
    doc = json.loads(tool(tmp_path, "return function() end").stdout)
    assert doc["status"] == "error" and doc["error"].startswith("serializing Lua result:")
    doc = json.loads(tool(tmp_path, "local t = {} t.self = t return t").stdout)
    assert doc["error"].startswith("serializing Lua result:")
    doc = json.loads(tool(tmp_path, "return {[true] = 1}").stdout)
    assert doc["error"].startswith("serializing Lua result:")


def test_cli_30_assay_mode_set_without_shifting_lines(tmp_path):
    doc = json.loads(tool(tmp_path, "return env.get('ASSAY_MODE')").stdout)
    assert doc["output"] == "tool"
    doc = json.loads(tool(tmp_path, "\nerror('line two')").stdout)
    assert "t.lua:2: line two" in doc["error"]


def test_cli_11_missing_file_in_tool_mode(tmp_path):
    r = run_assay("run", "--mode", "tool", tmp_path / "gone.lua")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc == {"ok": False, "status": "error",
                   "error": "reading %s: No such file or directory (os error 2)" % (tmp_path / "gone.lua")}


def test_cli_31_to_35_approval_and_resume(tmp_path):
    state = tmp_path / "state"
    env = {"ASSAY_STATE_DIR": str(state)}
    r = tool(tmp_path, APPROVAL_SCRIPT, env=env)
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["status"] == "needs_approval" and doc["output"] is None
    approval = doc["requiresApproval"]
    assert list(approval) == ["context", "prompt", "resumeToken"]
    assert approval["prompt"] == "Deploy?" and approval["context"] == {"env": "prod"}
    token = approval["resumeToken"]
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    state_file = state / "resume" / (token + ".json")
    saved = json.loads(state_file.read_text())
    assert list(saved) == ["script_path", "approval_prompt", "approval_context", "created_at", "ttl_secs"]
    assert saved["script_path"] == str(tmp_path / "t.lua") and saved["ttl_secs"] == 3600

    r = run_assay("resume", "--token", token, "--approve", "yes", extra_env=env)
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"ok": True, "status": "ok", "output": {"status": "deployed"},
                                    "requiresApproval": None}
    assert not state_file.exists()

    token2 = json.loads(tool(tmp_path, APPROVAL_SCRIPT, env=env).stdout)["requiresApproval"]["resumeToken"]
    r = run_assay("resume", "--token", token2, "--approve", "no", extra_env=env)
    assert json.loads(r.stdout)["output"] == {"status": "rejected"}


def test_cli_35_resume_that_needs_approval_again_keeps_state(tmp_path):
    state = tmp_path / "state"
    env = {"ASSAY_STATE_DIR": str(state)}
    script = "error('__assay_approval_request__:{\"prompt\":\"again?\"}')"
    token = json.loads(tool(tmp_path, script, env=env).stdout)["requiresApproval"]["resumeToken"]
    r = run_assay("resume", "--token", token, "--approve", "yes", extra_env=env)
    assert json.loads(r.stdout)["status"] == "needs_approval"
    assert (state / "resume" / (token + ".json")).exists()


def test_cli_32_state_dir_resolution(tmp_path):
    script = "error('__assay_approval_request__:{\"prompt\":\"p\"}')"
    r = tool(tmp_path, script, env={"OPENCLAW_STATE_DIR": str(tmp_path / "oc")})
    token = json.loads(r.stdout)["requiresApproval"]["resumeToken"]
    assert (tmp_path / "oc" / "resume" / (token + ".json")).exists()
    env = dict(os.environ, HOME=str(tmp_path / "home"), NO_COLOR="1")
    for name in ("ASSAY_STATE_DIR", "OPENCLAW_STATE_DIR"):
        env.pop(name, None)
    (tmp_path / "h.lua").write_text(script)
    r = run_assay("run", "--mode", "tool", tmp_path / "h.lua", env=env)
    token = json.loads(r.stdout)["requiresApproval"]["resumeToken"]
    assert (tmp_path / "home" / ".assay" / "state" / "resume" / (token + ".json")).exists()


def test_cli_36_invalid_and_expired_tokens(tmp_path):
    state = tmp_path / "state"
    env = {"ASSAY_STATE_DIR": str(state)}
    for token in ("unknown", "../x", "a/b", "a.b"):
        r = run_assay("resume", "--token", token, "--approve", "yes", extra_env=env)
        assert r.returncode == 0
        assert r.stdout == '{"ok":false,"status":"error","error":"invalid resume token"}'
    (state / "resume").mkdir(parents=True)
    expired = state / "resume" / "expiredtokenexpiredtokenexpired12.json"
    expired.write_text(json.dumps({"script_path": "/x.lua", "approval_prompt": "p", "approval_context": None,
                                   "created_at": 0, "ttl_secs": 3600}))
    r = run_assay("resume", "--token", "expiredtokenexpiredtokenexpired12", "--approve", "yes", extra_env=env)
    assert r.stdout == '{"ok":false,"status":"error","error":"resume token expired"}'


def test_cli_approval_marker_json_malformed_is_plain_error(tmp_path):
    doc = json.loads(tool(tmp_path, "error('__assay_approval_request__:{not json')").stdout)
    assert doc["status"] == "error"
