"""assay.openclaw (spec stdlib/openclaw.md, OPENCLAW-01..17) against the shared OpenClaw fake
(fake_openclaw.FakeOpenClaw), plus the approval gate through the real command: tool mode →
needs_approval → `assay resume --approve yes|no` (cli.md §6.4/§6.5) and CLI-37."""
import json
import os
import re

import pytest

from fake_openclaw import OPENCLAW_TOKEN, openclaw, openclaw_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local openclaw = require("assay.openclaw")\n'
CLIENT = REQ + 'local c = openclaw.client("$URL", {token = "%s", state_dir = "$STATE"})\n' % OPENCLAW_TOKEN
ENV_NAMES = ("OPENCLAW_URL", "CLAWD_URL", "OPENCLAW_TOKEN", "CLAWD_TOKEN", "ASSAY_STATE_DIR",
             "OPENCLAW_STATE_DIR", "ASSAY_APPROVAL_RESULT", "ASSAY_MODE", "OPENCLAW_INTERACTIVE", "TTY")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run(lua, openclaw, tmp_path):
    def run_(code, prelude=CLIENT):
        return lua_with(lua, prelude + code, URL=openclaw.url, STATE=tmp_path / "state")
    return run_


@pytest.fixture
def fails(lua_fails, openclaw, tmp_path):
    def fails_(code, prelude=CLIENT):
        return lua_fails(lua_with(lambda c: c, prelude + code, URL=openclaw.url, STATE=tmp_path / "state"))
    return fails_


def test_openclaw_01_module_exposes_client(lua):
    assert lua(REQ + "return type(openclaw.client)") == "function"


def test_openclaw_02_url_from_env_or_error(run, fails, openclaw, monkeypatch):
    msg = fails("openclaw.client()", REQ)
    assert re.search(r"assay/openclaw\.lua:\d+: openclaw: url required \(set \$OPENCLAW_URL or \$CLAWD_URL\)$", msg), msg
    monkeypatch.setenv("CLAWD_URL", "http://clawd.invalid//")
    assert run("return openclaw.client().url", REQ) == "http://clawd.invalid"
    monkeypatch.setenv("OPENCLAW_URL", openclaw.url + "/")
    assert run("return openclaw.client(nil).url", REQ) == openclaw.url
    assert run("return openclaw.client(nil, {}):notify('ops', 'hi').ok", REQ) is True
    assert openclaw.last().path == "/tools/invoke"
    # an explicit url wins; trailing slashes are stripped
    assert run('return openclaw.client("http://x.invalid///").url', REQ) == "http://x.invalid"


def test_openclaw_03_token_and_state_dir_fallbacks(run, openclaw, monkeypatch, tmp_path):
    code = REQ + 'local c = openclaw.client("$URL"); return c.token, c.state_dir'
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run(code, "") == (None, str(tmp_path / "home") + "/.assay/state")
    monkeypatch.delenv("HOME")
    assert run(code, "") == (None, "/tmp/.assay/state")
    monkeypatch.setenv("OPENCLAW_STATE_DIR", "/srv/oc-state")
    monkeypatch.setenv("CLAWD_TOKEN", "clawd-tok")
    assert run(code, "") == ("clawd-tok", "/srv/oc-state")
    monkeypatch.setenv("ASSAY_STATE_DIR", "/srv/assay-state")
    monkeypatch.setenv("OPENCLAW_TOKEN", OPENCLAW_TOKEN)
    assert run(code, "") == (OPENCLAW_TOKEN, "/srv/assay-state")
    assert run(REQ + 'local c = openclaw.client("$URL", {token = "t2", state_dir = "/x"}); return c.token, c.state_dir',
               "") == ("t2", "/x")
    # env token is sent as Bearer; no token → no Authorization header
    run(REQ + 'return openclaw.client("$URL"):cron_list()', "")
    assert openclaw.last().header("Authorization") == "Bearer " + OPENCLAW_TOKEN
    monkeypatch.delenv("OPENCLAW_TOKEN")
    monkeypatch.delenv("CLAWD_TOKEN")
    run(REQ + 'return openclaw.client("$URL"):cron_list()', "")
    assert openclaw.last().header("Authorization") is None


