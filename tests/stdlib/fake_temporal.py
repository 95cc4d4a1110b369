"""A fake Temporal HTTP API (the paths assay.temporal uses) for the assay.temporal tests.

Built on fakes.FakeService (a ThreadingHTTPServer on 127.0.0.1 recording every request;
`fail`/`set` override one route). Behaviour:

- `GET /health` answers 200 `{"status":"SERVING"}` (503 NOT_SERVING after `healthy = False`).
- Namespaces `default`, `production`, `staging`; an unknown namespace answers 404 with the
  gRPC-gateway error object `{"code": 5, "message": "Namespace x is not found.", "details": []}`.
- `Authorization` is optional; when sent it must be `Bearer <API_KEY>` (401 otherwise).
- Workflows per namespace with `workflowExecutionInfo` (`execution`, `type`, `status`,
  `taskQueue`); `GET .../workflows?query=` understands `WorkflowType='X'`,
  `ExecutionStatus='Running'` and `WorkflowId='x'` joined by `AND` (anything else answers 400
  "invalid query", as Temporal's visibility parser does); `pageSize` caps the list.
  `runId` must name the execution's run (404 otherwise). `status_plan[id]` = statuses served by
  the next GETs of that workflow (one per GET).
- `POST .../signal|terminate|cancel` need a JSON object body; signal needs `signalName`.
  Terminate/cancel change the status; signals are recorded in `signals`.
- Task queues (`pollers`, `taskQueueStatus`), schedules (`schedules` list, one schedule).
"""
import copy
import json
import re
from urllib.parse import unquote

from fakes import FakeService, Response, _fixtures, ok

API_KEY = "tk_test_key"
RUNNING = "WORKFLOW_EXECUTION_STATUS_RUNNING"
COMPLETED = "WORKFLOW_EXECUTION_STATUS_COMPLETED"


def not_found(message):
    return Response(404, {"code": 5, "message": message, "details": []})


def invalid(message):
    return Response(400, {"code": 3, "message": message, "details": []})


def execution(wid, run_id, wtype, status, queue="order-queue"):
    return {"workflowExecutionInfo": {
        "execution": {"workflowId": wid, "runId": run_id}, "type": {"name": wtype},
        "startTime": "2024-01-15T10:00:00Z", "status": status, "taskQueue": queue, "historyLength": "12"},
        "executionConfig": {"taskQueue": {"name": queue, "kind": "TASK_QUEUE_KIND_NORMAL"}}}


def namespace(name, retention="259200s"):
    return {"namespaceInfo": {"name": name, "state": "NAMESPACE_STATE_REGISTERED", "id": "ns-" + name},
            "config": {"workflowExecutionRetentionTtl": retention}, "isGlobalNamespace": False}


