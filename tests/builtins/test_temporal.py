"""The `temporal` builtin (builtins.md §21): TEMPORAL-01..06.

The first tests need no transport and pass with or without the `temporalio` SDK.
The gRPC tests run against `fake_temporal_grpc.FakeTemporal`, a WorkflowService
frontend served by grpcio on 127.0.0.1 (no Temporal server can be installed here).
They need the SDK (the `full` extra) and grpcio: without them they skip with the
reason, except under CI=true, where they fail.
"""
import importlib
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import ROOT, lua_error, lua_values, run_assay


def test_temporal_01_table_with_connect_and_start(lua):
    assert lua("return type(temporal), type(temporal.connect), type(temporal.start)") == (
        "table", "function", "function")


def test_temporal_02_invalid_url(lua_fails):
    assert lua_fails("temporal.connect({url = '://bad url'})").startswith("invalid temporal URL: ")
    assert lua_fails("temporal.connect({url = 'host:notaport'})").startswith("invalid temporal URL: ")


def test_temporal_03_unreachable_raises_connect_error(lua_fails):
    assert lua_fails("temporal.connect({url = '127.0.0.1:19999'})").startswith("temporal connect: ")


def test_temporal_04_start_requires_fields(lua_fails):
    assert "url" in lua_fails("temporal.start({task_queue = 'q', workflow_type = 't', workflow_id = 'w'})")
    assert "task_queue" in lua_fails("temporal.start({url = '127.0.0.1:7233', workflow_type = 't', "
                                     "workflow_id = 'w'})")
    assert "url" in lua_fails("temporal.connect({namespace = 'x'})")
    assert lua_fails("temporal.start({url = '127.0.0.1:7233', task_queue = 'q', workflow_type = 't', "
                     "workflow_id = 'w'})").startswith("temporal connect: ")


# ---- without the SDK (a build that leaves temporalio out) ------------------------------------

@pytest.fixture
def no_sdk(monkeypatch):
    """Make `import temporalio...` fail in this process, as in the default binary."""
    for name in list(sys.modules):
        if name == "temporalio" or name.startswith("temporalio."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "temporalio", None)


def test_temporal_03_without_sdk_names_the_full_artifact(no_sdk):
    """TEMPORAL-03: no SDK → one line `temporal connect: …` naming assay-full, after URL validation."""
    message = lua_error("temporal.connect({url = '127.0.0.1:7233'})")
    assert message.startswith("temporal connect: ")
    assert "assay-full" in message and "\n" not in message
    assert lua_error("temporal.connect({url = '://bad url'})").startswith("invalid temporal URL: ")
    assert lua_error("temporal.start({url = '127.0.0.1:7233', task_queue = 'q', workflow_type = 't', "
                     "workflow_id = 'w'})").startswith("temporal connect: this assay build has no")
    assert "task_queue" in lua_error("temporal.start({url = '127.0.0.1:7233', workflow_type = 't', "
                                     "workflow_id = 'w'})")


def test_temporal_03_without_sdk_through_the_command(tmp_path):
    """TEMPORAL-03: the real command without temporalio importable fails with the one-line message."""
    if os.environ.get("ASSAY_BIN"):
        pytest.skip("hides temporalio through PYTHONPATH, which a built binary does not read")
    stub = tmp_path / "stub" / "temporalio"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('simulated build without temporalio')\n")
    r = run_assay("exec", "-e", "temporal.connect({url = '127.0.0.1:7233'})",
                  extra_env={"PYTHONPATH": str(tmp_path / "stub")})
    assert r.returncode == 1, r.stderr
    assert "temporal connect: this assay build has no Temporal gRPC client; it is in the assay-full" in r.stderr
    assert "Traceback" not in r.stderr


