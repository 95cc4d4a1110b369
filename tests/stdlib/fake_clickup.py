"""An in-memory ClickUp API (v2, and v3 Docs) for the assay.clickup tests.

Built on fakes.FakeService. It answers like api.clickup.com where the module can tell:

- Every route is under `/api/v2` or `/api/v3` and needs the personal token **raw** in
  `Authorization` (`pk_...`); `Bearer pk_...` or no token answers 401
  `{"err": "Token invalid", "ECODE": "OAUTH_025"}` / `OAUTH_017`.
- Task lists page by `page` (from 0) with `PAGE_SIZE` tasks a page (ClickUp: 100) and
  `last_page`; list filters arrive as `statuses[]=a&statuses[]=b` (also `assignees[]`, `tags[]`);
  `include_closed=true` is needed to see closed tasks, as in ClickUp.
- Write bodies must be JSON objects (400 `{"err": "...", "ECODE": "INPUT_..."}`); a task needs a
  `name`; a comment needs `comment_text` or a `comment` delta (list of ops).
- Goals answer wrapped in `{"goal": {...}}`; time entries in `{"data": ...}` (the running
  timer at `/time_entries/current`, `{"data": null}` when none); custom field values are set with
  `POST /task/<id>/field/<field_id>` `{"value": ...}`.
- v3 Docs page with `next_cursor`, which the caller sends back as the `next_cursor` query
  parameter (`DOCS_PAGE` a page; any other parameter name is ignored); v3 errors are
  `{"status": 404, "message": ...}`.
- Missing objects answer 404 (`{"err": "... not found", "ECODE": "..."}`); deletes answer 204.
"""
import itertools
import json
import re

from fakes import FakeService, Response, _fixtures, ok

TOKEN = "pk_1234567_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
TEAM = "9001"
LIST = "list-1"
PAGE_SIZE = 2
DOCS_PAGE = 2


def err(status, message, code="ITEM_015"):
    return Response(status, {"err": message, "ECODE": code})


