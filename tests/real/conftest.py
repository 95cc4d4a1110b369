"""Real-server tests: each runs a Lua script through the `assay` command (so `make test-binary`
runs them against the built executable) against a real service from tests/realservers.py."""
import json
import uuid

import pytest


@pytest.fixture
def flow(assay, tmp_path):
    """flow(code, **env): run `code` as a script file with `env`; return what it printed last,
    decoded from JSON. A non-zero exit fails the test with the script's stderr."""
    def run(code, **env):
        path = tmp_path / ("flow-%s.lua" % uuid.uuid4().hex[:8])
        path.write_text(code, encoding="utf-8")
        proc = assay(path, cwd=str(tmp_path), extra_env={k: str(v) for k, v in env.items()}, timeout=150)
        assert proc.returncode == 0, "script failed (exit %d):\n%s\n--- stderr\n%s" % (
            proc.returncode, code, proc.stderr)
        lines = proc.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None
    return run


@pytest.fixture
def flow_fails(assay, tmp_path):
    """flow_fails(code, **env): run `code`, which must exit non-zero; return its stderr."""
    def run(code, **env):
        path = tmp_path / ("flow-%s.lua" % uuid.uuid4().hex[:8])
        path.write_text(code, encoding="utf-8")
        proc = assay(path, cwd=str(tmp_path), extra_env={k: str(v) for k, v in env.items()}, timeout=150)
        assert proc.returncode != 0, "script succeeded but should have failed:\n%s\n%s" % (code, proc.stdout)
        return proc.stderr
    return run


@pytest.fixture
def uid():
    """A short unique name, so tests sharing one server never collide."""
    return "t" + uuid.uuid4().hex[:10]
