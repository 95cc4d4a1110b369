"""Checks mode 2 check types and verdicts: tcp, k8s (against the shared fake Kubernetes API
server), argocd (against the shared Argo CD fake), the termination message and --k8s-event."""
import base64
import socket

import pytest

from checkhelpers import closed_port, run_config, write
from fake_argocd import ARGOCD_TOKEN, argocd, argocd_server  # noqa: F401 (fixtures)
from fake_k8s import TOKEN, cond, k8s, k8s_tls, obj  # noqa: F401 (fixtures)


def kubeconfig(directory, fake, namespace="apps", ca=None, token=TOKEN):
    cluster = "    server: %s\n" % fake.url
    if ca:
        cluster += "    certificate-authority-data: %s\n" % base64.b64encode(ca.encode()).decode()
    text = ("apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            "clusters:\n- name: fake\n  cluster:\n" + cluster +
            "contexts:\n- name: test\n  context:\n    cluster: fake\n    user: tester\n    namespace: %s\n"
            "users:\n- name: tester\n  user:\n    token: %s\n" % (namespace, token))
    return write(directory, "kubeconfig", text)


def workload(kind, name, generation=2, observed=2, spec=None, **status):
    api = "batch/v1" if kind == "Job" else "apps/v1"
    if kind != "Job":
        status.setdefault("observedGeneration", observed)
    return obj(api, kind, name, "apps", metadata={"generation": generation}, spec=spec or {}, status=status)


# ---- tcp ------------------------------------------------------------------------------

