"""Module discovery, metadata headers, search and `assay modules`/`assay context` (discovery.md, cli.md §8–9)."""
import os
import random
import sqlite3

from assay.discovery import metadata, search
from assay.discovery.modules import BUILTINS, Module
from conftest import run_assay

WIDGET = """--- @module assay.something_else
--- @description Widget service client. Health, list and create widgets.
--- @keywords widget, widgets, inventory, health
--- @env WIDGET_URL, WIDGET_TOKEN
--- @quickref M.client(url, opts?) -> client | Create a widget client
--- @quickref c:health() -> {status, version} | Check widget service health
--- @quickref c:list(opts?) -> [widget]|nil | List widgets

local M = {}
function M.client(url) return {} end
return M
"""


def clean_env(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path / "home"), NO_COLOR="1")
    env.pop("ASSAY_MODULES_PATH", None)
    return env


def rows(stdout):
    return [line for line in stdout.splitlines()[2:]]


def test_disc_01_03_04_order_naming_and_shadowing(tmp_path):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "widget.lua").write_text(WIDGET)
    (tmp_path / "modules" / "http.lua").write_text("--- @description project http\nreturn {}")
    global_dir = tmp_path / "global"
    global_dir.mkdir()
    (global_dir / "widget.lua").write_text("--- @description global widget\nreturn {}")
    (global_dir / "gadget.lua").write_text("--- @description global gadget\nreturn {}")
    env = dict(clean_env(tmp_path), ASSAY_MODULES_PATH=str(global_dir))
    r = run_assay("modules", cwd=tmp_path, env=env)
    assert r.returncode == 0
    listing = {line[:30].strip(): (line[31:41].strip(), line[42:]) for line in rows(r.stdout)}
    assert listing["assay.widget"] == ("project", "Widget service client. Health, list and create widgets.")
    assert listing["assay.gadget"] == ("global", "global gadget")
    assert listing["assay.http"][0] == "project"  # file stem names it, not @module
    assert "assay.something_else" not in listing
    r = run_assay("exec", "-e", "print(require('assay.widget') ~= nil)", cwd=tmp_path, env=env)
    assert r.stdout == "true\n"


def test_disc_02_missing_dirs_and_non_lua_files(tmp_path):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "notes.txt").write_text("--- @description nope")
    (tmp_path / "modules" / "bad.lua").write_bytes(b"--- @description \xff\xfe")
    env = dict(clean_env(tmp_path), ASSAY_MODULES_PATH=str(tmp_path / "does-not-exist"))
    r = run_assay("modules", cwd=tmp_path, env=env)
    assert r.returncode == 0
    names = [line[:30].strip() for line in rows(r.stdout)]
    assert "assay.notes" not in names and "assay.bad" not in names


def test_disc_05_modules_path_replaces_home(tmp_path):
    home_mods = tmp_path / "home" / ".assay" / "modules"
    home_mods.mkdir(parents=True)
    (home_mods / "fromhome.lua").write_text("return {}")
    other = tmp_path / "other"
    other.mkdir()
    (other / "fromvar.lua").write_text("return {}")
    env = clean_env(tmp_path)
    names = [l[:30].strip() for l in rows(run_assay("modules", cwd=tmp_path, env=env).stdout)]
    assert "assay.fromhome" in names
    env["ASSAY_MODULES_PATH"] = str(other)
    names = [l[:30].strip() for l in rows(run_assay("modules", cwd=tmp_path, env=env).stdout)]
    assert "assay.fromvar" in names and "assay.fromhome" not in names


def test_disc_09_nested_files_get_dotted_names(tmp_path):
    (tmp_path / "modules" / "team" / "tools").mkdir(parents=True)
    (tmp_path / "modules" / "team" / "tools" / "deploy.lua").write_text("--- @description nested\nreturn {}")
    (tmp_path / "modules" / "pkg").mkdir()
    (tmp_path / "modules" / "pkg" / "init.lua").write_text("--- @description package init\nreturn {}")
    names = [l[:30].strip() for l in rows(run_assay("modules", cwd=tmp_path, env=clean_env(tmp_path)).stdout)]
    assert "assay.team.tools.deploy" in names and "assay.pkg" in names


