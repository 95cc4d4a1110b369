#!/usr/bin/env python3
"""Benchmark `http.serve` against a plain Python ThreadingHTTPServer.

    python bench/serve.py [--duration 5] [--connections 1,16] [--tool auto|python|wrk]

Starts `assay` with a script serving two routes (`/` → `{ body = "ok" }`, `/json` →
a small JSON document built from the request), and the same two handlers as a
`ThreadingHTTPServer` (HTTP/1.1, keep-alive) in a second process. For each server,
route and connection count, a load generator in a third process sends requests
for a bounded time over 127.0.0.1 and reports requests/s, p50/p99 latency and
failed requests. The load generator is `wrk` when it is installed (`--tool auto`,
the default), else a small Python one (threads, one keep-alive `http.client`
connection each; it saturates at a few thousand requests/s on its own, so with it
both servers look alike). The ratio column is assay's requests/s over the Python
server's.

All three processes share the machine's cores, so treat the numbers as relative.
"""
import argparse
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ASSAY_SCRIPT = r"""
async.spawn(function()
  while _SERVER_PORT == nil do sleep(0.005) end
  print(_SERVER_PORT)
  io.stdout:flush()
end)
http.serve(0, {
  GET = {
    ["/"] = function(req) return { body = "ok" } end,
    ["/json"] = function(req)
      return { json = { ok = true, path = req.path, n = 42, tags = { "a", "b" } } }
    end,
  },
})
"""


# ---- the Python baseline server (run in its own process) -----------------------------

class Baseline(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            body, ctype = b"ok", "text/plain"
        elif path == "/json":
            body = json.dumps({"n": 42, "ok": True, "path": path, "tags": ["a", "b"]},
                              separators=(",", ":")).encode()
            ctype = "application/json"
        else:
            body, ctype = b"not found", "text/plain"
            self.send_response(404)
        if path in ("/", "/json"):
            self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def run_baseline():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Baseline)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


# ---- the load generator (run in its own process) ---------------------------------------

def run_load(port, path, connections, duration):
    deadline = time.monotonic() + duration
    latencies = [[] for _ in range(connections)]
    failures = [0] * connections

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        lat = latencies[i]
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200 or not body:
                    failures[i] += 1
                    continue
            except (OSError, http.client.HTTPException):
                failures[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            lat.append(time.perf_counter() - start)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    all_lat = sorted(x for lat in latencies for x in lat)
    n = len(all_lat)

    def pct(p):
        return all_lat[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    print(json.dumps({"requests": n, "rps": n / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                      "failed": sum(failures)}))


# ---- orchestration ------------------------------------------------------------------------

def start(cmd, env=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline()
    if not line.strip():
        proc.kill()
        raise SystemExit("server did not start: %s" % " ".join(cmd))
    return proc, int(line)


def load(port, path, connections, duration, tool="python"):
    if tool == "wrk":
        return load_wrk(port, path, connections, duration)
    out = subprocess.run([sys.executable, __file__, "--load", str(port), path, str(connections), str(duration)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def load_wrk(port, path, connections, duration):
    import re
    threads = min(connections, 2)
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % max(1, round(duration)), "--latency",
                          "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True, check=True).stdout

    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    failed = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        failed += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        failed += sum(int(x) for x in m.groups())
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "failed": failed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (default 5)")
    parser.add_argument("--connections", default="1,16", help="comma-separated connection counts (default 1,16)")
    parser.add_argument("--tool", choices=("auto", "python", "wrk"), default="auto",
                        help="load generator (default: wrk if installed, else python)")
    parser.add_argument("--load", nargs=4, metavar=("PORT", "PATH", "CONN", "SECONDS"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline-server", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.baseline_server:
        return run_baseline()
    if opts.load:
        port, path, conns, seconds = opts.load
        return run_load(int(port), path, int(conns), float(seconds))

    import shutil
    import tempfile
    tool = opts.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(ASSAY_SCRIPT)
    script.close()
    env = dict(os.environ, RUST_LOG="error", NO_COLOR="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    assay_cmd = os.environ.get("ASSAY_BIN", "").split() or [sys.executable, "-m", "assay"]
    servers = {}
    try:
        servers["assay"] = start(assay_cmd + [script.name], env)
        servers["python"] = start([sys.executable, __file__, "--baseline-server"])
        connections = [int(c) for c in opts.connections.split(",") if c.strip()]
        print("http.serve vs ThreadingHTTPServer, %.0f s per run, loopback, %d CPU(s), load generator: %s"
              % (opts.duration, os.cpu_count() or 0, tool))
        header = "%-6s %5s | %9s %8s %8s %6s | %9s %8s %8s %6s | %5s" % (
            "route", "conns", "assay rps", "p50 ms", "p99 ms", "failed", "py rps", "p50 ms", "p99 ms", "failed",
            "ratio")
        print(header)
        print("-" * len(header))
        for path in ("/", "/json"):
            for c in connections:
                for name in ("assay", "python"):  # warm up both
                    load(servers[name][1], path, c, min(0.5, opts.duration), tool)
                a = load(servers["assay"][1], path, c, opts.duration, tool)
                p = load(servers["python"][1], path, c, opts.duration, tool)
                print("%-6s %5d | %9.0f %8.2f %8.2f %6d | %9.0f %8.2f %8.2f %6d | %5.2f" % (
                    path, c, a["rps"], a["p50_ms"], a["p99_ms"], a["failed"],
                    p["rps"], p["p50_ms"], p["p99_ms"], p["failed"], a["rps"] / p["rps"] if p["rps"] else 0))
                sys.stdout.flush()
    finally:
        for proc, _ in servers.values():
            proc.kill()
            proc.wait()
        os.unlink(script.name)


if __name__ == "__main__":
    main()
