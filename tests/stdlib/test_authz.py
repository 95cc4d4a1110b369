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
    # a `*` inside a resource is plain text: it matches only itself, never a run of characters
    grants = [grant([allow(["docs.read"], ["doc:*:x"])])]
    assert decide(runtime, case(grants, resource="doc:a:x")) == (False, "no_matching_grant")
    assert decide(runtime, case(grants, resource="doc:*:x")) == (True, "allowed")


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
    assert "test.lua:1: authz.engine: action \"a\" is declared twice" in lua_fails('require("assay.authz").engine({actions = {{action = "a"}, {action = "a"}}})')
    assert "wildcard" in lua_fails('require("assay.authz").engine({actions = {{action = "a.*"}}})')


def test_authz_conditions_fail_closed_for_allow_and_stand_for_deny(runtime):
    missing = {"operator": "StringEquals", "key": "app:Region", "value": "eu"}
    assert decide(runtime, case([grant([allow(["docs.read"], ["doc:*"], [missing])])]))[0] is False
    assert decide(runtime, case([grant([allow(["docs.read"], ["doc:*"], [missing])])],
                                opts={"context": {"app:Region": "eu"}}))[0] is True
    grants = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:*"], [missing], effect="deny")])]
    assert decide(runtime, case(grants)) == (False, "explicit_deny")
    assert decide(runtime, case(grants, opts={"context": {"app:Region": "us"}})) == (True, "allowed")


def test_authz_bounds_narrow_allows_only(runtime):
    bound = [{"operator": "NumericLessThan", "key": "app:Level", "value": "3"}]
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
    ({"operator": "NumericGreaterThan", "key": "request:HourUTC", "value": "11"}, {},
     {"now": "2026-01-01T12:30:00Z"}, True),
])
def test_authz_operators(runtime, condition, context, opts, expected):
    grants = [grant([allow(["docs.read"], ["doc:*"], [condition])])]
    assert decide(runtime, case(grants, opts=dict(opts, context=context)))[0] is expected


def test_authz_validate_names_the_statement_and_problem(lua):
    # statements and conditions are counted from 0 in errors, as in the original
    assert lua('''
      local e = require("assay.authz").engine({actions = {{action = "docs.read"}}})
      local ok, err = e:validate({{effect = "allow", actions = {"docs.read"}, resources = {"doc:*"}},
                                  {effect = "allow", actions = {"docs.delete"}, resources = {"doc:*"}}})
      local _, bound_err = e:validate_bounds({{operator = "IpAddress", key = "nope", value = "1.2.3.4/32"}})
      local _, empty_err = e:validate({})
      return ok, err, bound_err, empty_err''') == (
        None, 'statement 1: unknown or wildcard action "docs.delete"',
        'condition 0: unknown key "nope"', "statements must be a non-empty list")


@pytest.mark.parametrize("condition, problem", [
    ({"operator": "Bogus", "key": "app:Region", "value": "x"}, 'unknown operator "Bogus"'),
    ({"operator": "NumericLessThan", "key": "app:Region", "value": "3"}, "cannot test app:Region (a string key)"),
    ({"operator": "StringIn", "key": "app:Region", "value": "x"}, "StringIn takes values, not value"),
    ({"operator": "StringIn", "key": "app:Region", "values": []}, "needs a non-empty values list"),
    ({"operator": "StringIn", "key": "app:Region", "values": ["a", ""]}, "every entry in values"),
    ({"operator": "StringEquals", "key": "app:Region", "values": ["a"]}, "takes value, not values"),
    ({"operator": "StringEquals", "key": "app:Region", "value": ""}, "value must be a non-empty string"),
    ({"operator": "NumericLessThan", "key": "app:Level", "value": "lots"}, '"lots" is not a number'),
    ({"operator": "DateLessThan", "key": "request:Time", "value": "soon"}, '"soon" is not a date'),
    ({"operator": "DateLessThan", "key": "request:Time", "value": "2027-01-01T00:00:00"}, "has no timezone"),
    ({"operator": "StringLike", "key": "app:Region", "value": "eu|us"}, "no alternation"),
    ({"operator": "StringLike", "key": "app:Region", "value": "eu%"}, "no wildcard"),
    ({"operator": "StringLikeIn", "key": "app:Region", "values": ["e*u"]}, "only one trailing *"),
    ({"operator": "IpAddress", "key": "request:SourceIp", "value": "10.1.2.3"}, "is not an IPv4 or IPv6 CIDR"),
])
def test_authz_validate_bounds_refuses_what_can_never_be_evaluated(runtime, condition, problem):
    src = (r"""local e = require("assay.authz").engine({condition_keys = json.parse(%s)})
               local ok, err = e:validate_bounds({json.parse(%s)})
               return ok, err""" % ("[[%s]]" % json.dumps(KEYS), "[[%s]]" % json.dumps(condition)))
    ok, err = runtime.run_source(src.encode(), "@bounds.lua")
    assert ok is None and err.decode().startswith("condition 0: ") and problem in err.decode()


