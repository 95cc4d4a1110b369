"""YAML checks mode: flow, config schema, durations, load errors, report, logs (checks.md §1–4, 8–10)."""
import json
import time

import pytest

from checkhelpers import run_config, server, write  # noqa: F401 (fixture)
from conftest import run_assay

PASSING_SCRIPT = "local x = 1\n"
FAILING_SCRIPT = "error('nope')\n"


def scripts(tmp_path):
    write(tmp_path, "ok.lua", PASSING_SCRIPT)
    write(tmp_path, "bad.lua", FAILING_SCRIPT)


# ---- §1 flow, §10 exit codes ------------------------------------------------

def test_chk_01_all_passing_prints_json_and_exits_0(tmp_path, server):
    server.route("/health", 200, '{"status":"ok"}')
    scripts(tmp_path)
    r = run_config(tmp_path, """
checks:
  - name: api
    type: http
    url: %s
  - name: lua
    type: script
    file: ok.lua
""" % server.url("/health"))
    assert r.code == 0, r
    assert r.report["passed"] is True
    assert [c["passed"] for c in r.checks] == [True, True]
    assert r.stdout.endswith("}\n")


def test_chk_02_any_failure_fails_the_run(tmp_path, server):
    server.route("/health", 200, "{}")
    scripts(tmp_path)
    r = run_config(tmp_path, """
retries: 0
checks:
  - name: api
    type: http
    url: %s
  - name: lua
    type: script
    file: bad.lua
""" % server.url("/health"))
    assert r.code == 1, r
    assert r.report["passed"] is False
    assert r.check("api")["passed"] is True
    assert r.check("lua")["passed"] is False


def test_chk_03_empty_check_list_passes(tmp_path):
    r = run_config(tmp_path, "checks: []\n")
    assert r.code == 0, r
    assert r.report["passed"] is True
    assert r.report["checks"] == []
    assert '"checks": []' in r.stdout


def test_chk_04_report_layout_and_key_order(tmp_path):
    scripts(tmp_path)
    r = run_config(tmp_path, """
retries: 0
checks:
  - name: gut
    type: script
    file: ok.lua
  - name: schlecht-ü
    type: script
    file: bad.lua
""")
    doc = json.loads(r.stdout, object_pairs_hook=list)
    assert [k for k, _ in doc] == ["passed", "checks", "duration_ms"]
    for entry in dict(doc)["checks"]:
        assert [k for k, _ in entry] == ["name", "passed", "duration_ms", "message"]
    report = r.report
    # 2-space pretty printing, exactly as serde_json's pretty printer lays it out
    assert r.stdout == json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    assert '\n  "checks": [\n    {\n      "name": "gut",' in r.stdout
    assert report["checks"][0]["message"] is None and '"message": null' in r.stdout
    assert "schlecht-ü" in r.stdout  # UTF-8, not \u escapes
    assert isinstance(report["duration_ms"], int) and isinstance(report["checks"][1]["duration_ms"], int)


def test_chk_05_results_in_config_order(tmp_path):
    scripts(tmp_path)
    names = ["zeta", "alpha", "mid", "alpha"]
    body = "retries: 0\nchecks:\n" + "".join(
        "  - name: %s\n    type: script\n    file: %s\n" % (n, "bad.lua" if i % 2 else "ok.lua")
        for i, n in enumerate(names))
    r = run_config(tmp_path, body)
    assert [c["name"] for c in r.checks] == names  # duplicates allowed, config order
    assert [c["passed"] for c in r.checks] == [True, False, True, False]


