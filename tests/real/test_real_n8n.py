"""assay.n8n against a real n8n 1.x community edition (npm `n8n` on the machine's Node, SQLite).

What the community edition of n8n 1.123 refuses, and the module passes on as n8n's own message:
variables and projects (403, licence), changing a user's role (403, licence), source-control pull
(401, licence). Routes n8n 1.x does not have (they came with 2.x) answer 405/404: workflow
archive/unarchive/publish/unpublish, credentials list/get/update/test."""
import pytest

pytestmark = pytest.mark.real_server("n8n")

CLIENT = """
local n8n = require("assay.n8n")
local c = n8n.client(env.get("N8N_URL"), {api_key = env.get("N8N_KEY")})
local name = env.get("NAME")
-- a webhook trigger: activation needs a trigger node, and a GET on it makes an execution
local function hook_workflow()
  return {name = name, nodes = {{name = "Hook", type = "n8n-nodes-base.webhook", typeVersion = 2,
    position = {0, 0}, webhookId = name, parameters = {path = name, httpMethod = "GET"}},
    {name = "Noop", type = "n8n-nodes-base.noOp", typeVersion = 1, position = {200, 0}, parameters = {}}},
    connections = {Hook = {main = {{{node = "Noop", type = "main", index = 0}}}}}}
end
"""


@pytest.fixture
def nn(real_n8n, uid):
    return dict(N8N_URL=real_n8n.url, N8N_KEY=real_n8n.creds["api_key"], NAME=uid)


def test_workflow_lifecycle_and_executions(flow, nn):
    out = flow(CLIENT + """
local wf = c.workflows:create(hook_workflow())
local same = n8n.ensure_workflow(c, hook_workflow(), {active = true})
local again = n8n.set_active(c, wf.id, true)
local res = http.get(env.get("N8N_URL") .. "/webhook/" .. name)
local execs
for _ = 1, 40 do
  execs = c.executions:list({workflowId = wf.id})
  if #execs > 0 and execs[1].finished then break end
  sleep(0.25)
end
local full = c.executions:get(execs[1].id, {includeData = true})
c.executions:delete(execs[1].id)
local off = c.workflows:deactivate(wf.id)
local page = c.workflows:page({limit = 1})
c.workflows:delete(wf.id)
print(json.encode({same = same.id == wf.id, active = same.active, again = again.active, hook = res.status,
  nodes = #c.workflows:create(hook_workflow()).nodes, found = n8n.find_workflow_by_name(c, name) ~= nil,
  execs = #execs, status = execs[1].status, has_data = full.data ~= nil,
  gone_exec = c.executions:get(execs[1].id), off = off.active, page = #page.data,
  gone = c.workflows:get(wf.id), waited = n8n.wait(env.get("N8N_URL"), {timeout = 5, interval = 1})}))
""", **nn)
    assert out["same"] is True and out["active"] is True and out["again"] is True  # updated in place, then activated
    assert out["hook"] == 200 and out["execs"] == 1 and out["status"] == "success" and out["has_data"] is True
    assert out.get("gone_exec") is None and out["off"] is False and out["page"] == 1
    assert out.get("gone") is None and out["nodes"] == 2 and out["found"] is True and out["waited"] is True


def test_workflow_routes_n8n_1_lacks(flow_fails, nn):
    err = flow_fails(CLIENT + "c.workflows:archive(c.workflows:create({name = name}).id)", **nn)
    assert "n8n: POST /workflows/" in err and "/archive HTTP 405: " in err and "Traceback" not in err


def test_tags(flow, flow_fails, nn):
    out = flow(CLIENT + """
local wf = c.workflows:create({name = name})
local t = c.tags:create({name = name})
c.tags:update(t.id, {name = name .. "-renamed"})
local set = c.workflows:set_tags(wf.id, {t.id})
local ensured = n8n.ensure_workflow_tags(c, wf.id, {name .. "-a", name .. "-renamed"})
local names = {}
for _, x in ipairs(c.workflows:tags(wf.id)) do names[#names + 1] = x.name end
table.sort(names)
local listed = 0
for _, x in ipairs(n8n.all(c.tags)) do if x.name:sub(1, #name) == name then listed = listed + 1 end end
local again = n8n.ensure_tag(c, name .. "-a")
c.workflows:set_tags(wf.id, {})
local left = #c.workflows:tags(wf.id)
c.tags:delete(t.id)
print(json.encode({got = c.tags:get(t.id), set = set[1].name, ensured = #ensured, names = names,
  listed = listed, same = again.id == ensured[1].id or again.id == ensured[2].id, left = left}))
""", **nn)
    name = nn["NAME"]
    assert out.get("got") is None and out["set"] == name + "-renamed" and out["ensured"] == 2
    assert out["names"] == [name + "-a", name + "-renamed"] and out["listed"] == 2
    assert out["same"] is True and out["left"] == 0
    err = flow_fails(CLIENT + "c.tags:create({name = name}); c.tags:create({name = name})", **nn)
    assert "n8n: POST /tags HTTP 409: " in err


@pytest.mark.parametrize("code, message", [
    ("c.variables:list()", "n8n: GET /variables HTTP 403: "),
    ('n8n.ensure_variable(c, "K" .. name, "v")', "n8n: GET /variables HTTP 403: "),
    ("c.variables:create({key = 'K' .. name, value = 'v'})", "n8n: POST /variables HTTP 403: "),
    ("c.projects:list()", "n8n: GET /projects HTTP 403: "),
    ("n8n.ensure_project(c, name)", "n8n: GET /projects HTTP 403: "),
])
def test_licence_gated_groups(flow_fails, nn, code, message):
    err = flow_fails(CLIENT + code, **nn)
    assert message in err and "Your license does not allow for feat:" in err


def test_credentials_users_audit(flow, flow_fails, nn, real_n8n):
    out = flow(CLIENT + """
local cred = c.credentials:create({name = name, type = "httpHeaderAuth", data = {name = "X-Token", value = "s3cret"}})
local schema = c.credentials:schema("httpHeaderAuth")
local deleted = c.credentials:delete(cred.id)
local invited = c.users:create({{email = name .. "@example.com", role = "global:member"}})
local uid = invited[1].user.id
local by_email = c.users:get(name .. "@example.com")
local emails = {}
for _, u in ipairs(c.users:list()) do emails[#emails + 1] = u.email end
c.users:delete(uid)
local report = c.audit:generate({additionalOptions = {categories = {"credentials"}}})
print(json.encode({cred = cred.name, secret = cred.data, type = cred.type, schema = schema.type,
  deleted = deleted.name, uid = by_email.id == uid, emails = #emails, owner = c.users:get(env.get("OWNER")).email,
  gone = c.users:get(uid), report = type(report) == "table"}))
""", OWNER=real_n8n.creds["email"], **nn)
    assert out["cred"] == nn["NAME"] and out.get("secret") is None and out["type"] == "httpHeaderAuth"
    assert out["schema"] == "object" and out["deleted"] == nn["NAME"] and out["uid"] is True
    assert out["emails"] >= 2 and out["owner"] == real_n8n.creds["email"] and out.get("gone") is None
    assert out["report"] is True
    err = flow_fails(CLIENT + 'c.users:set_role(env.get("OWNER"), "global:admin")', OWNER=real_n8n.creds["email"], **nn)
    assert "/role HTTP 403: " in err and "feat:advancedPermissions" in err
