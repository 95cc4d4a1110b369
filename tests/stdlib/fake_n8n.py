"""An n8n public API (/api/v1) fake for the assay.n8n tests, on fakes.FakeService.

Like n8n 1.x/2.x where the module can tell the difference:
- `/healthz` needs nothing (`healthz_failures` makes the next N answer 503); `/api/v1/*`
  needs `X-N8N-API-KEY: API_KEY`, else 401 `{"message": "'X-N8N-API-KEY' header required"}`.
- Collections answer `{"data": [...], "nextCursor": ...}`, `limit` 1..250 (default 100, more
  is 400), `cursor` from the previous page. Workflows filter by `name` (a substring, as n8n
  does) and `active`; executions by `status` and `workflowId`.
- Workflow bodies need `name`, `nodes` (array), `connections` and `settings` (objects), else
  400 `request/body/...` (also a node whose `parameters` is not an object, as n8n says);
  activate/deactivate/archive/unarchive answer the workflow;
  `/transfer` takes `{destinationProjectId}`; `/tags` PUT takes an array of `{id}`.
- Tags: a duplicate name answers 409. Variables: create answers 201 with no body.
- DELETE /users/{id} takes only an id (n8n 1.x: 400 for an email).
- Unknown ids answer 404 `{"message": "Not Found"}`.
"""
import itertools
import json
from urllib.parse import unquote

from fakes import FakeService, Response, _fixtures, ok

API_KEY = "n8n_api_0f1e2d3c4b5a"


def msg(status, text):
    return Response(status, {"message": text})


