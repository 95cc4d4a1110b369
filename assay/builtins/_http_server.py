"""The HTTP/1.1 server behind `http.serve` (see serve.py for the design notes).

Imported lazily, on the first `http.serve` call.
"""
import asyncio
import collections
import http as _http_status
import re
import socket
import time
from urllib.parse import parse_qsl

from lupa.lua55 import lua_type

from assay.runtime import args
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError, ScriptError
from assay.runtime.logs import logger

from assay.runtime.text import os_error_text
from .serve import SSE_CLOSED, _type_name

MAX_HEAD = 1 << 20          # request line + headers
SSE_BUFFER = 32             # formatted events waiting for the connection (runtime.md §9)

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {s.value: s.phrase.encode() for s in _http_status.HTTPStatus}


class ProtocolError(Exception):
    """A malformed request: answered with 400 and logged as a connection error."""

    def __init__(self, detail, status=400):
        super().__init__(detail)
        self.status = status


# ---- server ------------------------------------------------------------------

class Server:
    def __init__(self, state, routes):
        self.state = state
        self.bridge = state.bridge
        self.scheduler = state.bridge.runtime.scheduler
        self.table_from = state.bridge.lua.table_from
        self.routes = routes

    async def run(self, port):
        # proto given explicitly: asyncio only sets TCP_NODELAY on IPPROTO_TCP sockets
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("0.0.0.0", port))
            sock.listen(1024)
            sock.setblocking(False)
        except OSError as e:
            sock.close()
            raise BuiltinError("http.serve: bind failed: %s" % os_error_text(e)) from None
        server = await asyncio.start_server(self.connection, sock=sock)
        self.bridge.globals._SERVER_PORT = sock.getsockname()[1]
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            raise
        except OSError as e:
            raise BuiltinError("http.serve: accept failed: %s" % os_error_text(e)) from None
        finally:
            server.close()

    async def connection(self, reader, writer):
        conn = _Connection(reader, writer)
        try:
            while True:
                try:
                    request = await conn.read_request()
                except ProtocolError as e:
                    logger.error("http.serve: connection error: %s" % e)
                    conn.write_simple(e.status, b"")
                    await conn.drain()
                    break
                if request is None:
                    break
                keep_alive = await self.respond(conn, request)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away: not worth a log line
        except asyncio.CancelledError:
            pass  # the runtime is shutting down; ending quietly keeps asyncio from logging it
        except Exception as e:  # never let a bug kill the loop silently
            logger.error("http.serve: connection error: %s: %s" % (type(e).__name__, e))
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def respond(self, conn, request):
        method, target, version, headers, body = request
        path, _, query = target.partition(b"?")
        handler = self.routes.get(method, {}).get(path)
        keep_alive = _keep_alive(version, headers)
        if handler is None:
            conn.write_response(method, 404, [(b"content-type", b"text/plain")], b"not found", keep_alive, version)
            await conn.drain()
            return keep_alive
        table_from = self.table_from  # keys and values are bytes already: no generic conversion
        req = table_from({
            b"method": method,
            b"path": path,
            b"query": query,
            b"params": table_from(_parse_params(query)),
            b"headers": table_from(_visible_headers(headers)),
            b"body": body,
        })
        task_id = self.scheduler._new_task(handler)
        try:
            values = await self.scheduler.drive(task_id, req)
        except ScriptError as e:
            return await self.error_response(conn, method, e.message, keep_alive, version)
        result = values[0] if values else None
        if lua_type(result) != "table":
            return await self.error_response(conn, method, "handler must return a table, got %s"
                                             % _type_name(result), keep_alive, version)
        try:
            status, out_headers, kind, payload = _read_response(result)
        except BuiltinError as e:
            return await self.error_response(conn, method, str(e), keep_alive, version)
        if _header_value(out_headers, b"connection", b"").lower() == b"close":
            keep_alive = False
        if kind == "sse":
            return await self.stream_sse(conn, method, version, status, out_headers, payload, keep_alive)
        conn.write_response(method, status, out_headers, payload, keep_alive, version)
        await conn.drain()
        return keep_alive

    async def error_response(self, conn, method, message, keep_alive, version):
        body = ("handler error: %s" % message).encode("utf-8", "surrogateescape")
        conn.write_response(method, 500, [(b"content-type", b"text/plain")], body, keep_alive, version)
        await conn.drain()
        return keep_alive

    # ---- Server-Sent Events ------------------------------------------------
    async def stream_sse(self, conn, method, version, status, headers, producer_fn, keep_alive):
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
        stream = SseStream()
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


