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
import itertools

from assay.runtime import args, sandbox
from assay.runtime.bridge import yielding
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError

from . import serve
from assay.runtime.scheduler import InThread

from assay.runtime.text import debug_quote as quote_path, os_error_text

from . import http_stream
from ._http_common import handle_table
from ._http_exchange import buffered_result, request_headers, send_open

METHODS = ("get", "post", "put", "patch", "delete")
WITH_BODY = ("post", "put", "patch")

LUA = r"""
local http, register, lookup, take_dead = ...
local request, new_client = http._request, http._new_client
local next_event, close_events = http._sse_next, http._sse_close
http._request, http._new_client, http._sse_next, http._sse_close = nil, nil, nil, nil
local setmetatable, rawget, type, error, ipairs, pcall, select =
  setmetatable, rawget, type, error, ipairs, pcall, select

-- A request made with `on_event` whose answer is an event stream returns the stream's
-- id as a second value: call the script's function once per event, here in Lua so it
-- runs in the caller's own task and may yield. It returns "close" to stop early.
local function events(opts, r, stream)
  if stream == nil then return r end
  local on_event = opts.on_event
  while true do
    local ev = next_event(stream)
    if ev == nil then break end
    local ok, action = pcall(on_event, ev)
    if not ok then close_events(stream) error(action, 0) end
    if action == "close" then break end
  end
  close_events(stream)
  return r
end

local function with_events(raw, opts_at)
  return function(...)
    local opts = select(opts_at, ...)
    if type(opts) == "table" then return events(opts, raw(...)) end
    return raw(...)
  end
end
for _, name in ipairs({ "get", "post", "put", "patch", "delete" }) do
  http[name] = with_events(http[name], (name == "get" or name == "delete") and 2 or 3)
end

local function client_request(handle, method, url, ...)
  local id = lookup(handle)
  if id == nil then error("http._client_request: first arg must be an http client", 0) end
  local opts = select((method == "get" or method == "delete") and 1 or 2, ...)
  if type(opts) == "table" then return events(opts, request(id, method, url, ...)) end
  return request(id, method, url, ...)
end
http._client_request = client_request

local methods = {}
for _, name in ipairs({ "get", "post", "put", "patch", "delete" }) do
  methods[name] = function(self, ...)
    local ud = type(self) == "table" and rawget(self, "_ud") or nil
    return client_request(ud, name, ...)
  end
end
local client_mt = { __index = methods, __name = "http.client" }

function http.client(opts)
  local id = new_client(opts, take_dead())
  return setmetatable({ _ud = register(id) }, client_mt)
end
"""


_clients = {}  # client id -> assay.net.client.Client
_client_ids = itertools.count(1)


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

    headers = request_headers(name, opts, {"Content-Type": content_type} if content_type else {})
    on_event = args.field(opts, "on_event")
    if on_event is not None and not args.is_function(on_event):
        raise BuiltinError("%s: on_event must be a function" % name)
    return url.decode("utf-8", "surrogateescape"), body, headers, on_event is not None


def _request_op(config, name, method, url, rest, marks=None):
    url, body, headers, events = _prepare(name, method, url, rest, marks)
    if events:
        return http_stream.open_events(config, name, method, url, body, headers)
    room = sandbox.room()  # measured here: the worker thread cannot ask the Lua heap
    return InThread(lambda: _perform(config, name, method, url, body, headers, room))


# ---- the request itself (worker thread: plain Python only) -------------------

def _perform(client, name, method, url, body, headers, room=None):
    return buffered_result(name, send_open(client, name, method, url, body, headers), room)


# ---- http.client -------------------------------------------------------------

def _new_client(opts=None, *dead):
    for client_id in dead:  # handles Lua has collected since the last call
        _clients.pop(client_id, None)
    from assay.net import client as net, tls  # the net layer loads with the first client
    opts = args.optional_table(opts, "http.client: argument must be a table or nil")
    timeout = net.DEFAULT_TIMEOUT
    follow = True
    ca_pems = []
    client_cert = client_key = None
    if opts is not None:
        t = args.field(opts, "timeout")
        if isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0 and t == t:
            timeout = float(t)
        f = args.field(opts, "follow_redirects")
        if f is False:
            follow = False
        path = args.field(opts, "ca_cert_file")
        if path is not None:
            path = args.text(path, "http.client: ca_cert_file must be a string")
            try:
                with open(path, "rb") as fh:
                    pem = fh.read()
            except OSError as e:
                raise BuiltinError("http.client: failed to read CA cert file %s: %s"
                                   % (quote_path(path), os_error_text(e))) from None
            problem = tls.pem_problem(pem)
            if problem:
                raise BuiltinError("http.client: invalid PEM in %s: %s" % (quote_path(path), problem))
            ca_pems.append(pem.decode("ascii", "replace"))
        inline = args.field(opts, "ca_cert")
        if inline is not None:
            inline = args.string(inline, "http.client: ca_cert must be a string")
            problem = tls.pem_problem(inline)
            if problem:
                raise BuiltinError("http.client: invalid CA cert PEM: %s" % problem)
            ca_pems.append(inline.decode("ascii", "replace"))
        cert = args.field(opts, "client_cert")
        if cert is not None:
            client_cert = args.text(cert, "http.client: client_cert must be a file path or PEM string")
        key = args.field(opts, "client_key")
        if key is not None:
            client_key = args.text(key, "http.client: client_key must be a file path or PEM string")
        if client_key and not client_cert:
            raise BuiltinError("http.client: failed to build client: client_key given without client_cert")
    config = net.Client(timeout, follow, ca_pems, client_cert, client_key)
    if ca_pems or client_cert:
        import ssl
        try:
            config.ssl_context()  # report bad certificates now, not at the first request
        except (ssl.SSLError, OSError, ValueError) as e:
            raise BuiltinError("http.client: failed to build client: %s" % tls.ssl_detail(e)) from None
    client_id = next(_client_ids)
    _clients[client_id] = config
    return client_id


# ---- the builtins ------------------------------------------------------------

def _global_method(method, bridge):
    name = "http." + method
    from .json import marks_for

    @yielding
    def call(url=None, *rest):
        from assay.net import client as net
        return _request_op(net.DEFAULT, name, method, url, rest, marks_for(bridge))

    return call


def _client_request(bridge):
    from .json import marks_for

    @yielding
    def request(client_id, method=None, url=None, *rest):
        config = _clients.get(client_id)
        if config is None:
            raise BuiltinError("http._client_request: first arg must be an http client")
        method = args.text(method, "http._client_request: second arg must be method name")
        if method not in METHODS:
            raise BuiltinError("http: unsupported method: %s" % method)
        return _request_op(config, "http." + method, method, url, rest, marks_for(bridge))

    return request


def install(bridge):
    members = {m: _global_method(m, bridge) for m in METHODS}
    members["_request"] = _client_request(bridge)
    members["_new_client"] = _new_client
    members.update(serve.members(bridge))
    members.update(http_stream.members())
    table = bridge.define("http", members)
    register, lookup, take_dead = handle_table(bridge, "http.client")
    bridge.run_lua(LUA, "=[assay http]", table, register, lookup, take_dead)
    serve.finish_install(bridge, table)
