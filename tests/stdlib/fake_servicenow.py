"""A ServiceNow fake (Table API and CMDB Instance API) for the assay.servicenow tests.

Like a ServiceNow instance where the module can tell the difference:
- Basic `USER:PASSWORD` or `Bearer TOKEN`, else 401
  `{"error": {"message": "User Not Authenticated", ...}, "status": "failure"}`.
- `/api/now/table/{table}`: GET lists `{"result": [...]}` with `X-Total-Count`, filtered by an
  encoded query (`field=value` terms joined by `^`, `ORDERBY`/`ORDERBYDESC` terms honoured),
  `sysparm_fields` (comma-separated), `sysparm_limit`/`sysparm_offset`; an unknown table answers
  400 "Invalid table". GET/PATCH/DELETE `/{sys_id}` (404 "No Record found"); POST answers
  201 with the record (sys_id and number filled in). Write bodies must be JSON objects sent
  as application/json.
- `/api/now/cmdb/instance/{class}`: GET lists `{sys_id, name}` (same query parameters), GET
  `/{sys_id}` answers `{attributes, outbound_relations, inbound_relations}`, POST takes
  `{attributes, source}` (source required, else 400).
"""
import base64
import itertools
import json

from fakes import FakeService, Response, _fixtures, ok

USER, PASSWORD = "admin", "pa ss:w0rd"
TOKEN = "snow-oauth-token-0123"


def failure(status, message, detail=""):
    return Response(status, {"error": {"message": message, "detail": detail}, "status": "failure"})


def matches(record, query):
    for term in filter(None, query.split("^")):
        if term.startswith("ORDERBY"):
            continue
        field, _, value = term.partition("=")
        if str(record.get(field, "")) != value:
            return False
    return True


def ordered(records, query):
    for term in reversed([t for t in query.split("^") if t.startswith("ORDERBY")]):
        desc = term.startswith("ORDERBYDESC")
        field = term[len("ORDERBYDESC"):] if desc else term[len("ORDERBY"):]
        records = sorted(records, key=lambda r: str(r.get(field, "")), reverse=desc)
    return records


class FakeServiceNow(FakeService):
    name = "servicenow"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(100)
        self.tables = {
            "incident": [{"sys_id": "inc%d" % i, "number": "INC001000%d" % i, "short_description": "disk full on db-%d" % i,
                          "priority": str(1 + i % 3), "active": "true" if i < 4 else "false", "state": "1"}
                         for i in range(5)],
            "change_request": [],
            "cmdb_ci_linux_server": [{"sys_id": "ci%d" % i, "name": "lnx-%02d" % i, "ip_address": "10.0.0.%d" % i,
                                      "os": "Linux", "operational_status": "1"} for i in range(3)],
        }

    def reset(self):
        super().reset()
        self._state()

    def authorized(self, r):
        value = r.header("Authorization") or ""
        if value == "Bearer " + TOKEN:
            return True
        return value == "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()

    def body(self, r):
        if (r.header("Content-Type") or "").split(";")[0] != "application/json":
            return None
        try:
            data = json.loads(r.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def listing(self, r, records):
        q = {k: v[-1] for k, v in r.query.items()}
        query = q.get("sysparm_query", "")
        found = ordered([x for x in records if matches(x, query)], query)
        total = len(found)
        offset = int(q.get("sysparm_offset", 0))
        limit = int(q.get("sysparm_limit", 10000))
        found = found[offset:offset + limit]
        if "sysparm_fields" in q:
            fields = q["sysparm_fields"].split(",")
            found = [{k: v for k, v in x.items() if k in fields} for x in found]
        return found, total

    def route(self, r):
        if not self.authorized(r):
            return failure(401, "User Not Authenticated", "Required to provide Auth information")
        parts = r.path.split("/")
        if r.path.startswith("/api/now/table/") and len(parts) in (5, 6):
            return self.table(r, parts[4], parts[5] if len(parts) == 6 else None)
        if r.path.startswith("/api/now/cmdb/instance/") and len(parts) in (6, 7):
            return self.cmdb(r, parts[5], parts[6] if len(parts) == 7 else None)
        return failure(400, "Requested URI does not represent any resource", r.path)

    def table(self, r, name, sys_id):
        if name not in self.tables:
            return failure(400, "Invalid table " + name)
        rows = self.tables[name]
        if sys_id is None:
            if r.method == "GET":
                found, total = self.listing(r, rows)
                return Response(200, {"result": found}, headers={"X-Total-Count": str(total)})
            if r.method == "POST":
                data = self.body(r)
                if data is None:
                    return failure(400, "Exception while reading request", "expected a JSON object")
                n = next(self.ids)
                record = dict(data, sys_id="new%d" % n, number="%s%07d" % ("CHG" if name == "change_request" else "INC", n))
                rows.append(record)
                return Response(201, {"result": record})
            return failure(405, "Method not Supported")
        record = next((x for x in rows if x["sys_id"] == sys_id), None)
        if record is None:
            return failure(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        if r.method == "GET":
            return ok({"result": record})
        if r.method == "PATCH":
            data = self.body(r)
            if data is None:
                return failure(400, "Exception while reading request", "expected a JSON object")
            record.update(data)
            return ok({"result": record})
        if r.method == "DELETE":
            rows.remove(record)
            return Response(204, b"", None)
        return failure(405, "Method not Supported")

    def cmdb(self, r, klass, sys_id):
        if not klass.startswith("cmdb_ci") or klass not in self.tables:
            return failure(400, "Invalid class " + klass)
        rows = self.tables[klass]
        if sys_id is None and r.method == "GET":
            found, _ = self.listing(r, rows)
            return ok({"result": [{"sys_id": x["sys_id"], "name": x.get("name", "")} for x in found]})
        if sys_id is None and r.method == "POST":
            data = self.body(r)
            if data is None or not data.get("source") or not isinstance(data.get("attributes"), dict):
                return failure(400, "Invalid payload", "attributes and source are required")
            record = dict(data["attributes"], sys_id="ci%d" % next(self.ids))
            rows.append(record)
            return Response(201, {"result": {"attributes": record, "outbound_relations": [], "inbound_relations": []}})
        record = next((x for x in rows if x["sys_id"] == sys_id), None)
        if record is None or r.method != "GET":
            return failure(404, "No Record found")
        return ok({"result": {"attributes": record, "outbound_relations": [], "inbound_relations": []}})


servicenow_server, servicenow = _fixtures(FakeServiceNow, "servicenow")
