"""A small fake Temporal frontend (gRPC WorkflowService) for the `temporal` builtin tests.

Served by `grpcio` with the service definitions the `temporalio` SDK ships
(temporalio.api.workflowservice.v1), on 127.0.0.1 and an ephemeral port. It answers
the calls a client makes the way the real frontend does (GetSystemInfo,
StartWorkflowExecution, SignalWorkflowExecution, QueryWorkflow,
DescribeWorkflowExecution, GetWorkflowExecutionHistory with long-polling for the
close event, RequestCancelWorkflowExecution, TerminateWorkflowExecution) and
records every request in `calls` as (method name, request message).

There is no worker: the fake plays a tiny built-in workflow for every workflow type.
- It remembers its input and the signals it received.
- Query `state` returns the JSON object {"input", "signals", "query_args", "workflow_type"}
  (values decoded from their JSON payloads); query `nothing` returns no payload;
  query `raw` returns the payload set with `raw_query_payload`; any other query
  type is rejected with INVALID_ARGUMENT like a worker without that handler.
- Signal `finish` completes the run with the signal's input payloads as result;
  signal `fail` fails it with the signal's (JSON string) input as failure message.
- A cancellation request closes the run as CANCELED, terminate as TERMINATED.
- Tests drive it further with `complete`, `fail`, `continue_as_new`.

Unknown workflow IDs, and signal/cancel/terminate of a closed run, answer NOT_FOUND.
"""
import json
import threading
import time
import uuid
from concurrent import futures

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import EventType, HistoryEventFilterType, WorkflowExecutionStatus
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import (HistoryEvent, WorkflowExecutionCanceledEventAttributes,
                                       WorkflowExecutionCompletedEventAttributes,
                                       WorkflowExecutionContinuedAsNewEventAttributes,
                                       WorkflowExecutionFailedEventAttributes,
                                       WorkflowExecutionTerminatedEventAttributes, History)
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr
from temporalio.api.workflowservice.v1 import service_pb2_grpc

SERVER_VERSION = "1.24.2"
JSON = b"json/plain"


def json_payload(value):
    return Payload(metadata={"encoding": JSON}, data=json.dumps(value, separators=(",", ":")).encode())


def decode_payloads(payloads):
    """The JSON values of a Payloads message (a non-JSON payload as {"encoding", "data"})."""
    out = []
    for p in payloads.payloads:
        if p.metadata.get("encoding") == JSON:
            out.append(json.loads(p.data))
        else:
            out.append({"encoding": p.metadata.get("encoding", b"").decode(), "data": p.data.decode("latin-1")})
    return out


def _now():
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts


class Run:
    def __init__(self, workflow_id, workflow_type, task_queue, input_payloads):
        self.workflow_id = workflow_id
        self.run_id = str(uuid.uuid4())
        self.workflow_type = workflow_type
        self.task_queue = task_queue
        self.input = input_payloads
        self.signals = []
        self.status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        self.start_time = _now()
        self.close_time = None
        self.close_event = None
        self.events = 2  # WorkflowExecutionStarted, WorkflowTaskScheduled

    @property
    def closed(self):
        return self.close_event is not None

    def execution(self):
        return WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id)


