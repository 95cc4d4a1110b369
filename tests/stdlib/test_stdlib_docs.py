"""The per-module pages docs/stdlib/<module>.md and the `@quickref` header lines of declared
modules are generated (build/gen_stdlib_docs.py); a checked-in file that differs from what the
generator writes fails here, so pages, headers and code cannot drift apart."""
import os
import sys

from conftest import ROOT, run_assay

sys.path.insert(0, os.path.join(ROOT, "build"))
import gen_stdlib_docs  # noqa: E402


def test_generated_pages_and_headers_are_current():
    stale = [os.path.relpath(path, ROOT) for path, _ in gen_stdlib_docs.stale()]
    assert not stale, "run `python build/gen_stdlib_docs.py`; stale: %s" % ", ".join(stale)


def test_every_module_has_a_page_linked_from_the_index():
    index = open(os.path.join(ROOT, "docs", "stdlib", "index.md"), encoding="utf-8").read()
    for module, _ in gen_stdlib_docs.module_files():
        assert os.path.exists(os.path.join(ROOT, "docs", "stdlib", module + ".md")), module
        assert "(%s.md)" % module in index, module


def test_grouped_quickrefs_reach_discovery():
    out = run_assay("context", "grafana datasources")
    assert out.returncode == 0, out.stderr
    assert "c.datasources:list()" in out.stdout and "flat: c:datasources()" in out.stdout


def test_llms_txt_indexes_every_module_and_page_that_exists():
    """llms.txt (generated with the pages above) names every module and docs page, and
    every link in it is a file of the repository."""
    import re
    with open(os.path.join(ROOT, "llms.txt"), encoding="utf-8") as f:
        text = f.read()
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert [l for l in links if not os.path.exists(os.path.join(ROOT, l))] == []
    for module, _ in gen_stdlib_docs.module_files():
        assert "(docs/stdlib/%s.md)" % module in text, module
    assert "(docs/architecture.md)" in text and "http.get(url, opts?)" in text
