"""Under CI=true a skip fails unless its reason is on the reviewed allow-list (tests/conftest.py)."""
from types import SimpleNamespace

import conftest


def report(reason):
    return SimpleNamespace(skipped=True, outcome="skipped", longrepr=("f.py", 3, "Skipped: " + reason))


def test_unlisted_skip_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    r = report("moto_server is not installed (pip install 'moto[server]')")
    conftest._ci_refuses_skip(r)
    assert r.outcome == "failed" and "not on CI_ALLOWED_SKIPS" in r.longrepr and "moto_server" in r.longrepr


def test_listed_skip_stays_a_skip_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    r = report("README example x (line 3) skipped: a fragment")
    conftest._ci_refuses_skip(r)
    assert r.outcome == "skipped"


def test_skips_are_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    r = report("moto_server is not installed")
    conftest._ci_refuses_skip(r)
    assert r.outcome == "skipped"
