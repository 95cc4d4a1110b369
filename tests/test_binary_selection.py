"""`make test-binary` (build/pytest_binary.py) selects every test that starts the command,
including those that do it through a helper or a fixture, and leaves in-process tests out."""
import os
import subprocess
import sys

from conftest import ROOT


def selected(*paths):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "build"), ROOT]))
    env.pop("TEST_BINARY_ALL", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_binary", "--collect-only", "-q", "-o", "addopts=",
                           "-p", "no:cacheprovider", *paths], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {line.split("::")[-1] for line in proc.stdout.splitlines() if "::" in line}


def test_helpers_fixtures_and_direct_calls_are_selected():
    names = selected("tests/checks/test_checks_prometheus.py", "tests/real/test_real_traefik.py",
                     "tests/test_runtime.py")
    assert "test_chk_29_real_prometheus_query_and_first_value" in names  # through checkhelpers.run_config
    assert "test_version_overview_entrypoints" in names                  # through the `flow` fixture
    assert "test_rt_44_main_end_abandons_tasks" in names                 # run_assay in its body
    assert "test_rt_42_await_dot_and_colon" not in names                 # in-process only


def test_agent_safety_tests_run_against_the_binary():
    """--readonly, approval, the policy file, credentials, mcp-serve and api-serve are
    features of the shipped command: their tests must run against it."""
    names = selected("tests/test_policy.py", "tests/test_approval.py", "tests/test_mcp.py", "tests/test_api.py")
    for name in ("test_checks_mode_applies_the_whole_policy", "test_redaction_reaches_log_lines",
                 "test_credential_handle_is_substituted_only_by_the_http_layer",
                 "test_replayed_token_is_refused", "test_approval_flow_through_assay_resume",
                 "test_refuses_to_start_without_tokens"):
        assert name in names
    assert len([n for n in names if n.startswith("test_")]) >= 45
