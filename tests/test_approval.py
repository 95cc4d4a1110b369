"""Approval mode: each write suspends the run until `assay resume` decides it."""
import json
import os
import time

from conftest import run_assay

SCRIPT = """
local dir = %s
local first = fs.read(dir .. '/in.txt')
fs.write(dir .. '/one.txt', first)
local ok, err = pcall(fs.write, dir .. '/two.txt', 'second')
return { ok = ok, err = err }
"""


def setup(tmp_path):
    (tmp_path / "in.txt").write_text("data")
    script = tmp_path / "w.lua"
    script.write_text(SCRIPT % json.dumps(str(tmp_path)))
    env = {"ASSAY_STATE_DIR": str(tmp_path / "state")}
    return script, env


def suspend(script, env, *flags):
    r = run_assay("run", "--mode", "tool", *flags, script, extra_env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def resume(token, approve, env, *extra):
    r = run_assay("resume", "--token", token, "--approve", approve, *extra, extra_env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_each_write_waits_for_its_own_approval(tmp_path):
    script, env = setup(tmp_path)
    doc = suspend(script, env, "--approval-mode")
    assert doc["ok"] is True and doc["status"] == "needs_approval" and doc["output"] is None
    request = doc["requiresApproval"]
    assert request["prompt"] == "Approve fs.write?"
    context = request["context"]
    assert context["op"] == "fs.write" and context["index"] == 0
    assert context["summary"] == str(tmp_path / "one.txt") and len(context["digest"]) == 64
    assert not (tmp_path / "one.txt").exists()  # suspended before the write

    doc = resume(request["resumeToken"], "yes", env, "--approver", "alice")
    assert (tmp_path / "one.txt").read_text() == "data"
    assert doc["status"] == "needs_approval" and doc["approver"] == "alice"
    second = doc["requiresApproval"]
    assert second["context"]["index"] == 1 and second["context"]["summary"] == str(tmp_path / "two.txt")
    assert not (tmp_path / "two.txt").exists()

    doc = resume(second["resumeToken"], "no", env, "--approver", "bob")
    assert doc["status"] == "ok" and doc["approver"] == "bob"
    assert doc["output"] == {"ok": False, "err": "approval: fs.write denied"}
    assert not (tmp_path / "two.txt").exists()

    log = [json.loads(line) for line in (tmp_path / "state" / "approvals.log").read_text().splitlines()]
    assert [(e["op"], e["index"], e["decision"], e["approver"]) for e in log] == \
        [("fs.write", 0, "yes", "alice"), ("fs.write", 1, "no", "bob")]
    assert log[0]["digest"] == context["digest"]


def test_env_variable_turns_it_on(tmp_path):
    script, env = setup(tmp_path)
    assert suspend(script, dict(env, ASSAY_APPROVAL="true"))["status"] == "needs_approval"
    assert suspend(script, dict(env, ASSAY_APPROVAL="1", ASSAY_READONLY="1"))["status"] == "needs_approval"


def test_replayed_token_is_refused(tmp_path):
    script, env = setup(tmp_path)
    token = suspend(script, env, "--approval-mode")["requiresApproval"]["resumeToken"]
    resume(token, "yes", env)
    (tmp_path / "one.txt").unlink()
    doc = resume(token, "yes", env)
    assert doc == {"ok": False, "status": "error", "error": "resume token already used"}
    assert not (tmp_path / "one.txt").exists()


def test_grant_cannot_approve_a_different_request(tmp_path):
    """The grant is bound to the digest of the exact operation: change what the
    script writes between approval and resume and the grant does not apply."""
    script, env = setup(tmp_path)
    token = suspend(script, env, "--approval-mode")["requiresApproval"]["resumeToken"]
    script.write_text(script.read_text().replace("'/one.txt', first", "'/one.txt', 'something else'"))
    doc = resume(token, "yes", env)
    assert doc["status"] == "error"
    assert "approval: operation 0 changed since approval ('fs.write' arguments differ)" in doc["error"]
    assert not (tmp_path / "one.txt").exists()

    script.write_text(SCRIPT.replace("fs.write(dir .. '/one.txt', first)", "fs.remove(dir .. '/in.txt')")
                      % json.dumps(str(tmp_path)))
    token = suspend(script, env, "--approval-mode")["requiresApproval"]["resumeToken"]
    script.write_text(SCRIPT % json.dumps(str(tmp_path)))
    doc = resume(token, "yes", env)
    assert "approval: operation 0 changed since approval (approved 'fs.remove', got 'fs.write')" in doc["error"]
    assert (tmp_path / "in.txt").exists() and not (tmp_path / "one.txt").exists()


def test_pcall_does_not_let_a_suspended_run_go_on(tmp_path):
    target = tmp_path / "later.txt"
    script = tmp_path / "p.lua"
    script.write_text("pcall(fs.write, %s, 'a')\nlocal ok, e = pcall(fs.write, %s, 'b')\nreturn e"
                      % (json.dumps(str(tmp_path / "first.txt")), json.dumps(str(target))))
    doc = suspend(script, {"ASSAY_STATE_DIR": str(tmp_path / "s")}, "--approval-mode")
    assert doc["status"] == "needs_approval" and doc["requiresApproval"]["context"]["index"] == 0
    assert not target.exists() and not (tmp_path / "first.txt").exists()


def test_expired_token_is_refused(tmp_path):
    script, env = setup(tmp_path)
    token = suspend(script, env, "--approval-mode")["requiresApproval"]["resumeToken"]
    state_file = tmp_path / "state" / "resume" / (token + ".json")
    state = json.loads(state_file.read_text())
    state["created_at"] = int(time.time()) - 7200
    state_file.write_text(json.dumps(state))
    doc = resume(token, "yes", env)
    assert doc == {"ok": False, "status": "error", "error": "resume token expired"}
    assert not (tmp_path / "one.txt").exists()


def test_script_mode_reports_the_pending_write_as_an_error(tmp_path):
    script, env = setup(tmp_path)
    r = run_assay("run", "--approval-mode", script, extra_env=env)
    assert r.returncode == 1
    assert "approval: fs.write needs approval" in r.stderr
    assert not os.path.exists(tmp_path / "one.txt")


def test_tool_mode_script_arguments_fill_arg_and_survive_a_resume(tmp_path):
    """issue 18: `assay run --mode tool s.lua -- a b` fills `arg` like script mode, and the
    re-run after an approval gets the same words."""
    script = tmp_path / "args.lua"
    script.write_text("local out = tostring(arg[0]):match('args%%.lua$') and table.concat(arg, ',') or 'no arg[0]'\n"
                      "fs.write(%s, out)\nreturn { words = out, n = #arg }\n" % json.dumps(str(tmp_path / "out.txt")))
    env = {"ASSAY_STATE_DIR": str(tmp_path / "state")}
    r = run_assay("run", "--mode", "tool", script, "--", "staging", "a b", extra_env=env)
    assert json.loads(r.stdout)["output"] == {"words": "staging,a b", "n": 2}
    doc = json.loads(run_assay("run", "--mode", "tool", "--approval-mode", script, "--", "prod", "3",
                               extra_env=env).stdout)
    assert doc["status"] == "needs_approval"
    done = resume(doc["requiresApproval"]["resumeToken"], "yes", env)
    assert done["output"] == {"words": "prod,3", "n": 2}
    assert (tmp_path / "out.txt").read_text() == "prod,3"
