"""The `temporal` builtin (gRPC) and assay.temporal (HTTP API) against a real Temporal dev server
(`temporal server start-dev`), with a real worker running ApprovalWorkflow (temporal_worker.py)."""
import pytest

from temporal_worker import TASK_QUEUE, TemporalWorker

pytestmark = pytest.mark.real_server("temporal")

NO_GRPC = "this assay build has no Temporal gRPC client"


@pytest.fixture(scope="module")
def worker(real_temporal):
    pytest.importorskip("temporalio", reason="the Temporal SDK (pip install 'assay[full]')")
    w = TemporalWorker(real_temporal.creds["grpc"])
    yield w
    w.stop()


@pytest.fixture
def grpc_flow(assay, flow, tmp_path):
    """flow() for scripts using the builtin; a binary built without the gRPC client skips."""
    probe = tmp_path / "probe.lua"
    probe.write_text('local ok, err = pcall(temporal.connect, {url = "127.0.0.1:1"})\n'
                     'print(tostring(err))\n')
    out = assay(probe, timeout=60).stdout
    if NO_GRPC in out:
        pytest.skip("the assay under test is built without the Temporal gRPC client (assay-full has it)")
    return flow


def test_builtin_start_describe_query_signal_result(grpc_flow, real_temporal, worker, uid):
    out = grpc_flow("""
local c = temporal.connect({url = env.get("GRPC"), namespace = "default"})
local run = c:start_workflow({task_queue = env.get("QUEUE"), workflow_type = "ApprovalWorkflow",
  workflow_id = env.get("ID"), input = {change = "deploy", env = "prod", replicas = 3}})
local before = c:describe_workflow(run.workflow_id)
local state = c:query_workflow({workflow_id = run.workflow_id, query_type = "state"})
c:signal_workflow({workflow_id = run.workflow_id, signal_name = "approve", input = {by = "alice"}})
local result = c:get_result({workflow_id = run.workflow_id})
local after = c:describe_workflow({workflow_id = run.workflow_id})
local ok, err = pcall(c.describe_workflow, c, "no-such-" .. env.get("ID"))
print(json.encode({run_id = #run.run_id > 0, id = run.workflow_id, before = before.status,
  type = before.workflow_type, state = state, result = result, after = after.status,
  closed = after.close_time >= after.start_time, history = after.history_length, missing = err}))
""", GRPC=real_temporal.creds["grpc"], QUEUE=TASK_QUEUE, ID=uid)
    assert out["run_id"] is True and out["id"] == uid
    assert out["before"] == "RUNNING" and out["type"] == "ApprovalWorkflow"
    assert out["state"] == {"state": "waiting", "by": None} or out["state"] == {"state": "waiting"}
    assert out["result"] == {"approved": True, "by": "alice",
                             "request": {"change": "deploy", "env": "prod", "replicas": 3}}
    assert out["after"] == "COMPLETED" and out["closed"] is True and out["history"] > 5
    assert out["missing"].startswith("temporal describe: NotFound: ")


def test_builtin_terminate_and_cancel(grpc_flow, real_temporal, worker, uid):
    out = grpc_flow("""
local c = temporal.connect({url = env.get("GRPC")})
local id = env.get("ID")
local function start(suffix)
  return temporal.start({url = env.get("GRPC"), task_queue = env.get("QUEUE"),
    workflow_type = "ApprovalWorkflow", workflow_id = id .. suffix, input = {change = suffix}})
end
start("-term")
start("-cancel")
c:terminate_workflow({workflow_id = id .. "-term", reason = "rolled back"})
c:cancel_workflow(id .. "-cancel")
local _, term_err = pcall(c.get_result, c, {workflow_id = id .. "-term"})
local _, cancel_err = pcall(c.get_result, c, {workflow_id = id .. "-cancel"})
print(json.encode({term = c:describe_workflow(id .. "-term").status, term_err = term_err,
  cancel = c:describe_workflow(id .. "-cancel").status, cancel_err = cancel_err}))
""", GRPC=real_temporal.creds["grpc"], QUEUE=TASK_QUEUE, ID=uid)
    assert out["term"] == "TERMINATED"
    assert out["term_err"] == "temporal get_result: workflow terminated: rolled back"
    assert out["cancel"] == "CANCELED"
    assert out["cancel_err"] == "temporal get_result: workflow canceled"


