"""assay.ory.keto (spec stdlib/ory.keto.md, KETO-01..16) against the Keto read/write APIs of
the shared Ory fake (fake_ory.FakeOry)."""
import re

from fake_ory import ory, ory_server  # noqa: F401 (fixtures)
from fakes import lua_with

CLIENT = ('local keto = require("assay.ory.keto")\n'
          'local c = keto.client("$KETO_READ/", {write_url = "$KETO_WRITE/"})\n')


def run(lua, fake, code):
    return lua_with(lua, CLIENT + code, **fake.placeholders())


def fails(lua_fails, fake, code):
    return lua_with(lua_fails, CLIENT + code, **fake.placeholders())


def seed_roles(fake):
    fake.add_tuple("Role", "app:admin", "members", "user:alice")
    fake.add_tuple("Role", "app:viewer", "members", "user:alice")
    fake.add_tuple("Role", "app:viewer", "members", "user:bob")
    fake.add_tuple("Group", "eng", "members", "user:carol")


def test_keto_01_module_has_client(lua):
    assert lua('return type(require("assay.ory.keto").client)') == "function"


def test_keto_01_client_fields_strip_slashes(lua, ory):
    read, write = run(lua, ory, "return c.read_url, c.write_url")
    assert (read, write) == (ory.keto_read.url, ory.keto_write.url)
    assert lua('return require("assay.ory.keto").client("http://k:4466//").write_url') is None


def test_keto_02_list_by_namespace(lua, ory):
    seed_roles(ory)
    out = run(lua, ory, 'return c:list({namespace = "Role"})')
    assert [t["object"] for t in out["relation_tuples"]] == ["app:admin", "app:viewer", "app:viewer"]
    assert out["next_page_token"] == ""
    req = ory.last("keto_read")
    assert (req.method, req.path, req.raw_query) == ("GET", "/relation-tuples", "namespace=Role")


def test_keto_02_list_one_page_with_token(lua, ory):
    seed_roles(ory)
    out = run(lua, ory, 'return c:list({namespace = "Role", page_size = 2})')
    assert len(out["relation_tuples"]) == 2 and out["next_page_token"] == "2"
    out = run(lua, ory, 'return c:list({namespace = "Role", page_size = 2, page_token = "2"})')
    assert [t["subject_id"] for t in out["relation_tuples"]] == ["user:bob"]
    assert ory.last("keto_read").query == {"namespace": "Role", "page_size": "2", "page_token": "2"}


def test_keto_03_list_omits_nil_and_empty_filters(lua, ory):
    seed_roles(ory)
    out = run(lua, ory, 'return c:list({namespace = "Role", object = "", relation = "members", '
                        'subject_id = "user:bob"})')
    assert [t["object"] for t in out["relation_tuples"]] == ["app:viewer"]
    req = ory.last("keto_read")
    assert req.query_keys == ["namespace", "relation", "subject_id"]
    run(lua, ory, 'return c:list()')
    assert ory.last("keto_read").target == "/relation-tuples"


def test_keto_04_check_subject_id_allowed(lua, ory):
    seed_roles(ory)
    assert run(lua, ory, 'return c:check("Role", "app:admin", "members", "user:alice")') is True
    req = ory.last("keto_read")
    assert req.path == "/relation-tuples/check"
    assert req.query == {"namespace": "Role", "object": "app:admin", "relation": "members", "subject_id": "user:alice"}


def test_keto_04_check_follows_subject_sets(lua, ory):
    ory.add_tuple("Group", "eng", "members", "user:carol")
    ory.add_tuple("Document", "design", "viewers", subject_set=("Group", "eng", "members"))
    assert run(lua, ory, 'return c:check("Document", "design", "viewers", "user:carol")') is True


def test_keto_05_check_false_on_200_and_403(lua, ory):
    seed_roles(ory)
    # the fake answers 403 {"allowed": false} like Keto's check endpoint
    assert run(lua, ory, 'return c:check("Role", "app:admin", "members", "user:bob")') is False
    assert ory.last("keto_read").path == "/relation-tuples/check"
    # some deployments (the /openapi variant behind a proxy) answer 200 {"allowed": false}
    ory.fail("keto_read", "GET", "/relation-tuples/check", 200, '{"allowed":false}', "application/json")
    assert run(lua, ory, 'return c:check("Role", "app:admin", "members", "user:alice")') is False


