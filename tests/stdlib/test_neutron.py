"""assay.neutron (issue 21) against the shared fake of Neutron's admin API (fake_neutron.FakeNeutron)."""
from fake_neutron import CF_ID, CF_SECRET, TOKEN, neutron, neutron_server  # noqa: F401 (fixtures)
from fakes import lua_with

REQ = 'local neutron = require("assay.neutron")\n'
CLIENT = REQ + 'local c = neutron.client("$URL/", {token = "%s"})\n' % TOKEN


def run(lua, code, url):
    return lua_with(lua, CLIENT + code, URL=url)


def test_neutron_auth_from_options_or_environment(lua, lua_fails, neutron, monkeypatch):
    assert run(lua, "return #c.users:list(), c.url", neutron.url) == (1, neutron.url)
    r = neutron.last()
    assert (r.path, r.header("Authorization")) == ("/api/admin/users", "Bearer " + TOKEN)
    assert r.header("CF-Access-Client-Id") is None
    # behind Cloudflare Access: the service token goes along, from opts or the environment
    neutron.require_cf = True
    monkeypatch.setenv("NEUTRON_URL", neutron.url)
    monkeypatch.setenv("NEUTRON_TOKEN", TOKEN)
    monkeypatch.setenv("CF_ACCESS_CLIENT_ID", CF_ID)
    monkeypatch.setenv("CF_ACCESS_CLIENT_SECRET", CF_SECRET)
    assert lua(REQ + "return neutron.client():assay_catalog()[1].name") == "assay.gitlab"
    assert neutron.last().header("CF-Access-Client-Secret") == CF_SECRET
    assert lua(REQ + "return neutron.client().assay_catalog()[2].name") == "assay.vault"
    monkeypatch.delenv("CF_ACCESS_CLIENT_ID")
    err = lua_fails(REQ + "neutron.client().users:list()")
    assert "neutron: GET /api/admin/users HTTP 403: Forbidden (Cloudflare Access)" in err
    monkeypatch.delenv("NEUTRON_TOKEN")
    assert "neutron.client: no token (pass opts.token or set NEUTRON_TOKEN)" in lua_fails(REQ + "neutron.client()")
    monkeypatch.delenv("NEUTRON_URL")
    assert "neutron.client: no url (pass one or set NEUTRON_URL)" in lua_fails(REQ + "neutron.client()")


def test_neutron_wrong_token_is_a_one_line_error(lua_fails, neutron):
    err = lua_fails(lua_with(lambda c: c, REQ + 'neutron.client("$URL", {token = "nope"}).secrets:list()',
                             URL=neutron.url))
    assert 'neutron: GET /api/admin/secrets HTTP 401: {"error": "unauthorized"}' in err


def test_neutron_agents(lua, neutron):
    out = run(lua, 'local a = c.agents:create("Reviewer", {mode = "review", tool_policy = {shell = "deny"}})\n'
                   'local u = c.agents:update(a.id, {mode = "act"})\n'
                   'local n = #c.agents:list().agents\n'
                   'return a.id, u.mode, n, c.agents:delete(a.id), #c.agents:list().agents', neutron.url)
    assert out == ("ag-1", "act", 1, True, 0)
    create = [q for q in neutron.requests if q.method == "POST"][0]
    assert (create.path, create.json()) == ("/api/admin/agents",
                                            {"display_name": "Reviewer", "mode": "review", "tool_policy": {"shell": "deny"}})
    assert [q.path for q in neutron.requests if q.method in ("PUT", "DELETE")] == [
        "/api/admin/agents/ag-1", "/api/admin/agents/ag-1"]
    neutron.reset()
    out = run(lua, 'c.agents:update_core({mode = "act", assay_modules = {"assay.gitlab"}})\n'
                   'return c.agents:core().stored.mode', neutron.url)
    assert out == "act"
    assert neutron.requests[0].json() == {"mode": "act", "assay_modules": ["assay.gitlab"]}


def test_neutron_secrets_and_connections(lua, neutron):
    out = run(lua, 'local list = c.secrets:set("db/password", {value = "hunter2", note = "prod"})\n'
                   'return #list, c.secrets:value("db/password"), #c.secrets:delete("db/password"), '
                   'c.secrets:list()[1].name', neutron.url)
    assert out == (2, "hunter2", 1, "GITLAB_TOKEN")
    put = neutron.requests[0]
    assert (put.method, put.path, put.json()) == ("PUT", "/api/admin/secrets/db%2Fpassword",
                                                   {"value": "hunter2", "note": "prod"})
    assert neutron.requests[1].path == "/api/admin/secrets/db%2Fpassword/value"
    neutron.reset()
    out = run(lua, 'local l = c.connections:set("gl", {kind = "gitlab", token = "t", agents = {"ag-1"}})\n'
                   'return l[1].name, l[1].has_token, #c.connections:delete("gl")', neutron.url)
    assert out == ("gl", True, 0)
    assert neutron.requests[0].json() == {"kind": "gitlab", "token": "t", "agents": ["ag-1"]}


def test_neutron_resources_roles_tokens(lua, neutron):
    out = run(lua, 'local w = c.resources:create({name = "infra", type = "workspace", access = "ro", '
                   'config = {repos = {{url = "https://gitlab/x.git", host = "gitlab"}}}})\n'
                   'c.resources:update(w.id, {name = "infra", type = "workspace", access = "rw"})\n'
                   'local access = c.resources:list()[1].access\n'
                   'local r = c.roles:create("sre")\n'
                   'local members = c.roles:member(r.id, "ada@example.com", "add").members\n'
                   'local t = c.tokens:mint("ci")\n'
                   'return access, members[1], t.token:sub(1, 4), #c.tokens:list(), #c.tokens:revoke("ci"), '
                   'c.resources:delete(w.id), c.roles:delete(r.id)', neutron.url)
    assert out == ("rw", "ada@example.com", "ntr_", 1, 0, True, True)
    member = [q for q in neutron.requests if q.path.endswith("/members")][0]
    assert member.json() == {"email": "ada@example.com", "action": "add"}


def test_neutron_member_action_checked(lua_fails, neutron):
    err = lua_fails(lua_with(lambda c: c, CLIENT + 'c.roles:member("role-1", "a@b", "promote")', URL=neutron.url))
    assert 'neutron: roles:member action must be "add" or "remove"' in err
    assert neutron.requests == []


def test_neutron_settings_channels_usage(lua, neutron):
    out = run(lua, 'c.settings:update({approvals = {timeout_minutes = 5}})\n'
                   'c.channels:update({slack = {enabled = true}})\n'
                   'local u = c.usage:get({from = "2026-01-01T00:00:00+01:00", to = "2026-02-01"})\n'
                   'return c.settings:get().approvals.timeout_minutes, c.channels:get().slack.enabled, u.requests, u.from',
              neutron.url)
    assert out == (5, True, 42, "2026-01-01T00:00:00+01:00")
    usage = neutron.last("/api/admin/usage")
    assert usage.raw_query == "from=2026-01-01T00%3A00%3A00%2B01%3A00&to=2026-02-01"
    assert neutron.last("/api/settings").method == "GET"