class FakeN8n(FakeService):
    name = "n8n"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(1)
        self.healthz_failures = 0
        self.workflows, self.tags, self.variables, self.projects, self.credentials = {}, {}, {}, {}, {}
        for i in range(300):
            wid = "wf%03d" % i
            self.workflows[wid] = {"id": wid, "name": "job %03d" % i, "active": i % 2 == 0, "isArchived": False,
                                   "nodes": [], "connections": {}, "settings": {}, "tags": []}
        self.executions = {str(i): {"id": str(i), "workflowId": "wf00%d" % (i % 3), "status": "error" if i % 4 == 0 else "success",
                                    "finished": True} for i in range(1, 13)}
        self.projects["p1"] = {"id": "p1", "name": "Default", "type": "personal"}
        self.members = {}
        self.users = {"u1": {"id": "u1", "email": "owner@example.com", "role": "global:owner"}}

    def reset(self):
        super().reset()
        self._state()

    def listing(self, r, items):
        q = {k: v[-1] for k, v in r.query.items()}
        limit = int(q.get("limit", 100))
        if not 1 <= limit <= 250:
            return msg(400, "request/query/limit must be <= 250")
        start = int(q.get("cursor", "0"))
        data = items[start:start + limit]
        nxt = str(start + limit) if start + limit < len(items) else None
        return ok({"data": data, "nextCursor": nxt})

    def body(self, r):
        if (r.header("Content-Type") or "").split(";")[0] != "application/json":
            raise ValueError("expected application/json")
        return json.loads(r.body or b"null")

    def route(self, r):
        if r.path == "/healthz":
            if self.healthz_failures:
                self.healthz_failures -= 1
                return msg(503, "starting")
            return ok({"status": "ok"})
        if not r.path.startswith("/api/v1/"):
            return msg(404, "Not Found")
        if r.header("X-N8N-API-KEY") != API_KEY:
            return msg(401, "'X-N8N-API-KEY' header required")
        parts = [unquote(p) for p in r.path[len("/api/v1/"):].split("/")]
        handler = getattr(self, "r_" + parts[0].replace("-", "_"), None)
        if handler is None:
            return msg(404, "Not Found")
        return handler(r, parts[1:])

    def r_workflows(self, r, rest):
        q = {k: v[-1] for k, v in r.query.items()}
        if not rest:
            if r.method == "GET":
                items = list(self.workflows.values())
                if "name" in q:
                    items = [w for w in items if q["name"] in w["name"]]
                if "active" in q:
                    items = [w for w in items if str(w["active"]).lower() == q["active"]]
                return self.listing(r, items)
            data = self.body(r)
            error = self.check_workflow(data)
            if error:
                return error
            wid = "new%d" % next(self.ids)
            self.workflows[wid] = dict(data, id=wid, active=False, isArchived=False, tags=[])
            return ok(self.workflows[wid])
        wf = self.workflows.get(rest[0])
        if wf is None:
            return msg(404, "Not Found")
        if len(rest) == 1:
            if r.method == "GET":
                return ok(wf)
            if r.method == "PUT":
                data = self.body(r)
                error = self.check_workflow(data)
                if error:
                    return error
                if set(data) & {"id", "active", "tags"}:
                    return msg(400, "request/body must NOT have additional properties")
                wf.update(data)
                return ok(wf)
            if r.method == "DELETE":
                return ok(self.workflows.pop(rest[0]))
        action = rest[1]
        if r.method == "POST" and action in ("activate", "deactivate", "archive", "unarchive", "publish", "unpublish"):
            if action in ("activate", "deactivate", "publish", "unpublish"):
                wf["active"] = action in ("activate", "publish")
            else:
                wf["isArchived"] = action == "archive"
            return ok(wf)
        if action == "history" and r.method == "GET":
            return self.listing(r, [{"versionId": "v%d" % i, "workflowId": wf["id"]} for i in range(3)])
        if action == "transfer" and r.method == "PUT":
            project = self.body(r).get("destinationProjectId")
            if project not in self.projects:
                return msg(404, "Project not found")
            wf["projectId"] = project
            return Response(204, b"", None)
        if action == "tags":
            if r.method == "GET":
                return ok(wf["tags"])
            refs = self.body(r)
            if not isinstance(refs, list) or any(not isinstance(x, dict) or x.get("id") not in self.tags for x in refs):
                return msg(400, "request/body must be array of existing tag ids")
            wf["tags"] = [self.tags[x["id"]] for x in refs]
            return ok(wf["tags"])
        return msg(404, "Not Found")

    def check_workflow(self, data):
        for field, kind in (("name", str), ("nodes", list), ("connections", dict), ("settings", dict)):
            if not isinstance(data, dict) or field not in data:
                return msg(400, "request/body must have required property '%s'" % field)
            if not isinstance(data[field], kind):
                return msg(400, "request/body/%s must be %s" % (field, "array" if kind is list else kind.__name__))
        for i, node in enumerate(data["nodes"]):
            if "parameters" in node and not isinstance(node["parameters"], dict):
                return msg(400, "request/body/nodes/%d/parameters must be object" % i)
        return None

    def r_executions(self, r, rest):
        q = {k: v[-1] for k, v in r.query.items()}
        if not rest:
            items = list(self.executions.values())
            for key in ("status", "workflowId"):
                if key in q:
                    items = [e for e in items if e[key] == q[key]]
            return self.listing(r, items)
        ex = self.executions.get(rest[0])
        if ex is None:
            return msg(404, "Not Found")
        if len(rest) == 1 and r.method == "GET":
            return ok(dict(ex, data={"resultData": {}}) if q.get("includeData") == "true" else ex)
        if len(rest) == 1 and r.method == "DELETE":
            return ok(self.executions.pop(rest[0]))
        if rest[1:] == ["retry"]:
            self.body(r)
            nid = str(100 + next(self.ids))
            self.executions[nid] = dict(ex, id=nid, retryOf=ex["id"], status="success")
            return ok(self.executions[nid])
        if rest[1:] == ["stop"]:
            ex["status"] = "canceled"
            return ok(ex)
        return msg(404, "Not Found")

    def r_tags(self, r, rest):
        if not rest:
            if r.method == "GET":
                return self.listing(r, list(self.tags.values()))
            data = self.body(r)
            if any(t["name"] == data.get("name") for t in self.tags.values()):
                return msg(409, "Tag %s already exists" % data.get("name"))
            tid = "t%d" % next(self.ids)
            self.tags[tid] = {"id": tid, "name": data["name"]}
            return Response(201, self.tags[tid])
        tag = self.tags.get(rest[0])
        if tag is None:
            return msg(404, "Not Found")
        if r.method == "PUT":
            tag.update(self.body(r))
        elif r.method == "DELETE":
            del self.tags[rest[0]]
        return ok(tag)

    def r_variables(self, r, rest):
        if not rest:
            if r.method == "GET":
                return self.listing(r, list(self.variables.values()))
            data = self.body(r)
            vid = "v%d" % next(self.ids)
            self.variables[vid] = {"id": vid, "key": data["key"], "value": data["value"], "type": "string"}
            return Response(201, b"", None)
        var = self.variables.get(rest[0])
        if var is None:
            return msg(404, "Not Found")
        if r.method == "PUT":
            var.update(self.body(r))
        elif r.method == "DELETE":
            del self.variables[rest[0]]
        return Response(204, b"", None)

    def r_projects(self, r, rest):
        if not rest:
            if r.method == "GET":
                return self.listing(r, list(self.projects.values()))
            pid = "p%d" % (10 + next(self.ids))
            self.projects[pid] = {"id": pid, "name": self.body(r)["name"], "type": "team"}
            return Response(201, self.projects[pid])
        if rest[0] not in self.projects:
            return msg(404, "Not Found")
        members = self.members.setdefault(rest[0], {})
        if rest[1:] == ["users"]:
            if r.method == "GET":
                return ok({"data": [{"id": u, "role": role} for u, role in members.items()]})
            relations = self.body(r).get("relations")
            if not isinstance(relations, list):
                return msg(400, "request/body must have required property 'relations'")
            for rel in relations:
                members[rel["userId"]] = rel["role"]
            return Response(201, b"", None)
        if len(rest) == 3 and rest[1] == "users":
            if rest[2] not in members:
                return msg(404, "Not Found")
            if r.method == "DELETE":
                del members[rest[2]]
            else:
                members[rest[2]] = self.body(r)["role"]
            return Response(204, b"", None)
        if r.method == "PUT":
            self.projects[rest[0]].update(self.body(r))
        elif r.method == "DELETE":
            del self.projects[rest[0]]
        return Response(204, b"", None)

    def r_credentials(self, r, rest):
        if not rest:
            if r.method == "GET":
                return self.listing(r, [{k: v for k, v in c.items() if k != "data"} for c in self.credentials.values()])
            data = self.body(r)
            if not {"name", "type", "data"} <= set(data):
                return msg(400, "request/body must have required property 'data'")
            cid = "c%d" % next(self.ids)
            self.credentials[cid] = dict(data, id=cid)
            return ok({"id": cid, "name": data["name"], "type": data["type"]})
        if rest[0] == "schema" and len(rest) == 2:
            return ok({"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]})
        cred = self.credentials.get(rest[0])
        if cred is None:
            return msg(404, "Not Found")
        public = {"id": cred["id"], "name": cred["name"], "type": cred["type"]}
        if rest[1:] == ["test"] and r.method == "POST":
            good = cred["data"].get("accessToken") == "good"
            return ok({"status": "OK" if good else "Error", "message": "Connection tested" if good else "Bad credentials"})
        if r.method == "GET":
            return ok(public)
        if r.method == "PATCH":
            cred.update(self.body(r))
            return ok({"id": cred["id"], "name": cred["name"], "type": cred["type"]})
        if r.method == "DELETE":
            del self.credentials[rest[0]]
            return ok(public)
        return msg(405, "Method Not Allowed")

    def r_users(self, r, rest):
        if not rest:
            if r.method == "POST":
                invites = self.body(r)
                if not isinstance(invites, list):
                    return msg(400, "request/body must be array")
                out = []
                for inv in invites:
                    uid = "u%d" % (10 + next(self.ids))
                    self.users[uid] = {"id": uid, "email": inv["email"], "role": inv.get("role", "global:member")}
                    out.append({"user": {"id": uid, "email": inv["email"], "emailSent": False}, "error": ""})
                return Response(201, out)
            return self.listing(r, list(self.users.values()))
        for uid, u in list(self.users.items()):
            if rest[0] in (u["id"], u["email"]):
                if rest[1:] == ["role"] and r.method == "PATCH":
                    u["role"] = self.body(r)["newRoleName"]
                    return Response(204, b"", None)
                if r.method == "DELETE":
                    if rest[0] != u["id"]:  # n8n deletes by id only
                        return msg(400, "Request to delete a user failed because the user to delete was not found in DB")
                    del self.users[uid]
                    return Response(204, b"", None)
                return ok(u)
        return msg(404, "Not Found")

    def r_source_control(self, r, rest):
        return ok({"statusCode": 200, "statusResult": [], "variables": self.body(r)})

    def r_audit(self, r, rest):
        return ok({"Credentials Risk Report": {"risk": "credentials", "sections": []}, "asked": self.body(r)})


n8n_server, n8n = _fixtures(FakeN8n, "n8n")
