"""An in-memory Argo CD API server (REST gateway of argocd-server) for the assay.argocd tests.

Built on fakes.FakeService (records every request; `fail`/`set` override one route). It answers
like the real server where the module can tell the difference:

- `/api/version` needs no authentication; everything under `/api/v1` needs
  `Authorization: Bearer <ARGOCD_TOKEN>` and otherwise answers 401 with the gRPC-gateway error
  object (`{"error", "code": 16, "message"}`). Real Argo CD does not accept HTTP Basic; this fake
  additionally accepts Basic `admin:password` because the original client sends it.
- Lists are `{"metadata": {...}, "items": [...]}`; an empty list has `"items": null`.
- A missing application/project answers 404 with a code 5 error object.
- `POST .../sync` and `POST .../rollback` take a JSON object body (an array answers 400, as the
  gateway cannot unmarshal it); rollback is POST only (PUT answers 405 Method Not Allowed),
  and the history id must exist (400 otherwise).
- `GET .../<name>?refresh=normal|hard` refreshes (recorded in `refreshes`).
- `DELETE /api/v1/applications/<name>` answers `{}`.
- repositories/clusters are addressed by their percent-encoded URL.

Test controls: `apps` (name → Application dict), `health_plan[name]` = list of health statuses
served by the next GETs of that application (one per GET), `sync_plan[name]` likewise.
"""
import base64
import copy
import json
import re
from urllib.parse import unquote

from fakes import FakeService, Response, _fixtures, ok

ARGOCD_TOKEN = "test-token-123"
ARGOCD_USER, ARGOCD_PASSWORD = "admin", "password"

VERSION = {
    "Version": "v2.9.3+6eba5be",
    "BuildDate": "2023-12-01T23:05:50Z",
    "GitCommit": "6eba5be864b7e031871ed7698f5233336dfe75c7",
    "GitTreeState": "clean",
    "GoVersion": "go1.21.3",
    "Compiler": "gc",
    "Platform": "linux/amd64",
    "KustomizeVersion": "v5.2.1 2023-10-19T20:13:51Z",
    "HelmVersion": "v3.13.2+g2a2fb3b",
    "KubectlVersion": "v0.24.2",
    "JsonnetVersion": "v0.20.0",
}

SETTINGS = {
    "url": "https://argocd.example.com",
    "appLabelKey": "app.kubernetes.io/instance",
    "statusBadgeEnabled": False,
    "kustomizeOptions": {"BuildOptions": ""},
    "passwordPattern": "^.{8,32}$",
    "controllerNamespace": "argocd",
    "execEnabled": False,
}


def application(name, project, health, sync, labels=None, message=None, revision="abc123"):
    health_obj = {"status": health}
    if message:
        health_obj["message"] = message
    return {
        "metadata": {"name": name, "namespace": "argocd", "uid": "uid-" + name,
                     "resourceVersion": "1000", "labels": labels or {},
                     "creationTimestamp": "2024-01-10T08:00:00Z"},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps",
                       "path": name, "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        "status": {
            "health": health_obj,
            "sync": {"status": sync, "revision": revision,
                     "comparedTo": {"source": {"repoURL": "https://github.com/argoproj/argocd-example-apps",
                                               "path": name, "targetRevision": "HEAD"}}},
            "history": [
                {"id": 1, "revision": "111aaa", "deployedAt": "2024-01-10T08:05:00Z"},
                {"id": 2, "revision": revision, "deployedAt": "2024-01-11T09:00:00Z"},
            ],
            "resources": [
                {"version": "v1", "kind": "Service", "namespace": name, "name": name + "-ui",
                 "status": sync, "health": {"status": health}},
            ],
            "summary": {"images": ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]},
        },
    }


def initial_apps():
    return {
        "guestbook": application("guestbook", "default", "Healthy", "Synced",
                                 labels={"team": "web", "env": "prod"}),
        "helm-app": application("helm-app", "platform", "Degraded", "OutOfSync",
                                labels={"team": "platform"},
                                message="Deployment helm-app has 0/2 ready replicas"),
    }


