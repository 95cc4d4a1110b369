"""assay.temporal — the HTTP stdlib module (spec stdlib/temporal.md, TEMPORAL_HTTP-01..22) against
the shared Temporal fake (fake_temporal.FakeTemporal), and TEMPORAL-06 (the module beside the
native `temporal` builtin)."""
import os
import re
import time

from fake_temporal import API_KEY, COMPLETED, RUNNING, temporal_fake, temporal_fake_server  # noqa: F401
from fakes import lua_with

REQ = 'local tc = require("assay.temporal")\n'
CLIENT = REQ + 'local c = tc.client("$URL")\n'
WF = "/api/v1/namespaces/default/workflows"


def run(lua, code, url, prelude=CLIENT):
    return lua_with(lua, prelude + code, URL=url)


def fails(lua_fails, code, url, prelude=CLIENT):
    return lua_fails(lua_with(lambda c: c, prelude + code, URL=url))


def test_temporal_06_module_beside_builtin(lua):
    """TEMPORAL-06: the HTTP module loads while the gRPC builtin global stays intact."""
    out = lua(REQ + 'return type(temporal), type(temporal.connect), type(temporal.start), type(tc.client),'
                    ' tc ~= temporal, type(tc.client("http://127.0.0.1:1").workflows)')
    # c.workflows is the callable group table: c:workflows() and c.workflows:list() both work
    assert out == ("table", "function", "function", "function", True, "table")


def test_temporal_http_01_health_true(lua, temporal_fake):
    assert run(lua, "return c:health()", temporal_fake.url) is True
    req = temporal_fake.last()
    assert (req.method, req.target) == ("GET", "/health")
    assert req.header("Content-Type") is None and req.header("Authorization") is None


def test_temporal_http_02_health_false_on_503(lua, temporal_fake):
    temporal_fake.healthy = False
    assert run(lua, "return c:health()", temporal_fake.url) is False
    # the api key is not sent to /health either
    assert run(lua, "return c:health()", temporal_fake.url,
               REQ + 'local c = tc.client("$URL", {api_key = "%s"})\n' % API_KEY) is False
    assert temporal_fake.last().header("Authorization") is None


def test_temporal_http_03_system_info(lua, temporal_fake):
    info = run(lua, "return c:system_info()", temporal_fake.url)
    assert info["serverVersion"] == "1.24.2" and info["capabilities"]["upsertMemo"] is True
    req = temporal_fake.last()
    assert (req.method, req.target) == ("GET", "/api/v1/system-info")
    assert req.header("Content-Type") == "application/json"


def test_temporal_http_04_namespaces(lua, temporal_fake):
    names = run(lua, "local out = {}; for _, n in ipairs(c:namespaces().namespaces) do"
                     " out[#out+1] = n.namespaceInfo.name end; return out", temporal_fake.url)
    assert names == ["default", "production", "staging"]
    assert temporal_fake.last().target == "/api/v1/namespaces"


def test_temporal_http_05_namespace(lua, temporal_fake):
    ns = run(lua, 'return c:namespace("default")', temporal_fake.url)
    assert ns["namespaceInfo"]["state"] == "NAMESPACE_STATE_REGISTERED"
    assert ns["config"]["workflowExecutionRetentionTtl"] == "259200s"
    assert temporal_fake.last().target == "/api/v1/namespaces/default"


def test_temporal_http_06_workflows(lua, temporal_fake):
    ex = run(lua, "return c:workflows()", temporal_fake.url)
    assert [e["execution"]["workflowId"] for e in ex["executions"]] == ["order-123", "order-124", "invoice-9"]
    assert temporal_fake.last().target == WF
    ex = run(lua, "return c:workflows({page_size = 1, query = \"ExecutionStatus='Running'\"})", temporal_fake.url)
    assert [e["execution"]["workflowId"] for e in ex["executions"]] == ["order-123"]
    req = temporal_fake.last()
    assert req.path == WF and req.query_keys == ["query", "pageSize"]
    assert req.query == {"query": ["ExecutionStatus='Running'"], "pageSize": ["1"]}


