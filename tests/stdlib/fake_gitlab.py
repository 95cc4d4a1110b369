"""A fake GitLab REST API v4 (on the shared fakes framework) for assay.gitlab.

Like gitlab.com where the module can tell the difference:
- auth: `PRIVATE-TOKEN: <TOKEN>`, `Authorization: Bearer <OAUTH_TOKEN>` or `JOB-TOKEN`; else 401
  `{"message": "401 Unauthorized"}`;
- a project is addressed by numeric id or its URL-encoded path (`group%2Fapp`); a raw `/` in the id
  does not match (404), as on GitLab; file paths are URL-encoded the same way;
- lists paginate with `per_page`/`page` and answer `x-next-page` (empty on the last page);
  the repository tree answers keyset-style with a `Link: <…>; rel="next"` header instead;
- files and commits keep real state per branch: commits apply every action or none (400 and
  nothing changed when one fails), `files/<path>/raw?ref=` serves the content;
- merge requests, pipelines (variables as a list of {key, value}), jobs with traces, releases,
  issues and notes, groups, registry repositories/tags and hooks are small in-memory stores.
"""
import base64
import itertools
import json
import re
from urllib.parse import quote, unquote

from fakes import FakeService, Response, _fixtures

TOKEN = "glpat-test-token"
OAUTH_TOKEN = "oauth-access-token"
JOB_TOKEN = "ci-job-token"


def page_of(r, items, per_page_default=20):
    per_page = int(r.query.get("per_page", [per_page_default])[-1])
    page = int(r.query.get("page", ["1"])[-1])
    chunk = items[(page - 1) * per_page: page * per_page]
    more = page * per_page < len(items)
    resp = Response(200, chunk)
    resp.headers = {"x-next-page": str(page + 1) if more else "", "x-page": str(page),
                    "x-total": str(len(items))}
    return resp