PROJECTS = [
    {"metadata": {"name": "default", "namespace": "argocd"},
     "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
              "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]},
     "status": {}},
    {"metadata": {"name": "platform", "namespace": "argocd"},
     "spec": {"description": "Platform services",
              "sourceRepos": ["https://github.com/org/platform"],
              "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "platform-*"}]},
     "status": {}},
]

REPOSITORIES = [
    {"repo": "https://github.com/argoproj/argocd-example-apps", "type": "git", "name": "examples",
     "connectionState": {"status": "Successful", "message": "",
                         "attemptedAt": "2024-01-11T09:00:00Z"}},
    {"repo": "https://github.com/org/repo", "type": "git",
     "connectionState": {"status": "Successful", "message": ""}},
]

CLUSTERS = [
    {"server": "https://kubernetes.default.svc", "name": "in-cluster",
     "connectionState": {"status": "Successful", "message": ""},
     "serverVersion": "1.28", "info": {"serverVersion": "1.28", "applicationsCount": 2}},
    {"server": "https://prod.example.com:6443", "name": "prod",
     "connectionState": {"status": "Successful", "message": ""},
     "serverVersion": "1.27", "info": {"serverVersion": "1.27", "applicationsCount": 0}},
]


def grpc_error(status, code, message):
    return Response(status, {"error": message, "code": code, "message": message})


class FakeArgoCD(FakeService):
    name = "argocd"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.apps = initial_apps()
        self.health_plan = {}
        self.sync_plan = {}
        self.refreshes = []
        self.deleted = []

    def reset(self):
        super().reset()
        self._state()

    def authorized(self, r):
        value = r.header("Authorization") or ""
        if value == "Bearer " + ARGOCD_TOKEN:
            return True
        if value.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(value[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, password) == (ARGOCD_USER, ARGOCD_PASSWORD)
        return False

    def current(self, name):
        app = copy.deepcopy(self.apps[name])
        for plan, key in ((self.health_plan, "health"), (self.sync_plan, "sync")):
            steps = plan.get(name)
            if steps:
                status = steps.pop(0) if len(steps) > 1 else steps[0]
                app["status"][key]["status"] = status
                self.apps[name]["status"][key]["status"] = status
        return app

    @staticmethod
    def body_object(r):
        if not r.body:
            return {}
        try:
            data = json.loads(r.body)
        except ValueError as e:
            return grpc_error(400, 3, "invalid character in request body: %s" % e)
        if not isinstance(data, dict):
            return grpc_error(400, 3, "json: cannot unmarshal array into Go value of type map[string]json.RawMessage")
        return data

    def route(self, r):
        q = {k: v[-1] for k, v in r.query.items()}
        if r.path == "/api/version" and r.method == "GET":
            return ok(VERSION)
        if not r.path.startswith("/api/v1/"):
            return Response(404, "404 page not found\n", "text/plain")
        if not self.authorized(r):
            return grpc_error(401, 16, "no session information")

        if r.path == "/api/v1/applications" and r.method == "GET":
            items = [self.current(n) for n in sorted(self.apps)]
            if "project" in q:
                items = [a for a in items if a["spec"]["project"] == q["project"]]
            if "selector" in q:
                for term in filter(None, q["selector"].split(",")):
                    key, _, value = term.partition("=")
                    items = [a for a in items if a["metadata"]["labels"].get(key) == value]
            return ok({"metadata": {"resourceVersion": "1000"}, "items": items or None})

        m = re.fullmatch(r"/api/v1/applications/([^/]+)(?:/(sync|rollback|resource-tree|manifests))?", r.path)
        if m:
            name, sub = m.group(1), m.group(2)
            if name not in self.apps:
                return grpc_error(404, 5, 'applications.argoproj.io "%s" not found' % name)
            if sub is None and r.method == "GET":
                if "refresh" in q:
                    if q["refresh"] not in ("normal", "hard"):
                        return grpc_error(400, 3, "unknown refresh type %s" % q["refresh"])
                    self.refreshes.append((name, q["refresh"]))
                return ok(self.current(name))
            if sub is None and r.method == "DELETE":
                self.deleted.append((name, q.get("cascade"), q.get("propagationPolicy")))
                del self.apps[name]
                return ok({})
            if sub == "sync":
                if r.method != "POST":
                    return grpc_error(405, 12, "Method Not Allowed")
                body = self.body_object(r)
                if isinstance(body, Response):
                    return body
                app = self.current(name)
                app["operation"] = {"sync": {"revision": body.get("revision", app["status"]["sync"]["revision"]),
                                             "prune": bool(body.get("prune")),
                                             "dryRun": bool(body.get("dryRun"))},
                                    "initiatedBy": {"username": "admin"}}
                if "strategy" in body:
                    app["operation"]["sync"]["syncStrategy"] = body["strategy"]
                return ok(app)
            if sub == "rollback":
                if r.method != "POST":
                    return grpc_error(405, 12, "Method Not Allowed")
                body = self.body_object(r)
                if isinstance(body, Response):
                    return body
                history = {h["id"]: h for h in self.apps[name]["status"]["history"]}
                if body.get("id") not in history:
                    return grpc_error(400, 3, "application %s does not have deployment with id %s"
                                      % (name, body.get("id")))
                app = self.current(name)
                app["operation"] = {"sync": {"revision": history[body["id"]]["revision"]}}
                return ok(app)
            if sub == "resource-tree" and r.method == "GET":
                app = self.apps[name]
                ns = app["spec"]["destination"]["namespace"]
                return ok({"nodes": [
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": name,
                     "uid": "d-" + name, "resourceVersion": "200",
                     "health": {"status": app["status"]["health"]["status"]}},
                    {"group": "apps", "version": "v1", "kind": "ReplicaSet", "namespace": ns,
                     "name": name + "-5d4f8c", "uid": "rs-" + name,
                     "parentRefs": [{"group": "apps", "kind": "Deployment", "namespace": ns, "name": name,
                                     "uid": "d-" + name}],
                     "health": {"status": "Healthy"}},
                    {"version": "v1", "kind": "Service", "namespace": ns, "name": name + "-ui",
                     "uid": "svc-" + name, "health": {"status": "Healthy"}},
                ]})
            if sub == "manifests" and r.method == "GET":
                revision = q.get("revision", self.apps[name]["status"]["sync"]["revision"])
                svc = {"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": name + "-ui", "labels": {"app.kubernetes.io/instance": name}},
                       "spec": {"ports": [{"port": 80, "targetPort": 80}]}}
                dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": 1}}
                return ok({"manifests": [json.dumps(svc), json.dumps(dep)], "revision": revision,
                           "namespace": name, "server": "https://kubernetes.default.svc",
                           "sourceType": "Directory"})
            return grpc_error(405, 12, "Method Not Allowed")

        if r.method != "GET":
            return grpc_error(405, 12, "Method Not Allowed")
        if r.path == "/api/v1/projects":
            return ok({"metadata": {}, "items": PROJECTS})
        m = re.fullmatch(r"/api/v1/projects/([^/]+)", r.path)
        if m:
            for p in PROJECTS:
                if p["metadata"]["name"] == m.group(1):
                    return ok(p)
            return grpc_error(404, 5, 'appprojects.argoproj.io "%s" not found' % m.group(1))
        if r.path == "/api/v1/repositories":
            return ok({"metadata": {}, "items": REPOSITORIES})
        m = re.fullmatch(r"/api/v1/repositories/([^/]+)", r.path)
        if m:
            url = unquote(m.group(1))
            for repo in REPOSITORIES:
                if repo["repo"] == url:
                    return ok(repo)
            return grpc_error(404, 5, "repo '%s' not found" % url)
        if r.path == "/api/v1/clusters":
            return ok({"metadata": {}, "items": CLUSTERS})
        m = re.fullmatch(r"/api/v1/clusters/([^/]+)", r.path)
        if m:
            server = unquote(m.group(1))
            for cluster in CLUSTERS:
                if cluster["server"] == server:
                    return ok(cluster)
            return grpc_error(404, 5, "cluster '%s' not found" % server)
        if r.path == "/api/v1/settings":
            return ok(SETTINGS)
        return Response(404, "404 page not found\n", "text/plain")


argocd_server, argocd = _fixtures(FakeArgoCD, "argocd")
