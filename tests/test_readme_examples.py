"""Documentation examples run as written (issue 12).

Every ```lua block of README.md and of every page under docs/ is extracted and run with the real `assay`
command. Service URLs in the examples come from the environment with the documented default
(`env.get("GRAFANA_URL") or "http://grafana:3000"`); this module starts the shared fakes from
tests/stdlib (and a real Alertmanager from tests/realservers.py, and the machine's PostgreSQL) and
points those variables at them, so the README can never drift from the code.

A block that cannot run as a script (a fragment, a server that never returns, ...) is marked
in the README with `<!-- example: skip (reason) -->` on the line before its fence. Skipped blocks
are reported by name; more than a third of all blocks skipped fails the suite.
Each test id is the nearest heading (plus `-2`, `-3`, ... when a heading has several blocks).
"""
import json
import os
import re
import sys
import urllib.request

import pytest

from conftest import ROOT, run_assay

sys.path.insert(0, os.path.join(ROOT, "tests", "stdlib"))

README = os.path.join(ROOT, "README.md")
DOCS = os.path.join(ROOT, "docs")


def doc_files():
    """README.md first, then every docs/ page in path order."""
    found = [README]
    for base, _, names in sorted(os.walk(DOCS)):
        found += [os.path.join(base, n) for n in sorted(names) if n.endswith(".md")]
    return found
MARKER = re.compile(r"^\s*<!--\s*example:\s*skip\s*\((.+)\)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```lua\s*$")
# Blocks in README sections that another author maintains, which cannot carry a marker from
# here (a string the block contains -> reason). They count as skipped like marked ones; a
# marker in the README wins.
UNMARKED_SKIPS = {
    "temporal.connect(": "temporal.connect needs a Temporal gRPC frontend (section owned by the temporal docs)",
}


def slug(heading):
    text = re.sub(r"[`*]", "", heading.lstrip("#").strip())
    text = re.sub(r"[^A-Za-z0-9._]+", "-", text).strip("-").lower()
    return text or "top"


def extract(path=README, seen=None):
    """[(id, heading, line, code, skip_reason_or_None)] for every ```lua block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, heading, i = [], "top", 0
    seen = {} if seen is None else seen
    while i < len(lines):
        line = lines[i]
        if re.match(r"^#{1,6} ", line):
            heading = line.lstrip("#").strip()
        m = FENCE.match(line)
        if m:
            indent, start, body = len(m.group(1)), i, []
            i += 1
            while not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            j = start - 1
            while j >= 0 and lines[j].strip() == "":
                j -= 1
            marker = MARKER.match(lines[j]) if j >= 0 else None
            reason = marker.group(1) if marker else None
            code = "\n".join(body) + "\n"
            for needle, why in UNMARKED_SKIPS.items():
                if reason is None and needle in code:
                    reason = why
            base = slug(heading)
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else "%s-%d" % (base, seen[base])
            blocks.append((name, heading, start + 1, code, reason))
        i += 1
    return blocks


def extract_all():
    """Every block of README.md and docs/; ids stay unique across pages."""
    seen, blocks = {}, []
    for path in doc_files():
        rel = os.path.relpath(path, ROOT)
        blocks += [(name, "%s: %s" % (rel, heading), line, code, why)
                   for name, heading, line, code, why in extract(path, seen)]
    return blocks


BLOCKS = extract_all()


def test_readme_examples_mostly_runnable():
    """Issue 12: at most a third of the README's lua blocks may be skipped; names them."""
    assert len(BLOCKS) >= 10, "README lost its examples?"
    skipped = ["%s (line %d): %s" % (name, line, why) for name, _, line, _, why in BLOCKS if why]
    report = "\n".join(skipped)
    print("skipped README examples:\n" + report)
    assert 3 * len(skipped) <= len(BLOCKS), "too many skipped README examples:\n" + report


def test_readme_extractor_reads_markers(tmp_path):
    """Issue 12: the extractor finds every block, the nearest heading and a skip marker."""
    readme = tmp_path / "README.md"
    readme.write_text("# T\n## Alpha `x`\n```lua\nprint(1)\n```\n<!-- example: skip (fragment) -->\n"
                      "```lua\nfoo(\n```\n```sh\nls\n```\n### Beta\n  ```lua\n  print(2)\n  ```\n")
    got = [(n, line, code, why) for n, _, line, code, why in extract(str(readme))]
    assert got == [("alpha-x", 3, "print(1)\n", None), ("alpha-x-2", 7, "foo(\n", "fragment"),
                   ("beta", 14, "print(2)\n", None)]