def test_chk_06_defaults(tmp_path, server):
    # timeout 120s and retries 3 show in the `configuration loaded` line
    scripts(tmp_path)
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: script\n    file: ok.lua\n")
    assert r.log_lines("configuration loaded checks=1 timeout_secs=120 retries=3"), r
    # backoff 5s: the first retry waits 5 s (the 1 s global timeout cuts the wait short)
    r = run_config(tmp_path, "timeout: 1s\nretries: 1\nchecks:\n  - name: b\n    type: script\n    file: bad.lua\n")
    assert r.log_lines('check failed, retrying check="b" attempt=1 max_attempts=2 backoff_secs=5'), r
    # follow_redirects true: a redirect to a 200 page passes
    server.route("/old", 302, "", headers={"Location": "/new"})
    server.route("/new", 200, "fine")
    r = run_config(tmp_path, "checks:\n  - name: r\n    type: http\n    url: %s\n" % server.url("/old"))
    assert r.code == 0 and server.routes["/new"].hits == 1, r
    # parallel false: no parallel warning, checks one after another
    server.route("/slow", 200, "{}", delay=0.6)
    r = run_config(tmp_path, "checks:\n" + "".join(
        "  - name: s%d\n    type: http\n    url: %s\n" % (i, server.url("/slow")) for i in range(2)))
    assert r.code == 0 and r.report["duration_ms"] >= 1200, r
    assert "parallel" not in r.stderr


def test_chk_07_duration_forms(tmp_path):
    scripts(tmp_path)
    accepted = {"500ms": 0, "1500ms": 1, "0s": 0, "90s": 90, " 45s ": 45, "2m": 120, "1m": 60}
    for text, secs in accepted.items():
        r = run_config(tmp_path, 'timeout: "%s"\nchecks: []\n' % text)
        assert r.code == 0, (text, r)
        assert r.log_lines("timeout_secs=%d " % secs), (text, r)
    rejected = {
        "2h": "unsupported duration format: \"2h\" (use e.g. '120s', '5m', '500ms')",
        "30": "unsupported duration format: \"30\"",
        "1d": "unsupported duration format: \"1d\"",
        "1.5s": "invalid seconds value: invalid digit found in string",
        "10 s": "invalid seconds value: invalid digit found in string",
        "-1s": "invalid seconds value: invalid digit found in string",
        "xm": "invalid minutes value: invalid digit found in string",
        "ms": "invalid milliseconds value: cannot parse integer from empty string",
    }
    for text, cause in rejected.items():
        r = run_config(tmp_path, 'timeout: "%s"\nchecks: []\n' % text)
        assert r.code == 1 and r.stdout == "", (text, r)
        assert "error: loading config from checks.yaml: parsing timeout: " + cause in r.stderr, (text, r)


def test_chk_07_duration_parser_unit():
    from assay.checks.durations import DurationError, parse_duration, rust_float
    assert parse_duration("500ms") == 500
    assert parse_duration("\t3s\n") == 3000
    assert parse_duration("5m") == 300_000
    for bad in ("", "s5", "5 m", "+5s", "5S", "1e3s", "99999999999999999999s"):
        with pytest.raises(DurationError):
            parse_duration(bad)
    assert rust_float(3.0) == "3" and rust_float(1e21) == "1000000000000000000000"
    assert rust_float(1e-7) == "0.0000001" and rust_float(float("nan")) == "NaN"
    assert rust_float(float("-inf")) == "-inf" and rust_float(0.5) == "0.5"


def test_chk_07_bare_number_timeout_is_rejected(tmp_path):
    r = run_config(tmp_path, "timeout: 30\nchecks: []\n")
    assert r.code == 1 and r.stdout == ""
    assert 'parsing timeout: unsupported duration format: "30"' in r.stderr


def test_chk_08_two_hours_is_unsupported(tmp_path):
    r = run_config(tmp_path, "timeout: 2h\nchecks: []\n")
    assert r.code == 1
    assert r.stdout == ""
    assert r.stderr.strip().splitlines()[-1] == (
        "error: loading config from checks.yaml: parsing timeout: unsupported duration format: \"2h\" "
        "(use e.g. '120s', '5m', '500ms')")


