"""An in-memory Huly transactor REST API for the assay.huly tests.

Built on fakes.FakeService. It answers like Huly's transactor where the module can tell:

- Routes are `/_transactor/api/v1/<op>/<workspace uuid>`; they need `Authorization: Bearer
  <TOKEN>` (401 `{"message": "Unauthorized", "error": ...}`) and an existing workspace (404).
- `GET find-all?class=&query=<json>&options=<json>` answers `{"dataType": "TotalArray",
  "total", "value"}`; documents lose `_class` and the attributes the query pins to one value
  (as the real transactor strips them); `total` is -1 unless `options.total`; `limit`, `sort`
  ({field: 1|-1}) are honoured; query values are matched for equality (and `$in`).
- `POST tx` takes one transaction document: `_id` must be 24 hex characters, `space` must be
  `core:space:Tx`, `modifiedBy` must be the token's social id; TxCreateDoc needs `attributes`
  (an issue also a non-empty `rank`, `number` and `identifier`); TxUpdateDoc applies plain
  fields and `$inc`, and with `retrieve` answers `{"object": <new doc>}`, else `[]`; TxRemoveDoc
  removes. Failures answer 400 `{"message": "Bad request", "error": "<what went wrong>"}`.
- `GET account` answers the token's account; `POST ensure-person` upserts a person by social id;
  `GET search-fulltext?query=` matches titles; `GET load-model` answers a small model.
"""
import itertools
import json
import re
from urllib.parse import parse_qs

from fakes import FakeService, Response, _fixtures, ok

TOKEN = "huly-token.eyJhY2NvdW50Ijoi"
WORKSPACE = "3f1c2b7e-5a7d-4c42-9a9f-0d9f2a6c1e11"
SOCIAL_ID = "1120000000000000001"
PROJECT_ID = "65f0aa000000000000000001"


def bad(message):
    return Response(400, {"message": "Bad request", "error": message})


