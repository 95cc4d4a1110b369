"""`http` client (builtins.md §1, runtime.md §9) and, via `serve.py`, `http.serve`.

Every request is a yielding builtin: the arguments are read and validated on the
loop thread (Lua tables are only touched during the call), then a worker thread
performs the request with `requests` and returns plain Python data, which the
scheduler converts to the `{status, body, headers}` table.

One pooled `requests.Session` per client (`http.client{...}`), plus one for the
global functions. Sessions never send a User-Agent or Accept-Encoding header, send
`Accept: */*`, do not decompress bodies, verify TLS against the system trust store
(plus the client's extra CA certificates), follow at most 10 redirects, honour
HTTP(S)_PROXY/NO_PROXY and use the client's total timeout (default 30 s).
"""
import _thread
import codecs
import itertools
import time

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.convert import to_py
from assay.runtime.errors import BuiltinError

from . import serve
from assay.runtime.scheduler import InThread

from assay.runtime.text import debug_quote as quote_path, os_error_text

from ._http_common import handle_table

METHODS = ("get", "post", "put", "patch", "delete")
WITH_BODY = ("post", "put", "patch")
DEFAULT_TIMEOUT = 30.0
MAX_REDIRECTS = 10

LUA = r"""
local http, register, lookup, take_dead = ...
local request, new_client = http._request, http._new_client
http._request, http._new_client = nil, nil
local setmetatable, rawget, type, error, ipairs = setmetatable, rawget, type, error, ipairs

local function client_request(handle, method, url, ...)
  local id = lookup(handle)
  if id == nil then error("http._client_request: first arg must be an http client", 0) end
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


# ---- client configuration ----------------------------------------------------

class ClientConfig:
    """Settings and the lazily created `requests.Session` of one client (plain Python)."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, follow_redirects=True, ca_pems=(), client_cert=None,
                 client_key=None):
        self.timeout = timeout
        self.follow_redirects = follow_redirects
        self.ca_pems = list(ca_pems)
        self.client_cert = client_cert
        self.client_key = client_key
        self._session = None
        self._lock = _thread.allocate_lock()

    def session(self):
        with self._lock:
            if self._session is None:
                self._session = _new_session(self.ssl_context())
            return self._session

    def ssl_context(self):
        """System trust store + the client's extra roots (+ a client certificate)."""
        import ssl
        ctx = ssl.create_default_context()
        if not ctx.cert_store_stats().get("x509_ca"):
            # no system bundle on this machine: fall back to certifi's (requests' own choice)
            try:
                import certifi
                ctx.load_verify_locations(cafile=certifi.where())
            except Exception:
                pass
        for pem in self.ca_pems:
            ctx.load_verify_locations(cadata=pem)
        if self.client_cert:
            _load_client_cert(ctx, self.client_cert, self.client_key)
        return ctx


def _load_client_cert(ctx, cert, key):
    """Load a client certificate given as file paths or as PEM text (kubeconfig's
    client-certificate-data). The ssl module only reads files, so PEM text goes through a
    private temporary file that is removed at once."""
    inline = [v for v in (cert, key) if v and "-----BEGIN" in v]
    if not inline:
        ctx.load_cert_chain(cert, key or None)
        return
    import os
    import tempfile
    fd, path = tempfile.mkstemp(prefix="assay-client-", suffix=".pem")  # mode 0600
    def pem(value):
        if "-----BEGIN" in value:
            return value
        with open(value) as f:
            return f.read()

    try:
        with os.fdopen(fd, "w") as f:
            f.write(pem(cert) + "\n" + (pem(key) if key else ""))
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


_clients = {}  # client id -> ClientConfig
_client_ids = itertools.count(1)
_default = ClientConfig()


