"""The shipped examples run as documented (README: `make demo`, the discovery walk-through)."""
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import ROOT, run_assay

EXAMPLES = os.path.join(ROOT, "examples")


def test_demo_script_serves_probes_and_reports():
    r = run_assay(os.path.join(EXAMPLES, "demo.lua"))
    assert r.returncode == 0, r.stderr
    assert "deployment check passed: 1.4.2 is healthy" in r.stdout
    assert "body_sha256:" in r.stdout and "version: 1.4.2" in r.stdout


def test_discovery_walkthrough_project_module():
    """DISC-01/DISC-04 as the walk-through shows them: ./modules is listed as `project` and
    its header drives `assay context`."""
    cwd = os.path.join(EXAMPLES, "discovery")
    r = run_assay("modules", cwd=cwd)
    assert any(line.startswith("assay.widget ") and " project " in line for line in r.stdout.splitlines())
    r = run_assay("context", "widget inventory", "--limit", "1", cwd=cwd)
    assert "### assay.widget\n" in r.stdout and "Env: WIDGET_URL, WIDGET_TOKEN\n" in r.stdout


def test_discovery_example_module_talks_to_a_service():
    class Widgets(BaseHTTPRequestHandler):
        def do_GET(self):
            body = {"/health": {"status": "ok", "version": "2.0"}, "/widgets": [{"id": 1}]}.get(self.path)
            data = json.dumps(body).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Widgets)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = ("local c = require('assay.widget').client('http://127.0.0.1:%d/', {token = 't'}) "
                "print(c:health().version, #c:list())" % server.server_address[1])
        r = run_assay("exec", "-e", code, cwd=os.path.join(EXAMPLES, "discovery"))
        assert r.returncode == 0, r.stderr
        assert r.stdout == "2.0\t1\n"
    finally:
        server.shutdown()
