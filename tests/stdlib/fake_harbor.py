"""An in-memory Harbor v2.0 API server for the assay.harbor tests.

Built on fakes.FakeService (records every request; `fail`/`set` override one route). It answers
like the real Harbor where the module can tell the difference:

- `/api/v2.0/health` and `/api/v2.0/systeminfo` need no authentication; everything else needs
  Basic `admin:Harbor12345` (or a robot account `robot$ci:s3cret`) or the Bearer token
  `robot$mytoken123` (an OIDC CLI secret setup), otherwise 401 with Harbor's error envelope
  `{"errors": [{"code": "UNAUTHORIZED", "message": ...}]}`.
- Requests are routed on the once-decoded path and repository names are decoded again, as
  Harbor does, so the nested repository `team/app` must be sent as `team%252Fapp`; a raw `/`
  or a single `%2F` splits the path and answers 404.
- Artifact lists carry tags unless `with_tag=false`, `scan_overview` only with
  `with_scan_overview=true`, are ordered newest push first unless `sort` says otherwise, and are
  paged by `page`/`page_size`.
- `POST .../scan` answers 202 with an empty body; its optional body must be a JSON object
  (an array answers 400); scanning an unknown artifact answers 404.
- Health is computed from `components` (set a component's status to break it).
"""
import base64
import copy
import json
import re
from urllib.parse import unquote

from fakes import FakeService, Response, _fixtures, ok

HARBOR_USER, HARBOR_PASSWORD = "admin", "Harbor12345"
HARBOR_ROBOT = ("robot$ci", "s3cret")
HARBOR_API_KEY = "robot$mytoken123"

REPORT_MIME = "application/vnd.security.vulnerability.report; version=1.1"

COMPONENTS = ["core", "database", "jobservice", "portal", "redis", "registry", "registryctl"]

SYSTEMINFO = {
    "auth_mode": "db_auth",
    "harbor_version": "v2.10.0-b7b88476",
    "with_trivy": True,
    "with_notary": False,
    "registry_url": "harbor.example.com",
    "external_url": "https://harbor.example.com",
    "project_creation_restriction": "everyone",
    "self_registration": False,
    "has_ca_root": False,
    "read_only": False,
    "notification_enable": True,
    "primary_auth_mode": False,
    "banner_message": "",
}


def digest(n):
    return "sha256:" + ("%02x" % n) * 32


def artifact(art_id, repo_id, project_id, n, tags, push_time, severity_counts=None, size=31457280):
    art = {
        "id": art_id,
        "digest": digest(n),
        "type": "IMAGE",
        "media_type": "application/vnd.docker.container.image.v1+json",
        "manifest_media_type": "application/vnd.docker.distribution.manifest.v2+json",
        "project_id": project_id,
        "repository_id": repo_id,
        "size": size,
        "push_time": push_time,
        "pull_time": "0001-01-01T00:00:00.000Z",
        "icon": "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06",
        "extra_attrs": {"architecture": "amd64", "os": "linux", "author": "",
                        "created": push_time, "config": {"Env": ["PATH=/usr/local/bin:/usr/bin"]}},
        "tags": [{"id": art_id * 10 + i, "repository_id": repo_id, "artifact_id": art_id, "name": t,
                  "push_time": push_time, "pull_time": "0001-01-01T00:00:00.000Z",
                  "immutable": False, "signed": False} for i, t in enumerate(tags)],
        "addition_links": {"build_history": {"absolute": False,
                                             "href": "/api/v2.0/projects/x/repositories/y/artifacts/%s/additions/build_history"
                                             % digest(n)}},
    }
    if severity_counts is not None:
        total = sum(severity_counts.values())
        art["scan_overview"] = {REPORT_MIME: {
            "report_id": "report-%d" % art_id, "scan_status": "Success",
            "severity": next((s for s in ("Critical", "High", "Medium", "Low") if severity_counts.get(s)), "None"),
            "duration": 12, "start_time": push_time, "end_time": push_time, "complete_percent": 100,
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.47.0"},
            "summary": {"total": total, "fixable": total - severity_counts.get("Low", 0),
                        "summary": severity_counts},
        }}
    else:
        art["scan_overview"] = {REPORT_MIME: {"report_id": "", "scan_status": "Not Scanned",
                                              "complete_percent": 0}}
    return art


