"""ASSAY_POLICY_FILE (modules, env keys, HTTP targets, response limits, redaction) and
credential handles, against fake HTTP services on 127.0.0.1."""
import json
import os
import sys

import pytest

from conftest import run_assay

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "stdlib"))
from fakes import FakeService, Response  # noqa: E402


class Echo(FakeService):
    """Answers /echo with what it received (method, headers, body) as JSON."""
    name = "echo"

    def route(self, r):
        if r.path.startswith("/echo"):
            return Response(200, {"method": r.method, "authorization": r.header("Authorization"),
                                  "body": r.body.decode()})
        return Response(404, {"message": "not found"})


@pytest.fixture
def servers():
    allowed, forbidden = Echo(), Echo()
    yield allowed, forbidden
    allowed.close()
    forbidden.close()


def policy(tmp_path, text):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return {"ASSAY_POLICY_FILE": str(path)}


def lua(code, env, *flags):
    r = run_assay("exec", *flags, "-e", code, extra_env=env)
    return r


def rules(port):
    return ("version: 1\nhttp:\n  rules:\n    - hosts: [\"127.0.0.1:%d\"]\n      methods: [GET, POST]\n"
            "      paths: [/echo, /redir, /big, /secret]\n" % port)


def test_http_rules_allow_only_declared_targets(tmp_path, servers):
    allowed, forbidden = servers
    env = policy(tmp_path, rules(allowed.port))
    r = lua("""
    print(http.get(%(a)s .. '/echo').status)
    print(http.post(%(a)s .. '/echo/x', 'b').status)
    print(pcall(http.put, %(a)s .. '/echo', 'b'))
    print(pcall(http.get, %(a)s .. '/other'))
    print(pcall(http.get, %(f)s .. '/echo'))
    """ % {"a": json.dumps(allowed.url), "f": json.dumps(forbidden.url)}, env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["200", "200"]
    assert lines[2] == ("false\thttp.put: policy: PUT %s/echo is not allowed (no http rule matches PUT "
                        "127.0.0.1:%d/echo)" % (allowed.url, allowed.port))
    assert "policy: GET %s/other is not allowed" % allowed.url in lines[3]
    assert "policy: GET %s/echo is not allowed" % forbidden.url in lines[4]
    assert [q.method for q in allowed.requests] == ["GET", "POST"]
    assert forbidden.requests == []


def test_redirect_from_allowed_to_forbidden_host_is_refused(tmp_path, servers):
    allowed, forbidden = servers
    allowed.set("GET", "/redir", 302, b"", headers={"Location": forbidden.url + "/echo"})
    allowed.set("GET", "/redir/same", 302, b"", headers={"Location": "/echo/landed"})
    env = policy(tmp_path, rules(allowed.port))
    r = lua("""
    print(pcall(http.get, %(a)s .. '/redir'))
    print(http.get(%(a)s .. '/redir/same').status)
    """ % {"a": json.dumps(allowed.url)}, env)
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.splitlines()
    assert first == ("false\thttp.get: policy: GET %s/echo is not allowed (no http rule matches GET "
                     "127.0.0.1:%d/echo)" % (forbidden.url, forbidden.port))
    assert second == "200"
    assert forbidden.requests == []
    assert [q.path for q in allowed.requests] == ["/redir", "/redir/same", "/echo/landed"]


def test_max_response_bytes_and_redaction(tmp_path, servers):
    allowed, _ = servers
    allowed.set("GET", "/big", 200, b"x" * 5000, "text/plain")
    allowed.set("GET", "/secret", 200, json.dumps({"user": "a", "Password": "hunter2",
                                                   "nested": [{"token": "t0k"}]}),
                headers={"X-Secret": "s", "X-Plain": "p"})
    env = policy(tmp_path, rules(allowed.port) + "  max_response_bytes: 1000\n  redact: [password, token, x-secret]\n")
    r = lua("""
    print(pcall(http.get, %(a)s .. '/big'))
    local resp = http.get(%(a)s .. '/secret')
    local doc = json.parse(resp.body)
    print(doc.user, doc.Password, doc.nested[1].token, resp.headers['x-secret'], resp.headers['x-plain'])
    """ % {"a": json.dumps(allowed.url)}, env)
    assert r.returncode == 0, r.stderr
    big, secret = r.stdout.splitlines()
    assert big == "false\thttp.get: response body exceeds http.max_response_bytes (1000) of the policy"
    assert secret == "a\t[redacted]\t[redacted]\t[redacted]\tp"
    assert "hunter2" not in r.stdout + r.stderr


def test_modules_and_env_allowlists(tmp_path):
    env = policy(tmp_path, "version: 1\nmodules:\n  allow: [assay.vault, \"assay.ory*\"]\n"
                           "env:\n  allow: [HOME, \"APP_*\"]\n")
    env.update({"APP_NAME": "demo", "OTHER_SECRET": "no"})
    r = lua("""
    assert(require('assay.vault'))
    assert(require('assay.ory.kratos'))
    print(pcall(require, 'assay.k8s'))
    print(env.get('APP_NAME'), os.getenv('HOME') ~= nil)
    print(pcall(env.get, 'OTHER_SECRET'))
    print(pcall(os.getenv, 'OTHER_SECRET'))
    local listed = {}
    for _, e in ipairs(env.list()) do listed[#listed + 1] = e.key end
    table.sort(listed)
    print(table.concat(listed, ","))
    """, env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "false\tpolicy: module 'assay.k8s' is not allowed (not in modules.allow)"
    assert lines[1] == "demo\ttrue"
    assert lines[2] == lines[3] == "false\tpolicy: env key 'OTHER_SECRET' is not allowed (not in env.allow)"
    listed = lines[4].split(",")  # env.list shows the allowed keys only, the others are left out
    assert "APP_NAME" in listed and "HOME" in listed
    assert all(k == "HOME" or k.startswith("APP_") for k in listed)


def test_require_of_a_file_module_is_checked_too(tmp_path):
    (tmp_path / "mine.lua").write_text("return 1")
    env = policy(tmp_path, "version: 1\nmodules:\n  allow: [assay.vault]\n")
    r = run_assay("exec", "-e", "print(pcall(require, 'mine'))", extra_env=env, cwd=tmp_path)
    assert r.stdout == "false\tpolicy: module 'mine' is not allowed (not in modules.allow)\n"


@pytest.mark.parametrize("text,line,message", [
    ("version: 1\nfoo: 1\n", 2, "unknown key 'foo' in the policy"),
    ("version: 1\nhttp:\n  rulez: []\n", 3, "unknown key 'rulez' in http"),
    ("version: 1\nhttp:\n  rules:\n    - hosts: ['https://x.example']\n", 4,
     "malformed host pattern 'https://x.example' in http.rules[0].hosts"),
    ("version: 1\nhttp:\n  rules:\n    - hosts: [a]\n      methods: [FETCH]\n", 5,
     "http.rules[0] has unknown method 'FETCH'"),
    ("version: 1\nhttp:\n  rules:\n    - hosts: [a]\n      paths: [v1]\n", 5, "malformed path prefix 'v1'"),
    ("version: 1\nhttp:\n  rules:\n    - methods: [GET]\n", 4, "http.rules[0] needs at least one host"),
    ("version: 1\nmodules:\n  allow: ['assay vault']\n", 3, "malformed module pattern 'assay vault'"),
    ("version: 1\nhttp:\n  max_response_bytes: lots\n", 3, "http.max_response_bytes must be a non-negative"),
    ("version: 1\ncredentials:\n  t: {env: A, file: B}\n", 3, "credentials.t needs exactly one of env, file"),
    ("version: 3\n", 1, "unsupported version 3"),
    ("version: 1\nhttp: [\n", 3, "invalid YAML"),
])
def test_bad_policy_is_rejected_at_load_with_file_and_line(tmp_path, text, line, message):
    env = policy(tmp_path, text)
    target = tmp_path / "never.txt"
    r = run_assay("exec", "-e", "fs.write(%s, 'x')" % json.dumps(str(target)), extra_env=env)
    assert r.returncode == 1
    assert r.stderr.startswith("error: policy: %s:%d: " % (tmp_path / "policy.yaml", line)), r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not target.exists()


CREDENTIALS = """version: 1
credentials:
  api: {env: MY_API_TOKEN}
  db: {file: %s}
"""


def test_credential_handle_is_substituted_only_by_the_http_layer(tmp_path, servers):
    allowed, _ = servers
    (tmp_path / "db.secret").write_text("file-secret\n")
    env = policy(tmp_path, CREDENTIALS % (tmp_path / "db.secret"))
    env["MY_API_TOKEN"] = "tok-123"
    r = lua("""
    local h = credential.get('api')
    print(h)
    log.info('using ' .. h)
    local resp = http.post(%(a)s .. '/echo', {password = credential.get('db')},
                           {headers = {Authorization = 'Bearer ' .. h}})
    print(resp.body)
    print(pcall(http.get, %(a)s .. '/echo?token=' .. h))
    print(pcall(credential.get, 'nope'))
    print(json.encode({h = h}))
    """ % {"a": json.dumps(allowed.url)}, env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    handle = lines[0]
    assert handle.startswith("{{credential:api:") and "tok-123" not in handle
    # the server got the secrets; the script saw its echo only as handles
    sent = allowed.requests[0]
    assert sent.header("Authorization") == "Bearer tok-123"
    assert json.loads(sent.body) == {"password": "file-secret"}
    echoed = json.loads(lines[1])
    assert echoed["authorization"] == "Bearer " + handle
    assert "file-secret" not in lines[1] and "{{credential:db:" in lines[1]
    assert lines[2] == ("false\thttp.get: a credential handle in the URL is refused "
                        "(send it in a header or the body)")
    assert lines[3] == "false\tcredential.get: unknown credential 'nope' (the policy file's credentials do not name it)"
    assert json.loads(lines[4]) == {"h": handle}
    assert "tok-123" not in r.stdout + r.stderr and "file-secret" not in r.stdout + r.stderr
    assert "using " + handle in r.stderr
    assert len(allowed.requests) == 1  # the URL with a handle never left the process


def test_credential_in_tool_mode_output_is_the_placeholder(tmp_path):
    env = policy(tmp_path, CREDENTIALS % "/nonexistent")
    env["MY_API_TOKEN"] = "tok-123"
    script = tmp_path / "t.lua"
    script.write_text("return {token = credential.get('api')}")
    r = run_assay("run", "--mode", "tool", script, extra_env=env)
    doc = json.loads(r.stdout)
    assert doc["output"]["token"].startswith("{{credential:api:") and "tok-123" not in r.stdout
    script.write_text("return credential.get('db')")
    doc = json.loads(run_assay("run", "--mode", "tool", script, extra_env=env).stdout)
    assert doc["status"] == "error" and "credential 'db': reading /nonexistent: No such file" in doc["error"]


def test_classify_read_lets_a_declared_post_through_readonly(tmp_path, servers):
    allowed, _ = servers
    env = policy(tmp_path, "version: 1\nhttp:\n  rules:\n    - hosts: [\"127.0.0.1:%d\"]\n      methods: [POST]\n"
                           "      paths: [/echo/login]\n      classify: read\n"
                           "    - hosts: [\"127.0.0.1:%d\"]\n" % (allowed.port, allowed.port))
    r = lua("""
    print(http.post(%(a)s .. '/echo/login', 'x').status)
    print(pcall(http.post, %(a)s .. '/echo/other', 'x'))
    """ % {"a": json.dumps(allowed.url)}, env, "--readonly")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "200"
    assert lines[1] == "false\treadonly: http.post blocked (write operations are disabled in read-only mode)"
    assert [q.path for q in allowed.requests] == ["/echo/login"]


def test_checks_mode_http_checks_obey_the_policy(tmp_path, servers):
    allowed, forbidden = servers
    env = policy(tmp_path, rules(allowed.port))
    config = tmp_path / "c.yaml"
    config.write_text("retries: 0\nchecks:\n  - name: ok\n    type: http\n    url: %s/echo\n"
                      "  - name: elsewhere\n    type: http\n    url: %s/echo\n" % (allowed.url, forbidden.url))
    r = run_assay(config, extra_env=env)
    report = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
    assert report["ok"]["passed"] is True
    assert report["elsewhere"]["passed"] is False
    assert "policy: GET %s/echo is not allowed" % forbidden.url in report["elsewhere"]["message"]
    assert forbidden.requests == []


def test_redaction_reaches_log_lines(tmp_path, servers):
    allowed, _ = servers
    env = policy(tmp_path, rules(allowed.port) + "  redact: [password, x-api-key]\n")
    r = lua("""
    log.info('login {"user":"a","password":"hunter2"}')
    log.warn('sent X-Api-Key: k-123456')
    log.error('retrying with password=hunter2 passwords=7')
    http.get(%s .. '/echo?password=hunter2&page=2')
    """ % json.dumps(allowed.url), env, "-v")
    assert r.returncode == 0, r.stderr
    assert "hunter2" not in r.stderr and "k-123456" not in r.stderr
    assert 'login {"user":"a","password":"[redacted]"}' in r.stderr
    assert "sent X-Api-Key: [redacted]" in r.stderr
    assert "retrying with password=[redacted] passwords=7" in r.stderr
    assert "password=[redacted]&page=2" in r.stderr  # the debug line of the request


def test_checks_mode_applies_the_whole_policy(tmp_path, servers):
    """Beyond the HTTP rules: response limit and redaction for http checks, module and
    env allowlists and log redaction for script checks, and a bad policy stops the run."""
    allowed, _ = servers
    allowed.set("GET", "/big", 200, b"x" * 5000, "text/plain")
    allowed.set("GET", "/secret", 200, json.dumps({"user": "a", "password": "hunter2"}))
    env = policy(tmp_path, rules(allowed.port) + "  max_response_bytes: 1000\n  redact: [password]\n"
                 "modules:\n  allow: [assay.vault]\nenv:\n  allow: [HOME]\n")
    script = tmp_path / "probe.lua"
    script.write_text("log.info('probe {\"password\":\"hunter2\"}')\n"
                      "assert(not pcall(env.get, 'CHECK_SECRET'))\n"
                      "require('assay.k8s')\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        "retries: 0\nchecks:\n"
        "  - name: big\n    type: http\n    url: %(u)s/big\n"
        "  - name: secret\n    type: http\n    url: %(u)s/secret\n"
        "    expect:\n      jsonpath:\n        - {path: $.password, op: equals, value: nope}\n"
        "  - name: script\n    type: script\n    file: probe.lua\n" % {"u": allowed.url})
    r = run_assay(config, extra_env=dict(env, CHECK_SECRET="s3cr3t"), cwd=tmp_path)
    report = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
    assert "response body exceeds http.max_response_bytes (1000) of the policy" in report["big"]["message"]
    assert report["secret"]["passed"] is False and "[redacted]" in report["secret"]["message"]
    assert "policy: module 'assay.k8s' is not allowed" in report["script"]["message"]
    assert "hunter2" not in r.stdout + r.stderr and "s3cr3t" not in r.stdout + r.stderr
    assert 'probe {"password":"[redacted]"}' in r.stderr

    bad = policy(tmp_path, "version: 1\nhttp:\n  rules: nope\n")
    r = run_assay(config, extra_env=bad, cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == "error: policy: %s:3: http.rules must be a list\n" % bad["ASSAY_POLICY_FILE"]
