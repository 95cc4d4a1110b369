"""assay.github (spec stdlib/github.md, GITHUB-01..18) against the shared GitHub fake
(fake_github.FakeGitHub: token `ghp_test123`, repository octocat/hello-world)."""
import json
import os
import re

from fake_github import GITHUB_TOKEN, github, github_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local github = require("assay.github")\n'
CLIENT = REQ + 'local c = github.client({token = "%s", base_url = "$URL"})\n' % GITHUB_TOKEN
REPO = "octocat/hello-world"


def run(lua, code, url, **values):
    return lua_with(lua, CLIENT + code, URL=url, **values)


def fails(lua_fails, code, url):
    return lua_fails(lua_with(lambda c: c, CLIENT + code, URL=url))


def test_github_01_module_exposes_client(lua):
    assert lua(REQ + "return type(github), type(github.client)") == ("table", "function")


def test_github_02_auth_accept_and_content_type_headers(lua, github):
    assert run(lua, 'return c:repo_get("%s").full_name' % REPO, github.url) == REPO
    req = github.last("/repos/octocat/hello-world")
    assert req.header("Authorization") == "Bearer ghp_test123"
    assert req.header("Accept") == "application/vnd.github+json"
    assert req.header("Content-Type") == "application/json"


def test_github_03_token_from_env_none_and_default_base_url(lua, github, monkeypatch):
    code = REQ + 'local c = github.client({base_url = "$URL///"}); return c:repo_get("%s").name, c.base_url' % REPO
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    name, base = lua_with(lua, code, URL=github.url)
    assert name == "hello-world" and base == github.url
    assert github.last().header("Authorization") == "Bearer ghp_test123"
    assert github.last().target == "/repos/octocat/hello-world"
    # opts.token wins over the environment
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrong")
    lua_with(lua, CLIENT + 'return c:repo_get("%s")' % REPO, URL=github.url)
    assert github.last().header("Authorization") == "Bearer ghp_test123"
    # neither: no Authorization header at all
    monkeypatch.delenv("GITHUB_TOKEN")
    lua_with(lua, code, URL=github.url)
    assert github.last().header("Authorization") is None
    assert lua(REQ + "return github.client().base_url, github.client({}).base_url") == (
        "https://api.github.com", "https://api.github.com")


def test_github_04_invalid_repo_format(lua_fails, github):
    for bad in ("hello-world", "/hello", "octocat/", ""):
        msg = fails(lua_fails, 'c:pr_view("%s", 1)' % bad, github.url)
        assert re.search(r"assay/github\.lua:\d+: github: invalid repo format, expected 'owner/repo': %s$"
                         % re.escape(bad), msg), msg
    assert github.requests == []


def test_github_05_pr_view(lua, github):
    pr = run(lua, 'return c:pr_view("%s", 42)' % REPO, github.url)
    assert (pr["number"], pr["title"], pr["state"], pr["user"]["login"], pr["mergeable"]) == (
        42, "Add feature X", "open", "alice", True)
    req = github.last()
    assert (req.method, req.target) == ("GET", "/repos/octocat/hello-world/pulls/42")
    # a float number is written as an integer
    run(lua, 'return c:pr_view("%s", 42.0)' % REPO, github.url)
    assert github.last().target == "/repos/octocat/hello-world/pulls/42"


def test_github_06_pr_view_404_is_nil(lua, github):
    assert run(lua, 'return c:pr_view("%s", 999) == nil' % REPO, github.url) is True
    assert run(lua, 'return c:repo_get("nobody/nothing") == nil', github.url) is True


def test_github_07_pr_list_query(lua, github):
    prs = run(lua, 'return c:pr_list("%s")' % REPO, github.url)
    assert [p["number"] for p in prs] == [42]
    assert github.last().target == "/repos/octocat/hello-world/pulls"
    prs = run(lua, 'return c:pr_list("%s", {per_page = 10, direction = "desc", state = "all", sort = "created"})'
              % REPO, github.url)
    assert [p["number"] for p in prs] == [43, 42]
    req = github.last()
    assert req.path == "/repos/octocat/hello-world/pulls"
    assert req.query_keys == ["state", "sort", "direction", "per_page"]
    assert req.raw_query == "state=all&sort=created&direction=desc&per_page=10"


