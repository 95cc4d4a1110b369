"""assay.unleash against a real Unleash OSS 6 (npm unleash-server on the local PostgreSQL).
OSS Unleash has one project (`default`); creating projects is an Enterprise feature."""
import pytest

pytestmark = pytest.mark.real_server("unleash")

CLIENT = """
local unleash = require("assay.unleash")
local c = unleash.client(env.get("UNLEASH_URL"), {token = env.get("UNLEASH_TOKEN")})
local name = env.get("NAME")
"""


@pytest.fixture
def un(real_unleash, uid):
    return dict(UNLEASH_URL=real_unleash.url, UNLEASH_TOKEN=real_unleash.creds["token"], NAME=uid)


def test_health_projects_environments(flow, un):
    out = flow(CLIENT + """
local projects = {}
for _, p in ipairs(c:projects()) do projects[#projects + 1] = p.id end
local envs = {}
for _, e in ipairs(c:environments()) do envs[#envs + 1] = e.name end
table.sort(envs)
print(json.encode({health = c:health().health, projects = projects, default = c:project("default").name,
  envs = envs, waited = unleash.wait(env.get("UNLEASH_URL"), {timeout = 10, interval = 1}),
  ensured = unleash.ensure_project(c, "default").name}))
""", **un)
    assert out["health"] == "GOOD"
    assert "default" in out["projects"] and out["default"] == "Default"
    assert "development" in out["envs"] and "production" in out["envs"]
    assert out["waited"] is True and out["ensured"] == "Default"  # the existing project, not a new one


def test_feature_crud_strategies_and_toggles(flow, un):
    out = flow(CLIENT + """
local created = c:create_feature("default", {name = name, description = "from assay", type = "release"})
c:update_feature("default", name, {description = "changed", type = "release"})
local f = c:feature("default", name)
local strategy = c:add_strategy("default", name, "development",
  {name = "flexibleRollout", parameters = {rollout = "50", stickiness = "default", groupId = name}})
local strategies = c:strategies("default", name, "development")
c:toggle_on("default", name, "development")
local on = c:feature("default", name)
local dev_on
for _, e in ipairs(on.environments) do if e.name == "development" then dev_on = e.enabled end end
c:toggle_off("default", name, "development")
local off = c:feature("default", name)
local dev_off
for _, e in ipairs(off.environments) do if e.name == "development" then dev_off = e.enabled end end
local listed = false
for _, x in ipairs(c:features("default")) do if x.name == name then listed = true end end
unleash.ensure_environment(c, "default", "development")
c:archive_feature("default", name)
print(json.encode({created = created.name, description = f.description, strategy = strategy.name,
  rollout = strategies[1].parameters.rollout, count = #strategies, dev_on = dev_on, dev_off = dev_off,
  listed = listed, archived = c:feature("default", name) == nil}))
""", **un)
    assert out["created"] == un["NAME"] and out["description"] == "changed"
    assert out["strategy"] == "flexibleRollout" and out["rollout"] == "50" and out["count"] == 1
    assert out["dev_on"] is True and out["dev_off"] is False
    assert out["listed"] is True and out["archived"] is True


def test_api_tokens(flow, un):
    out = flow(CLIENT + """
local t = c:create_token({tokenName = name, type = "client", environment = "development", projects = {"*"}})
local found = false
for _, x in ipairs(c:tokens()) do if x.secret == t.secret then found = true end end
c:delete_token(t.secret)
local still = false
for _, x in ipairs(c:tokens()) do if x.secret == t.secret then still = true end end
print(json.encode({type = t.type, found = found, still = still}))
""", **un)
    assert out == {"type": "client", "found": True, "still": False}
