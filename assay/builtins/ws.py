"""`ws` — WebSocket client over websocket-client.

Every call yields: the socket work happens on a worker thread (`InThread`), so a
`ws.recv` waiting for a message does not stop other tasks. Connections are the VM's
`ws connection` handles (`bridge.handles`): Lua holds an opaque handle, Python the socket.
"""
import _thread
import functools

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.logs import logger

from assay.runtime.scheduler import InThread

from assay.runtime.text import os_error_text
from . import lua_file



CONNECT_TIMEOUT = 30.0


class _Connections:
    """One VM's connections: the `ws connection` handles (id -> websocket.WebSocket) and the
    ids of those opened with an options table, whose binary frames come back as raw bytes."""

    def __init__(self, bridge):
        self.handles = bridge.handles("ws connection")
        self.raw = set()
        self.lock = _thread.allocate_lock()  # worker threads add and remove connections

    def get(self, conn_id):
        return self.handles.get(conn_id)


def _detail(e):
    if isinstance(e, OSError) and getattr(e, "errno", None) and getattr(e, "strerror", None):
        return os_error_text(e)
    status = getattr(e, "status_code", None)
    if status is not None:  # not a WebSocket server: the HTTP status, not a dump of the reply
        from http import HTTPStatus
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        return ("HTTP error: %d %s" % (status, reason)).rstrip()
    from assay.runtime.sandbox import clean_message
    return clean_message(e)


def _shutdown(sock):
    try:
        sock.shutdown()
    except Exception:
        pass


def _options(opts):
    """create_connection keyword arguments from ws.connect's options table: subprotocols,
    headers, the recv timeout, and TLS (the options `http.client` takes, read by
    `_tls_options`, plus insecure = true to skip certificate verification)."""
    opts = args.optional_table(opts, "ws.connect: second argument must be a table or nil")
    if opts is None:
        return {}, None
    kwargs = {}
    protocols = args.field(opts, "subprotocols")
    if protocols is not None:
        if not args.is_table(protocols):
            raise BuiltinError("ws.connect: subprotocols must be an array of strings")
        kwargs["subprotocols"] = [args.text(v, "ws.connect: subprotocols must be an array of strings")
                                  for _, v in sorted(protocols.items())]
    headers = args.field(opts, "headers")
    if headers is not None:
        if not args.is_table(headers):
            raise BuiltinError("ws.connect: headers must be a table")
        _handshake_headers(kwargs, [(args.text(k, "ws.connect: header names must be strings"),
                                     args.text(v, "ws.connect: header values must be strings"))
                                    for k, v in headers.items()])
    timeout = args.field(opts, "timeout")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise BuiltinError("ws.connect: timeout must be a positive number of seconds")
        kwargs["recv_timeout"] = float(timeout)
    from . import _tls_options  # the first connect pays, not every start
    return kwargs, _tls_options.read(opts, "ws.connect", insecure_allowed=True)


def _handshake_headers(kwargs, headers):
    """Put the script's handshake headers where websocket-client uses them instead of
    its own: a header it would set itself (Host, Origin, Cookie, the protocol list, the
    key) given as a plain extra header would be sent twice, so the script's value
    replaces the library's, whatever the spelling of the name."""
    extra = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "host":
            kwargs["host"] = value
        elif lower == "origin":
            kwargs["origin"] = value
        elif lower == "cookie":
            kwargs["cookie"] = value
        elif lower == "connection":
            kwargs["connection"] = "Connection: %s" % value
        elif lower == "sec-websocket-protocol":
            kwargs["subprotocols"] = [p.strip() for p in value.split(",") if p.strip()]
        elif lower == "upgrade":
            continue  # always `websocket`: the library sends it
        elif lower in ("sec-websocket-key", "sec-websocket-version"):
            # the library looks these two up by their canonical spelling
            extra["Sec-WebSocket-Key" if lower == "sec-websocket-key" else "Sec-WebSocket-Version"] = value
        else:
            extra[name] = value
    if extra:
        kwargs["header"] = extra


