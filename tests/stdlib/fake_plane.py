"""An in-memory Plane API (/api/v1) for the assay.plane tests.

Built on fakes.FakeService. It answers like Plane where the module can tell:

- Every route needs the workspace API key in `X-API-Key` (401 `{"detail": ...}` without it or
  with a wrong one; `Authorization` is ignored), and lives under
  `/api/v1/workspaces/<slug>/`; an unknown slug answers 404. Routes end in `/`: without the
  trailing slash Django answers 404.
- Collections page by cursor as Plane does: `per_page` (default `PAGE_SIZE` here, Plane's is
  100; more than 100 answers 400) and `cursor` = `"<per_page>:<page>:0"`; the answer is
  `{"results", "next_cursor", "prev_cursor", "next_page_results", "prev_page_results",
  "count", "total_pages", "total_results"}`. Workspace members answer a bare array.
- Write bodies must be JSON objects (400 otherwise); a work item needs `name`; a comment needs
  `comment_html`; adding items to a cycle or module needs `{"issues": [ids]}` of existing items.
- `cycles/?cycle_view=current` answers a bare array of the cycles running today, as Plane does;
  intake lives under the project (`projects/<id>/intake-issues/`), not the workspace.
- Updates are PATCH (PUT answers 405); deletes answer 204.
"""
import itertools
import json
import re

from fakes import FakeService, Response, _fixtures, ok

API_KEY = "plane_api_0123456789abcdef"
WORKSPACE = "acme-eng"
PROJECT = "7b5c1c4e-0000-4000-8000-000000000001"
PAGE_SIZE = 2