def test_openclaw_04_invoke(run, openclaw):
    res = run('return c:invoke("mytool", "run", {key = "value"})')
    assert res == {"ok": True, "result": {"echo": {"key": "value"}}}
    req = openclaw.last()
    assert (req.method, req.path) == ("POST", "/tools/invoke")
    assert req.header("Authorization") == "Bearer test-token"
    assert req.header("Content-Type") == "application/json"
    assert req.json() == {"tool": "mytool", "action": "run", "args": {"key": "value"}}
    # without args: an empty JSON object (shared empty-body rule)
    assert run('return c:invoke("mytool", "run").result.echo') == []
    assert openclaw.last().json() == {"tool": "mytool", "action": "run", "args": {}}


def test_openclaw_05_send(run, openclaw):
    res = run('return c:send("slack", "#alerts", "hello world")')
    assert res["result"]["delivered"] is True and res["result"]["channel"] == "slack"
    assert openclaw.last().json() == {"tool": "message", "action": "send",
                                      "args": {"channel": "slack", "target": "#alerts", "message": "hello world"}}


def test_openclaw_06_notify(run, openclaw):
    run('return c:notify("ops", "deploy finished")')
    assert openclaw.last().json() == {"tool": "message", "action": "send",
                                      "args": {"target": "ops", "message": "deploy finished"}}


def test_openclaw_07_cron_add_201(run, openclaw):
    res = run('return c:cron_add({name = "nightly", schedule = "0 3 * * *", task = "backup"})')
    assert res["result"]["id"] == "job-1"
    assert openclaw.last().json() == {"tool": "cron", "action": "add",
                                      "args": {"job": {"name": "nightly", "schedule": "0 3 * * *", "task": "backup"}}}


def test_openclaw_08_cron_list(run, openclaw):
    res = run('c:cron_add({name = "a", schedule = "@hourly"}); return c:cron_list()')
    assert [j["name"] for j in res["jobs"]] == ["a"]
    assert openclaw.last().body == b'{"tool":"cron","action":"list","args":{}}'


def test_openclaw_09_spawn(run, openclaw):
    res = run('return c:spawn("draft summary", {model = "claude-sonnet", timeout = 30})')
    assert res["result"]["status"] == "accepted"
    assert openclaw.last().json() == {"tool": "sessions_spawn", "action": "invoke",
                                      "args": {"task": "draft summary", "model": "claude-sonnet", "timeout": 30}}
    run('return c:spawn("just a task")')
    assert openclaw.last().json()["args"] == {"task": "just a task"}


def test_openclaw_10_llm_task(run, openclaw):
    openclaw.llm_reply = {"ok": True, "result": {"text": "42"}}
    res = run('return c:llm_task("What is the answer?", {model = "gpt-x", temperature = 0.2,'
              ' max_output_tokens = 100, ignored = true})')
    assert res == {"ok": True, "result": {"text": "42"}}
    body = openclaw.last().json()
    assert (body["tool"], body["action"]) == ("llm-task", "invoke")
    assert body["args"] == {"prompt": "What is the answer?", "model": "gpt-x", "temperature": 0.2,
                            "max_output_tokens": 100}
    run('return c:llm_task("p", {artifacts = {{id = 1}}, output_schema = {type = "object"}})')
    assert openclaw.last().json()["args"] == {"prompt": "p", "artifacts": [{"id": 1}],
                                              "output_schema": {"type": "object"}}