def initial_state():
    projects = [
        {"project_id": 1, "name": "library", "owner_id": 1, "owner_name": "admin", "repo_count": 2,
         "creation_time": "2024-01-01T00:00:00.000Z", "update_time": "2024-01-01T00:00:00.000Z",
         "metadata": {"public": "true", "auto_scan": "true", "severity": "high"},
         "cve_allowlist": {"id": 1, "project_id": 1, "items": []}},
        {"project_id": 2, "name": "team", "owner_id": 1, "owner_name": "admin", "repo_count": 1,
         "creation_time": "2024-01-02T00:00:00.000Z", "update_time": "2024-01-02T00:00:00.000Z",
         "metadata": {"public": "false", "auto_scan": "false"},
         "cve_allowlist": {"id": 2, "project_id": 2, "items": []}},
        {"project_id": 3, "name": "staging", "owner_id": 1, "owner_name": "admin", "repo_count": 0,
         "creation_time": "2024-01-03T00:00:00.000Z", "update_time": "2024-01-03T00:00:00.000Z",
         "metadata": {"public": "false"}, "cve_allowlist": {"id": 3, "project_id": 3, "items": []}},
    ]
    # repositories keyed by (project name, repository name inside the project)
    repos = {
        ("library", "nginx"): {"id": 10, "project_id": 1, "name": "library/nginx", "description": "",
                               "artifact_count": 2, "pull_count": 42,
                               "creation_time": "2024-01-05T10:00:00.000Z",
                               "update_time": "2024-02-01T10:00:00.000Z"},
        ("library", "alpine"): {"id": 11, "project_id": 1, "name": "library/alpine", "description": "",
                                "artifact_count": 0, "pull_count": 3,
                                "creation_time": "2024-01-06T10:00:00.000Z",
                                "update_time": "2024-01-06T10:00:00.000Z"},
        ("team", "team/app"): {"id": 12, "project_id": 2, "name": "team/team/app", "description": "nested",
                               "artifact_count": 1, "pull_count": 0,
                               "creation_time": "2024-01-07T10:00:00.000Z",
                               "update_time": "2024-01-07T10:00:00.000Z"},
    }
    artifacts = {
        ("library", "nginx"): [
            artifact(100, 10, 1, 1, ["1.25", "latest"], "2024-02-01T10:00:00.000Z",
                     {"Critical": 2, "High": 5, "Medium": 10, "Low": 3}),
            artifact(101, 10, 1, 2, ["1.24"], "2024-01-05T10:00:00.000Z", None),
        ],
        ("library", "alpine"): [],
        ("team", "team/app"): [artifact(102, 12, 2, 3, ["v1"], "2024-01-07T10:00:00.000Z", {"Low": 1})],
    }
    return projects, repos, artifacts


POLICIES = [
    {"id": 1, "name": "mirror-dockerhub", "description": "pull nginx from Docker Hub",
     "src_registry": {"id": 1, "name": "dockerhub", "type": "docker-hub", "url": "https://hub.docker.com",
                      "status": "healthy"},
     "dest_registry": None, "dest_namespace": "library", "dest_namespace_replace_count": -1,
     "trigger": {"type": "manual", "trigger_settings": {"cron": ""}},
     "filters": [{"type": "name", "value": "library/nginx"}], "replicate_deletion": False,
     "override": True, "enabled": True, "speed": -1,
     "creation_time": "2024-01-10T00:00:00.000Z", "update_time": "2024-01-10T00:00:00.000Z"},
    {"id": 2, "name": "push-to-dr", "description": "",
     "src_registry": None,
     "dest_registry": {"id": 2, "name": "dr-harbor", "type": "harbor", "url": "https://dr.example.com",
                       "status": "healthy"},
     "dest_namespace": "", "trigger": {"type": "event_based"}, "filters": [],
     "replicate_deletion": True, "override": True, "enabled": True, "speed": -1},
]

EXECUTIONS = [
    {"id": 7, "policy_id": 1, "status": "Succeeded", "status_text": "", "trigger": "manual",
     "start_time": "2024-02-01T01:00:00.000Z", "end_time": "2024-02-01T01:02:00.000Z",
     "total": 2, "failed": 0, "succeed": 2, "in_progress": 0, "stopped": 0},
    {"id": 8, "policy_id": 2, "status": "Failed", "status_text": "registry unreachable",
     "trigger": "event_based", "start_time": "2024-02-02T01:00:00.000Z",
     "end_time": "2024-02-02T01:00:05.000Z", "total": 1, "failed": 1, "succeed": 0,
     "in_progress": 0, "stopped": 0},
]


def harbor_error(status, code, message):
    return Response(status, {"errors": [{"code": code, "message": message}]})


def not_found(message):
    return harbor_error(404, "NOT_FOUND", message)


def flag(q, name, default):
    if name not in q:
        return default
    return q[name] == "true"


def paged(items, q):
    page = int(q.get("page", "1"))
    size = int(q.get("page_size", "10"))
    return items[(page - 1) * size: page * size]


