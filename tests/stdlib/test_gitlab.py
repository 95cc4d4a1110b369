"""assay.gitlab against the fake GitLab API: auth headers, encoded project/file paths, query
encoding, JSON bodies, pagination (x-next-page and Link), 404 -> nil, the standard error text."""
import base64

import pytest

from fake_gitlab import JOB_TOKEN, OAUTH_TOKEN, TOKEN, gitlab, gitlab_server  # noqa: F401 (fixtures)


def run(lua, fake, code, auth='{token = "%s"}' % TOKEN):
    return lua('local c = require("assay.gitlab").client("%s", %s)\n%s' % (fake.url, auth, code))


def test_token_kinds_and_unauthenticated(lua, lua_fails, gitlab):
    assert run(lua, gitlab, "return c.users:current().username") == "ci-bot"
    assert gitlab.last().header("PRIVATE-TOKEN") == TOKEN
    assert run(lua, gitlab, "return c.users:current().username", '{oauth_token = "%s"}' % OAUTH_TOKEN) == "ci-bot"
    assert gitlab.last().header("Authorization") == "Bearer " + OAUTH_TOKEN
    assert run(lua, gitlab, "return c.users:current().id", '{job_token = "%s"}' % JOB_TOKEN) == 1
    msg = lua_fails('return require("assay.gitlab").client("%s/api/v4/").users:current()' % gitlab.url)
    assert msg.endswith('gitlab: GET /user HTTP 401: {"message": "401 Unauthorized"}')


def test_projects_by_encoded_path_pagination_and_404(lua, gitlab):
    for i in range(5):
        gitlab.add_project("platform/svc-%d" % i)
    got = run(lua, gitlab, 'local all = c.projects:list({per_page = 2, search = "svc"})\n'
                           'local one = c.projects:list({per_page = 2, page = 3, search = "svc"})\n'
                           'return #all, #one, c.projects:get("platform/app").id, c.projects:get("nope/none") == nil')
    assert got[0:2] == (5, 1) and got[3] is True
    pages = [r for r in gitlab.requests if r.path == "/api/v4/projects"]
    assert [r.query["page"][-1] if "page" in r.query else None for r in pages] == [None, "2", "3", "3"]
    assert all(r.query["search"] == ["svc"] for r in pages)
    assert gitlab.requests[-2].path == "/api/v4/projects/platform%2Fapp"


def test_files_read_write_and_atomic_commit(lua, lua_fails, gitlab):
    code = '''
local P = "platform/app"
c.files:create(P, "deploy/values prod.yaml", {branch = "main", content = "replicas: 2\\n", commit_message = "add values"})
local raw = c.files:raw(P, "deploy/values prod.yaml", {ref = "main"})
local meta = c.files:get(P, "deploy/values prod.yaml")
local commit = c.commits:create(P, {branch = "release", start_branch = "main", commit_message = "bump\\n\\nbody", actions = {
  {action = "update", file_path = "deploy/values prod.yaml", content = "replicas: 3\\n"},
  {action = "create", file_path = "CHANGELOG.md", content = "## 1.1\\n"},
  {action = "delete", file_path = "README.md"},
}})
return raw, meta.encoding, meta.content, commit.title, c.files:raw(P, "README.md", {ref = "release"}) == nil,
  c.files:raw(P, "deploy/values prod.yaml", {ref = "release"}), #c.commits:list(P, {ref_name = "release"})
'''
    got = run(lua, gitlab, code)
    assert got == ("replicas: 2\n", "base64", base64.b64encode(b"replicas: 2\n").decode(), "bump", True,
                   "replicas: 3\n", 2)
    create = next(r for r in gitlab.requests if r.method == "POST" and "/repository/files/" in r.path)
    assert create.path == "/api/v4/projects/platform%2Fapp/repository/files/deploy%2Fvalues%20prod.yaml"
    assert create.json() == {"branch": "main", "content": "replicas: 2\n", "commit_message": "add values"}
    meta = next(r for r in gitlab.requests if r.method == "GET" and r.path.endswith("prod.yaml"))
    assert meta.query["ref"] == ["HEAD"]
    # one failing action: nothing is committed
    msg = run(lua_fails, gitlab, 'return c.commits:create("platform/app", {branch = "main", commit_message = "x",'
                                 ' actions = {{action = "create", file_path = "new.txt", content = "n"},'
                                 ' {action = "update", file_path = "missing.txt", content = "m"}}})')
    assert "gitlab: POST /projects/platform%2Fapp/repository/commits HTTP 400: " in msg
    assert run(lua, gitlab, 'return c.files:raw("platform/app", "new.txt", {ref = "main"})') is None