class SseStream:
    """Formatted events between the producer task and the connection (bounded)."""

    def __init__(self):
        self.events = collections.deque()
        self.closed = False      # client gone or response over: `send` raises
        self.finished = False    # producer returned
        self.broken = False      # a write failed
        self._writer_wakeup = None
        self._space = collections.deque()

    def _wake_writer(self):
        w = self._writer_wakeup
        if w is not None and not w.done():
            w.set_result(None)

    def _wake_senders(self):
        while self._space:
            f = self._space.popleft()
            if not f.done():
                f.set_result(None)

    def put_nowait(self, data):
        if self.closed:
            raise BuiltinError(SSE_CLOSED)
        if len(self.events) >= SSE_BUFFER:
            return False
        self.events.append(data)
        self._wake_writer()
        return True

    async def put(self, data):
        while not self.put_nowait(data):
            waiter = asyncio.get_running_loop().create_future()
            self._space.append(waiter)
            await waiter

    def finish(self):
        self.finished = True
        self._wake_writer()

    def close(self):
        self.closed = True
        self._wake_writer()
        self._wake_senders()

    async def pump(self, conn, chunked_body):
        loop = asyncio.get_running_loop()
        writer = conn.writer
        while True:
            if self.events:
                batch = b"".join(self.events)
                self.events.clear()
                self._wake_senders()
                if chunked_body:
                    writer.write(b"%x\r\n%s\r\n" % (len(batch), batch))
                else:
                    writer.write(batch)
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    self.broken = True
                    return
                continue
            if self.closed or self.finished:
                return
            self._writer_wakeup = loop.create_future()
            await self._writer_wakeup
            self._writer_wakeup = None


# ---- reading the handler's response table -------------------------------------

def _read_response(result):
    """(status, [(name, value)], kind, payload) from the handler's table (main-state owned)."""
    status = _status(result[b"status"])
    headers = _response_headers(result[b"headers"])
    has_type = any(name == b"content-type" for name, _ in headers)
    sse = result[b"sse"]
    if sse is not None and lua_type(sse) == "function":
        return status, headers, "sse", sse
    payload = result[b"json"]
    if payload is not None and args.is_table(payload):
        from assay.runtime.jsontext import JsonError, encode
        try:
            body = encode(to_py(payload)).encode("utf-8", "surrogateescape")
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
            if not _TOKEN.match(name):
                raise BuiltinError("invalid response header name %s" % _show(name))
            if _BAD_VALUE.search(v):
                raise BuiltinError("invalid value for response header %s" % _show(name))
            out.append((lower, v))
    return out


def _show(raw):
    return '"%s"' % raw.decode("utf-8", "backslashreplace").encode("unicode_escape").decode("ascii")


def _header_value(headers, name, default=None):
    for n, v in headers:
        if n == name:
            return v
    return default


# ---- request helpers ------------------------------------------------------------

def _parse_params(query):
    """{key bytes: value bytes}: form-urlencoded, UTF-8 (lossy), last value wins."""
    if not query:
        return {}
    params = {}
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                errors="replace"):
        params[key.encode("utf-8")] = value.encode("utf-8")
    return params


_NOT_VISIBLE = re.compile(rb"[^\x20-\x7e\t]")


def _visible_headers(headers):
    """{lowercase name: value} for values that are visible ASCII; last one wins."""
    out = {}
    for name, value in headers:
        if not _NOT_VISIBLE.search(value):
            out[name.lower()] = value
    return out


def _keep_alive(version, headers):
    connection = b""
    for name, value in headers:
        if name.lower() == b"connection":
            connection = value.lower()
    tokens = {t.strip() for t in connection.split(b",")}
    if version == b"HTTP/1.1":
        return b"close" not in tokens
    return b"keep-alive" in tokens


_date_cache = [0, b""]


def _date():
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)).encode()
    return _date_cache[1]