def test_temporal_startup_does_not_import_sdk():
    """The SDK (~300 ms) is imported only when a script calls temporal.connect/start."""
    code = ("import sys\nfrom assay.builtins import new_runtime\nrt = new_runtime()\n"
            "rt.run_source(b'return type(temporal.connect), temporal.start ~= nil', '@x.lua')\n"
            "print('temporalio' in sys.modules, 'grpc' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


# ---- with the SDK, against the fake frontend -----------------------------------------------

def _need_sdk():
    missing = []
    for name, module in (("temporalio", "temporalio.client"), ("grpcio", "grpc")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(name)
    if missing:
        reason = ("%s not installed: the Temporal gRPC tests need the temporalio SDK (pip install "
                  "'assay[full]') and grpcio for the fake frontend" % " and ".join(missing))
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must provide them)")
        pytest.skip(reason)


@pytest.fixture
def fake():
    _need_sdk()
    from fake_temporal_grpc import FakeTemporal
    server = FakeTemporal().start()
    try:
        yield server
    finally:
        server.stop()


def run(fake, code):
    """Run `code` in-process with `URL` bound to the fake's address; returns its values."""
    return lua_values("local URL = %r\n%s" % (fake.url, textwrap.dedent(code)))


def fails(fake, code):
    return lua_error("local URL = %r\n%s" % (fake.url, textwrap.dedent(code)))


CONNECT = "local c = temporal.connect({ url = URL })\n"


def _payload(req_payloads):
    assert len(req_payloads) == 1
    p = req_payloads[0]
    return dict(p.metadata), p.data


def test_temporal_05_connect_returns_client_with_colon_methods(fake):
    methods = ("start_workflow", "signal_workflow", "query_workflow", "describe_workflow", "get_result",
               "cancel_workflow", "terminate_workflow")
    out = run(fake, CONNECT + "local t = {} for _, m in ipairs(%s) do t[#t + 1] = type(c[m]) end\n"
              "return type(c), tostring(c):match('^temporal client'), t"
              % ("{" + ", ".join("%r" % m for m in methods) + "}"))
    assert out == ("table", "temporal client", ["function"] * 7)
    assert [name for name, _ in fake.calls] == ["GetSystemInfo"]


def test_temporal_05_start_workflow_shape_and_request(fake):
    out = run(fake, CONNECT + """
        local r = c:start_workflow({ task_queue = "orders", workflow_type = "OrderFlow", workflow_id = "order-1",
                                     input = { id = 7, items = { "a", "b" }, price = 2.5, note = "é" } })
        return r.workflow_id, r.run_id, math.type(r.run_id)
    """)
    assert out[0] == "order-1"
    assert out[1] == fake.latest("order-1").run_id and len(out[1]) == 36
    (req,) = fake.requests("StartWorkflowExecution")
    assert (req.namespace, req.workflow_id, req.workflow_type.name, req.task_queue.name) == (
        "default", "order-1", "OrderFlow", "orders")
    metadata, data = _payload(req.input.payloads)
    assert metadata == {"encoding": b"json/plain"}
    assert data == '{"id":7,"items":["a","b"],"note":"é","price":2.5}'.encode()  # json.encode: sorted, compact
    assert req.request_id  # every start is idempotent on the server side


def test_temporal_05_no_input_sends_no_payloads(fake):
    run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        c:signal_workflow({ workflow_id = "w", signal_name = "poke" })
        c:query_workflow({ workflow_id = "w", query_type = "state" })
    """)
    assert len(fake.requests("StartWorkflowExecution")[0].input.payloads) == 0
    assert len(fake.requests("SignalWorkflowExecution")[0].input.payloads) == 0
    assert len(fake.requests("QueryWorkflow")[0].query.query_args.payloads) == 0


def test_temporal_05_namespace_is_sent(fake):
    run(fake, """
        local c = temporal.connect({ url = URL, namespace = "payments" })
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        c:describe_workflow("w")
    """)
    assert [r.namespace for r in fake.requests("StartWorkflowExecution")] == ["payments"]
    assert [r.namespace for r in fake.requests("DescribeWorkflowExecution")] == ["payments"]


def test_temporal_05_signal_workflow_returns_nil(fake):
    out = run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        local n = select("#", c:signal_workflow({ workflow_id = "w", signal_name = "approve",
                                                  input = { by = "ops", level = 2 } }))
        return n, c:signal_workflow({ workflow_id = "w", signal_name = "again", input = "x" }) == nil
    """)
    assert out == (1, True)
    first, second = fake.requests("SignalWorkflowExecution")
    assert (first.workflow_execution.workflow_id, first.signal_name) == ("w", "approve")
    assert _payload(first.input.payloads) == ({"encoding": b"json/plain"}, b'{"by":"ops","level":2}')
    assert _payload(second.input.payloads)[1] == b'"x"'
    assert [name for name, _ in fake.latest("w").signals] == ["approve", "again"]


