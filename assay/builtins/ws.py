"""`ws` — WebSocket client (builtins.md §15) over websocket-client.

Every call yields: the socket work happens on a worker thread (`InThread`), so a
`ws.recv` waiting for a message does not stop other tasks. Connections live in a
Python registry keyed by an integer id; Lua holds an opaque handle (an empty table
with a protected metatable) that only the `ws` functions can map back to the id.
"""
import _thread
import itertools

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError

from assay.runtime.scheduler import InThread

from assay.runtime.text import os_error_text

from ._http_common import handle_table

CONNECT_TIMEOUT = 30.0

LUA = r"""
local ws, register, lookup, take_dead = ...
local connect, send, recv, close = ws._connect, ws._send, ws._recv, ws._close
ws._connect, ws._send, ws._recv, ws._close = nil, nil, nil, nil
local error = error

local function id_of(conn, fn)
  local id = lookup(conn)
  if id == nil then error("ws." .. fn .. ": first argument must be a ws connection", 0) end
  return id
end

function ws.connect(url) return register(connect(url, take_dead())) end
function ws.send(conn, text) return send(id_of(conn, "send"), text) end
function ws.recv(conn) return recv(id_of(conn, "recv")) end
function ws.close(conn) return close(id_of(conn, "close")) end
"""

_connections = {}  # id -> websocket.WebSocket
_ids = itertools.count(1)
_lock = _thread.allocate_lock()


def _detail(e):
    if isinstance(e, OSError) and getattr(e, "errno", None) and getattr(e, "strerror", None):
        return os_error_text(e)
    text = str(e)
    return text if text else type(e).__name__


def _shutdown(sock):
    try:
        sock.shutdown()
    except Exception:
        pass


@yielding
def _connect(url=None, *dead):
    for conn_id in dead:  # handles Lua has collected since the last call
        _release(conn_id)
    url = args.text(url, "ws.connect: first argument must be a URL string")

    def work():
        import websocket
        try:
            conn = websocket.create_connection(url, timeout=CONNECT_TIMEOUT, enable_multithread=True)
            conn.settimeout(None)  # recv waits as long as it takes
        except Exception as e:
            raise BuiltinError("ws.connect: %s" % _detail(e)) from None
        with _lock:
            conn_id = next(_ids)
            _connections[conn_id] = conn
        return conn_id

    return InThread(work)


def _get(conn_id):
    conn = _connections.get(conn_id)
    if conn is None:
        raise BuiltinError("connection is closed")
    return conn


@yielding
def _send(conn_id, text=None):
    raw = args.string(text, "ws.send: second argument must be a string")
    try:
        message = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError("ws.send: invalid UTF-8: %s" % e) from None

    def work():
        try:
            _get(conn_id).send(message)
        except Exception as e:
            raise BuiltinError("ws.send: %s" % _detail(e)) from None

    return InThread(work)


@yielding
def _recv(conn_id):
    def work():
        import websocket
        from websocket import ABNF
        try:
            conn = _get(conn_id)
            opcode, data = conn.recv_data(control_frame=False)  # pings answered, pongs skipped
        except websocket.WebSocketConnectionClosedException:
            raise BuiltinError("ws.recv: connection closed") from None
        except Exception as e:
            if isinstance(e, OSError) and not conn_open(conn_id):
                raise BuiltinError("ws.recv: connection closed") from None
            raise BuiltinError("ws.recv: %s" % _detail(e)) from None
        if opcode == ABNF.OPCODE_CLOSE:
            raise BuiltinError("ws.recv: connection closed")
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("ws.recv: invalid UTF-8: %s" % e) from None
        return bytes(data)

    conn = _connections.get(conn_id)
    return InThread(work, on_cancel=(lambda: _shutdown(conn)) if conn is not None else None)


def conn_open(conn_id):
    conn = _connections.get(conn_id)
    return conn is not None and conn.connected


@yielding
def _close(conn_id):
    def work():
        import websocket
        conn = _connections.get(conn_id)
        if conn is None or not conn.connected:
            return None
        try:
            conn.send_close()
        except websocket.WebSocketConnectionClosedException:
            pass
        except Exception as e:
            raise BuiltinError("ws.close: %s" % _detail(e)) from None
        finally:
            conn.connected = False
            _shutdown_socket(conn)
        return None

    return InThread(work)


def _shutdown_socket(conn):
    """Close the TCP socket; a recv blocked on it in another thread then fails."""
    import socket
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _release(conn_id):
    with _lock:
        conn = _connections.pop(conn_id, None)
    if conn is not None:
        _shutdown(conn)


def install(bridge):
    table = bridge.define("ws", {"_connect": _connect, "_send": _send, "_recv": _recv, "_close": _close})
    register, lookup, take_dead = handle_table(bridge, "ws connection")
    bridge.run_lua(LUA, "=[assay ws]", table, register, lookup, take_dead)