def test_github_08_pr_reviews(lua, github):
    reviews = run(lua, 'return c:pr_reviews("%s", 42)' % REPO, github.url)
    assert [(r["user"]["login"], r["state"]) for r in reviews] == [("carol", "APPROVED"), ("dave", "CHANGES_REQUESTED")]
    assert github.last().target == "/repos/octocat/hello-world/pulls/42/reviews"


def test_github_09_pr_merge(lua, github):
    res = run(lua, 'return c:pr_merge("%s", 42, {merge_method = "squash", commit_title = "t"})' % REPO, github.url)
    assert res["merged"] is True and res["sha"] == "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    req = github.last()
    assert (req.method, req.path) == ("PUT", "/repos/octocat/hello-world/pulls/42/merge")
    assert req.json() == {"merge_method": "squash", "commit_title": "t"}
    assert req.header("Content-Type") == "application/json"


def test_github_09_pr_merge_without_options_sends_object(lua, github):
    """Spec Note: an empty body is the JSON object {} (GitHub rejects [])."""
    res = run(lua, 'return c:pr_merge("%s", 42)' % REPO, github.url)
    assert res["merged"] is True
    assert github.last().body == b"{}"


def test_github_09_pr_merge_empty_204_is_true(lua, github):
    github.set("PUT", "/repos/octocat/hello-world/pulls/7/merge", 204, b"")
    assert run(lua, 'return c:pr_merge("%s", 7)' % REPO, github.url) is True


def test_github_10_issue_list_query(lua, github):
    issues = run(lua, 'return c:issue_list("%s")' % REPO, github.url)
    assert [i["number"] for i in issues] == [1, 42]  # the issues endpoint also lists PRs
    issues = run(lua, 'return c:issue_list("%s", {per_page = 5, labels = "docs", state = "closed",'
                      ' sort = "updated", direction = "asc"})' % REPO, github.url)
    assert [i["number"] for i in issues] == [2]
    req = github.last()
    assert req.path == "/repos/octocat/hello-world/issues"
    assert req.raw_query == "state=closed&labels=docs&sort=updated&direction=asc&per_page=5"
    # values are percent-encoded: a label with a space, a branch with a slash
    assert run(lua, 'return #c:issue_list("%s", {labels = "bug,help wanted"})' % REPO, github.url) == 0
    req = github.last()
    assert req.query == {"labels": ["bug,help wanted"]} and " " not in req.raw_query
    run(lua, 'return c:runs_list("%s", {branch = "feature/x+y"})' % REPO, github.url)
    assert github.last().query == {"branch": ["feature/x+y"]}


def test_github_11_issue_get(lua, github):
    assert run(lua, 'return c:issue_get("%s", 1).title' % REPO, github.url) == "Bug in login"
    assert github.last().target == "/repos/octocat/hello-world/issues/1"
    assert run(lua, 'return c:issue_get("%s", 77) == nil' % REPO, github.url) is True


def test_github_12_issue_create(lua, github):
    created = run(lua, 'return c:issue_create("%s", "Crash", "steps...", {labels = {"bug", "p1"},'
                       ' assignees = {"alice"}, milestone = 3})' % REPO, github.url)
    assert created["number"] == 43 and created["title"] == "Crash"
    assert [lab["name"] for lab in created["labels"]] == ["bug", "p1"]
    req = github.last()
    assert (req.method, req.path) == ("POST", "/repos/octocat/hello-world/issues")
    assert req.json() == {"title": "Crash", "body": "steps...", "labels": ["bug", "p1"],
                          "assignees": ["alice"], "milestone": 3}
    run(lua, 'return c:issue_create("%s", "Plain", "b")' % REPO, github.url)
    assert github.last().json() == {"title": "Plain", "body": "b"}


def test_github_13_issue_comment(lua, github):
    comment = run(lua, 'return c:issue_comment("%s", 1, "Thanks!")' % REPO, github.url)
    assert comment["body"] == "Thanks!" and comment["id"] == 5000
    req = github.last()
    assert (req.method, req.path, req.json()) == ("POST", "/repos/octocat/hello-world/issues/1/comments",
                                                  {"body": "Thanks!"})


