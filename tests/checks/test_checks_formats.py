"""Report formats beside the original's JSON (port addition): `--format junit` and `--format tap`.

JUnit output is validated against tests/checks/junit.xsd (the strict JUnit layout)
with `xmlschema` and read back with `junitparser`; TAP output is consumed by
Perl's `prove`, the reference TAP harness, when it is installed.
"""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET


from checkhelpers import need, need_module, run_config, server, write  # noqa: F401 (fixture)
from conftest import run_assay

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = """
retries: 1
backoff: 10ms
checks:
  - name: api
    type: http
    url: %(ok)s
  - name: 'weird <name> & "quotes" # hash'
    type: http
    url: %(bad)s
  - name: lua
    type: script
    file: bad.lua
  - name: fine-lua
    type: script
    file: ok.lua
"""


def setup_files(tmp_path, server):
    server.route("/ok", 200, "{}")
    server.route("/bad", 500, "")
    write(tmp_path, "bad.lua", "error('control \\1 char and <xml> & \"quotes\"\\nsecond line')\n")
    write(tmp_path, "ok.lua", "")
    return CONFIG % {"ok": server.url("/ok"), "bad": server.url("/bad")}


def validate(path):
    xmlschema = need_module("xmlschema", "pip install xmlschema (dev extra)")
    schema = xmlschema.XMLSchema(os.path.join(HERE, "junit.xsd"))
    schema.validate(str(path))


def test_chk_junit_report_validates_and_parses(tmp_path, server):
    text = setup_files(tmp_path, server)
    r = run_config(tmp_path, text, "--format", "junit")
    assert r.code == 1, r
    assert r.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>')
    report = tmp_path / "report.xml"
    report.write_text(r.stdout, encoding="utf-8")
    validate(report)

    junitparser = need_module("junitparser", "pip install junitparser (dev extra)")
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert suite.name == "checks.yaml"
    assert suite.tests == 4 and suite.failures == 2 and suite.errors == 0
    cases = list(suite)
    assert [c.name for c in cases] == ["api", 'weird <name> & "quotes" # hash', "lua", "fine-lua"]
    assert [c.classname for c in cases] == ["assay.http", "assay.http", "assay.script", "assay.script"]
    assert cases[0].is_passed and cases[3].is_passed
    failure = cases[1].result[0]
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "expected 2xx, got 500"
    assert "attempt 1/2: FAIL" in failure.text and "attempt 2/2: FAIL" in failure.text
    lua_failure = cases[2].result[0]
    assert lua_failure.message.startswith("bad.lua:1: control \ufffd char and <xml> & \"quotes\"\nsecond line")
    assert all(isinstance(c.time, float) for c in cases)
    props = {p.name: p.value for p in suite.properties()}
    assert props["retries"] == "1" and props["backoff"] == "10ms" and props["config"] == "checks.yaml"


def test_chk_junit_time_and_attempt_history(tmp_path, server):
    server.route("/flaky", sequence=[(503, ""), (200, "")])
    r = run_config(tmp_path, "retries: 2\nbackoff: 10ms\nchecks:\n  - name: flaky\n    type: http\n    url: %s\n"
                   % server.url("/flaky"), "--format", "junit")
    assert r.code == 0, r
    root = ET.fromstring(r.stdout)
    case = root.find("testsuite/testcase")
    assert case.get("name") == "flaky" and [child.tag for child in case] == ["properties"]
    properties = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
    assert properties["attempts"] == "2"
    assert properties["attempt.1.result"] == "FAIL" and properties["attempt.1.message"] == "expected 2xx, got 503"
    assert properties["attempt.2.result"] == "PASS" and "attempt.2.message" not in properties
    assert int(properties["attempt.1.duration_ms"]) >= 0 and int(properties["attempt.2.duration_ms"]) >= 0
    out = root.find("testsuite/system-out").text
    assert "[flaky] attempt 1/3: FAIL" in out and "expected 2xx, got 503" in out
    assert "[flaky] attempt 2/3: PASS" in out
    assert float(case.get("time")) <= float(root.find("testsuite").get("time"))