def test_cli_41_disc_11_disc_12_modules_table_layout(tmp_path):
    r = run_assay("modules", cwd=tmp_path, env=clean_env(tmp_path))
    lines = r.stdout.splitlines()
    assert lines[0] == "%-30s %-10s %s" % ("MODULE", "SOURCE", "DESCRIPTION")
    assert lines[1] == "-" * 80
    body = lines[2:]
    assert [l[:30].strip() for l in body] == sorted(l[:30].strip() for l in body)
    for name, description, _ in BUILTINS:
        assert "%-30s %-10s %s" % (name, "builtin", description) in body
    assert body[-1].startswith("yaml ")


def test_disc_13_header_stops_at_first_non_header_line():
    meta = metadata.parse("--- @description first\n\n--- @keywords late\n")
    assert meta.description == "first" and meta.keywords == []
    assert metadata.parse("#!/usr/bin/assay\n--- @description x\n").description == ""
    assert metadata.parse("-- @description two dashes\n").description == ""
    assert metadata.parse("------\n--- prose\n--- @description ok\n").description == "ok"


def test_disc_14_last_wins_and_list_splitting():
    meta = metadata.parse("--- @description one\n--- @description two\n--- @module a\n--- @module b\n"
                          "--- @keywords a, , b ,c\n--- @keywords x, y\n--- @env A,B , \n")
    assert meta.description == "two" and meta.module == "b"
    assert meta.keywords == ["x", "y"] and meta.env == ["A", "B"]


def test_disc_15_quickref_parsing():
    meta = metadata.parse("--- @quickref c:list(opts?) -> [widget]|nil | List widgets\n"
                          "--- @quickref broken->x | y\n--- @quickref no pipe -> x|y\n"
                          "--- @quickref a -> b | c | d\n")
    assert meta.quickrefs == [("c:list(opts?)", "[widget]|nil", "List widgets"), ("a", "b", "c | d")]


def test_disc_16_unknown_and_valueless_tags_ignored():
    meta = metadata.parse("--- @note something\n--- @description\n--- @keywords\n--- @description real\n")
    assert meta.description == "real" and meta.keywords == []


def test_disc_17_function_names():
    meta = metadata.parse("local M = {}\nfunction M.client(url)\nend\n  function c:health()\nend\n"
                          "local function hidden() end\nfunction helper() end\nfunction M.a.b() end\n"
                          "function f(...) end\n")
    assert meta.functions == ["client", "health", "a.b"]


def test_disc_18_empty_and_malformed_sources():
    for text in ("", "\n\n", "--- @", "--- @@@ -> |", "\x00\x01"):
        meta = metadata.parse(text)
        assert meta.description == "" and meta.quickrefs == [] and meta.keywords == []


def test_cli_42_context_renders_module_block(tmp_path):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "widget.lua").write_text(WIDGET)
    r = run_assay("context", "widget", cwd=tmp_path, env=clean_env(tmp_path))
    assert r.returncode == 0
    assert r.stdout.startswith(
        "# Assay Module Context\n\n## Matching Modules\n\n### assay.widget\n"
        "Widget service client. Health, list and create widgets.\nEnv: WIDGET_URL, WIDGET_TOKEN\nMethods:\n"
        "  M.client(url, opts?) -> client | Create a widget client\n"
        "  c:health() -> {status, version} | Check widget service health\n"
        "  c:list(opts?) -> [widget]|nil | List widgets\n\n## Built-in Functions")
    assert r.stdout.endswith("env.get(key) -> str | sleep(secs) | time() -> number\n")
    for line in ("http.get(url, opts?) -> {status, body, headers}\n",
                 "json.parse(str) -> table | json.encode(tbl) -> str\n"):
        assert line in r.stdout


