"""An in-memory ExcaliDash backend (behind the dashboard's /api prefix) for the assay.excalidash tests.

Built on fakes.FakeService. It answers like ExcaliDash where the module can tell:

- Credentials are Bearer tokens: the API key `API_KEY` or the session access token `SESSION`.
  The API key is accepted only on `/drawings`, `/drawings/<id>`, `/collections` and
  `/collections/<id>` (anything deeper answers 403 `{"error": "Forbidden", "message": "API key
  scope ..."}`), and only without `Origin`/`Referer` headers.
- Session writes (POST/PUT/PATCH/DELETE) need CSRF: `GET /api/csrf-token` answers
  `{"token", "header": "x-csrf-token"}` and sets cookie `excalidash-csrf-client`; a write must
  send that header AND that cookie, else 403 `{"error": "CSRF token validation failed"}`.
- `PUT /drawings/<id>` with a `version` that is not the current one answers 409
  `{"error": "Conflict", "code": "VERSION_CONFLICT", "currentVersion"}`; every scene write
  snapshots the previous scene into history and bumps `version`. Restore needs `version` (400).
- Create needs `elements` as a JSON array (400 otherwise). Lists page by `limit`/`offset`
  (at most 200) and filter by `search` (substring) and `collectionId`.
- A link share's `expiresAt` may be omitted (default lifetime) or null (never expires).
- Anything outside `/api/` answers the dashboard's HTML page with 200, as nginx's SPA fallback does.
"""
import itertools
import json
import re

from fakes import FakeService, Response, _fixtures, ok

API_KEY = "exd_key_0123456789"
SESSION = "eyJhbGciOiJIUzI1NiJ9.session"
CSRF_TOKEN = "csrf-abc123"
CSRF_COOKIE = "cookie-xyz789"
USER = "user-1"


def fail(status, error, **extra):
    return Response(status, dict({"error": error}, **extra))


