"""A real Temporal worker for the real-server tests (the Python SDK, `full` extra), run on its own
event loop in a thread of the test process, so workflows the scripts start actually execute.

Workflow `ApprovalWorkflow(request)`: waits for signal `approve` ({by = ...}), answers query
`state` with {state, by}, and returns {approved = true, by, request}.
"""
import asyncio
import threading
import time

TASK_QUEUE = "assay-approvals"


try:
    from temporalio import workflow
except ImportError:  # without the `full` extra the worker fixture skips before using this
    workflow = None

if workflow is not None:
    @workflow.defn(name="ApprovalWorkflow")
    class Approval:
        def __init__(self):
            self.by = None

        @workflow.run
        async def run(self, request) -> dict:
            await workflow.wait_condition(lambda: self.by is not None)
            return {"approved": True, "by": self.by, "request": request}

        @workflow.signal
        def approve(self, payload: dict) -> None:
            self.by = payload.get("by", "someone")

        @workflow.query
        def state(self) -> dict:
            return {"state": "waiting" if self.by is None else "approved", "by": self.by}


class TemporalWorker:
    def __init__(self, target, namespace="default"):
        from temporalio.client import Client
        from temporalio.worker import UnsandboxedWorkflowRunner, Worker
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = self.call(Client.connect(target, namespace=namespace))
        self.worker = Worker(self.client, task_queue=TASK_QUEUE, workflows=[Approval],
                             workflow_runner=UnsandboxedWorkflowRunner())
        self.running = asyncio.run_coroutine_threadsafe(self.worker.run(), self.loop)
        self.namespace = namespace
        self._wait_until_polling()

    def _wait_until_polling(self, timeout=30):
        """Return once the server lists this worker as a poller of the queue: a test that
        asks the server about the queue right away would otherwise race the first poll."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
        request = DescribeTaskQueueRequest(
            namespace=self.namespace, task_queue=TaskQueue(name=TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running.done():
                self.running.result()  # the worker died: raise its error
            reply = self.call(self.client.workflow_service.describe_task_queue(request))
            if reply.pollers:
                return
            time.sleep(0.1)
        raise TimeoutError("the Temporal test worker never polled %s" % TASK_QUEUE)

    def call(self, coro, timeout=60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, workflow_id, request):
        """Start an ApprovalWorkflow from Python (for tests of the HTTP module alone)."""
        handle = self.call(self.client.start_workflow("ApprovalWorkflow", request, id=workflow_id,
                                                      task_queue=TASK_QUEUE))
        return handle.result_run_id

    def stop(self):
        self.call(self.worker.shutdown())
        self.running.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
