"""The one HTTP client of assay: the `http` builtin, checks mode and the stdlib (through
`http`) all send requests here.

Behaviour (the original's client): a pooled `requests.Session` per `Client`, no
User-Agent or Accept-Encoding header, `Accept: */*` unless the caller sets one, bodies
never decompressed, no cookie store, no ~/.netrc, at most 10 redirects (credentials
dropped on a cross-host redirect), HTTP(S)_PROXY / NO_PROXY honoured, TLS from
`assay.net.tls`, one total timeout per request (default 30 s).

Runs on worker threads: plain Python values in and out, never a Lua object.
"""
import _thread
import time

from assay.runtime.logs import logger
from assay.runtime.text import os_error_text

DEFAULT_TIMEOUT = 30.0
MAX_REDIRECTS = 10
CHUNK = 65536


class RequestError(Exception):
    """No response arrived; str() is the reason, e.g.
    `error sending request for url (URL): Connection refused (os error 111)`."""


class BodyError(Exception):
    """The response started but its body could not be read; str() is the reason."""


class ResponseTooLarge(BodyError):
    """The body passed the policy file's `http.max_response_bytes`."""


class Client:
    """Settings and the lazily created session of one client (thread-safe)."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, follow_redirects=True, ca_pems=(), client_cert=None,
                 client_key=None, insecure=False):
        self.timeout = timeout
        self.insecure = insecure  # no certificate verification at all (checks' `insecure: true`)
        self.follow_redirects = follow_redirects
        self.ca_pems = list(ca_pems)
        self.client_cert = client_cert
        self.client_key = client_key
        self._session = None
        self._lock = _thread.allocate_lock()

    def ssl_context(self):
        from . import tls
        return tls.client_context(self.ca_pems, self.client_cert, self.client_key, self.insecure)

    def session(self):
        with self._lock:
            if self._session is None:
                self._session = _new_session(self.ssl_context(), self.insecure)
            return self._session


DEFAULT = Client()


class Response:
    """Status and headers of a response whose body is read with `chunks()` or `read()`."""

    def __init__(self, client, url, raw_response, deadline):
        self.url = url
        self.status = int(raw_response.status_code)
        self.headers = _visible_headers(raw_response.raw.headers)
        self.body = None
        self._response = raw_response
        self._deadline = deadline
        self.limit = None  # the policy's max_response_bytes, set by open()

    def chunks(self):
        """The body as it arrives (raw bytes, not decompressed); BodyError on failure,
        ResponseTooLarge once it passes the policy's limit."""
        raw = self._response.raw
        size = 0
        try:
            while True:
                # a stream hands over whatever has arrived; a plain body fills whole chunks
                chunk = raw.read1(CHUNK, decode_content=False) if self._deadline is None \
                    else raw.read(CHUNK, decode_content=False)
                if not chunk:
                    return
                size += len(chunk)
                if self.limit is not None and size > self.limit:
                    raise ResponseTooLarge("response body exceeds http.max_response_bytes (%d) of the policy"
                                           % self.limit)
                yield chunk
                if self._deadline is not None and time.monotonic() > self._deadline:
                    raise TimeoutError("operation timed out")
        except BodyError:
            raise
        except Exception as e:
            raise BodyError(transport_detail(e)) from None

    def read(self):
        try:
            self.body = b"".join(self.chunks())
        finally:
            self.close()
        return self.body

    def text(self):
        """The body decoded with the Content-Type charset (UTF-8 by default, bad bytes replaced)."""
        return decode(self.body if self.body is not None else self.read(), self.headers.get("content-type"))

    def close(self):
        self._response.close()


def open(client, method, url, body=None, headers=None, params=None, stream=False, hooks=None,
         passthrough=(), timeout=None):
    """Send a request and return its Response once the headers are in (body unread).

    `stream=True` is for long-lived bodies (event streams, downloads): the client
    timeout then bounds each wait for data, not the whole body. `timeout` (seconds)
    replaces the client's for this request only. `hooks` are requests' response hooks
    (run for every redirect hop); exceptions of a `passthrough` type raised by them reach
    the caller unchanged. Anything else fails with RequestError.
    """
    import requests

    from assay.runtime import policy as policies
    started = time.monotonic()
    timeout = client.timeout if timeout is None else timeout
    deadline = None if stream else started + timeout
    # The policy file (ASSAY_POLICY_FILE): the target, then every redirect hop before it
    # is followed. PolicyDenied reaches the caller unchanged.
    policy = policies.current()
    if policy is not None:
        try:
            policy.check_request(method, url)
        except policies.PolicyDenied:
            _log(method, url, "refused", started)
            raise
        hooks = dict(hooks or {})
        hooks["response"] = [policy.redirect_hook(method)] + list(_as_list(hooks.get("response")))
        passthrough = tuple(passthrough) + (policies.PolicyDenied,)
    try:
        response = client.session().request(method.upper(), url, data=body, headers=headers or {},
                                            params=params, stream=True,
                                            timeout=(timeout, timeout),
                                            allow_redirects=client.follow_redirects, hooks=hooks)
    except passthrough:
        _log(method, url, "refused", started)
        raise
    except requests.exceptions.Timeout:
        _log(method, url, "error", started)
        raise RequestError("error sending request for url (%s): operation timed out" % url) from None
    except requests.exceptions.TooManyRedirects:
        _log(method, url, "error", started)
        raise RequestError("error following redirect for url (%s): too many redirects" % url) from None
    except requests.exceptions.MissingSchema:
        raise RequestError("builder error: relative URL without a base (%s)" % redact_url(url)) from None
    except requests.exceptions.InvalidHeader:
        # requests' message quotes the value: a token must never reach an error text
        raise RequestError("builder error: invalid value for header %s (a line break, or leading "
                           "whitespace)" % _bad_header(headers or {})) from None
    except (requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL, requests.exceptions.URLRequired) as e:
        raise RequestError("builder error: %s" % _first_line(e)) from None
    except Exception as e:
        _log(method, url, "error", started)
        raise RequestError("error sending request for url (%s): %s" % (url, transport_detail(e))) from None
    _log(method, url, response.status_code, started)
    response = Response(client, url, response, deadline)
    if policy is not None:
        response.limit = policy.max_response_bytes
    return response


