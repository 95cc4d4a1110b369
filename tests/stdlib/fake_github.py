"""An in-memory GitHub REST v3 + GraphQL API for the assay.github tests.

Built on fakes.FakeService (a ThreadingHTTPServer on 127.0.0.1 recording every request;
`fail`/`set` override one route). It answers like api.github.com where the module can tell:

- Repositories `octocat/hello-world` (PRs 42 open + mergeable, 43 closed; reviews on 42;
  issues 1 and 2 plus PR 42 in the issues list, as GitHub does; workflow runs 1001 completed
  and 1002 in progress with `"conclusion": null`) and `acme/tools/extra` is unknown (404).
- Authorization is optional (public data); when sent it must be `Bearer ghp_test123`,
  otherwise 401 `{"message":"Bad credentials"}`.
- `PUT .../pulls/<n>/merge` needs a JSON object body (an array answers 422 "Invalid request",
  like GitHub's schema validation); a closed PR answers 405 "Pull Request is not mergeable".
- `POST .../issues` needs a string `title` (422 otherwise) and answers 201 with a new number;
  `POST .../issues/<n>/comments` answers 201.
- Lists honour `state` and `per_page`; `runs` honour `status`/`branch`.
- `GET .../releases/latest` answers release v1.4.2 whose assets download from `/downloads/<name>`
  (a tarball, its `.sha256` sibling with an upper-case digest, a zip and a `SHA256SUMS` file).
- GraphQL: `POST /graphql` (github.com layout) and `POST /api/graphql` (Enterprise Server
  layout, whose REST API is under `/api/v3`; `/api/v3/graphql` does not exist there → 404).
  A query mentioning `repository` answers data from the fake; one mentioning `bogusField`
  answers HTTP 200 with an `errors` array, as GitHub does.
"""
import copy
import json
import re

from fakes import FakeService, Response, _fixtures, not_found, ok

GITHUB_TOKEN = "ghp_test123"


def user(login, uid):
    return {"login": login, "id": uid, "type": "User", "html_url": "https://github.com/" + login}


def pull(number, title, state, login, mergeable, head="feature", merged=False):
    return {
        "number": number, "title": title, "state": state, "user": user(login, 100 + number),
        "mergeable": mergeable, "merged": merged, "draft": False,
        "head": {"ref": head, "sha": "head%04d" % number}, "base": {"ref": "main"},
        "html_url": "https://github.com/octocat/hello-world/pull/%d" % number,
        "created_at": "2024-01-0%dT10:00:00Z" % (number % 9 + 1),
    }


def issue(number, title, state, labels, is_pr=False):
    data = {"number": number, "title": title, "state": state, "user": user("octocat", 1),
            "labels": [{"name": n} for n in labels], "comments": 0, "body": "issue %d" % number}
    if is_pr:
        data["pull_request"] = {"url": "https://api.github.com/repos/octocat/hello-world/pulls/%d" % number}
    return data


