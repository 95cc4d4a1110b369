"""The layering of docs/architecture.md, checked on the source.

Every `import` in assay/ counts, including the ones inside functions: a lazy import
hides a dependency from start-up time, not from the design.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assay"

# Lower layers first. A package may import its own modules and packages of a lower
# layer; packages on the same layer do not import each other. `assay` itself (the
# version) may be imported by anyone.
LAYERS = [
    {"runtime"},
    {"net"},
    {"builtins", "discovery"},
    {"checks"},
    {"modes"},
    {"cli"},
    {"__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path):
    """(line, imported module) for every import of an assay module in `path`."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((node.lineno, target))
            # `from assay.x import y` may import the submodule assay.x.y
            found += [(node.lineno, target + "." + a.name) for a in node.names]
    return [(line, t) for line, t in found if t == "assay" or t.startswith("assay.")]


def all_modules():
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        modules[module_name(path)] = path
    return modules


MODULES = all_modules()


def graph():
    """module -> {imported module: first line}, only edges to modules that exist."""
    edges = {}
    for name, path in MODULES.items():
        out = edges.setdefault(name, {})
        for line, target in imports_of(path):
            if target in MODULES and target != name:
                out.setdefault(target, line)
    return edges


def layer_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_package_has_a_layer():
    packages = {layer_of(m) for m in MODULES} - {None}
    assert packages - set(RANK) == set(), "add the new package to LAYERS and docs/architecture.md"


def layering_violations(edges):
    bad = []
    for source, targets in edges.items():
        src = layer_of(source)
        for target, line in targets.items():
            dst = layer_of(target)
            if dst is None or dst == src or src is None:
                continue
            if RANK[dst] >= RANK[src]:
                bad.append("%s:%d imports %s" % (MODULES[source].relative_to(ROOT), line, target))
    return bad


def test_packages_import_only_lower_layers():
    assert layering_violations(graph()) == []


@pytest.mark.parametrize("lower, higher", [("runtime", "builtins"), ("builtins", "cli"),
                                           ("checks", "modes"), ("net", "builtins")])
def test_named_rules_hold(lower, higher):
    # The rules docs/architecture.md spells out, checked one by one so a failure names them.
    bad = [(s, t) for s, ts in graph().items() for t in ts
           if layer_of(s) == lower and layer_of(t) == higher]
    assert bad == []


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def package_edges(edges):
    """A package imports its own __init__ for free (that is how Python loads it)."""
    trimmed = {}
    for source, targets in edges.items():
        trimmed[source] = {t for t in targets if not source.startswith(t + ".")}
    return trimmed


def test_no_import_cycles_between_modules():
    assert cycles(package_edges(graph())) == []


def test_the_checker_sees_a_violation_and_a_cycle():
    # The rules above are only worth something if the checker can fail.
    edges = {"assay.runtime.vm": {"assay.builtins.http": 1},
             "assay.builtins.http": {"assay.runtime.vm": 2}}
    assert cycles(edges) == [["assay.builtins.http", "assay.runtime.vm"]]
    MODULES.setdefault("assay.runtime.vm", PACKAGE / "runtime" / "vm.py")
    assert layering_violations(edges) == ["assay/runtime/vm.py:1 imports assay.builtins.http"]