def test_temporal_05_query_workflow_decodes_json(fake):
    """TEMPORAL-05 and the spec Note: the result payload is decoded with json.parse semantics."""
    out = run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "Shop", workflow_id = "w", input = { n = 3 } })
        c:signal_workflow({ workflow_id = "w", signal_name = "add", input = { sku = "x", qty = 2 } })
        local s = c:query_workflow({ workflow_id = "w", query_type = "state", input = { "detail", 1 } })
        return s.workflow_type, s.input.n, math.type(s.input.n), s.signals[1].name, s.signals[1].input.qty,
               s.query_args[1][1], s.query_args[1][2]
    """)
    assert out == ("Shop", 3, "integer", "add", 2, "detail", 1)
    (req,) = fake.requests("QueryWorkflow")
    assert req.query.query_type == "state" and req.execution.workflow_id == "w"
    assert _payload(req.query.query_args.payloads) == ({"encoding": b"json/plain"}, b'["detail",1]')


def test_temporal_05_query_results_null_none_and_raw(fake):
    from temporalio.api.common.v1 import Payload
    out = []
    for payload in (Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":null,"f":1.5,"t":[true]}'),
                    Payload(metadata={"encoding": b"json/plain"}, data=b"null"),
                    Payload(metadata={"encoding": b"binary/null"}),
                    Payload(metadata={"encoding": b"binary/plain"}, data=b"\xffraw"),
                    Payload(metadata={"encoding": b"json/plain"}, data=b"12")):
        fake.raw_query_payload = payload
        out.append(run(fake, CONNECT + """
            pcall(c.start_workflow, c, { task_queue = "q", workflow_type = "T", workflow_id = "w" })
            local v = c:query_workflow({ workflow_id = "w", query_type = "raw" })
            if type(v) == "table" then return v.a == nil, v.f, v.t[1] end
            return v, math.type(v)
        """))
    assert out[0] == (True, 1.5, True)
    assert out[1] == (None, None) and out[2] == (None, None)
    assert out[3] == (b"\xffraw", None)  # raw bytes, not UTF-8
    assert out[4] == (12, "integer")
    assert run(fake, CONNECT + "return c:query_workflow({ workflow_id = 'w', query_type = 'nothing' })") is None
    fake.raw_query_payload = Payload(metadata={"encoding": b"json/plain"}, data=b"{not json")
    assert fails(fake, CONNECT + "c:query_workflow({ workflow_id = 'w', query_type = 'raw' })").startswith(
        "temporal query: cannot decode result payload: json.parse: ")


def test_temporal_05_query_errors(fake):
    msg = fails(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        c:query_workflow({ workflow_id = "w", query_type = "unknownQuery" })
    """)
    assert msg == ("temporal query: InvalidArgument: unknown queryType unknownQuery. "
                   "KnownQueryTypes=[nothing raw state]")
    assert fails(fake, CONNECT + "c:query_workflow({ workflow_id = 'ghost', query_type = 'state' })") == (
        "temporal query: NotFound: workflow not found for ID: ghost")


def test_temporal_05_describe_workflow_shape(fake):
    before = time.time()
    out = run(fake, CONNECT + """
        local r = c:start_workflow({ task_queue = "q", workflow_type = "Billing", workflow_id = "bill-9" })
        local d = c:describe_workflow("bill-9")
        local same = c:describe_workflow({ workflow_id = "bill-9" })
        return d.workflow_id, d.run_id == r.run_id, d.workflow_type, d.status, d.history_length,
               math.type(d.history_length), d.start_time, math.type(d.start_time), d.close_time,
               same.run_id == d.run_id
    """)
    assert out[:6] == ("bill-9", True, "Billing", "RUNNING", 2, "integer")
    assert before - 1 <= out[6] <= time.time() + 1 and out[7] == "float"
    assert out[8] is None and out[9] is True


def test_temporal_05_describe_statuses_and_close_time(fake):
    out = run(fake, CONNECT + """
        local function st(id) local d = c:describe_workflow(id); return d.status, math.type(d.close_time) end
        local res = {}
        for _, id in ipairs({ "done", "failed", "canceled", "terminated" }) do
          c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = id })
        end
        c:signal_workflow({ workflow_id = "done", signal_name = "finish" })
        c:signal_workflow({ workflow_id = "failed", signal_name = "fail", input = "boom" })
        c:cancel_workflow("canceled")
        c:terminate_workflow("terminated")
        for _, id in ipairs({ "done", "failed", "canceled", "terminated" }) do
          local s, t = st(id)
          res[#res + 1] = s .. "/" .. tostring(t)
        end
        return res
    """)
    assert out == ["COMPLETED/float", "FAILED/float", "CANCELED/float", "TERMINATED/float"]
    run(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'can' })")
    fake.continue_as_new("can", start_next=False)
    assert run(fake, CONNECT + "return c:describe_workflow('can').status") == "CONTINUED_AS_NEW"