def test_openclaw_11_errors(fails, openclaw):
    msg = fails('c:invoke("unknown", "x", {a = 1})')
    assert re.search(r'assay/\w+\.lua:\d+: openclaw: POST /tools/invoke HTTP 404: '
                     r'\{"ok": false, "error": \{"type": "not_found", "message": "Tool not available: unknown"\}\}$',
                     msg), msg
    openclaw.fail("POST", "/tools/invoke", 500, "gateway exploded")
    assert fails('c:notify("ops", "x")').endswith("openclaw: POST /tools/invoke HTTP 500: gateway exploded")
    msg = fails(REQ + 'openclaw.client("$URL", {token = "wrong"}):cron_list()', "")
    assert "openclaw: POST /tools/invoke HTTP 500" in msg  # the failure override answers every call
    openclaw.reset()
    msg = fails(REQ + 'openclaw.client("$URL", {token = "wrong"}):cron_list()', "")
    assert "openclaw: POST /tools/invoke HTTP 401: " in msg


def test_openclaw_12_state_get_set(run, tmp_path, openclaw):
    res = run('local before = c:state_get("deploy")\n'
              'local ok = c:state_set("deploy", {version = "1.2", hosts = {"a", "b"}})\n'
              'local v1 = c:state_get("deploy")\n'
              'c:state_set("deploy", {version = "1.3"})\n'
              'return before == nil, ok, v1, c:state_get("deploy")')
    assert res == (True, True, {"hosts": ["a", "b"], "version": "1.2"}, {"version": "1.3"})
    path = tmp_path / "state" / "deploy.json"
    assert json.loads(path.read_text()) == {"version": "1.3"}
    path.write_text("")
    assert run('return c:state_get("deploy") == nil') is True
    assert run('c:state_set("n", 5); c:state_set("s", "text"); return c:state_get("n"), c:state_get("s")') == (5, "text")
    assert openclaw.requests == []  # local only


def test_openclaw_13_diff(run, tmp_path):
    res = run('local a = c:diff("pods", {web = 2, api = 1})\n'
              'local b = c:diff("pods", {api = 1, web = 2})\n'
              'local d = c:diff("pods", {api = 1, web = 3})\n'
              'return {a.changed, a.before == nil, a.after.web, b.changed, b.before.web, d.changed, d.before.web, d.after.web}')
    assert res == [True, True, 2, False, 2, True, 2, 3]
    assert json.loads((tmp_path / "state" / "pods.json").read_text()) == {"api": 1, "web": 3}


def test_openclaw_14_approval_result_env(run, monkeypatch):
    monkeypatch.setenv("ASSAY_MODE", "tool")  # the result wins over every other branch
    monkeypatch.setenv("ASSAY_APPROVAL_RESULT", "yes")
    assert run('return c:approve("Deploy now?", {env = "prod"})') is True
    monkeypatch.setenv("ASSAY_APPROVAL_RESULT", "no")
    assert run('return c:approve("Deploy now?")') is False
    monkeypatch.setenv("ASSAY_APPROVAL_RESULT", "YES")
    assert run('return c:approve("Deploy now?")') is False


def test_openclaw_15_tool_mode_raises_marker(fails, monkeypatch):
    monkeypatch.setenv("ASSAY_MODE", "tool")
    monkeypatch.setenv("OPENCLAW_INTERACTIVE", "1")  # tool mode comes first
    msg = fails('c:approve("Deploy now?", {env = "prod", replicas = 3})')
    m = re.search(r"assay/openclaw\.lua:\d+: __assay_approval_request__:(.*)$", msg)
    assert m, msg
    assert m.group(1) == '{"context":{"env":"prod","replicas":3},"prompt":"Deploy now?"}'


