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


# ---- issue 18: modules --json, --no-builtins, exact-name ranking, complete cheat-sheet ----

def test_modules_json_has_category_and_icon_for_every_stdlib_module(tmp_path):
    import json
    r = run_assay("modules", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    import assay
    assert doc["version"] == assay.__version__
    records = {m["name"]: m for m in doc["modules"]}
    stdlib = [m for name, m in records.items() if name.startswith("assay.")]
    assert len(stdlib) > 40
    missing = [m["name"] for m in stdlib if not m["category"] or not m["icon"]]
    assert missing == []
    assert records["assay.grafana"]["category"] == "observability" and records["assay.grafana"]["icon"] == "grafana"
    assert records["http"]["category"] == "core" and records["http"]["source"] == "builtin"
    quickref = records["assay.grafana"]["quickrefs"][0]
    assert set(quickref) == {"signature", "return_hint", "description"}
    assert set(records["assay.grafana"]) == {"name", "source", "description", "category", "icon", "keywords",
                                             "env_vars", "quickrefs", "auto_functions"}


def test_modules_json_reads_tags_of_project_modules(tmp_path):
    import json
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "widget.lua").write_text(
        "--- @module assay.widget\n--- @description Widgets.\n--- @category saas\n--- @icon puzzle\n"
        "local M = {}\nreturn M\n")
    doc = json.loads(run_assay("modules", "--json", cwd=tmp_path).stdout)
    widget = [m for m in doc["modules"] if m["name"] == "assay.widget"][0]
    assert (widget["source"], widget["category"], widget["icon"]) == ("project", "saas", "puzzle")


def test_context_no_builtins_leaves_out_the_cheat_sheet(tmp_path):
    r = run_assay("context", "grafana", "--no-builtins", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "### assay.grafana" in r.stdout and "Built-in Functions" not in r.stdout
    assert "Built-in Functions" in run_assay("context", "grafana", cwd=tmp_path).stdout


@pytest.mark.parametrize("query, first", [
    ("vault", "assay.vault"), ("http", "http"), ("k8s", "assay.k8s"), ("postgres", "assay.postgres"),
    ("assay.openbao", "assay.openbao"), ("shell", "shell"), ("S3", "assay.s3"),
])
def test_an_exact_module_name_ranks_first(tmp_path, query, first):
    r = run_assay("context", query, "--no-builtins", cwd=tmp_path)
    assert r.stdout.split("\n### ", 1)[1].split("\n", 1)[0] == first


def test_vault_query_lists_both_vault_clients_first(tmp_path):
    r = run_assay("context", "vault", "--no-builtins", cwd=tmp_path)
    names = [line[4:] for line in r.stdout.splitlines() if line.startswith("### ")]
    assert names[:2] == ["assay.vault", "assay.hashicorp.vault"]


def test_every_builtin_is_found_by_its_name_and_shell_command_finds_shell():
    from assay.discovery import modules, search
    found = modules.unique(modules.discover())
    builtins = [m.name for m in found if "." not in m.name]
    for name in builtins:
        assert search.search(found, name, 5)[0] == name
    assert search.search(found, "shell command", 5)[0] == "shell"
    assert search.search(found, "disk space", 5)[0] == "disk"
    assert {"shell", "disk", "os", "credential", "process", "http"} <= set(builtins)


def test_cheat_sheet_names_every_builtin_function(tmp_path):
    """Walk a fresh VM: every public function of every builtin family is in the sheet."""
    from assay.discovery.context import BUILTIN_FUNCTIONS
    from assay.discovery.modules import BUILTINS
    from assay.builtins import new_runtime
    rt = new_runtime()
    try:
        listing = rt.lua.eval('''function(names)
          local out = {}
          for name in names:gmatch("%S+") do
            local t = _G[name]
            if type(t) == "table" then
              for k, v in pairs(t) do
                if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "function" then
                  out[#out + 1] = name .. "." .. k
                end
              end
            end
          end
          return table.concat(out, " ")
        end''')(" ".join(n for n, _, _ in BUILTINS if n not in ("string", "os")).encode())
    finally:
        rt.close()
    names = listing.decode().split() + ["string.split", "os.hostname", "os.arch", "os.platform", "os.date",
                                        "os.time", "os.clock"]
    missing = sorted(n for n in names if n not in BUILTIN_FUNCTIONS and
                     not (n.startswith("compress.") and n.split(".")[1] in BUILTIN_FUNCTIONS))
    assert missing == []
    assert "time() -> number" in BUILTIN_FUNCTIONS and "time() -> int\n" not in BUILTIN_FUNCTIONS
    assert "http.serve(" in BUILTIN_FUNCTIONS and "shell.exec(" in BUILTIN_FUNCTIONS