def test_temporal_05_describe_cancel_terminate_argument_forms(fake):
    bad = "expected workflow_id string or table"
    for method in ("describe_workflow", "cancel_workflow", "terminate_workflow"):
        assert fails(fake, CONNECT + "c:%s(true)" % method) == bad
        assert fails(fake, CONNECT + "c:%s(nil)" % method) == bad
        assert fails(fake, CONNECT + "c:%s(function() end)" % method) == bad


def test_temporal_05_get_result_waits_while_other_tasks_run(fake):
    """get_result long-polls on the scheduler loop: other tasks (here a ticker) keep running."""
    run(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'slow' })")
    # The workflow completes 0.8 s after the long poll arrives, not 0.8 s after the test
    # starts: a loaded machine may take longer than that just to start assay.
    stop = threading.Event()

    def complete_after_poll_arrives():
        while not stop.is_set() and not fake.requests("GetWorkflowExecutionHistory"):
            stop.wait(0.01)
        if not stop.wait(0.8):
            fake.complete("slow", {"total": 42, "items": ["a"]})

    completer = threading.Thread(target=complete_after_poll_arrives, daemon=True)
    completer.start()
    try:
        out = run(fake, CONNECT + """
            local ticks = 0
            local ticker = async.spawn(function()
              for _ = 1, 100 do sleep(0.05); ticks = ticks + 1 end
            end)
            local t0 = time()
            local r = c:get_result({ workflow_id = "slow" })
            return r.total, r.items[1], ticks, time() - t0
        """)
    finally:
        stop.set()
    assert out[0:2] == (42, "a")
    assert out[2] >= 4, "other tasks did not run while get_result waited (ticks=%d)" % out[2]
    assert out[3] >= 0.8
    (req,) = fake.requests("GetWorkflowExecutionHistory")
    assert req.wait_new_event and req.history_event_filter_type == 2  # HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT


def test_temporal_05_get_result_signal_from_main_while_task_waits(fake):
    out = run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        local order = {}
        local h = async.spawn(function()
          local r = c:get_result({ workflow_id = "w" })
          order[#order + 1] = "result"
          return r
        end)
        sleep(0.2)
        order[#order + 1] = "main"
        c:signal_workflow({ workflow_id = "w", signal_name = "finish", input = { done = true } })
        local r = h:await()
        return order[1], order[2], r[1].done
    """)
    assert out == ("main", "result", True)


def test_temporal_05_get_result_repolls_after_long_poll_expiry(fake):
    fake.poll_timeout = 0.2
    run(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'w' })")
    timer = threading.Timer(0.7, fake.complete, ("w", "finished"))
    timer.start()
    try:
        assert run(fake, CONNECT + "return c:get_result({ workflow_id = 'w' })") == "finished"
    finally:
        timer.cancel()
    assert len(fake.requests("GetWorkflowExecutionHistory")) >= 2


def test_temporal_05_get_result_nil_and_failures(fake):
    out = run(fake, CONNECT + """
        for _, id in ipairs({ "empty", "failed", "canceled", "terminated" }) do
          c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = id })
        end
        c:signal_workflow({ workflow_id = "empty", signal_name = "finish" })
        c:signal_workflow({ workflow_id = "failed", signal_name = "fail", input = "card declined" })
        c:cancel_workflow({ workflow_id = "canceled", reason = "not needed" })
        c:terminate_workflow({ workflow_id = "terminated", reason = "operator" })
        local res = { select("#", c:get_result({ workflow_id = "empty" })), c:get_result({ workflow_id = "empty" }) }
        for _, id in ipairs({ "failed", "canceled", "terminated", "ghost" }) do
          local ok, err = pcall(c.get_result, c, { workflow_id = id })
          res[#res + 1] = tostring(ok) .. " " .. err
        end
        return res
    """)
    assert out == [1,
                   "false temporal get_result: workflow failed: card declined",
                   "false temporal get_result: workflow canceled",
                   "false temporal get_result: workflow terminated: operator",
                   "false temporal get_result: NotFound: workflow not found for ID: ghost"]


def _later(*steps):
    """Run (delay, fn, args) steps on a timer thread; returns the thread."""
    def go():
        for delay, fn, fn_args in steps:
            time.sleep(delay)
            fn(*fn_args)
    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def test_temporal_05_get_result_follow_runs(fake):
    """The run being waited on continues as new: follow_runs (default true) waits for the next run."""
    run(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'loop' })")
    steps = _later((0.3, fake.continue_as_new, ("loop",)), (0.3, fake.complete, ("loop", {"run": 2})))
    assert run(fake, CONNECT + "return c:get_result({ workflow_id = 'loop' }).run") == 2
    steps.join()
    first, second = fake.requests("GetWorkflowExecutionHistory")
    assert first.execution.run_id == ""
    assert second.execution.run_id == fake.runs["loop"][1].run_id  # followed to the new run

    run(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'once' })")
    steps = _later((0.3, fake.continue_as_new, ("once",)))
    msg = fails(fake, CONNECT + "c:get_result({ workflow_id = 'once', follow_runs = false })")
    steps.join()
    assert msg == ("temporal get_result: workflow continued as new (run %s); use follow_runs = true"
                   % fake.runs["once"][1].run_id)
    assert fails(fake, CONNECT + "c:get_result({ workflow_id = 'loop', follow_runs = 'yes' })") == (
        'temporal get_result: field "follow_runs" must be a boolean')


def test_temporal_05_cancel_and_terminate(fake):
    out = run(fake, CONNECT + """
        for _, id in ipairs({ "a", "b", "c", "d" }) do
          c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = id })
        end
        local r1 = c:cancel_workflow("a")
        local r2 = c:cancel_workflow({ workflow_id = "b", reason = "user request" })
        local r3 = c:terminate_workflow("c")
        local r4 = c:terminate_workflow({ workflow_id = "d", reason = "stuck" })
        return r1 == nil and r2 == nil and r3 == nil and r4 == nil,
               c:describe_workflow("b").status, c:describe_workflow("d").status
    """)
    assert out == (True, "CANCELED", "TERMINATED")
    cancels = fake.requests("RequestCancelWorkflowExecution")
    assert [(r.workflow_execution.workflow_id, r.reason) for r in cancels] == [("a", ""), ("b", "user request")]
    terms = fake.requests("TerminateWorkflowExecution")
    assert [(r.workflow_execution.workflow_id, r.reason) for r in terms] == [("c", ""), ("d", "stuck")]
    assert all(r.namespace == "default" for r in cancels + terms)


def test_temporal_05_error_prefixes_for_unknown_workflow(fake):
    """An unknown workflow is NotFound; each method reports it under its own prefix."""
    calls = {
        "temporal signal": "c:signal_workflow({ workflow_id = 'ghost', signal_name = 's' })",
        "temporal query": "c:query_workflow({ workflow_id = 'ghost', query_type = 'state' })",
        "temporal describe": "c:describe_workflow('ghost')",
        "temporal get_result": "c:get_result({ workflow_id = 'ghost' })",
        "temporal cancel": "c:cancel_workflow('ghost')",
        "temporal terminate": "c:terminate_workflow({ workflow_id = 'ghost', reason = 'x' })",
    }
    for prefix, call in calls.items():
        assert fails(fake, CONNECT + call) == prefix + ": NotFound: workflow not found for ID: ghost", prefix


def test_temporal_05_start_workflow_errors(fake):
    msg = fails(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "dup" })
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "dup" })
    """)
    assert msg.startswith("temporal start_workflow: AlreadyExists: ")
    assert "dup" in msg
    fake.fail_next["StartWorkflowExecution"] = (__import__("grpc").StatusCode.PERMISSION_DENIED, "no access")
    assert fails(fake, CONNECT + "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'x' })") \
        == "temporal start_workflow: PermissionDenied: no access"


