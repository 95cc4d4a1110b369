"""An in-memory Neutron (self-hosted agent platform) admin API for the assay.neutron tests.

Built on fakes.FakeService. It answers like the real instance where the module can tell:

- Every `/api/*` route needs `Authorization: Bearer <TOKEN>` (or a minted token), else 401
  `{"error": "unauthorized"}`. With `require_cf = True` it also needs the Cloudflare Access
  service-token headers `CF-Access-Client-Id`/`CF-Access-Client-Secret` (else 403, as Access
  answers before the app).
- Write bodies must be JSON objects (400 otherwise); `PUT /api/admin/roles/<id>/members` needs
  `action` "add" or "remove"; `PUT /api/admin/connections/<name>` needs `kind`.
- Secrets, connections and tokens answer with the whole (redacted) collection after a change:
  `{"secrets": [...]}`, `{"connections": [...]}`, `{"tokens": [...]}`; deleting an agent,
  resource or role answers 204 with no body.
- Names in paths are percent-decoded once (a secret named `a/b` must arrive as `a%2Fb`).
"""
import itertools
import json
import re
from urllib.parse import unquote

from fakes import FakeService, Response, _fixtures, ok

TOKEN = "ntr_admin_0123456789"
CF_ID, CF_SECRET = "cf-id.access", "cf-secret"


def err(status, message):
    return Response(status, {"error": message})


