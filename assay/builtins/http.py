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

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError

from . import serve
from assay.runtime.scheduler import InThread

from assay.runtime.text import debug_quote as quote_path, os_error_text

from . import http_stream
from ._http_common import handle_table

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


def request_headers(name, opts, ours):
    """The headers to send: `ours` (what the runtime sets) merged with `opts.headers`.
    A header the caller names replaces ours whatever its spelling, so it is never sent
    twice (servers reject a doubled Content-Type)."""
    headers = {key.lower(): (key, value) for key, value in ours.items()}
    user_headers = args.field(opts, "headers")
    if user_headers is not None:
        if not args.is_table(user_headers):
            raise BuiltinError("%s: headers must be a table" % name)
        for key, value in user_headers.items():
            if not isinstance(key, bytes):
                raise BuiltinError("%s: header names must be strings" % name)
            key_text = key.decode("latin-1")
            value = args.string(value, "%s: header %s must have a string value" % (name, key_text))
            headers[key_text.lower()] = (key_text, value)
    return dict(headers.values())


def _request_op(config, name, method, url, rest, marks=None):
    url, body, headers, events = _prepare(name, method, url, rest, marks)
    if events:
        return http_stream.open_events(config, name, method, url, body, headers)
    return InThread(lambda: _perform(config, name, method, url, body, headers))


# ---- the request itself (worker thread: plain Python only) -------------------

def _perform(client, name, method, url, body, headers):
    return buffered_result(name, send_open(client, name, method, url, body, headers))


def buffered_result(name, response):
    """Read the whole body of an opened response; the `{status, body, headers}` data."""
    from assay.net import client as net
    from assay.runtime import credentials, policy as policies

    policy = policies.current()
    try:
        limit = policy.max_response_bytes if policy is not None else None
        chunks, size = [], 0
        for chunk in response.chunks():
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise BuiltinError("%s: response body exceeds http.max_response_bytes (%d) of the policy"
                                   % (name, limit))
        data = credentials.conceal(b"".join(chunks))
    except net.BodyError as e:
        raise BuiltinError("%s: reading body failed: %s" % (name, e)) from None
    finally:
        response.close()
    out_headers = visible_response_headers(response)
    if policy is not None and policy.redact:
        data = policy.redact_body(data)
    return {"status": response.status, "body": _body_text(data, out_headers.get("content-type")),
            "headers": out_headers}


def send_open(client, name, method, url, body, headers, stream=False, timeout=None):
    """Open the request (worker thread) with the builtin `name`'s error texts; returns
    the net Response with its body unread."""
    from assay.net import client as net
    from assay.runtime import credentials, policy as policies

    # Credential handles: a handle never goes into a URL; in headers and body it is
    # swapped for the secret here, and net.open refuses the request (and any redirect
    # hop) the policy forbids before anything is sent.
    if credentials.has_handle(url.encode("utf-8", "surrogateescape")):
        raise BuiltinError("%s: a credential handle in the URL is refused (send it in a header or the body)" % name)
    headers = {k: credentials.reveal(v) for k, v in headers.items()}
    body = credentials.reveal(body)
    try:
        return net.open(client, method, url, body, headers, stream=stream, timeout=timeout)
    except policies.PolicyDenied as e:
        raise BuiltinError("%s: %s" % (name, e)) from None
    except net.RequestError as e:
        raise BuiltinError("%s failed: %s" % (name, e)) from None


def visible_response_headers(response):
    """The response headers as Lua sees them: credential secrets and policy-redacted
    names hidden."""
    from assay.runtime import credentials, policy as policies
    out = {key: credentials.conceal(value.encode("latin-1")).decode("latin-1")
           for key, value in response.headers.items()}
    policy = policies.current()
    if policy is not None and policy.redact:
        out = policy.redact_headers(out)
    return out


def _body_text(data, content_type):
    """The body as Lua sees it: text in a declared non-UTF-8 charset is transcoded to
    UTF-8 (as the original does); everything else is returned as the raw bytes."""
    from assay.net import client as net
    codec = net.charset(content_type)
    if codec and codec != "utf-8":
        return data.decode(codec, "replace").encode("utf-8")
    return data


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