def test_temporal_calls_give_up_when_the_server_stops_answering(fake, monkeypatch):
    from assay.builtins import temporal
    monkeypatch.setattr(temporal, "RPC_TIMEOUT", 1.0)
    fake.stall["DescribeWorkflowExecution"] = 5
    msg = fails(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        c:describe_workflow("w")
    """)
    assert msg == "temporal describe: operation timed out"


def test_temporal_05_closed_workflow_rejects_signal_cancel_terminate(fake):
    out = run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        c:terminate_workflow("w")
        local res = {}
        for _, f in ipairs({
          function() c:signal_workflow({ workflow_id = "w", signal_name = "s" }) end,
          function() c:cancel_workflow("w") end,
          function() c:terminate_workflow("w") end }) do
          local ok, err = pcall(f)
          res[#res + 1] = err
        end
        return res
    """)
    assert out == ["temporal signal: NotFound: workflow execution already completed",
                   "temporal cancel: NotFound: workflow execution already completed",
                   "temporal terminate: NotFound: workflow execution already completed"]


def test_temporal_05_method_argument_errors(fake):
    cases = {
        "c:start_workflow({ workflow_type = 'T', workflow_id = 'w' })":
            'temporal start_workflow: missing required field "task_queue"',
        "c:start_workflow({ task_queue = 'q', workflow_id = 'w' })":
            'temporal start_workflow: missing required field "workflow_type"',
        "c:start_workflow({ task_queue = 'q', workflow_type = 'T' })":
            'temporal start_workflow: missing required field "workflow_id"',
        "c:start_workflow('w')": "temporal start_workflow: argument must be a table",
        "c:start_workflow({ task_queue = {}, workflow_type = 'T', workflow_id = 'w' })":
            'temporal start_workflow: field "task_queue" must be a string',
        "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'w', input = print })":
            "temporal start_workflow: unsupported Lua type for JSON: function",
        "c:start_workflow({ task_queue = 'q', workflow_type = 'T', workflow_id = 'w', input = 0/0 })":
            "temporal start_workflow: cannot encode NaN as JSON number",
        "c:signal_workflow({ workflow_id = 'w' })": 'temporal signal: missing required field "signal_name"',
        "c:query_workflow({ workflow_id = 'w' })": 'temporal query: missing required field "query_type"',
        "c:get_result('w')": "temporal get_result: argument must be a table",
        "c:get_result({})": 'temporal get_result: missing required field "workflow_id"',
        "c:describe_workflow({})": 'temporal describe: missing required field "workflow_id"',
        "c:cancel_workflow({ workflow_id = 'w', reason = {} })": 'temporal cancel: field "reason" must be a string',
        "c.describe_workflow('w')":
            "temporal client: describe_workflow must be called as client:describe_workflow(...)",
        "c.x = 1": None,
    }
    for call, expected in cases.items():
        msg = fails(fake, CONNECT + call)
        if expected is None:
            assert "read-only" in msg
        else:
            assert msg == expected, call
    assert [name for name, _ in fake.calls if name != "GetSystemInfo"] == []  # nothing reached the server


def test_temporal_05_one_shot_start(fake):
    out = run(fake, """
        local r = temporal.start({ url = URL, namespace = "ops", task_queue = "deploys", workflow_type = "Deploy",
                                   workflow_id = "deploy-1", input = { version = "1.2.3" } })
        return r.workflow_id, r.run_id
    """)
    assert out == ("deploy-1", fake.latest("deploy-1").run_id)
    assert [name for name, _ in fake.calls] == ["GetSystemInfo", "StartWorkflowExecution"]
    (req,) = fake.requests("StartWorkflowExecution")
    assert (req.namespace, req.task_queue.name, req.workflow_type.name) == ("ops", "deploys", "Deploy")
    assert _payload(req.input.payloads)[1] == b'{"version":"1.2.3"}'
    # missing fields raise before connecting
    for missing in ("url", "task_queue", "workflow_type", "workflow_id"):
        fields = {"url": "URL", "task_queue": "'q'", "workflow_type": "'T'", "workflow_id": "'w2'"}
        del fields[missing]
        msg = fails(fake, "temporal.start({ %s })" % ", ".join("%s = %s" % kv for kv in fields.items()))
        assert msg == 'temporal.start: missing required field "%s"' % missing
    assert len(fake.calls) == 2
    assert fails(fake, "temporal.start({ url = URL, task_queue = 'q', workflow_type = 'T', workflow_id = 'deploy-1' })"
                 ).startswith("temporal start_workflow: AlreadyExists: ")


