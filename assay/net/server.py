"""The HTTP/1.1 wire protocol behind `http.serve`: listening, a small strict request
parser, response framing and the bounded Server-Sent Events queue.

Knows nothing about Lua: `serve(sock, respond)` calls `respond(conn, request)` for every
request, and the `http.serve` builtin turns requests into handler calls. Imported on the
first `http.serve` call (asyncio, sockets), so scripts that never serve do not pay for it.

The parser: request line, headers, Content-Length or chunked bodies, `Expect:
100-continue`, keep-alive (HTTP/1.1 default, HTTP/1.0 with `Connection: keep-alive`),
pipelined requests answered in order; anything malformed is answered 400 and logged.
"""
import asyncio
import collections
import http as _http_status
import re
import socket
import time
from urllib.parse import parse_qsl

from assay.runtime.logs import logger
from assay.runtime.text import os_error_text

MAX_HEAD = 1 << 20          # request line + headers
SSE_BUFFER = 32             # formatted events waiting for the connection

TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {s.value: s.phrase.encode() for s in _http_status.HTTPStatus}


class ProtocolError(Exception):
    """A malformed request: answered with 400 and logged as a connection error."""

    def __init__(self, detail, status=400):
        super().__init__(detail)
        self.status = status


class StreamClosed(Exception):
    """An SSE event was sent after the client left or the response ended."""


def listen(port):
    """A non-blocking listening socket on 0.0.0.0:port; OSError with the reason."""
    # proto given explicitly: asyncio only sets TCP_NODELAY on IPPROTO_TCP sockets
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(sock, respond):
    """Accept connections on `sock` forever; `await respond(conn, request)` answers one
    request and returns whether the connection stays open."""

    async def connection(reader, writer):
        conn = Connection(reader, writer)
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
                if not await respond(conn, request):
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

    server = await asyncio.start_server(connection, sock=sock)
    try:
        await server.serve_forever()
    finally:
        server.close()


def header_value(headers, name, default=None):
    for n, v in headers:
        if n == name:
            return v
    return default


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
            raise StreamClosed()
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


# ---- request helpers ---------------------------------------------------------------

def parse_params(query):
    """{key bytes: value bytes}: form-urlencoded, UTF-8 (lossy), last value wins."""
    if not query:
        return {}
    params = {}
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                errors="replace"):
        params[key.encode("utf-8")] = value.encode("utf-8")
    return params


_NOT_VISIBLE = re.compile(rb"[^\x20-\x7e\t]")


def visible_headers(headers):
    """{lowercase name: value} for values that are visible ASCII; last one wins."""
    out = {}
    for name, value in headers:
        if not _NOT_VISIBLE.search(value):
            out[name.lower()] = value
    return out


def keep_alive(version, headers):
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


class Connection:
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
            # tolerate empty lines before a request (RFC 9112 allows them)
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
        if not TOKEN.match(method):
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
            if not sep or not TOKEN.match(name):
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