def test_github_14_repo_get(lua, github):
    repo = run(lua, 'return c:repo_get("%s")' % REPO, github.url)
    assert (repo["full_name"], repo["default_branch"], repo["stargazers_count"]) == (REPO, "main", 80)
    assert "license" not in repo  # JSON null reads as nil
    assert github.last().target == "/repos/octocat/hello-world"


def test_github_15_runs_list(lua, github):
    res = run(lua, 'local r = c:runs_list("%s"); return r, r.workflow_runs[2].conclusion == nil' % REPO, github.url)
    runs, null_is_nil = res
    assert runs["total_count"] == 2 and [r["id"] for r in runs["workflow_runs"]] == [1001, 1002]
    assert null_is_nil is True
    res = run(lua, 'return c:runs_list("%s", {per_page = 1, branch = "main", status = "completed"})' % REPO,
              github.url)
    assert res["total_count"] == 1 and res["workflow_runs"][0]["conclusion"] == "success"
    req = github.last()
    assert req.path == "/repos/octocat/hello-world/actions/runs"
    assert req.raw_query == "status=completed&branch=main&per_page=1"


def test_github_16_run_get(lua, github):
    run_ = run(lua, 'return c:run_get("%s", 1002)' % REPO, github.url)
    assert run_["status"] == "in_progress" and "conclusion" not in run_
    assert github.last().target == "/repos/octocat/hello-world/actions/runs/1002"


def test_github_17_graphql_full_envelope(lua, github):
    code = ('local r = c:graphql("query($owner: String!, $name: String!) { repository(owner: $owner, name: $name)'
            ' { stargazerCount } }", {owner = "octocat", name = "hello-world"})\n'
            'return r.data.repository.stargazerCount, r.data.repository.name')
    assert run(lua, code, github.url) == (80, "hello-world")
    req = github.last()
    assert (req.method, req.path) == ("POST", "/graphql")
    body = req.json()
    assert body["variables"] == {"owner": "octocat", "name": "hello-world"} and "repository" in body["query"]
    assert req.header("Authorization") == "Bearer ghp_test123"
    # without variables: only {query}; errors come back in the envelope, not raised
    errors = run(lua, 'local r = c:graphql("{ bogusField }"); return r.errors[1].message, r.data == nil', github.url)
    assert errors == ("Field 'bogusField' doesn't exist on type 'Query'", True)
    assert github.last().json() == {"query": "{ bogusField }"}
    # empty variables are an object
    run(lua, 'return c:graphql("{ viewer { login } }", {})', github.url)
    assert json.loads(github.last().body) == {"query": "{ viewer { login } }", "variables": {}}


def test_github_17_graphql_enterprise_path(lua, github):
    """Spec Note: GitHub Enterprise Server serves REST at /api/v3 but GraphQL at /api/graphql."""
    code = REQ + ('local c = github.client({token = "%s", base_url = "$URL/api/v3/"})\n'
                  'local repo = c:repo_get("%s")\n'
                  'return repo.name, c:graphql("{ viewer { login } }").data.viewer.login') % (GITHUB_TOKEN, REPO)
    assert lua_with(lua, code, URL=github.url) == ("hello-world", "octocat")
    assert [r.path for r in github.requests] == ["/api/v3/repos/octocat/hello-world", "/api/graphql"]


