"""assay.ory.rbac (spec stdlib/ory.rbac.md, RBAC-01..21): a policy over a real assay.ory.keto
client talking to the Keto APIs of the shared Ory fake (fake_ory.FakeOry)."""
import re

from fake_ory import ory, ory_server  # noqa: F401 (fixtures)
from fakes import lua_with

POLICY = '''
local rbac = require("assay.ory.rbac")
local keto = require("assay.ory.keto").client("$KETO_READ", {write_url = "$KETO_WRITE"})
local p = rbac.policy({
  namespace = "demo-app",
  keto = keto,
  default_role = "viewer",
  roles = {
    owner    = {rank = 5, capabilities = {"read", "trigger", "approve", "configure", "manage_roles"}},
    admin    = {rank = 4, capabilities = {"read", "trigger", "approve", "configure"}},
    approver = {rank = 3, capabilities = {"approve", "read"}},
    operator = {rank = 2, capabilities = {"read", "trigger"}},
    viewer   = {rank = 1, capabilities = {"read"}},
  },
})
'''


def run(lua, fake, code):
    return lua_with(lua, POLICY + code, **fake.placeholders())


def fails(lua_fails, fake, code):
    return lua_with(lua_fails, POLICY + code, **fake.placeholders())


def member(fake, role, user, ns="demo-app"):
    fake.add_tuple("Role", "%s:%s" % (ns, role), "members", "user:" + user)


def caps(value):
    """A capability set as returned to Python: {cap: True} (an empty Lua table arrives as [])."""
    return {} if value == [] else value


def test_rbac_01_module_has_policy(lua):
    assert lua('return type(require("assay.ory.rbac").policy)') == "function"


def test_rbac_02_namespace_required(lua_fails):
    for ns in ("nil", '""', "42"):
        msg = lua_fails('require("assay.ory.rbac").policy({namespace = %s, keto = {}, roles = {a = {}}})' % ns)
        assert re.search(r"^assay/ory/rbac\.lua:\d+: assay\.ory\.rbac\.policy: namespace is required$", msg), msg
    assert "namespace is required" in lua_fails('require("assay.ory.rbac").policy()')


def test_rbac_03_keto_client_required(lua_fails):
    msg = lua_fails('require("assay.ory.rbac").policy({namespace = "x", keto = "http://keto", roles = {a = {}}})')
    assert msg.endswith("assay.ory.rbac.policy: keto client is required")


def test_rbac_04_roles_required(lua_fails):
    for roles in ("nil", "{}", '"admin"'):
        msg = lua_fails('require("assay.ory.rbac").policy({namespace = "x", keto = {}, roles = %s})' % roles)
        assert msg.endswith("assay.ory.rbac.policy: roles map is required and must not be empty"), msg


def test_rbac_05_roles_in_rank_order(lua, ory):
    assert run(lua, ory, "return p:roles()") == ["owner", "admin", "approver", "operator", "viewer"]
    # ties by name (byte order); a missing rank counts as 0; the result is a copy
    code = '''
        local p2 = rbac.policy({namespace = "t", keto = keto, roles = {
          zeta = {rank = 2}, alpha = {rank = 2}, Beta = {rank = "2"}, none = {}, top = {rank = 9}}})
        local r = p2:roles(); r[1] = "changed"
        return p2:roles(), p2:role("none").rank
    '''
    names, rank = run(lua, ory, code)
    assert names == ["top", "Beta", "alpha", "zeta", "none"] and rank == 0
    assert ory.requests == []  # no HTTP for policy queries


def test_rbac_06_role_metadata(lua, ory):
    assert run(lua, ory, 'return p:role("approver")') == {"rank": 3, "capabilities": ["approve", "read"]}
    assert run(lua, ory, 'return p:role("owner").capabilities') == [
        "approve", "configure", "manage_roles", "read", "trigger"]
    assert run(lua, ory, 'return p:role("nope")') is None


def test_rbac_07_user_without_tuples_gets_default_role(lua, ory):
    roles, primary, c, has_read, has_trigger = run(lua, ory, '''
        return p:user_roles("nobody"), p:user_primary_role("nobody"), p:user_capabilities("nobody"),
               p:user_has_capability("nobody", "read"), p:user_has_capability("nobody", "trigger")''')
    assert roles == [] and primary == "viewer"
    assert caps(c) == {"read": True}
    assert (has_read, has_trigger) == (True, False)


