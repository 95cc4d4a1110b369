"""assay.vault and assay.openbao against a real OpenBao dev server (the Vault HTTP API)."""
import pytest

pytestmark = pytest.mark.real_server("openbao")

CLIENT = """
local vault = require(env.get("MODULE") or "assay.vault")
local c = vault.client(env.get("VAULT_ADDR"), env.get("VAULT_TOKEN"))
local name = env.get("NAME")
"""


@pytest.fixture
def bao(real_openbao, uid):
    return dict(VAULT_ADDR=real_openbao.url, VAULT_TOKEN=real_openbao.creds["token"], NAME=uid)


@pytest.mark.parametrize("module", ["assay.vault", "assay.openbao"])
def test_kv2_put_get_list_metadata_delete(flow, bao, module):
    out = flow(CLIENT + """
c:kv_put("secret", name .. "/db", {user = "app", password = "s3cr3t", port = 5432})
c:kv_put("secret", name .. "/db", {user = "app", password = "rotated", port = 5432})
c:kv_put("secret", name .. "/nested/api", {key = "k"})
local got = c:kv_get("secret", name .. "/db")
local keys = c:kv_list("secret", name)
table.sort(keys)
local meta = c:kv_metadata("secret", name .. "/db")
c:kv_delete("secret", name .. "/db")
local after = c:kv_get("secret", name .. "/db")
print(json.encode({data = got.data, version = got.metadata.version, keys = keys,
  current = meta.data.current_version, versions = meta.data.versions["1"] ~= nil,
  after = after == nil and "nil" or after.data == nil and "deleted" or "still there",
  missing = c:kv_get("secret", name .. "/never") == nil,
  empty_list = #c:kv_list("secret", name .. "/nothing-here")}))
""", MODULE=module, **bao)
    assert out["data"] == {"user": "app", "password": "rotated", "port": 5432}
    assert out["version"] == 2 and out["current"] == 2 and out["versions"] is True
    assert out["keys"] == ["db", "nested/"]
    # a soft-deleted KV v2 secret answers 404 with its metadata: the module reads it as absent
    assert out["after"] == "nil"
    assert out["missing"] is True and out["empty_list"] == 0


def test_generic_read_write_list_on_kv2_paths(flow, bao):
    out = flow(CLIENT + """
c:write("secret/data/" .. name .. "/raw", {data = {a = "1"}})
local read = c:read("secret/data/" .. name .. "/raw")
local listed = c:list("secret/metadata/" .. name)
c:delete("secret/metadata/" .. name .. "/raw")
print(json.encode({a = read.data.a, listed = listed, gone = c:read("secret/data/" .. name .. "/raw") == nil}))
""", **bao)
    assert out == {"a": "1", "listed": ["raw"], "gone": True}


def test_health_and_seal_status(flow, bao):
    out = flow(CLIENT + """
local h = c:health()
local s = c:seal_status()
print(json.encode({initialized = h.initialized, sealed = h.sealed, version = h.version,
  seal_type = s.type, is_sealed = c:is_sealed(), is_initialized = c:is_initialized(),
  waited = vault.wait(env.get("VAULT_ADDR"), {timeout = 10, interval = 1})}))
""", **bao)
    assert out["initialized"] is True and out["sealed"] is False
    assert out["version"].startswith("2.")
    assert out["seal_type"] == "shamir" and out["is_sealed"] is False and out["is_initialized"] is True
    assert out["waited"] is True


def test_policies_limit_a_created_token(flow, bao):
    out = flow(CLIENT + """
local rules = 'path "secret/data/' .. name .. '/*" { capabilities = ["read"] }'
c:policy_put(name, rules)
c:kv_put("secret", name .. "/visible", {v = "yes"})
c:kv_put("secret", "other-" .. name, {v = "no"})
local listed = false
for _, p in ipairs(c:policy_list()) do if p == name then listed = true end end
local policy = c:policy_get(name)
local tok = c:token_create({policies = {name}, ttl = "10m"})
local limited = vault.client(env.get("VAULT_ADDR"), tok.client_token)
local self = limited:token_lookup_self()
local visible = limited:kv_get("secret", name .. "/visible")
local ok, err = pcall(limited.kv_get, limited, "secret", "other-" .. name)
local looked = c:token_lookup(tok.client_token)
c:token_revoke(tok.client_token)
local ok2, err2 = pcall(limited.token_lookup_self, limited)
c:policy_delete(name)
print(json.encode({listed = listed, rules = policy.rules or policy.policy, self_policies = self.policies,
  visible = visible.data.v, denied = not ok and err:find("permission denied", 1, true) ~= nil,
  looked_ttl = looked.ttl > 0, revoked = not ok2 and tostring(err2):find("403", 1, true) ~= nil,
  gone = c:policy_get(name) == nil}))
""", **bao)
    assert out["listed"] is True
    assert "capabilities" in out["rules"]
    assert sorted(out["self_policies"]) == sorted(["default", bao["NAME"]])
    assert out["visible"] == "yes" and out["denied"] is True
    assert out["looked_ttl"] is True and out["revoked"] is True and out["gone"] is True