class FakeNeutron(FakeService):
    name = "neutron"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.require_cf = False
        self.ids = itertools.count(1)
        self.agents = {}
        self.core = {"mode": "assist"}
        self.secrets = {"GITLAB_TOKEN": {"value": "glpat-abcdef", "note": "", "agents": []}}
        self.connections = {}
        self.resources = {}
        self.roles = {}
        self.tokens = {}
        self.settings = {"theme": {"accent": "#336699"}, "approvals": {"timeout_minutes": 30}}
        self.channels = {"slack": {"enabled": False}}

    def reset(self):
        super().reset()
        self._state()

    def redacted(self):
        return [{"name": n, "has_value": bool(s["value"]), "preview": s["value"][:3] + "…" if s["value"] else "",
                 "note": s["note"], "agents": s["agents"]} for n, s in sorted(self.secrets.items())]

    def route(self, r):
        if not r.path.startswith("/api/"):
            return Response(404, "Not Found", "text/plain")
        if self.require_cf and (r.header("CF-Access-Client-Id"), r.header("CF-Access-Client-Secret")) != (CF_ID, CF_SECRET):
            return Response(403, "Forbidden (Cloudflare Access)", "text/html")
        auth = r.header("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in {TOKEN} | {t["token"] for t in self.tokens.values()}:
            return err(401, "unauthorized")
        body = None
        if r.method in ("POST", "PUT"):
            try:
                body = json.loads(r.body or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return err(400, "body must be a JSON object")
        m, p = r.method, r.path
        parts = [unquote(s) for s in p.split("/")[3:]]  # after /api/admin
        if p == "/api/settings" and m == "GET":
            return ok(self.settings)
        if not p.startswith("/api/admin/"):
            return err(404, "not found")
        head = parts[0]
        if head == "agents":
            if len(parts) == 1 and m == "GET":
                return ok({"agents": list(self.agents.values()), "default_agent": "core",
                           "defaults": {"mode": "assist"}, "brand": {"name": "Neutron"}})
            if len(parts) == 1 and m == "POST":
                if not body.get("display_name"):
                    return err(400, "display_name is required")
                agent = dict(body, id="ag-%d" % next(self.ids))
                self.agents[agent["id"]] = agent
                return ok(agent, 201)
            if len(parts) == 2 and parts[1] in self.agents:
                if m == "PUT":
                    self.agents[parts[1]] = dict(body, id=parts[1], display_name=self.agents[parts[1]]["display_name"])
                    return ok(self.agents[parts[1]])
                if m == "DELETE":
                    del self.agents[parts[1]]
                    return Response(204, b"", None)
            return err(404, "agent not found")
        if parts == ["settings", "agent"]:
            if m == "GET":
                return ok({"stored": self.core, "defaults": {"mode": "assist"}})
            if m == "PUT":
                self.core = body
                return ok({"stored": self.core})
        if parts == ["settings", "channels"]:
            if m == "GET":
                return ok({"channels": self.channels})
            if m == "PUT":
                self.channels.update(body)
                return ok({"channels": self.channels})
        if parts == ["settings"] and m == "PUT":
            self.settings.update(body)
            return ok(self.settings)
        if head == "secrets":
            if len(parts) == 1 and m == "GET":
                return ok({"secrets": self.redacted()})
            name = parts[1] if len(parts) > 1 else None
            if len(parts) == 2 and m == "PUT":
                cur = self.secrets.get(name, {"value": "", "note": "", "agents": []})
                self.secrets[name] = {"value": body.get("value", cur["value"]), "note": body.get("note", cur["note"]),
                                      "agents": body.get("agents", cur["agents"])}
                return ok({"secrets": self.redacted()})
            if name not in self.secrets:
                return err(404, "secret not found")
            if len(parts) == 3 and parts[2] == "value" and m == "GET":
                return ok({"name": name, "value": self.secrets[name]["value"]})
            if len(parts) == 2 and m == "DELETE":
                del self.secrets[name]
                return ok({"secrets": self.redacted()})
        if head == "connections":
            view = lambda: ok({"connections": [dict(c, name=n, token=None, has_token=bool(c.get("token")))
                                               for n, c in sorted(self.connections.items())]})
            if len(parts) == 1 and m == "GET":
                return view()
            if len(parts) == 2 and m == "PUT":
                if body.get("kind") not in ("gitlab", "github"):
                    return err(400, "kind must be gitlab or github")
                self.connections[parts[1]] = body
                return view()
            if len(parts) == 2 and m == "DELETE" and parts[1] in self.connections:
                del self.connections[parts[1]]
                return view()
            return err(404, "connection not found")
        if head == "resources":
            if len(parts) == 1 and m == "GET":
                return ok({"resources": list(self.resources.values())})
            if len(parts) == 1 and m == "POST":
                if body.get("type") not in ("workspace", "guide") or not body.get("name"):
                    return err(400, "name and type (workspace|guide) are required")
                res = dict(body, id="res-%d" % next(self.ids))
                self.resources[res["id"]] = res
                return ok(res, 201)
            if len(parts) == 2 and parts[1] in self.resources:
                if m == "PUT":
                    self.resources[parts[1]] = dict(body, id=parts[1])
                    return ok(self.resources[parts[1]])
                if m == "DELETE":
                    del self.resources[parts[1]]
                    return Response(204, b"", None)
            return err(404, "resource not found")
        if head == "roles":
            if len(parts) == 1 and m == "GET":
                return ok({"roles": list(self.roles.values())})
            if len(parts) == 1 and m == "POST":
                role = {"id": "role-%d" % next(self.ids), "name": body.get("name"), "members": []}
                self.roles[role["id"]] = role
                return ok(role, 201)
            role = self.roles.get(parts[1]) if len(parts) > 1 else None
            if role is None:
                return err(404, "role not found")
            if len(parts) == 3 and parts[2] == "members" and m == "PUT":
                if body.get("action") == "add":
                    role["members"].append(body["email"])
                elif body.get("action") == "remove":
                    role["members"].remove(body["email"])
                else:
                    return err(400, "action must be add or remove")
                return ok({"members": role["members"]})
            if len(parts) == 2 and m == "DELETE":
                del self.roles[parts[1]]
                return Response(204, b"", None)
        if head == "tokens":
            view = lambda: ok({"tokens": [{"name": n, "prefix": t["token"][:8], "created": "2026-01-01T00:00:00Z"}
                                          for n, t in sorted(self.tokens.items())]})
            if len(parts) == 1 and m == "GET":
                return view()
            if len(parts) == 1 and m == "POST":
                token = "ntr_%06d" % next(self.ids)
                self.tokens[body["name"]] = {"token": token}
                return ok({"name": body["name"], "token": token}, 201)
            if len(parts) == 2 and m == "DELETE" and parts[1] in self.tokens:
                del self.tokens[parts[1]]
                return view()
            return err(404, "token not found")
        if parts == ["users"] and m == "GET":
            return ok({"users": [{"email": "ada@example.com", "admin": True}]})
        if parts == ["usage"] and m == "GET":
            return ok({"from": r.query.get("from", [None])[0], "to": r.query.get("to", [None])[0],
                       "requests": 42, "tokens_in": 1000, "tokens_out": 500})
        if parts == ["assay", "catalog"] and m == "GET":
            return ok({"modules": [{"name": "assay.gitlab"}, {"name": "assay.vault"}]})
        return err(404, "not found")


neutron_server, neutron = _fixtures(FakeNeutron, "neutron")
