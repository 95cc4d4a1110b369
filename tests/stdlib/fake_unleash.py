"""An in-memory Unleash server (Admin API) for the assay.unleash tests.

Built on fakes.FakeService (records every request; `fail`/`set` override one route). It answers
like the real Unleash where the module can tell the difference:

- `GET /health` needs no token: `{"health": "GOOD"}` (set `health_status` to e.g. 503 for
  `{"health": "BAD"}`).
- `/api/admin/*` needs the admin API token **raw** in `Authorization` (no `Bearer`), else 401
  with Unleash's error object (`{"id", "name": "AuthenticationRequired", "message"}`).
- Lists are wrapped: `{"version": 1, "projects": [...]}`, `{"environments": [...]}`,
  `{"features": [...]}`, `{"tokens": [...]}`; feature strategies are a bare JSON array.
- Missing projects/features answer 404 `NotFoundError`; creating an existing project or
  feature answers 409 `NameExistsError`; enabling an environment that is already enabled on
  a project answers 409 (`... already has environment ...`).
- Creates answer 201 with the object; project/feature updates 200 with the object; archiving a
  feature answers 202, deleting a project, environment or token 200, toggling on/off 200 — all
  with an empty body.
- Write bodies must be JSON objects (an array answers 400 `ValidationError`), and a strategy's
  `parameters` must be an object.
"""
import itertools
import json
import re

from fakes import FakeService, Response, _fixtures, ok

ADMIN_TOKEN = "*:*.test-admin-token"

ENVIRONMENTS = [
    {"name": "default", "type": "production", "enabled": True, "protected": True, "sortOrder": 1},
    {"name": "development", "type": "development", "enabled": True, "protected": False, "sortOrder": 100},
    {"name": "production", "type": "production", "enabled": True, "protected": False, "sortOrder": 200},
]


def unleash_error(status, name, message):
    return Response(status, {"id": "6e1c7d51-0f22-4b1e-9b8e-%012d" % status, "name": name, "message": message,
                             "details": [{"message": message, "description": message}]})