def _new_session(ctx):
    import http.cookiejar
    import logging

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util import SKIP_HEADER

    logging.getLogger("urllib3").setLevel(logging.ERROR)  # no pool warnings on stderr

    class Adapter(HTTPAdapter):
        """Uses the client's SSLContext for every HTTPS pool (direct or proxied)."""

        def build_connection_pool_key_attributes(self, request, verify, cert=None):
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, True, None)
            for key in ("ca_certs", "ca_cert_dir", "cert_file", "key_file"):
                pool_kwargs.pop(key, None)
            pool_kwargs["cert_reqs"] = "CERT_REQUIRED"
            pool_kwargs["ssl_context"] = ctx
            return host_params, pool_kwargs

        def cert_verify(self, conn, url, verify, cert):
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = None
            conn.ca_cert_dir = None

    class Session(requests.Session):
        def rebuild_auth(self, prepared_request, response):
            # strip credentials on a cross-host redirect; never add ~/.netrc credentials
            headers = prepared_request.headers
            if "Authorization" in headers and self.should_strip_auth(response.request.url, prepared_request.url):
                del headers["Authorization"]

    s = Session()
    # no cookie store, like the original's client: a Set-Cookie must never come back by
    # itself on a later request (an explicit Cookie header is still sent)
    s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    s.trust_env = True  # HTTP_PROXY / HTTPS_PROXY / NO_PROXY
    s.auth = _no_auth   # ... but no ~/.netrc credentials (requests adds them only without auth)
    s.max_redirects = MAX_REDIRECTS
    s.headers.clear()
    s.headers.update({"Accept": "*/*", "User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER})
    adapter = Adapter(pool_connections=16, pool_maxsize=64)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def _no_auth(request):
    return request


# ---- argument handling (loop thread) ----------------------------------------

def _prepare(name, method, url, rest):
    """Validate a call's arguments; returns (url, body bytes or None, headers dict)."""
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
            value = to_py(raw_body, name + ": JSON encode failed")
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

    headers = {}  # lowercase name -> (name, value)
    if content_type:
        headers["content-type"] = ("Content-Type", content_type)
    user_headers = args.field(opts, "headers")
    if user_headers is not None:
        if not args.is_table(user_headers):
            raise BuiltinError("%s: headers must be a table" % name)
        for key, value in user_headers.items():
            if not isinstance(key, bytes):
                raise BuiltinError("%s: header names must be strings" % name)
            key_text = key.decode("latin-1")
            value = args.string(value, "%s: header %s must have a string value" % (name, key_text))
            headers[key_text.lower()] = (key_text, value)  # a user header replaces ours (HTTP-18)
    return url.decode("utf-8", "surrogateescape"), body, dict(headers.values())


def _request_op(config, name, method, url, rest):
    url, body, headers = _prepare(name, method, url, rest)
    return InThread(lambda: _perform(config, name, method, url, body, headers))


# ---- the request itself (worker thread: plain Python only) -------------------

def _perform(config, name, method, url, body, headers):
    import requests

    from assay.runtime import credentials, policy as policies

    # The policy file and credential handles: the target (and each redirect hop) is
    # checked first; only then are handles in headers and body swapped for secrets.
    policy = policies.current()
    if credentials.has_handle(url.encode("utf-8", "surrogateescape")):
        raise BuiltinError("%s: a credential handle in the URL is refused (send it in a header or the body)" % name)
    hooks = {}
    if policy is not None:
        try:
            policy.check_request(method, url)
        except policies.PolicyDenied as e:
            raise BuiltinError("%s: %s" % (name, e)) from None
        hooks["response"] = _redirect_check(policy, method)
    headers = {k: credentials.reveal(v) for k, v in headers.items()}
    body = credentials.reveal(body)

    deadline = time.monotonic() + config.timeout
    try:
        session = config.session()
        response = session.request(method.upper(), url, data=body, headers=headers, stream=True,
                                   timeout=(config.timeout, config.timeout),
                                   allow_redirects=config.follow_redirects, hooks=hooks)
    except policies.PolicyDenied as e:
        raise BuiltinError("%s: %s" % (name, e)) from None
    except requests.exceptions.Timeout:
        raise BuiltinError("%s failed: error sending request for url (%s): operation timed out"
                           % (name, url)) from None
    except requests.exceptions.TooManyRedirects:
        raise BuiltinError("%s failed: error following redirect for url (%s): too many redirects"
                           % (name, url)) from None
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL, requests.exceptions.URLRequired) as e:
        raise BuiltinError("%s failed: builder error: %s" % (name, _first_line(e))) from None
    except Exception as e:
        raise BuiltinError("%s failed: error sending request for url (%s): %s"
                           % (name, url, _transport_detail(e))) from None
    try:
        chunks = []
        raw = response.raw
        limit = policy.max_response_bytes if policy is not None else None
        size = 0
        while True:
            chunk = raw.read(65536, decode_content=False)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise _TooLarge("%s: response body exceeds http.max_response_bytes (%d) of the policy"
                                % (name, limit))
            if time.monotonic() > deadline:
                raise TimeoutError("operation timed out")
        data = credentials.conceal(b"".join(chunks))
    except _TooLarge as e:
        raise BuiltinError(str(e)) from None
    except Exception as e:
        raise BuiltinError("%s: reading body failed: %s" % (name, _transport_detail(e))) from None
    finally:
        response.close()

    out_headers = {}
    for key, value in raw.headers.items():  # every occurrence, in order: the last one wins
        if all(" " <= c <= "~" or c == "\t" for c in value):
            out_headers[key.lower()] = credentials.conceal(value.encode("latin-1")).decode("latin-1")
    if policy is not None and policy.redact:
        out_headers = policy.redact_headers(out_headers)
        data = policy.redact_body(data)
    return {"status": int(response.status_code), "body": _body_text(data, out_headers.get("content-type")),
            "headers": out_headers}


class _TooLarge(Exception):
    pass


def _redirect_check(policy, method):
    """A response hook: refuse to follow a redirect to a target the policy forbids
    (requests calls it for each response before it follows the next hop)."""
    from urllib.parse import urljoin

    def check(response, *args, **kwargs):
        location = response.headers.get("location") if response.is_redirect else None
        if location:
            next_method = "GET" if response.status_code in (301, 302, 303) and method.upper() != "HEAD" \
                else method.upper()
            policy.check_request(next_method, urljoin(response.url, location))
        return response

    return check


def _body_text(data, content_type):
    """The body as Lua sees it: text in a declared non-UTF-8 charset is transcoded to
    UTF-8 (as the original does); everything else is returned as the raw bytes."""
    charset = _charset(content_type)
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            codec = "utf-8"
        if codec != "utf-8":
            return data.decode(codec, "replace").encode("utf-8")
    return data


def _charset(content_type):
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').strip()
    return None


def _first_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _transport_detail(e):
    """A short reason for a failed request: the innermost OS / TLS error if any."""
    import ssl
    seen = set()
    stack = [e]
    found_ssl = None
    found_os = None
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError) and found_ssl is None:
            found_ssl = cur
        elif isinstance(cur, OSError) and getattr(cur, "errno", None) and found_os is None:
            found_os = cur
        if isinstance(cur, TimeoutError) and found_os is None and not getattr(cur, "errno", None):
            return "operation timed out"
        stack.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
        stack.append(getattr(cur, "reason", None) if isinstance(getattr(cur, "reason", None), BaseException)
                     else None)
        stack.append(cur.__cause__)
        stack.append(cur.__context__)
    if found_ssl is not None:
        return "tls error: %s" % (getattr(found_ssl, "reason", None) or found_ssl)
    if found_os is not None:
        return os_error_text(found_os)
    text = str(e)
    return text.splitlines()[0] if text else type(e).__name__