def test_temporal_http_07_workflow(lua, temporal_fake):
    wf = run(lua, 'return c:workflow("order-123")', temporal_fake.url)
    info = wf["workflowExecutionInfo"]
    assert (info["type"]["name"], info["status"], info["execution"]["runId"]) == ("OrderWorkflow", RUNNING, "run-a1")
    assert temporal_fake.last().target == WF + "/order-123"


def test_temporal_http_08_workflow_run_id(lua, lua_fails, temporal_fake):
    wf = run(lua, 'return c:workflow("order-123", "run-a1")', temporal_fake.url)
    assert wf["workflowExecutionInfo"]["execution"]["runId"] == "run-a1"
    assert temporal_fake.last().target == WF + "/order-123?runId=run-a1"
    msg = fails(lua_fails, 'c:workflow("order-123", "run-zz")', temporal_fake.url)
    assert "temporal: GET %s/order-123?runId=run-zz HTTP 404: " % WF in msg


def test_temporal_http_09_workflow_history(lua, temporal_fake):
    h = run(lua, 'return c:workflow_history("order-123")', temporal_fake.url)
    assert h["history"]["events"][0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert len(h["history"]["events"]) == 4
    assert temporal_fake.last().target == WF + "/order-123/history"
    h = run(lua, 'return c:workflow_history("order-123", "run-a1", {maximum_page_size = 2})', temporal_fake.url)
    assert len(h["history"]["events"]) == 2
    assert temporal_fake.last().target == WF + "/order-123/history?runId=run-a1&maximumPageSize=2"


def test_temporal_http_10_signal(lua, temporal_fake):
    res = run(lua, 'return c:signal_workflow("order-123", "approve", {approver = "alice", level = 2})',
              temporal_fake.url)
    assert res == []  # {} from the server: an empty table
    req = temporal_fake.last()
    assert (req.method, req.target) == ("POST", WF + "/order-123/signal")
    assert req.json() == {"signalName": "approve", "input": {"approver": "alice", "level": 2}}
    assert req.header("Content-Type") == "application/json"
    run(lua, 'return c:signal_workflow("order-123", "ping", nil, {run_id = "run-a1"})', temporal_fake.url)
    req = temporal_fake.last()
    assert req.target == WF + "/order-123/signal?runId=run-a1" and req.json() == {"signalName": "ping"}
    assert [s[1] for s in temporal_fake.signals] == ["order-123", "order-123"]


def test_temporal_http_10_signal_name_in_path_on_temporal_1_22(lua, temporal_fake):
    """A real Temporal HTTP port 404s the gateway path: the module retries with the signal name
    in the path and the input alone in the body (found against a real server)."""
    temporal_fake.gateway_paths = False
    run(lua, 'return c:signal_workflow("order-123", "approve", {approver = "alice"})', temporal_fake.url)
    first, second = [r for r in temporal_fake.requests if r.method == "POST"]
    assert first.target == WF + "/order-123/signal"
    assert (second.target, second.json()) == (WF + "/order-123/signal/approve", {"input": {"approver": "alice"}})
    assert temporal_fake.signals == [("default", "order-123", {"signalName": "approve",
                                                               "input": {"approver": "alice"}})]


def test_temporal_http_01_health_without_health_endpoint(lua, temporal_fake):
    """Temporal's own HTTP port has no /health: a 404 there falls back to system-info."""
    temporal_fake.gateway_paths = False
    assert run(lua, "return c:health()", temporal_fake.url) is True
    assert [r.path for r in temporal_fake.requests] == ["/health", "/api/v1/system-info"]


def test_temporal_http_11_terminate(lua, temporal_fake):
    run(lua, 'return c:terminate_workflow("order-123", "bad input")', temporal_fake.url)
    req = temporal_fake.last()
    assert (req.method, req.target, req.json()) == ("POST", WF + "/order-123/terminate", {"reason": "bad input"})
    status = run(lua, 'return c:workflow("order-123").workflowExecutionInfo.status', temporal_fake.url)
    assert status == "WORKFLOW_EXECUTION_STATUS_TERMINATED"
    # without a reason: an empty JSON object
    run(lua, 'return c:terminate_workflow("invoice-9", nil, {run_id = "run-c3"})', temporal_fake.url)
    req = temporal_fake.last()
    assert req.target == WF + "/invoice-9/terminate?runId=run-c3" and req.body == b"{}"


def test_temporal_http_12_cancel(lua, temporal_fake):
    run(lua, 'return c:cancel_workflow("order-123")', temporal_fake.url)
    req = temporal_fake.last()
    assert (req.method, req.target, req.body) == ("POST", WF + "/order-123/cancel", b"{}")
    run(lua, 'return c:cancel_workflow("invoice-9", {run_id = "run-c3"})', temporal_fake.url)
    assert temporal_fake.last().target == WF + "/invoice-9/cancel?runId=run-c3"


def test_temporal_http_13_task_queue(lua, temporal_fake):
    q = run(lua, 'return c:task_queue("order-queue")', temporal_fake.url)
    assert q["pollers"][0]["identity"] == "worker-1@host" and q["taskQueueStatus"]["backlogCountHint"] == "0"
    assert temporal_fake.last().target == "/api/v1/namespaces/default/task-queues/order-queue"
    run(lua, 'return c:task_queue("order-queue", {task_queue_type = "TASK_QUEUE_TYPE_ACTIVITY"})', temporal_fake.url)
    assert temporal_fake.last().target == \
        "/api/v1/namespaces/default/task-queues/order-queue?taskQueueType=TASK_QUEUE_TYPE_ACTIVITY"


def test_temporal_http_14_schedules(lua, temporal_fake):
    s = run(lua, "return c:schedules()", temporal_fake.url)
    assert [x["scheduleId"] for x in s["schedules"]] == ["daily-report", "hourly-sync"]
    assert temporal_fake.last().target == "/api/v1/namespaces/default/schedules"
    s = run(lua, "return c:schedules({maximum_page_size = 1})", temporal_fake.url)
    assert len(s["schedules"]) == 1
    assert temporal_fake.last().target == "/api/v1/namespaces/default/schedules?maximumPageSize=1"


def test_temporal_http_15_schedule(lua, temporal_fake):
    s = run(lua, 'local s = c:schedule("daily-report"); return s.schedule.state.paused,'
                 ' s.schedule.action.startWorkflow.workflowType.name', temporal_fake.url)
    assert s == (False, "ReportWorkflow")
    assert temporal_fake.last().target == "/api/v1/namespaces/default/schedules/daily-report"


def test_temporal_http_16_search_query_encoded(lua, temporal_fake):
    res = run(lua, "return c:search(\"WorkflowType='OrderWorkflow'\")", temporal_fake.url)
    assert [e["execution"]["workflowId"] for e in res["executions"]] == ["order-123", "order-124"]
    req = temporal_fake.last()
    assert req.path == WF and req.query == {"query": ["WorkflowType='OrderWorkflow'"]}
    assert "'" not in req.raw_query and "=" not in req.raw_query.split("=", 1)[1]
    res = run(lua, "return c:search(\"WorkflowType='OrderWorkflow' AND ExecutionStatus='Completed'\","
                   " {page_size = 10})", temporal_fake.url)
    assert [e["execution"]["workflowId"] for e in res["executions"]] == ["order-124"]
    assert temporal_fake.last().query_keys == ["query", "pageSize"]
    run(lua, "return c:search(nil, {page_size = 2})", temporal_fake.url)
    assert temporal_fake.last().target == WF + "?pageSize=2"


def test_temporal_http_17_is_workflow_running(lua, temporal_fake):
    assert run(lua, 'return c:is_workflow_running("order-123"), c:is_workflow_running("order-124")',
               temporal_fake.url) == (True, False)
    temporal_fake.set("GET", WF + "/odd", 200, {"workflowExecutionInfo": {}})
    assert run(lua, 'return c:is_workflow_running("odd")', temporal_fake.url) is False
    assert run(lua, 'return c:is_workflow_running("prod-wf-1", {namespace = "production"})',
               temporal_fake.url) is True


def test_temporal_http_18_api_key_bearer(lua, lua_fails, temporal_fake):
    prelude = REQ + 'local c = tc.client("$URL", {api_key = "%s"})\n' % API_KEY
    assert run(lua, "return c:system_info().serverVersion", temporal_fake.url, prelude) == "1.24.2"
    assert temporal_fake.last().header("Authorization") == "Bearer " + API_KEY
    run(lua, "return c:system_info()", temporal_fake.url)
    assert temporal_fake.last().header("Authorization") is None
    msg = fails(lua_fails, "c:namespaces()", temporal_fake.url, REQ + 'local c = tc.client("$URL", {api_key = "x"})\n')
    assert "temporal: GET /api/v1/namespaces HTTP 401: " in msg


def test_temporal_http_19_default_namespace_option(lua, temporal_fake):
    prelude = REQ + 'local c = tc.client("$URL///", {namespace = "production"})\n'
    out = run(lua, 'return c.default_namespace, c.url, c:workflow("prod-wf-1").workflowExecutionInfo.type.name',
              temporal_fake.url, prelude)
    assert out == ("production", temporal_fake.url, "DeployWorkflow")
    assert temporal_fake.last().target == "/api/v1/namespaces/production/workflows/prod-wf-1"
    run(lua, "return c:schedules()", temporal_fake.url, prelude)
    assert temporal_fake.last().target == "/api/v1/namespaces/production/schedules"
    assert run(lua, "return c.default_namespace", temporal_fake.url) == "default"


def test_temporal_http_20_per_call_namespace(lua, temporal_fake):
    calls = [
        ('c:workflows({namespace = "staging"})', "GET", "/api/v1/namespaces/staging/workflows"),
        ('c:workflow("stage-wf-1", nil, {namespace = "staging"})', "GET", "/api/v1/namespaces/staging/workflows/stage-wf-1"),
        ('c:workflow_history("stage-wf-1", nil, {namespace = "staging"})', "GET",
         "/api/v1/namespaces/staging/workflows/stage-wf-1/history"),
        ('c:signal_workflow("stage-wf-1", "s", 1, {namespace = "staging"})', "POST",
         "/api/v1/namespaces/staging/workflows/stage-wf-1/signal"),
        ('c:task_queue("q", {namespace = "staging"})', "GET", "/api/v1/namespaces/staging/task-queues/q"),
        ('c:schedules({namespace = "staging"})', "GET", "/api/v1/namespaces/staging/schedules"),
        ('c:schedule("daily-report", {namespace = "staging"})', "GET", "/api/v1/namespaces/staging/schedules/daily-report"),
        ('c:search("WorkflowId=\'stage-wf-1\'", {namespace = "staging"})', "GET", "/api/v1/namespaces/staging/workflows"),
        ('c:is_workflow_running("stage-wf-1", {namespace = "staging"})', "GET",
         "/api/v1/namespaces/staging/workflows/stage-wf-1"),
    ]
    for code, method, path in calls:
        run(lua, "return " + code, temporal_fake.url, REQ + 'local c = tc.client("$URL", {namespace = "production"})\n')
        req = temporal_fake.last()
        assert (req.method, req.path) == (method, path), code
    # terminate / cancel in staging reach the staging namespace (stage-wf-1 is completed → 404)
    for code, path in (('c:terminate_workflow("stage-wf-1", "r", {namespace = "staging"})', "/terminate"),
                       ('c:cancel_workflow("stage-wf-1", {namespace = "staging"})', "/cancel")):
        run(lua, "return pcall(function() return %s end)" % code, temporal_fake.url)
        assert temporal_fake.last().path == "/api/v1/namespaces/staging/workflows/stage-wf-1" + path


# a fake clock: `time` and `sleep` replaced by globals the module looks up at call time
FAKE_CLOCK = '''
local clock, slept = 1000, {}
time = function() return clock end
sleep = function(s) slept[#slept + 1] = s; clock = clock + s end
'''


def test_temporal_http_21_wait_returns_when_not_running(lua, temporal_fake):
    temporal_fake.status_plan["order-123"] = [RUNNING, RUNNING, COMPLETED]
    out = run(lua, FAKE_CLOCK + 'local wf = c:wait_workflow_complete("order-123", 60)\n'
                                'return wf.workflowExecutionInfo.status, slept', temporal_fake.url)
    assert out == (COMPLETED, [5, 5])
    assert [r.target for r in temporal_fake.requests] == [WF + "/order-123"] * 3
    # already finished: returned by the first check, no sleep
    out = run(lua, FAKE_CLOCK + 'local wf = c:wait_workflow_complete("order-124", 60)\n'
                                'return wf.workflowExecutionInfo.execution.workflowId, #slept', temporal_fake.url)
    assert out == ("order-124", 0)


def test_temporal_http_21_wait_timeout(lua, lua_fails, temporal_fake):
    code = FAKE_CLOCK + ('local ok, err = pcall(c.wait_workflow_complete, c, "order-123", 12)\n'
                         'return ok, err, slept')
    ok, err, slept = run(lua, code, temporal_fake.url)
    assert ok is False and slept == [5, 5, 5]
    assert re.search(r"assay/temporal\.lua:\d+: temporal: timeout waiting for workflow order-123 to complete$", err)
    assert len(temporal_fake.requests) == 4  # t=0, 5, 10, 15 (15 >= deadline 12)
    temporal_fake.reset()
    msg = fails(lua_fails, 'c:wait_workflow_complete("order-123", 0)', temporal_fake.url)
    assert msg.endswith("temporal: timeout waiting for workflow order-123 to complete")
    assert len(temporal_fake.requests) == 1


def test_temporal_http_21_wait_real_sleep_five_seconds(lua, temporal_fake):
    """With the real clock: one poll interval of 5 s between the two checks."""
    temporal_fake.status_plan["order-123"] = [RUNNING, COMPLETED]
    started = time.monotonic()
    assert run(lua, 'return c:wait_workflow_complete("order-123", 30).workflowExecutionInfo.status',
               temporal_fake.url) == COMPLETED
    elapsed = time.monotonic() - started
    assert 4.8 <= elapsed < 9, elapsed


def test_temporal_http_22_errors(lua_fails, temporal_fake):
    msg = fails(lua_fails, 'c:namespace("nope")', temporal_fake.url)
    assert re.search(r'assay/\w+\.lua:\d+: temporal: GET /api/v1/namespaces/nope HTTP 404: '
                     r'\{"code": 5, "message": "Namespace nope is not found\.", "details": \[\]\}$', msg), msg
    msg = fails(lua_fails, 'c:search("bogus query")', temporal_fake.url)
    assert "temporal: GET %s?query=bogus%%20query HTTP 400: " % WF in msg
    msg = fails(lua_fails, 'c:terminate_workflow("order-124", "done already")', temporal_fake.url)
    assert "temporal: POST %s/order-124/terminate HTTP 404: " % WF in msg
    temporal_fake.fail("POST", WF + "/order-123/signal", 500, "internal")
    msg = fails(lua_fails, 'c:signal_workflow("order-123", "x", nil, {run_id = "run-a1"})', temporal_fake.url)
    assert msg.endswith("temporal: POST %s/order-123/signal?runId=run-a1 HTTP 500: internal" % WF), msg
    temporal_fake.fail("GET", "/api/v1/system-info", 201, "{}")  # only 200 is success
    assert "temporal: GET /api/v1/system-info HTTP 201: {}" in fails(lua_fails, "c:system_info()", temporal_fake.url)


def test_temporal_http_documented_form(lua, temporal_fake):
    """The documented form M.client(url, opts): list running orders and signal each one."""
    code = REQ + '''
local t = tc.client("$URL", { namespace = "default" })
local signalled = {}
local found = t:search("WorkflowType='OrderWorkflow' AND ExecutionStatus='Running'")
for _, ex in ipairs(found.executions or {}) do
  t:signal_workflow(ex.execution.workflowId, "expedite", { priority = "high" })
  signalled[#signalled + 1] = ex.execution.workflowId
end
return signalled'''
    assert lua_with(lua, code, URL=temporal_fake.url) == ["order-123"]
    assert temporal_fake.signals == [("default", "order-123", {"signalName": "expedite",
                                                               "input": {"priority": "high"}})]


def test_temporal_http_header_metadata():
    """Discovery header (discovery.md §4): the spec's quickrefs verbatim, the documented
    constructor form first (issue 12)."""
    from assay.discovery.metadata import parse
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "temporal.lua")
    meta = parse(open(path, encoding="utf-8").read())
    assert meta.module == "assay.temporal"
    assert meta.description == 'Temporal workflow orchestration. Workflows, task queues, schedules, signals.'
    assert meta.keywords == [
        'temporal',
        'workflows',
        'task-queues',
        'schedules',
        'orchestration',
        'workflow',
        'task-queue',
        'schedule',
        'signal',
        'history',
        'search',
        'namespace',
        'execution',
    ]
    lines = ["%s -> %s | %s" % q for q in meta.quickrefs]
    assert lines == [
        'M.client(url, opts?) -> client | Temporal HTTP client; opts {namespace?, api_key?}',
        'c:health() -> bool | Check Temporal health',
        'c:system_info() -> info | Get system information',
        'c.namespaces:list() -> {namespaces} | List namespaces; flat: c:namespaces()',
        'c.namespaces:get(name) -> namespace | Get namespace by name; flat: c:namespace(name)',
        'c.workflows:list(opts?) -> {executions} | List workflow executions; flat: c:workflows(opts?)',
        'c.workflows:get(workflow_id, run_id?, opts?) -> workflow | Get workflow execution; flat: c:workflow(workflow_id, run_id?, opts?)',
        'c.workflows:history(workflow_id, run_id?, opts?) -> {events} | Get workflow history; flat: c:workflow_history(workflow_id, run_id?, opts?)',
        'c.workflows:signal(workflow_id, signal_name, input?, opts?) -> result | Signal a workflow; flat: c:signal_workflow(workflow_id, signal_name, input?, opts?)',
        'c.workflows:terminate(workflow_id, reason?, opts?) -> result | Terminate a workflow; flat: c:terminate_workflow(workflow_id, reason?, opts?)',
        'c.workflows:cancel(workflow_id, opts?) -> result | Cancel a workflow; flat: c:cancel_workflow(workflow_id, opts?)',
        'c.task_queues:get(name, opts?) -> queue | Get task queue info; flat: c:task_queue(name, opts?)',
        'c.schedules:list(opts?) -> {schedules} | List schedules; flat: c:schedules(opts?)',
        'c.schedules:get(schedule_id, opts?) -> schedule | Get schedule by ID; flat: c:schedule(schedule_id, opts?)',
        'c.workflows:search(query, opts?) -> {executions} | Search workflows by query; flat: c:search(query, opts?)',
        'c.workflows:is_running(workflow_id, opts?) -> bool | Check if workflow is running; flat: c:is_workflow_running(workflow_id, opts?)',
        'c.workflows:wait_complete(workflow_id, timeout_secs, opts?) -> workflow | Wait for completion; flat: c:wait_workflow_complete(workflow_id, timeout_secs, opts?)',
    ]


def test_temporal_http_both_generations(lua, temporal_fake):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''return {#c:namespaces().namespaces, c:namespace("default").namespaceInfo.name,
        #c:workflows().executions, c:workflow("order-123").workflowExecutionInfo.execution.runId,
        #c:workflow_history("order-123").history.events, c:is_workflow_running("order-123"),
        type(c:task_queue("order-queue")), type(c:schedules()), #c:search("WorkflowType='OrderWorkflow'").executions,
        c:health()}''', temporal_fake.url)
    new = run(lua, '''return {#c.namespaces:list().namespaces, c.namespaces:get("default").namespaceInfo.name,
        #c.workflows:list().executions, c.workflows:get("order-123").workflowExecutionInfo.execution.runId,
        #c.workflows:history("order-123").history.events, c.workflows:is_running("order-123"),
        type(c.task_queues:get("order-queue")), type(c.schedules:list()),
        #c.workflows:search("WorkflowType='OrderWorkflow'").executions, c:health()}''', temporal_fake.url)
    assert old == new
    assert old[:6] == [3, "default", 3, "run-a1", 4, True] and old[6:8] == ["table", "table"]