KEYS = {"app:Region": {"type": "string"}, "app:Level": {"type": "number"},
        "app:Email": {"type": "string", "lowercase": True}}


def test_authz_validate_returns_what_would_be_stored(lua):
    # a number written as a number becomes its text, a lowercase key's bound is lowered
    assert lua('''
      local e = require("assay.authz").engine({condition_keys = {
        ["app:Level"] = {type = "number"}, ["app:Email"] = {type = "string", lowercase = true}}})
      local s = e:validate({{effect = "deny", actions = {"x"}, resources = {"*"}, extra = 1,
        conditions = {{operator = "NumericLessThan", key = "app:Level", value = 2.5},
                      {operator = "StringIn", key = "app:Email", values = {"Ops@Example.com"}}}}})
      local c = s[1].conditions
      return s[1].extra, c[1].value, c[2].values[1], #e:validate_bounds({})''') == (
        None, "2.5", "ops@example.com", 0)


def test_authz_describe_lists_the_vocabulary_as_data(lua):
    assert lua('''
      local e = require("assay.authz").engine({
        scope_kinds = {"org", "space"},
        condition_keys = {["app:Region"] = {type = "string", lowercase = true, title = "Region"}},
        actions = {{action = "docs.read", title = "Read"}, {action = "docs.write", derives_from = "docs.read"},
                   {action = "docs.publish", derives_from = "docs.write"}}})
      local d = e:describe()
      local region, time = d.conditionKeys["app:Region"], d.conditionKeys["request:Time"]
      return d.version, d.actions[1].title, d.actions[2].derivesFrom, table.concat(d.actionClosures["docs.read"], ","),
             #d.actionClosures["docs.publish"], region.lowercase, region.builtIn, region.title,
             table.concat(region.operators, ","), time.builtIn, time.type, table.concat(d.scopeKinds, ","),
             table.concat(d.setOperators, ",")''') == (
        1, "Read", "docs.read", "docs.publish,docs.write", 0, True, None, "Region",
        "StringEquals,StringNotEquals,StringLike,StringIn,StringNotIn,StringLikeIn", True, "date",
        "org,space", "StringIn,StringNotIn,StringLikeIn")


def test_authz_grants_for_returns_grants_in_one_shape(lua):
    assert lua('''
      local a = require("assay.authz")
      local root = {kind = "org", id = "acme"}
      local me = {kind = "user", id = "me", extra = true}
      local s = {{effect = "allow", actions = {"x"}, resources = {"*"}}}
      local e = a.engine({grants = {{policy_id = "p1", policy_name = "reader", subject = me, scope = root, statements = s},
                                    {subject = me, scope = {kind = "org", id = "other"}, statements = s}},
                          synthesized_grants = {{subject = me, scope = root, statements = s}},
                          default_scope_chain = {root}})
      local g = e:grants_for({me})
      return #g, g[1].policyId, g[1].policyName, g[1].subject.extra, g[2].policyId,
             #e:grants_for({me}, {{kind = "org"}})''') == (2, "p1", "reader", None, "", 0)


def test_authz_stored_grants_and_bypass(lua):
    # allowed_by_stored_grants answers "would the explicit grants alone allow it?",
    # whatever a synthesized grant adds or takes away, and survives a bypass
    assert lua('''
      local a = require("assay.authz")
      local root = {kind = "org", id = "acme"}
      local me = {kind = "user", id = "me"}
      local function st(effect) return {{effect = effect, actions = {"x"}, resources = {"*"}}} end
      local only_synth = a.engine({synthesized_grants = {{subject = me, scope = root, statements = st("allow")}},
                                   default_scope_chain = {root}})
      local synth_denies = a.engine({grants = {{subject = me, scope = root, statements = st("allow")}},
                                     synthesized_grants = {{subject = me, scope = root, statements = st("deny")}},
                                     default_scope_chain = {root}, scope_kinds = {"org"}})
      local d1 = only_synth:check({me}, "x", "r")
      local d2 = synth_denies:check({me}, "x", "r")
      local d3 = synth_denies:check({me}, "x", "r", {bypass = true})
      local d4 = synth_denies:check({me}, "x", "r", {bypass = true, scope_chain = {{kind = "galaxy", id = "1"}}})
      return d1.allowed, d1.allowed_by_stored_grants, d2.reason, d2.allowed_by_stored_grants,
             d3.reason, d3.allowed, d3.allowed_by_stored_grants, d4.reason, d4.allowed_by_stored_grants''') == (
        True, False, "explicit_deny", True, "admin_bypass", True, True, "admin_bypass", False)