def test_approle_login_flow(flow, bao):
    out = flow(CLIENT + """
local path = "approle-" .. name
c:auth_enable(path, "approle")
local mounts = c:auth_list()
c:policy_put(name, 'path "secret/data/' .. name .. '" { capabilities = ["read"] }')
c:auth_create_role(path, "ci", {token_policies = {name}, token_ttl = "5m"})
local role = c:auth_read_role(path, "ci")
local roles = c:auth_list_roles(path)
local role_id = c:read("auth/" .. path .. "/role/ci/role-id").role_id
local secret_id = c:write("auth/" .. path .. "/role/ci/secret-id", {}).data.secret_id
local login = c:write("auth/" .. path .. "/login", {role_id = role_id, secret_id = secret_id})
c:kv_put("secret", name, {answer = 42})
local app = vault.client(env.get("VAULT_ADDR"), login.auth.client_token)
local secret = app:kv_get("secret", name)
c:auth_disable(path)
local after = c:auth_list()
print(json.encode({mounted = mounts[path .. "/"] ~= nil and mounts[path .. "/"].type,
  role_policies = role.token_policies, roles = roles, policies = login.auth.policies,
  answer = secret.data.answer, unmounted = after[path .. "/"] == nil}))
""", **bao)
    assert out["mounted"] == "approle"
    assert out["role_policies"] == [bao["NAME"]] and out["roles"] == ["ci"]
    assert bao["NAME"] in out["policies"]
    assert out["answer"] == 42 and out["unmounted"] is True


def test_transit_encrypt_decrypt(flow, bao):
    out = flow(CLIENT + """
local mount = "transit"
local engines = c:engine_list()
if engines["transit/"] == nil then c:engine_enable("transit", "transit") end
c:transit_create_key(name)
local text = "pässwörd \\0 binary"
local ct = c:transit_encrypt(name, text)
local keys = c:transit_list_keys()
local found = false
for _, k in ipairs(keys) do if k == name then found = true end end
print(json.encode({prefix = ct:sub(1, 9), back = c:transit_decrypt(name, ct) == text, listed = found,
  engine = c:engine_list()["transit/"].type}))
""", **bao)
    assert out == {"prefix": "vault:v1:", "back": True, "listed": True, "engine": "transit"}


def test_secrets_engine_enable_tune_disable(flow, bao):
    out = flow(CLIENT + """
local path = "kv-" .. name
c:engine_enable(path, "kv", {options = {version = "2"}, description = "assay test"})
c:engine_tune(path, {max_lease_ttl = "2h"})
local mounted = c:engine_list()[path .. "/"]
local tune = c:read("sys/mounts/" .. path .. "/tune")
c:kv_put(path, "x", {y = "z"})
local y = c:kv_get(path, "x").data.y
c:engine_disable(path)
print(json.encode({type = mounted.type, version = mounted.options.version, description = mounted.description,
  max_ttl = tune.max_lease_ttl, y = y, gone = c:engine_list()[path .. "/"] == nil}))
""", **bao)
    assert out == {"type": "kv", "version": "2", "description": "assay test", "max_ttl": 7200, "y": "z",
                   "gone": True}


def test_wrong_token_is_a_one_line_error(flow_fails, bao):
    err = flow_fails(CLIENT + 'c:kv_get("secret", "x")\n', **dict(bao, VAULT_TOKEN="not-a-token"))
    assert "403" in err and "permission denied" in err
    assert "Traceback" not in err


def test_ensure_credentials_and_assert_secret(flow, bao):
    out = flow(CLIENT + """
if c:engine_list()["secrets/"] == nil then c:engine_enable("secrets", "kv", {options = {version = "2"}}) end
local calls = 0
local function gen() calls = calls + 1; return {password = "p" .. calls} end
local first = vault.ensure_credentials(c, name, "password", gen)
local second = vault.ensure_credentials(c, name, "password", gen)
local checked = vault.assert_secret(c, name, {"password"})
print(json.encode({first = first.password, second = second.password, calls = calls, checked = checked.password}))
""", **bao)
    assert out == {"first": "p1", "second": "p1", "calls": 1, "checked": "p1"}


GENERATIONS = {
    "0.8.3": """
c:kv_put("secret", name .. "/gen", {user = "u1"})
c:policy_put(name, 'path "x" { capabilities = ["read"] }')
local out = {c:kv_get("secret", name .. "/gen").data.user, c:kv_list("secret", name)[1],
  c:kv_metadata("secret", name .. "/gen") ~= nil, c:is_sealed(), c:is_initialized(), c:policy_get(name).name == name,
  c:auth_list()["token/"].type, c:engine_list()["secret/"].type, c:token_lookup_self() ~= nil,
  c:token_create().client_token ~= nil}
c:kv_delete("secret", name .. "/gen"); c:policy_delete(name)
out[#out + 1] = c:kv_get("secret", name .. "/gen") == nil
print(json.encode(out))
""",
    "0.19": """
c.kv:put("secret", name .. "/gen", {user = "u1"})
c.policies:create(name, 'path "x" { capabilities = ["read"] }')
local out = {c.kv:get("secret", name .. "/gen").data.user, c.kv:list("secret", name)[1],
  c.kv:metadata("secret", name .. "/gen") ~= nil, c.sys:is_sealed(), c.sys:is_initialized(),
  c.policies:get(name).name == name, c.auth:methods()["token/"].type, c.engines:list()["secret/"].type,
  c.token:lookup_self() ~= nil, c.token:create().client_token ~= nil}
c.kv:delete("secret", name .. "/gen"); c.policies:delete(name)
out[#out + 1] = c.kv:get("secret", name .. "/gen") == nil
print(json.encode(out))
""",
}


@pytest.mark.parametrize("module", ["assay.vault", "assay.hashicorp.vault"])
def test_both_generations_on_the_real_server(flow, bao, module, uid):
    """The same flow written with 0.8.3's flat methods and 0.19's groups gives the same answers."""
    results = {gen: flow(CLIENT + code, MODULE=module, **dict(bao, NAME=uid + gen.replace(".", "")))
               for gen, code in GENERATIONS.items()}
    assert results["0.8.3"] == results["0.19"] == ["u1", "gen", True, False, True, True, "token", "kv",
                                                   True, True, True]