def test_chk_09_bad_backoff(tmp_path):
    r = run_config(tmp_path, "backoff: 1.5s\nchecks: []\n")
    assert r.code == 1 and r.stdout == ""
    assert "error: loading config from checks.yaml: parsing backoff: invalid seconds value: " in r.stderr
    # timeout is validated before backoff
    r = run_config(tmp_path, "timeout: 1h\nbackoff: 1h\nchecks: []\n")
    assert "parsing timeout:" in r.stderr and "parsing backoff" not in r.stderr


def test_chk_10_missing_or_unreadable_config(tmp_path):
    r = run_assay("nope.yaml", cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout == ""
    assert ("error: loading config from nope.yaml: reading config nope.yaml: "
            "No such file or directory (os error 2)") in r.stderr
    (tmp_path / "dir.yml").mkdir()
    r = run_assay("dir.yml", cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout == ""
    assert "error: loading config from dir.yml: reading config dir.yml: Is a directory (os error 21)" in r.stderr
    (tmp_path / "latin1.yaml").write_bytes(b"checks: []\n# caf\xe9\n")
    r = run_assay("latin1.yaml", cwd=str(tmp_path))
    assert r.returncode == 1 and "reading config latin1.yaml: " in r.stderr


@pytest.mark.parametrize("text, detail", [
    ("checks: [\n", "parsing YAML config: "),
    ("retries: 3\n", "parsing YAML config: missing field `checks`"),
    ("checks:\n  - type: http\n", "parsing YAML config: checks[0]: missing field `name`"),
    ("checks:\n  - name: a\n    type: script\n  - name: b\n", "parsing YAML config: checks[1]: missing field `type`"),
    ('retries: "3"\nchecks: []\n', 'parsing YAML config: retries: invalid type: string "3", expected u32'),
    ("retries: -1\nchecks: []\n", "parsing YAML config: retries: invalid value: integer `-1`, expected u32"),
    ("retries: 1.5\nchecks: []\n", "parsing YAML config: retries: invalid type: floating point `1.5`, expected u32"),
    ('parallel: "yes"\nchecks: []\n', 'parsing YAML config: parallel: invalid type: string "yes", expected a boolean'),
    ("parallel: yes\nchecks: []\n", 'parsing YAML config: parallel: invalid type: string "yes", expected a boolean'),
    ('checks:\n  - name: a\n    type: http\n    expect:\n      status: "200"\n',
     'parsing YAML config: checks[0].expect.status: invalid type: string "200", expected u16'),
    ("checks:\n  - name: a\n    type: http\n    expect:\n      status: 70000\n",
     "parsing YAML config: checks[0].expect.status: invalid value: integer `70000`, expected u16"),
    ('checks:\n  - name: a\n    type: prometheus\n    expect:\n      min: "1"\n',
     'parsing YAML config: checks[0].expect.min: invalid type: string "1", expected f64'),
    ("checks:\n  - name: a\n    type: http\n    follow_redirects: no\n",
     "parsing YAML config: checks[0].follow_redirects: invalid type: string \"no\", expected a boolean"),
    ("checks: {}\n", "parsing YAML config: checks: invalid type: map, expected a sequence"),
    ("checks: []\n---\nchecks: []\n", "parsing YAML config: deserializing from YAML containing more than one document"),
    ("- a\n- b\n", "parsing YAML config: invalid type: sequence"),
])
def test_chk_11_structure_and_type_errors_name_the_field(tmp_path, text, detail):
    r = run_config(tmp_path, text)
    assert r.code == 1, r
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: loading config from checks.yaml: " + detail), r
    assert "Traceback" not in r.stderr


def test_chk_11_errors_carry_a_position(tmp_path):
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: http\n    expect:\n      status: \"200\"\n")
    assert "at line 5 column 15" in r.stderr, r
    r = run_config(tmp_path, "checks:\n  - name: a\n  type: http\n")
    assert "parsing YAML config: " in r.stderr and "line 3" in r.stderr, r


def test_chk_12_unknown_check_type(tmp_path):
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: http\n  - name: b\n    type: grpc\n")
    assert r.code == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1] == 'error: loading config from checks.yaml: unknown check type: "grpc"'
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: HTTP\n")
    assert 'unknown check type: "HTTP"' in r.stderr  # exact, lowercase
    # validation order (§4): timeout before check types
    r = run_config(tmp_path, "timeout: 1h\nchecks:\n  - name: a\n    type: grpc\n")
    assert "parsing timeout" in r.stderr and "grpc" not in r.stderr


