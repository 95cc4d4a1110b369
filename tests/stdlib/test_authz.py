"""assay.authz: the in-process authorization engine (pure Lua, no service to fake).

Example tests pin each rule; property tests (hypothesis) check the two promises a
caller relies on whatever the policy: a matching deny always wins, and anything the
engine does not know (a subject, an action, a key, an operator, a missing value)
never grants access."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


ENGINE = r'''
local authz = require("assay.authz")
local case = json.parse(%s)
local e = authz.engine(case.engine)
local d = e:check(case.subjects, case.action, case.resource, case.opts)
return d.allowed, d.reason
'''


@pytest.fixture(scope="module")
def runtime():
    from assay.builtins import new_runtime
    rt = new_runtime()
    yield rt
    rt.close()


def decide(rt, case):
    """(allowed, reason) for one case: {engine, subjects, action, resource, opts}."""
    text = json.dumps(case)
    allowed, reason = rt.run_source((ENGINE % ("[==[%s]==]" % text)).encode(), "@authz_case.lua")
    return allowed, reason.decode()


ROOT = {"kind": "org", "id": "acme"}
ALICE = {"kind": "user", "id": "alice"}


def grant(statements, subject=ALICE, scope=ROOT, bounds=None):
    g = {"subject": subject, "scope": scope, "statements": statements}
    if bounds is not None:
        g["bounds"] = bounds
    return g


def allow(actions, resources, conditions=None, effect="allow"):
    s = {"effect": effect, "actions": actions, "resources": resources}
    if conditions is not None:
        s["conditions"] = conditions
    return s


def case(grants, action="docs.read", resource="doc:1", opts=None, **engine):
    engine.setdefault("condition_keys", {"app:Region": {"type": "string"}, "app:Level": {"type": "number"}})
    engine["grants"] = grants
    return {"engine": engine, "subjects": [ALICE], "action": action, "resource": resource,
            "opts": dict({"scope_chain": [ROOT]}, **(opts or {}))}


# ---- each rule ----------------------------------------------------------------------

def test_authz_allow_deny_and_nothing(runtime):
    grants = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:secret"], effect="deny")])]
    assert decide(runtime, case(grants)) == (True, "allowed")
    assert decide(runtime, case(grants, resource="doc:secret")) == (False, "explicit_deny")
    assert decide(runtime, case(grants, resource="other:1")) == (False, "no_matching_grant")
    assert decide(runtime, case(grants, action="docs.write")) == (False, "no_matching_grant")


def test_authz_resources_take_only_a_trailing_star(runtime):
    grants = [grant([allow(["docs.read"], ["doc:*:x"])])]
    assert decide(runtime, case(grants, resource="doc:a:x")) == (False, "no_matching_grant")
    assert decide(runtime, case(grants, resource="doc:*:x"))[0] is False


def test_authz_scope_chain_inherits_downward_only(runtime):
    space = {"kind": "space", "id": "s1"}
    root_grant = [grant([allow(["docs.read"], ["doc:*"])])]
    leaf_grant = [grant([allow(["docs.read"], ["doc:*"])], scope=space)]
    assert decide(runtime, case(root_grant, opts={"scope_chain": [ROOT, space]}))[0] is True
    assert decide(runtime, case(leaf_grant, opts={"scope_chain": [ROOT]}))[0] is False
    assert decide(runtime, case(leaf_grant, opts={"scope_chain": [{"kind": "space"}]})) == \
        (False, "malformed_scope_chain")
    assert decide(runtime, case(root_grant, opts={"scope_chain": [ROOT]}, scope_kinds=["space"])) == \
        (False, "undeclared_scope_kind")


def test_authz_actions_derive_for_allow_and_deny(runtime):
    actions = [{"action": "docs.read"}, {"action": "docs.write", "derives_from": "docs.read"}]
    assert decide(runtime, case([grant([allow(["docs.read"], ["doc:*"])])], action="docs.write",
                                actions=actions))[0] is True
    grants = [grant([allow(["docs.write"], ["doc:*"]), allow(["docs.read"], ["doc:*"], effect="deny")])]
    assert decide(runtime, case(grants, action="docs.write", actions=actions)) == (False, "explicit_deny")


def test_authz_a_bad_action_catalogue_is_an_error(lua_fails):
    assert "cycle" in lua_fails('require("assay.authz").engine({actions = {{action = "a", derives_from = "b"}, '
                                '{action = "b", derives_from = "a"}}})')
    assert "duplicate action a" in lua_fails('require("assay.authz").engine({actions = {{action = "a"}, {action = "a"}}})')
    assert "wildcards" in lua_fails('require("assay.authz").engine({actions = {{action = "a.*"}}})')


def test_authz_conditions_fail_closed_for_allow_and_stand_for_deny(runtime):
    missing = {"operator": "StringEquals", "key": "app:Region", "value": "eu"}
    assert decide(runtime, case([grant([allow(["docs.read"], ["doc:*"], [missing])])]))[0] is False
    assert decide(runtime, case([grant([allow(["docs.read"], ["doc:*"], [missing])])],
                                opts={"context": {"app:Region": "eu"}}))[0] is True
    grants = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:*"], [missing], effect="deny")])]
    assert decide(runtime, case(grants)) == (False, "explicit_deny")
    assert decide(runtime, case(grants, opts={"context": {"app:Region": "us"}})) == (True, "allowed")


def test_authz_bounds_narrow_allows_only(runtime):
    bound = [{"operator": "NumericLessThan", "key": "app:Level", "value": 3}]
    grants = [grant([allow(["docs.read"], ["doc:*"])], bounds=bound)]
    assert decide(runtime, case(grants, opts={"context": {"app:Level": 2}}))[0] is True
    assert decide(runtime, case(grants, opts={"context": {"app:Level": 5}}))[0] is False
    deny_only = [grant([allow(["docs.read"], ["doc:*"], effect="deny")], bounds=bound),
                 grant([allow(["docs.read"], ["doc:*"])])]
    assert decide(runtime, case(deny_only, opts={"context": {"app:Level": 5}})) == (False, "explicit_deny")


@pytest.mark.parametrize("condition, context, opts, expected", [
    ({"operator": "StringLike", "key": "app:Region", "value": "eu-*"}, {"app:Region": "eu-west"}, {}, True),
    ({"operator": "StringIn", "key": "app:Region", "values": ["a", "b"]}, {"app:Region": ["x", "b"]}, {}, True),
    ({"operator": "StringNotIn", "key": "app:Region", "values": ["a"]}, {"app:Region": []}, {}, True),
    ({"operator": "StringEquals", "key": "app:Region", "value": "5"}, {"app:Region": 5}, {}, False),
    ({"operator": "StringIn", "key": "app:Region", "value": "a"}, {"app:Region": "a"}, {}, False),
    ({"operator": "IpAddress", "key": "request:SourceIp", "value": "10.0.0.0/8"}, {}, {"source_ip": "10.9.8.7"}, True),
    ({"operator": "IpAddress", "key": "request:SourceIp", "value": "2001:db8::/32"}, {}, {"source_ip": "2001:db8::1"}, True),
    ({"operator": "NotIpAddress", "key": "request:SourceIp", "value": "10.0.0.0/8"}, {}, {}, False),
    ({"operator": "DateLessThan", "key": "request:Time", "value": "2030-01-01T00:00:00Z"}, {},
     {"now": "2029-12-31T23:00:00-02:00"}, False),
    ({"operator": "DateLessThan", "key": "request:Time", "value": "2030-01-01T00:00:00Z"}, {},
     {"now": "2029-12-31T21:00:00-02:00"}, True),
    ({"operator": "NumericGreaterThan", "key": "request:HourUTC", "value": 11}, {},
     {"now": "2026-01-01T12:30:00Z"}, True),
])
def test_authz_operators(runtime, condition, context, opts, expected):
    grants = [grant([allow(["docs.read"], ["doc:*"], [condition])])]
    assert decide(runtime, case(grants, opts=dict(opts, context=context)))[0] is expected


def test_authz_validate_names_the_statement_and_problem(lua):
    assert lua('''
      local e = require("assay.authz").engine({actions = {{action = "docs.read"}}})
      local ok, err = e:validate({{effect = "allow", actions = {"docs.read"}, resources = {"doc:*"}},
                                  {effect = "allow", actions = {"docs.delete"}, resources = {"doc:*"}}})
      local _, bound_err = e:validate_bounds({{operator = "IpAddress", key = "nope", value = "1.2.3.4"}})
      return ok, err, bound_err''') == (None, "statement 2: undeclared action docs.delete",
                                        "bound 1: undeclared condition key nope")


def test_authz_describe_grants_for_bypass_and_stored_grants(lua):
    assert lua('''
      local a = require("assay.authz")
      local root = {kind = "org", id = "acme"}
      local me = {kind = "user", id = "me"}
      local s = {{effect = "allow", actions = {"x"}, resources = {"*"}}}
      local e = a.engine({grants = {{subject = me, scope = {kind = "org", id = "other"}, statements = s}},
                          synthesized_grants = {{subject = me, scope = root, statements = s}},
                          default_scope_chain = {root}})
      local d = e:check({me}, "x", "r")
      return d.allowed, d.allowed_by_stored_grants, #e:grants_for({me}), e:check({}, "x", "r", {bypass = true}).reason,
             e:describe().operators.number[1]''') == (True, False, 1, "admin_bypass", "NumericGreaterThan")


# ---- properties ---------------------------------------------------------------------

NAMES = st.sampled_from(["docs.read", "docs.write", "users.list", "x"])
RESOURCES = st.sampled_from(["doc:1", "doc:*", "doc:secret", "user:*", "*"])
SUBJECTS = st.sampled_from([ALICE, {"kind": "user", "id": "bob"}, {"kind": "group", "id": "ops"}])
SCOPES = st.sampled_from([ROOT, {"kind": "space", "id": "s1"}, {"kind": "space", "id": "s2"}])
CONDITIONS = st.lists(st.sampled_from([
    {"operator": "StringEquals", "key": "app:Region", "value": "eu"},
    {"operator": "StringLike", "key": "app:Region", "value": "*"},
    {"operator": "NumericLessThan", "key": "app:Level", "value": 3},
    {"operator": "StringEquals", "key": "app:Undeclared", "value": "eu"},
    {"operator": "Bogus", "key": "app:Region", "value": "eu"},
    {"operator": "IpAddress", "key": "request:SourceIp", "value": "10.0.0.0/8"},
]), max_size=2)
STATEMENTS = st.builds(lambda effect, actions, resources, conditions: allow(actions, resources, conditions, effect),
                       st.sampled_from(["allow", "deny"]), st.lists(NAMES, min_size=1, max_size=2),
                       st.lists(RESOURCES, min_size=1, max_size=2), CONDITIONS)
GRANTS = st.lists(st.builds(lambda subject, scope, statements: grant(statements, subject, scope),
                            SUBJECTS, SCOPES, st.lists(STATEMENTS, min_size=1, max_size=3)), max_size=4)
CONTEXTS = st.fixed_dictionaries({}, optional={"app:Region": st.sampled_from(["eu", "us", 7]),
                                               "app:Level": st.sampled_from([1, 5, "high"])})
CHAINS = st.lists(SCOPES, min_size=1, max_size=3)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(GRANTS, CHAINS, CONTEXTS, NAMES, st.sampled_from(["doc:1", "doc:secret", "user:7"]),
       st.lists(CONDITIONS, max_size=1), st.data())
def test_authz_property_deny_always_wins(runtime, grants, chain, context, action, resource, deny_conditions, data):
    # whatever else is granted, one deny that matches (its conditions true or not
    # evaluable) at any scope of the chain decides
    scope = data.draw(st.sampled_from(chain))
    pattern = data.draw(st.sampled_from([resource, resource.split(":")[0] + ":*", "*"]))
    conditions = [c for c in (deny_conditions[0] if deny_conditions else [])
                  if c["key"] != "app:Region" or "app:Region" not in context]  # only unevaluable ones
    conditions = [c for c in conditions if c["key"] != "app:Level" or "app:Level" not in context]
    deny = grant([allow([action], [pattern], conditions or None, effect="deny")], ALICE, scope)
    position = data.draw(st.integers(0, len(grants)))
    grants = grants[:position] + [deny] + grants[position:]
    allowed, reason = decide(runtime, case(grants, action=action, resource=resource,
                                           opts={"scope_chain": chain, "context": context}))
    assert (allowed, reason) == (False, "explicit_deny")


UNKNOWN = st.sampled_from([
    {"operator": "StringEquals", "key": "app:Undeclared", "value": "eu"},   # undeclared key
    {"operator": "StringMatches", "key": "app:Region", "value": "eu"},      # unknown operator
    {"operator": "NumericLessThan", "key": "app:Region", "value": 3},      # operator of another type
    {"operator": "NumericLessThan", "key": "app:Level", "value": "3"},     # value of the wrong type
    {"operator": "StringEquals", "key": "app:Missing", "value": "eu"},     # declared, not in the context
    {"operator": "IpAddress", "key": "request:SourceIp", "value": "10.0.0.0/8"},  # no source_ip given
    {"operator": "StringIn", "key": "app:Region", "value": "eu"},          # value where values belong
])


@PROPERTY
@given(st.lists(STATEMENTS.filter(lambda s: s["effect"] == "allow"), min_size=1, max_size=3), UNKNOWN,
       NAMES, st.sampled_from(["doc:1", "user:7"]), st.booleans())
def test_authz_property_unknown_never_allows(runtime, statements, unknown, action, resource, as_bound):
    # every allow carries (or is bounded by) a condition the engine cannot evaluate
    if as_bound:
        grants = [grant(statements, bounds=[unknown])]
    else:
        grants = [grant([dict(s, conditions=(s.get("conditions") or []) + [unknown]) for s in statements])]
    c = case(grants, action=action, resource=resource, opts={"context": {"app:Region": "eu", "app:Level": 1}})
    c["engine"]["condition_keys"]["app:Missing"] = {"type": "string"}
    assert decide(runtime, c)[0] is False
    # an unknown subject or an action nobody named is denied as well
    stranger = dict(c, subjects=[{"kind": "user", "id": "mallory"}])
    stranger["engine"] = dict(c["engine"], grants=[grant(statements)])
    assert decide(runtime, stranger) == (False, "no_matching_grant")
    nobody = dict(stranger, subjects=[ALICE], action="never.named")
    assert decide(runtime, nobody) == (False, "no_matching_grant")