def test_tree_follows_link_header(lua, gitlab):
    state = gitlab.project("platform/app")
    for i in range(5):
        state["branches"]["main"]["files"]["f%d.txt" % i] = "x"
    got = run(lua, gitlab, 'local t = c.repository:tree("platform/app", {per_page = 2, ref = "main"})\n'
                           'local names = {}\nfor _, e in ipairs(t) do names[#names + 1] = e.path end\nreturn names')
    assert got == ["README.md", "f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]
    assert [r.query.get("page_token", [None])[-1] for r in gitlab.requests] == [None, "f0.txt", "f2.txt"]


def test_branches_tags_merge_requests(lua, gitlab):
    code = '''
local P = "platform/app"
c.branches:create(P, {branch = "feature/x", ref = "main"})
local b = c.branches:get(P, "feature/x")
c.tags:create(P, {tag_name = "v1.0.0", ref = "main", message = "first"})
local mr = c.merge_requests:create(P, {source_branch = "feature/x", target_branch = "main", title = "Feature X",
  labels = "deploy"})
c.merge_requests:create_note(P, mr.iid, "LGTM")
local approved = c.merge_requests:approve(P, mr.iid)
local listed = c.merge_requests:list(P, {state = "opened", labels = {"deploy"}})
local merged = c.merge_requests:merge(P, mr.iid, {squash = true})
c.branches:delete(P, "feature/x")
return b.name, c.tags:get(P, "v1.0.0").message, #listed, approved.approved, merged.state, merged.squash,
  #c.merge_requests:notes(P, mr.iid), c.branches:get(P, "feature/x") == nil, #c.tags:list(P)
'''
    assert run(lua, gitlab, code) == ("feature/x", "first", 1, True, "merged", True, 1, True, 1)
    get_branch = next(r for r in gitlab.requests if r.method == "GET" and "/repository/branches/" in r.path)
    assert get_branch.path.endswith("/repository/branches/feature%2Fx")
    listing = next(r for r in gitlab.requests if r.method == "GET" and r.path.endswith("/merge_requests"))
    assert listing.query["labels"] == ["deploy"] and listing.query["state"] == ["opened"]


def test_pipelines_jobs_and_logs(lua, gitlab):
    code = '''
local P = "platform/app"
local p = c.pipelines:create(P, {ref = "main", variables = {DEPLOY_ENV = "prod", DRY_RUN = "false"}})
local failed = c.pipelines:jobs(P, p.id, {scope = {"failed"}})
local log = c.jobs:log(P, failed[1].id)
local retried = c.jobs:retry(P, failed[1].id)
return #c.pipelines:list(P), #failed, failed[1].name, log, retried.status, c.pipelines:cancel(P, p.id).status,
  c.jobs:log(P, 999999) == nil, #c.jobs:list(P, {scope = {"success", "pending"}})
'''
    got = run(lua, gitlab, code)
    assert got == (1, 1, "test", "\x1b[32m$ make test\x1b[0m\nfailed\n", "pending", "canceled", True, 2)
    create = next(r for r in gitlab.requests if r.path.endswith("/pipeline"))
    assert create.json()["variables"] == [{"key": "DEPLOY_ENV", "value": "prod"}, {"key": "DRY_RUN", "value": "false"}]
    jobs = next(r for r in gitlab.requests if "/pipelines/" in r.path and r.path.endswith("/jobs"))
    assert jobs.query["scope[]"] == ["failed"]


def test_releases_issues_groups_registry_hooks_users(lua, gitlab):
    code = '''
local P = "platform/app"
c.releases:create(P, {tag_name = "v1.0.0", name = "1.0", description = "first"})
local rel = c.releases:get(P, "v1.0.0")
local issue = c.issues:create(P, {title = "Disk full", labels = "ops"})
c.issues:create_note(P, issue.iid, "on it")
c.issues:update(P, issue.iid, {state_event = "close"})
local hook = c.hooks:create(P, {url = "https://ci.example.com/hook", push_events = true})
c.hooks:update(P, hook.id, {push_events = false})
local repos = c.registry:repositories(P)
local tag = c.registry:tag(P, repos[1].id, "v1")
c.registry:delete_tag(P, repos[1].id, "v1")
return rel.name, c.issues:get(P, issue.iid).state, #c.issues:notes(P, issue.iid), c.hooks:get(P, hook.id).push_events,
  tag.digest, #c.registry:tags(P, repos[1].id), c.groups:get("platform").id, #c.groups:projects("platform"),
  #c.groups:list(), c.users:list({username = "bob"})[1].id, c.releases:delete(P, "v1.0.0").tag_name,
  c.releases:get(P, "v1.0.0") == nil
'''
    got = run(lua, gitlab, code)
    assert got == ("1.0", "closed", 1, False, "sha256:aa", 0, 1, 1, 1, 2, "v1.0.0", True)


def test_bad_arguments_are_one_line_errors(lua_fails, gitlab):
    assert "gitlab.client: url must be a non-empty string" in lua_fails('return require("assay.gitlab").client()')
    assert "gitlab: commits:create needs opts.actions, a non-empty list" in run(
        lua_fails, gitlab, 'return c.commits:create("platform/app", {branch = "main"})')
    assert "gitlab: project is required" in run(lua_fails, gitlab, "return c.branches:list(nil)")
