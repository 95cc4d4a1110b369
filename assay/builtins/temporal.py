"""`temporal` — the Temporal gRPC client.

The transport is the `temporalio` SDK's client (its Rust core speaks gRPC to the
Temporal frontend). The SDK is heavy (~300 ms to import, tens of MB on disk), so it
is imported only when a script calls `temporal.connect` or `temporal.start`, and it
is optional: a build without it (the default single-file artifact) validates the
arguments and the URL exactly as before, then fails with one line naming the
`assay-full` artifact, which carries it.

Every call is a yielding builtin: arguments are read and converted on the loop
thread during the call (Lua tables are never kept), then the SDK coroutine is
awaited on the scheduler's own asyncio loop (the SDK is asyncio-native), so a
`get_result` waiting for a workflow lets other tasks run. Inside a coroutine made
by the script, the call runs on a fresh loop in a helper thread instead.

Clients live in a per-VM Python registry keyed by an integer id; Lua holds a table
with a private metatable and colon methods (see `lua/temporal.lua`), never a Python object.

Payloads: `input` is encoded with `json.encode` rules (assay.runtime.jsontext) into
one payload with metadata `encoding = "json/plain"` (no input → no payloads); the
SDK's data converter is replaced by one that passes these payloads through
untouched. Results of `query_workflow`/`get_result` are decoded with `json.parse`
semantics (spec Note: the original looked up a missing `json.decode`); a
`binary/null` payload (what SDK workers send for a null result) is nil and a
`binary/plain` payload is returned as the raw string.
"""
import weakref

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import Op
from . import lua_file

NO_TRANSPORT = ("temporal connect: this assay build has no Temporal gRPC client; it is in the assay-full "
                "artifact (pip: assay[full]); the HTTP module require(\"assay.temporal\") works in every build")

METHODS = ("start_workflow", "signal_workflow", "query_workflow", "describe_workflow", "get_result",
           "cancel_workflow", "terminate_workflow")

# error prefix of each client method
PREFIX = {
    "start_workflow": "temporal start_workflow",
    "signal_workflow": "temporal signal",
    "query_workflow": "temporal query",
    "describe_workflow": "temporal describe",
    "get_result": "temporal get_result",
    "cancel_workflow": "temporal cancel",
    "terminate_workflow": "temporal terminate",
}

STATUS = {1: "RUNNING", 2: "COMPLETED", 3: "FAILED", 4: "CANCELED", 5: "TERMINATED", 6: "CONTINUED_AS_NEW",
          7: "TIMED_OUT"}


# ---- argument reading (on the loop thread, during the call) ------------------------------------

def _required(options, name, fn):
    value = args.field(options, name)
    if value is None:
        raise BuiltinError("%s: missing required field \"%s\"" % (fn, name))
    return args.text(value, "%s: field \"%s\" must be a string" % (fn, name))


def _optional_text(options, name, fn, default=None):
    value = args.field(options, name)
    if value is None:
        return default
    return args.text(value, "%s: field \"%s\" must be a string" % (fn, name))


def _validate_url(url):
    from urllib.parse import urlsplit
    try:
        parts = urlsplit("http://" + url)
        port = parts.port
    except ValueError as e:
        raise BuiltinError("invalid temporal URL: %s" % e) from None
    if not parts.hostname or " " in url or parts.path not in ("", "/"):
        raise BuiltinError("invalid temporal URL: %r is not host:port" % url)
    return parts.hostname, port


def _target(host, port):
    """`host:port` for the SDK (port 80 when omitted, as for an http:// URL)."""
    if ":" in host:
        host = "[%s]" % host
    return "%s:%d" % (host, 80 if port is None else port)


def _options(value, fn):
    if not args.is_table(value):
        raise BuiltinError("%s: argument must be a table" % fn)
    return value