def test_chk_13_unknown_keys_are_ignored_with_a_warning(tmp_path, server):
    server.route("/x", 200, "{}")
    scripts(tmp_path)
    r = run_config(tmp_path, """
version: 2
labels: {team: sre}
checks:
  - name: api
    type: http
    url: %s
    expect:
      status: 200
      regex: ".*"
    script: ignored
  - name: lua
    type: script
    file: ok.lua
    url: http://ignored.invalid/
    follow_redirects: false
    query: up
""" % server.url("/x"))
    assert r.code == 0, r
    assert [c["passed"] for c in r.checks] == [True, True]
    warnings = r.log_lines("unknown config key ignored")
    assert [w.split("unknown config key ignored ")[1] for w in warnings] == [
        'key="version" line=2', 'key="labels" line=3', 'key="checks[0].expect.regex" line=10',
        'key="checks[0].script" line=11']
    assert all(" WARN " in w for w in warnings)


def test_chk_14_string_fields_take_scalars_as_text(tmp_path):
    write(tmp_path, "env.lua", """
assert(env.get("PORT") == "8080", "PORT=" .. tostring(env.get("PORT")))
assert(env.get("RATIO") == "1.50", "RATIO=" .. tostring(env.get("RATIO")))
assert(env.get("FLAG") == "true", "FLAG=" .. tostring(env.get("FLAG")))
assert(env.get("HEX") == "0x1F", "HEX=" .. tostring(env.get("HEX")))
""")
    r = run_config(tmp_path, """
retries: 0
checks:
  - name: 123
    type: script
    file: env.lua
    env: {PORT: 8080, RATIO: 1.50, FLAG: true, HEX: 0x1F}
""")
    assert r.code == 0, r
    assert r.checks[0]["name"] == "123"
    assert r.log_lines('check completed check="123" result="PASS"'), r


# ---- §9 logs, §1 dispatch ----------------------------------------------------

def test_chk_46_logs_on_stderr_json_alone_on_stdout(tmp_path):
    scripts(tmp_path)
    write(tmp_path, "noisy.lua", "print('printed by the script')\nlog.info('logged by the script')\n")
    r = run_config(tmp_path, """
retries: 0
checks:
  - name: api-health
    type: script
    file: noisy.lua
  - name: broken
    type: script
    file: bad.lua
""")
    json.loads(r.stdout)  # stdout is exactly one JSON document
    assert "printed by the script" in r.stderr and "printed by the script" not in r.stdout
    assert "logged by the script" in r.stderr
    start = r.log_lines("starting assay (check mode) config=checks.yaml")
    assert start and " INFO " in start[0]
    assert r.log_lines("configuration loaded checks=2 timeout_secs=120 retries=0")
    done = r.log_lines('check completed check="api-health" result="PASS" duration_ms=')
    assert done and " INFO " in done[0]
    assert r.log_lines('check completed check="broken" result="FAIL" duration_ms=')
    order = [i for i, line in enumerate(r.stderr.splitlines())
             if "starting assay" in line or "configuration loaded" in line or "check completed" in line]
    assert order == sorted(order) and len(order) == 4


