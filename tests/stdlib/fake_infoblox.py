"""An Infoblox WAPI fake for the assay.infoblox tests, on fakes.FakeService.

Like NIOS WAPI where the module can tell the difference:
- Basic `USER:PASSWORD` on every request, else 401 (text body).
- Routes are `/wapi/v<major>.<minor>/<object type>` and `/wapi/v.../<_ref>`.
- Searches take field arguments (`name`, `name~` as a regular expression, `ipv4addr`, `view`,
  `network`, `network_view`) and `_return_fields` / `_return_fields+` (comma-separated; a
  `+` sent raw arrives as a space and is refused as an unknown argument, like any unknown
  argument: 400 `{"Error": "AdmConProtoError: ...", "code": "Client.Ibap.Proto", "text": ...}`).
- More than `_max_results` (default 1000) results without paging answers 400 "Result set too
  large". `_paging=1` needs `_return_as_object=1` and `_max_results`; the answer is
  `{"result": [...], "next_page_id": ...}`, the next page is asked for with `_page_id`.
- POST creates (201, the new `_ref` as a JSON string), PUT updates, DELETE removes (200, the
  `_ref`); an unknown `_ref` answers 404 AdmConDataNotFoundError.
"""
import base64
import itertools
import json
import re

from fakes import FakeService, Response, _fixtures, ok

USER, PASSWORD = "admin", "infoblox"
SEARCH = {"name", "name~", "ipv4addr", "view", "zone", "network", "network_view", "canonical"}
CONTROL = {"_return_fields", "_return_fields+", "_max_results", "_paging", "_return_as_object", "_page_id"}


def wapi_error(status, kind, text):
    return Response(status, {"Error": "%s: %s" % (kind, text), "code": "Client.Ibap.Proto", "text": text})


class FakeInfoblox(FakeService):
    name = "infoblox"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.ids = itertools.count(1)
        self.objects = {}  # type -> [obj]
        for i in range(2500):
            self.add("record:a", {"name": "host%04d.example.com" % i, "ipv4addr": "10.%d.%d.%d" % (i // 65536, i // 256 % 256, i % 256),
                                  "view": "default"})
        self.add("record:cname", {"name": "www.example.com", "canonical": "host0001.example.com", "view": "default"})
        for net in ("10.0.0.0/16", "192.168.10.0/24"):
            self.add("network", {"network": net, "network_view": "default", "comment": "lab"})
        self.add("range", {"start_addr": "192.168.10.100", "end_addr": "192.168.10.200", "network": "192.168.10.0/24",
                           "network_view": "default"})
        self.objects["grid"] = [{"_ref": "grid/b25lLmNsdXN0ZXIkMA:Infoblox", "name": "Infoblox",
                                 "service_status": "ONLINE"}]
        self.pages = {}

    def reset(self):
        super().reset()
        self._state()

    def add(self, kind, fields):
        ref = "%s/ZG5zLm9iaiQ%d:%s/default" % (kind, next(self.ids), fields.get("name") or fields.get("network") or "x")
        obj = dict(fields, _ref=ref)
        self.objects.setdefault(kind, []).append(obj)
        return obj

    def find_ref(self, ref):
        for objs in self.objects.values():
            for obj in objs:
                if obj["_ref"] == ref:
                    return objs, obj
        return None, None

    def route(self, r):
        expected = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        if r.header("Authorization") != expected:
            return Response(401, "Authorization Required", "text/plain")
        m = re.fullmatch(r"/wapi/v\d+\.\d+/(.+)", r.path)
        if not m:
            return Response(404, "Not Found", "text/plain")
        target = m.group(1)
        if "/" in target:
            objs, obj = self.find_ref(target)
            if obj is None:
                return wapi_error(404, "AdmConDataNotFoundError", "Reference %s not found" % target)
            if r.method == "GET":
                return ok(obj)
            if r.method == "PUT":
                obj.update(json.loads(r.body))
                return ok(json.dumps(obj["_ref"]))
            if r.method == "DELETE":
                objs.remove(obj)
                return ok(json.dumps(obj["_ref"]))
            return wapi_error(400, "AdmConProtoError", "Unsupported method")
        if target not in self.objects and target not in ("record:a", "record:cname", "record:host", "network", "range"):
            return wapi_error(400, "AdmConProtoError", "Unknown object type (%s)" % target)
        if r.method == "POST":
            if (r.header("Content-Type") or "").split(";")[0] != "application/json":
                return wapi_error(400, "AdmConProtoError", "Content type must be application/json")
            data = json.loads(r.body)
            if target == "record:a" and not {"name", "ipv4addr"} <= set(data):
                return wapi_error(400, "AdmConProtoError", "Field is not writable or required: ipv4addr")
            return Response(201, json.dumps(self.add(target, data)["_ref"]))
        if r.method != "GET":
            return wapi_error(400, "AdmConProtoError", "Unsupported method")
        q = {k: v[-1] for k, v in r.query.items()}
        for key in q:
            if key not in SEARCH | CONTROL:
                return wapi_error(400, "AdmConProtoError", "Unknown argument/field: '%s'" % key)
        if "_page_id" in q:
            found = self.pages.pop(q["_page_id"], None)
            if found is None:
                return wapi_error(400, "AdmConProtoError", "Page id is not valid")
        else:
            found = list(self.objects.get(target, []))
            for key, value in q.items():
                if key == "name~":
                    found = [o for o in found if re.search(value, o.get("name", ""))]
                elif key in SEARCH:
                    found = [o for o in found if o.get(key) == value]
            fields = q.get("_return_fields")  # later pages keep the first request's fields
            if fields is not None:
                found = [{k: v for k, v in o.items() if k in fields.split(",") or k == "_ref"} for o in found]
        limit = int(q.get("_max_results", 1000))
        if q.get("_paging") == "1":
            if q.get("_return_as_object") != "1":
                return wapi_error(400, "AdmConProtoError", "_paging requires _return_as_object")
            body = {"result": found[:limit]}
            if len(found) > limit:
                page_id = "page%d" % next(self.ids)
                self.pages[page_id] = found[limit:]
                body["next_page_id"] = page_id
            return ok(body)
        if len(found) > limit:
            return wapi_error(400, "AdmConProtoError", "Result set too large (> %d)" % limit)
        return ok(found)


infoblox_server, infoblox = _fixtures(FakeInfoblox, "infoblox")
