"""An in-memory OpenStack cloud (Keystone v3, Nova, Glance, Neutron) for the assay.openstack tests.

Built on fakes.FakeService; every service lives under one port, routed by its first path segment,
the way a DevStack-style cloud publishes them behind one proxy:

- `POST /identity/v3/auth/tokens` takes the password method scoped to a project (by id, or by
  name with a domain), checks the user's name, password and domain, and answers 201 with the
  token in `X-Subject-Token` and `{"token": {project, catalog, ...}}`; wrong credentials 401.
- The catalog publishes identity WITHOUT a version (`/identity`), compute WITH its version and
  project (`/compute/v2.1/<project>`), image and network WITHOUT theirs (`/image`, `/network`),
  in region RegionOne (public and internal interfaces; internal ones point at a dead port).
  Requests must carry the version the real services expect (`/identity/v3`, `/image/v2`,
  `/network/v2.0`); anything else answers 404.
- Every service request needs `X-Auth-Token` of an issued token (or `PRESET_TOKEN`), else 401.
- Pagination as the real services do it: Glance pages by `limit` (default `IMAGE_PAGE`) and
  `marker`, answering `"next": "/v2/images?marker=…"`; Nova and Neutron page only when `limit`
  is given, with `<key>_links: [{"rel": "next", "href"}]` (an internal-host href, as clouds
  behind a proxy do); Keystone answers `links.next = null`.
- List filters are exact matches on the object's fields (`status=active`, `name=…`).
"""
import itertools
import json
import re
from urllib.parse import urlencode

from fakes import FakeService, Response, _fixtures, ok

USER, PASSWORD, PROJECT, PROJECT_ID = "admin", "s3cr3t", "demo", "p-demo"
PRESET_TOKEN = "preset-token"
IMAGE_PAGE = 2


