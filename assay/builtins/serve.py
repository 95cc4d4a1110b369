"""`http.serve(port, routes)` with Server-Sent Events: the Lua side of the server.

Installed into the `http` table by `http.py` (`members` + `finish_install`). The wire
protocol (sockets, the HTTP/1.1 parser, framing, the SSE queue) is `assay.net.server`,
imported on the first `http.serve` call so that scripts that never serve do not pay
for it at start-up; this module validates arguments and runs handlers.

`http.serve` yields an `Awaitable` op; its coroutine binds the socket, sets
`_SERVER_PORT` and serves forever on the scheduler's asyncio loop. Each request runs
its Lua handler as a new scheduler task (`scheduler._new_task(handler)` +
`scheduler.drive(task, req)`), so handlers interleave at yield points and may call
any yielding builtin (including `http.get` against this same server). The routes
table is converted to a Python dict during the `http.serve` call; afterwards Python
only hands the handler functions back to Lua. The request table is built on the loop
thread; the handler's result table (returned through `drive`, so owned by the main
Lua state) is read right after the task ends, when no coroutine is running.
"""

import time

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.convert import Multi, to_py
from assay.runtime.errors import BuiltinError, ScriptError
from assay.runtime.logs import DEBUG, logger
from assay.runtime.luaengine import lua_type
from assay.runtime.scheduler import Awaitable, Op
from assay.runtime.text import os_error_text

from . import lua_file

SSE_CLOSED = "SSE stream closed"

# ---- the builtin -------------------------------------------------------------