def test_chk_junit_global_timeout(tmp_path):
    write(tmp_path, "slow.lua", "sleep(10)\n")
    r = run_config(tmp_path, "timeout: 1s\nchecks:\n  - name: slow\n    type: script\n    file: slow.lua\n"
                             "  - name: after\n    type: script\n    file: slow.lua\n", "--format", "junit")
    assert r.code == 1
    report = tmp_path / "timeout.xml"
    report.write_text(r.stdout)
    validate(report)
    failures = ET.fromstring(r.stdout).findall("testsuite/testcase/failure")
    assert [f.get("type") for f in failures] == ["timeout", "timeout"]
    assert all(f.get("message") == "global timeout of 1s exceeded" for f in failures)


def test_chk_junit_empty_run(tmp_path):
    r = run_config(tmp_path, "checks: []\n", "--format", "junit")
    assert r.code == 0
    report = tmp_path / "empty.xml"
    report.write_text(r.stdout)
    validate(report)
    assert ET.fromstring(r.stdout).find("testsuite").get("tests") == "0"


def parse_tap(text):
    lines = text.splitlines()
    assert lines[0] == "TAP version 13"
    plan = lines[1]
    assert plan.startswith("1..")
    results = []
    for line in lines[2:]:
        if line.startswith("ok ") or line.startswith("not ok "):
            results.append(line)
        else:
            assert line.startswith("  ") or line.startswith("#"), line
    assert len(results) == int(plan[3:])
    return results


def test_chk_tap_report(tmp_path, server):
    text = setup_files(tmp_path, server)
    r = run_config(tmp_path, text, "--format", "tap")
    assert r.code == 1, r
    results = parse_tap(r.stdout)
    assert results == ["ok 1 - api", 'not ok 2 - weird <name> & "quotes" \\# hash', "not ok 3 - lua", "ok 4 - fine-lua"]
    assert '  message: "expected 2xx, got 500"' in r.stdout
    assert "  attempts: 2\n  max_attempts: 2" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("# 2 of 4 checks passed in ")


def test_chk_tap_report_is_accepted_by_prove(tmp_path, server):
    prove = shutil.which("prove")
    need("prove (Perl's TAP harness)", prove, "Debian package perl")
    text = setup_files(tmp_path, server)
    failing = run_config(tmp_path, text, "--format", "tap")
    write(tmp_path, "fail.tap", failing.stdout)
    passing = run_config(tmp_path, "checks:\n  - name: ok\n    type: script\n    file: ok.lua\n", "--format", "tap")
    write(tmp_path, "pass.tap", passing.stdout)
    bad = subprocess.run([prove, "-v", "--exec", "cat", "fail.tap"], cwd=str(tmp_path), capture_output=True,
                         text=True, timeout=60)
    good = subprocess.run([prove, "--exec", "cat", "pass.tap"], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert good.returncode == 0 and "Result: PASS" in good.stdout, good.stdout + good.stderr
    assert bad.returncode != 0 and "Result: FAIL" in bad.stdout, bad.stdout + bad.stderr
    assert "Failed 2/4 subtests" in bad.stdout or "Failed tests:  2-3" in bad.stdout, bad.stdout


def test_chk_format_option_placement_and_errors(tmp_path):
    write(tmp_path, "ok.lua", "")
    text = "checks:\n  - name: ok\n    type: script\n    file: ok.lua\n"
    write(tmp_path, "c.yaml", text)
    for argv in (["--format", "tap", "c.yaml"], ["c.yaml", "--format=tap"], ["run", "c.yaml", "--format", "tap"],
                 ["run", "--format=tap", "c.yaml"]):
        r = run_assay(*argv, cwd=str(tmp_path))
        assert r.returncode == 0 and r.stdout.startswith("TAP version 13\n1..1\nok 1 - ok"), (argv, r.stdout, r.stderr)
    r = run_assay("--format", "json", "c.yaml", cwd=str(tmp_path))
    assert r.stdout.startswith("{\n  \"passed\": true")
    r = run_assay("c.yaml", "--format", "xml", cwd=str(tmp_path))
    assert r.returncode == 2 and r.stdout == ""
    assert "invalid value 'xml' for '--format <FORMAT>'" in r.stderr and "json, junit, tap" in r.stderr
    r = run_assay("c.yaml", "--format", "tap", "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 2
    assert "--format <FORMAT>" in run_assay("--help").stdout
    assert "--format <FORMAT>" in run_assay("run", "--help").stdout
    # config errors stay on stderr whatever the format
    write(tmp_path, "broken.yaml", "timeout: 2h\nchecks: []\n")
    r = run_assay("--format", "junit", "broken.yaml", cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout == "" and "parsing timeout" in r.stderr