def _as_list(hook):
    if hook is None:
        return []
    return hook if isinstance(hook, list) else [hook]


def _bad_header(headers):
    for name, value in headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if text != text.strip(" \t") and text[:1] in " \t" or "\n" in text or "\r" in text:
            return name.decode("latin-1") if isinstance(name, bytes) else str(name)
    return "(unknown)"


def send(client, method, url, body=None, headers=None, params=None):
    """Send a request and read the whole body (`response.body`). RequestError / BodyError."""
    response = open(client, method, url, body, headers, params)
    response.read()
    return response


def _log(method, url, status, started):
    if logger.enabled(1):
        logger.debug("http request", method=method.upper(), url=redact_url(url), status=status,
                     duration="%.1fms" % ((time.monotonic() - started) * 1000))


# ---- the session ----------------------------------------------------------------

def _new_session(ctx, insecure=False):
    import http.cookiejar
    import logging

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util import SKIP_HEADER

    logging.getLogger("urllib3").setLevel(logging.ERROR)  # no pool warnings on stderr
    cert_reqs = "CERT_NONE" if insecure else "CERT_REQUIRED"
    if insecure:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # asked for

    class Adapter(HTTPAdapter):
        """Uses the client's SSLContext for every HTTPS pool (direct or proxied)."""

        def build_connection_pool_key_attributes(self, request, verify, cert=None):
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, True, None)
            for key in ("ca_certs", "ca_cert_dir", "cert_file", "key_file"):
                pool_kwargs.pop(key, None)
            pool_kwargs["cert_reqs"] = cert_reqs
            pool_kwargs["ssl_context"] = ctx
            return host_params, pool_kwargs

        def cert_verify(self, conn, url, verify, cert):
            conn.cert_reqs = cert_reqs
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
    # requests merges these with the caller's headers case-insensitively, so a header
    # the caller passes (any spelling) replaces ours instead of being sent twice
    s.headers.clear()
    s.headers.update({"Accept": "*/*", "User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER})
    adapter = Adapter(pool_connections=16, pool_maxsize=64)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def _no_auth(request):
    return request


# ---- headers, charsets, error texts ------------------------------------------------

def _visible_headers(raw_headers):
    """{lowercase name: value}; every occurrence in order (the last wins); values that
    are not visible ASCII are left out."""
    out = {}
    for key, value in raw_headers.items():
        if all(" " <= c <= "~" or c == "\t" for c in value):
            out[key.lower()] = value
    return out


def charset(content_type):
    """The codec named by a Content-Type's charset parameter (normalised), or None."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip("\"'").strip()
            if not name:
                return None
            import codecs
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
    return None


def decode(data, content_type):
    """Body bytes as text: the declared charset, UTF-8 by default, bad bytes replaced."""
    return data.decode(charset(content_type) or "utf-8", "replace")


def _first_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def transport_detail(e):
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
        reason = getattr(cur, "reason", None)
        stack.append(reason if isinstance(reason, BaseException) else None)
        stack.append(cur.__cause__)
        stack.append(cur.__context__)
    if found_ssl is not None:
        if isinstance(found_ssl, ssl.SSLCertVerificationError):
            reason = found_ssl.verify_message
            return "invalid peer certificate: certificate verify failed" + (": %s" % reason if reason else "")
        return "tls error: %s" % (getattr(found_ssl, "reason", None) or found_ssl)
    if found_os is not None:
        return os_error_text(found_os)
    text = str(e)
    return text.splitlines()[0] if text else type(e).__name__


_SECRET_PARAMS = ("token", "secret", "password", "passwd", "key", "signature", "sig", "auth",
                  "credential", "code")


def redact_url(url):
    """The URL for a log line: a password in it and secret-looking query values hidden."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = "%s:[redacted]@%s" % (user, host) if ":" in userinfo else "[redacted]@%s" % host
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_name(k) for k, _ in pairs):
            query = urlencode([(k, "[redacted]" if _secret_name(k) else v) for k, v in pairs], safe="[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secret_name(name):
    lower = name.lower().replace("-", "_")
    return any(word in lower for word in _SECRET_PARAMS)