class FakeClickUp(FakeService):
    name = "clickup"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(100)
        self.members = [{"user": {"id": 11, "username": "Ada Lovelace", "email": "ada@example.com"}},
                        {"user": {"id": 12, "username": "Alan Turing", "email": "alan@example.com"}},
                        {"user": {"id": 13, "username": "Grace Hopper", "email": "grace@example.com"}}]
        self.teams = [{"id": TEAM, "name": "Acme", "members": self.members}]
        self.spaces = {"space-1": {"id": "space-1", "name": "Engineering", "team": TEAM}}
        self.folders = {"folder-1": {"id": "folder-1", "name": "Sprints", "space": "space-1"}}
        self.lists = {LIST: {"id": LIST, "name": "Sprint 1", "folder": "folder-1", "space": "space-1"}}
        self.tasks = {}
        for i, (name, status) in enumerate([("Fix login", "open"), ("Write docs", "in progress"),
                                            ("Ship 1.0", "open"), ("Old bug", "closed"), ("Review", "open")]):
            self.add_task(LIST, {"name": name, "status": status})
        self.comments = {}
        self.goals = {}
        self.field_values = {}
        self.fields = [{"id": "f-kpi", "name": "KPI", "type": "number"}]
        self.running = None
        self.entries = [{"id": "te-1", "task": {"id": "t-1"}, "duration": "3600000", "start": "1700000000000"}]
        self.docs = [{"id": "doc-%d" % i, "name": "Doc %d" % i, "workspace_id": TEAM} for i in range(1, 6)]
        self.pages = {}

    def reset(self):
        super().reset()
        self._state()

    def add_task(self, list_id, data):
        tid = "t-%d" % (len(self.tasks) + 1)
        task = dict(data, id=tid, list={"id": list_id}, status={"status": data.get("status", "open")})
        self.tasks[tid] = task
        return task

    def body(self, r):
        try:
            data = json.loads(r.body or b"null")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else None

    def route(self, r):
        auth = r.header("Authorization")
        if not auth:
            return err(401, "Authorization header required", "OAUTH_017")
        if auth != TOKEN:
            return err(401, "Token invalid", "OAUTH_025")
        body = None
        if r.method in ("POST", "PUT", "PATCH"):
            body = self.body(r)
            if body is None:
                return err(400, "Body must be a JSON object", "INPUT_001")
        m = re.fullmatch(r"/api/v3/workspaces/([^/]+)/docs(?:/([^/]+))?(?:/(pages)(?:/([^/]+))?)?", r.path)
        if m:
            return self.v3(r, body, *m.groups())
        if not r.path.startswith("/api/v2/"):
            return Response(404, {"err": "Route not found", "ECODE": "APP_001"})
        p, meth = r.path[len("/api/v2"):], r.method
        q = r.query
        if p == "/team" and meth == "GET":
            return ok({"teams": self.teams})
        m = re.fullmatch(r"/team/([^/]+)/(space|goal|field|task|time_entries|time_entries/current|time_entries/stop)", p)
        if m:
            team, what = m.groups()
            if team != TEAM:
                return err(401, "Team not authorized", "OAUTH_027")
            if what == "space" and meth == "GET":
                return ok({"spaces": list(self.spaces.values())})
            if what == "space" and meth == "POST":
                space = dict(body, id="space-%d" % next(self.ids))
                self.spaces[space["id"]] = space
                return ok(space)
            if what == "goal" and meth == "GET":
                return ok({"goals": list(self.goals.values()), "folders": []})
            if what == "goal" and meth == "POST":
                goal = dict(body, id="goal-%d" % next(self.ids), percent_completed=0)
                self.goals[goal["id"]] = goal
                return ok({"goal": goal})
            if what == "field" and meth == "GET":
                return ok({"fields": self.fields})
            if what == "task" and meth == "GET":
                return self.task_page(r, list(self.tasks.values()))
            if what == "time_entries" and meth == "GET":
                if "start_date" in q and "end_date" not in q:
                    return err(400, "end_date required with start_date", "TIMEENTRY_001")
                return ok({"data": self.entries})
            if what == "time_entries" and meth == "POST":
                entry = dict(body, id="te-%d" % next(self.ids))
                self.entries.append(entry)
                return ok({"data": entry})
            if what == "time_entries/current" and meth == "GET":
                return ok({"data": self.running})
            if what == "time_entries/stop" and meth == "POST":
                if not self.running:
                    return err(400, "No timer running", "TIMEENTRY_023")
                stopped, self.running = self.running, None
                return ok({"data": stopped})
        m = re.fullmatch(r"/(space|folder|list|task|goal|comment)/([^/]+)(?:/(\w+)(?:/([^/]+))?)?", p)
        if not m:
            return Response(404, {"err": "Route not found", "ECODE": "APP_001"})
        kind, ident, sub, sub_id = m.groups()
        store = {"space": self.spaces, "folder": self.folders, "list": self.lists, "task": self.tasks,
                 "goal": self.goals, "comment": self.comments}[kind]
        if kind == "task" and q.get("custom_task_ids") == ["true"]:
            ident = next((t["id"] for t in self.tasks.values() if t.get("custom_id") == ident), ident)
        if ident not in store:
            return err(404, "%s not found" % kind.capitalize(), "ITEM_013")
        obj = store[ident]
        if sub is None:
            if meth == "GET":
                return ok({"goal": obj} if kind == "goal" else obj)
            if meth == "PUT":
                obj.update(body)
                if kind == "comment":
                    return ok({})
                return ok({"goal": obj} if kind == "goal" else obj)
            if meth == "DELETE":
                del store[ident]
                return Response(204, b"", None)
        if kind == "space" and sub == "folder" and meth == "GET":
            return ok({"folders": [f for f in self.folders.values() if f["space"] == ident]})
        if kind == "space" and sub == "folder" and meth == "POST":
            folder = dict(body, id="folder-%d" % next(self.ids), space=ident)
            self.folders[folder["id"]] = folder
            return ok(folder)
        if kind in ("space", "folder") and sub == "list" and meth == "GET":
            return ok({"lists": [l for l in self.lists.values() if l.get(kind) == ident]})
        if kind in ("space", "folder") and sub == "list" and meth == "POST":
            if not body.get("name"):
                return err(400, "List name invalid", "SUBCAT_016")
            lst = dict(body, id="list-%d" % next(self.ids), **{kind: ident})
            self.lists[lst["id"]] = lst
            return ok(lst)
        if kind == "space" and sub == "tag" and meth == "GET":
            return ok({"tags": [{"name": "bug"}, {"name": "feature"}]})
        if sub == "field" and sub_id is None and meth == "GET":
            return ok({"fields": self.fields})
        if sub == "member" and meth == "GET":
            return ok({"members": [m["user"] for m in self.members]})
        if kind == "list" and sub == "task" and meth == "GET":
            return self.task_page(r, [t for t in self.tasks.values() if t["list"]["id"] == ident])
        if kind == "list" and sub == "task" and meth == "POST":
            if not body.get("name"):
                return err(400, "Task name invalid", "INPUT_005")
            return ok(self.add_task(ident, body))
        if kind == "task" and sub == "comment" and meth == "GET":
            return ok({"comments": [c for c in self.comments.values() if c["task"] == ident]})
        if kind == "task" and sub == "comment" and meth == "POST":
            delta = body.get("comment")
            if not body.get("comment_text") and not (isinstance(delta, list) and delta):
                return err(400, "Comment text invalid", "INPUT_003")
            cid = str(next(self.ids))
            self.comments[cid] = dict(body, id=cid, task=ident)
            return ok({"id": cid, "hist_id": "h" + cid, "date": 1700000000000})
        if kind == "task" and sub == "field" and sub_id:
            if q.get("custom_task_ids") == ["true"] and not q.get("team_id"):
                return err(400, "Team ID required with custom task IDs", "OAUTH_061")
            if sub_id not in [f["id"] for f in self.fields]:
                return err(404, "Field not found", "FIELD_033")
            if meth == "POST":
                if "value" not in body:
                    return err(400, "Value must be present", "FIELD_010")
                self.field_values[(ident, sub_id)] = body["value"]
                return ok({})
            if meth == "DELETE":
                self.field_values.pop((ident, sub_id), None)
                return ok({})
        return Response(404, {"err": "Route not found", "ECODE": "APP_001"})

    def task_page(self, r, tasks):
        q = r.query
        statuses = q.get("statuses[]")
        if statuses:
            tasks = [t for t in tasks if t["status"]["status"] in statuses]
        elif q.get("include_closed", ["false"])[-1] != "true":
            tasks = [t for t in tasks if t["status"]["status"] != "closed"]
        try:
            page = int(q.get("page", ["0"])[-1])
        except ValueError:
            return err(400, "Page must be an integer", "INPUT_002")
        chunk = tasks[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        return ok({"tasks": chunk, "last_page": (page + 1) * PAGE_SIZE >= len(tasks)})

    def v3(self, r, body, ws, doc, pages, page_id):
        if ws != TEAM:
            return Response(401, {"status": 401, "message": "Workspace not authorized"})
        if doc is None:
            if r.method == "GET":
                start = int(r.query["next_cursor"][-1]) if "next_cursor" in r.query else 0
                chunk = self.docs[start:start + DOCS_PAGE]
                nxt = str(start + DOCS_PAGE) if start + DOCS_PAGE < len(self.docs) else None
                return ok({"docs": chunk, "next_cursor": nxt})
            if r.method == "POST":
                d = dict(body, id="doc-%d" % next(self.ids), workspace_id=ws)
                self.docs.append(d)
                return ok(d, 201)
        found = [d for d in self.docs if d["id"] == doc]
        if not found:
            return Response(404, {"status": 404, "message": "Doc not found"})
        if pages is None and r.method == "GET":
            return ok(found[0])
        if pages and page_id is None:
            if r.method == "GET":
                return ok(self.pages.get(doc, []))
            if r.method == "POST":
                if not body.get("name"):
                    return Response(400, {"status": 400, "message": "name is required"})
                pg = dict(body, id="page-%d" % next(self.ids), doc_id=doc)
                self.pages.setdefault(doc, []).append(pg)
                return ok(pg, 201)
        if pages and page_id and r.method == "PUT":
            for pg in self.pages.get(doc, []):
                if pg["id"] == page_id:
                    mode = body.get("content_edit_mode", "replace")
                    if "content" in body:
                        if mode == "append":
                            pg["content"] = pg.get("content", "") + body["content"]
                        elif mode == "prepend":
                            pg["content"] = body["content"] + pg.get("content", "")
                        else:
                            pg["content"] = body["content"]
                    if "name" in body:
                        pg["name"] = body["name"]
                    return Response(200, b"", None)
            return Response(404, {"status": 404, "message": "Page not found"})
        return Response(404, {"status": 404, "message": "Route not found"})


clickup_server, clickup = _fixtures(FakeClickUp, "clickup")
