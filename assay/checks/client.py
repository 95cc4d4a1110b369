"""HTTP requests of the http and prometheus checks, over assay's one HTTP client
(`assay.net.client`: TLS policy, proxies, redirects, charsets and error texts).

What this adds: the caller waits at most the request timeout, so a slow body cannot
hold a check beyond it. The request runs on a daemon thread; the process ends with
os._exit, so an abandoned request never outlives the run.
"""
import threading
import time

from assay.net import client as net
from assay.runtime import policy as policies

REQUEST_TIMEOUT = net.DEFAULT_TIMEOUT
MAX_REDIRECTS = net.MAX_REDIRECTS

TransportError = net.RequestError


class BodyError(Exception):
    """The response body could not be read (str() names the URL)."""


class Response:
    def __init__(self, status, text, headers=None, elapsed_ms=0):
        self.status = status
        self.text = text
        self.headers = headers or {}      # a case-insensitive mapping
        self.elapsed_ms = elapsed_ms      # until the whole body was read


_clients = {}  # settings -> net.Client, so connections are pooled across checks
_lock = threading.Lock()


def _client(follow_redirects, timeout, verify, cert):
    """`verify` False: no certificate checks; a path: that CA file trusted too; `cert`:
    a (certificate, key) pair of PEM files for mTLS."""
    key = (follow_redirects, timeout, verify, cert)
    with _lock:
        if key not in _clients:
            ca_pems = []
            if isinstance(verify, str):
                with open(verify) as f:
                    ca_pems.append(f.read())
            cert_file, key_file = cert if cert else (None, None)
            _clients[key] = net.Client(timeout=timeout, follow_redirects=follow_redirects, ca_pems=ca_pems,
                                       client_cert=cert_file, client_key=key_file, insecure=verify is False)
        return _clients[key]


def get(url, params=None, follow_redirects=True, timeout=REQUEST_TIMEOUT):
    """GET `url`; Response, or TransportError / BodyError. Waits at most `timeout`."""
    return request("GET", url, params=params, follow_redirects=follow_redirects, timeout=timeout)


def request(method, url, params=None, headers=None, data=None, follow_redirects=True, timeout=REQUEST_TIMEOUT,
            verify=None, cert=None):
    """One request; Response, or TransportError / BodyError. Waits at most `timeout`."""
    outcome = {}
    done = threading.Event()

    def work():
        try:
            began = time.monotonic()
            client = _client(follow_redirects, timeout, verify, cert)
            response = net.send(client, method, url, data, headers, params)
            elapsed_ms = int((time.monotonic() - began) * 1000)
            from requests.structures import CaseInsensitiveDict
            seen_headers, body = dict(response.headers), response.body
            rules = policies.current()
            if rules is not None:  # a check sees what a script would: redacted names hidden
                seen_headers, body = rules.redact_response(seen_headers, body)
            text = net.decode(body, seen_headers.get("content-type"))
            outcome["response"] = Response(response.status, text, CaseInsensitiveDict(seen_headers), elapsed_ms)
        except policies.PolicyDenied as e:
            outcome["error"] = TransportError(str(e))
        except net.RequestError as e:
            outcome["error"] = e
        except net.BodyError as e:
            outcome["error"] = BodyError("reading response body from %s: %s" % (url, e))
        except Exception as e:  # an unreadable CA or certificate file
            from assay.net.tls import ssl_detail
            outcome["error"] = TransportError("builder error: %s" % ssl_detail(e))
        finally:
            done.set()

    threading.Thread(target=work, name="assay-check-http", daemon=True).start()
    if not done.wait(timeout):
        raise TransportError("error sending request for url (%s): operation timed out" % url)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]