def _input_json(options, who):
    """The JSON text of `options.input`, or None when absent (→ no payloads)."""
    from assay.runtime import jsontext
    value = args.field(options, "input")
    if value is None:
        return None
    data = to_py(value, who)
    try:
        return jsontext.encode(data)
    except (jsontext.JsonError, ValueError) as e:
        raise BuiltinError("%s: %s" % (who, e)) from None


def _workflow_ref(arg, who, with_reason):
    """workflow_id | { workflow_id, reason? } → (workflow_id, reason)."""
    if isinstance(arg, (bytes, int, float)) and not isinstance(arg, bool):
        return args.text(arg, "expected workflow_id string or table"), ""
    if not args.is_table(arg):
        raise BuiltinError("expected workflow_id string or table")
    workflow_id = _required(arg, "workflow_id", who)
    reason = _optional_text(arg, "reason", who, "") if with_reason else ""
    return workflow_id, reason


# ---- the SDK (imported on first use) ----------------------------------------------------------

def _sdk():
    """The SDK pieces this module uses; a build without temporalio fails with NO_TRANSPORT."""
    try:
        import temporalio.client
        import temporalio.converter
        import temporalio.exceptions
        import temporalio.service
        from temporalio.api.common.v1 import Payload
    except ImportError:
        raise BuiltinError(NO_TRANSPORT) from None
    return temporalio, Payload


_converter = None


def _data_converter():
    """A DataConverter whose payload converter passes ready-made Payload messages through."""
    global _converter
    if _converter is None:
        import temporalio.converter

        class PassThrough(temporalio.converter.PayloadConverter):
            def to_payloads(self, values):
                return list(values)

            def from_payloads(self, payloads, type_hints=None):
                return list(payloads)

        _converter = temporalio.converter.DataConverter(payload_converter_class=PassThrough)
    return _converter


def _payloads(json_text):
    """The argument list for an SDK call: one json/plain payload, or none."""
    if json_text is None:
        return []
    _, Payload = _sdk()
    return [Payload(metadata={"encoding": b"json/plain"}, data=json_text.encode("utf-8", "surrogateescape"))]


def _decode(payload, who):
    """A result payload as a Lua-ready value (json.parse semantics); None stays nil."""
    if payload is None:
        return None
    encoding = payload.metadata.get("encoding", b"")
    if encoding == b"binary/null":
        return None
    if encoding == b"binary/plain":
        return bytes(payload.data)
    from .json import parse
    try:
        return parse(bytes(payload.data))
    except BuiltinError as e:
        raise BuiltinError("%s: cannot decode result payload: %s" % (who, e)) from None


def _grpc_code(status):
    """RPCStatusCode.NOT_FOUND → `NotFound` (gRPC's own spelling)."""
    name = getattr(status, "name", None) or str(status)
    return "".join(part.capitalize() for part in name.split("_"))


def _error_text(e):
    """One line describing an SDK exception."""
    import temporalio.client
    import temporalio.exceptions
    import temporalio.service
    if isinstance(e, temporalio.service.RPCError):
        return "%s: %s" % (_grpc_code(e.status), e.message)
    if isinstance(e, temporalio.client.WorkflowQueryFailedError):
        return "InvalidArgument: %s" % e.message
    if isinstance(e, temporalio.client.WorkflowQueryRejectedError):
        status = e.status.name if e.status is not None else "UNKNOWN"
        return "query rejected: workflow status %s" % status
    if isinstance(e, temporalio.exceptions.WorkflowAlreadyStartedError):
        return "AlreadyExists: workflow execution already started: %s" % e.workflow_id
    if isinstance(e, temporalio.client.WorkflowContinuedAsNewError):
        return "workflow continued as new (run %s); use follow_runs = true" % e.new_execution_run_id
    if isinstance(e, temporalio.client.WorkflowFailureError):
        cause = e.cause
        if isinstance(cause, temporalio.exceptions.CancelledError):
            return "workflow canceled"
        if isinstance(cause, temporalio.exceptions.TerminatedError):
            reason = cause.message
            return "workflow terminated" + (": %s" % reason if reason and reason != "Workflow terminated" else "")
        if isinstance(cause, temporalio.exceptions.TimeoutError):
            return "workflow timed out"
        return "workflow failed: %s" % getattr(cause, "message", str(cause))
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text