class FakeGitHub(FakeService):
    name = "github"

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        super().reset()
        self.pulls = {
            42: pull(42, "Add feature X", "open", "alice", True),
            43: pull(43, "Old change", "closed", "bob", False, head="old"),
        }
        self.reviews = {42: [
            {"id": 1, "user": user("carol", 7), "state": "APPROVED", "body": "LGTM"},
            {"id": 2, "user": user("dave", 8), "state": "CHANGES_REQUESTED", "body": "nit"},
        ]}
        self.issues = {
            1: issue(1, "Bug in login", "open", ["bug"]),
            2: issue(2, "Docs typo", "closed", ["docs"]),
            42: issue(42, "Add feature X", "open", [], is_pr=True),
        }
        self.comments = []
        self.runs = [
            {"id": 1001, "name": "CI", "status": "completed", "conclusion": "success",
             "head_branch": "main", "head_sha": "aaa111", "run_number": 7},
            {"id": 1002, "name": "CI", "status": "in_progress", "conclusion": None,
             "head_branch": "feature", "head_sha": "bbb222", "run_number": 8},
        ]
        self.repo = {
            "id": 1296269, "name": "hello-world", "full_name": "octocat/hello-world",
            "owner": user("octocat", 1), "private": False, "default_branch": "main",
            "description": "My first repo", "stargazers_count": 80, "topics": ["demo", "octo"],
            "license": None,
        }
        # the latest release and the files behind its assets' browser_download_url
        tarball = b"\x1f\x8b fake tarball bytes \x00\xff"
        import hashlib
        digest = hashlib.sha256(tarball).hexdigest()
        self.downloads = {
            "tool-v1.4.2-x86_64-linux.tar.gz": tarball,
            "tool-v1.4.2-x86_64-linux.tar.gz.sha256": ("%s  tool-v1.4.2-x86_64-linux.tar.gz\n" % digest.upper()).encode(),
            "tool-v1.4.2-aarch64-darwin.zip": b"zip",
            "SHA256SUMS": ("%s  tool-v1.4.2-aarch64-darwin.zip\n" % hashlib.sha256(b"zip").hexdigest()).encode(),
        }
        self.release = {
            "id": 5001, "tag_name": "v1.4.2", "name": "Tool 1.4.2", "draft": False, "prerelease": False,
            "assets": [{"id": 9000 + i, "name": name, "size": len(body),
                        "browser_download_url": "%s/downloads/%s" % (self.url, name)}
                       for i, (name, body) in enumerate(self.downloads.items())],
        }

    # --- routing -----------------------------------------------------------------------
    def route(self, r):
        auth = r.header("Authorization")
        if auth is not None and auth != "Bearer " + GITHUB_TOKEN:
            return Response(401, {"message": "Bad credentials",
                                  "documentation_url": "https://docs.github.com/rest"})
        path = r.path
        if path.startswith("/api/v3/"):
            path = path[len("/api/v3"):]
        elif path == "/api/graphql":
            path = "/graphql"
        elif path.startswith("/api/"):
            return not_found("Not Found")
        if path == "/graphql" and r.path != "/api/v3/graphql":
            return self.graphql(r)
        if path.startswith("/downloads/") and r.method == "GET":
            body = self.downloads.get(path[len("/downloads/"):])
            if body is None:
                return not_found("Not Found")
            return Response(200, body, "application/octet-stream")
        m = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
        if not m:
            return not_found("Not Found")
        owner, name, rest = m.group(1), m.group(2), m.group(3) or ""
        if (owner, name) != ("octocat", "hello-world"):
            return not_found("Not Found")
        return self.repo_route(r, rest)

    def repo_route(self, r, rest):
        q = {k: v[-1] for k, v in r.query.items()}
        if rest == "" and r.method == "GET":
            return ok(self.repo)
        if rest == "/releases/latest" and r.method == "GET":
            return ok(self.release) if self.release else not_found("Not Found")
        if rest == "/pulls" and r.method == "GET":
            state = q.get("state", "open")
            items = [p for p in self.pulls.values() if state == "all" or p["state"] == state]
            if q.get("direction") == "desc":
                items.reverse()
            return ok(items[:int(q.get("per_page", 30))])
        m = re.match(r"^/pulls/(\d+)(/reviews|/merge)?$", rest)
        if m:
            number, sub = int(m.group(1)), m.group(2)
            pr = self.pulls.get(number)
            if pr is None:
                return not_found("Not Found")
            if sub is None and r.method == "GET":
                return ok(pr)
            if sub == "/reviews" and r.method == "GET":
                return ok(self.reviews.get(number, []))
            if sub == "/merge" and r.method == "PUT":
                return self.merge(r, pr)
            return Response(405, {"message": "Method Not Allowed"})
        if rest == "/issues" and r.method == "GET":
            state = q.get("state", "open")
            items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
            if "labels" in q:
                wanted = set(q["labels"].split(","))
                items = [i for i in items if wanted <= {lab["name"] for lab in i["labels"]}]
            return ok(items[:int(q.get("per_page", 30))])
        if rest == "/issues" and r.method == "POST":
            return self.create_issue(r)
        m = re.match(r"^/issues/(\d+)(/comments)?$", rest)
        if m:
            number = int(m.group(1))
            if number not in self.issues:
                return not_found("Not Found")
            if m.group(2) is None and r.method == "GET":
                return ok(self.issues[number])
            if m.group(2) and r.method == "POST":
                body = self.json_object(r)
                if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                    return Response(422, {"message": "Invalid request."})
                comment = {"id": 5000 + len(self.comments), "body": body["body"], "user": user("octocat", 1),
                           "issue_url": "https://api.github.com/repos/octocat/hello-world/issues/%d" % number}
                self.comments.append(comment)
                return ok(comment, 201)
        if rest == "/actions/runs" and r.method == "GET":
            runs = [x for x in self.runs
                    if ("status" not in q or x["status"] == q["status"])
                    and ("branch" not in q or x["head_branch"] == q["branch"])]
            runs = runs[:int(q.get("per_page", 30))]
            return ok({"total_count": len(runs), "workflow_runs": runs})
        m = re.match(r"^/actions/runs/(\d+)$", rest)
        if m and r.method == "GET":
            for run in self.runs:
                if run["id"] == int(m.group(1)):
                    return ok(run)
            return not_found("Not Found")
        return not_found("Not Found")

    @staticmethod
    def json_object(r):
        try:
            return json.loads(r.body or b"null")
        except ValueError:
            return None

    def merge(self, r, pr):
        body = self.json_object(r) if r.body else {}
        if not isinstance(body, dict):
            return Response(422, {"message": "Invalid request.\n\nFor 'links/0/schema', [] is not an object."})
        if pr["state"] != "open":
            return Response(405, {"message": "Pull Request is not mergeable"})
        method = body.get("merge_method", "merge")
        if method not in ("merge", "squash", "rebase"):
            return Response(422, {"message": "Invalid merge_method"})
        pr["state"], pr["merged"] = "closed", True
        return ok({"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "merged": True,
                   "message": "Pull Request successfully merged"})

    def create_issue(self, r):
        body = self.json_object(r)
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return Response(422, {"message": "Invalid request.\n\n\"title\" wasn't supplied."})
        number = max(self.issues) + 1
        created = issue(number, body["title"], "open", body.get("labels") or [])
        created["body"] = body.get("body")
        created["assignees"] = [user(a, 0) for a in body.get("assignees") or []]
        if "milestone" in body:
            created["milestone"] = {"number": body["milestone"]}
        self.issues[number] = created
        return ok(created, 201)

    def graphql(self, r):
        if r.method != "POST":
            return not_found("Not Found")
        body = self.json_object(r)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return Response(400, {"message": "Problems parsing JSON"})
        variables = body.get("variables", {})
        if not isinstance(variables, dict):
            return Response(400, {"message": "Variables are invalid JSON."})
        query = body["query"]
        if "bogusField" in query:
            return ok({"errors": [{"message": "Field 'bogusField' doesn't exist on type 'Query'",
                                   "locations": [{"line": 1, "column": 3}]}]})
        if "repository" in query:
            repo = copy.deepcopy(self.repo)
            return ok({"data": {"repository": {
                "name": variables.get("name", repo["name"]), "owner": {"login": variables.get("owner", "octocat")},
                "stargazerCount": repo["stargazers_count"],
                "pullRequests": {"totalCount": sum(1 for p in self.pulls.values() if p["state"] == "open")},
            }}})
        return ok({"data": {"viewer": {"login": "octocat"}}})


github_server, github = _fixtures(FakeGitHub, "github")