HTTP_CLIENT = """
local temporal_http = require("assay.temporal")
temporal_http.POLL_INTERVAL = 0.2
local c = temporal_http.client(env.get("TEMPORAL_HTTP"), {namespace = "default"})
local id = env.get("ID")
"""


def test_http_module_system_namespaces_task_queue(flow, real_temporal, worker, uid):
    out = flow(HTTP_CLIENT + """
local names = {}
for _, ns in ipairs(c:namespaces().namespaces) do names[#names + 1] = ns.namespaceInfo.name end
local tq = c:task_queue(env.get("QUEUE"))
print(json.encode({health = c:health(), version = c:system_info().serverVersion, names = names,
  default = c:namespace("default").namespaceInfo.name, pollers = #(tq.pollers or {})}))
""", TEMPORAL_HTTP=real_temporal.url, QUEUE=TASK_QUEUE, ID=uid)
    assert out["health"] is True
    assert out["version"].startswith("1.")
    assert "default" in out["names"] and out["default"] == "default"
    assert out["pollers"] >= 1  # the test worker polls the queue


def test_http_module_describe_history_list_signal_wait(flow, real_temporal, worker, uid):
    run_id = worker.start(uid, {"ticket": "OPS-1"})
    out = flow(HTTP_CLIENT + """
local wf = c:workflow(id)
local running = c:is_workflow_running(id)
local history = c:workflow_history(id, nil, {maximum_page_size = 100})
local found, listed = nil, nil
for _ = 1, 100 do                      -- visibility is eventually consistent
  found = c:search("WorkflowId = '" .. id .. "'")
  listed = c:workflows({query = "WorkflowType = 'ApprovalWorkflow'", page_size = 50})
  if found.executions and #found.executions == 1 then break end
  sleep(0.1)
end
local in_list = false
for _, e in ipairs(listed.executions or {}) do if e.execution.workflowId == id then in_list = true end end
c:signal_workflow(id, "approve", {payloads = {{metadata = {encoding = base64.encode("json/plain")},
  data = base64.encode(json.encode({by = "http"}))}}})
local done = c:wait_workflow_complete(id, 30)
local last = c:workflow_history(id).history.events
print(json.encode({status = wf.workflowExecutionInfo.status, run = wf.workflowExecutionInfo.execution.runId,
  running = running, first_event = history.history.events[1].eventType, found = #found.executions,
  in_list = in_list, final = done.workflowExecutionInfo.status, after = c:is_workflow_running(id),
  last_event = last[#last].eventType}))
""", TEMPORAL_HTTP=real_temporal.url, ID=uid)
    assert out["status"] == "WORKFLOW_EXECUTION_STATUS_RUNNING" and out["run"] == run_id
    assert out["running"] is True
    assert out["first_event"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert out["found"] == 1 and out["in_list"] is True
    assert out["final"] == "WORKFLOW_EXECUTION_STATUS_COMPLETED" and out["after"] is False
    assert out["last_event"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"


def test_http_module_terminate_and_cancel(flow, real_temporal, worker, uid):
    worker.start(uid + "-term", {})
    worker.start(uid + "-cancel", {})
    out = flow(HTTP_CLIENT + """
c:terminate_workflow(id .. "-term", "no longer needed")
c:cancel_workflow(id .. "-cancel")
local term = c:wait_workflow_complete(id .. "-term", 30)
local cancel = c:wait_workflow_complete(id .. "-cancel", 30)
local ok, err = pcall(c.workflow, c, "no-such-" .. id)
print(json.encode({term = term.workflowExecutionInfo.status, cancel = cancel.workflowExecutionInfo.status,
  missing = err}))
""", TEMPORAL_HTTP=real_temporal.url, ID=uid)
    assert out["term"] == "WORKFLOW_EXECUTION_STATUS_TERMINATED"
    assert out["cancel"] == "WORKFLOW_EXECUTION_STATUS_CANCELED"
    assert "HTTP 404" in out["missing"] and "temporal: GET " in out["missing"]
