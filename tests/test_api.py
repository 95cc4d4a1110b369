"""`assay api-serve`: authenticated runs over HTTP on 127.0.0.1."""
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import assay_command, assay_env, run_assay

TOKEN = "s3cret-token-one"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def api(tmp_path):
    port = free_port()
    env = assay_env(extra_env={"ASSAY_API_TOKENS": "other-token, " + TOKEN, "ASSAY_STATE_DIR": str(tmp_path / "s"),
                               "ASSAY_API_MAX_RUNS": "2"})
    proc = subprocess.Popen(assay_command() + ["api-serve", "--bind", "127.0.0.1:%d" % port], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    url = "http://127.0.0.1:%d" % port
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def call(url, path, doc=None, token=TOKEN, raw=None):
    data = raw if raw is not None else (json.dumps(doc).encode() if doc is not None else None)
    req = urllib.request.Request(url + path, data=data, method="POST" if data is not None else "GET")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_refuses_to_start_without_tokens():
    r = run_assay("api-serve", "--bind", "127.0.0.1:0", extra_env={"ASSAY_API_TOKENS": " , "})
    assert r.returncode == 1
    assert r.stderr == "error: api-serve needs ASSAY_API_TOKENS (comma-separated bearer tokens)\n"


def test_healthz_needs_no_token(api):
    assert call(api, "/healthz", token=None)[:2] == (200, {"status": "ok"})


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN[:-1], ""])
def test_run_without_or_with_a_wrong_token_is_refused(api, tmp_path, token):
    target = tmp_path / "w.txt"
    status, body, headers = call(api, "/v1/run", {"code": "fs.write(%s, 'x')" % json.dumps(str(target)),
                                                  "mode": "approval"}, token=token)
    assert status == 401
    assert body == {"error": "unauthorized: a valid bearer token is required"}
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert not target.exists()
    assert call(api, "/v1/resume", {"token": "abc", "approve": "yes"}, token=token)[0] == 401


def test_run_is_readonly_by_default(api, tmp_path):
    status, body, _ = call(api, "/v1/run", {"code": "return {n = 6 * 7}"})
    assert status == 200
    assert body == {"ok": True, "status": "ok", "output": {"n": 42}, "requiresApproval": None, "readonly": True}
    target = tmp_path / "w.txt"
    status, body, _ = call(api, "/v1/run", {"code": "fs.write(%s, 'x')" % json.dumps(str(target))})
    assert status == 200 and body["status"] == "error"
    assert "readonly: fs.write blocked" in body["error"] and not target.exists()


def test_approval_and_resume(api, tmp_path):
    target = tmp_path / "w.txt"
    code = "fs.write(%s, 'x') return 'done'" % json.dumps(str(target))
    _, first, _ = call(api, "/v1/run", {"code": code, "mode": "approval"})
    token = first["requiresApproval"]["resumeToken"]
    assert not target.exists()
    _, done, _ = call(api, "/v1/resume", {"token": token, "approve": "yes", "approver": "ops"})
    assert done["output"] == "done" and done["approver"] == "ops" and target.exists()
    _, replay, _ = call(api, "/v1/resume", {"token": token, "approve": "yes"})
    assert replay == {"ok": False, "status": "error", "error": "resume token already used"}


@pytest.mark.parametrize("doc,message", [
    ({"code": "return 1", "sandbox": False}, "unknown field 'sandbox' (expected: code, mode, timeout)"),
    ({"mode": "readonly"}, "missing field 'code'"),
    ({"code": "return 1", "mode": "unrestricted"}, "mode must be one of readonly, approval"),
    ({"code": "return 1", "timeout": 0}, "timeout must be an integer from 1 to 3600"),
    ({"code": 5}, "code must be a string"),
])
def test_bad_requests(api, doc, message):
    status, body, _ = call(api, "/v1/run", doc)
    assert (status, body) == (400, {"error": message})


def test_body_size_limit_and_routes(api):
    status, body, _ = call(api, "/v1/run", raw=b'{"code":"' + b"x" * (1 << 20) + b'"}')
    assert status == 413 and "request body too large" in body["error"]
    assert call(api, "/v1/other", {"code": "1"})[0] == 404
    assert call(api, "/v1/run", token=TOKEN)[0] == 405
    status, body, _ = call(api, "/v1/run", raw=b"not json")
    assert (status, body) == (400, {"error": "request body is not JSON"})


def test_each_run_has_its_own_vm_and_deadline(api):
    assert call(api, "/v1/run", {"code": "shared = 1 return shared"})[1]["output"] == 1
    assert call(api, "/v1/run", {"code": "return shared"})[1]["output"] is None
    _, body, _ = call(api, "/v1/run", {"code": "while true do end", "timeout": 1})
    assert body == {"ok": False, "status": "timeout", "error": "execution timed out after 1s", "readonly": True}
