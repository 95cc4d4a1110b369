"""A SonarQube Web API fake for the assay.sonarqube tests, on fakes.FakeService.

Like SonarQube 10 where the module can tell the difference:
- `GET /api/system/status` needs no auth; everything else needs `Authorization: Bearer TOKEN`
  or Basic `TOKEN:` (a token as login, older servers) or `admin:admin`, else 401 with an empty
  body.
- Searches page with `p` (1-based) and `ps` (at most 500, else 400); a search past the
  10,000th result answers 400. Answers carry `paging {pageIndex, pageSize, total}`
  (issues also top-level `total`, `p`, `ps`). List parameters are comma-separated.
- Unknown projects/components answer 404 `{"errors": [{"msg": ...}]}`, a missing required
  parameter 400 in the same shape.
- Project "api" has 1203 issues (types and severities cycling), a failing gate and hotspots;
  project "web" has 2 issues and a passing gate (failing on branch "feature").
"""
import base64
import json

from fakes import FakeService, Response, _fixtures, ok

TOKEN = "squ_0123456789abcdef0123456789abcdef01234567"

TYPES = ["BUG", "VULNERABILITY", "CODE_SMELL"]
SEVERITIES = ["BLOCKER", "CRITICAL", "MAJOR", "MINOR", "INFO"]


def errors(status, msg):
    return Response(status, {"errors": [{"msg": msg}]})


class FakeSonarQube(FakeService):
    name = "sonarqube"

    def __init__(self):
        super().__init__()
        self.projects = {"api": {"key": "api", "name": "API", "qualifier": "TRK", "visibility": "private"},
                         "web": {"key": "web", "name": "Web frontend", "qualifier": "TRK", "visibility": "public"}}
        self.issues = [{"key": "AX-%04d" % i, "project": "api", "component": "api:src/f%d.py" % (i % 7),
                        "type": TYPES[i % 3], "severity": SEVERITIES[i % 5], "status": "OPEN"}
                       for i in range(1203)]
        self.issues += [{"key": "WEB-1", "project": "web", "component": "web:app.ts", "type": "BUG",
                         "severity": "MAJOR", "status": "OPEN"},
                        {"key": "WEB-2", "project": "web", "component": "web:app.ts", "type": "CODE_SMELL",
                         "severity": "MINOR", "status": "RESOLVED"}]
        self.hotspots = [{"key": "HS-%d" % i, "project": "api", "status": "TO_REVIEW" if i % 2 else "REVIEWED",
                          "vulnerabilityProbability": "HIGH"} for i in range(5)]

    def authorized(self, r):
        value = r.header("Authorization") or ""
        if value == "Bearer " + TOKEN:
            return True
        if value.startswith("Basic "):
            pair = base64.b64decode(value[6:]).decode()
            return pair in (TOKEN + ":", "admin:admin")
        return False

    def page(self, r, items, field, extra=None):
        q = {k: v[-1] for k, v in r.query.items()}
        p, ps = int(q.get("p", 1)), int(q.get("ps", 100))
        if ps > 500:
            return errors(400, "'ps' value (%d) must be less than 500" % ps)
        if p * ps > 10000 and (p - 1) * ps >= 10000:
            return errors(400, "Can return only the first 10000 results. %dth result asked." % (p * ps))
        body = {"paging": {"pageIndex": p, "pageSize": ps, "total": len(items)},
                field: items[(p - 1) * ps:p * ps]}
        body.update(extra or {})
        return ok(body)

    def route(self, r):
        if r.path == "/api/system/status":
            return ok({"id": "147B411E-AYk", "version": "10.7.0.96327", "status": "UP"})
        if not self.authorized(r):
            return Response(401, b"", None)
        if r.method != "GET":
            return errors(405, "method not allowed")
        q = {k: v[-1] for k, v in r.query.items()}
        if r.path == "/api/qualitygates/project_status":
            key = q.get("projectKey")
            if not key:
                return errors(400, "Either 'analysisId', 'projectId' or 'projectKey' must be provided")
            if key not in self.projects:
                return errors(404, "Project '%s' not found" % key)
            failing = key == "api" or q.get("branch") == "feature"
            cond = {"status": "ERROR" if failing else "OK", "metricKey": "new_coverage", "comparator": "LT",
                    "errorThreshold": "80", "actualValue": "61.5" if failing else "92.0"}
            return ok({"projectStatus": {"status": cond["status"], "conditions": [cond],
                                         "ignoredConditions": False}})
        if r.path == "/api/issues/search":
            found = self.issues
            if "componentKeys" in q:
                keys = q["componentKeys"].split(",")
                found = [i for i in found if i["project"] in keys]
            for param, field in (("types", "type"), ("severities", "severity"), ("statuses", "status")):
                if param in q:
                    found = [i for i in found if i[field] in q[param].split(",")]
            if q.get("resolved") == "false":
                found = [i for i in found if i["status"] != "RESOLVED"]
            resp = self.page(r, found, "issues")
            if resp.status == 200:
                body = json.loads(resp.body)
                body.update(total=len(found), p=body["paging"]["pageIndex"], ps=body["paging"]["pageSize"])
                return ok(body)
            return resp
        if r.path == "/api/hotspots/search":
            key = q.get("projectKey")
            if not key:
                return errors(400, "A value must be provided for either parameter 'projectKey' or 'hotspots'")
            if key not in self.projects:
                return errors(404, "Project '%s' not found" % key)
            found = [h for h in self.hotspots if h["project"] == key]
            if "status" in q:
                found = [h for h in found if h["status"] == q["status"]]
            return self.page(r, found, "hotspots")
        if r.path == "/api/measures/component":
            if "metricKeys" not in q or "component" not in q:
                return errors(400, "The 'metricKeys' parameter is missing")
            if q["component"] not in self.projects:
                return errors(404, "Component key '%s' not found" % q["component"])
            values = {"coverage": "87.5", "bugs": "3", "vulnerabilities": "0", "code_smells": "41"}
            measures = [{"metric": m, "value": values[m]} for m in q["metricKeys"].split(",") if m in values]
            return ok({"component": {"key": q["component"], "qualifier": "TRK", "measures": measures}})
        if r.path == "/api/projects/search":
            found = list(self.projects.values())
            if "q" in q:
                found = [p for p in found if q["q"].lower() in (p["key"] + p["name"]).lower()]
            return self.page(r, found, "components")
        return errors(404, "Unknown url : " + r.path)


sonarqube_server, sonarqube = _fixtures(FakeSonarQube, "sonarqube")