def test_cli_43_no_match(tmp_path):
    r = run_assay("context", "xyzzy_nonexistent_module_abc123", cwd=tmp_path, env=clean_env(tmp_path))
    assert r.returncode == 0
    assert r.stdout.startswith("# Assay Module Context\n\nNo matching modules found.\n\n## Built-in Functions")


def test_cli_44_limit(tmp_path):
    r = run_assay("context", "a", "--limit", "2", cwd=tmp_path, env=clean_env(tmp_path))
    assert r.returncode == 0 and r.stdout.count("\n### ") <= 2
    r = run_assay("context", "http", "-l", "0", cwd=tmp_path, env=clean_env(tmp_path))
    assert "No matching modules found." in r.stdout


def test_context_builtin_queries_rank_http_for_client_words(tmp_path):
    for query in ("http client", "webhook", "request", "endpoint"):
        r = run_assay("context", query, cwd=tmp_path, env=clean_env(tmp_path))
        assert "### http\n" in r.stdout, query


def test_context_or_fallback_when_and_finds_nothing():
    mods = [Module(n, "builtin", _meta(d, k)) for n, d, k in BUILTINS]
    assert search.search(mods, "json", 5)[0] == "json"
    assert search.search(mods, "realtime zzznothing", 5) == ["ws"]  # AND empty → OR
    assert search.search(mods, "", 5) == [] and search.search(mods, " ... ", 5) == []
    # operators are plain words: "or" (template: "file or string"), "not" (assert: not_nil)
    assert set(search.search(mods, "OR NOT", 5)) == {"template", "assert"}
    assert search.search(mods, "Café", 5) == []


def test_tokenizer_unicode61():
    assert search.tokens("email_triage assay.ory.kratos resource-tree") == [
        "email", "triage", "assay", "ory", "kratos", "resource", "tree"]
    assert search.tokens("Café NAÏVE") == ["cafe", "naive"]


def _meta(description, keywords):
    meta = metadata.Metadata()
    meta.description = description
    meta.keywords = [k.strip() for k in keywords.split(",")]
    return meta


def test_ranking_matches_sqlite_fts5_bm25():
    """The pure-Python BM25 orders results exactly like SQLite FTS5's bm25(t, 0, 2, 1, 3, 1)."""
    rng = random.Random(7)
    words = "alpha beta gamma delta vault secret token http client grafana k8s deploy".split()
    mods = []
    for i in range(40):
        meta = metadata.Metadata()
        meta.description = " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))
        meta.keywords = [rng.choice(words) for _ in range(rng.randint(0, 4))]
        meta.functions = [rng.choice(words) for _ in range(rng.randint(0, 3))]
        mods.append(Module("assay.mod%02d.%s" % (i, rng.choice(words)), "builtin", meta))
    db = sqlite3.connect(":memory:")
    db.execute('create virtual table t using fts5(id unindexed, name, description, keywords, functions, '
               'tokenize="unicode61")')
    for i, m in enumerate(mods):
        db.execute("insert into t values (?, ?, ?, ?, ?)",
                   (i, m.name, m.meta.description, " ".join(m.meta.keywords), " ".join(m.meta.functions)))
    for query in ("vault", "http client", "deploy", "gamma", "alpha beta", "k8s", "token secret"):
        match = " AND ".join('"%s"' % piece for piece in query.split())
        expected = [mods[row[0]].name for row in db.execute(
            "select id from t where t match ? order by bm25(t, 0, 2, 1, 3, 1), rowid limit 8", (match,))]
        assert search.ranked(mods, query, 8) == expected, query


STDLIB = ("alertmanager argocd certmanager crossplane dex email_triage eso flux gcal github gmail grafana harbor "
          "healthcheck k8s kargo loki oauth2 openbao openclaw ory postgres prometheus s3 temporal traefik unleash "
          "vault velero zitadel ory.hydra ory.keto ory.kratos ory.rbac hashicorp hashicorp.vault "
          "aws.ec2 aws.ecr aws.eks aws.s3 aws.sigv4 aws.sts ansi url version gitlab "
          "tailscale").split()
