"""The server side of a WebSocket (RFC 6455) on an `http.serve` connection.

`handshake_problem` checks an upgrade request; `accept_key` is the answer to its key;
`ServerSocket` reads and writes frames on the asyncio streams the HTTP connection
already has (bytes the HTTP parser read ahead are used first). Control frames are
answered here: a ping gets its pong, a close gets the closing frame back. Runs on the
scheduler's loop thread only.
"""
import asyncio
import base64
import hashlib
import struct

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 64 << 20  # a peer must not make the server buffer without bound

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def _tokens(value):
    return {t.strip().lower() for t in value.split(b",")}


def is_upgrade(headers):
    """True when the request asks for a WebSocket (`Upgrade: websocket`)."""
    return any(name.lower() == b"upgrade" and b"websocket" in _tokens(value) for name, value in headers)


def handshake_problem(method, headers):
    """Why the upgrade request cannot be accepted, or None."""
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), value)
    if method != b"GET":
        return "the upgrade must be a GET request"
    if not is_upgrade(headers):
        return "missing Upgrade: websocket header"
    if b"upgrade" not in _tokens(values.get(b"connection", b"")):
        return "missing Connection: Upgrade header"
    if values.get(b"sec-websocket-version", b"").strip() != b"13":
        return "Sec-WebSocket-Version must be 13"
    if not values.get(b"sec-websocket-key"):
        return "missing Sec-WebSocket-Key header"
    return None


def accept_key(headers):
    key = next(value for name, value in headers if name.lower() == b"sec-websocket-key")
    return base64.b64encode(hashlib.sha1(key.strip() + _GUID).digest())


class ProtocolViolation(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code


class ServerSocket:
    def __init__(self, conn):
        self.conn = conn          # assay.net.server.Connection: reader, writer, read-ahead buffer
        self.closed = False       # a close frame was sent (no more writes)
        self.peer_closed = False  # the peer's close frame arrived, or the connection ended

    async def _read_exactly(self, n):
        buf = self.conn.buf
        while len(buf) < n:
            data = await self.conn.reader.read(65536)
            if not data:
                raise ConnectionError("connection closed")
            buf += data
        out = bytes(buf[:n])
        del buf[:n]
        return out

    async def _frame(self):
        b1, b2 = await self._read_exactly(2)
        fin, opcode = b1 & 0x80, b1 & 0x0F
        if b1 & 0x70:
            raise ProtocolViolation(1002, "reserved bits set")
        if not b2 & 0x80:
            raise ProtocolViolation(1002, "client frames must be masked")
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self._read_exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self._read_exactly(8))[0]
        if length > MAX_MESSAGE:
            raise ProtocolViolation(1009, "message too big")
        mask = await self._read_exactly(4)
        payload = await self._read_exactly(length)
        if length:
            # XOR with the repeated 4-byte mask, as one big integer operation
            key = (mask * (length // 4 + 1))[:length]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
        return bool(fin), opcode, payload

    async def read(self):
        """(data, "text" | "binary") for the next message, or None once the peer has
        closed (its close frame is answered) or the connection is gone."""
        if self.peer_closed:
            return None
        parts, kind, size = [], None, 0
        try:
            while True:
                fin, opcode, payload = await self._frame()
                if opcode == PING:
                    await self._send(PONG, payload[:125])
                    continue
                if opcode == PONG:
                    continue
                if opcode == CLOSE:
                    self.peer_closed = True
                    if not self.closed:
                        await self.close(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000)
                    return None
                if opcode in (TEXT, BINARY):
                    if kind is not None:
                        raise ProtocolViolation(1002, "new message inside a fragmented one")
                    kind = "text" if opcode == TEXT else "binary"
                elif opcode != CONTINUATION or kind is None:
                    raise ProtocolViolation(1002, "unexpected frame")
                size += len(payload)
                if size > MAX_MESSAGE:
                    raise ProtocolViolation(1009, "message too big")
                parts.append(payload)
                if fin:
                    return b"".join(parts), kind
        except ProtocolViolation as e:
            self.peer_closed = True
            await self.close(e.code, str(e))
            return None
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            self.peer_closed = True
            self.closed = True
            return None

    async def _send(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.conn.writer.write(head + payload)
        await self.conn.writer.drain()

    async def send(self, data, binary=False):
        """False when the socket is already closed."""
        if self.closed:
            return False
        try:
            await self._send(BINARY if binary else TEXT, data)
        except (ConnectionError, OSError):
            self.closed = self.peer_closed = True
            return False
        return True

    async def close(self, code=1000, reason=""):
        if self.closed:
            return
        self.closed = True
        try:
            await self._send(CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:123])
        except (ConnectionError, OSError):
            self.peer_closed = True