class FakeTemporal(FakeService):
    name = "temporal"

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        super().reset()
        self.healthy = True
        # False: answer like Temporal's own HTTP port (1.22+): no /health, signals only at
        # .../signal/<name>; True: like the older gateway the module was first written for
        self.gateway_paths = True
        self.signals = []
        self.status_plan = {}
        self.namespaces = {n: namespace(n) for n in ("default", "production", "staging")}
        self.workflows = {
            "default": {
                "order-123": execution("order-123", "run-a1", "OrderWorkflow", RUNNING),
                "order-124": execution("order-124", "run-b2", "OrderWorkflow", COMPLETED),
                "invoice-9": execution("invoice-9", "run-c3", "InvoiceWorkflow", RUNNING, "billing"),
            },
            "production": {"prod-wf-1": execution("prod-wf-1", "run-p1", "DeployWorkflow", RUNNING)},
            "staging": {"stage-wf-1": execution("stage-wf-1", "run-s1", "DeployWorkflow", COMPLETED)},
        }

    # --- routing ------------------------------------------------------------------------
    def route(self, r):
        if r.path == "/health" and r.method == "GET" and self.gateway_paths:
            if self.healthy:
                return ok({"status": "SERVING"})
            return Response(503, {"status": "NOT_SERVING"})
        auth = r.header("Authorization")
        if auth is not None and auth != "Bearer " + API_KEY:
            return Response(401, {"code": 16, "message": "Request unauthorized.", "details": []})
        q = {k: v[-1] for k, v in r.query.items()}
        if r.path == "/api/v1/system-info" and r.method == "GET":
            return ok({"serverVersion": "1.24.2", "capabilities": {
                "signalAndQueryHeader": True, "upsertMemo": True, "eagerWorkflowStart": True}})
        if r.path == "/api/v1/namespaces" and r.method == "GET":
            return ok({"namespaces": list(self.namespaces.values()), "nextPageToken": None})
        m = re.match(r"^/api/v1/namespaces/([^/]+)(/.*)?$", r.path)
        if not m:
            return not_found("Not Found")
        ns, rest = unquote(m.group(1)), m.group(2) or ""
        if ns not in self.namespaces:
            return not_found("Namespace %s is not found." % ns)
        if rest == "" and r.method == "GET":
            return ok(self.namespaces[ns])
        if rest == "/workflows" and r.method == "GET":
            return self.list_workflows(ns, q)
        m = re.match(r"^/workflows/([^/]+)/signal/([^/]+)$", rest)
        if m and r.method == "POST" and not self.gateway_paths:
            body = json.loads(r.body)
            self.signals.append((ns, unquote(m.group(1)), dict(body, signalName=unquote(m.group(2)))))
            return ok({})
        m = re.match(r"^/workflows/([^/]+)(/history|/signal|/terminate|/cancel)?$", rest)
        if m and not (m.group(2) == "/signal" and not self.gateway_paths):
            return self.workflow_route(r, ns, unquote(m.group(1)), m.group(2) or "", q)
        m = re.match(r"^/task-queues/([^/]+)$", rest)
        if m and r.method == "GET":
            kind = q.get("taskQueueType", "TASK_QUEUE_TYPE_WORKFLOW")
            return ok({"pollers": [{"identity": "worker-1@host", "lastAccessTime": "2024-01-15T10:00:00Z",
                                    "ratePerSecond": 100000}],
                       "taskQueueStatus": {"backlogCountHint": "0", "readLevel": "5", "ackLevel": "5"},
                       "queue": unquote(m.group(1)), "type": kind})
        if rest == "/schedules" and r.method == "GET":
            items = [{"scheduleId": "daily-report", "info": {"workflowType": {"name": "ReportWorkflow"}}},
                     {"scheduleId": "hourly-sync", "info": {"workflowType": {"name": "SyncWorkflow"}}}]
            return ok({"schedules": items[:int(q.get("maximumPageSize", 100))]})
        m = re.match(r"^/schedules/([^/]+)$", rest)
        if m and r.method == "GET":
            if m.group(1) != "daily-report":
                return not_found("schedule not found")
            return ok({"schedule": {
                "spec": {"cronString": ["0 6 * * *"]},
                "action": {"startWorkflow": {"workflowId": "daily-report", "workflowType": {"name": "ReportWorkflow"},
                                             "taskQueue": {"name": "reports"}}},
                "state": {"paused": False, "notes": ""}},
                "info": {"actionCount": "42"}, "conflictToken": "AAAAAAAAAAE="})
        return not_found("Not Found")

    def list_workflows(self, ns, q):
        items = list(self.workflows[ns].values())
        query = q.get("query")
        if query:
            for clause in re.split(r"\s+AND\s+", query.strip()):
                cm = re.fullmatch(r"(WorkflowType|ExecutionStatus|WorkflowId)\s*=\s*'([^']*)'", clause.strip())
                if not cm:
                    return invalid("invalid query: unable to parse %r" % query)
                field, value = cm.groups()
                if field == "WorkflowType":
                    items = [i for i in items if i["workflowExecutionInfo"]["type"]["name"] == value]
                elif field == "WorkflowId":
                    items = [i for i in items if i["workflowExecutionInfo"]["execution"]["workflowId"] == value]
                else:
                    status = "WORKFLOW_EXECUTION_STATUS_" + value.upper()
                    items = [i for i in items if i["workflowExecutionInfo"]["status"] == status]
        if "pageSize" in q:
            items = items[:int(q["pageSize"])]
        return ok({"executions": [i["workflowExecutionInfo"] for i in items], "nextPageToken": None})

    def workflow_route(self, r, ns, wid, sub, q):
        wf = self.workflows[ns].get(wid)
        if wf is None:
            return not_found("workflow not found for ID: %s" % wid)
        info = wf["workflowExecutionInfo"]
        if "runId" in q and q["runId"] != info["execution"]["runId"]:
            return not_found("workflow execution not found for run ID %s" % q["runId"])
        if sub == "" and r.method == "GET":
            plan = self.status_plan.get(wid)
            if plan:
                info["status"] = plan.pop(0)
            return ok(copy.deepcopy(wf))
        if sub == "/history" and r.method == "GET":
            events = [{"eventId": str(i), "eventType": t} for i, t in enumerate(
                ["EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
                 "EVENT_TYPE_WORKFLOW_TASK_STARTED", "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"], start=1)]
            return ok({"history": {"events": events[:int(q.get("maximumPageSize", 1000))]}})
        if r.method != "POST" or not sub:
            return Response(405, {"code": 12, "message": "Method Not Allowed"})
        try:
            body = json.loads(r.body)
        except ValueError:
            return invalid("invalid JSON body")
        if not isinstance(body, dict):
            return invalid("proto: syntax error (line 1:1): unexpected token [")
        if sub == "/signal":
            if not isinstance(body.get("signalName"), str):
                return invalid("SignalName is not set on request.")
            self.signals.append((ns, wid, body))
            return ok({})
        if info["status"] != RUNNING:
            return not_found("workflow execution already completed")
        info["status"] = ("WORKFLOW_EXECUTION_STATUS_TERMINATED" if sub == "/terminate"
                          else "WORKFLOW_EXECUTION_STATUS_CANCELED")
        return ok({})


temporal_fake_server, temporal_fake = _fixtures(FakeTemporal, "temporal_fake")