class FakeUnleash(FakeService):
    name = "unleash"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.health_status = 200
        self.ids = itertools.count(1)
        self.projects = {"default": {"id": "default", "name": "Default", "description": "Default project",
                                     "mode": "open", "defaultStickiness": "default", "health": 100,
                                     "createdAt": "2024-01-01T00:00:00.000Z"}}
        self.project_envs = {"default": ["default", "development", "production"]}
        self.features = {"default": {}}
        self.strategies = {}  # (project, feature, env) -> [strategy]
        self.enabled = {}     # (project, feature, env) -> bool
        self.tokens = [
            {"secret": "default:development.4b1ea1e5c9a3f0d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5",
             "tokenName": "backend", "type": "client", "environment": "development",
             "project": "default", "projects": ["default"], "expiresAt": None,
             "createdAt": "2024-01-02T00:00:00.000Z", "alias": None, "seenAt": None},
            {"secret": "*:production.9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e",
             "tokenName": "backend", "type": "client", "environment": "production",
             "project": "*", "projects": ["*"], "expiresAt": None,
             "createdAt": "2024-01-03T00:00:00.000Z", "alias": None, "seenAt": None},
        ]
        self.add_feature("default", {"name": "new-checkout", "type": "release",
                                     "description": "New checkout flow"})
        self.add_feature("default", {"name": "dark-mode", "type": "experiment", "description": ""})
        key = ("default", "new-checkout", "development")
        self.strategies[key] = [
            {"id": "a1b2c3d4-0000-4000-8000-000000000001", "name": "flexibleRollout",
             "constraints": [], "parameters": {"rollout": "50", "stickiness": "default", "groupId": "new-checkout"},
             "variants": [], "segments": [], "sortOrder": 0, "disabled": False},
            {"id": "a1b2c3d4-0000-4000-8000-000000000002", "name": "userWithId",
             "constraints": [], "parameters": {"userIds": "alice,bob"},
             "variants": [], "segments": [], "sortOrder": 1, "disabled": False},
        ]

    def reset(self):
        super().reset()
        self._state()

    def add_feature(self, project, data):
        feature = {"name": data["name"], "type": data.get("type", "release"),
                   "description": data.get("description", ""), "project": project, "stale": False,
                   "impressionData": bool(data.get("impressionData", False)),
                   "createdAt": "2024-02-01T00:00:00.000Z", "archived": False}
        self.features.setdefault(project, {})[data["name"]] = feature
        return feature

    def feature_view(self, project, name):
        feature = dict(self.features[project][name])
        feature["environments"] = [
            {"name": env, "enabled": self.enabled.get((project, name, env), False),
             "type": next(e["type"] for e in ENVIRONMENTS if e["name"] == env),
             "strategies": self.strategies.get((project, name, env), [])}
            for env in self.project_envs.get(project, [])]
        return feature

    @staticmethod
    def body_object(r):
        try:
            data = json.loads(r.body) if r.body else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return unleash_error(400, "ValidationError", "Request validation failed: the body must be an object")
        return data

    def route(self, r):
        p = r.path
        if p == "/health" and r.method == "GET":
            if self.health_status == 200:
                return ok({"health": "GOOD"})
            return Response(self.health_status, {"health": "BAD"})
        if not p.startswith("/api/admin/"):
            return Response(404, "Not Found", "text/plain")
        if r.header("Authorization") != ADMIN_TOKEN:
            return unleash_error(401, "AuthenticationRequired",
                                 "You must log in to use Unleash. Your request had no valid authorization header.")
        body = None
        if r.method in ("POST", "PUT"):
            body = self.body_object(r)
            if isinstance(body, Response):
                return body

        if p == "/api/admin/projects":
            if r.method == "GET":
                return ok({"version": 1, "projects": [
                    dict(proj, featureCount=len(self.features.get(pid, {})), memberCount=1)
                    for pid, proj in self.projects.items()]})
            if r.method == "POST":
                pid = body.get("id")
                if not pid or not body.get("name"):
                    return unleash_error(400, "ValidationError", '"id" and "name" are required')
                if pid in self.projects:
                    return unleash_error(409, "NameExistsError", "A project with id %s already exists" % pid)
                project = {"id": pid, "name": body["name"], "description": body.get("description"),
                           "mode": "open", "defaultStickiness": "default", "health": 100,
                           "createdAt": "2024-03-01T00:00:00.000Z"}
                self.projects[pid] = project
                self.project_envs[pid] = ["default"]
                self.features[pid] = {}
                return ok(project, 201)
        m = re.fullmatch(r"/api/admin/projects/([^/]+)", p)
        if m:
            pid = m.group(1)
            if pid not in self.projects:
                return unleash_error(404, "NotFoundError", "Could not find project with id %s" % pid)
            if r.method == "GET":
                return ok(dict(self.projects[pid], version=1, members=1,
                               environments=[{"environment": e} for e in self.project_envs[pid]],
                               features=[self.feature_view(pid, n) for n in self.features[pid]]))
            if r.method == "PUT":
                self.projects[pid].update({k: v for k, v in body.items() if k != "id"})
                return ok(self.projects[pid])
            if r.method == "DELETE":
                del self.projects[pid]
                return Response(200, b"", None)
        m = re.fullmatch(r"/api/admin/projects/([^/]+)/environments(?:/([^/]+))?", p)
        if m:
            pid, env = m.group(1), m.group(2)
            if pid not in self.projects:
                return unleash_error(404, "NotFoundError", "Could not find project with id %s" % pid)
            if r.method == "POST" and env is None:
                env = body.get("environment")
                if env not in [e["name"] for e in ENVIRONMENTS]:
                    return unleash_error(404, "NotFoundError", "Could not find environment %s" % env)
                if env in self.project_envs[pid]:
                    return unleash_error(409, "NameExistsError", "%s already has the environment %s" % (pid, env))
                self.project_envs[pid].append(env)
                return Response(200, b"", None)
            if r.method == "DELETE" and env is not None:
                if env not in self.project_envs[pid]:
                    return unleash_error(404, "NotFoundError", "Environment %s is not enabled on %s" % (env, pid))
                self.project_envs[pid].remove(env)
                return Response(200, b"", None)
        m = re.fullmatch(r"/api/admin/projects/([^/]+)/features(?:/([^/]+))?", p)
        if m:
            pid, name = m.group(1), m.group(2)
            if pid not in self.projects:
                return unleash_error(404, "NotFoundError", "Could not find project with id %s" % pid)
            if name is None and r.method == "GET":
                return ok({"version": 2, "features": [self.feature_view(pid, n) for n in self.features[pid]]})
            if name is None and r.method == "POST":
                if not body.get("name"):
                    return unleash_error(400, "ValidationError", '"name" is required')
                if body["name"] in self.features[pid]:
                    return unleash_error(409, "NameExistsError", "The feature %s already exists" % body["name"])
                self.add_feature(pid, body)
                return ok(self.feature_view(pid, body["name"]), 201)
            if name is not None:
                if name not in self.features[pid]:
                    return unleash_error(404, "NotFoundError", "Could not find feature %s" % name)
                if r.method == "GET":
                    return ok(self.feature_view(pid, name))
                if r.method == "PUT":
                    self.features[pid][name].update({k: v for k, v in body.items() if k != "name"})
                    return ok(self.feature_view(pid, name))
                if r.method == "DELETE":
                    self.features[pid][name]["archived"] = True
                    del self.features[pid][name]
                    return Response(202, b"", None)
        m = re.fullmatch(r"/api/admin/projects/([^/]+)/features/([^/]+)/environments/([^/]+)/(on|off|strategies)", p)
        if m:
            pid, name, env, action = m.groups()
            if pid not in self.projects or name not in self.features.get(pid, {}):
                return unleash_error(404, "NotFoundError", "Could not find feature %s" % name)
            if env not in self.project_envs[pid]:
                return unleash_error(404, "NotFoundError", "Could not find environment %s" % env)
            key = (pid, name, env)
            if action in ("on", "off") and r.method == "POST":
                self.enabled[key] = action == "on"
                return Response(200, b"", None)
            if action == "strategies" and r.method == "GET":
                return ok(self.strategies.get(key, []))
            if action == "strategies" and r.method == "POST":
                if not body.get("name"):
                    return unleash_error(400, "ValidationError", '"name" is required')
                params = body.get("parameters", {})
                if not isinstance(params, dict):
                    return unleash_error(400, "ValidationError", '"parameters" must be an object')
                strategy = {"id": "a1b2c3d4-0000-4000-8000-%012d" % (100 + next(self.ids)),
                            "name": body["name"], "constraints": body.get("constraints", []),
                            "parameters": params, "variants": body.get("variants", []),
                            "segments": body.get("segments", []),
                            "sortOrder": len(self.strategies.get(key, [])), "disabled": False}
                self.strategies.setdefault(key, []).append(strategy)
                return ok(strategy)
        if p == "/api/admin/environments" and r.method == "GET":
            return ok({"version": 1, "environments": ENVIRONMENTS})
        if p == "/api/admin/api-tokens":
            if r.method == "GET":
                return ok({"tokens": self.tokens})
            if r.method == "POST":
                for field in ("tokenName", "type"):
                    if not body.get(field):
                        return unleash_error(400, "ValidationError", '"%s" is required' % field)
                env = body.get("environment", "development")
                projects = body.get("projects") or [body.get("project", "*")]
                prefix = projects[0] if len(projects) == 1 else "[]"
                token = {"secret": "%s:%s.%040x" % (prefix, env, 0xabc000 + next(self.ids)),
                         "tokenName": body["tokenName"], "type": body["type"], "environment": env,
                         "project": prefix, "projects": projects, "expiresAt": body.get("expiresAt"),
                         "createdAt": "2024-03-01T00:00:00.000Z", "alias": None, "seenAt": None}
                self.tokens.append(token)
                return ok(token, 201)
        m = re.fullmatch(r"/api/admin/api-tokens/([^/]+)", p)
        if m and r.method == "DELETE":
            self.tokens = [t for t in self.tokens if t["secret"] != m.group(1)]
            return Response(200, b"", None)
        return Response(404, "Not Found", "text/plain")


unleash_server, unleash = _fixtures(FakeUnleash, "unleash")