# ---- services --------------------------------------------------------------------------

class FakePrometheus:
    """Answers every instant query with one sample of value 1."""

    def __new__(cls):
        from fakes import FakeService, Response

        class Impl(FakeService):
            name = "prometheus"

            def route(self, r):
                if r.path.startswith("/api/v1/query"):
                    body = {"status": "success", "data": {"resultType": "vector", "result": [
                        {"metric": {}, "value": [1700000000, "1"]}]}}
                    return Response(200, json.dumps(body).encode())
                return Response(404, b"not found", "text/plain")
        return Impl()


class FakeItems:
    """The README's generic API: /items (GET list, POST create), /healthz, /status, /events
    (an event stream)."""

    def __new__(cls):
        from fakes import FakeService, Response

        class Impl(FakeService):
            name = "items"

            def route(self, r):
                if r.path == "/items" and r.method == "GET":
                    return Response(200, b'[{"id":1,"name":"disk"}]')
                if r.path == "/items" and r.method == "POST":
                    return Response(201, r.body)
                if r.path == "/healthz":
                    return Response(200, b"ok", "text/plain")
                if r.path == "/status":
                    return Response(200, b'{"status":{"ready":true}}')
                if r.path == "/events":
                    return Response(200, b'event: progress\ndata: {"percent":50}\n\n'
                                         b'event: done\ndata: {"percent":100}\n\n', "text/event-stream")
                return Response(404, b"not found", "text/plain")
        return Impl()


def port_open(port):
    import socket
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pg_app_objects():
    """(database app, role app, table accounts in db test) exist on the machine's PostgreSQL."""
    import psycopg
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        db = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'app'").fetchone() is not None
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'app'").fetchone() is not None
        table = conn.execute("SELECT to_regclass('public.accounts')").fetchone()[0] is not None
    return db, role, table


