"""Checks mode 2 config features: ${VAR}, secrets, unknown keys, --strict, load errors of the
new keys, `assay schema checks` and `--dry-run`."""
import json

import pytest

from checkhelpers import run_config, write
from conftest import run_assay
from fakes import FakeService


@pytest.fixture
def fake():
    service = FakeService()
    yield service
    service.close()


def http(name, url, extra=""):
    return "  - name: %s\n    type: http\n    url: %s\n%s" % (name, url, extra)


# ---- ${NAME} variables ----------------------------------------------------------

def test_chk2_variables_fill_any_string_field(tmp_path, fake):
    fake.set("GET", "/v1/health", 200, {"env": "prod"})
    r = run_config(tmp_path, "retries: 0\nchecks:\n" + http(
        "health-${STAGE}", "${BASE}/v1/health",
        "    headers: {X-Stage: '${STAGE}', X-Literal: '$${NOT_A_VAR}'}\n"
        "    expect:\n      json: '.env == ${STAGE}'\n"),
        extra_env={"BASE": fake.url, "STAGE": "prod"})
    assert r.code == 0, r
    assert r.checks[0]["name"] == "health-prod"
    request = fake.last("/v1/health")
    assert request.header("X-Stage") == "prod"
    assert request.header("X-Literal") == "${NOT_A_VAR}"


def test_chk2_missing_variable_is_a_load_error_naming_the_field(tmp_path):
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: http\n    url: http://x/\n"
                             "    headers:\n      Authorization: Bearer ${API_TOKEN_UNSET}\n")
    assert r.code == 1 and r.stdout == "", r
    assert r.stderr.strip().splitlines()[-1] == (
        "error: loading config from checks.yaml: parsing YAML config: checks[0].headers.Authorization: "
        "environment variable `API_TOKEN_UNSET` is not set (used as ${API_TOKEN_UNSET}) at line 6 column 22")


# ---- secrets -------------------------------------------------------------------

SECRET_CONFIG = """
retries: 1
backoff: 10ms
secrets: [DB_PASSWORD]
checks:
  - name: login
    type: http
    url: %s/login
    headers:
      Authorization: Bearer tok-abc-123
      Cookie: session=cookie-xyz-789
    expect:
      body: "password=${DB_PASSWORD}"
"""


def test_chk2_secrets_are_redacted_in_every_output(tmp_path, fake):
    fake.set("GET", "/login", 200, "nothing here mentions tok-abc-123 or cookie-xyz-789", "text/plain")
    env = {"DB_PASSWORD": "hunter2-secret", "ASSAY_TERMINATION_LOG": str(tmp_path / "termination")}
    text = SECRET_CONFIG % fake.url
    outputs = {}
    for fmt in ("json", "junit", "tap", "html"):
        r = run_config(tmp_path, text, "--format", fmt, extra_env=env)
        assert r.code == 1, r
        outputs[fmt] = r.stdout + r.stderr
    outputs["termination"] = (tmp_path / "termination").read_text()
    # the request itself carried the real values
    assert fake.last("/login").header("Authorization") == "Bearer tok-abc-123"
    for where, out in outputs.items():
        for secret in ("hunter2-secret", "tok-abc-123", "cookie-xyz-789"):
            assert secret not in out, (where, secret, out)
    assert 'body does not contain \\"password=[redacted]\\"' in outputs["json"]
    assert "password=[redacted]" in outputs["termination"]
    assert "[redacted]" in outputs["junit"] and "[redacted]" in outputs["tap"] and "[redacted]" in outputs["html"]
    # the retry log line carries the message too, redacted
    assert 'message="body does not contain \\"password=[redacted]\\""' in outputs["json"]


def test_chk2_lua_log_lines_of_script_checks_are_redacted(tmp_path):
    write(tmp_path, "leak.lua", 'log.info("connecting with " .. env.get("PW"))\n')
    r = run_config(tmp_path, "secrets: [PW]\nchecks:\n  - name: s\n    type: script\n    file: leak.lua\n"
                             "    env: {PW: '${PW}'}\n", extra_env={"PW": "pa55word-x"})
    assert r.code == 0, r
    assert "connecting with [redacted]" in r.stderr and "pa55word-x" not in r.stderr


# ---- unknown keys, --strict ----------------------------------------------------------

TYPO = """checks:
  - name: must-fail
    type: http
    url: %s/ok
    expects:
      status: 500
"""