class _Connection:
    """Buffered reading of requests and writing of responses on one connection."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False

    async def _fill(self):
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def watch_eof(self):
        """During an SSE response: returns (or raises) when the client closes the connection."""
        while not self.eof:
            try:
                await self._fill()  # pipelined data after an SSE request stays in the buffer
            except (ConnectionError, OSError):
                self.eof = True

    async def read_request(self):
        """(method, target, version, [(name, value)], body) or None at a clean end."""
        buf = self.buf
        while True:
            # tolerate empty lines before a request (RFC 9112 §2.2)
            while buf[:2] == b"\r\n":
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(buf) > MAX_HEAD:
                raise ProtocolError("message head is too large", 431)
            if self.eof or not await self._fill():
                if buf:
                    raise ProtocolError("connection closed before message completed")
                return None
        head = bytes(buf[:end])
        del buf[:end + 4]
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ProtocolError("invalid request line")
        method, target, version = parts
        if not _TOKEN.match(method):
            raise ProtocolError("invalid HTTP method parsed")
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            if version.startswith(b"HTTP/"):
                raise ProtocolError("unsupported HTTP version", 505)
            raise ProtocolError("invalid HTTP version parsed")
        target = _origin_form(target)
        headers = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                raise ProtocolError("obsolete line folding in header")
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.match(name):
                raise ProtocolError("invalid header name parsed")
            value = value.strip(b" \t")
            if b"\r" in value or b"\n" in value or b"\0" in value:
                raise ProtocolError("invalid header value parsed")
            headers.append((name, value))
        body = await self._read_body(version, headers)
        return method, target, version, headers, body

    async def _read_body(self, version, headers):
        length = None
        chunked = False
        expect_continue = False
        for name, value in headers:
            lname = name.lower()
            if lname == b"transfer-encoding":
                codings = [c.strip().lower() for c in value.split(b",") if c.strip()]
                chunked = bool(codings) and codings[-1] == b"chunked"
                if not chunked:
                    raise ProtocolError("unsupported transfer encoding")
            elif lname == b"content-length":
                if not value.isdigit():
                    raise ProtocolError("invalid content-length parsed")
                if length is not None and int(value) != length:
                    raise ProtocolError("conflicting content-length headers")
                length = int(value)
            elif lname == b"expect" and value.lower() == b"100-continue":
                expect_continue = version == b"HTTP/1.1"
        if chunked:
            if expect_continue and not self.buf:
                self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            return await self._read_chunked()
        if not length:
            return b""
        if expect_continue and not self.buf:
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while len(self.buf) < length:
            if self.eof or not await self._fill():
                raise ProtocolError("connection closed before message completed")
        body = bytes(self.buf[:length])
        del self.buf[:length]
        return body

    async def _read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            if len(self.buf) > MAX_HEAD:
                raise ProtocolError("chunk header is too large")
            if self.eof or not await self._fill():
                raise ProtocolError("connection closed before message completed")

    async def _read_chunked(self):
        parts = []
        while True:
            size_text = (await self._read_line()).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError("invalid chunk size parsed") from None
            if size < 0:
                raise ProtocolError("invalid chunk size parsed")
            if size == 0:
                while await self._read_line():  # trailers, up to the empty line
                    pass
                return b"".join(parts)
            while len(self.buf) < size + 2:
                if self.eof or not await self._fill():
                    raise ProtocolError("connection closed before message completed")
            if self.buf[size:size + 2] != b"\r\n":
                raise ProtocolError("invalid chunk terminator")
            parts.append(bytes(self.buf[:size]))
            del self.buf[:size + 2]

    # ---- writing ----------------------------------------------------------------
    def write_head(self, status, headers, length, keep_alive, version, chunked=False, body=b""):
        out = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
        names = set()
        for name, value in headers:
            if name in (b"content-length", b"transfer-encoding"):
                continue  # framing is ours
            names.add(name)
            out.append(b"%s: %s\r\n" % (name, value))
        if length is not None:
            out.append(b"content-length: %d\r\n" % length)
        if chunked:
            out.append(b"transfer-encoding: chunked\r\n")
        if b"connection" not in names:
            if not keep_alive:
                out.append(b"connection: close\r\n")
            elif version == b"HTTP/1.0":
                out.append(b"connection: keep-alive\r\n")
        if b"date" not in names:
            out.append(b"date: %s\r\n" % _date())
        out.append(b"\r\n")
        out.append(body)
        self.writer.write(b"".join(out))

    def write_response(self, method, status, headers, body, keep_alive, version):
        if status < 200 or status in (204, 304):
            self.write_head(status, headers, None, keep_alive, version)
            return
        self.write_head(status, headers, len(body), keep_alive, version,
                        body=body if method != b"HEAD" else b"")

    def write_simple(self, status, body):
        self.writer.write(b"HTTP/1.1 %d %s\r\ncontent-length: %d\r\nconnection: close\r\ndate: %s\r\n\r\n%s"
                          % (status, _REASONS.get(status, b""), len(body), _date(), body))

    async def drain(self):
        await self.writer.drain()


def _origin_form(target):
    """The path?query part of a request target (absolute-form is reduced to it)."""
    if target[:1] == b"/" or target == b"*":
        return target
    scheme, sep, rest = target.partition(b"://")
    if sep and scheme.lower() in (b"http", b"https"):
        slash = rest.find(b"/")
        question = rest.find(b"?")
        if slash < 0 or (0 <= question < slash):
            return b"/" + (rest[question:] if question >= 0 else b"")
        return rest[slash:]
    if b"/" not in target and b"?" not in target:
        return target  # authority-form (CONNECT host:port)
    raise ProtocolError("invalid URI")