@yielding
def _connect(vm, url=None, opts=None, *dead):
    for conn_id in dead:  # handles Lua has collected since the last call
        _release(vm, conn_id)
    url = args.text(url, "ws.connect: first argument must be a URL string")
    kwargs, tls_opts = _options(opts)

    def work():
        import websocket

        from assay.net import tls
        from assay.net.client import redact_url
        from . import _tls_options
        recv_timeout = kwargs.pop("recv_timeout", None)
        try:
            if url.lower().startswith("wss:"):
                kwargs["sslopt"] = {"context": tls.client_context(**(tls_opts or _tls_options.read(None, "")))}
            with logger.timed("ws connect", url=redact_url(url)):
                conn = websocket.create_connection(url, timeout=CONNECT_TIMEOUT, enable_multithread=True,
                                                   **kwargs)
            conn.settimeout(recv_timeout)  # by default recv waits as long as it takes
        except Exception as e:
            raise BuiltinError("ws.connect: %s" % _detail(e)) from None
        with vm.lock:
            conn_id = vm.handles.add(conn)
            if tls_opts is not None:
                vm.raw.add(conn_id)
        return conn_id

    return InThread(work)


@yielding
def _send_binary(vm, conn_id, data=None):
    raw = args.string(data, "ws.send_binary: second argument must be a string")

    def work():
        from websocket import ABNF
        try:
            with logger.timed("ws send", conn=conn_id, kind="binary", bytes=len(raw)):
                _get(vm, conn_id).send(raw, opcode=ABNF.OPCODE_BINARY)
        except Exception as e:
            raise BuiltinError("ws.send_binary: %s" % _detail(e)) from None

    return InThread(work)


def _protocol(vm, conn_id):
    conn = vm.get(conn_id)
    return conn.getsubprotocol() if conn is not None else None


def _get(vm, conn_id):
    conn = vm.get(conn_id)
    if conn is None:
        raise BuiltinError("connection is closed")
    return conn


@yielding
def _send(vm, conn_id, text=None):
    raw = args.string(text, "ws.send: second argument must be a string")
    try:
        message = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError("ws.send: invalid UTF-8: %s" % e) from None

    def work():
        try:
            with logger.timed("ws send", conn=conn_id, kind="text", bytes=len(raw)):
                _get(vm, conn_id).send(message)
        except Exception as e:
            raise BuiltinError("ws.send: %s" % _detail(e)) from None

    return InThread(work)


@yielding
def _recv(vm, conn_id):
    def work():
        import websocket
        from websocket import ABNF
        try:
            conn = _get(vm, conn_id)
            with logger.timed("ws recv", conn=conn_id) as call:
                opcode, data = conn.recv_data(control_frame=False)  # pings answered, pongs skipped
                call.fields["bytes"] = len(data)
        except websocket.WebSocketConnectionClosedException:
            raise BuiltinError("ws.recv: connection closed") from None
        except websocket.WebSocketTimeoutException:
            raise BuiltinError("ws.recv: timed out after %g s (the connection's timeout)"
                               % conn.gettimeout()) from None
        except Exception as e:
            if isinstance(e, OSError) and not conn_open(vm, conn_id):
                raise BuiltinError("ws.recv: connection closed") from None
            raise BuiltinError("ws.recv: %s" % _detail(e)) from None
        if opcode == ABNF.OPCODE_CLOSE:
            raise BuiltinError("ws.recv: connection closed")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if conn_id in vm.raw:  # opened with options: frames come back as raw bytes
            return bytes(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("ws.recv: invalid UTF-8: %s" % e) from None
        return bytes(data)

    conn = vm.get(conn_id)
    return InThread(work, on_cancel=(lambda: _shutdown(conn)) if conn is not None else None)


def conn_open(vm, conn_id):
    conn = vm.get(conn_id)
    return conn is not None and conn.connected


@yielding
def _close(vm, conn_id):
    def work():
        import websocket
        conn = vm.get(conn_id)
        if conn is None or not conn.connected:
            return None
        try:
            logger.debug("ws close", conn=conn_id)
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


def _release(vm, conn_id):
    with vm.lock:
        conn = vm.handles.objects.pop(conn_id, None)
        vm.raw.discard(conn_id)
    if conn is not None:
        _shutdown(conn)


def _bound(fn, vm):
    call = functools.partial(fn, vm)
    call.assay_yielding = getattr(fn, "assay_yielding", False)
    return call


def install(bridge):
    vm = bridge.state("ws", lambda: _Connections(bridge))
    table = bridge.define("ws", {name: _bound(fn, vm) for name, fn in (
        ("_connect", _connect), ("_send", _send), ("_recv", _recv), ("_close", _close),
        ("_send_binary", _send_binary), ("_protocol", _protocol))})
    handles = vm.handles
    bridge.run_lua_file(lua_file("ws"), table, handles.register, handles.lookup, handles.take_dead)
