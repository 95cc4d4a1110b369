"""The HTTP client shared by http and prometheus checks (checks.md §5).

Behaviour of the original's client: 30 s total timeout per request, up to 10
redirects followed (or none), proxies from the environment, TLS verified
against the system trust store, no User-Agent / Accept-Encoding sent, body
decoded as text with the charset from Content-Type (UTF-8 by default, invalid
bytes replaced).

Requests run on a daemon thread and the caller waits at most the request
timeout, so a slow body cannot hold a check beyond it; the process ends with
os._exit, so an abandoned request never outlives the run.
"""
import os
import threading
import time

REQUEST_TIMEOUT = 30.0
MAX_REDIRECTS = 10
_SYSTEM_CA_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                    "/etc/ssl/cert.pem")

_local = threading.local()


class TransportError(Exception):
    """The request failed before a response arrived (`str()` is the reason)."""


class BodyError(Exception):
    """The response body could not be read."""


class Response:
    def __init__(self, status, text, headers=None, elapsed_ms=0):
        self.status = status
        self.text = text
        self.headers = headers or {}      # a case-insensitive mapping
        self.elapsed_ms = elapsed_ms      # until the whole body was read


def _session():
    """One session per thread (requests sessions are not thread-safe)."""
    session = getattr(_local, "session", None)
    if session is None:
        import requests
        from urllib3.util import SKIP_HEADER
        session = requests.Session()
        session.headers.clear()
        session.headers.update({"Accept": "*/*", "User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER})
        session.max_redirects = MAX_REDIRECTS
        if not os.environ.get("REQUESTS_CA_BUNDLE") and not os.environ.get("SSL_CERT_FILE"):
            for path in _SYSTEM_CA_FILES:
                if os.path.isfile(path):
                    session.verify = path
                    break
        _local.session = session
    return session


def _decode(content, content_type):
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"\'')
    import codecs
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return content.decode(charset, "replace")


def _reason(exc, url):
    """A one-line transport failure reason, in the spirit of the original's client."""
    import requests
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "error following redirect for url (%s): too many redirects" % url
    if isinstance(exc, requests.exceptions.SSLError):
        detail = "TLS handshake failed"
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            detail = "invalid peer certificate: certificate verify failed"
        return "error sending request for url (%s): %s" % (url, detail)
    if isinstance(exc, requests.exceptions.Timeout):
        return "error sending request for url (%s): operation timed out" % url
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return "builder error: %s" % _last_line(exc)
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            detail = "tcp connect error: Connection refused (os error 111)"
        elif "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
            detail = "dns error: failed to lookup address information"
        elif "RemoteDisconnected" in text or "Connection aborted" in text:
            detail = "connection closed before message completed"
        else:
            detail = _last_line(exc)
        return "error sending request for url (%s): %s" % (url, detail)
    return "error sending request for url (%s): %s" % (url, _last_line(exc))


def _last_line(exc):
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def get(url, params=None, follow_redirects=True, timeout=REQUEST_TIMEOUT):
    """GET `url`; Response, or TransportError / BodyError. Waits at most `timeout`."""
    return request("GET", url, params=params, follow_redirects=follow_redirects, timeout=timeout)


def request(method, url, params=None, headers=None, data=None, follow_redirects=True, timeout=REQUEST_TIMEOUT,
            verify=None, cert=None):
    """One request; Response, or TransportError / BodyError. Waits at most `timeout`.

    `verify` False skips certificate checks, a path trusts that CA file (None: the
    system store); `cert` is a (certificate, key) pair of PEM files for mTLS.
    """
    outcome = {}
    done = threading.Event()

    def work():
        import requests
        options = {}
        if verify is not None:
            options["verify"] = verify
        if cert is not None:
            options["cert"] = cert
        try:
            began = time.monotonic()
            try:
                response = _session().request(method, url, params=params, headers=headers, data=data,
                                              allow_redirects=follow_redirects, timeout=timeout, stream=True,
                                              **options)
            except requests.exceptions.RequestException as e:
                outcome["error"] = TransportError(_reason(e, url))
                return
            except Exception as e:  # e.g. a URL requests cannot even parse
                outcome["error"] = TransportError("builder error: %s" % _last_line(e))
                return
            try:
                content = response.content
            except Exception as e:
                outcome["error"] = BodyError("reading response body from %s: %s" % (url, _body_reason(e)))
                return
            finally:
                response.close()
            outcome["response"] = Response(response.status_code,
                                           _decode(content, response.headers.get("Content-Type")),
                                           response.headers, int((time.monotonic() - began) * 1000))
        finally:
            done.set()

    threading.Thread(target=work, name="assay-check-http", daemon=True).start()
    if not done.wait(timeout):
        raise TransportError("error sending request for url (%s): operation timed out" % url)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _body_reason(exc):
    import requests
    if isinstance(exc, requests.exceptions.Timeout):
        return "operation timed out"
    return "error decoding response body: %s" % _last_line(exc)