def test_chk2_typo_key_warns_and_strict_makes_it_an_error(tmp_path, fake):
    fake.set("GET", "/ok", 200, "{}")
    r = run_config(tmp_path, TYPO % fake.url)
    assert r.code == 0, r  # still not an error, for old configs ...
    warning = r.log_lines("unknown config key ignored")
    assert len(warning) == 1 and " WARN " in warning[0], r
    assert warning[0].endswith('key="checks[0].expects" line=5 hint="did you mean `expect`?"')
    r = run_config(tmp_path, TYPO % fake.url, "--strict")
    assert r.code == 1 and r.stdout == "", r
    assert r.stderr.strip().splitlines()[-1] == (
        "error: loading config from checks.yaml: parsing YAML config: checks[0]: unknown field `expects`, "
        "did you mean `expect`? at line 5 column 5")


# ---- load errors of the new keys ---------------------------------------------------

@pytest.mark.parametrize("snippet, cause", [
    ("    method: FETCH\n", "checks[0].method: unknown method `FETCH`, expected one of GET, HEAD, POST, PUT, "
                           "PATCH, DELETE, OPTIONS at line 5 column 13"),
    ("    body: x\n    json: {a: 1}\n", "checks[0].json: `body` and `json` cannot both be set at line 6 column 11"),
    ("    timeout: 5\n", "checks[0].timeout: unsupported duration format: \"5\" (use e.g. '120s', '5m', '500ms') "
                       "at line 5 column 14"),
    ("    retries: -2\n", "checks[0].retries: invalid value: integer `-2`, expected u32 at line 5 column 14"),
    ("    headers: [a]\n", "checks[0].headers: invalid type: sequence, expected a map at line 5 column 14"),
    ("    ca_cert: /nonexistent/ca.pem\n", "checks[0].ca_cert: reading /nonexistent/ca.pem: No such file or "
                                       "directory (os error 2) at line 5 column 14"),
    ("    client_cert: c.pem\n", "checks[0]: mTLS needs both `client_cert` and `client_key` (`client_key` is "
                               "missing) at line 5 column 18"),
    ("    expect:\n      jsonpath:\n        - {path: '$.items[', op: exists}\n",
     "checks[0].expect.jsonpath[0].path: invalid JSONPath \"$.items[\": unexpected end of query at column 9 "
     "at line 7 column 18"),
    ("    expect:\n      jsonpath:\n        - {path: '$.a', op: bigger, value: 1}\n",
     "checks[0].expect.jsonpath[0].op: unknown op `bigger`"),
    ("    expect:\n      jsonpath:\n        - {path: '$.a', op: matches, value: '(unclosed'}\n",
     "checks[0].expect.jsonpath[0].value: invalid regex:"),
    ("    expect:\n      jsonpath:\n        - {path: '$.a', op: gt, value: high}\n",
     "checks[0].expect.jsonpath[0].value: op `gt` needs a number value at line 7 column 40"),
    ("    expect:\n      jsonpath:\n        - {path: '$.a', op: equals}\n",
     "checks[0].expect.jsonpath[0].op: op `equals` needs a `value`"),
    ("    expect:\n      schema: {type: object, properties: {a: {type: 12}}}\n",
     "checks[0].expect.schema: invalid JSON Schema at $.properties.a.type: 12 is not valid under any of the "
     "given schemas at line 6 column 15"),
    ("    expect:\n      schema_file: missing.json\n",
     "checks[0].expect.schema_file: reading schema missing.json: No such file or directory (os error 2)"),
])
def test_chk2_bad_new_keys_are_load_errors(tmp_path, snippet, cause):
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: http\n    url: http://127.0.0.1:9/\n" + snippet)
    assert r.code == 1 and r.stdout == "", r
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("error: loading config from checks.yaml: parsing YAML config: " + cause), line


@pytest.mark.parametrize("check, cause", [
    ("type: k8s\n", "checks[0]: a k8s check requires `kind` at line 3 column 11"),
    ("type: k8s\n    kind: Pod\n", "checks[0].kind: unknown kind `Pod`, expected one of Deployment, StatefulSet, "
                                  "DaemonSet, Job at line 4 column 11"),
    ("type: argocd\n    url: http://x\n", "checks[0]: a argocd check requires `app`"),
    ("type: tcp\n    host: db\n", "checks[0]: a tcp check requires `port`"),
    ("type: tcp\n    host: db\n    port: 70000\n",
     "checks[0].port: invalid value: integer `70000`, expected u16"),
])
def test_chk2_new_types_need_their_fields(tmp_path, check, cause):
    r = run_config(tmp_path, "checks:\n  - name: a\n    " + check)
    assert r.code == 1 and r.stdout == "", r
    assert r.stderr.strip().splitlines()[-1].startswith(
        "error: loading config from checks.yaml: parsing YAML config: " + cause), r


