"""Fakes of the HTTP APIs the observability stdlib modules talk to (one per service).

Each fake is a ThreadingHTTPServer on 127.0.0.1 (random port) that records every request
(`fake.requests`: method, path, query, headers, body) and answers with JSON shaped like the
real service's documented responses. `fake.fail(method, path, status, body)` makes one route
answer with an error from then on; `fake.reset()` forgets recorded requests and failures.

- FakeService:  the base; answers 404 for unknown routes (a recorder with canned responses
                set through `fake.set`).
- FakeLoki:     push stores streams; query/query_range/series/labels answer from them.
- FakeGrafana:  Bearer API key or Basic admin:admin required except on /api/health.
- FakeTraefik:  a small configuration with routers, services, middlewares, entrypoints.
- HealthTargets: endpoints with fixed statuses, bodies and delays for probes.
"""
import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


class Request:
    def __init__(self, method, target, headers, body):
        parts = urlsplit(target)
        self.method = method
        self.target = target
        self.path = parts.path
        self.raw_query = parts.query
        self.query = parse_qs(parts.query, keep_blank_values=True)
        # decoded parameter names in order (the HTTP layer may encode `[]` as %5B%5D)
        self.query_keys = [unquote(kv.split("=", 1)[0]) for kv in parts.query.split("&")] if parts.query else []
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return "<%s %s>" % (self.method, self.target)


class Response:
    """What the fake answers. `upgraded`: bytes written right after the head of a 101
    answer (the frames of an upgraded connection), which then closes — or a function
    `(rfile, wfile)` holding that conversation itself (to read what the client sends)."""

    def __init__(self, status=200, body=b"", content_type="application/json", delay=0.0, headers=None,
                 upgraded=None):
        self.headers = dict(headers or {})  # extra response headers (Location, ...)
        self.upgraded = upgraded
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = content_type
        self.delay = delay