class FakePlane(FakeService):
    name = "plane"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(1)
        self.projects = {PROJECT: {"id": PROJECT, "name": "Platform", "identifier": "PLAT"}}
        self.coll = {}  # (project, kind) -> {id: obj}
        for name in ("Set up CI", "Write runbook", "Rotate keys", "Upgrade Postgres", "Retire VM"):
            self.add(PROJECT, "work-items", {"name": name})
        for name, group in (("Backlog", "backlog"), ("Todo", "unstarted"), ("Done", "completed")):
            self.add(PROJECT, "states", {"name": name, "group": group, "color": "#888"})
        self.cycle_items = {}
        self.module_items = {}

    def reset(self):
        super().reset()
        self._state()

    def add(self, project, kind, data):
        oid = "%08x-0000-4000-8000-%012d" % (next(self.ids), 0)
        obj = dict(data, id=oid, project=project)
        self.coll.setdefault((project, kind), {})[oid] = obj
        return obj

    @staticmethod
    def paged(r, rows):
        try:
            per_page = int(r.query.get("per_page", [PAGE_SIZE])[-1])
            page = int(r.query["cursor"][-1].split(":")[1]) if "cursor" in r.query else 0
        except (ValueError, IndexError):
            return Response(400, {"error": "Invalid cursor"})
        if per_page > 100:
            return Response(400, {"error": "per_page cannot exceed 100"})
        chunk = rows[page * per_page:(page + 1) * per_page]
        more = (page + 1) * per_page < len(rows)
        total_pages = max(1, -(-len(rows) // per_page))
        return ok({"grouped_by": None, "sub_grouped_by": None, "total_count": len(rows),
                   "next_cursor": "%d:%d:0" % (per_page, page + 1), "prev_cursor": "%d:%d:1" % (per_page, max(page - 1, 0)),
                   "next_page_results": more, "prev_page_results": page > 0, "count": len(chunk),
                   "total_pages": total_pages, "total_results": len(rows), "extra_stats": None, "results": chunk})

    def route(self, r):
        key = r.header("X-API-Key")
        if key is None:
            return Response(401, {"detail": "Authentication credentials were not provided."})
        if key != API_KEY:
            return Response(401, {"detail": "Given API token is not valid"})
        prefix = "/api/v1/workspaces/"
        if not r.path.startswith(prefix) or not r.path.endswith("/"):
            return Response(404, "<h1>Not Found</h1>", "text/html")
        parts = r.path[len(prefix):-1].split("/")
        if parts[0] != WORKSPACE:
            return Response(404, {"error": "Workspace not found"})
        parts, m = parts[1:], r.method
        body = None
        if m in ("POST", "PATCH", "PUT"):
            try:
                body = json.loads(r.body or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return Response(400, {"error": "Invalid JSON body"})
        if m == "PUT":
            return Response(405, {"detail": 'Method "PUT" not allowed.'})
        if parts == ["members"] and m == "GET":
            return ok([{"id": "u-1", "display_name": "ada", "email": "ada@example.com", "role": 20}])
        if parts[0] != "projects":
            return Response(404, {"error": "Not found"})
        if len(parts) == 1:
            if m == "GET":
                return self.paged(r, list(self.projects.values()))
            if m == "POST":
                if not body.get("name") or not body.get("identifier"):
                    return Response(400, {"name": ["This field is required."]})
                pid = "7b5c1c4e-0000-4000-8000-%012d" % (100 + next(self.ids))
                self.projects[pid] = dict(body, id=pid)
                return ok(self.projects[pid], 201)
        pid = parts[1]
        if pid not in self.projects:
            return Response(404, {"error": "Project not found"})
        if len(parts) == 2:
            if m == "GET":
                return ok(self.projects[pid])
            if m == "PATCH":
                self.projects[pid].update(body)
                return ok(self.projects[pid])
            if m == "DELETE":
                del self.projects[pid]
                return Response(204, b"", None)
        kind = parts[2]
        if kind not in ("work-items", "states", "labels", "cycles", "modules", "intake-issues"):
            return Response(404, {"error": "Not found"})
        store = self.coll.setdefault((pid, kind), {})
        if len(parts) == 3:
            if m == "GET" and kind == "cycles" and r.query.get("cycle_view") == ["current"]:
                today = "2026-01-10"  # the fake's "now"
                return ok([c for c in store.values()
                           if c.get("start_date", "9999") <= today <= c.get("end_date", "0000")])
            if m == "GET":
                return self.paged(r, list(store.values()))
            if m == "POST":
                if not body.get("name"):
                    return Response(400, {"name": ["This field is required."]})
                return ok(self.add(pid, kind, body), 201)
        oid = parts[3]
        if oid not in store:
            return Response(404, {"error": "The requested resource does not exist."})
        if len(parts) == 4:
            if m == "GET":
                return ok(store[oid])
            if m == "PATCH":
                store[oid].update(body)
                return ok(store[oid])
            if m == "DELETE":
                del store[oid]
                return Response(204, b"", None)
        sub = parts[4]
        if (kind, sub) in (("cycles", "cycle-issues"), ("modules", "module-issues")) and m == "POST":
            issues = body.get("issues")
            items = self.coll.get((pid, "work-items"), {})
            if not isinstance(issues, list) or not issues or any(i not in items for i in issues):
                return Response(400, {"error": "Issues are required"})
            target = self.cycle_items if kind == "cycles" else self.module_items
            target.setdefault(oid, []).extend(issues)
            return ok([{"issue": i, kind[:-1]: oid} for i in issues], 201)
        if kind == "work-items" and sub in ("comments", "links"):
            sub_store = self.coll.setdefault((oid, sub), {})
            if m == "GET":
                return self.paged(r, list(sub_store.values()))
            if m == "POST":
                if sub == "comments" and not body.get("comment_html"):
                    return Response(400, {"comment_html": ["This field is required."]})
                if sub == "links" and not body.get("url"):
                    return Response(400, {"url": ["This field is required."]})
                return ok(self.add(oid, sub, body), 201)
        return Response(404, {"error": "Not found"})


plane_server, plane = _fixtures(FakePlane, "plane")