class FakeHarbor(FakeService):
    name = "harbor"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.projects, self.repos, self.artifacts = initial_state()
        self.components = {name: "healthy" for name in COMPONENTS}
        self.scans = []

    def reset(self):
        super().reset()
        self._state()

    def authorized(self, r):
        value = r.header("Authorization") or ""
        if value == "Bearer " + HARBOR_API_KEY:
            return True
        if value.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(value[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, password) in ((HARBOR_USER, HARBOR_PASSWORD), HARBOR_ROBOT)
        return False

    def project(self, key):
        for p in self.projects:
            if p["name"] == key or str(p["project_id"]) == key:
                return p
        return None

    def find_artifact(self, key, reference):
        for art in self.artifacts.get(key, []):
            if art["digest"] == reference or any(t["name"] == reference for t in art["tags"]):
                return art
        return None

    @staticmethod
    def shaped(art, q):
        art = copy.deepcopy(art)
        if not flag(q, "with_tag", True):
            art.pop("tags")
        if not flag(q, "with_scan_overview", False):
            art.pop("scan_overview")
        return art

    def route(self, r):
        q = {k: v[-1] for k, v in r.query.items()}
        # like Harbor's router: route on the once-decoded path, decode repository names again
        p = unquote(r.path)
        if not p.startswith("/api/v2.0/"):
            return Response(404, "404 page not found\n", "text/plain")
        if p == "/api/v2.0/health" and r.method == "GET":
            components = [{"name": n, "status": s} if s == "healthy" else
                          {"name": n, "status": s, "error": "dial tcp: connection refused"}
                          for n, s in sorted(self.components.items())]
            overall = "healthy" if all(s == "healthy" for s in self.components.values()) else "unhealthy"
            return ok({"status": overall, "components": components})
        if p == "/api/v2.0/systeminfo" and r.method == "GET":
            return ok(SYSTEMINFO)
        if not self.authorized(r):
            return harbor_error(401, "UNAUTHORIZED", "unauthorized")

        m = re.fullmatch(r"/api/v2\.0/projects/([^/]+)/repositories/([^/]+)/artifacts/([^/]+)/scan", p)
        if m and r.method == "POST":
            if r.body:
                try:
                    body = json.loads(r.body)
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return harbor_error(400, "BAD_REQUEST", "validation failure: body must be an object")
            key = (m.group(1), unquote(m.group(2)))
            if self.project(key[0]) is None or key not in self.repos:
                return not_found("repository %s/%s not found" % key)
            if self.find_artifact(key, m.group(3)) is None:
                return not_found("artifact %s/%s@%s not found" % (key + (m.group(3),)))
            self.scans.append(key + (m.group(3),))
            return Response(202, b"", None)
        if r.method != "GET":
            return harbor_error(405, "METHOD_NOT_ALLOWED", "method not allowed")

        if p == "/api/v2.0/statistics":
            public = [x for x in self.projects if x["metadata"].get("public") == "true"]
            repo_pub = sum(1 for (proj, _) in self.repos if self.project(proj) in public)
            return ok({"private_project_count": len(self.projects) - len(public),
                       "private_repo_count": len(self.repos) - repo_pub,
                       "public_project_count": len(public), "public_repo_count": repo_pub,
                       "total_project_count": len(self.projects), "total_repo_count": len(self.repos),
                       "total_storage_consumption": 94371840})
        if p == "/api/v2.0/projects":
            found = list(self.projects)
            if "name" in q:
                found = [x for x in found if q["name"] in x["name"]]
            if "public" in q:
                found = [x for x in found if x["metadata"].get("public") == q["public"]]
            return ok(paged(found, q))
        m = re.fullmatch(r"/api/v2\.0/projects/([^/]+)", p)
        if m:
            project = self.project(m.group(1))
            return ok(project) if project else not_found("project %s not found" % m.group(1))
        m = re.fullmatch(r"/api/v2\.0/projects/([^/]+)/repositories", p)
        if m:
            project = self.project(m.group(1))
            if project is None:
                return not_found("project %s not found" % m.group(1))
            found = [repo for (proj, _), repo in sorted(self.repos.items()) if proj == project["name"]]
            if "q" in q:
                mq = re.fullmatch(r"name=(~?)(.*)", q["q"])
                if not mq:
                    return harbor_error(400, "BAD_REQUEST", "invalid query: %s" % q["q"])
                fuzzy, want = mq.group(1), mq.group(2)
                found = [x for x in found if (want in x["name"] if fuzzy else x["name"] == want)]
            return ok(paged(found, q))
        m = re.fullmatch(r"/api/v2\.0/projects/([^/]+)/repositories/([^/]+)(/artifacts(?:/([^/]+)(/tags)?)?)?", p)
        if m:
            project = self.project(m.group(1))
            key = (project["name"] if project else m.group(1), unquote(m.group(2)))
            if project is None or key not in self.repos:
                return not_found("repository %s/%s not found" % key)
            if m.group(3) is None:
                return ok(self.repos[key])
            if m.group(4) is None:
                arts = list(self.artifacts[key])
                sort = q.get("sort", "-push_time")
                arts.sort(key=lambda a: a[sort.lstrip("-")], reverse=sort.startswith("-"))
                return ok([self.shaped(a, q) for a in paged(arts, q)])
            art = self.find_artifact(key, m.group(4))
            if art is None:
                return not_found("artifact %s/%s@%s not found" % (key + (m.group(4),)))
            if m.group(5):
                return ok(art["tags"])
            return ok(self.shaped(art, q))
        if p == "/api/v2.0/replication/policies":
            return ok(POLICIES)
        if p == "/api/v2.0/replication/executions":
            found = EXECUTIONS
            if "policy_id" in q:
                found = [e for e in found if str(e["policy_id"]) == q["policy_id"]]
            return ok(found)
        return not_found("resource not found")


harbor_server, harbor = _fixtures(FakeHarbor, "harbor")