class FakeService:
    name = "fake"
    request_class = Request  # a subclass may record requests as its own type (same arguments)

    def __init__(self, ssl_context=None):
        """`ssl_context`: serve HTTPS with it (a server-side context; the CN of a verified
        client certificate is `request.client_cn`)."""
        self.requests = []
        self.failures = {}
        self.canned = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = fake.request_class(self.command, self.path, dict(self.headers.items()), body)
                request.client_cn = peer_cn(self.connection)
                with fake.lock:
                    fake.requests.append(request)
                try:
                    response = fake.dispatch(request)
                except Exception as e:  # a bug in the fake: show it to the test
                    response = Response(599, "fake %s crashed: %r" % (fake.name, e), "text/plain")
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                if response.content_type:
                    self.send_header("Content-Type", response.content_type)
                headers = getattr(response, "headers", {})
                for key, value in headers.items():
                    self.send_header(key, value)
                if getattr(response, "upgraded", None) is not None:
                    self.end_headers()
                    if callable(response.upgraded):  # a conversation: it reads and writes itself
                        self.wfile.flush()
                        response.upgraded(self.rfile, self.wfile)
                    else:
                        self.wfile.write(response.upgraded)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if not any(key.lower() == "content-length" for key in headers):  # a HEAD may set it
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_LIST = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if ssl_context else "http", self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    # --- test controls -------------------------------------------------------------
    def fail(self, method, path, status, body="", content_type="text/plain"):
        self.canned.pop((method, path), None)
        self.failures[(method, path)] = Response(status, body, content_type)

    def set(self, method, path, status=200, body=b"", content_type="application/json", delay=0.0, headers=None):
        self.failures.pop((method, path), None)
        self.canned[(method, path)] = Response(status, body, content_type, delay, headers)

    def reset(self):
        with self.lock:
            self.requests = []
        self.failures = {}
        self.canned = {}

    def last(self, path=None):
        """The most recent request (to `path`, if given)."""
        with self.lock:
            matching = [r for r in self.requests if path is None or r.path == path]
        assert matching, "no request%s reached %s" % (" to " + path if path else "", self.name)
        return matching[-1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- dispatch ------------------------------------------------------------------
    def dispatch(self, request):
        key = (request.method, request.path)
        if key in self.failures:
            return self.failures[key]
        if key in self.canned:
            return self.canned[key]
        return self.route(request)

    def route(self, request):
        return not_found()


def peer_cn(connection):
    """The common name of the client certificate a TLS connection verified, or None."""
    getpeercert = getattr(connection, "getpeercert", None)
    cert = getpeercert() if getpeercert else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


def ok(data, status=200):
    return Response(status, data)


def not_found(message="not found"):
    return Response(404, {"message": message})


# ---------------------------------------------------------------------------------
# Loki: /loki/api/v1/* (HTTP API docs: push, query, query_range, labels, series, tail)
# ---------------------------------------------------------------------------------

_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


def parse_selector(text):
    """Equality matchers of a LogQL stream selector `{a="x", b="y"} |= ...` as a dict."""
    start, end = text.find("{"), text.find("}")
    if start < 0 or end < start:
        raise ValueError("parse error: no stream selector")
    inner = text[start + 1:end]
    return {k: re.sub(r"\\(.)", r"\1", v) for k, v in _MATCHER.findall(inner)}


class FakeLoki(FakeService):
    name = "loki"

    def __init__(self):
        super().__init__()
        self.streams = []  # [{"stream": {...}, "values": [[ts, line], ...]}]

    def reset(self):
        super().reset()
        self.streams = []

    def matching(self, selector):
        wanted = parse_selector(selector)
        return [s for s in self.streams if all(s["stream"].get(k) == v for k, v in wanted.items())]

    def route(self, r):
        q = {k: v[-1] for k, v in r.query.items()}
        if r.method == "GET" and r.path == "/ready":
            return Response(200, "ready\n", "text/plain")
        if r.method == "GET" and r.path == "/metrics":
            text = ("# HELP loki_build_info A metric with a constant '1' value.\n"
                    "# TYPE loki_build_info gauge\n"
                    'loki_build_info{version="2.9.2"} 1\n'
                    "loki_ingester_streams %d\n" % len(self.streams))
            return Response(200, text, "text/plain; version=0.0.4")
        if r.method == "POST" and r.path == "/loki/api/v1/push":
            if "application/json" not in (r.header("Content-Type") or ""):
                return Response(415, "unsupported content type", "text/plain")
            try:
                payload = json.loads(r.body)
                for stream in payload["streams"]:
                    if not isinstance(stream["stream"], dict):
                        raise ValueError("stream labels must be an object")
                    for ts, line in stream["values"]:
                        if not (isinstance(ts, str) and ts.isdigit() and isinstance(line, str)):
                            raise ValueError("bad entry %r" % ([ts, line],))
                    self.streams.append(stream)
            except (ValueError, KeyError, TypeError) as e:
                return Response(400, "error parsing push request: %s" % e, "text/plain")
            return Response(204, b"", None)
        if r.method != "GET":
            return Response(405, "method not allowed", "text/plain")
        if r.path in ("/loki/api/v1/query", "/loki/api/v1/query_range", "/loki/api/v1/tail"):
            if "query" not in q:
                return Response(400, "query parameter is missing", "text/plain")
            try:
                streams = self.matching(q["query"])
            except ValueError as e:
                return Response(400, str(e), "text/plain")
            if "limit" in q:
                streams = streams[:int(q["limit"])]
            if r.path.endswith("/tail"):
                return ok({"streams": streams, "dropped_entries": []})
            return ok({"status": "success", "data": {"resultType": "streams", "result": streams,
                                                      "stats": {}}})
        if r.path == "/loki/api/v1/labels":
            names = sorted({k for s in self.streams for k in s["stream"]})
            return ok({"status": "success", "data": names})
        m = re.fullmatch(r"/loki/api/v1/label/([^/]+)/values", r.path)
        if m:
            values = sorted({s["stream"][m.group(1)] for s in self.streams if m.group(1) in s["stream"]})
            return ok({"status": "success", "data": values})
        if r.path == "/loki/api/v1/series":
            selectors = r.query.get("match[]", [])
            if not selectors:
                return Response(400, "at least one match[] argument required", "text/plain")
            found = []
            for selector in selectors:
                for s in self.matching(selector):
                    if s["stream"] not in found:
                        found.append(s["stream"])
            return ok({"status": "success", "data": found})
        return Response(404, "404 page not found\n", "text/plain")


# ---------------------------------------------------------------------------------
# Grafana HTTP API
# ---------------------------------------------------------------------------------

GRAFANA_API_KEY = "glsa_test_key_12345"
GRAFANA_USER, GRAFANA_PASSWORD = "admin", "admin"


class FakeGrafana(FakeService):
    name = "grafana"

    DATASOURCES = [
        {"id": 1, "uid": "prometheus-uid", "orgId": 1, "name": "Prometheus", "type": "prometheus",
         "access": "proxy", "url": "http://prometheus:9090", "isDefault": True},
        {"id": 2, "uid": "loki-uid", "orgId": 1, "name": "Loki", "type": "loki",
         "access": "proxy", "url": "http://loki:3100", "isDefault": False},
    ]
    DASHBOARDS = [
        {"id": 10, "uid": "node-exporter", "title": "Node Exporter Full", "type": "dash-db",
         "tags": ["linux", "node"], "folderId": 5, "folderUid": "infra"},
        {"id": 11, "uid": "k8s-pods", "title": "Kubernetes Pods", "type": "dash-db",
         "tags": ["k8s"], "folderId": 5, "folderUid": "infra"},
    ]
    FOLDERS = [{"id": 5, "uid": "infra", "title": "Infrastructure"},
               {"id": 6, "uid": "apps", "title": "Applications"}]
    ALERT_RULES = [{"id": 1, "uid": "rule-1", "title": "High CPU", "ruleGroup": "node", "folderUID": "infra",
                    "condition": "A", "for": "5m"},
                   {"id": 2, "uid": "rule-2", "title": "Disk full", "ruleGroup": "node", "folderUID": "infra",
                    "condition": "A", "for": "1m"}]

    def __init__(self):
        super().__init__()
        self.annotations = []

    def reset(self):
        super().reset()
        self.annotations = []

    def authorized(self, r):
        value = r.header("Authorization") or ""
        if value == "Bearer " + GRAFANA_API_KEY:
            return True
        if value.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(value[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, password) == (GRAFANA_USER, GRAFANA_PASSWORD)
        return False

    def route(self, r):
        q = r.query
        if r.path == "/api/health" and r.method == "GET":
            return ok({"commit": "6d6e1ea8b5", "database": "ok", "version": "10.2.3"})
        if not self.authorized(r):
            return Response(401, {"message": "Unauthorized"})
        if r.method == "POST" and r.path == "/api/annotations":
            try:
                data = json.loads(r.body)
            except ValueError:
                return Response(400, {"message": "bad request data"})
            if not isinstance(data, dict) or not data.get("text"):
                return Response(400, {"message": "Failed to save annotation: text is required"})
            data = dict(data, id=len(self.annotations) + 1)
            self.annotations.append(data)
            return ok({"id": data["id"], "message": "Annotation added"})
        if r.method != "GET":
            return Response(405, {"message": "Method Not Allowed"})
        if r.path == "/api/org":
            return ok({"id": 1, "name": "Main Org.", "address": {}})
        if r.path == "/api/datasources":
            return ok(self.DATASOURCES)
        m = re.fullmatch(r"/api/datasources/(?:uid/(.+)|(\d+))", r.path)
        if m:
            for ds in self.DATASOURCES:
                if ds["uid"] == m.group(1) or str(ds["id"]) == m.group(2):
                    return ok(ds)
            return not_found("Data source not found")
        if r.path == "/api/search":
            hits = self.DASHBOARDS + [dict(f, type="dash-folder") for f in self.FOLDERS]
            if "query" in q:
                hits = [h for h in hits if q["query"][-1].lower() in h["title"].lower()]
            if "type" in q:
                hits = [h for h in hits if h["type"] == q["type"][-1]]
            for tag in q.get("tag", []):
                hits = [h for h in hits if tag in h.get("tags", [])]
            if "limit" in q:
                hits = hits[:int(q["limit"][-1])]
            return ok(hits)
        m = re.fullmatch(r"/api/dashboards/uid/(.+)", r.path)
        if m:
            for d in self.DASHBOARDS:
                if d["uid"] == m.group(1):
                    return ok({"dashboard": {"id": d["id"], "uid": d["uid"], "title": d["title"],
                                             "panels": [], "schemaVersion": 38},
                               "meta": {"type": "db", "slug": d["uid"], "folderUid": d["folderUid"],
                                        "canEdit": True}})
            return not_found("Dashboard not found")
        if r.path == "/api/annotations":
            found = list(self.annotations)
            if "dashboardId" in q:
                found = [a for a in found if str(a.get("dashboardId")) == q["dashboardId"][-1]]
            for tag in q.get("tags", []):
                found = [a for a in found if tag in a.get("tags", [])]
            if "from" in q:
                found = [a for a in found if a.get("time", 0) >= int(q["from"][-1])]
            if "to" in q:
                found = [a for a in found if a.get("time", 0) <= int(q["to"][-1])]
            if "limit" in q:
                found = found[:int(q["limit"][-1])]
            return ok(found)
        if r.path == "/api/v1/provisioning/alert-rules":
            return ok(self.ALERT_RULES)
        if r.path == "/api/folders":
            return ok(self.FOLDERS)
        return not_found()


# ---------------------------------------------------------------------------------
# Traefik API (/api/*, read-only)
# ---------------------------------------------------------------------------------

class FakeTraefik(FakeService):
    name = "traefik"

    ENTRYPOINTS = [
        {"name": "web", "address": ":80", "transport": {"respondingTimeouts": {"idleTimeout": "3m0s"}}},
        {"name": "websecure", "address": ":443", "http": {"tls": {}}},
    ]
    HTTP_ROUTERS = [
        {"name": "my-app@docker", "rule": "Host(`app.example.com`)", "service": "my-app",
         "entryPoints": ["websecure"], "status": "enabled", "provider": "docker", "tls": {}},
        {"name": "api@internal", "rule": "PathPrefix(`/api`)", "service": "api@internal",
         "entryPoints": ["traefik"], "status": "enabled", "provider": "internal"},
        {"name": "dashboard@internal", "rule": "PathPrefix(`/dashboard`)", "service": "dashboard@internal",
         "entryPoints": ["traefik"], "status": "enabled", "provider": "internal"},
        {"name": "old-app@file", "rule": "Host(`old.example.com`)", "service": "old-app",
         "entryPoints": ["web"], "status": "disabled", "provider": "file",
         "error": ["the service \"old-app@file\" does not exist"]},
        {"name": "half@file", "rule": "Host(`half.example.com`)", "service": "half",
         "entryPoints": ["web"], "status": "warning", "provider": "file"},
    ]
    HTTP_SERVICES = [
        {"name": "my-app@docker", "status": "enabled", "provider": "docker", "type": "loadbalancer",
         "loadBalancer": {"servers": [{"url": "http://10.0.0.1:80"}, {"url": "http://10.0.0.2:80"},
                                      {"url": "http://10.0.0.3:80"}], "passHostHeader": True},
         "serverStatus": {"http://10.0.0.1:80": "UP"}, "usedBy": ["my-app@docker"]},
        {"name": "api@internal", "status": "enabled", "provider": "internal", "usedBy": ["api@internal"]},
        {"name": "empty@file", "status": "enabled", "provider": "file", "type": "loadbalancer",
         "loadBalancer": {"passHostHeader": True}},
    ]
    MIDDLEWARES = [
        {"name": "auth@file", "type": "basicauth", "status": "enabled", "provider": "file",
         "basicAuth": {"users": ["admin:$apr1$x"]}, "usedBy": ["my-app@docker"]},
        {"name": "strip@docker", "type": "stripprefix", "status": "enabled", "provider": "docker",
         "stripPrefix": {"prefixes": ["/api"]}},
    ]
    TCP_ROUTERS = [{"name": "postgres@file", "rule": "HostSNI(`*`)", "service": "postgres",
                    "entryPoints": ["pg"], "status": "enabled", "provider": "file"}]
    TCP_SERVICES = [{"name": "postgres@file", "status": "enabled", "provider": "file",
                     "loadBalancer": {"servers": [{"address": "10.0.0.9:5432"}]}}]

    def route(self, r):
        if r.method != "GET":
            return Response(405, "405 method not allowed\n", "text/plain")
        if r.path == "/api/version":
            return ok({"Version": "2.10.7", "Codename": "saintmarcelin", "startDate": "2024-01-01T00:00:00Z"})
        if r.path == "/api/overview":
            return ok({"http": {"routers": {"total": 5, "warnings": 1, "errors": 1},
                                "services": {"total": 3, "warnings": 0, "errors": 0},
                                "middlewares": {"total": 2, "warnings": 0, "errors": 0}},
                       "tcp": {"routers": {"total": 1, "warnings": 0, "errors": 0},
                               "services": {"total": 1, "warnings": 0, "errors": 0}},
                       "features": {"tracing": "", "metrics": "prometheus", "accessLog": False},
                       "providers": ["Docker", "File"]})
        if r.path == "/api/rawdata":
            return ok({"routers": {x["name"]: x for x in self.HTTP_ROUTERS},
                       "services": {x["name"]: x for x in self.HTTP_SERVICES},
                       "middlewares": {x["name"]: x for x in self.MIDDLEWARES}})
        listings = {
            "/api/entrypoints": self.ENTRYPOINTS,
            "/api/http/routers": self.HTTP_ROUTERS,
            "/api/http/services": self.HTTP_SERVICES,
            "/api/http/middlewares": self.MIDDLEWARES,
            "/api/tcp/routers": self.TCP_ROUTERS,
            "/api/tcp/services": self.TCP_SERVICES,
        }
        if r.path in listings:
            return ok(listings[r.path])
        prefix, _, name = r.path.rpartition("/")
        if prefix in listings:
            for item in listings[prefix]:
                if item["name"] == name:
                    return ok(item)
            kind = prefix.rsplit("/", 1)[-1].rstrip("s")
            return not_found("%s not found" % kind)
        return Response(404, "404 page not found\n", "text/plain")


# ---------------------------------------------------------------------------------
# Probe targets for assay.healthcheck
# ---------------------------------------------------------------------------------

class HealthTargets(FakeService):
    """Fixed endpoints: /healthz (200 JSON), /starting (200 JSON without status.ready), /created (201), /nocontent (204), /down (503),
    /error (500), /text (200 text), /slow (200 after 0.3 s), /invalid-json, /flaky (503 twice,
    then 200), /echo (any method; answers with the method and body it received)."""
    name = "health targets"

    def __init__(self):
        super().__init__()
        self.flaky_hits = 0

    def reset(self):
        super().reset()
        self.flaky_hits = 0

    def route(self, r):
        if r.path == "/echo":
            return ok({"method": r.method, "body": r.body.decode()})
        if r.path == "/healthz":
            return ok({"status": {"ready": True, "live": False, "name": "api", "replicas": 3},
                       "items": [1, 2], "version": "1.2.3"})
        if r.path == "/starting":
            return ok({"status": {"live": True}})
        if r.path == "/created":
            return ok({"created": True}, 201)
        if r.path == "/nocontent":
            return Response(204, b"", None)
        if r.path == "/down":
            return Response(503, "service unavailable", "text/plain")
        if r.path == "/error":
            return Response(500, {"error": "internal"})
        if r.path == "/text":
            return Response(200, "status: service is healthy\n", "text/plain")
        if r.path == "/slow":
            return Response(200, {"status": "ok"}, delay=0.3)
        if r.path == "/invalid-json":
            return Response(200, "<html>not json</html>", "text/html")
        if r.path == "/flaky":
            self.flaky_hits += 1
            if self.flaky_hits <= 2:
                return Response(503, "starting", "text/plain")
            return ok({"status": "up"})
        return Response(404, "404 page not found\n", "text/plain")


# ---------------------------------------------------------------------------------
# pytest fixtures: one server per test module, its recordings reset before each test.
# Import both names into a test module: `from fakes import loki, loki_server`.
# ---------------------------------------------------------------------------------

def _fixtures(cls, name):
    import pytest

    @pytest.fixture(scope="module", name=name + "_server")
    def server():
        fake = cls()
        yield fake
        fake.close()

    @pytest.fixture(name=name)
    def fresh(request):
        fake = request.getfixturevalue(name + "_server")
        fake.reset()
        return fake

    return server, fresh


recorder_server, recorder = _fixtures(FakeService, "recorder")
loki_server, loki = _fixtures(FakeLoki, "loki")
grafana_server, grafana = _fixtures(FakeGrafana, "grafana")
traefik_server, traefik = _fixtures(FakeTraefik, "traefik")
targets_server, targets = _fixtures(HealthTargets, "targets")


def lua_with(lua, code, **values):
    """Run `code` with `$NAME` replaced by the given values (URLs, names)."""
    for key in sorted(values, key=len, reverse=True):
        code = code.replace("$" + key, str(values[key]))
    return lua(code)