def test_keto_06_check_with_subject_set(lua, ory):
    ory.add_tuple("Document", "design", "viewers", subject_set=("Group", "eng", "members"))
    code = ('return c:check("Document", "design", "viewers", '
            '{namespace = "Group", object = "eng", relation = "members"})')
    assert run(lua, ory, code) is True
    q = ory.last("keto_read").query
    assert q == {"namespace": "Document", "object": "design", "relation": "viewers",
                 "subject_set_namespace": "Group", "subject_set_object": "eng", "subject_set_relation": "members"}
    assert "subject_id" not in q


def test_keto_07_check_other_status_raises(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:check("Nope", "x", "members", "user:a")')
    assert re.search(r'^assay/(ory/keto|_http)\.lua:\d+: keto: check failed HTTP 404: '
                     r'\{"error": \{"code": 404, .*Unknown namespace', msg), msg
    ory.fail("keto_read", "GET", "/relation-tuples/check", 500, "boom")
    msg = fails(lua_fails, ory, 'c:check("Role", "x", "members", "user:a")')
    assert msg.endswith("keto: check failed HTTP 500: boom")


def test_keto_08_expand_default_depth(lua, ory):
    ory.add_tuple("Group", "eng", "members", "user:carol")
    ory.add_tuple("Document", "design", "viewers", "user:dave")
    ory.add_tuple("Document", "design", "viewers", subject_set=("Group", "eng", "members"))
    tree = run(lua, ory, 'return c:expand("Document", "design", "viewers")')
    req = ory.last("keto_read")
    assert req.path == "/relation-tuples/expand"
    assert req.query == {"namespace": "Document", "object": "design", "relation": "viewers", "max-depth": "3"}
    assert tree["type"] == "union" and tree["tuple"]["object"] == "design"
    leaves = [c["tuple"].get("subject_id") for c in tree["children"] if c["type"] == "leaf"]
    assert leaves == ["user:dave"]
    nested = [c for c in tree["children"] if c["type"] != "leaf"]
    assert [n["tuple"]["object"] for n in nested] == ["eng"]
    assert [leaf["tuple"]["subject_id"] for leaf in nested[0]["children"]] == ["user:carol"]
    run(lua, ory, 'return c:expand("Document", "design", "viewers", 1)')
    assert ory.last("keto_read").query["max-depth"] == "1"


def test_keto_09_get_user_roles(lua, ory):
    seed_roles(ory)
    roles = run(lua, ory, 'return c:get_user_roles("alice")')
    assert roles == [{"object": "app:admin", "relation": "members"}, {"object": "app:viewer", "relation": "members"}]
    assert ory.last("keto_read").query == {"namespace": "Role", "relation": "members", "subject_id": "user:alice"}
    assert run(lua, ory, 'return c:get_user_roles("carol", "Group")') == [{"object": "eng", "relation": "members"}]
    assert ory.last("keto_read").query["namespace"] == "Group"


def test_keto_10_get_user_roles_keeps_prefix(lua, ory):
    seed_roles(ory)
    roles = run(lua, ory, 'return c:get_user_roles("user:bob")')
    assert roles == [{"object": "app:viewer", "relation": "members"}]
    assert ory.last("keto_read").query["subject_id"] == "user:bob"


def test_keto_11_user_has_any_role(lua, ory):
    seed_roles(ory)
    assert run(lua, ory, 'return c:user_has_any_role("bob", {"app:admin", "app:owner"})') is False
    assert run(lua, ory, 'return c:user_has_any_role("bob", {"app:admin", "app:viewer"})') is True
    assert run(lua, ory, 'return c:user_has_any_role("carol", {"eng"}, "Group")') is True


def test_keto_12_create_puts_tuple_on_write_api(lua, ory):
    out = run(lua, ory, 'return select("#", c:create({namespace = "Role", object = "app:admin", '
                        'relation = "members", subject_id = "user:zoe"}))')
    assert out == 0  # returns nothing
    req = ory.last("keto_write")
    assert (req.method, req.path) == ("PUT", "/admin/relation-tuples")
    assert req.json() == {"namespace": "Role", "object": "app:admin", "relation": "members", "subject_id": "user:zoe"}
    assert req.header("Content-Type") == "application/json"
    assert {"namespace": "Role", "object": "app:admin", "relation": "members", "subject_id": "user:zoe"} in ory.tuples
    # subject-set tuple
    run(lua, ory, 'c:create({namespace = "Document", object = "d1", relation = "viewers", '
                  'subject_set = {namespace = "Group", object = "eng", relation = "members"}})')
    assert ory.tuples[-1]["subject_set"] == {"namespace": "Group", "object": "eng", "relation": "members"}
    assert not [r for r in ory.keto_read.requests if r.method == "PUT"]


def test_keto_12_create_error(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:create({namespace = "Nope", object = "x", relation = "r", subject_id = "u"})')
    assert "keto: create tuple HTTP 404: " in msg and "Unknown namespace" in msg


def test_keto_13_write_methods_need_write_url(lua_fails, ory):
    for call in ('c:create({namespace = "Role", object = "a", relation = "members", subject_id = "user:x"})',
                 'c:delete({namespace = "Role", object = "a", relation = "members", subject_id = "user:x"})',
                 'c:delete_all({namespace = "Role"})'):
        code = 'local c = require("assay.ory.keto").client("$KETO_READ")\n' + call
        msg = lua_with(lua_fails, code, **ory.placeholders())
        assert re.search(r"^assay/ory/keto\.lua:\d+: keto: write_url not configured — pass opts.write_url "
                         r"to keto.client\(\)$", msg), msg
    assert ory.keto_write.requests == []


def test_keto_14_delete_tuple(lua, ory):
    seed_roles(ory)
    run(lua, ory, 'c:delete({namespace = "Role", object = "app:viewer", relation = "members", '
                  'subject_id = "user:bob", extra = "ignored"})')
    req = ory.last("keto_write")
    assert (req.method, req.path) == ("DELETE", "/admin/relation-tuples")
    assert req.query == {"namespace": "Role", "object": "app:viewer", "relation": "members", "subject_id": "user:bob"}
    assert not [t for t in ory.tuples if t.get("subject_id") == "user:bob"]
    assert len(ory.tuples) == 3


def test_keto_14_delete_error(lua_fails, ory):
    ory.fail("keto_write", "DELETE", "/admin/relation-tuples", 500, "db down")
    msg = fails(lua_fails, ory, 'c:delete({namespace = "Role", object = "a", relation = "members", subject_id = "u"})')
    assert msg.endswith("keto: delete tuple HTTP 500: db down")


def test_keto_15_delete_all(lua, lua_fails, ory):
    seed_roles(ory)
    run(lua, ory, 'c:delete_all({namespace = "Role", object = "app:viewer", relation = "members"})')
    req = ory.last("keto_write")
    assert req.method == "DELETE" and req.query == {"namespace": "Role", "object": "app:viewer", "relation": "members"}
    assert [t["object"] for t in ory.tuples] == ["app:admin", "eng"]
    msg = fails(lua_fails, ory, 'c:delete_all({namespace = "Nope"})')
    assert "keto: delete_all HTTP 404: " in msg


def test_keto_16_read_errors(lua_fails, ory):
    msg = fails(lua_fails, ory, 'c:list({namespace = "Nope", object = "a b#c"})')
    assert re.search(r"keto: GET /relation-tuples\?namespace=Nope&object=a%20b%23c HTTP 404: .*Unknown namespace",
                     msg), msg
    ory.fail("keto_read", "GET", "/relation-tuples/expand", 503, "unavailable")
    msg = fails(lua_fails, ory, 'c:expand("Role", "a", "members")')
    assert msg.endswith("keto: GET /relation-tuples/expand?namespace=Role&object=a&relation=members&max-depth=3 "
                        "HTTP 503: unavailable")


def test_keto_values_are_percent_encoded(lua, ory):
    """Keto objects and subjects may hold `#`, `@`, `:` and spaces (spec: encode query values)."""
    ory.add_tuple("Document", "reports/2024 Q1#draft", "owners", "user:a@b.example")
    out = run(lua, ory, 'return c:list({namespace = "Document", object = "reports/2024 Q1#draft"})')
    assert out["relation_tuples"][0]["subject_id"] == "user:a@b.example"
    assert "reports%2F2024%20Q1%23draft" in ory.last("keto_read").raw_query
    assert run(lua, ory, 'return c:check("Document", "reports/2024 Q1#draft", "owners", "user:a@b.example")') is True


def test_keto_documented_client_form(lua, ory):
    """keto.client(read_url, {write_url}): grant, check, list, revoke round trip."""
    out = run(lua, ory, '''
        local t = {namespace = "App", object = "billing", relation = "editors", subject_id = "user:eve"}
        local before = c:check("App", "billing", "editors", "user:eve")
        c:create(t)
        local after = c:check("App", "billing", "editors", "user:eve")
        local listed = c:list({namespace = "App"}).relation_tuples
        c:delete(t)
        return before, after, #listed, c:check("App", "billing", "editors", "user:eve")
    ''')
    assert out == (False, True, 1, False)


def test_keto_both_generations(lua, ory):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    seed_roles(ory)
    old = run(lua, ory, '''c:create({namespace = "Role", object = "app:ops", relation = "members", subject_id = "user:old"})
        local out = {#c:list({namespace = "Role", relation = "members"}).relation_tuples,
            c:check("Role", "app:admin", "members", "user:alice"), c:check("Role", "app:admin", "members", "user:bob"),
            #c:get_user_roles("alice"), c:user_has_any_role("bob", {"app:viewer"}), c:expand("Role", "app:viewer", "members") ~= nil}
        c:delete({namespace = "Role", object = "app:ops", relation = "members", subject_id = "user:old"})
        return out''')
    new = run(lua, ory, '''c.tuples:create({namespace = "Role", object = "app:ops", relation = "members", subject_id = "user:new"})
        local out = {#c.tuples:list({namespace = "Role", relation = "members"}).relation_tuples,
            c.permissions:check("Role", "app:admin", "members", "user:alice"),
            c.permissions:check({namespace = "Role", object = "app:admin", relation = "members", subject_id = "user:bob"}),
            #c.roles:user_roles("alice"), c.roles:has_any("bob", {"app:viewer"}),
            c.permissions:expand("Role", "app:viewer", "members") ~= nil}
        c.tuples:delete({namespace = "Role", object = "app:ops", relation = "members", subject_id = "user:new"})
        return out''')
    assert old == new == [4, True, False, 2, True, True]
    assert run(lua, ory, '''return c.permissions:batch_check({
        {namespace = "Role", object = "app:admin", relation = "members", subject_id = "user:alice"},
        {namespace = "Role", object = "app:admin", relation = "members", subject_id = "user:carol"}})''') == [True, False]


def test_keto_tuples_upsert(lua, ory):
    """tuples:upsert keeps exactly one copy: created, then noop, then repaired after duplicates appear."""
    tuple_ = '{namespace = "Role", object = "app:admin", relation = "members", subject_id = "user:dana"}'
    assert run(lua, ory, "return c.tuples:upsert(%s)" % tuple_) == ("created", 0)
    assert run(lua, ory, "return c:upsert(%s)" % tuple_) == ("noop", 0)
    dana = {"namespace": "Role", "object": "app:admin", "relation": "members", "subject_id": "user:dana"}
    assert ory.tuples.count(dana) == 1
    ory.tuples.extend([dict(dana), dict(dana)])  # a store that allowed duplicates
    assert run(lua, ory, "return c.tuples:upsert(%s)" % tuple_) == ("repaired", 2)
    assert ory.tuples.count(dana) == 1
    # subject sets are one identity too
    subject_set = '{namespace = "Role", object = "app:viewer", relation = "members", ' \
                  'subject_set = {namespace = "Group", object = "eng", relation = "members"}}'
    assert run(lua, ory, "return c.tuples:upsert(%s)" % subject_set) == ("created", 0)
    assert run(lua, ory, "return c.tuples:upsert(%s)" % subject_set) == ("noop", 0)