def test_temporal_03_refused_connection_is_one_line(fake):
    """TEMPORAL-03 with the SDK: a closed port gives `temporal connect: <detail>` at once."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    msg = lua_error("temporal.connect({ url = '127.0.0.1:%d' })" % port)
    assert msg.startswith("temporal connect: ") and "\n" not in msg
    assert "refused" in msg.lower()
    assert time.monotonic() - t0 < 10
    msg = lua_error("temporal.start({ url = '127.0.0.1:%d', task_queue = 'q', workflow_type = 'T', "
                    "workflow_id = 'w' })" % port)
    assert msg.startswith("temporal connect: ")


def test_temporal_02_connect_argument_errors(fake):
    assert fails(fake, "temporal.connect()") == "temporal.connect: argument must be a table"
    assert fails(fake, "temporal.connect({ url = URL, namespace = {} })") == (
        'temporal.connect: field "namespace" must be a string')
    assert fails(fake, "temporal.connect({ url = 'http://' .. URL })").startswith("invalid temporal URL: ")
    assert fake.calls == []


def test_temporal_05_script_made_coroutine(fake):
    """Inside a coroutine the script created, the calls still work (run on a helper loop)."""
    out = run(fake, CONNECT + """
        c:start_workflow({ task_queue = "q", workflow_type = "T", workflow_id = "w" })
        local co = coroutine.wrap(function()
          local c2 = temporal.connect({ url = URL })
          c2:signal_workflow({ workflow_id = "w", signal_name = "finish", input = 5 })
          return c:describe_workflow("w").status, c2:get_result({ workflow_id = "w" })
        end)
        return co()
    """)
    assert out == ("COMPLETED", 5)


ORIGINAL_STYLE_SCRIPT = """\
-- written for assay 0.8.3: start, signal, query, await
local client = temporal.connect({ url = env.get("TEMPORAL_ADDR"), namespace = "default" })

local run = client:start_workflow({
  task_queue = "approvals",
  workflow_type = "ApprovalWorkflow",
  workflow_id = "approval-42",
  input = { request = "deploy", env = "prod" },
})
log.info("started " .. run.workflow_id .. " run " .. run.run_id)

client:signal_workflow({ workflow_id = run.workflow_id, signal_name = "approve", input = { by = "alice" } })

local state = client:query_workflow({ workflow_id = run.workflow_id, query_type = "state" })
assert.eq(state.signals[1].name, "approve")
assert.eq(state.input.env, "prod")

local info = client:describe_workflow(run.workflow_id)
print("status", info.status, info.history_length)

local waiter = async.spawn(function()
  return client:get_result({ workflow_id = run.workflow_id })
end)
client:signal_workflow({ workflow_id = run.workflow_id, signal_name = "finish", input = { approved = true } })
local result = waiter:await()[1]
print("approved", result.approved)
print("final", client:describe_workflow({ workflow_id = run.workflow_id }).status)
"""


def test_temporal_05_original_script_through_the_command(fake, tmp_path):
    """A script written for the original runs unchanged through the real `assay` command."""
    script = tmp_path / "approval.lua"
    script.write_text(ORIGINAL_STYLE_SCRIPT)
    r = run_assay(str(script), extra_env={"TEMPORAL_ADDR": fake.url})
    if os.environ.get("ASSAY_BIN") and "assay-full" in r.stderr:
        pytest.skip("the assay binary under test is the default artifact, built without temporalio")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["status\tRUNNING\t3", "approved\ttrue", "final\tCOMPLETED"]
    assert "started approval-42 run " + fake.latest("approval-42").run_id in r.stderr
    # the waiter's long poll may reach the fake before or after the "finish" signal
    assert sorted(name for name, _ in fake.calls) == sorted([
        "GetSystemInfo", "StartWorkflowExecution", "SignalWorkflowExecution", "QueryWorkflow",
        "DescribeWorkflowExecution", "GetWorkflowExecutionHistory", "SignalWorkflowExecution",
        "DescribeWorkflowExecution"])


def test_temporal_06_http_module_alongside_builtin():
    """TEMPORAL-06: require("assay.temporal") (the HTTP module) coexists with the gRPC builtin."""
    if not os.path.exists(os.path.join(ROOT, "stdlib", "temporal.lua")):
        pytest.skip("stdlib/temporal.lua (the HTTP module, another family) is not in this tree yet")
    out = lua_values("local m = require('assay.temporal')\n"
                     "return type(m), type(m.client), type(temporal), type(temporal.connect), "
                     "package.loaded['assay.temporal'] ~= temporal")
    assert out == ("table", "function", "table", "function", True)