class FakeGitLab(FakeService):
    name = "gitlab"

    def reset(self):
        super().reset()
        self.ids = itertools.count(100)
        self.projects = {}
        self.groups = {1: {"id": 1, "name": "Platform", "path": "platform", "full_path": "platform"}}
        self.add_project("platform/app")

    def __init__(self):
        super().__init__()
        self.reset()

    def add_project(self, path, **extra):
        pid = next(self.ids)
        ns, _, name = path.rpartition("/")
        p = {"id": pid, "name": name, "path": name, "path_with_namespace": path, "default_branch": "main",
             "namespace": {"full_path": ns}}
        p.update(extra)
        self.projects[pid] = {"project": p, "branches": {"main": {"files": {"README.md": "# app\n"}, "commits": []}},
                              "tags": {}, "mrs": {}, "pipelines": {}, "jobs": {}, "releases": {}, "issues": {},
                              "hooks": {}, "registry": {1: {"id": 1, "name": "", "path": path, "tags": {
                                  "v1": {"name": "v1", "digest": "sha256:aa", "total_size": 1024}}}}}
        return p

    def project(self, ident):
        ident = unquote(ident)
        for pid, state in self.projects.items():
            if ident == str(pid) or ident == state["project"]["path_with_namespace"]:
                return state
        return None

    def route(self, r):
        auth = (r.header("PRIVATE-TOKEN") == TOKEN or r.header("Authorization") == "Bearer " + OAUTH_TOKEN
                or r.header("JOB-TOKEN") == JOB_TOKEN)
        if not auth:
            return Response(401, {"message": "401 Unauthorized"})
        path = r.path
        if not path.startswith("/api/v4/"):
            return Response(404, {"error": "404 Not Found"})
        path = path[len("/api/v4"):]
        body = r.json() if r.body else {}
        if path == "/user":
            return Response(200, {"id": 1, "username": "ci-bot", "name": "CI Bot"})
        if path == "/users":
            users = [{"id": i, "username": u} for i, u in enumerate(["alice", "bob", "ci-bot"], 1)]
            if "username" in r.query:
                users = [u for u in users if u["username"] == r.query["username"][-1]]
            return page_of(r, users)
        if path == "/projects" and r.method == "GET":
            items = [s["project"] for s in self.projects.values()]
            if "search" in r.query:
                items = [p for p in items if r.query["search"][-1] in p["name"]]
            return page_of(r, items)
        if path == "/projects" and r.method == "POST":
            if not body.get("name"):
                return Response(400, {"message": {"name": ["can't be blank"]}})
            return Response(201, self.add_project("platform/" + body.get("path", body["name"])))
        if path == "/groups":
            return page_of(r, list(self.groups.values()))
        m = re.fullmatch(r"/groups/([^/]+)(/projects)?", path)
        if m:
            g = next((g for g in self.groups.values() if unquote(m.group(1)) in (str(g["id"]), g["full_path"])), None)
            if g is None:
                return Response(404, {"message": "404 Group Not Found"})
            if m.group(2):
                return page_of(r, [s["project"] for s in self.projects.values()
                                   if s["project"]["namespace"]["full_path"] == g["full_path"]])
            return Response(200, g)
        m = re.fullmatch(r"/projects/([^/]+)(/.*)?", path)
        if not m:
            return Response(404, {"error": "404 Not Found"})
        state = self.project(m.group(1))
        if state is None:
            return Response(404, {"message": "404 Project Not Found"})
        rest = m.group(2) or ""
        if rest == "":
            if r.method == "DELETE":
                del self.projects[state["project"]["id"]]
                return Response(202, {"message": "202 Accepted"})
            return Response(200, state["project"])
        return self.project_route(r, state, rest, body)

    def project_route(self, r, st, rest, body):
        q = {k: v[-1] for k, v in r.query.items()}
        branches = st["branches"]
        # ---- files
        m = re.fullmatch(r"/repository/files/([^/]+)(/raw)?", rest)
        if m:
            fpath = unquote(m.group(1))
            if r.method == "GET":
                ref = q.get("ref")
                if not ref:
                    return Response(400, {"error": "ref is missing"})
                ref = "main" if ref == "HEAD" else ref
                content = branches.get(ref, {}).get("files", {}).get(fpath)
                if content is None:
                    return Response(404, {"message": "404 File Not Found"})
                if m.group(2):
                    return Response(200, content, "text/plain")
                return Response(200, {"file_path": fpath, "ref": ref, "encoding": "base64",
                                      "content": base64.b64encode(content.encode()).decode()})
            data = dict(body, **q)
            action = {"POST": "create", "PUT": "update", "DELETE": "delete"}[r.method]
            err = self.commit(st, data.get("branch"), data.get("commit_message"),
                              [{"action": action, "file_path": fpath, "content": data.get("content")}])
            if err:
                return err
            if r.method == "DELETE":
                return Response(204, b"", None)
            return Response(201 if r.method == "POST" else 200, {"file_path": fpath, "branch": data["branch"]})
        if rest == "/repository/tree":
            names = sorted(branches.get(q.get("ref", "main"), {"files": {}})["files"])
            per_page = int(q.get("per_page", 20))
            after = q.get("page_token")
            if after:
                names = [n for n in names if n > after]
            chunk = names[:per_page]
            resp = Response(200, [{"name": n.rsplit("/", 1)[-1], "path": n, "type": "blob"} for n in chunk])
            if len(names) > per_page:
                resp.headers = {"link": '<%s/api/v4/projects/%d/repository/tree?page_token=%s&per_page=%d&pagination=keyset>;'
                                        ' rel="next"' % (self.url, st["project"]["id"], quote(chunk[-1], safe=""), per_page)}
            return resp
        if rest == "/repository/commits" and r.method == "POST":
            if not isinstance(body.get("actions"), list):
                return Response(400, {"error": "actions is missing"})
            err = self.commit(st, body.get("branch"), body.get("commit_message"), body["actions"],
                              body.get("start_branch"))
            return err or Response(201, branches[body["branch"]]["commits"][-1])
        if rest == "/repository/commits":
            return page_of(r, list(reversed(branches.get(q.get("ref_name", "main"), {"commits": []})["commits"])))
        m = re.fullmatch(r"/repository/commits/([^/]+)", rest)
        if m:
            for b in branches.values():
                for c in b["commits"]:
                    if c["id"] == m.group(1):
                        return Response(200, c)
            return Response(404, {"message": "404 Commit Not Found"})
        # ---- branches and tags
        if rest == "/repository/branches" and r.method == "POST":
            name, ref = body.get("branch"), body.get("ref")
            if ref not in branches:
                return Response(400, {"message": "Invalid reference name: %s" % ref})
            if name in branches:
                return Response(400, {"message": "Branch already exists"})
            branches[name] = json.loads(json.dumps(branches[ref]))
            return Response(201, {"name": name, "commit": (branches[name]["commits"] or [{}])[-1]})
        if rest == "/repository/branches":
            names = sorted(branches)
            if "search" in q:
                names = [n for n in names if q["search"] in n]
            return page_of(r, [{"name": n, "default": n == "main"} for n in names])
        m = re.fullmatch(r"/repository/branches/([^/]+)", rest)
        if m:
            name = unquote(m.group(1))
            if name not in branches:
                return Response(404, {"message": "404 Branch Not Found"})
            if r.method == "DELETE":
                del branches[name]
                return Response(204, b"", None)
            return Response(200, {"name": name})
        if rest == "/repository/tags" and r.method == "POST":
            tag = {"name": body["tag_name"], "target": body["ref"], "message": body.get("message", "")}
            st["tags"][tag["name"]] = tag
            return Response(201, tag)
        if rest == "/repository/tags":
            return page_of(r, list(st["tags"].values()))
        m = re.fullmatch(r"/repository/tags/([^/]+)", rest)
        if m:
            tag = st["tags"].get(unquote(m.group(1)))
            if tag is None:
                return Response(404, {"message": "404 Tag Not Found"})
            if r.method == "DELETE":
                del st["tags"][tag["name"]]
                return Response(204, b"", None)
            return Response(200, tag)
        # ---- generic stores: merge requests, issues, releases, hooks, pipelines, jobs
        for kind, key in (("merge_requests", "mrs"), ("issues", "issues"), ("hooks", "hooks"),
                          ("releases", "releases"), ("pipelines", "pipelines"), ("jobs", "jobs")):
            got = self.store(r, st, st[key], kind, rest, body, q)
            if got is not None:
                return got
        if rest == "/pipeline" and r.method == "POST":
            variables = body.get("variables", [])
            if not all(isinstance(v, dict) and "key" in v for v in variables):
                return Response(400, {"message": "variables must be a list of {key, value}"})
            pid = next(self.ids)
            pipe = {"id": pid, "ref": body["ref"], "status": "pending", "variables": variables}
            st["pipelines"][pid] = pipe
            for name, status in (("build", "success"), ("test", "failed")):
                jid = next(self.ids)
                st["jobs"][jid] = {"id": jid, "name": name, "status": status, "pipeline": {"id": pid},
                                   "trace": "\x1b[32m$ make %s\x1b[0m\n%s\n" % (name, status)}
            return Response(201, pipe)
        # ---- registry
        if rest == "/registry/repositories":
            return page_of(r, [{k: v for k, v in repo.items() if k != "tags"} for repo in st["registry"].values()])
        m = re.fullmatch(r"/registry/repositories/(\d+)/tags(?:/([^/]+))?", rest)
        if m:
            repo = st["registry"].get(int(m.group(1)))
            if repo is None:
                return Response(404, {"message": "404 Repository Not Found"})
            if m.group(2) is None:
                return page_of(r, [{"name": t["name"]} for t in repo["tags"].values()])
            tag = repo["tags"].get(unquote(m.group(2)))
            if tag is None:
                return Response(404, {"message": "404 Tag Not Found"})
            if r.method == "DELETE":
                del repo["tags"][tag["name"]]
                return Response(200, b"", None)
            return Response(200, tag)
        return Response(404, {"error": "404 Not Found"})

    def store(self, r, st, items, kind, rest, body, q):
        base = "/" + kind
        by_iid = kind in ("merge_requests", "issues")
        key_of = (lambda x: x["tag_name"]) if kind == "releases" else (lambda x: x["iid" if by_iid else "id"])
        if rest == base and r.method == "GET":
            found = list(items.values())
            if "state" in q:
                found = [x for x in found if x.get("state") == q["state"]]
            if "labels" in q:
                want = set(q["labels"].split(","))
                found = [x for x in found if want <= set(x.get("labels", []))]
            if "scope[]" in r.query:
                found = [x for x in found if x.get("status") in r.query["scope[]"]]
            if kind == "jobs":
                found = [{k: v for k, v in x.items() if k != "trace"} for x in found]
            return page_of(r, found)
        if rest == base and r.method == "POST" and kind not in ("pipelines", "jobs"):
            item = dict(body)
            if isinstance(item.get("labels"), str):  # GitLab takes "a,b" and answers a list
                item["labels"] = [l for l in item["labels"].split(",") if l]
            if kind == "releases":
                if not item.get("tag_name"):
                    return Response(400, {"message": "tag_name is missing"})
            else:
                n = next(self.ids)
                item["id"] = n
                if by_iid:
                    item["iid"] = len(items) + 1
                    item.setdefault("state", "opened")
                    item["notes"] = []
            items[key_of(item)] = item
            return Response(201, item)
        m = re.fullmatch(re.escape(base) + r"/([^/]+)(/[a-z_]+)?", rest)
        if not m:
            return None
        ident = unquote(m.group(1))
        item = next((x for x in items.values() if str(key_of(x)) == ident), None)
        if item is None:
            return Response(404, {"message": "404 Not found"})
        action = m.group(2)
        if action is None:
            if r.method == "PUT":
                item.update(body)
                if body.get("state_event") == "close":
                    item["state"] = "closed"
                return Response(200, item)
            if r.method == "DELETE":
                del items[key_of(item)]
                return Response(200 if kind == "releases" else 204, item if kind == "releases" else b"",
                                "application/json" if kind == "releases" else None)
            return Response(200, {k: v for k, v in item.items() if k not in ("notes", "trace")})
        if action == "/notes":
            if r.method == "POST":
                note = {"id": next(self.ids), "body": body["body"]}
                item["notes"].append(note)
                return Response(201, note)
            return page_of(r, item["notes"])
        if action == "/merge" and r.method == "PUT":
            if item.get("state") != "opened":
                return Response(405, {"message": "405 Method Not Allowed"})
            item["state"] = "merged"
            item["squash"] = body.get("squash", False)
            return Response(200, item)
        if action == "/approve" and r.method == "POST":
            return Response(201, {"approved": True, "iid": item["iid"]})
        if action == "/changes":
            return Response(200, dict(item, changes=[{"new_path": "README.md"}]))
        if action in ("/cancel", "/retry") and r.method == "POST":
            item["status"] = "canceled" if action == "/cancel" else "pending"
            return Response(201, {k: v for k, v in item.items() if k != "trace"})
        if action == "/trace":
            return Response(200, item["trace"], "text/plain")
        if action == "/jobs" and kind == "pipelines":
            found = [{k: v for k, v in j.items() if k != "trace"} for j in st["jobs"].values()
                     if j["pipeline"]["id"] == item["id"]]
            if "scope[]" in r.query:
                found = [j for j in found if j["status"] in r.query["scope[]"]]
            return page_of(r, found)
        return Response(404, {"error": "404 Not Found"})

    def commit(self, st, branch, message, actions, start_branch=None):
        """Apply every action to `branch` or none; None on success, else the error Response."""
        branches = st["branches"]
        if not branch or not message:
            return Response(400, {"error": "branch, commit_message are missing"})
        if branch not in branches:
            if start_branch not in branches:
                return Response(400, {"message": "You can only create or edit files when you are on a branch"})
            branches[branch] = json.loads(json.dumps(branches[start_branch]))
        files = dict(branches[branch]["files"])
        for a in actions:
            path, kind = a.get("file_path"), a.get("action")
            content = a.get("content") or ""
            if a.get("encoding") == "base64":
                content = base64.b64decode(content).decode()
            if kind == "create":
                if path in files:
                    return Response(400, {"message": "A file with this name already exists"})
                files[path] = content
            elif kind == "update":
                if path not in files:
                    return Response(400, {"message": "A file with this name doesn't exist"})
                files[path] = content
            elif kind == "delete":
                if path not in files:
                    return Response(400, {"message": "A file with this name doesn't exist"})
                del files[path]
            elif kind == "move":
                if a.get("previous_path") not in files:
                    return Response(400, {"message": "A file with this name doesn't exist"})
                files[path] = a.get("content") or files.pop(a["previous_path"])
                files.pop(a.get("previous_path"), None)
            else:
                return Response(400, {"message": "Unknown action '%s'" % kind})
        branches[branch]["files"] = files
        sha = "%040x" % (len(branches[branch]["commits"]) + 1 + 7 * len(st["branches"]))
        branches[branch]["commits"].append({"id": sha, "short_id": sha[:8], "title": message.split("\n")[0],
                                            "message": message})
        return None


gitlab_server, gitlab = _fixtures(FakeGitLab, "gitlab")
