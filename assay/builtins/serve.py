"""`http.serve(port, routes)` with Server-Sent Events (builtins.md §2, §2.1).

Installed into the `http` table by `http.py` (`members` + `finish_install`). This
module only validates arguments; the server itself (asyncio, sockets, the HTTP/1.1
parser) lives in `_http_server.py`, imported on the first `http.serve` call so that
scripts that never serve do not pay for it at start-up.

Design (shared/design/lua-bridge.md §5): `http.serve` yields an `Awaitable` op; its
coroutine binds the socket, sets `_SERVER_PORT` and serves forever on the
scheduler's asyncio loop. Each request runs its Lua handler as a new scheduler task
(`scheduler._new_task(handler)` + `scheduler.drive(task, req)`), so handlers
interleave at yield points and may call any yielding builtin (including `http.get`
against this same server). The routes table is converted to a Python dict during
the `http.serve` call; afterwards Python only hands the handler functions back to
Lua. The request table is built on the loop thread; the handler's result table
(returned through `drive`, so owned by the main Lua state) is read right after the
task ends, when no coroutine is running.

HTTP/1.1 is parsed by a small strict parser (`_read_request`): request line,
headers, Content-Length or chunked bodies, `Expect: 100-continue`, keep-alive
(HTTP/1.1 default, HTTP/1.0 with `Connection: keep-alive`), pipelined requests
answered in order.
"""

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import Awaitable, Op

SSE_CLOSED = "SSE stream closed"

SSE_LUA = r"""
local http = ...
local send = http._sse_send
http._sse_send = nil
return function(stream_id)
  return function(event) return send(stream_id, event) end
end
"""


# ---- the builtin -------------------------------------------------------------

class _State:
    """Per-runtime server state (the scheduler, the SSE sender factory, open streams)."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.make_sender = None
        self.streams = {}
        self.next_stream = 0


def members(bridge):
    state = _State(bridge)
    bridge._assay_serve_state = state

    @yielding
    def serve(port=None, routes=None):
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise BuiltinError("http.serve: first argument must be a port number")
        if not args.is_table(routes):
            raise BuiltinError("http.serve: second argument must be a routes table")
        table = _convert_routes(routes)
        from ._http_server import Server  # asyncio, sockets: only when a script serves
        return Awaitable(lambda: Server(state, table).run(port))

    @yielding
    def sse_send(stream_id, event=None):
        stream = state.streams.get(stream_id)
        data = _format_event(event)
        return _SseSend(stream, data)

    return {"serve": serve, "_sse_send": sse_send}


def finish_install(bridge, table):
    bridge._assay_serve_state.make_sender = bridge.run_lua(SSE_LUA, "=[assay http.serve]", table)


def _convert_routes(routes):
    """{METHOD bytes: {path bytes: handler}} — read now, never index the Lua table later."""
    out = {}
    for method, paths in routes.items():
        if not isinstance(method, bytes):
            raise BuiltinError("http.serve: route method must be a string, got %s" % _type_name(method))
        if not args.is_table(paths):
            raise BuiltinError("http.serve: routes for %s must be a table of path -> handler"
                               % method.decode("utf-8", "replace"))
        target = out.setdefault(method.upper(), {})
        for path, handler in paths.items():
            if not isinstance(path, bytes):
                raise BuiltinError("http.serve: route path must be a string, got %s" % _type_name(path))
            if not args.is_function(handler):
                raise BuiltinError("http.serve: handler for %s %s must be a function, got %s"
                                   % (method.decode("utf-8", "replace").upper(),
                                      path.decode("utf-8", "replace"), _type_name(handler)))
            target[path] = handler
    return out


_type_name = args.type_name


def _format_event(event):
    """The wire form of one SSE event; validates during the call (reads the Lua table now)."""
    if not args.is_table(event):
        raise BuiltinError("SSE send: argument must be an event table")
    out = []
    name = event[b"event"]
    if name is not None:
        name = args.string(name, "SSE send: event must be a string")
        if b"\n" in name or b"\r" in name:
            raise BuiltinError("SSE event name must not contain newlines")
    data = event[b"data"]
    if data is not None:
        data = args.string(data, "SSE send: data must be a string")
    ident = event[b"id"]
    if ident is not None:
        ident = args.string(ident, "SSE send: id must be a string")
        if b"\n" in ident or b"\r" in ident:
            raise BuiltinError("SSE id must not contain newlines")
    retry = event[b"retry"]
    if retry is not None:
        retry = args.number(retry, "SSE send: retry must be an integer")
        if isinstance(retry, float):
            if retry != retry or retry in (float("inf"), float("-inf")) or not retry.is_integer():
                raise BuiltinError("SSE send: retry must be an integer")
            retry = int(retry)
    if name is not None:
        out.append(b"event: %s\n" % name)
    if data is not None:
        for line in data.split(b"\n"):
            out.append(b"data: %s\n" % line)
    if ident is not None:
        out.append(b"id: %s\n" % ident)
    if retry is not None:
        out.append(b"retry: %d\n" % retry)
    out.append(b"\n")
    return b"".join(out)


class _SseSend(Op):
    """The yielding part of SSE `send`: queue one formatted event, waiting for room."""

    def __init__(self, stream, data):
        self.stream = stream
        self.data = data

    async def run(self, scheduler):
        if self.stream is None:
            raise BuiltinError(SSE_CLOSED)
        await self.stream.put(self.data)

    def run_blocking(self, scheduler):
        if self.stream is None or not self.stream.put_nowait(self.data):
            raise BuiltinError(SSE_CLOSED if self.stream is None or self.stream.closed
                               else "SSE send: buffer full (cannot wait inside a coroutine created by the script)")