class FakeHuly(FakeService):
    name = "huly"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.persons = {}
        self.counter = itertools.count(1)
        self.docs = {
            PROJECT_ID: {"_id": PROJECT_ID, "_class": "tracker:class:Project", "space": "core:space:Space",
                         "name": "Platform", "identifier": "PLAT", "sequence": 4,
                         "defaultIssueStatus": "tracker:status:Todo"},
            "65f0aa000000000000000002": {"_id": "65f0aa000000000000000002", "_class": "tracker:class:Issue",
                                         "space": PROJECT_ID, "title": "Existing bug", "number": 4,
                                         "identifier": "PLAT-4", "status": "tracker:status:Todo", "modifiedOn": 1},
            "tracker:status:Todo": {"_id": "tracker:status:Todo", "_class": "tracker:class:IssueStatus",
                                    "ofAttribute": "tracker:attribute:IssueStatus", "name": "Todo"},
            "tracker:status:Done": {"_id": "tracker:status:Done", "_class": "tracker:class:IssueStatus",
                                    "ofAttribute": "tracker:attribute:IssueStatus", "name": "Done"},
        }
        self.txes = []

    def reset(self):
        super().reset()
        self._state()

    @staticmethod
    def matches(doc, query):
        for k, v in query.items():
            if isinstance(v, dict) and "$in" in v:
                if doc.get(k) not in v["$in"]:
                    return False
            elif doc.get(k) != v:
                return False
        return True

    def route(self, r):
        m = re.fullmatch(r"/_transactor/api/v1/([a-z-]+)/([^/]+)", r.path)
        if not m:
            return Response(404, "Not found", "text/plain")
        if r.header("Authorization") != "Bearer " + TOKEN:
            return Response(401, {"message": "Unauthorized", "error": "Invalid token"})
        op, ws = m.groups()
        if ws != WORKSPACE:
            return Response(404, {"message": "Not found", "error": "Workspace not found"})
        q = {k: v[-1] for k, v in parse_qs(r.raw_query, keep_blank_values=True).items()}
        if op == "account" and r.method == "GET":
            return ok({"uuid": "acc-1", "role": "OWNER", "primarySocialId": SOCIAL_ID, "socialIds": [SOCIAL_ID]})
        if op == "load-model" and r.method == "GET":
            model = [{"_class": "core:class:TxCreateDoc", "objectId": "tracker:class:Issue"}]
            if q.get("full") == "true":
                model.append({"_class": "core:class:TxCreateDoc", "objectId": "view:class:Viewlet"})
            return ok(model)
        if op == "find-all" and r.method == "GET":
            cls = q.get("class")
            if not cls:
                return bad("class is required")
            try:
                query = json.loads(q.get("query", "{}"))
                options = json.loads(q.get("options", "{}"))
            except ValueError:
                return bad("query and options must be JSON")
            found = [d for d in self.docs.values() if d["_class"] == cls and self.matches(d, query)]
            for field, direction in (options.get("sort") or {}).items():
                found.sort(key=lambda d: (d.get(field) is None, d.get(field)), reverse=direction == -1)
            total = len(found) if options.get("total") else -1
            if options.get("limit"):
                found = found[:options["limit"]]
            pinned = {k for k, v in query.items() if not isinstance(v, (dict, list))}
            value = [{k: v for k, v in d.items() if k != "_class" and k not in pinned} for d in found]
            return ok({"dataType": "TotalArray", "total": total, "lookupMap": None, "value": value})
        if op == "search-fulltext" and r.method == "GET":
            hits = [d for d in self.docs.values() if q.get("query", "").lower() in str(d.get("title", "")).lower()]
            return ok({"docs": [{"id": d["_id"], "title": d["title"]} for d in hits], "total": len(hits)})
        if op == "ensure-person" and r.method == "POST":
            body = json.loads(r.body)
            key = (body["socialType"], body["socialValue"])
            if key not in self.persons:
                self.persons[key] = {"uuid": "person-%d" % next(self.counter), "socialId": "soc-%d" % len(self.persons),
                                     "localPerson": "lp-%d" % len(self.persons)}
            return ok(self.persons[key])
        if op == "tx" and r.method == "POST":
            return self.tx(r)
        return Response(404, {"message": "Not found", "error": "Unknown route"})

    def tx(self, r):
        try:
            tx = json.loads(r.body)
        except ValueError:
            return bad("body is not JSON")
        if not isinstance(tx, dict) or not re.fullmatch(r"[0-9a-f]{24}", str(tx.get("_id"))):
            return bad("tx _id must be 24 hex characters")
        if tx.get("space") != "core:space:Tx":
            return bad("tx must be in core:space:Tx")
        if tx.get("modifiedBy") != SOCIAL_ID:
            return bad("modifiedBy is not the account's social id")
        self.txes.append(tx)
        kind, oid = tx.get("_class"), tx.get("objectId")
        if kind == "core:class:TxCreateDoc":
            attrs = tx.get("attributes")
            if not isinstance(attrs, dict) or not tx.get("objectSpace"):
                return bad("TxCreateDoc needs attributes and objectSpace")
            if tx["objectClass"] == "tracker:class:Issue" and not (attrs.get("rank") and attrs.get("number") and attrs.get("identifier")):
                return bad("issue needs rank, number and identifier")
            self.docs[oid] = dict(attrs, _id=oid, _class=tx["objectClass"], space=tx["objectSpace"],
                                  modifiedOn=tx.get("modifiedOn"), createdBy=tx.get("createdBy"))
            return ok([])
        if oid not in self.docs:
            return bad("document %s not found" % oid)
        if kind == "core:class:TxUpdateDoc":
            doc = self.docs[oid]
            for k, v in (tx.get("operations") or {}).items():
                if k == "$inc":
                    for field, n in v.items():
                        doc[field] = doc.get(field, 0) + n
                elif k.startswith("$"):
                    return bad("unsupported operation " + k)
                else:
                    doc[k] = v
            return ok({"object": doc} if tx.get("retrieve") else [])
        if kind == "core:class:TxRemoveDoc":
            del self.docs[oid]
            return ok([])
        return bad("unknown tx class %s" % kind)


huly_server, huly = _fixtures(FakeHuly, "huly")