class FakeExcaliDash(FakeService):
    name = "excalidash"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(1)
        self.drawings = {}
        for i in range(1, 6):
            self.make({"name": "Diagram %d" % i, "elements": [{"id": "e%d" % i, "type": "rectangle"}], "appState": {}})
        self.collections = {"col-1": {"id": "col-1", "name": "Architecture", "isOwner": True}}
        self.snapshots = {}
        self.shares = {}
        self.permissions = {}
        self.links = {}

    def reset(self):
        super().reset()
        self._state()

    def make(self, body, collection=None):
        did = "d-%d" % next(self.ids)
        self.drawings[did] = {"id": did, "name": body.get("name") or "Untitled", "collectionId": collection,
                              "elements": body["elements"], "appState": body.get("appState") or {},
                              "files": body.get("files") or {}, "version": 1}
        return self.drawings[did]

    def auth(self, r):
        auth = r.header("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token == API_KEY:
            if r.header("Origin") or r.header("Referer"):
                return fail(401, "Unauthorized", message="API keys are for scripts: no Origin or Referer")
            if not re.fullmatch(r"/api/(drawings|collections)(/[^/]+)?", r.path) or r.path == "/api/drawings/shared":
                return fail(403, "Forbidden", message="API key scope does not cover this route")
            return None
        if token == SESSION:
            if r.method != "GET":
                cookie = r.header("Cookie") or ""
                if r.header("x-csrf-token") != CSRF_TOKEN or "excalidash-csrf-client=" + CSRF_COOKIE not in cookie:
                    return fail(403, "CSRF token validation failed")
            return None
        return fail(401, "Unauthorized", message="Missing or invalid credentials")

    def route(self, r):
        if not r.path.startswith("/api/"):
            return Response(200, "<!doctype html><html><body>ExcaliDash</body></html>", "text/html")
        if r.path == "/api/csrf-token" and r.method == "GET":
            return Response(200, {"token": CSRF_TOKEN, "header": "x-csrf-token"},
                            headers={"Set-Cookie": "excalidash-csrf-client=%s; Path=/; HttpOnly; SameSite=Strict" % CSRF_COOKIE})
        denied = self.auth(r)
        if denied:
            return denied
        body = None
        if r.method in ("POST", "PUT", "PATCH"):
            try:
                body = json.loads(r.body or b"null")
            except ValueError:
                return fail(400, "Invalid JSON")
            if not isinstance(body, dict):
                return fail(400, "Body must be an object")
        p, m, q = r.path[4:], r.method, {k: v[-1] for k, v in r.query.items()}
        if p == "/drawings" and m == "GET":
            rows = [d for d in self.drawings.values()
                    if q.get("search", "").lower() in d["name"].lower()
                    and ("collectionId" not in q or d["collectionId"] == q["collectionId"])]
            limit, offset = min(int(q.get("limit", 200)), 200), int(q.get("offset", 0))
            page = rows[offset:offset + limit]
            if q.get("includeData") != "true":
                page = [{k: v for k, v in d.items() if k not in ("elements", "appState", "files")} for d in page]
            return ok({"drawings": page, "totalCount": len(rows), "limit": limit, "offset": offset})
        if p == "/drawings" and m == "POST":
            if not isinstance(body.get("elements"), list):
                return fail(400, "Validation failed", message="elements must be an array")
            return ok(self.make(body, body.get("collectionId")), 201)
        if p == "/drawings/shared" and m == "GET":
            return ok({"drawings": [{"id": "d-x", "name": "Theirs", "accessLevel": "view", "collectionId": None}],
                       "totalCount": 1})
        if p == "/collections" and m == "GET":
            return ok(list(self.collections.values()) + [{"id": "trash", "name": "Trash", "isOwner": True}])
        if p == "/collections" and m == "POST":
            cid = "col-%d" % (100 + next(self.ids))
            self.collections[cid] = {"id": cid, "name": body.get("name"), "isOwner": True}
            return ok(self.collections[cid], 201)
        mm = re.fullmatch(r"/collections/([^/]+)(?:/(shares|share-resolve)(?:/([^/]+))?)?", p)
        if mm:
            cid, sub, uid = mm.groups()
            if cid not in self.collections:
                return fail(404, "Collection not found")
            if sub is None and m == "PUT":
                self.collections[cid]["name"] = body.get("name")
                return ok(self.collections[cid])
            if sub is None and m == "DELETE":
                del self.collections[cid]
                return ok({"success": True})
            shares = self.shares.setdefault(cid, {})
            if sub == "shares" and uid is None and m == "GET":
                return ok({"shares": list(shares.values())})
            if sub == "shares" and uid is None and m == "POST":
                user = "user-%s" % body["identifier"].split("@")[0]
                shares[user] = {"userId": user, "role": body.get("role")}
                return ok({"share": shares[user]}, 201)
            if sub == "shares" and uid in shares and m == "PATCH":
                shares[uid]["role"] = body.get("role")
                return ok({"success": True})
            if sub == "shares" and uid in shares and m == "DELETE":
                del shares[uid]
                return Response(204, b"", None)
            if sub == "share-resolve" and m == "GET":
                return ok({"users": [{"id": "user-ada", "email": "ada@example.com"}] if q.get("q") else []})
            return fail(404, "Not found")
        mm = re.fullmatch(r"/drawings/([^/]+)(?:/(\w[\w-]*)(?:/([^/]+)(?:/(restore))?)?)?", p)
        if not mm:
            return fail(404, "Not found")
        did, sub, sid, restore = mm.groups()
        if did not in self.drawings:
            return fail(404, "Drawing not found")
        d = self.drawings[did]
        if sub is None:
            if m == "GET":
                return ok(d)
            if m == "PUT":
                if "version" in body and body["version"] != d["version"]:
                    return fail(409, "Conflict", code="VERSION_CONFLICT", message="The drawing changed since it was read",
                                currentVersion=d["version"])
                if any(k in body for k in ("elements", "appState", "files")):
                    snap = "s-%d" % next(self.ids)
                    self.snapshots.setdefault(did, []).insert(0, {"id": snap, "version": d["version"],
                                                                  "elements": d["elements"], "createdAt": "2026-01-01T00:00:00Z"})
                    d["version"] += 1
                for k in ("name", "collectionId", "elements", "appState", "files", "preview"):
                    if k in body:
                        d[k] = body[k]
                return ok(d)
            if m == "DELETE":
                del self.drawings[did]
                return ok({"success": True})
        if sub == "duplicate" and m == "POST":
            return ok(self.make(dict(d, name=d["name"] + " (Copy)"), d["collectionId"]), 201)
        if sub == "history":
            snaps = self.snapshots.get(did, [])
            if sid is None and m == "GET":
                limit = int(q.get("limit", 50))
                return ok({"snapshots": [{k: s[k] for k in ("id", "version", "createdAt")} for s in snaps[:limit]],
                           "totalCount": len(snaps)})
            snap = next((s for s in snaps if s["id"] == sid), None)
            if snap is None:
                return fail(404, "Snapshot not found")
            if restore is None and m == "GET":
                return ok(snap)
            if restore and m == "POST":
                if "version" not in body:
                    return fail(400, "Validation failed", message="version is required")
                if body["version"] != d["version"]:
                    return fail(409, "Conflict", code="VERSION_CONFLICT", currentVersion=d["version"])
                d["elements"], d["version"] = snap["elements"], d["version"] + 1
                return ok(d)
        if sub == "sharing" and m == "GET":
            return ok({"permissions": list(self.permissions.get(did, {}).values()),
                       "linkShares": list(self.links.get(did, {}).values())})
        if sub == "permissions":
            perms = self.permissions.setdefault(did, {})
            if sid is None and m == "POST":
                if body.get("granteeUserId") == USER:
                    return fail(400, "Cannot share with yourself")
                pid = "perm-%d" % next(self.ids)
                perms[pid] = {"id": pid, "granteeUserId": body["granteeUserId"], "permission": body.get("permission")}
                return ok({"permission": perms[pid]}, 201)
            if sid in perms and m == "DELETE":
                del perms[sid]
                return ok({"success": True})
        if sub == "link-shares":
            links = self.links.setdefault(did, {})
            if sid is None and m == "POST":
                expires = body["expiresAt"] if "expiresAt" in body else "2026-01-08T00:00:00Z"
                links.clear()
                lid = "link-%d" % next(self.ids)
                links[lid] = {"id": lid, "permission": body.get("permission"), "expiresAt": expires}
                return ok({"share": links[lid]}, 201)
            if sid in links and m == "DELETE":
                del links[sid]
                return ok({"success": True})
        if sub == "share-resolve" and m == "GET":
            if len(q.get("q", "")) < 3:
                return fail(400, "Query must be at least 3 characters")
            return ok({"users": [{"id": "user-ada", "email": "ada@example.com"}]})
        return fail(404, "Not found")


excalidash_server, excalidash = _fixtures(FakeExcaliDash, "excalidash")