# ---- assay schema checks ---------------------------------------------------------------

def test_chk2_schema_command_matches_the_loader(tmp_path):
    import jsonschema
    from ruamel.yaml import YAML
    r = run_assay("schema", "checks")
    assert r.returncode == 0, r
    schema = json.loads(r.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    # the shipped example validates; the `expects:` typo does not
    import os
    from conftest import ROOT
    with open(os.path.join(ROOT, "examples", "checks.yaml")) as f:
        example = YAML(typ="safe").load(f)
    assert list(validator.iter_errors(example)) == []
    typo = YAML(typ="safe").load(TYPO % "http://x")
    errors = list(validator.iter_errors(typo))
    assert len(errors) == 1 and "'expects' was unexpected" in errors[0].message
    # every key the loader reads is in the schema, and only those
    from assay.checks import model
    check_props = schema["properties"]["checks"]["items"]["properties"]
    assert set(check_props) == set(model.CHECK.fields)
    assert set(check_props["expect"]["properties"]) == set(model.EXPECT.fields)
    assert check_props["type"]["enum"] == ["http", "prometheus", "script", "k8s", "argocd", "tcp"]
    assert set(check_props["expect"]["properties"]["jsonpath"]["items"]["properties"]["op"]["enum"]) == {
        "equals", "not_equals", "contains", "matches", "exists", "not_exists", "gt", "gte", "lt", "lte", "count"}
    bad = run_assay("schema", "nothing")
    assert bad.returncode == 2 and "unknown schema 'nothing'" in bad.stderr


# ---- --dry-run -------------------------------------------------------------------------

def test_chk2_dry_run_shows_requests_and_sends_nothing(tmp_path, fake):
    text = """secrets: [TOKEN]
checks:
  - name: create
    type: http
    url: %s/items?token=${TOKEN}
    method: post
    headers: {Authorization: "Bearer ${TOKEN}", X-Trace: on}
    json: {name: widget, count: 2}
  - name: prom
    type: prometheus
    url: %s
    query: up
  - name: db
    type: tcp
    host: 127.0.0.1
    port: 5432
""" % (fake.url, fake.url)
    r = run_config(tmp_path, text, "--dry-run", extra_env={"TOKEN": "s3cr3t-token"})
    assert r.code == 0, r
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0] == {"name": "create", "type": "http", "method": "POST",
                        "url": fake.url + "/items?token=[redacted]",
                        "headers": {"Authorization": "[redacted]", "X-Trace": "on",
                                    "Content-Type": "application/json"},
                        "body": '{"name": "widget", "count": 2}'}
    assert lines[1] == {"name": "prom", "type": "prometheus", "method": "GET", "url": fake.url, "query": "up"}
    assert lines[2] == {"name": "db", "type": "tcp", "host": "127.0.0.1", "port": 5432}
    assert fake.requests == []
    assert "s3cr3t-token" not in r.stdout + r.stderr
    # an invalid config is still an error
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: grpc\n", "--dry-run")
    assert r.code == 1 and r.stdout == "" and 'unknown check type: "grpc"' in r.stderr


# ---- every config example of docs/checks.md is valid -------------------------------------

def test_chk2_docs_yaml_examples_load_strictly(tmp_path):
    import os
    import re
    from conftest import ROOT
    with open(os.path.join(ROOT, "docs", "checks.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    configs = [b for b in blocks if re.search(r"^checks:", b, re.M)]
    assert len(configs) >= 6
    env = {"API_TOKEN": "t", "CLUSTER_DOMAIN": "example.com", "ARGOCD_TOKEN": "a", "GIT_SHA": "9be0d3a"}
    for name in ("internal-ca.pem", "client.pem", "client.key"):  # files the mTLS example names
        write(tmp_path, "certs/" + name, "")
    for i, text in enumerate(configs):
        r = run_config(tmp_path, text, "--dry-run", "--strict", name="example%d.yaml" % i, extra_env=env)
        assert r.code == 0, (text, r)
        assert len(r.stdout.splitlines()) == len(re.findall(r"^  - name:", text, re.M)), (text, r)
