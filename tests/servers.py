"""Real Prometheus and Alertmanager for tests (Debian packages `prometheus`,
`prometheus-alertmanager`), started on free loopback ports with temporary config and storage.

Use the module-scoped fixtures by importing them into a test module:

    from servers import prometheus, alertmanager   # noqa: F401  (pytest fixtures)

`prometheus` is a Daemon (`.url`, `.port`, `.dir`) scraping itself every second, with the rule
group `demo` (alert `AlwaysFiring` firing, alert `NeverFiring` inactive, recording rule
`job:up:sum`), a dropped target (job `dropped`), and the lifecycle API enabled (`/-/reload`).
It is returned only once `up` has a sample and `AlwaysFiring` fires. `alertmanager` is a
Daemon with receivers `default` and `team-x` and clustering disabled.

A missing binary skips the tests, except under CI=true, where it fails them.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

PROMETHEUS_BIN = os.environ.get("ASSAY_TEST_PROMETHEUS", "/usr/bin/prometheus")
ALERTMANAGER_BIN = os.environ.get("ASSAY_TEST_ALERTMANAGER", "/usr/bin/prometheus-alertmanager")

PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
  - job_name: dropped
    static_configs:
      - targets: ["127.0.0.1:9"]
    relabel_configs:
      - action: drop
        source_labels: [__address__]
        regex: ".*"
"""

PROMETHEUS_RULES = """\
groups:
  - name: demo
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: page}
        annotations: {summary: "always firing"}
      - alert: NeverFiring
        expr: vector(1) > 2
      - record: job:up:sum
        expr: sum by (job) (up)
"""

ALERTMANAGER_CONFIG = """\
route:
  receiver: default
  group_by: [alertname]
  group_wait: 0s
  routes:
    - receiver: team-x
      matchers: ['team="x"']
receivers:
  - name: default
  - name: team-x
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(path, package):
    if os.path.exists(path) and os.access(path, os.X_OK):
        return
    reason = "%s is not installed (apt-get install %s)" % (path, package)
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI must provide it)")
    pytest.skip(reason)


def get_json(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


class Daemon:
    def __init__(self, name, argv, directory, port):
        self.name = name
        self.dir = directory
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.log_path = os.path.join(directory, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=directory, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_until(self, what, condition, timeout=45):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail("%s exited with %s before %s" % (self.name, self.proc.returncode, what))
            try:
                if condition():
                    return
            except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError):
                pass
            time.sleep(0.2)
        self.fail("%s: timed out waiting for %s" % (self.name, what))

    def fail(self, message):
        self.stop()
        with open(self.log_path, "rb") as f:
            tail = f.read()[-2000:].decode("utf-8", "replace")
        pytest.fail("%s\n--- log tail ---\n%s" % (message, tail))

    def ready(self):
        with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as resp:
            return resp.status == 200

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_prometheus(directory):
    require_binary(PROMETHEUS_BIN, "prometheus")
    port = free_port()
    with open(os.path.join(directory, "prometheus.yml"), "w") as f:
        f.write(PROMETHEUS_CONFIG.replace("{port}", str(port)))
    with open(os.path.join(directory, "rules.yml"), "w") as f:
        f.write(PROMETHEUS_RULES)
    argv = [PROMETHEUS_BIN, "--config.file=prometheus.yml", "--storage.tsdb.path=data",
            "--web.listen-address=127.0.0.1:%d" % port, "--web.enable-lifecycle",
            "--log.level=warn"]
    daemon = Daemon("prometheus", argv, directory, port)
    daemon.wait_until("/-/ready", daemon.ready)
    daemon.wait_until("the first scrape of `up`",
                      lambda: get_json(daemon.url + "/api/v1/query?query=up")["data"]["result"])
    daemon.wait_until("alert AlwaysFiring to fire", lambda: any(
        a["labels"]["alertname"] == "AlwaysFiring" and a["state"] == "firing"
        for a in get_json(daemon.url + "/api/v1/alerts")["data"]["alerts"]))
    return daemon


def start_alertmanager(directory):
    require_binary(ALERTMANAGER_BIN, "prometheus-alertmanager")
    port = free_port()
    with open(os.path.join(directory, "alertmanager.yml"), "w") as f:
        f.write(ALERTMANAGER_CONFIG)
    argv = [ALERTMANAGER_BIN, "--config.file=alertmanager.yml", "--storage.path=data",
            "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
            "--log.level=warn"]
    daemon = Daemon("alertmanager", argv, directory, port)
    daemon.wait_until("/-/ready", daemon.ready)
    return daemon


def _daemon_fixture(start):
    directory = tempfile.mkdtemp(prefix="assay-test-")
    daemon = start(directory)
    try:
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def prometheus():
    yield from _daemon_fixture(start_prometheus)


@pytest.fixture(scope="module")
def alertmanager():
    yield from _daemon_fixture(start_alertmanager)