def test_chk_46_rust_log_filters_runner_logs(tmp_path):
    scripts(tmp_path)
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: script\n    file: ok.lua\n",
                   extra_env={"RUST_LOG": "error"})
    assert r.code == 0 and "check completed" not in r.stderr and r.report["passed"] is True


def test_chk_47_tool_mode_flags_do_not_change_checks(tmp_path):
    scripts(tmp_path)
    text = "retries: 0\nchecks:\n  - name: a\n    type: script\n    file: ok.lua\n  - name: b\n    type: script\n" \
           "    file: bad.lua\n"
    plain = run_config(tmp_path, text)
    tool = run_config(tmp_path, text, command=["run", "--mode", "tool", "--timeout", "1", "checks.yaml"])
    env_tool = run_config(tmp_path, text, extra_env={"ASSAY_MODE": "tool"})
    for r in (plain, tool, env_tool):
        assert r.code == 1, r
        assert [(c["name"], c["passed"], c["message"]) for c in r.checks] == \
            [("a", True, None), ("b", False, "bad.lua:1: nope")]
        assert "starting assay (check mode)" in r.stderr


def test_cli_08_yaml_yml_and_run_select_checks_mode(tmp_path):
    scripts(tmp_path)
    text = "checks:\n  - name: a\n    type: script\n    file: ok.lua\n"
    for name, command in (("c.yaml", None), ("c.yml", None), ("r.yaml", ["run", "r.yaml"])):
        r = run_config(tmp_path, text, name=name, command=command)
        assert r.code == 0, r
        assert r.report == {"passed": True, "checks": [r.checks[0]], "duration_ms": r.report["duration_ms"]}
        assert "starting assay (check mode) config=%s" % name in r.stderr


def test_cli_46_exit_code_table(tmp_path):
    scripts(tmp_path)
    ok = run_config(tmp_path, "checks:\n  - name: a\n    type: script\n    file: ok.lua\n")
    none = run_config(tmp_path, "checks: []\n")
    failed = run_config(tmp_path, "retries: 0\nchecks:\n  - name: a\n    type: script\n    file: bad.lua\n")
    timed_out = run_config(tmp_path, "timeout: 0s\nchecks:\n  - name: a\n    type: script\n    file: ok.lua\n")
    bad_yaml = run_config(tmp_path, "checks: [\n")
    bad_duration = run_config(tmp_path, "timeout: 5x\nchecks: []\n")
    bad_type = run_config(tmp_path, "checks:\n  - name: a\n    type: tcp\n")
    write(tmp_path, "c.json", "{}")
    bad_ext = run_assay("c.json", cwd=str(tmp_path))
    assert (ok.code, none.code, failed.code, timed_out.code) == (0, 0, 1, 1)
    assert all(r.report is not None for r in (ok, none, failed, timed_out))
    for r in (bad_yaml, bad_duration, bad_type):
        assert r.code == 1 and r.stdout == "", r
    assert bad_ext.returncode == 1 and bad_ext.stdout == ""
    assert 'unsupported file extension "json"' in bad_ext.stderr


def test_chk_duration_ms_covers_the_run(tmp_path):
    write(tmp_path, "slow.lua", "sleep(0.4)\n")
    started = time.monotonic()
    r = run_config(tmp_path, "checks:\n  - name: a\n    type: script\n    file: slow.lua\n")
    elapsed_ms = (time.monotonic() - started) * 1000
    assert r.code == 0, r
    assert 400 <= r.checks[0]["duration_ms"] <= r.report["duration_ms"] <= elapsed_ms


def test_chk_example_config_loads():
    """examples/checks.yaml is a valid config using every check type."""
    import os
    from conftest import ROOT
    from assay.checks.config import load_config
    config = load_config(os.path.join(ROOT, "examples", "checks.yaml"))
    assert {c.type for c in config.checks} == {"http", "prometheus", "script"}
    assert config.timeout_ms == 300_000 and config.retries == 4 and config.backoff_ms == 10_000 and config.parallel