STDLIB += "openstack neutron".split()  # issue 21: cloud inventory and agent-platform admin
STDLIB += "sonarqube servicenow infoblox".split()  # issue 21: quality gate, ITSM, IPAM
STDLIB += "clickup plane huly excalidash".split()  # issue 21: work tracking
STDLIB += ["rauthy"]  # issue 21: identity provider admin
STDLIB += ["n8n"]  # issue 21: workflow automation
STDLIB += ["authz"]  # issue 21: in-process authorization engine


def test_disc_10_clean_install_lists_every_module(tmp_path):
    from assay.discovery.modules import BUILTINS
    r = run_assay("modules", cwd=tmp_path, env=clean_env(tmp_path))
    body = rows(r.stdout)
    assert len(body) == len(STDLIB) + len(BUILTINS)  # 0.8.3 had 51: 34 stdlib modules + 17 builtins
    names = [line[:30].strip() for line in body]
    assert sorted("assay." + n for n in STDLIB) == [n for n in names if n.startswith("assay.")]
    assert all(line[31:41].strip() == "builtin" for line in body)
    assert names[0] == "assay.alertmanager" and names[-1] == "yaml"


def test_disc_07_disc_08_nested_ory_modules_load_and_errors_are_positioned(tmp_path):
    r = run_assay("exec", "-e", "for _, n in ipairs({'hydra', 'keto', 'kratos', 'rbac'}) do "
                  "assert(type(require('assay.ory.' .. n)) == 'table') end "
                  "assert(require('assay.ory').kratos == require('assay.ory.kratos'))", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run_assay("exec", "-e", "require('assay.ory.rbac').policy(5)", cwd=tmp_path)
    assert r.returncode == 1 and "ERROR <eval>:1: assay/ory/rbac.lua:" in r.stderr  # the caller, then the module


def test_cli_20_exec_requires_grafana():
    r = run_assay("exec", "-e", "local g = require('assay.grafana'); assert.not_nil(g.client)")
    assert r.returncode == 0, r.stderr


def test_cli_42_context_grafana(tmp_path):
    r = run_assay("context", "grafana", cwd=tmp_path, env=clean_env(tmp_path))
    assert r.returncode == 0
    assert r.stdout.startswith("# Assay Module Context\n\n## Matching Modules\n\n### assay.grafana\n")
    assert "\n## Built-in Functions (always available, no require needed)\n" in r.stdout


EXPECTED_TOP = [
    ("grafana", "assay.grafana", True), ("prometheus", "assay.prometheus", True), ("vault", "assay.vault", False),
    ("kubernetes", "assay.k8s", False), ("http client", "http", False), ("webhook", "http", False),
    ("request", "http", False), ("endpoint", "http", False), ("letsencrypt", "assay.certmanager", False),
    ("ssl", "assay.certmanager", False), ("password", "assay.vault", False), ("encryption", "assay.vault", False),
    ("rotation", "assay.vault", False), ("cicd", "assay.argocd", False), ("metric", "assay.prometheus", False),
    ("observability", "assay.prometheus", False), ("terraform", "assay.crossplane", False),
    ("deploy", "assay.k8s", False), ("failover", "assay.velero", False), ("docker", "assay.harbor", False),
    ("kratos", "assay.ory.kratos", False), ("kratos", "assay.ory", False),
]


def test_context_expected_results_with_stdlib_headers(tmp_path):
    """discovery.md §7.5: queries find the modules whose headers carry those keywords."""
    env = clean_env(tmp_path)
    for query, module, first in EXPECTED_TOP:
        out = run_assay("context", query, cwd=tmp_path, env=env).stdout
        blocks = [line[4:] for line in out.splitlines() if line.startswith("### ")]
        assert module in blocks, (query, blocks)
        if first:
            assert blocks[0] == module, (query, blocks)