def test_rbac_07_no_default_role(lua, ory):
    code = '''local p2 = rbac.policy({namespace = "demo-app", keto = keto, roles = {viewer = {rank = 1,
              capabilities = {"read"}}}})
              return p2:user_primary_role("nobody"), p2:user_capabilities("nobody"), p2:user_has_capability("nobody", "read")'''
    primary, c, has = run(lua, ory, code)
    assert primary is None and caps(c) == {} and has is False


def test_rbac_08_single_role(lua, ory):
    member(ory, "operator", "bob")
    roles, primary, c, approve, trigger = run(lua, ory, '''
        return p:user_roles("bob"), p:user_primary_role("bob"), p:user_capabilities("bob"),
               p:user_has_capability("bob", "approve"), p:user_has_capability("user:bob", "trigger")''')
    assert roles == ["operator"] and primary == "operator"
    assert caps(c) == {"read": True, "trigger": True}
    assert (approve, trigger) == (False, True)


def test_rbac_09_multiple_roles_union(lua, ory):
    """No separation of duties: approver + operator holds both trigger and approve."""
    member(ory, "operator", "carol")
    member(ory, "approver", "carol")
    roles, primary, c = run(lua, ory, 'return p:user_roles("carol"), p:user_primary_role("carol"), '
                                      'p:user_capabilities("carol")')
    assert roles == ["approver", "operator"] and primary == "approver"
    assert caps(c) == {"read": True, "trigger": True, "approve": True}
    assert "configure" not in c


def test_rbac_10_undefined_roles_ignored(lua, ory):
    member(ory, "legacy-role", "dave")
    member(ory, "viewer", "dave")
    member(ory, "viewer", "dave")  # duplicates are not stored twice by Keto; the fake does the same
    assert run(lua, ory, 'return p:user_roles("dave")') == ["viewer"]


def test_rbac_10_duplicate_role_objects_deduplicated(lua, ory):
    member(ory, "viewer", "dave")
    # a second relation tuple naming the same role object (e.g. written with another subject form)
    ory.tuples.append({"namespace": "Role", "object": "demo-app:viewer", "relation": "members",
                       "subject_id": "user:dave"})
    assert run(lua, ory, 'return p:user_roles("dave")') == ["viewer"]


def test_rbac_11_other_namespaces_ignored(lua, ory):
    member(ory, "admin", "erin", ns="platform")
    member(ory, "admin", "erin", ns="demo-app-2")
    member(ory, "operator", "erin")
    assert run(lua, ory, 'return p:user_roles("erin")') == ["operator"]


def test_rbac_11_namespace_matched_literally(lua, ory):
    """Note: the namespace is a literal prefix (pattern characters such as `.` and `-` match only themselves)."""
    ory.add_tuple("Role", "demoXapp:admin", "members", "user:fay")
    ory.add_tuple("Role", "my.app:admin", "members", "user:fay")
    code = '''local p2 = rbac.policy({namespace = "my.app", keto = keto, roles = {admin = {rank = 1}}})
              local p3 = rbac.policy({namespace = "demo.app", keto = keto, roles = {admin = {rank = 1}}})
              return p2:user_roles("fay"), p3:user_roles("fay")'''
    assert run(lua, ory, code) == (["admin"], [])


def test_rbac_12_user_roles_keto_query(lua, ory):
    run(lua, ory, 'return p:user_roles("greg")')
    reqs = ory.keto_read.requests
    assert len(reqs) == 1
    assert reqs[0].path == "/relation-tuples"
    assert reqs[0].query == {"namespace": "Role", "relation": "members", "subject_id": "user:greg"}
    run(lua, ory, 'return p:user_roles("user:greg")')
    assert ory.last("keto_read").query["subject_id"] == "user:greg"