def psql(*statements):
    import psycopg
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def post_json(url, data):
    req = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The scripts' working directory with the files the examples read."""
    d = tmp_path_factory.mktemp("readme")
    (d / "assets").mkdir()
    (d / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00binary")
    (d / "config.yaml").write_text("port: 8080\n")
    (d / "dump.sql").write_text("SELECT 1;\n")
    (d / "templates").mkdir()
    (d / "templates" / "report.html").write_text(
        "<h1>{{ title }}</h1>{% for c in checks %}<p>{{ c.name }}: {{ c.ok }}</p>{% endfor %}\n")
    return d


@pytest.fixture(scope="module")
def services(workdir):
    """Start the fakes once; yield the environment the examples read their URLs from."""
    import aws_moto
    import fake_argocd
    import fake_clickup
    import fake_dex
    import fake_excalidash
    import fake_github
    import fake_gitlab
    import fake_google
    import fake_harbor
    import fake_huly
    import fake_infoblox
    import fake_k8s
    import fake_n8n
    import fake_neutron
    import fake_oauth2
    import fake_openclaw
    import fake_openstack
    import fake_plane
    import fake_rauthy
    import fake_s3
    import fake_servicenow
    import fake_sonarqube
    import fake_tailscale
    import fake_temporal
    import fake_unleash
    import fake_vault
    import fakes
    import realservers

    started, env = [], {}

    def start(fake):
        started.append(fake)
        return fake

    try:
        api = start(FakeItems())
        env.update(API_URL=api.url, API_TOKEN="readme-token")
        env["PROMETHEUS_URL"] = start(FakePrometheus()).url
        try:
            am = start(realservers.start_alertmanager())
        except pytest.skip.Exception:
            am = None  # binary missing: the alertmanager example skips (fails under CI) by itself
        if am is not None:
            env["ALERTMANAGER_URL"] = am.url
            # a firing alert, so the example's silence branch runs too
            post_json(am.url + "/api/v2/alerts", [{"labels": {"alertname": "HighLatency", "job": "api"}}])
        env["LOKI_URL"] = start(fakes.FakeLoki()).url
        env.update(GRAFANA_URL=start(fakes.FakeGrafana()).url, GRAFANA_TOKEN=fakes.GRAFANA_API_KEY)
        traefik = start(fakes.FakeTraefik())
        # the example asserts a healthy proxy: keep only the fake's enabled routers
        traefik.HTTP_ROUTERS = [r for r in fakes.FakeTraefik.HTTP_ROUTERS if r["status"] == "enabled"]
        env["TRAEFIK_URL"] = traefik.url
        k8s = fake_k8s.shared()
        k8s.reset()
        k8s.add(fake_k8s.obj("apps/v1", "Deployment", "web", "default",
                             spec={"replicas": 1, "selector": {"matchLabels": {"app": "web"}}},
                             status={"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                                     "updatedReplicas": 1, "observedGeneration": 1}),
                fake_k8s.obj("v1", "Pod", "web-1", "default", metadata={"labels": {"app": "web"}},
                             status={"phase": "Running"}))
        env.update(K8S_URL=k8s.url, K8S_TOKEN=fake_k8s.TOKEN)
        env.update(VAULT_ADDR=start(fake_vault.FakeVault().start()).url, VAULT_TOKEN=fake_vault.ROOT_TOKEN)
        env.update(S3_ENDPOINT=start(fake_s3.FakeS3().start()).url, S3_ACCESS_KEY=fake_s3.ACCESS_KEY,
                   S3_SECRET_KEY=fake_s3.SECRET_KEY)
        env.update(ARGOCD_URL=start(fake_argocd.FakeArgoCD()).url, ARGOCD_TOKEN=fake_argocd.ARGOCD_TOKEN)
        harbor = start(fake_harbor.FakeHarbor())
        # the example fails on critical findings: nginx:1.25 gets a report without any
        harbor.artifacts[("library", "nginx")][0] = fake_harbor.artifact(
            100, 10, 1, 1, ["1.25", "latest"], "2024-02-01T10:00:00.000Z", {"High": 1, "Low": 3})
        env.update(HARBOR_URL=harbor.url, HARBOR_SECRET=fake_harbor.HARBOR_ROBOT[1])
        env["DEX_URL"] = start(fake_dex.FakeDex()).url + "/dex"
        env.update(UNLEASH_URL=start(fake_unleash.FakeUnleash()).url,
                   UNLEASH_ADMIN_TOKEN=fake_unleash.ADMIN_TOKEN)
        env.update(GITLAB_URL=start(fake_gitlab.FakeGitLab()).url, GITLAB_TOKEN=fake_gitlab.TOKEN)
        env.update(GITHUB_URL=start(fake_github.FakeGitHub()).url, GITHUB_TOKEN=fake_github.GITHUB_TOKEN)
        google = start(fake_google.FakeGoogle())
        env["GCAL_URL"] = google.url
        home = workdir.parent / "home"
        (home / ".config" / "gog").mkdir(parents=True)
        fake_oauth2.write_files(home / ".config" / "gog", token={
            "access_token": fake_google.ACCESS_TOKEN, "refresh_token": fake_google.REFRESH_TOKEN,
            "token_type": "Bearer"})
        env["HOME"] = str(home)
        # c:approve() answers from ASSAY_APPROVAL_RESULT when set (no prompt in a test)
        env.update(OPENCLAW_URL=start(fake_openclaw.FakeOpenClaw()).url, ASSAY_APPROVAL_RESULT="yes")
        env["TEMPORAL_HTTP_URL"] = start(fake_temporal.FakeTemporal()).url
        env.update(TAILSCALE_URL=start(fake_tailscale.FakeTailscale()).url, TS_CLIENT_ID=fake_tailscale.CLIENT_ID,
                   TS_CLIENT_SECRET=fake_tailscale.CLIENT_SECRET)
        env.update(OS_AUTH_URL=start(fake_openstack.FakeOpenStack()).url + "/identity",
                   OS_USERNAME=fake_openstack.USER, OS_PASSWORD=fake_openstack.PASSWORD,
                   OS_PROJECT_NAME=fake_openstack.PROJECT)
        env.update(NEUTRON_URL=start(fake_neutron.FakeNeutron()).url, NEUTRON_TOKEN=fake_neutron.TOKEN)
        env.update(N8N_URL=start(fake_n8n.FakeN8n()).url, N8N_API_KEY=fake_n8n.API_KEY)
        env.update(RAUTHY_URL=start(fake_rauthy.FakeRauthy()).url + "/auth/v1", RAUTHY_API_KEY=fake_rauthy.API_KEY)
        env.update(SONAR_HOST_URL=start(fake_sonarqube.FakeSonarQube()).url, SONAR_TOKEN=fake_sonarqube.TOKEN)
        env.update(SERVICENOW_URL=start(fake_servicenow.FakeServiceNow()).url, SERVICENOW_USER=fake_servicenow.USER,
                   SERVICENOW_PASSWORD=fake_servicenow.PASSWORD)
        env.update(INFOBLOX_URL=start(fake_infoblox.FakeInfoblox()).url, INFOBLOX_USER=fake_infoblox.USER,
                   INFOBLOX_PASSWORD=fake_infoblox.PASSWORD)
        env.update(CLICKUP_URL=start(fake_clickup.FakeClickUp()).url + "/api", CLICKUP_TOKEN=fake_clickup.TOKEN)
        env.update(PLANE_BASE_URL=start(fake_plane.FakePlane()).url, PLANE_WORKSPACE=fake_plane.WORKSPACE,
                   PLANE_API_KEY=fake_plane.API_KEY)
        env.update(HULY_URL=start(fake_huly.FakeHuly()).url, HULY_TOKEN=fake_huly.TOKEN,
                   HULY_WORKSPACE=fake_huly.WORKSPACE)
        env.update(EXCALIDASH_URL=start(fake_excalidash.FakeExcaliDash()).url, EXCALIDASH_API_KEY=fake_excalidash.API_KEY,
                   EXCALIDASH_TOKEN=fake_excalidash.SESSION)
        try:
            moto = start(aws_moto.Moto())
        except pytest.skip.Exception:
            moto = None  # moto_server missing: the AWS examples skip (fail under CI) by themselves
        if moto is not None:
            env.update(AWS_ENDPOINT_URL=moto.url, AWS_ACCESS_KEY_ID=moto.creds["access_key"],
                       AWS_SECRET_ACCESS_KEY=moto.creds["secret_key"], AWS_REGION="us-east-1")
            ec2 = moto.client("ec2")
            ec2.run_instances(ImageId=ec2.describe_images()["Images"][0]["ImageId"], MinCount=1, MaxCount=1,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
            moto.client("s3").create_bucket(Bucket="reports")
        pg_before = None
        if port_open(5432):
            env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/test"
            pg_before = pg_app_objects()
            psql("CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER)",
                 "INSERT INTO accounts VALUES (7, 100) ON CONFLICT (id) DO UPDATE SET balance = 100")
        env["APP_DIR"] = ROOT
        for name in ("DOCKER_DIR", "ARCHIVE_DIR", "CACHE_DIR"):
            (workdir.parent / name.lower()).mkdir()
            env[name] = str(workdir.parent / name.lower())
        yield env
        if pg_before is not None:
            # the examples create table accounts, database app and role app: drop what they created
            after = pg_app_objects()
            psql(*[sql for sql, made, was in zip(("DROP DATABASE app", "DROP ROLE app", "DROP TABLE accounts"),
                                                 after, pg_before) if made and not was])
    finally:
        for fake in started:
            for stop in ("close", "stop"):
                if hasattr(fake, stop):
                    getattr(fake, stop)()
                    break


def run_block(code, workdir, env):
    script = workdir / "example.lua"
    script.write_text(code, encoding="utf-8")
    return run_assay(script, cwd=str(workdir), extra_env=env, timeout=120)


@pytest.mark.parametrize("block", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_readme_example(block, workdir, services):
    """Issue 12: each README lua example exits 0 as written (or is marked skipped)."""
    name, heading, line, code, why = block
    if why:
        pytest.skip("README example %s (line %d) skipped: %s" % (name, line, why))
    if "postgres" in code and "DATABASE_URL" not in services:
        import realservers
        realservers.postgres_available()
    if "assay.alertmanager" in code and "ALERTMANAGER_URL" not in services:
        import realservers
        realservers.find_binary("prometheus-alertmanager", "apt-get install prometheus-alertmanager")
    if "assay.aws." in code and "AWS_ENDPOINT_URL" not in services:
        import aws_moto
        aws_moto.find_moto()
    proc = run_block(code, workdir, services)
    assert proc.returncode == 0, "README example %s (line %d, %s) failed:\n%s\n--- stdout\n%s--- stderr\n%s" % (
        name, line, heading, code, proc.stdout, proc.stderr)
