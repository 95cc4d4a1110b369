"""Load test of `assay api-serve`: N concurrent runs on 127.0.0.1.

    python bench/api_load.py [--requests 40] [--concurrency 8] [--max-runs 4]

Starts a server on a free port, fires the requests from a thread pool, and prints the
failed-request count (must be 0), throughput, per-request latency (median/p95) as a
ratio to one run alone, and the server's peak memory (VmHWM, its own process; each run
is a child process that exits, so the server's memory must stay flat as N grows).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-token"


def start(max_runs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, ASSAY_API_TOKENS=TOKEN, ASSAY_API_MAX_RUNS=str(max_runs), NO_COLOR="1",
               PYTHONPATH=ROOT, ASSAY_STATE_DIR=os.path.join("/tmp", "assay-api-bench"))
    proc = subprocess.Popen([sys.executable, "-m", "assay", "api-serve", "--bind", "127.0.0.1:%d" % port],
                            env=env, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    for _ in range(400):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def one(url, i):
    body = json.dumps({"code": "local t = {} for k = 1, 20000 do t[k] = k end return #t + %d" % i}).encode()
    req = urllib.request.Request(url + "/v1/run", data=body, headers={"Authorization": "Bearer " + TOKEN})
    began = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            doc = json.loads(resp.read())
        ok = doc.get("output") == 20000 + i
    except Exception:
        ok = False
    return ok, time.monotonic() - began


def peak_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--max-runs", type=int, default=4)
    a = ap.parse_args()
    proc, url = start(a.max_runs)
    try:
        alone = statistics.median(one(url, 0)[1] for _ in range(3))
        before = peak_kb(proc.pid)
        began = time.monotonic()
        with ThreadPoolExecutor(a.concurrency) as pool:
            results = list(pool.map(lambda i: one(url, i), range(a.requests)))
        wall = time.monotonic() - began
        after = peak_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    latencies = sorted(t for _, t in results)
    failed = sum(1 for ok, _ in results if not ok)
    print("requests %d, concurrency %d, max runs %d" % (a.requests, a.concurrency, a.max_runs))
    print("failed requests: %d" % failed)
    print("throughput: %.1f runs/s" % (a.requests / wall))
    print("latency median %.2fx, p95 %.2fx one run alone (%.0f ms)"
          % (statistics.median(latencies) / alone, latencies[int(0.95 * (len(latencies) - 1))] / alone,
             alone * 1000))
    print("server peak RSS: %.1f MB before, %.1f MB after (%.2fx)" % (before / 1024, after / 1024, after / before))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