def test_github_18_errors(lua_fails, github):
    msg = fails(lua_fails, 'c:pr_merge("%s", 43)' % REPO, github.url)
    assert re.search(r'assay/_?\w+\.lua:\d+: github: PUT /repos/octocat/hello-world/pulls/43/merge HTTP 405: '
                     r'\{"message": "Pull Request is not mergeable"\}$', msg), msg
    msg = fails(lua_fails, 'c:issue_create("%s", nil, "no title")' % REPO, github.url)
    assert "github: POST /repos/octocat/hello-world/issues HTTP 422: " in msg
    github.fail("GET", "/repos/octocat/hello-world/pulls", 500, "boom")
    msg = fails(lua_fails, 'c:pr_list("%s", {state = "open"})' % REPO, github.url)
    assert msg.endswith("github: GET /repos/octocat/hello-world/pulls?state=open HTTP 500: boom"), msg
    github.fail("POST", "/graphql", 502, "bad gateway")
    msg = fails(lua_fails, 'c:graphql("{ viewer { login } }")', github.url)
    assert msg.endswith("github: POST /graphql HTTP 502: bad gateway"), msg
    # a wrong token: 401 raised (only GET 404 is not an error)
    code = REQ + 'github.client({token = "nope", base_url = "$URL"}):repo_get("%s")' % REPO
    msg = lua_fails(lua_with(lambda c: c, code, URL=github.url))
    assert "github: GET /repos/octocat/hello-world HTTP 401: " in msg and "Bad credentials" in msg


def test_github_issue12_url_first_client_form(lua, github):
    """Issue 12: M.client(base_url, opts) is the same client as M.client({base_url=..., ...})."""
    code = REQ + 'local c = github.client("$URL/", {token = "%s"}); return c.base_url, c:pr_view("%s", 42).title' % (
        GITHUB_TOKEN, REPO)
    assert lua_with(lua, code, URL=github.url) == (github.url, "Add feature X")
    assert github.last().header("Authorization") == "Bearer ghp_test123"


def test_github_documented_form_pr_monitor(lua, github):
    """The documented options-table form, used as in README.md, assay.github / assay.gcal (PR monitor)."""
    code = REQ + '''
local gh = github.client({ token = "%s", base_url = "$URL" })
local report = {}
for _, pr in ipairs(gh:pr_list("octocat/hello-world", { state = "open" })) do
  local approvals = 0
  for _, review in ipairs(gh:pr_reviews("octocat/hello-world", pr.number)) do
    if review.state == "APPROVED" then approvals = approvals + 1 end
  end
  report[#report + 1] = string.format("#%%d %%s by %%s: %%d approval(s)", pr.number, pr.title, pr.user.login, approvals)
end
return report''' % GITHUB_TOKEN
    assert lua_with(lua, code, URL=github.url) == ["#42 Add feature X by alice: 1 approval(s)"]


def test_github_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "github.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.github"
    assert meta.description == 'GitHub REST API client. PRs, issues, actions, repositories, GraphQL. No gh CLI dependency.'
    assert meta.keywords == [
        'github',
        'pr',
        'pull-request',
        'issue',
        'actions',
        'runs',
        'graphql',
        'repository',
        'merge',
        'review',
        'comment',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'M.client(base_url, opts?) -> client | GitHub client for base_url (https://api.github.com or a GHE .../api/v3); opts {token?} (token defaults to $GITHUB_TOKEN); M.client(opts?) with opts.base_url also works',
        'github.latest_release(owner, repo, opts?) -> release | Latest release plus version (tag without v); opts {token, base_url}',
        'github.find_asset(release, name_pattern) -> asset|nil | First asset whose name matches a Lua pattern',
        'github.fetch_asset_text(asset) -> string | Download an asset body (fetch_asset_bytes is the same)',
        'github.release_checksum(release, opts) -> hex | Digest of the asset matching opts.asset_pattern from its .sha256 sibling or a checksums file',
        'c.pulls:get(repo, number) -> pr | Get pull request details; flat: c:pr_view(repo, number)',
        'c.pulls:list(repo, opts?) -> [pr] | List pull requests; flat: c:pr_list(repo, opts?)',
        'c.pulls:reviews(repo, number) -> [review] | List PR reviews; flat: c:pr_reviews(repo, number)',
        'c.pulls:merge(repo, number, opts?) -> result | Merge a pull request; flat: c:pr_merge(repo, number, opts?)',
        'c.issues:list(repo, opts?) -> [issue] | List issues; flat: c:issue_list(repo, opts?)',
        'c.issues:get(repo, number) -> issue | Get issue details; flat: c:issue_get(repo, number)',
        'c.issues:create(repo, title, body, opts?) -> issue | Create an issue; flat: c:issue_create(repo, title, body, opts?)',
        'c.issues:create_note(repo, number, body) -> comment | Add issue comment; flat: c:issue_comment(repo, number, body)',
        'c.repos:get(repo) -> repository | Get repository details; flat: c:repo_get(repo)',
        'c.runs:list(repo, opts?) -> {workflow_runs} | List workflow runs; flat: c:runs_list(repo, opts?)',
        'c.runs:get(repo, run_id) -> run | Get workflow run details; flat: c:run_get(repo, run_id)',
        'c:graphql(query, variables?) -> data | Execute GraphQL query',
    ]