def catalog(base):
    def svc(kind, name, path):
        return {"type": kind, "name": name, "id": kind + "-id", "endpoints": [
            {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": base + path, "id": kind + "1"},
            {"interface": "internal", "region": "RegionOne", "region_id": "RegionOne",
             "url": "http://127.0.0.1:9" + path, "id": kind + "2"},
        ]}
    return [svc("identity", "keystone", "/identity"), svc("compute", "nova", "/compute/v2.1/" + PROJECT_ID),
            svc("image", "glance", "/image"), svc("network", "neutron", "/network")]


def error(status, message):
    return Response(status, {"error": {"code": status, "message": message, "title": "Error"}})


class FakeOpenStack(FakeService):
    name = "openstack"

    def __init__(self):
        super().__init__()
        self._state()

    def _state(self):
        self.tokens = {PRESET_TOKEN}
        self.counter = itertools.count(1)
        self.projects = [{"id": PROJECT_ID, "name": PROJECT, "domain_id": "default", "enabled": True},
                         {"id": "p-ops", "name": "ops", "domain_id": "default", "enabled": False}]
        self.users = [{"id": "u-admin", "name": USER, "domain_id": "default", "enabled": True}]
        self.regions = [{"id": "RegionOne", "description": ""}]
        self.servers = [{"id": "s-%d" % i, "name": "web-%d" % i, "status": "ACTIVE" if i != 3 else "SHUTOFF",
                         "tenant_id": PROJECT_ID} for i in range(1, 4)]
        self.images = [{"id": "img-%d" % i, "name": "image-%d" % i, "status": "active" if i != 4 else "queued",
                        "visibility": "public"} for i in range(1, 6)]
        self.network = {
            "networks": [{"id": "net-1", "name": "private", "status": "ACTIVE"},
                         {"id": "net-2", "name": "public", "status": "ACTIVE", "router:external": True}],
            "subnets": [{"id": "sub-1", "network_id": "net-1", "cidr": "10.0.0.0/24"}],
            "ports": [{"id": "port-%d" % i, "network_id": "net-1", "device_id": "s-%d" % i} for i in range(1, 4)],
            "routers": [{"id": "r-1", "name": "router1", "status": "ACTIVE"}],
            "security_groups": [{"id": "sg-1", "name": "default", "security_group_rules": []}],
        }

    def reset(self):
        super().reset()
        self._state()

    # --- Keystone -------------------------------------------------------------------
    def issue_token(self, r):
        try:
            auth = r.json()["auth"]
            ident = auth["identity"]
            assert ident["methods"] == ["password"]
            user = ident["password"]["user"]
            project = auth["scope"]["project"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return error(400, "Expecting to find identity in auth.")
        if "application/json" not in (r.header("Content-Type") or ""):
            return error(415, "Unsupported media type")
        udomain = user.get("domain") or {}
        if (user.get("name"), user.get("password")) != (USER, PASSWORD) or \
                not (udomain.get("name") == "Default" or udomain.get("id") == "default"):
            return error(401, "The request you have made requires authentication.")
        if "id" in project:
            ok_project = project["id"] == PROJECT_ID
        else:
            pdomain = project.get("domain") or {}
            ok_project = project.get("name") == PROJECT and (pdomain.get("name") == "Default" or pdomain.get("id") == "default")
        if not ok_project:
            return error(401, "The request you have made requires authentication.")
        token = "gAAAA-token-%d" % next(self.counter)
        self.tokens.add(token)
        body = {"token": {"methods": ["password"], "expires_at": "2030-01-01T00:00:00.000000Z",
                          "user": {"id": "u-admin", "name": USER, "domain": {"id": "default", "name": "Default"}},
                          "project": {"id": PROJECT_ID, "name": PROJECT, "domain": {"id": "default", "name": "Default"}},
                          "roles": [{"id": "r1", "name": "reader"}], "catalog": catalog(self.url)}}
        return Response(201, body, headers={"X-Subject-Token": token})

    # --- helpers --------------------------------------------------------------------
    @staticmethod
    def filtered(items, query, skip=("limit", "marker", "all_tenants")):
        for key, values in query.items():
            if key not in skip:
                items = [i for i in items if str(i.get(key)).lower() == values[-1].lower()]
        return items

    @staticmethod
    def page(items, query, default_limit=None):
        limit = int(query["limit"][-1]) if "limit" in query else default_limit
        if "marker" in query:
            ids = [i["id"] for i in items]
            marker = query["marker"][-1]
            if marker not in ids:
                return None, None
            items = items[ids.index(marker) + 1:]
        if limit is None or len(items) <= limit:
            return items, None
        return items[:limit], items[limit - 1]["id"]

    def listing(self, r, key, items, default_limit=None, base=""):
        items = self.filtered(items, r.query)
        shown, marker = self.page(items, r.query, default_limit)
        if shown is None:
            return error(404, "marker not found")
        body = {key: shown}
        if marker:
            q = {k: v[-1] for k, v in r.query.items() if k != "marker"}
            q["marker"] = marker
            body[key + "_links"] = [{"rel": "next", "href": "http://internal:8774%s?%s" % (base, urlencode(q))}]
        return ok(body)

    @staticmethod
    def one(items, ident, key):
        found = [i for i in items if i["id"] == ident]
        if not found:
            return error(404, "%s %s could not be found." % (key, ident))
        return ok({key: found[0]} if key else found[0])

    # --- routing --------------------------------------------------------------------
    def route(self, r):
        p, method = r.path, r.method
        if p == "/identity/v3/auth/tokens" and method == "POST":
            return self.issue_token(r)
        if r.header("X-Auth-Token") not in self.tokens:
            return error(401, "The request you have made requires authentication.")
        if method != "GET":
            return error(405, "read-only fake")
        m = re.fullmatch(r"/identity/v3/(projects|users|regions)(?:/([^/]+))?", p)
        if m:
            kind, ident = m.groups()
            items = {"projects": self.projects, "users": self.users, "regions": self.regions}[kind]
            if ident:
                return self.one(items, ident, kind[:-1])
            return ok({kind: self.filtered(items, r.query),
                       "links": {"self": self.url + p, "next": None, "previous": None}})
        prefix = "/compute/v2.1/" + PROJECT_ID
        if p == prefix + "/servers/detail":
            return self.listing(r, "servers", self.servers, base="/v2.1/%s/servers/detail" % PROJECT_ID)
        m = re.fullmatch(re.escape(prefix) + r"/servers/([^/]+)", p)
        if m:
            return self.one(self.servers, m.group(1), "server")
        if p == prefix + "/limits":
            return ok({"limits": {"absolute": {"maxTotalInstances": 10, "totalInstancesUsed": len(self.servers)},
                                  "rate": []}})
        m = re.fullmatch(re.escape(prefix) + r"/os-quota-sets/([^/]+)/detail", p)
        if m:
            return ok({"quota_set": {"id": m.group(1), "instances": {"limit": 10, "in_use": 3, "reserved": 0},
                                     "cores": {"limit": 20, "in_use": 6, "reserved": 0}}})
        if p == "/image/v2/images":
            items = self.filtered(self.images, r.query)
            shown, marker = self.page(items, r.query, IMAGE_PAGE)
            if shown is None:
                return error(400, "marker not found")
            body = {"images": shown, "first": "/v2/images", "schema": "/v2/schemas/images"}
            if marker:
                q = {k: v[-1] for k, v in r.query.items() if k != "marker"}
                q["marker"] = marker
                body["next"] = "/v2/images?" + urlencode(q)
            return ok(body)
        m = re.fullmatch(r"/image/v2/images/([^/]+)", p)
        if m:
            return self.one(self.images, m.group(1), None)
        m = re.fullmatch(r"/network/v2\.0/(networks|subnets|ports|routers|security-groups)(?:/([^/]+))?", p)
        if m:
            kind, ident = m.group(1).replace("-", "_"), m.group(2)
            if ident:
                return self.one(self.network[kind], ident, kind[:-1])
            return self.listing(r, kind, self.network[kind], base="/v2.0/" + m.group(1))
        m = re.fullmatch(r"/network/v2\.0/quotas/([^/]+)", p)
        if m:
            return ok({"quota": {"network": 100, "subnet": 100, "port": 500, "router": 10, "security_group": 10}})
        return Response(404, "404 Not Found\n\nThe resource could not be found.", "text/plain")


openstack_server, openstack = _fixtures(FakeOpenStack, "openstack")