def test_rbac_13_list_members(lua, ory):
    member(ory, "admin", "alice")
    ory.add_tuple("Role", "demo-app:admin", "members", "bob")  # stored without the prefix
    member(ory, "admin", "bob")
    ory.add_tuple("Role", "demo-app:admin", "members", subject_set=("Group", "eng", "members"))
    assert run(lua, ory, 'return p:list_members("admin")') == ["alice", "bob"]
    assert ory.last("keto_read").query == {"namespace": "Role", "object": "demo-app:admin", "relation": "members"}


def test_rbac_14_add_creates_tuple(lua, ory):
    run(lua, ory, 'p:add("seth", "approver")')
    put = ory.last("keto_write")
    assert (put.method, put.path) == ("PUT", "/admin/relation-tuples")
    assert put.json() == {"namespace": "Role", "object": "demo-app:approver", "relation": "members",
                          "subject_id": "user:seth"}
    assert run(lua, ory, 'return p:user_roles("seth")') == ["approver"]


def test_rbac_15_add_is_idempotent(lua, ory):
    member(ory, "approver", "seth")
    run(lua, ory, 'p:add("seth", "approver"); p:add("user:seth", "approver")')
    assert ory.keto_write.requests == []
    assert [r.query.get("object") for r in ory.keto_read.requests] == ["demo-app:approver"] * 2


def test_rbac_16_remove(lua, ory):
    member(ory, "operator", "bob")
    member(ory, "viewer", "bob")
    run(lua, ory, 'p:remove("bob", "operator")')
    req = ory.last("keto_write")
    assert req.method == "DELETE" and req.path == "/admin/relation-tuples"
    assert req.query == {"namespace": "Role", "object": "demo-app:operator", "relation": "members",
                         "subject_id": "user:bob"}
    assert run(lua, ory, 'return p:user_roles("bob")') == ["viewer"]


def test_rbac_16_remove_swallows_404_only(lua, lua_fails, ory):
    ory.fail("keto_write", "DELETE", "/admin/relation-tuples", 404, '{"error":{"code":404}}')
    assert run(lua, ory, 'p:remove("bob", "operator"); return "ok"') == "ok"
    ory.fail("keto_write", "DELETE", "/admin/relation-tuples", 500, "storage failure")
    msg = fails(lua_fails, ory, 'p:remove("bob", "operator")')
    assert msg.endswith("keto: delete tuple HTTP 500: storage failure")
    # not configured for writes: re-raised as well
    code = '''local ro = rbac.policy({namespace = "demo-app", keto = require("assay.ory.keto").client("$KETO_READ"),
              roles = {viewer = {rank = 1}}}); ro:remove("bob", "viewer")'''
    assert "write_url not configured" in fails(lua_fails, ory, code)


def test_rbac_17_reset_role(lua, ory):
    member(ory, "owner", "alice")
    member(ory, "owner", "bob")
    member(ory, "admin", "bob")
    run(lua, ory, 'p:reset_role("owner")')
    req = ory.last("keto_write")
    assert req.method == "DELETE"
    assert req.query == {"namespace": "Role", "object": "demo-app:owner", "relation": "members"}
    assert run(lua, ory, 'return p:list_members("owner"), p:list_members("admin")') == ([], ["bob"])


def test_rbac_18_unknown_role(lua_fails, ory):
    for call in ('p:list_members("ghost")', 'p:add("bob", "ghost")', 'p:remove("bob", "ghost")',
                 'p:reset_role("ghost")'):
        msg = fails(lua_fails, ory, call)
        assert re.search(r"^assay/ory/rbac\.lua:\d+: assay\.ory\.rbac: unknown role ghost$", msg), msg
    assert ory.requests == []


def test_rbac_19_list_all_memberships(lua, ory):
    member(ory, "owner", "alice")
    member(ory, "operator", "bob")
    member(ory, "operator", "carol")
    out = run(lua, ory, 'return p:list_all_memberships()')
    assert out["owner"] == ["alice"] and out["operator"] == ["bob", "carol"]
    assert {k: v for k, v in out.items() if v} == {"owner": ["alice"], "operator": ["bob", "carol"]}
    assert set(out) == {"owner", "admin", "approver", "operator", "viewer"}
    assert [r.query["object"] for r in ory.keto_read.requests] == [
        "demo-app:owner", "demo-app:admin", "demo-app:approver", "demo-app:operator", "demo-app:viewer"]