def test_chk2_tcp(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    dead = closed_port()
    try:
        r = run_config(tmp_path, "retries: 0\nchecks:\n"
                       "  - {name: open, type: tcp, host: 127.0.0.1, port: %d}\n"
                       "  - {name: closed, type: tcp, host: 127.0.0.1, port: %d, timeout: 2s}\n" % (port, dead))
    finally:
        listener.close()
    assert r.check("open")["passed"], r
    assert r.message("closed") == "TCP connect to 127.0.0.1:%d: Connection refused (os error 111)" % dead


# ---- k8s --------------------------------------------------------------------------------

def test_chk2_k8s_rollouts(tmp_path, k8s):
    k8s.add(
        workload("Deployment", "web", spec={"replicas": 3}, replicas=3, readyReplicas=3, updatedReplicas=3,
                 availableReplicas=3),
        workload("Deployment", "stale", generation=3, observed=2, spec={"replicas": 3}, replicas=3,
                 readyReplicas=3, updatedReplicas=3, availableReplicas=3),
        workload("Deployment", "rolling", spec={"replicas": 3}, replicas=4, readyReplicas=3, updatedReplicas=2,
                 availableReplicas=3),
        workload("StatefulSet", "db", spec={"replicas": 2}, replicas=2, readyReplicas=2, updatedReplicas=2),
        workload("DaemonSet", "agent", desiredNumberScheduled=4, numberReady=3, updatedNumberScheduled=4,
                 numberAvailable=3),
        workload("Job", "migrate", spec={"completions": 1}, succeeded=1,
                 conditions=[cond("Complete", "True")]),
        workload("Job", "broken", spec={"completions": 1}, failed=3,
                 conditions=[cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the backoff limit")]),
    )
    config = kubeconfig(tmp_path, k8s)
    checks = [("web", "Deployment"), ("stale", "Deployment"), ("rolling", "Deployment"), ("db", "StatefulSet"),
              ("agent", "DaemonSet"), ("migrate", "Job"), ("broken", "Job"), ("absent", "Deployment")]
    text = "retries: 0\nchecks:\n" + "".join(
        "  - {name: %s, type: k8s, kind: %s, kubeconfig: %s}\n" % (name, kind, config) for name, kind in checks)
    text += "  - {name: other label, type: k8s, kind: deployment, workload: web, namespace: apps, kubeconfig: %s}\n" \
        % config
    r = run_config(tmp_path, text)
    assert r.check("web")["passed"] and r.check("db")["passed"] and r.check("migrate")["passed"], r
    assert r.check("other label")["passed"], r
    assert r.message("stale") == ("Deployment apps/stale not rolled out: generation 3 not observed yet "
                                  "(observedGeneration 2)")
    assert r.message("rolling") == ("Deployment apps/rolling not rolled out: ready 3/3, updated 2/3, "
                                    "available 3/3")
    assert r.message("agent") == "DaemonSet apps/agent not rolled out: ready 3/4, updated 4/4, available 3/4"
    assert r.message("broken") == ("Job apps/broken not rolled out: job failed: BackoffLimitExceeded "
                                   "Job has reached the backoff limit")
    assert r.message("absent").startswith("k8s.get: HTTP 404 /apis/apps/v1/namespaces/apps/deployments/absent: "), r
    # the fake checked the bearer token and saw the namespaced paths the module builds
    paths = k8s.paths()
    assert "/apis/apps/v1/namespaces/apps/deployments/web" in paths
    assert "/apis/batch/v1/namespaces/apps/jobs/migrate" in paths
    assert all(req.headers.get("authorization") == "Bearer " + TOKEN for req in k8s.requests)


def test_chk2_k8s_over_tls_with_kubeconfig_ca_and_wrong_token(tmp_path, k8s_tls):
    k8s_tls.add(workload("StatefulSet", "db", spec={"replicas": 1}, replicas=1, readyReplicas=1,
                         updatedReplicas=1))
    good = kubeconfig(tmp_path, k8s_tls, ca=k8s_tls.ca_pem)
    r = run_config(tmp_path, "retries: 0\nchecks:\n  - {name: db, type: k8s, kind: StatefulSet, kubeconfig: %s}\n"
                   % good)
    assert r.code == 0, r
    bad = write(tmp_path, "bad/kubeconfig", kubeconfig(tmp_path, k8s_tls, ca=k8s_tls.ca_pem, token="nope")
                .read_text())
    r = run_config(tmp_path, "retries: 0\nchecks:\n  - {name: db, type: k8s, kind: StatefulSet, kubeconfig: %s}\n"
                   % bad)
    assert r.code == 1 and "HTTP 401" in r.checks[0]["message"], r


def test_chk2_k8s_rollout_that_finishes_during_retries(tmp_path, k8s):
    path = "/apis/apps/v1/namespaces/apps/deployments/web"
    k8s.add(workload("Deployment", "web", spec={"replicas": 2}, replicas=2, readyReplicas=1, updatedReplicas=2))
    done = workload("Deployment", "web", spec={"replicas": 2}, replicas=2, readyReplicas=2, updatedReplicas=2)
    done["metadata"].update(namespace="apps", uid="u1", resourceVersion="9")
    k8s.sequence(path, [404, done])
    r = run_config(tmp_path, "retries: 3\ninterval: 50ms\nchecks:\n  - {name: web, type: k8s, kind: Deployment,"
                             " kubeconfig: %s}\n" % kubeconfig(tmp_path, k8s))
    assert r.code == 0, r
    assert len(r.log_lines("check failed, retrying")) == 1


# ---- argocd ----------------------------------------------------------------------------

def test_chk2_argocd(tmp_path, argocd):
    text = """retries: 0
secrets: [ARGOCD_TOKEN]
checks:
  - {name: guestbook, type: argocd, url: %(url)s, app: guestbook, token: "${ARGOCD_TOKEN}"}
  - {name: pinned, type: argocd, url: %(url)s, app: guestbook, token: "${ARGOCD_TOKEN}", revision: abc123}
  - {name: short-sha, type: argocd, url: %(url)s, app: guestbook, token: "${ARGOCD_TOKEN}", revision: abc1234}
  - {name: helm, type: argocd, url: %(url)s, app: helm-app, token: "${ARGOCD_TOKEN}"}
  - {name: missing, type: argocd, url: %(url)s, app: nope, token: "${ARGOCD_TOKEN}"}
  - {name: no-token, type: argocd, url: %(url)s, app: guestbook}
""" % {"url": argocd.url}
    r = run_config(tmp_path, text, extra_env={"ARGOCD_TOKEN": ARGOCD_TOKEN})
    assert r.check("guestbook")["passed"] and r.check("pinned")["passed"], r
    assert r.message("short-sha") == "app guestbook: revision abc123, expected abc1234"
    assert r.message("helm") == ("app helm-app: sync OutOfSync, health Degraded "
                                 "(Deployment helm-app has 0/2 ready replicas)")
    assert r.message("missing").startswith("argocd: GET /api/v1/applications/nope HTTP 404"), r
    assert "HTTP 401" in r.message("no-token")
    assert ARGOCD_TOKEN not in r.stdout + r.stderr


# ---- the verdict that survives the pod -------------------------------------------------

def test_chk2_termination_message_for_checks(tmp_path):
    write(tmp_path, "ok.lua", "")
    write(tmp_path, "bad.lua", "error('database unreachable')\n")
    target = tmp_path / "termination-log"
    r = run_config(tmp_path, "retries: 0\nchecks:\n  - {name: a, type: script, file: ok.lua}\n"
                             "  - {name: b, type: script, file: bad.lua}\n",
                   extra_env={"ASSAY_TERMINATION_LOG": str(target)})
    assert r.code == 1
    assert target.read_text() == "1/2 checks passed\nFAIL b: bad.lua:1: database unreachable\n"
    # a load error is the verdict too
    r = run_config(tmp_path, "checks:\n  - name: x\n    type: grpc\n", extra_env={"ASSAY_TERMINATION_LOG": str(target)})
    assert target.read_text() == 'error: loading config from checks.yaml: unknown check type: "grpc"\n'


def test_chk2_termination_message_is_capped_at_4kb(tmp_path):
    write(tmp_path, "bad.lua", "error(string.rep('x', 900))\n")
    target = tmp_path / "termination-log"
    checks = "".join("  - {name: c%d, type: script, file: bad.lua}\n" % i for i in range(8))
    run_config(tmp_path, "retries: 0\nchecks:\n" + checks, extra_env={"ASSAY_TERMINATION_LOG": str(target)})
    data = target.read_bytes()
    assert len(data) <= 4096 and data.startswith(b"0/8 checks passed\nFAIL c0: bad.lua:1: xxx")
    assert data.endswith(b"\n[truncated]\n")


def test_chk2_termination_message_for_lua_scripts(tmp_path, assay):
    target = tmp_path / "termination-log"
    write(tmp_path, "fail.lua", "local x = 1\nerror('deploy gate closed')\n")
    write(tmp_path, "fine.lua", "print('ok')\n")
    r = assay("fail.lua", cwd=str(tmp_path), extra_env={"ASSAY_TERMINATION_LOG": str(target)})
    assert r.returncode == 1
    assert target.read_text() == "error: fail.lua:2: deploy gate closed\n"
    target.unlink()
    r = assay("fine.lua", cwd=str(tmp_path), extra_env={"ASSAY_TERMINATION_LOG": str(target)})
    assert r.returncode == 0 and not target.exists()


def _job_pod(k8s):
    k8s.add(obj("batch/v1", "Job", "smoke-test", "apps", metadata={"uid": "job-uid-1"}),
            obj("v1", "Pod", "smoke-test-x7k2p", "apps", metadata={
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "smoke-test",
                                     "uid": "job-uid-1", "controller": True}]}))


def test_chk2_k8s_event_on_the_owning_job(tmp_path, k8s):
    _job_pod(k8s)
    env = {"POD_NAME": "smoke-test-x7k2p", "POD_NAMESPACE": "apps", "KUBERNETES_SERVICE_HOST": "",
           "KUBECONFIG": str(kubeconfig(tmp_path, k8s))}
    write(tmp_path, "bad.lua", "error('no quorum')\n")
    r = run_config(tmp_path, "retries: 0\nchecks:\n  - {name: quorum, type: script, file: bad.lua}\n",
                   "--k8s-event", extra_env=env)
    assert r.code == 1, r
    posts = [req for req in k8s.requests if req.method == "POST"]
    assert [p.path for p in posts] == ["/api/v1/namespaces/apps/events"]
    event = posts[0].json()
    assert event["reason"] == "ChecksFailed" and event["type"] == "Warning"
    assert event["involvedObject"] == {"apiVersion": "batch/v1", "kind": "Job", "name": "smoke-test",
                                       "namespace": "apps", "uid": "job-uid-1"}
    assert event["message"] == "0/1 checks passed\nFAIL quorum: bad.lua:1: no quorum"
    assert r.log_lines("kubernetes event posted job=\"smoke-test\" reason=ChecksFailed"), r


def test_chk2_k8s_event_failure_is_only_a_warning(tmp_path, k8s):
    write(tmp_path, "ok.lua", "")
    config = "retries: 0\nchecks:\n  - {name: fine, type: script, file: ok.lua}\n"
    # no owning Job (the pod does not exist), then no downward-API variables at all
    env = {"POD_NAME": "ghost", "POD_NAMESPACE": "apps", "KUBERNETES_SERVICE_HOST": "",
           "KUBECONFIG": str(kubeconfig(tmp_path, k8s))}
    r = run_config(tmp_path, config, "--k8s-event", extra_env=env)
    assert r.code == 0 and r.checks[0]["passed"], r
    warning = r.log_lines("--k8s-event: not posted")
    assert warning and " WARN " in warning[0] and "HTTP 404" in warning[0], r
    r = run_config(tmp_path, config, "--k8s-event", extra_env={"POD_NAME": "", "KUBECONFIG": ""})
    assert r.code == 0, r
    assert r.log_lines('--k8s-event: not posted reason="POD_NAME and POD_NAMESPACE must be set'), r
