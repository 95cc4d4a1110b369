"""assay.kargo (spec stdlib/kargo.md, KARGO-01..23) against the shared fake Kubernetes API server."""
from fake_k8s import TOKEN, cond, k8s, obj  # noqa: F401 (fixture)

KARGO = "kargo.akuity.io/v1alpha1"
B = "/apis/kargo.akuity.io/v1alpha1"


def run(lua, fake, code, auth=None, url=None):
    auth = auth or '"%s"' % TOKEN
    return lua('local c = require("assay.kargo").client("%s", %s)\n%s' % (url or fake.url, auth, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.kargo").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def stage(name, phase="Steady", ns="shop", conditions=None, **status):
    status["phase"] = phase
    if conditions is not None:
        status["conditions"] = conditions
    return obj(KARGO, "Stage", name, ns, spec={"requestedFreight": []}, status=status)


def freight(name, ns="shop", labels=None, **status):
    return obj(KARGO, "Freight", name, ns, metadata={"labels": labels or {}},
               spec={"images": [{"repoURL": "ghcr.io/shop/api", "tag": "v1.2.3"}],
                     "commits": [{"repoURL": "https://github.com/shop/cfg", "id": "abc123"}]},
               status=status)


def test_kargo_01_exposes_client(lua):
    assert lua('return type(require("assay.kargo").client)') == "function"


def test_kargo_02_token_and_trailing_slashes(lua, k8s):
    k8s.add(obj(KARGO, "Project", "shop"))
    assert run(lua, k8s, 'return c:project("shop").metadata.name', url=k8s.url + "///") == "shop"
    req = k8s.last()
    assert req.raw_path == B + "/projects/shop"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_kargo_02_options_table_form(lua, k8s):
    """Issue 12: client(url, {token = ...})."""
    k8s.add(stage("dev"))
    assert run(lua, k8s, 'return c:is_stage_healthy("shop", "dev")', auth='{ token = "%s" }' % TOKEN) is True


def test_kargo_03_stages_items(lua, k8s):
    k8s.add(stage("dev"), stage("prod", phase="Promoting"))
    out = run(lua, k8s, 'local s = c:stages("shop")\n'
                        'return #s, s[1].metadata.name, s[1].status.phase, s[2].metadata.name, s[2].status.phase')
    assert out == (2, "dev", "Steady", "prod", "Promoting")
    assert k8s.last().path == B + "/namespaces/shop/stages"


def test_kargo_04_stage(lua, k8s):
    k8s.add(stage("dev", currentFreightId="f-abc", health={"status": "Healthy"}))
    out = run(lua, k8s, 'local s = c:stage("shop", "dev")\nreturn s.status.currentFreightId, s.status.health.status')
    assert out == ("f-abc", "Healthy")
    assert k8s.last().path == B + "/namespaces/shop/stages/dev"


def test_kargo_05_stage_status(lua, k8s):
    k8s.add(stage("dev", currentFreight={"name": "f-new"}, currentFreightId="f-old", health={"status": "Healthy"},
                  conditions=[cond("Healthy", "True")]),
            stage("prod", phase="Promoting", currentFreightId="f-old"))
    out = run(lua, k8s, 'local a = c:stage_status("shop", "dev")\nlocal b = c:stage_status("shop", "prod")\n'
                        'return a.phase, a.current_freight_id, a.health.status, #a.conditions, '
                        'b.current_freight_id, #b.conditions')
    assert out == ("Steady", "f-new", "Healthy", 1, "f-old", 0)


def test_kargo_06_healthy_when_steady(lua, k8s):
    k8s.add(stage("dev", conditions=[cond("Healthy", "False")]))
    assert run(lua, k8s, 'return c:is_stage_healthy("shop", "dev")') is True


def test_kargo_07_healthy_by_last_healthy_condition(lua, k8s):
    k8s.add(stage("a", phase="Promoting", conditions=[cond("Healthy", "False"), cond("Healthy", "True")]),
            stage("b", phase="Promoting", conditions=[cond("Healthy", "True"), cond("Healthy", "False")]))
    assert run(lua, k8s, 'return c:is_stage_healthy("shop", "a"), c:is_stage_healthy("shop", "b")') == (True, False)


def test_kargo_08_unhealthy(lua, k8s):
    k8s.add(stage("prod", phase="Failed", conditions=[cond("Healthy", "False")]), stage("new", phase="NotApproved"))
    assert run(lua, k8s, 'return c:is_stage_healthy("shop", "prod"), c:is_stage_healthy("shop", "new")') == \
        (False, False)


WAIT = '''
slept = {}
sleep = function(n) slept[#slept + 1] = n end
'''


def test_kargo_09_wait_swallows_errors_until_healthy(lua, k8s):
    path = B + "/namespaces/shop/stages/prod"
    k8s.sequence(path, [500, stage("prod", phase="Promoting"), stage("prod")])
    assert run(lua, k8s, WAIT + 'return c:wait_stage_healthy("shop", "prod"), slept') == (True, [5, 5])


def test_kargo_09_wait_timeout(lua, lua_fails, k8s):
    k8s.add(stage("prod", phase="Failed"))
    msg = fails(lua_fails, k8s, WAIT + 'c:wait_stage_healthy("shop", "prod", 10)')
    assert "kargo: stage shop/prod not healthy after 10s" in msg
    assert len(k8s.requests) == 3  # at 0, 5 and 10 s: the last look is at the deadline
    out = run(lua, k8s, WAIT + 'local ok, err = pcall(c.wait_stage_healthy, c, "shop", "ghost")\nreturn ok, err, #slept')
    assert out[0] is False and "kargo: stage shop/ghost not healthy after 60s" in out[1] and out[2] == 12


def test_kargo_10_freight_list(lua, k8s):
    k8s.add(freight("f-1"), freight("f-2"))
    out = run(lua, k8s, 'local f = c:freight_list("shop")\nreturn #f, f[1].metadata.name, f[2].metadata.name')
    assert out == (2, "f-1", "f-2")
    assert k8s.last().raw_path == B + "/namespaces/shop/freight"


def test_kargo_11_freight_list_selectors(lua, k8s):
    k8s.add(freight("f-1", labels={"kargo.akuity.io/stage": "dev", "kargo.akuity.io/warehouse": "main"}),
            freight("f-2", labels={"kargo.akuity.io/stage": "prod", "kargo.akuity.io/warehouse": "main"}),
            freight("f-3", labels={"kargo.akuity.io/warehouse": "other"}))
    out = run(lua, k8s, '''
local a = c:freight_list("shop", { stage = "dev" })
local b = c:freight_list("shop", { warehouse = "main" })
local both = c:freight_list("shop", { stage = "prod", warehouse = "main" })
return #a, a[1].metadata.name, #b, #both, both[1].metadata.name''')
    assert out == (1, "f-1", 2, 1, "f-2")
    stage_req, wh_req, both_req = k8s.requests
    assert stage_req.params("labelSelector") == ["kargo.akuity.io/stage=dev"]
    assert wh_req.params("labelSelector") == ["kargo.akuity.io/warehouse=main"]
    # spec Note: one selector with both requirements (stage first), as the API expects
    assert both_req.params("labelSelector") == ["kargo.akuity.io/stage=prod,kargo.akuity.io/warehouse=main"]


def test_kargo_12_freight(lua, k8s):
    k8s.add(freight("f-1"))
    out = run(lua, k8s, 'local f = c:freight("shop", "f-1")\nreturn f.spec.images[1].tag, f.spec.commits[1].id')
    assert out == ("v1.2.3", "abc123")
    assert k8s.last().path == B + "/namespaces/shop/freight/f-1"


def test_kargo_13_freight_status(lua, k8s):
    k8s.add(freight("f-1", verifiedIn={"dev": {}}, approvedFor={"prod": {}}), freight("f-2"))
    out = run(lua, k8s, 'local s = c:freight_status("shop", "f-1")\n'
                        'return s.verifiedIn.dev ~= nil, s.approvedFor.prod ~= nil, next(c:freight_status("shop", "f-2"))')
    assert out == (True, True, None)


def promotion(name, stage_name="prod", **status):
    return obj(KARGO, "Promotion", name, "shop", metadata={"labels": {"kargo.akuity.io/stage": stage_name}},
               spec={"stage": stage_name, "freight": "f-1"}, status=status)


def test_kargo_14_promotions(lua, k8s):
    k8s.add(promotion("prod-1"), promotion("dev-1", stage_name="dev"))
    out = run(lua, k8s, 'local all = c:promotions("shop")\nlocal p = c:promotions("shop", { stage = "prod" })\n'
                        'return #all, #p, p[1].metadata.name')
    assert out == (2, 1, "prod-1")
    assert k8s.requests[0].raw_path == B + "/namespaces/shop/promotions"
    assert k8s.requests[1].path == B + "/namespaces/shop/promotions"
    assert k8s.requests[1].query == [("labelSelector", "kargo.akuity.io/stage=prod")]


def test_kargo_15_promotion(lua, k8s):
    k8s.add(promotion("prod-1"))
    assert run(lua, k8s, 'return c:promotion("shop", "prod-1").spec.stage') == "prod"
    assert k8s.last().path == B + "/namespaces/shop/promotions/prod-1"


def test_kargo_16_promotion_status(lua, k8s):
    k8s.add(promotion("a", phase="Succeeded", message="done", freight={"name": "f-9"}, freightId="f-old"),
            promotion("b", phase="Running", freightId="f-7"))
    out = run(lua, k8s, 'local a = c:promotion_status("shop", "a")\nlocal b = c:promotion_status("shop", "b")\n'
                        'return a.phase, a.message, a.freight_id, b.phase, b.message, b.freight_id')
    assert out == ("Succeeded", "done", "f-9", "Running", None, "f-7")


def test_kargo_17_promote(lua, k8s):
    out = run(lua, k8s, 'local p = c:promote("shop", "prod", "f-1")\n'
                        'return p.kind, p.metadata.name:sub(1, 5), #p.metadata.name > 5, p.spec.freight')
    assert out == ("Promotion", "prod-", True, "f-1")
    req = k8s.last()
    assert (req.method, req.path) == ("POST", B + "/namespaces/shop/promotions")
    assert req.json() == {"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "Promotion",
                          "metadata": {"namespace": "shop", "generateName": "prod-"},
                          "spec": {"stage": "prod", "freight": "f-1"}}


def test_kargo_18_warehouses(lua, k8s):
    k8s.add(obj(KARGO, "Warehouse", "main", "shop"))
    assert run(lua, k8s, 'return c:warehouses("shop")[1].metadata.name') == "main"
    assert k8s.last().path == B + "/namespaces/shop/warehouses"


def test_kargo_19_warehouse(lua, k8s):
    k8s.add(obj(KARGO, "Warehouse", "main", "shop"))
    assert run(lua, k8s, 'return c:warehouse("shop", "main").kind') == "Warehouse"
    assert k8s.last().path == B + "/namespaces/shop/warehouses/main"


def test_kargo_20_projects(lua, k8s):
    k8s.add(obj(KARGO, "Project", "shop"), obj(KARGO, "Project", "blog"))
    out = run(lua, k8s, 'local p = c:projects()\nreturn #p, p[1].metadata.name')
    assert out == (2, "blog")
    assert k8s.last().path == B + "/projects"


def test_kargo_21_project(lua, k8s):
    k8s.add(obj(KARGO, "Project", "shop"))
    assert run(lua, k8s, 'return c:project("shop").kind') == "Project"
    assert k8s.last().path == B + "/projects/shop"


def test_kargo_22_pipeline_status(lua, k8s):
    k8s.add(stage("a-dev", currentFreightId="f-3"),
            stage("b-staging", phase="Promoting", currentFreight={"name": "f-2"}, conditions=[cond("Healthy", "True")]),
            stage("c-prod", phase="Failed", currentFreightId="f-1", conditions=[cond("Healthy", "False")]))
    out = run(lua, k8s, 'return c:pipeline_status("shop")')
    assert out == [
        {"name": "a-dev", "phase": "Steady", "freight": "f-3", "healthy": True},
        {"name": "b-staging", "phase": "Promoting", "freight": "f-2", "healthy": True},
        {"name": "c-prod", "phase": "Failed", "freight": "f-1", "healthy": False},
    ]


def test_kargo_23_errors(lua_fails, k8s):
    msg = fails(lua_fails, k8s, 'return c:stage("shop", "ghost")')
    assert "kargo: GET " + B + "/namespaces/shop/stages/ghost HTTP 404: " in msg and "NotFound" in msg
    k8s.uninstall(KARGO)
    msg = fails(lua_fails, k8s, 'return c:stages("shop")')
    assert "kargo: GET " + B + "/namespaces/shop/stages HTTP 404: 404 page not found" in msg
    k8s.reset()
    k8s.fail(B + "/namespaces/shop/promotions", 403, body="denied", method="POST")
    msg = fails(lua_fails, k8s, 'return c:promote("shop", "prod", "f-1")')
    assert "kargo: POST " + B + "/namespaces/shop/promotions HTTP 403: denied" in msg


def test_kargo_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(stage("dev", conditions=[cond("Healthy", "True")]), stage("prod", phase="Failed"), freight("f1"))
    old = run(lua, k8s, '''return {#c:stages("shop"), c:stage("shop", "dev").metadata.name, c:is_stage_healthy("shop", "dev"),
        c:stage_status("shop", "prod").phase, #c:freight_list("shop"), c:freight("shop", "f1").metadata.name,
        #c:promotions("shop"), #c:pipeline_status("shop")}''')
    new = run(lua, k8s, '''return {#c.stages:list("shop"), c.stages:get("shop", "dev").metadata.name,
        c.stages:is_healthy("shop", "dev"), c.stages:status("shop", "prod").phase, #c.freight:list("shop"),
        c.freight:get("shop", "f1").metadata.name, #c.promotions:list("shop"), #c.stages:pipeline_status("shop")}''')
    assert old == new
    assert old[:4] == [2, "dev", old[2], "Failed"] and old[4:7] == [1, "f1", 0]
    # c:freight(ns, name) (0.8.3) and c.freight:get(ns, name) (0.19) share the name "freight"
    run(lua, k8s, 'local p = c.promotions:create("shop", "dev", "f1"); assert(p.spec.stage == "dev")')
    assert k8s.last().method == "POST"
