"""pytest plugin for `make test-binary`: keep only the tests that run the command.

ASSAY_BIN points tests/conftest.py's `assay` fixture (and `run_assay`) at a built
executable. Tests that only use the in-process `lua` fixture would run the same
Python code as `make test` does, so they are deselected; set TEST_BINARY_ALL=1 to
run the whole suite anyway. Loaded with `-p pytest_binary` (PYTHONPATH=build).
"""
import os


def _runs_command(item):
    if "assay" in getattr(item, "fixturenames", ()):
        return True
    code = getattr(getattr(item, "function", None), "__code__", None)
    if code is None:
        return False
    names = set(code.co_names)
    for const in code.co_consts:  # nested functions and lambdas
        if hasattr(const, "co_names"):
            names.update(const.co_names)
    return bool(names & {"run_assay", "assay_command"})


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TEST_BINARY_ALL") == "1":
        return
    keep, drop = [], []
    for item in items:
        (keep if _runs_command(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    return "assay binary under test: %s" % os.environ.get("ASSAY_BIN", "(ASSAY_BIN unset: python -m assay)")
