"""`http` client and, via `serve.py`, `http.serve`.

Every request is a yielding builtin: the arguments are read and validated on the
loop thread (Lua tables are only touched during the call), then a worker thread
performs the request with `requests` and returns plain Python data, which the
scheduler converts to the `{status, body, headers}` table.

Each `http.client{...}` is one `assay.net.client.Client` (the global functions share
`net.DEFAULT`); the request itself, TLS, proxies, redirects and error texts are
`assay.net`'s. This module only turns Lua arguments into a request and the response
into the `{status, body, headers}` table.
"""

from assay.runtime import args, sandbox
from assay.runtime.bridge import yielding
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError

from . import serve
from assay.runtime.scheduler import InThread


from . import http_stream
from . import lua_file

METHODS = ("get", "post", "put", "patch", "delete")
WITH_BODY = ("post", "put", "patch")


# ---- argument handling (loop thread) ----------------------------------------

def _prepare(name, method, url, rest, marks=None):
    """Validate a call's arguments; returns (url, body bytes or None, headers dict,
    whether opts.on_event was given). `marks`: json.array/json.object shapes for a table body."""
    if not isinstance(url, bytes):
        raise BuiltinError("%s: first argument must be a URL string" % name)
    body, content_type = None, None
    if method in WITH_BODY:
        raw_body = rest[0] if len(rest) > 0 else None
        opts = rest[1] if len(rest) > 1 else None
        if raw_body is None:
            pass
        elif isinstance(raw_body, bytes):
            body = raw_body or None
        elif args.is_table(raw_body):
            from assay.runtime.jsontext import JsonError, encode
            value = to_py(raw_body, name + ": JSON encode failed", marks=marks)
            try:
                body = encode(value).encode("utf-8", "surrogateescape")
            except JsonError as e:
                raise BuiltinError("%s: JSON encode failed: %s" % (name, e)) from None
            content_type = "application/json"
        else:
            raise BuiltinError("%s: second argument must be a string, table, or nil" % name)
        opts_message = "%s: third argument must be a table or nil" % name
    else:
        opts = rest[0] if len(rest) > 0 else None
        opts_message = "%s: second argument must be a table or nil" % name
    opts = args.optional_table(opts, opts_message)

    from ._http_exchange import request_headers  # the first request pays, not every start
    headers = request_headers(name, opts, {"Content-Type": content_type} if content_type else {})
    on_event = args.field(opts, "on_event")
    if on_event is not None and not args.is_function(on_event):
        raise BuiltinError("%s: on_event must be a function" % name)
    return url.decode("utf-8", "surrogateescape"), body, headers, on_event is not None


def _request_op(config, name, method, url, rest, marks, streams):
    url, body, headers, events = _prepare(name, method, url, rest, marks)
    room = sandbox.room()  # measured here: the worker thread cannot ask the Lua heap
    if events:
        return http_stream.open_events(streams, config, name, method, url, body, headers, room)
    return InThread(lambda: _perform(config, name, method, url, body, headers, room))


# ---- the request itself (worker thread: plain Python only) -------------------

def _perform(client, name, method, url, body, headers, room=None):
    from ._http_exchange import buffered_result, send_open
    return buffered_result(name, send_open(client, name, method, url, body, headers), room)


# ---- http.client -------------------------------------------------------------

def _new_client(clients, opts=None, *dead):
    """A new client's handle id in `clients` (this VM's `http.client` handles)."""
    clients.release(dead)  # handles Lua has collected since the last call
    from assay.net import client as net, tls  # the net layer loads with the first client
    opts = args.optional_table(opts, "http.client: argument must be a table or nil")
    timeout = net.DEFAULT_TIMEOUT
    follow = True
    if opts is not None:
        t = args.field(opts, "timeout")
        if isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0 and t == t:
            timeout = float(t)
        f = args.field(opts, "follow_redirects")
        if f is False:
            follow = False
    from . import _tls_options
    given = _tls_options.read(opts, "http.client")
    config = net.Client(timeout, follow, given["ca_pems"], given["client_cert"], given["client_key"])
    if given["ca_pems"] or given["client_cert"]:
        import ssl
        try:
            config.ssl_context()  # report bad certificates now, not at the first request
        except (ssl.SSLError, OSError, ValueError) as e:
            raise BuiltinError("http.client: failed to build client: %s" % tls.ssl_detail(e)) from None
    return clients.add(config)


# ---- the builtins ------------------------------------------------------------

def _global_method(method, bridge, streams):
    name = "http." + method
    from .json import marks_for

    @yielding
    def call(url=None, *rest):
        from assay.net import client as net
        return _request_op(net.DEFAULT, name, method, url, rest, marks_for(bridge), streams)

    return call


def _client_request(bridge, clients, streams):
    from .json import marks_for

    @yielding
    def request(client_id, method=None, url=None, *rest):
        config = clients.get(client_id)
        if config is None:
            raise BuiltinError("http._client_request: first arg must be an http client")
        method = args.text(method, "http._client_request: second arg must be method name")
        if method not in METHODS:
            raise BuiltinError("http: unsupported method: %s" % method)
        return _request_op(config, "http." + method, method, url, rest, marks_for(bridge), streams)

    return request


def install(bridge):
    clients = bridge.handles("http.client")
    streams = bridge.state("http streams", http_stream.Streams)
    members = {m: _global_method(m, bridge, streams) for m in METHODS}
    members["_request"] = _client_request(bridge, clients, streams)
    members["_new_client"] = lambda *a: _new_client(clients, *a)
    members.update(serve.members(bridge))
    members.update(http_stream.members(streams))
    table = bridge.define("http", members)
    bridge.run_lua_file(lua_file("http"), table, clients.register, clients.lookup, clients.take_dead)
    serve.finish_install(bridge, table)