class _State:
    """Per-runtime server state (the scheduler, the SSE sender factory, open streams)."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.make_sender = None
        self.make_conn = None
        self.streams = {}
        self.next_stream = 0
        self.sockets = {}  # id -> assay.net.websocket.ServerSocket of an upgraded request


def members(bridge):
    state = bridge.state("http.serve", lambda: _State(bridge))

    @yielding
    def serve(port=None, routes=None):
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise BuiltinError("http.serve: first argument must be a port number")
        if not args.is_table(routes):
            raise BuiltinError("http.serve: second argument must be a routes table")
        table = _convert_routes(routes)
        return Awaitable(lambda: _Server(state, table).run(port))

    @yielding
    def sse_send(stream_id, event=None):
        stream = state.streams.get(stream_id)
        data = _format_event(event)
        return _SseSend(stream, data)

    def socket(sock_id, name):
        sock = state.sockets.get(sock_id)
        if sock is None or sock.closed and name != "read":
            return None
        return sock

    @yielding
    def ws_read(sock_id):
        sock = socket(sock_id, "read")
        if sock is None:
            return Awaitable(_nothing)
        return Awaitable(sock.read, lambda got: None if got is None else Multi(got))

    @yielding
    def ws_write(sock_id, data=None, opts=None):
        data = args.string(data, "conn:write: first argument must be a string")
        opts = args.optional_table(opts, "conn:write: second argument must be a table or nil")
        binary = args.field(opts, "binary") is True
        sock = socket(sock_id, "write")
        if sock is None:
            raise BuiltinError("conn:write: the WebSocket is closed")

        async def send():
            if not await sock.send(data, binary):
                raise BuiltinError("conn:write: the WebSocket is closed")
        return Awaitable(send)

    @yielding
    def ws_close(sock_id, code=None, reason=None):
        code = 1000 if code is None else args.number(code, "conn:close: code must be an integer")
        if code != int(code) or not 1000 <= code <= 4999:
            raise BuiltinError("conn:close: code must be an integer from 1000 to 4999")
        reason = "" if reason is None else args.text(reason, "conn:close: reason must be a string")
        sock = socket(sock_id, "close")
        if sock is None:
            return Awaitable(_nothing)
        return Awaitable(lambda: sock.close(int(code), reason))

    def ws_closed(sock_id):
        sock = state.sockets.get(sock_id)
        return sock is None or sock.closed or sock.peer_closed

    return {"serve": serve, "_sse_send": sse_send, "_ws_read": ws_read, "_ws_write": ws_write,
            "_ws_close": ws_close, "_ws_closed": ws_closed}


async def _nothing():
    return None


def finish_install(bridge, table):
    state = bridge.state("http.serve", lambda: _State(bridge))
    state.make_sender, state.make_conn = bridge.run_lua_file(lua_file("serve"), table)


def find_handler(paths, path):
    """The handler for `path`: its exact route, else the most specific wildcard route
    (`/static/*` matches everything under `/static/`, `/*` every path)."""
    handler = paths.get(path)
    if handler is not None:
        return handler
    prefix = path
    while True:
        cut = prefix.rfind(b"/")
        if cut < 0:
            return None
        prefix = prefix[:cut]
        handler = paths.get(prefix + b"/*")
        if handler is not None:
            return handler


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
        from assay.net.server import StreamClosed
        if self.stream is None:
            raise BuiltinError(SSE_CLOSED)
        try:
            await self.stream.put(self.data)
        except StreamClosed:
            raise BuiltinError(SSE_CLOSED) from None

    def run_blocking(self, scheduler):
        from assay.net.server import StreamClosed
        try:
            queued = self.stream is not None and self.stream.put_nowait(self.data)
        except StreamClosed:
            queued = False
        if not queued:
            raise BuiltinError(SSE_CLOSED if self.stream is None or self.stream.closed
                               else "SSE send: buffer full (cannot wait inside a coroutine created by the script)")


# ---- the server: requests in, handler calls, responses out ---------------------------

class _Server:
    def __init__(self, state, routes):
        self.state = state
        self.bridge = state.bridge
        self.scheduler = state.bridge.runtime.scheduler
        self.table_from = state.bridge.lua.table_from
        self.routes = routes

    async def run(self, port):
        from assay.net import server
        try:
            sock = server.listen(port)
        except OSError as e:
            raise BuiltinError("http.serve: bind failed: %s" % os_error_text(e)) from None
        self.bridge.globals._SERVER_PORT = sock.getsockname()[1]
        try:
            await server.serve(sock, self.respond)
        except OSError as e:
            raise BuiltinError("http.serve: accept failed: %s" % os_error_text(e)) from None

    async def respond(self, conn, request):
        started = time.monotonic()
        status, keep_alive = await self._respond(conn, request)
        if logger.enabled(DEBUG):
            method, target = request[0], request[1]
            logger.debug("http.serve request", method=method.decode("latin-1"),
                         path=_redact_target(target), status=status,
                         duration="%.1fms" % ((time.monotonic() - started) * 1000))
        return keep_alive

    async def _respond(self, conn, request):
        """(status answered, keep the connection open)."""
        from assay.net import server as wire
        method, target, version, headers, body = request
        path, _, query = target.partition(b"?")
        handler = find_handler(self.routes.get(method, {}), path)
        keep_alive = wire.keep_alive(version, headers)
        if handler is None:
            conn.write_response(method, 404, [(b"content-type", b"text/plain")], b"not found", keep_alive, version)
            await conn.drain()
            return 404, keep_alive
        table_from = self.table_from  # keys and values are bytes already: no generic conversion
        req = table_from({
            b"method": method,
            b"path": path,
            b"query": query,
            b"params": table_from(wire.parse_params(query)),
            b"headers": table_from(wire.visible_headers(headers)),
            b"body": body,
        })
        task_id = self.scheduler._new_task(handler)
        try:
            values = await self.scheduler.drive(task_id, req)
        except ScriptError as e:
            return await self.error_response(conn, method, path, e.message, keep_alive, version)
        result = values[0] if values else None
        if lua_type(result) != "table":
            return await self.error_response(conn, method, path, "handler must return a table, got %s"
                                             % _type_name(result), keep_alive, version)
        try:
            from .json import marks_for
            status, out_headers, kind, payload = _read_response(result, marks_for(self.bridge))
        except BuiltinError as e:
            return await self.error_response(conn, method, path, str(e), keep_alive, version)
        if wire.header_value(out_headers, b"connection", b"").lower() == b"close":
            keep_alive = False
        if kind == "ws":
            return await self.websocket(conn, method, version, headers, out_headers, payload, keep_alive)
        if kind == "sse":
            return status, await self.stream_sse(conn, method, version, status, out_headers, payload, keep_alive)
        conn.write_response(method, status, out_headers, payload, keep_alive, version)
        await conn.drain()
        return status, keep_alive

    async def error_response(self, conn, method, path, message, keep_alive, version):
        # the client sees the message too, but whoever runs the server must learn of it
        logger.error("http.serve: handler error: %s" % message, method=method.decode("latin-1"),
                     path=path.decode("utf-8", "replace"))
        body = ("handler error: %s" % message).encode("utf-8", "surrogateescape")
        conn.write_response(method, 500, [(b"content-type", b"text/plain")], body, keep_alive, version)
        await conn.drain()
        return 500, keep_alive

    # ---- WebSocket upgrade ---------------------------------------------------
    async def websocket(self, conn, method, version, request_headers, headers, ws_fn, keep_alive):
        from assay.net import websocket as ws
        problem = ws.handshake_problem(method, request_headers)
        if problem:
            conn.write_response(method, 400, [(b"content-type", b"text/plain")],
                                b"websocket upgrade rejected: " + problem.encode(), keep_alive, version)
            await conn.drain()
            return 400, keep_alive
        ours = [(b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
                (b"sec-websocket-accept", ws.accept_key(request_headers))]
        # the handshake headers are the protocol's: the handler's own spelling of them is dropped
        headers = ours + [(n, v) for n, v in headers if n not in (b"upgrade", b"connection", b"sec-websocket-accept")]
        conn.write_head(101, headers, None, True, version)
        await conn.drain()
        sock = ws.ServerSocket(conn)
        state = self.state
        state.next_stream += 1
        sock_id = state.next_stream
        state.sockets[sock_id] = sock
        peer = conn.writer.get_extra_info("peername")
        peer = b"%s:%d" % (peer[0].encode(), peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else b""
        try:
            await self.scheduler.drive(self.scheduler._new_task(ws_fn), state.make_conn(sock_id, peer))
        except ScriptError as e:
            logger.error("http.serve ws: handler error: %s" % e.message)
            await sock.close(1011, "handler error")
        finally:
            state.sockets.pop(sock_id, None)
            await sock.close()
        return 101, False  # the connection belonged to the WebSocket; it ends with it

    # ---- Server-Sent Events ------------------------------------------------
    async def stream_sse(self, conn, method, version, status, headers, producer_fn, keep_alive):
        import asyncio

        from assay.net import server as wire
        names = {name for name, _ in headers}
        for name, value in ((b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                            (b"connection", b"keep-alive")):
            if name not in names:
                headers.append((name, value))
        chunked = version == b"HTTP/1.1"
        if not chunked:
            keep_alive = False  # HTTP/1.0: the body ends when the connection closes
        conn.write_head(status, headers, None, keep_alive, version, chunked=chunked)
        state = self.state
        state.next_stream += 1
        stream_id = state.next_stream
        stream = wire.SseStream()
        state.streams[stream_id] = stream
        task_id = self.scheduler._new_task(producer_fn)
        producer = asyncio.ensure_future(self.scheduler.drive(task_id, state.make_sender(stream_id)))
        producer.add_done_callback(lambda f: (stream.finish(), _log_producer(f)))
        watcher = asyncio.ensure_future(conn.watch_eof())
        watcher.add_done_callback(lambda f: None if f.cancelled() else stream.close())  # EOF or a reset
        try:
            await stream.pump(conn, chunked and method != b"HEAD")
        finally:
            state.streams.pop(stream_id, None)
            stream.close()
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)  # it must stop reading first
        if stream.broken or conn.eof:
            return False
        if chunked:
            conn.writer.write(b"0\r\n\r\n")
        await conn.drain()
        return keep_alive


def _log_producer(future):
    if future.cancelled():
        return
    exc = future.exception()
    if exc is None:
        return
    if isinstance(exc, ScriptError):
        if exc.value == SSE_CLOSED:
            return
        logger.error("http.serve SSE: handler error: %s" % exc.message)
    else:
        logger.error("http.serve SSE: handler error: %s" % exc)


# ---- reading the handler's response table -------------------------------------

def _redact_target(target):
    from assay.net.client import redact_url
    return redact_url(target.decode("utf-8", "replace"))


def _read_response(result, marks=None):
    """(status, [(name, value)], kind, payload) from the handler's table (main-state owned);
    `marks`: the json.array/json.object shapes for a `json` table."""
    status = _status(result[b"status"])
    headers = _response_headers(result[b"headers"])
    ws = result[b"ws"]
    if ws is not None and lua_type(ws) == "function":
        return 101, headers, "ws", ws
    has_type = any(name == b"content-type" for name, _ in headers)
    sse = result[b"sse"]
    if sse is not None and lua_type(sse) == "function":
        return status, headers, "sse", sse
    payload = result[b"json"]
    if payload is not None and args.is_table(payload):
        from assay.runtime.jsontext import JsonError, encode
        try:
            body = encode(to_py(payload, marks=marks)).encode("utf-8", "surrogateescape")
        except JsonError as e:
            raise BuiltinError(str(e)) from None
        if not has_type:
            headers.append((b"content-type", b"application/json"))
        return status, headers, "body", body
    body = result[b"body"]
    if isinstance(body, bytes):
        pass
    elif isinstance(body, (int, float)) and not isinstance(body, bool):
        body = args.lua_number_text(body).encode()
    else:
        body = b""
    if not has_type:
        headers.append((b"content-type", b"text/plain"))
    return status, headers, "body", body


def _status(value):
    if isinstance(value, bool) or value is None:
        return 200
    if isinstance(value, bytes):
        value = args.parse_lua_number(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 100 <= value <= 999:
        return value
    return 200


def _response_headers(table):
    """[(lowercase name, value)]; numbers coerced, other non-string values ignored.

    An invalid name or value raises BuiltinError (the caller answers 500)."""
    from assay.net.server import BAD_VALUE, TOKEN
    out = []
    if table is None or not args.is_table(table):
        return out
    for name, value in table.items():
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = args.lua_number_text(name).encode()
        if not isinstance(name, bytes):
            continue
        if args.is_table(value):
            items = sorted((k, v) for k, v in value.items() if type(k) is int)
            values = [v for _, v in items]
        else:
            values = [value]
        lower = name.lower()
        for v in values:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = args.lua_number_text(v).encode()
            if not isinstance(v, bytes):
                continue
            if not TOKEN.match(name):
                raise BuiltinError("invalid response header name %s" % _show(name))
            if BAD_VALUE.search(v):
                raise BuiltinError("invalid value for response header %s" % _show(name))
            out.append((lower, v))
    return out


def _show(raw):
    return '"%s"' % raw.decode("utf-8", "backslashreplace").encode("unicode_escape").decode("ascii")