class _Call(Op):
    """Await an SDK coroutine: on the scheduler's loop, or (inside a coroutine the
    script made) on a fresh loop in a helper thread. SDK errors become `<prefix>: <detail>`."""

    def __init__(self, prefix, factory, convert=None):
        self.prefix = prefix
        self.factory = factory
        self._convert = convert

    async def _guarded(self):
        try:
            return await self.factory()
        except BuiltinError:
            raise
        except Exception as e:
            detail = self._detail(e)
            if "Timeout expired" in detail or "TimeoutExpired" in detail:
                # the SDK's text is a dump of its Rust status value
                detail = "operation timed out"
            raise BuiltinError("%s: %s" % (self.prefix, detail)) from None

    def _detail(self, e):
        return _error_text(e)

    async def run(self, scheduler):
        return await self._guarded()

    def run_blocking(self, scheduler):
        import asyncio
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(self._guarded())).result()

    def convert(self, scheduler, result):
        return self._convert(result) if self._convert else result


class _Connect(_Call):
    def _detail(self, e):
        text = _error_text(e)
        return text[len("Failed client connect: "):] if text.startswith("Failed client connect: ") else text


def _connect_coro(target, namespace):
    temporalio, _ = _sdk()

    async def go():
        return await temporalio.client.Client.connect(target, namespace=namespace,
                                                       data_converter=_data_converter())
    return go


def _describe(desc):
    info = desc.raw_description.workflow_execution_info
    out = {
        "workflow_id": info.execution.workflow_id,
        "run_id": info.execution.run_id,
        "workflow_type": info.type.name,
        "status": STATUS.get(int(info.status), "UNKNOWN"),
        "history_length": int(info.history_length),
        "start_time": info.start_time.seconds + info.start_time.nanos / 1e9,
    }
    if info.HasField("close_time") and (info.close_time.seconds or info.close_time.nanos):
        out["close_time"] = info.close_time.seconds + info.close_time.nanos / 1e9
    return out


# ---- the family ------------------------------------------------------------------------------

def install(bridge):
    clients = bridge.handles("temporal client", lua=False)
    if bridge.runtime is not None:
        weakref.finalize(bridge.runtime, clients.objects.clear)

    def read_connect(options, fn):
        url = _required(options, "url", fn)
        namespace = _optional_text(options, "namespace", fn, "default")
        host, port = _validate_url(url)
        _sdk()  # fails here, after the URL checks, in a build without the SDK
        return _target(host, port), namespace

    @yielding
    def connect(options=None, *_):
        options = _options(options, "temporal.connect")
        target, namespace = read_connect(options, "temporal.connect")

        return _Connect("temporal connect", _connect_coro(target, namespace), clients.add)

    @yielding
    def start(options=None, *_):
        options = _options(options, "temporal.start")
        _required(options, "url", "temporal.start")
        fields = {name: _required(options, name, "temporal.start")
                  for name in ("task_queue", "workflow_type", "workflow_id")}
        target, namespace = read_connect(options, "temporal.start")
        payloads = _payloads(_input_json(options, "temporal start_workflow"))
        connect_to = _connect_coro(target, namespace)

        async def go():
            client = await _Connect("temporal connect", connect_to)._guarded()
            return await _Call("temporal start_workflow", _starter(client, fields, payloads))._guarded()
        return _Call("temporal start_workflow", go, _started)

    def release(*ids):
        clients.release(ids)

    @yielding
    def call(cid, method, arg=None, *_):
        client = clients.get(cid)
        name = method.decode() if isinstance(method, bytes) else str(method)
        prefix = PREFIX[name]
        if client is None:
            raise BuiltinError("temporal client: the client is closed")
        return _METHOD[name](client, arg, prefix)

    table = bridge.define("temporal", {"_connect": connect, "_start": start, "_call": call, "_release": release})
    bridge.run_lua_file(lua_file("temporal"), table, bridge.handle_maker())


