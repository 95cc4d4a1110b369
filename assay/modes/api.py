"""`assay api-serve --bind ADDR`: runs over an authenticated HTTP API.

    GET  /healthz      {"status":"ok"} (no token needed: for load balancers)
    POST /v1/run       {"code": "...", "mode": "readonly"|"approval", "timeout": 20}
    POST /v1/resume    {"token": "...", "approve": "yes"|"no", "approver": "..."}

The answer to /v1/run and /v1/resume is the tool-mode envelope (200). Every other
request needs `Authorization: Bearer <token>` with a token from ASSAY_API_TOKENS
(comma-separated; the server refuses to start without one), compared in constant
time. Each run is its own assay process with its own VM and deadline
(`assay.modes.runs`); at most ASSAY_API_MAX_RUNS (default 4) run at once, further
requests wait up to 30 s for a slot and then get 503. Request bodies over 1 MiB get
413. `unrestricted` mode is accepted only with ASSAY_API_UNRESTRICTED=1.
"""
import hmac
import json
import os
import sys
import threading

MAX_BODY = 1 << 20
SLOT_WAIT = 30.0
RUN_FIELDS = {"code": str, "mode": str, "timeout": int}
RESUME_FIELDS = {"token": str, "approve": str, "approver": str}


class Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def tokens_from_env():
    return [t.strip() for t in os.environ.get("ASSAY_API_TOKENS", "").split(",") if t.strip()]


def authorized(header, tokens):
    """Constant-time: every configured token is compared, whatever matches first."""
    if not header or not header.startswith("Bearer "):
        return False
    given = header[len("Bearer "):].strip().encode("utf-8", "replace")
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(given, token.encode("utf-8"))
    return ok


def _fields(body, spec):
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        raise Refused(400, "request body is not JSON") from None
    if not isinstance(doc, dict):
        raise Refused(400, "request body must be a JSON object")
    for key, value in doc.items():
        if key not in spec:
            raise Refused(400, "unknown field '%s' (expected: %s)" % (key, ", ".join(spec)))
        kind = spec[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Refused(400, "%s must be %s" % (key, "a string" if kind is str else "an integer"))
    return doc


def run_request(body):
    from .runs import MAX_TIMEOUT, run_code
    doc = _fields(body, RUN_FIELDS)
    if "code" not in doc:
        raise Refused(400, "missing field 'code'")
    gates = ("readonly", "approval") + (("unrestricted",) if _flag("ASSAY_API_UNRESTRICTED") else ())
    mode = doc.get("mode", "readonly")
    if mode not in gates:
        raise Refused(400, "mode must be one of %s" % ", ".join(gates))
    timeout = doc.get("timeout", 20)
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise Refused(400, "timeout must be an integer from 1 to %d" % MAX_TIMEOUT)
    return run_code(doc["code"], mode, timeout)


def resume_request(body):
    from .runs import resume_run
    doc = _fields(body, RESUME_FIELDS)
    for key in ("token", "approve"):
        if key not in doc:
            raise Refused(400, "missing field '%s'" % key)
    if doc["approve"] not in ("yes", "no"):
        raise Refused(400, "approve must be yes or no")
    return resume_run(doc["token"], doc["approve"], doc.get("approver"))


def _flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true")


def make_server(address, tokens, max_runs):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from assay.runtime.logs import logger
    slots = threading.BoundedSemaphore(max_runs)
    routes = {"/v1/run": run_request, "/v1/resume": resume_request}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "assay"
        sys_version = ""

        def log_message(self, fmt, *args):
            logger.info("api request", line=fmt % args)

        def answer(self, status, text, extra=()):
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, status, message, extra=()):
            self.answer(status, json.dumps({"error": message}), extra)

        def do_GET(self):
            if self.path == "/healthz":
                return self.answer(200, '{"status":"ok"}')
            if self.path in routes:
                return self.refuse(405, "use POST", [("Allow", "POST")])
            self.refuse(404, "not found")

        def do_POST(self):
            handler = routes.get(self.path)
            if handler is None:
                return self.refuse(404, "not found")
            if not authorized(self.headers.get("Authorization"), tokens):
                self.close_connection = True
                return self.refuse(401, "unauthorized: a valid bearer token is required",
                                   [("WWW-Authenticate", 'Bearer realm="assay"')])
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                if 0 < length <= 4 * MAX_BODY:  # drain it, so the client can read the answer
                    while length > 0:
                        length -= len(self.rfile.read(min(length, 65536)) or b"x" * length)
                return self.refuse(413, "request body too large (limit %d bytes)" % MAX_BODY)
            body = self.rfile.read(length)
            if not slots.acquire(timeout=SLOT_WAIT):
                return self.refuse(503, "busy: %d runs in progress" % max_runs, [("Retry-After", "5")])
            try:
                self.answer(200, handler(body))
            except Refused as e:
                self.refuse(e.status, str(e))
            finally:
                slots.release()

        do_PUT = do_DELETE = do_PATCH = lambda self: self.refuse(405, "method not allowed")

    host, _, port = address.rpartition(":")
    server = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
    server.daemon_threads = True
    return server


def api_serve_command(bind):
    from assay.runtime.logs import logger
    tokens = tokens_from_env()
    if not tokens:
        sys.stderr.write("error: api-serve needs ASSAY_API_TOKENS (comma-separated bearer tokens)\n")
        return 1
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        sys.stderr.write("error: --bind expects HOST:PORT, got '%s'\n" % bind)
        return 1
    try:
        max_runs = int(os.environ.get("ASSAY_API_MAX_RUNS") or 4)
    except ValueError:
        max_runs = 0
    if max_runs < 1:
        sys.stderr.write("error: ASSAY_API_MAX_RUNS must be a positive integer\n")
        return 1
    try:
        server = make_server(bind, tokens, max_runs)
    except OSError as e:
        from assay.runtime.text import os_error_text
        sys.stderr.write("error: binding %s: %s\n" % (bind, os_error_text(e)))
        return 1
    from assay.runtime.signals import quiet_signals
    quiet_signals()
    logger.info("starting assay (api server)", bind="%s:%d" % server.server_address[:2], max_runs=max_runs)
    server.serve_forever()
    return 0