def test_rbac_20_require_capability(lua, ory):
    member(ory, "operator", "bob")
    out = run(lua, ory, '''
        local h = p:require_capability("trigger", function(req) return {status = 200, body = "ran " .. req.user_id} end)
        local a = h({})
        local b = h({user_id = ""})
        local c = h({user_id = "nobody"})
        local d = h({user_id = "bob"})
        return a.status, a.json.error, b.status, c.status, c.json.error, d.status, d.body
    ''')
    assert out == (401, "Authentication required", 401, 403, "trigger capability required", 200, "ran bob")


def test_rbac_20_require_capability_in_http_serve(assay, ory, tmp_path):
    """The guard as an http.serve route handler: JSON 401/403 answers, the handler otherwise."""
    import socket
    import urllib.request
    import urllib.error

    member(ory, "approver", "ann")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    script = tmp_path / "serve.lua"
    script.write_text(lua_with(lambda c: c, POLICY + '''
        local guarded = p:require_capability("approve", function(req) return {status = 200, body = "approved"} end)
        async.spawn(function()
          http.serve(%d, {GET = {["/approve"] = function(req)
            req.user_id = req.headers["x-user"]
            return guarded(req)
          end}})
        end)
        sleep(3)
    ''' % port, **ory.placeholders()))
    import subprocess
    import sys
    import os
    import time
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "assay", str(script)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.time() < deadline, proc.stderr.read1().decode() if proc.poll() is not None else "no server"
                time.sleep(0.05)

        def get(user=None):
            req = urllib.request.Request("http://127.0.0.1:%d/approve" % port, headers={"X-User": user} if user else {})
            try:
                with urllib.request.urlopen(req) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        assert get() == (401, '{"error":"Authentication required"}')
        assert get("nobody") == (403, '{"error":"approve capability required"}')
        assert get("ann") == (200, "approved")
    finally:
        proc.kill()
        proc.wait()


def test_rbac_21_user_id_validation(lua_fails, ory):
    for call in ('p:user_roles("")', "p:user_roles(nil)", "p:user_capabilities(42)", 'p:add("", "viewer")',
                 'p:remove({}, "viewer")', 'p:user_has_capability(nil, "read")'):
        msg = fails(lua_fails, ory, call)
        assert re.search(r"^assay/ory/rbac\.lua:\d+: assay\.ory\.rbac: user_id must be a non-empty string$", msg), \
            (call, msg)
    assert ory.requests == []


def test_rbac_documented_policy_form(lua, ory):
    """rbac.policy{namespace, keto, roles, default_role}: grant, inspect and revoke through the policy."""
    out = run(lua, ory, '''
        p:add("zed", "admin")
        p:add("zed", "operator")
        local roles = p:user_roles("zed")
        local can_configure = p:user_has_capability("zed", "configure")
        p:remove("zed", "admin")
        return roles, can_configure, p:user_primary_role("zed"), p:user_has_capability("zed", "configure")
    ''')
    assert out == (["admin", "operator"], True, "operator", False)


def test_rbac_both_generations(lua, ory):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    member(ory, "admin", "alice")
    old = run(lua, ory, '''p:add("bob", "operator")
        local out = {p:user_roles("alice")[1], p:user_primary_role("bob"), p:user_has_capability("bob", "trigger"),
                     p:user_has_capability("bob", "approve"), #p:list_members("operator"), p:roles()[1], p:role("admin").rank,
                     p:list_all_memberships().admin[1]}
        p:remove("bob", "operator")
        out[#out + 1] = #p:list_members("operator")
        return out''')
    new = run(lua, ory, '''p.members:add("bob", "operator")
        local out = {p.users:roles("alice")[1], p.users:primary_role("bob"), p.users:has_capability("bob", "trigger"),
                     p.users:has_capability("bob", "approve"), #p.members:list("operator"), p.policy:roles()[1],
                     p.policy:get("admin").rank, p.members:list_all().admin[1]}
        p.members:remove("bob", "operator")
        out[#out + 1] = #p.members:list("operator")
        return out''')
    assert old == new == ["admin", "operator", True, False, 1, "owner", 4, "alice", 0]