def test_authz_an_unreadable_condition_outranks_a_false_one(runtime):
    # a deny whose conditions are one false and one unreadable still fires, in either order
    false = {"operator": "StringEquals", "key": "app:Region", "value": "us"}
    broken = {"operator": "StringEquals", "key": "app:Nowhere", "value": "x"}
    for conditions in ([false, broken], [broken, false]):
        grants = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:*"], conditions, "deny")])]
        assert decide(runtime, case(grants, opts={"context": {"app:Region": "eu"}})) == (False, "explicit_deny")
    # with every condition readable, one false one lets the deny pass
    grants = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:*"], [false], "deny")])]
    assert decide(runtime, case(grants, opts={"context": {"app:Region": "eu"}})) == (True, "allowed")


@pytest.mark.parametrize("condition, context, expected", [
    # a numeric bound is text; a Lua number in `value` is an unreadable condition
    ({"operator": "NumericLessThan", "key": "app:Level", "value": "3"}, {"app:Level": 2}, True),
    ({"operator": "NumericLessThan", "key": "app:Level", "value": 3}, {"app:Level": 2}, False),
    ({"operator": "NumericLessThan", "key": "app:Level", "value": "0x10"}, {"app:Level": 15}, True),
    ({"operator": "NumericLessThan", "key": "app:Level", "value": "3"}, {"app:Level": "2"}, False),
    # like-patterns: exact text or one trailing `*`; anything else is no pattern
    ({"operator": "StringLike", "key": "app:Region", "value": "eu-*"}, {"app:Region": "eu-west"}, True),
    ({"operator": "StringLike", "key": "app:Region", "value": "eu-?est"}, {"app:Region": "eu-west"}, False),
    ({"operator": "StringLike", "key": "app:Region", "value": "*west"}, {"app:Region": "eu-west"}, False),
    ({"operator": "StringLike", "key": "app:Region", "value": "1*"}, {"app:Region": 12}, True),
    ({"operator": "StringLike", "key": "app:Region", "value": "tr*"}, {"app:Region": True}, True),
    ({"operator": "StringIn", "key": "app:Region", "values": ["0.5"]}, {"app:Region": 0.5}, True),
    ({"operator": "StringIn", "key": "app:Region", "values": ["a"]}, {"app:Region": []}, False),
    ({"operator": "StringLikeIn", "key": "app:Region", "values": ["eu-*", "us"]}, {"app:Region": ["x", "eu-1"]}, True),
    # a lowercase key compares both sides in lower case
    ({"operator": "StringEquals", "key": "app:Email", "value": "Ops@Example.com"}, {"app:Email": "OPS@example.COM"}, True),
    # dates: a context value may be a bare date or lack seconds; a leap second is no instant
    ({"operator": "DateLessThan", "key": "app:Due", "value": "2027-01-01T00:00:00Z"}, {"app:Due": "2026-12-31"}, True),
    ({"operator": "DateLessThan", "key": "app:Due", "value": "2027-01-01T00:00:00Z"}, {"app:Due": "2026-12-31T23:59+00:00"}, True),
    ({"operator": "DateLessThan", "key": "app:Due", "value": "2027-01-01T00:00:00Z"}, {"app:Due": "2026-06-30T23:59:60Z"}, False),
    ({"operator": "DateLessThan", "key": "app:Due", "value": "2027-01-01T00:00:00Z"}, {"app:Due": "2026-02-30T00:00:00Z"}, False),
])
def test_authz_condition_values(runtime, condition, context, expected):
    keys = dict(KEYS, **{"app:Due": {"type": "date"}})
    grants = [grant([allow(["docs.read"], ["doc:*"], [condition])])]
    assert decide(runtime, case(grants, opts={"context": context}, condition_keys=keys))[0] is expected


@pytest.mark.parametrize("value, source_ip, expected", [
    ("10.0.0.0/8", "10.9.8.7", True),
    ("10.9.8.7", "10.9.8.7", False),        # a bare address is no CIDR: unreadable
    ("10.9.8.7/32", "10.9.8.7", True),
    ("2001:db8::/32", "10.9.8.7", False),   # families never cross
    ("10.0.0.0/8", "010.9.8.7", False),     # a leading zero could read as octal: refused
])
def test_authz_ip_conditions_need_a_cidr(runtime, value, source_ip, expected):
    condition = {"operator": "IpAddress", "key": "request:SourceIp", "value": value}
    grants = [grant([allow(["docs.read"], ["doc:*"], [condition])])]
    assert decide(runtime, case(grants, opts={"source_ip": source_ip}))[0] is expected


