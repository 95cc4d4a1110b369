"""Helpers for the checks-mode tests: run `assay` on a YAML file, a local HTTP server.

Module name is unique on purpose (no second conftest.py): tests import from it.
"""
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT, run_assay

# the shared fakes (tests/stdlib/fakes.py, fake_k8s.py, fake_argocd.py) serve checks tests too
if os.path.join(ROOT, "tests", "stdlib") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tests", "stdlib"))

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (TRACE|DEBUG| INFO| WARN|ERROR) ")


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class Outcome:
    """A finished `assay` run on a config: process result plus the parsed report."""

    def __init__(self, proc):
        self.proc = proc
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = None
        if proc.stdout.strip().startswith("{") and "\n{" not in proc.stdout:  # not --dry-run's JSON lines
            self.report = json.loads(proc.stdout)

    @property
    def checks(self):
        return self.report["checks"]

    def check(self, name):
        matches = [c for c in self.report["checks"] if c["name"] == name]
        assert len(matches) == 1, (name, self.report)
        return matches[0]

    def message(self, name):
        return self.check(name)["message"]

    def log_lines(self, message):
        return [line for line in self.stderr.splitlines() if LOG_LINE.match(line) and message in line]

    def __repr__(self):
        return "<exit %s\nstdout:\n%s\nstderr:\n%s>" % (self.code, self.stdout, self.stderr)


def run_config(directory, text, *args, name="checks.yaml", extra_env=None, timeout=90, command=None):
    """Write `text` as `directory/name` and run `assay name` there (cwd = directory)."""
    write(directory, name, text)
    argv = list(command) if command else [name]
    proc = run_assay(*argv, *args, cwd=str(directory), extra_env=extra_env, timeout=timeout)
    return Outcome(proc)


class Route:
    """A canned response; `hits` counts requests, `requests` keeps their headers."""

    def __init__(self, status=200, body=b"", headers=None, delay=0.0, sequence=None):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = headers or {}
        self.delay = delay
        self.sequence = sequence  # optional list of (status, body) served in turn, last one repeats
        self.hits = 0
        self.requests = []


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with canned routes (path → Route)."""

    def __init__(self):
        self.routes = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path, _, query = self.path.partition("?")
                route = server.routes.get(path)
                if route is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                route.hits += 1
                route.requests.append({"path": self.path, "query": query, "headers": dict(self.headers.items()),
                                       "time": time.monotonic()})
                if route.delay:
                    time.sleep(route.delay)
                status, body = route.status, route.body
                if route.sequence:
                    status, body = route.sequence[min(route.hits, len(route.sequence)) - 1]
                    body = body.encode() if isinstance(body, str) else body
                self._send(status, body, route.headers)

            def _send(self, status, body, headers):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path, *args, **kwargs):
        route = Route(*args, **kwargs)
        self.routes[path] = route
        return route

    def url(self, path):
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port():
    """A port on 127.0.0.1 where nothing listens (bound and released)."""
    return free_port()


def in_ci():
    return os.environ.get("CI") == "true"


def need(what, available, install_hint):
    """Skip when a test tool is missing; under CI=true a missing tool fails the test."""
    if available:
        return
    reason = "%s is not available (%s)" % (what, install_hint)
    if in_ci():
        pytest.fail(reason + " (CI must provide it)")
    pytest.skip(reason)


def need_module(name, install_hint):
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        need("Python module %s" % name, False, install_hint)
