"""docs/ renders as a site (mkdocs.yml) and every link in it lands: MkDocs in strict mode
fails on a link to a page, file or heading anchor that does not exist. Offline: the
theme is MkDocs' own and nothing is fetched."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mkdocs(tmp_path, config):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[dev]')")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "-f", config, "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=170)


def test_docs_build_strict_with_every_link_resolving(tmp_path):
    done = mkdocs(tmp_path, os.path.join(ROOT, "mkdocs.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "architecture" / "index.html").exists()
    assert (tmp_path / "site" / "stdlib" / "vault" / "index.html").exists()


def test_a_broken_anchor_fails_the_build(tmp_path):
    # A copy of the docs with one bad link: the check above can fail.
    import shutil
    docs = tmp_path / "docs"
    shutil.copytree(os.path.join(ROOT, "docs"), docs)
    with open(docs / "architecture.md", "a", encoding="utf-8") as f:
        f.write("\n[gone](cli.md#no-such-heading)\n")
    config = tmp_path / "mkdocs.yml"
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as f:
        text = f.read()
    config.write_text(text.replace("docs_dir: docs", "docs_dir: %s" % docs)
                      .replace("build/mkdocs_hooks.py", os.path.join(ROOT, "build", "mkdocs_hooks.py")))
    done = mkdocs(tmp_path, str(config))
    assert done.returncode != 0
    assert "no-such-heading" in done.stdout + done.stderr
