"""Discovery knows the builtins added for assay-lua 0.19 parity: searchable and in the cheat-sheet."""
import pytest

from conftest import run_assay

NEW_FUNCTIONS = ["string.split", "fs.lines", "fs.sub_in_file", "fs.read_bytes", "yaml.parse_all",
                 "json.array", "json.object", "crypto.jwt_verify", "crypto.hash_file",
                 "template.render_with_loader", "tar.create", "tar.extract", "tar.list", "tar.read",
                 "compress.gzip", "gunzip", "unzstd", "markdown.to_html", "process.spawn", "process.wait"]


def test_cheat_sheet_lists_every_new_function(tmp_path):
    r = run_assay("context", "zzz-nothing-matches", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    sheet = r.stdout.split("## Built-in Functions", 1)[1]
    missing = [name for name in NEW_FUNCTIONS if name not in sheet]
    assert missing == []


@pytest.mark.parametrize("query, module", [
    ("tar archive extract", "tar"), ("gunzip", "compress"), ("markdown html", "markdown"),
    ("split fields", "string"), ("spawn background process", "process"), ("jwks", "crypto"),
    ("multi-document yaml", "yaml"), ("sed replace file", "fs"),
])
def test_new_builtins_are_found_by_context_search(tmp_path, query, module):
    r = run_assay("context", query, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "\n### %s\n" % module in r.stdout.split("## Built-in Functions", 1)[0]


def test_modules_lists_the_new_families(tmp_path):
    r = run_assay("modules", cwd=tmp_path)
    names = {line.split()[0] for line in r.stdout.splitlines() if line.strip()}
    assert {"tar", "compress", "markdown", "string", "process"} <= names
