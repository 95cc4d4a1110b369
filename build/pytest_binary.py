"""pytest plugin for `make test-binary`: keep every test that starts the command.

ASSAY_BIN points tests/conftest.py's `assay` fixture and `run_assay` at a built executable.
A test starts the command when its body, a fixture it uses, or any helper function either of
them calls (followed through the test modules' globals, e.g. checkhelpers.run_config) refers to
`run_assay` or `assay_command`, or when it uses the `assay` fixture (directly or through another
fixture, e.g. `flow` of the real-server tests). Tests that only use the in-process `lua`
fixture run the same Python code as `make test` and are deselected; TEST_BINARY_ALL=1 keeps
everything. Loaded with `-p pytest_binary` (PYTHONPATH=build).
"""
import os
import types

COMMAND_NAMES = {"run_assay", "assay_command"}


def _codes(code):
    yield code
    for const in code.co_consts:  # nested functions, lambdas, comprehensions
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _starts_command(func, seen):
    """True when `func` or a function it names (in its module's globals) starts the command."""
    func = getattr(func, "__func__", func)
    code = getattr(func, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    names = set()
    for c in _codes(code):
        names.update(c.co_names)
    if names & COMMAND_NAMES:
        return True
    scope = getattr(func, "__globals__", {})
    for name in names:
        target = scope.get(name)
        if isinstance(target, types.FunctionType) and _starts_command(target, seen):
            return True
        if isinstance(target, types.ModuleType):  # module.helper(...)
            for attr in names:
                helper = getattr(target, attr, None)
                if isinstance(helper, types.FunctionType) and _starts_command(helper, seen):
                    return True
    return False


def runs_command(item):
    if "assay" in getattr(item, "fixturenames", ()):
        return True
    seen = set()
    funcs = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        funcs.extend(d.func for d in defs)
    return any(f is not None and _starts_command(f, seen) for f in funcs)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TEST_BINARY_ALL") == "1":
        return
    keep, drop = [], []
    for item in items:
        (keep if runs_command(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    return "assay binary under test: %s" % os.environ.get("ASSAY_BIN", "(ASSAY_BIN unset: python -m assay)")