# ---- http.client -------------------------------------------------------------

def _new_client(opts=None, *dead):
    for client_id in dead:  # handles Lua has collected since the last call
        _clients.pop(client_id, None)
    opts = args.optional_table(opts, "http.client: argument must be a table or nil")
    timeout = DEFAULT_TIMEOUT
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
            problem = _pem_problem(pem)
            if problem:
                raise BuiltinError("http.client: invalid PEM in %s: %s" % (quote_path(path), problem))
            ca_pems.append(pem.decode("ascii", "replace"))
        inline = args.field(opts, "ca_cert")
        if inline is not None:
            inline = args.string(inline, "http.client: ca_cert must be a string")
            problem = _pem_problem(inline)
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
    config = ClientConfig(timeout, follow, ca_pems, client_cert, client_key)
    if ca_pems or client_cert:
        import ssl
        try:
            config.ssl_context()  # report bad certificates now, not at the first request
        except (ssl.SSLError, OSError, ValueError) as e:
            raise BuiltinError("http.client: failed to build client: %s" % _ssl_detail(e)) from None
    client_id = next(_client_ids)
    _clients[client_id] = config
    return client_id


def _pem_problem(pem):
    """None if `pem` holds one or more loadable certificates, else a reason."""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        return "no certificate found"
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.load_verify_locations(cadata=pem.decode("ascii"))
    except UnicodeDecodeError:
        return "not ASCII text"
    except (ssl.SSLError, ValueError) as e:
        return _ssl_detail(e)
    return None


def _ssl_detail(e):
    import ssl
    if isinstance(e, OSError) and e.errno and e.strerror and not isinstance(e, ssl.SSLError):
        return os_error_text(e)
    return getattr(e, "reason", None) or str(e)


# ---- the builtins ------------------------------------------------------------

def _global_method(method):
    name = "http." + method

    @yielding
    def call(url=None, *rest):
        return _request_op(_default, name, method, url, rest)

    return call


@yielding
def _client_request(client_id, method=None, url=None, *rest):
    config = _clients.get(client_id)
    if config is None:
        raise BuiltinError("http._client_request: first arg must be an http client")
    method = args.text(method, "http._client_request: second arg must be method name")
    if method not in METHODS:
        raise BuiltinError("http: unsupported method: %s" % method)
    return _request_op(config, "http." + method, method, url, rest)


def install(bridge):
    members = {m: _global_method(m) for m in METHODS}
    members["_request"] = _client_request
    members["_new_client"] = _new_client
    members.update(serve.members(bridge))
    table = bridge.define("http", members)
    register, lookup, take_dead = handle_table(bridge, "http.client")
    bridge.run_lua(LUA, "=[assay http]", table, register, lookup, take_dead)
    serve.finish_install(bridge, table)