class FakeTemporal(service_pb2_grpc.WorkflowServiceServicer):
    def __init__(self, poll_timeout=10.0):
        self.poll_timeout = poll_timeout
        self.calls = []
        self.runs = {}      # workflow id -> list of runs, newest last
        self.raw_query_payload = None
        self.fail_next = {}  # method name -> (grpc.StatusCode, message) for the next call
        self.stall = {}      # method name -> seconds to wait before answering (a server gone quiet)
        self.cond = threading.Condition()
        self.server = None
        self.port = None

    # ---- lifecycle -----------------------------------------------------------
    def start(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        service_pb2_grpc.add_WorkflowServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.stop(grace=None)
            self.server = None

    @property
    def url(self):
        return "127.0.0.1:%d" % self.port

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- helpers for tests ---------------------------------------------------
    def requests(self, method):
        return [req for name, req in self.calls if name == method]

    def latest(self, workflow_id):
        with self.cond:
            return self.runs[workflow_id][-1]

    def complete(self, workflow_id, value=None, payloads=None):
        """Complete the latest run with `payloads` (or one JSON payload of `value`)."""
        if payloads is None:
            payloads = [] if value is None else [json_payload(value)]
        attrs = WorkflowExecutionCompletedEventAttributes(result=Payloads(payloads=payloads))
        self._close(workflow_id, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
                    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
                    workflow_execution_completed_event_attributes=attrs)

    def fail(self, workflow_id, message):
        attrs = WorkflowExecutionFailedEventAttributes(failure=Failure(message=message, source="fake"))
        self._close(workflow_id, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
                    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
                    workflow_execution_failed_event_attributes=attrs)

    def continue_as_new(self, workflow_id, start_next=True):
        """Close the latest run as continued-as-new and start the next run; returns its run id.

        With start_next=False the next run is not created here (as if it were still being
        scheduled), so the closed run stays the one an empty run id resolves to."""
        with self.cond:
            old = self.runs[workflow_id][-1]
            new = Run(workflow_id, old.workflow_type, old.task_queue, old.input)
            attrs = WorkflowExecutionContinuedAsNewEventAttributes(
                new_execution_run_id=new.run_id, workflow_type=WorkflowType(name=old.workflow_type))
            self._close_locked(old, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
                               EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
                               workflow_execution_continued_as_new_event_attributes=attrs)
            if start_next:
                self.runs[workflow_id].append(new)
            return new.run_id

    def _close(self, workflow_id, status, event_type, **attrs):
        with self.cond:
            self._close_locked(self.runs[workflow_id][-1], status, event_type, **attrs)

    def _close_locked(self, run, status, event_type, **attrs):
        run.events += 1
        run.status = status
        run.close_time = _now()
        run.close_event = HistoryEvent(event_id=run.events, event_time=run.close_time, event_type=event_type,
                                       **attrs)
        self.cond.notify_all()

    # ---- request plumbing ----------------------------------------------------
    def _record(self, name, request, context):
        with self.cond:
            self.calls.append((name, request))
            failure = self.fail_next.pop(name, None)
            stall = self.stall.get(name)
        if stall:
            time.sleep(stall)
        if failure is not None:
            context.abort(*failure)

    def _find(self, execution, context, open_only=False):
        """The run an execution names (latest for an empty run id); aborts NOT_FOUND."""
        runs = self.runs.get(execution.workflow_id)
        if not runs:
            context.abort(grpc.StatusCode.NOT_FOUND, "workflow not found for ID: %s" % execution.workflow_id)
        if execution.run_id:
            matching = [r for r in runs if r.run_id == execution.run_id]
            if not matching:
                context.abort(grpc.StatusCode.NOT_FOUND, "workflow not found for ID: %s" % execution.workflow_id)
            run = matching[0]
        else:
            run = runs[-1]
        if open_only and run.closed:
            context.abort(grpc.StatusCode.NOT_FOUND, "workflow execution already completed")
        return run

    # ---- WorkflowService -----------------------------------------------------
    def GetSystemInfo(self, request, context):
        self._record("GetSystemInfo", request, context)
        caps = rr.GetSystemInfoResponse.Capabilities(
            signal_and_query_header=True, internal_error_differentiation=True,
            activity_failure_include_heartbeat=True, supports_schedules=True,
            encoded_failure_attributes=True, upsert_memo=True, eager_workflow_start=True,
            sdk_metadata=True, count_group_by_execution_status=True)
        return rr.GetSystemInfoResponse(server_version=SERVER_VERSION, capabilities=caps)

    def StartWorkflowExecution(self, request, context):
        self._record("StartWorkflowExecution", request, context)
        with self.cond:
            runs = self.runs.get(request.workflow_id)
            if runs and not runs[-1].closed:
                context.abort(grpc.StatusCode.ALREADY_EXISTS,
                              "Workflow execution is already running. WorkflowId: %s, RunId: %s."
                              % (request.workflow_id, runs[-1].run_id))
            run = Run(request.workflow_id, request.workflow_type.name, request.task_queue.name,
                      list(request.input.payloads))
            self.runs.setdefault(request.workflow_id, []).append(run)
            return rr.StartWorkflowExecutionResponse(run_id=run.run_id, started=True)

    def SignalWorkflowExecution(self, request, context):
        self._record("SignalWorkflowExecution", request, context)
        with self.cond:
            run = self._find(request.workflow_execution, context, open_only=True)
            run.signals.append((request.signal_name, list(request.input.payloads)))
            run.events += 1
            if request.signal_name == "finish":
                attrs = WorkflowExecutionCompletedEventAttributes(result=Payloads(payloads=request.input.payloads))
                self._close_locked(run, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
                                   EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
                                   workflow_execution_completed_event_attributes=attrs)
            elif request.signal_name == "fail":
                message = decode_payloads(request.input)
                attrs = WorkflowExecutionFailedEventAttributes(
                    failure=Failure(message=str(message[0]) if message else "failed", source="fake"))
                self._close_locked(run, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
                                   EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
                                   workflow_execution_failed_event_attributes=attrs)
            self.cond.notify_all()
        return rr.SignalWorkflowExecutionResponse()

    def QueryWorkflow(self, request, context):
        self._record("QueryWorkflow", request, context)
        with self.cond:
            run = self._find(request.execution, context)
            query_type = request.query.query_type
            if query_type == "state":
                decode = decode_payloads
                state = {
                    "workflow_type": run.workflow_type,
                    "input": (decode(Payloads(payloads=run.input)) or [None])[0],
                    "signals": [{"name": name, "input": (decode(Payloads(payloads=p)) or [None])[0]}
                                for name, p in run.signals],
                    "query_args": decode(request.query.query_args),
                }
                result = Payloads(payloads=[json_payload(state)])
            elif query_type == "nothing":
                result = None
            elif query_type == "raw":
                result = Payloads(payloads=[self.raw_query_payload])
            else:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              "unknown queryType %s. KnownQueryTypes=[nothing raw state]" % query_type)
        if result is None:
            return rr.QueryWorkflowResponse()
        return rr.QueryWorkflowResponse(query_result=result)

    def DescribeWorkflowExecution(self, request, context):
        self._record("DescribeWorkflowExecution", request, context)
        with self.cond:
            run = self._find(request.execution, context)
            info = WorkflowExecutionInfo(
                execution=run.execution(), type=WorkflowType(name=run.workflow_type),
                start_time=run.start_time, status=run.status, history_length=run.events,
                task_queue=run.task_queue, execution_time=run.start_time)
            if run.close_time is not None:
                info.close_time.CopyFrom(run.close_time)
        return rr.DescribeWorkflowExecutionResponse(workflow_execution_info=info)

    def GetWorkflowExecutionHistory(self, request, context):
        """Only the close-event long poll a result waiter makes (returns the close event)."""
        self._record("GetWorkflowExecutionHistory", request, context)
        with self.cond:
            run = self._find(request.execution, context)
            if (request.history_event_filter_type != HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT
                    or not request.wait_new_event):
                context.abort(grpc.StatusCode.UNIMPLEMENTED, "the fake only serves close-event long polls")
            deadline = time.monotonic() + self.poll_timeout
            while not run.closed and context.is_active():
                left = deadline - time.monotonic()
                if left <= 0:
                    # like the real frontend when its long poll expires: no events, poll again
                    return rr.GetWorkflowExecutionHistoryResponse(next_page_token=b"poll-again")
                self.cond.wait(min(left, 0.1))
            if not run.closed:
                context.abort(grpc.StatusCode.CANCELLED, "client went away")
            return rr.GetWorkflowExecutionHistoryResponse(history=History(events=[run.close_event]))

    def RequestCancelWorkflowExecution(self, request, context):
        self._record("RequestCancelWorkflowExecution", request, context)
        with self.cond:
            run = self._find(request.workflow_execution, context, open_only=True)
            run.events += 1  # WorkflowExecutionCancelRequested; the workflow accepts at once
            self._close_locked(run, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
                               EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
                               workflow_execution_canceled_event_attributes=WorkflowExecutionCanceledEventAttributes())
        return rr.RequestCancelWorkflowExecutionResponse()

    def TerminateWorkflowExecution(self, request, context):
        self._record("TerminateWorkflowExecution", request, context)
        with self.cond:
            run = self._find(request.workflow_execution, context, open_only=True)
            attrs = WorkflowExecutionTerminatedEventAttributes(reason=request.reason, identity=request.identity)
            self._close_locked(run, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
                               EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
                               workflow_execution_terminated_event_attributes=attrs)
        return rr.TerminateWorkflowExecutionResponse()


if __name__ == "__main__":  # run by hand: python tests/builtins/fake_temporal_grpc.py [port]
    import sys
    fake = FakeTemporal()
    fake.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    service_pb2_grpc.add_WorkflowServiceServicer_to_server(fake, fake.server)
    fake.port = fake.server.add_insecure_port("127.0.0.1:%s" % (sys.argv[1] if len(sys.argv) > 1 else "0"))
    fake.server.start()
    print("fake Temporal frontend on %s" % fake.url, flush=True)
    fake.server.wait_for_termination()