# A server that accepted the connection but stops answering must not hang the Job:
# every call but `get_result` (which waits for the workflow by design) gives up after
# this long, as HTTP and the databases do.
RPC_TIMEOUT = 30.0


def _rpc_timeout():
    from datetime import timedelta
    return timedelta(seconds=RPC_TIMEOUT)


def _starter(client, fields, payloads):
    async def go():
        return await client.start_workflow(fields["workflow_type"], args=payloads, id=fields["workflow_id"],
                                           task_queue=fields["task_queue"], rpc_timeout=_rpc_timeout())
    return go


def _started(handle):
    return {"workflow_id": handle.id, "run_id": handle.result_run_id or handle.first_execution_run_id or ""}


def _start_workflow(client, arg, prefix):
    options = _options(arg, prefix)
    fields = {name: _required(options, name, prefix) for name in ("task_queue", "workflow_type", "workflow_id")}
    payloads = _payloads(_input_json(options, prefix))
    return _Call(prefix, _starter(client, fields, payloads), _started)


def _signal_workflow(client, arg, prefix):
    options = _options(arg, prefix)
    workflow_id = _required(options, "workflow_id", prefix)
    signal_name = _required(options, "signal_name", prefix)
    payloads = _payloads(_input_json(options, prefix))

    async def go():
        await client.get_workflow_handle(workflow_id).signal(signal_name, args=payloads, rpc_timeout=_rpc_timeout())
    return _Call(prefix, go)


def _query_workflow(client, arg, prefix):
    options = _options(arg, prefix)
    workflow_id = _required(options, "workflow_id", prefix)
    query_type = _required(options, "query_type", prefix)
    payloads = _payloads(_input_json(options, prefix))

    async def go():
        return await client.get_workflow_handle(workflow_id).query(query_type, args=payloads, rpc_timeout=_rpc_timeout())
    return _Call(prefix, go, lambda payload: _decode(payload, prefix))


def _describe_workflow(client, arg, prefix):
    workflow_id, _ = _workflow_ref(arg, prefix, with_reason=False)

    async def go():
        return await client.get_workflow_handle(workflow_id).describe(rpc_timeout=_rpc_timeout())
    return _Call(prefix, go, _describe)


def _get_result(client, arg, prefix):
    options = _options(arg, prefix)
    workflow_id = _required(options, "workflow_id", prefix)
    follow_runs = args.field(options, "follow_runs", True)
    if not isinstance(follow_runs, bool):
        raise BuiltinError("%s: field \"follow_runs\" must be a boolean" % prefix)

    async def go():
        return await client.get_workflow_handle(workflow_id).result(follow_runs=follow_runs)
    return _Call(prefix, go, lambda payload: _decode(payload, prefix))


def _cancel_workflow(client, arg, prefix):
    workflow_id, reason = _workflow_ref(arg, prefix, with_reason=True)

    async def go():
        await client.get_workflow_handle(workflow_id).cancel(reason=reason, rpc_timeout=_rpc_timeout())
    return _Call(prefix, go)


def _terminate_workflow(client, arg, prefix):
    workflow_id, reason = _workflow_ref(arg, prefix, with_reason=True)

    async def go():
        await client.get_workflow_handle(workflow_id).terminate(reason=reason or None, rpc_timeout=_rpc_timeout())
    return _Call(prefix, go)


_METHOD = {
    "start_workflow": _start_workflow,
    "signal_workflow": _signal_workflow,
    "query_workflow": _query_workflow,
    "describe_workflow": _describe_workflow,
    "get_result": _get_result,
    "cancel_workflow": _cancel_workflow,
    "terminate_workflow": _terminate_workflow,
}