def test_openclaw_16_interactive_logs_and_returns_false(assay, openclaw, tmp_path):
    script = tmp_path / "gate.lua"
    script.write_text('local c = require("assay.openclaw").client("%s")\n'
                      'print(tostring(c:approve("Deploy now?", {env = "prod"})))' % openclaw.url)
    for var in ("OPENCLAW_INTERACTIVE", "TTY"):
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env[var] = "1"
        r = assay(script, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "false\n"
        assert re.search(r"INFO Approval required: Deploy now\?\n", r.stderr), r.stderr
        assert 'INFO Context: {"env":"prod"}' in r.stderr
    # no context: no Context line
    script.write_text('local c = require("assay.openclaw").client("%s")\nreturn c:approve("Go?")' % openclaw.url)
    r = assay(script, env=env)
    assert r.returncode == 0 and "Approval required: Go?" in r.stderr and "Context:" not in r.stderr


def test_openclaw_17_non_interactive_raises(fails):
    msg = fails('c:approve("Deploy now?", {env = "prod"})')
    assert "openclaw: approval_required: " in msg and '"prompt":"Deploy now?"' in msg
    m = re.search(r"assay/openclaw\.lua:\d+: openclaw: approval_required: (.*)$", msg)
    assert json.loads(m.group(1)) == {"type": "approval_request", "prompt": "Deploy now?", "context": {"env": "prod"}}


# ---- the approval gate through the real command (cli.md §6.4, §6.5) --------------------------

GATE_SCRIPT = '''local openclaw = require("assay.openclaw")
local c = openclaw.client()
local release = { env = "prod", version = "1.2.3" }
if c:approve("Deploy now?", release) then
  c:notify("ops", "deployed " .. release.version)
  return { status = "deployed" }
end
return { status = "rejected" }
'''


def gate_env(openclaw, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update({"OPENCLAW_URL": openclaw.url, "OPENCLAW_TOKEN": OPENCLAW_TOKEN,
                "ASSAY_STATE_DIR": str(tmp_path / "state")})
    return env


def test_openclaw_approval_round_trip_tool_mode_and_resume(assay, openclaw, tmp_path):
    """OPENCLAW-15 end to end: approve → needs_approval envelope → resume --approve yes/no."""
    script = tmp_path / "deploy.lua"
    script.write_text(GATE_SCRIPT)
    env = gate_env(openclaw, tmp_path)
    r = assay("run", "--mode", "tool", script, env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["status"] == "needs_approval" and doc["output"] is None
    approval = doc["requiresApproval"]
    assert approval["prompt"] == "Deploy now?" and approval["context"] == {"env": "prod", "version": "1.2.3"}
    token = approval["resumeToken"]
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    state_file = tmp_path / "state" / "resume" / (token + ".json")
    assert json.loads(state_file.read_text())["approval_prompt"] == "Deploy now?"
    assert openclaw.invocations == []  # nothing after the gate ran

    r = assay("resume", "--token", token, "--approve", "yes", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ok": True, "status": "ok", "output": {"status": "deployed"},
                                    "requiresApproval": None}
    assert openclaw.invocations == [{"tool": "message", "action": "send",
                                     "args": {"target": "ops", "message": "deployed 1.2.3"}}]
    assert openclaw.last().header("Authorization") == "Bearer " + OPENCLAW_TOKEN
    assert not state_file.exists()

    # a second gate, rejected
    doc = json.loads(assay("run", "--mode", "tool", script, env=env).stdout)
    r = assay("resume", "--token", doc["requiresApproval"]["resumeToken"], "--approve", "no", env=env)
    assert json.loads(r.stdout)["output"] == {"status": "rejected"}
    assert len(openclaw.invocations) == 1


def test_openclaw_cli_37_gate_outside_tool_mode_fails(assay, openclaw, tmp_path):
    """CLI-37: outside tool mode the gate is a script failure: stdout empty, exit 1."""
    script = tmp_path / "deploy.lua"
    script.write_text(GATE_SCRIPT)
    r = assay(script, env=gate_env(openclaw, tmp_path))
    assert r.returncode == 1
    assert r.stdout == ""
    assert "openclaw: approval_required:" in r.stderr and '"prompt":"Deploy now?"' in r.stderr
    assert openclaw.invocations == []


def test_openclaw_documented_form(run, openclaw):
    """The documented form M.client(url, opts): watch a value, notify on change."""
    code = REQ + '''
local claw = openclaw.client("$URL", { token = "test-token", state_dir = "$STATE" })
local sent = 0
for _, version in ipairs({ "1.0", "1.0", "1.1" }) do
  local d = claw:diff("release", { version = version })
  if d.changed then
    claw:notify("ops", "release " .. version)
    sent = sent + 1
  end
end
return sent'''
    assert run(code, "") == 2
    assert [i["args"]["message"] for i in openclaw.invocations] == ["release 1.0", "release 1.1"]


def test_openclaw_options_table_and_timeout(run, openclaw):
    """M.client(opts) with opts.url also works; opts.timeout uses its own http.client."""
    openclaw.set("POST", "/tools/invoke", 200, {"ok": True}, delay=0.3)
    assert run(REQ + 'return openclaw.client({url = "$URL", timeout = 5}):cron_list().ok', "") is True
    msg = run(REQ + 'return pcall(function() return openclaw.client("$URL", {timeout = 0.1}):cron_list() end)', "")
    assert msg[0] is False and "failed" in msg[1]


def test_openclaw_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "openclaw.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.openclaw"
    assert meta.description == 'OpenClaw AI agent platform integration. Invoke tools, send messages, manage state, spawn sub-agents, approval gates, LLM tasks.'
    assert meta.keywords == [
        'openclaw',
        'clawd',
        'agent',
        'ai',
        'workflow',
        'invoke',
        'state',
        'diff',
        'approve',
        'llm',
        'cron',
        'spawn',
        'message',
        'notify',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'M.client(url?, opts?) -> client | OpenClaw client; url defaults to $OPENCLAW_URL/$CLAWD_URL; opts {token?, state_dir?, timeout?}',
        'c.tools:invoke(tool, action, args) -> result | Invoke an OpenClaw tool action; flat: c:invoke(tool, action, args)',
        'c.messaging:send(channel, target, message) -> result | Send a message via channel; flat: c:send(channel, target, message)',
        'c.messaging:notify(target, message) -> result | Send notification to target; flat: c:notify(target, message)',
        'c.cron:add(job) -> result | Add a cron job; flat: c:cron_add(job)',
        'c.cron:list() -> [job] | List cron jobs; flat: c:cron_list()',
        'c.sessions:spawn(task, opts?) -> result | Spawn a sub-agent session; flat: c:spawn(task, opts?)',
        'c.state:get(key) -> value|nil | Read state value by key; flat: c:state_get(key)',
        'c.state:set(key, value) -> true | Write state value by key; flat: c:state_set(key, value)',
        'c.state:diff(key, new_value) -> {changed, before, after} | Compare and store state; flat: c:diff(key, new_value)',
        'c.gates:approve(prompt, context?) -> bool | Request approval gate; flat: c:approve(prompt, context?)',
        'c.llm:task(prompt, opts?) -> result | Execute an LLM task; flat: c:llm_task(prompt, opts?)',
    ]


def test_openclaw_both_generations(run, monkeypatch):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    monkeypatch.setenv("ASSAY_APPROVAL_RESULT", "yes")
    monkeypatch.setenv("ASSAY_MODE", "tool")
    old = run('''return {c:invoke("mytool", "run", {key = "v"}).ok, c:send("slack", "#a", "hi").ok, c:notify("ops", "x").ok,
        c:cron_add({name = "n", schedule = "0 3 * * *", task = "t"}).ok, type(c:cron_list()), c:spawn("t").ok,
        c:state_set("k1", 1), c:state_get("k1"), c:diff("k1", 2).changed, c:approve("go?"), c:llm_task("p").ok}''')
    new = run('''return {c.tools:invoke("mytool", "run", {key = "v"}).ok, c.messaging:send("slack", "#a", "hi").ok,
        c.messaging:notify("ops", "x").ok, c.cron:add({name = "n", schedule = "0 3 * * *", task = "t"}).ok,
        type(c.cron:list()), c.sessions:spawn("t").ok, c.state:set("k2", 1), c.state:get("k2"), c.state:diff("k2", 2).changed,
        c.gates:approve("go?"), c.llm:task("p").ok}''')
    assert old == new == [True, True, True, True, "table", True, True, 1, True, True, True]