def test_authz_the_source_address_comes_only_from_the_check(runtime):
    condition = {"operator": "IpAddress", "key": "request:SourceIp", "value": "10.0.0.0/8"}
    grants = [grant([allow(["docs.read"], ["doc:*"], [condition])])]
    assert decide(runtime, case(grants, opts={"context": {"request:SourceIp": "10.1.1.1"}}))[0] is False


def test_authz_an_empty_set_or_a_refused_bound_never_allows(runtime):
    empty = {"operator": "StringNotIn", "key": "app:Region", "values": []}
    deny = [grant([allow(["docs.read"], ["doc:*"]), allow(["docs.read"], ["doc:*"], [empty], "deny")])]
    assert decide(runtime, case(deny, opts={"context": {"app:Region": "eu"}})) == (False, "explicit_deny")
    # a bound validate_bounds refuses (no timezone) withdraws the allow it bounds
    for value, expected in (("2099-01-01T00:00:00", False), ("2099-01-01T00:00:00Z", True)):
        bound = [{"operator": "DateLessThan", "key": "request:Time", "value": value}]
        grants = [grant([allow(["docs.read"], ["doc:*"])], bounds=bound)]
        assert decide(runtime, case(grants))[0] is expected


def test_authz_a_derivation_loop_never_allows_and_keeps_denies(runtime):
    loop = {"loop.a": "loop.b", "loop.b": "loop.a"}
    allow_base = [grant([allow(["docs.read"], ["doc:*"])])]
    assert decide(runtime, case(allow_base, action="loop.a", action_derivation=loop)) == (False, "no_matching_grant")
    deny_base = [grant([allow(["loop.a"], ["doc:*"]), allow(["docs.read"], ["doc:*"], effect="deny")])]
    assert decide(runtime, case(deny_base, action="loop.a", action_derivation=loop)) == (False, "explicit_deny")


def test_authz_a_grant_of_the_wrong_shape_is_an_error(lua_fails):
    assert "grants[1].statements[1].actions must be a list of strings" in lua_fails(
        'require("assay.authz").engine({grants = {{statements = {{effect = "allow", actions = "x"}}}}})')
    assert "grants[1].bounds must be a list" in lua_fails(
        'require("assay.authz").engine({grants = {{statements = {}, bounds = {a = 1}}}})')
    assert "derives from itself" in lua_fails(
        'require("assay.authz").engine({actions = {{action = "a", derives_from = "a"}}})')


def test_authz_a_grant_without_subject_or_effect_is_skipped(runtime):
    headless = {"scope": ROOT, "statements": [allow(["docs.read"], ["doc:*"])]}
    assert decide(runtime, case([headless])) == (False, "no_matching_grant")
    mixed = grant([{"actions": ["docs.read"], "resources": ["doc:*"]}, allow(["docs.read"], ["doc:*"])])
    assert decide(runtime, case([mixed])) == (True, "allowed")


# ---- properties ---------------------------------------------------------------------

NAMES = st.sampled_from(["docs.read", "docs.write", "users.list", "x"])
RESOURCES = st.sampled_from(["doc:1", "doc:*", "doc:secret", "user:*", "*"])
SUBJECTS = st.sampled_from([ALICE, {"kind": "user", "id": "bob"}, {"kind": "group", "id": "ops"}])
SCOPES = st.sampled_from([ROOT, {"kind": "space", "id": "s1"}, {"kind": "space", "id": "s2"}])
CONDITIONS = st.lists(st.sampled_from([
    {"operator": "StringEquals", "key": "app:Region", "value": "eu"},
    {"operator": "StringLike", "key": "app:Region", "value": "*"},
    {"operator": "NumericLessThan", "key": "app:Level", "value": "3"},
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
    {"operator": "NumericLessThan", "key": "app:Region", "value": "3"},    # operator of another type
    {"operator": "NumericLessThan", "key": "app:Level", "value": 3},       # a bound is always a string
    {"operator": "StringLike", "key": "app:Region", "value": "e*u"},       # `*` not at the end
    {"operator": "IpAddress", "key": "app:Region", "value": "10.0.0.0/8"},  # ip operator on a string key
    {"operator": "StringIn", "key": "app:Region", "values": []},           # empty set
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