def test_github_both_generations(lua, github):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''local r = "%s"
        return {c:pr_view(r, 42).number, #c:pr_list(r), #c:pr_reviews(r, 42), c:issue_get(r, 1).title, #c:issue_list(r),
                c:repo_get(r).full_name, #c:runs_list(r).workflow_runs, c:run_get(r, 1002).id,
                c:issue_comment(r, 1, "Thanks!").body, c:issue_create(r, "Crash", "steps").title}''' % REPO, github.url)
    new = run(lua, '''local r = "%s"
        return {c.pulls:get(r, 42).number, #c.pulls:list(r), #c.pulls:reviews(r, 42), c.issues:get(r, 1).title,
                #c.issues:list(r), c.repos:get(r).full_name, #c.runs:list(r).workflow_runs, c.runs:get(r, 1002).id,
                c.issues:create_note(r, 1, "Thanks!").body, c.issues:create(r, "Crash", "steps").title}''' % REPO,
              github.url)
    assert old[:4] + old[5:] == new[:4] + new[5:]
    assert new[4] == old[4] + 1  # the issue the first script created is listed by the second
    assert old[0] == 42 and old[3] == "Bug in login" and old[5] == REPO and old[7] == 1002 and old[8:] == ["Thanks!", "Crash"]


def test_github_release_helpers(lua, lua_fails, github, monkeypatch):
    """latest_release / find_asset / fetch_asset_text / release_checksum (current Assay's module functions)."""
    import hashlib
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GH_TOKEN", GITHUB_TOKEN)
    out = lua_with(lua, REQ + '''local rel = github.latest_release("octocat", "hello-world", {base_url = "$URL"})
        local tar = github.find_asset(rel, "x86_64%-linux%.tar%.gz$")
        return rel.version, rel.tag_name, tar.name, github.find_asset(rel, "riscv") == nil,
               github.fetch_asset_bytes(tar), github.release_checksum(rel, {asset_pattern = "x86_64%-linux%.tar%.gz$"}),
               github.release_checksum(rel, {asset_pattern = "darwin%.zip$", digest = "sha256"})''', URL=github.url)
    version, tag, name, missing, body, tar_sum, zip_sum = out
    assert (version, tag, name, missing) == ("1.4.2", "v1.4.2", "tool-v1.4.2-x86_64-linux.tar.gz", True)
    tarball = github.downloads["tool-v1.4.2-x86_64-linux.tar.gz"]
    assert (body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")) == tarball
    assert tar_sum == hashlib.sha256(tarball).hexdigest()  # the sibling's upper-case digest, lowered
    assert zip_sum == hashlib.sha256(b"zip").hexdigest()    # found in SHA256SUMS
    latest = github.last("/repos/octocat/hello-world/releases/latest")
    assert latest.header("Authorization") == "Bearer " + GITHUB_TOKEN  # from GH_TOKEN
    msg = lua_with(lua_fails, REQ + 'github.latest_release("octocat", "nothing", {base_url = "$URL"})', URL=github.url)
    assert "github: GET /repos/octocat/nothing/releases/latest HTTP 404: " in msg
    msg = lua_with(lua_fails, REQ + '''local rel = github.latest_release("octocat", "hello-world", {base_url = "$URL"})
        github.release_checksum(rel, {asset_pattern = "riscv"})''', URL=github.url)
    assert msg.endswith("github.release_checksum: no asset matches riscv")
    assert lua_fails(REQ + 'github.find_asset(nil, "x")').endswith("github.find_asset: release must be a table")
