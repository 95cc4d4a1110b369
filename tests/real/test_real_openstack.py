"""assay.openstack against a real OpenStack Keystone (keystone 30.0.0 from PyPI, SQLite, fernet
tokens; tests/services/keystone_serve.py). Keystone publishes itself WITHOUT an API version
(http://127.0.0.1:PORT/, as DevStack does), so every identity call goes through the module's
version resolution.

Runs for real: password auth scoped to a project (by name or id, domains by name or id), a
token handed in (`opts.token`), wrong credentials, the service catalog exactly as Keystone
builds it into the token (regions, interfaces, an unversioned URL, a `$(project_id)s` URL), and
the inventory Keystone itself serves: projects, users and regions (filters, one by id, a
missing one), with Keystone's own policy refusing a non-admin user.

Cannot run here: the compute, image and network calls. Nova, Glance and Neutron are not
started on this machine (each needs far more than one process and a SQLite file: cells and
placement, a message bus, network agents), so their request and response shapes are tested
against the fake only (tests/stdlib/test_openstack.py). The `compute` entries registered below
point at a stand-in that records what reached it and checks the token with this Keystone, as
Nova's auth middleware does: it proves which URL the catalog resolved to and that the token is
real, nothing about Nova itself.
"""
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.real_server("keystone")

CLIENT = """
local openstack = require("assay.openstack")
local c = openstack.client(env.get("OS_AUTH_URL"), {username = env.get("OS_USERNAME"),
  password = env.get("OS_PASSWORD"), project_name = env.get("OS_PROJECT_NAME"),
  region = env.get("OS_REGION_NAME")})
"""

READER_PASSWORD = "reader-pw"


class ComputeStandIn:
    """Answers any GET with one server when its X-Auth-Token is a token this Keystone issued
    (checked with GET /v3/auth/tokens, as Nova's middleware does), else 401; records
    (path, token valid) of every request in `.seen`, the tokens in `.tokens`."""

    def __init__(self, keystone):
        self.seen, self.tokens = [], []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                token = self.headers.get("X-Auth-Token")
                valid = stand_in.valid(token)
                stand_in.tokens.append(token)
                stand_in.seen.append((self.path, valid))
                body = json.dumps({"servers": [{"id": "s-1", "name": "vm-1", "status": "ACTIVE"}]}
                                  if valid else {"error": {"code": 401, "message": "bad token"}}).encode()
                self.send_response(200 if valid else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.keystone = keystone
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def valid(self, token):
        req = urllib.request.Request(self.keystone.url + "/v3/auth/tokens", headers={
            "X-Auth-Token": self.keystone.creds["token"], "X-Subject-Token": token or "-"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status == 200
        except urllib.error.HTTPError:
            return False

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def cloud(real_keystone):
    """The Keystone with: project `inventory` (a non-admin `reader` holding role `reader` on it,
    a disabled project `retired`), region `RegionTwo`, and service `nova` (type compute) with a
    public unversioned endpoint in RegionOne, an internal versioned one, and a public
    `…/v2.1/$(project_id)s` one in RegionTwo, all on the stand-in."""
    api = real_keystone.api
    compute = ComputeStandIn(real_keystone)
    project = api("POST", "/v3/projects", {"project": {"name": "inventory", "domain_id": "default",
                                                       "description": "assay inventory"}})["project"]
    api("POST", "/v3/projects", {"project": {"name": "retired", "domain_id": "default", "enabled": False}})
    user = api("POST", "/v3/users", {"user": {"name": "reader", "domain_id": "default",
                                              "password": READER_PASSWORD,
                                              "default_project_id": project["id"]}})["user"]
    reader_role = api("GET", "/v3/roles?name=reader")["roles"][0]
    api("PUT", "/v3/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], reader_role["id"]))
    api("POST", "/v3/regions", {"region": {"id": "RegionTwo", "description": "second"}})
    service = api("POST", "/v3/services", {"service": {"type": "compute", "name": "nova"}})["service"]
    for interface, region, url in (
            ("public", "RegionOne", compute.url + "/compute"),
            ("internal", "RegionOne", compute.url + "/internal/compute/v2.1"),
            ("public", "RegionTwo", compute.url + "/r2/compute/v2.1/$(project_id)s")):
        api("POST", "/v3/endpoints", {"endpoint": {"service_id": service["id"], "interface": interface,
                                                   "region_id": region, "url": url}})
    yield {"keystone": real_keystone, "compute": compute, "project": project, "user": user,
           "env": {"OS_AUTH_URL": real_keystone.url, "OS_USERNAME": "admin",
                   "OS_PASSWORD": real_keystone.creds["password"], "OS_PROJECT_NAME": "admin"}}
    compute.close()


def test_password_auth_scopes_a_token_to_the_project(flow, cloud):
    out = flow(CLIENT + """
local a = c:authenticate()
local again = c:authenticate()
local types = {}
for _, entry in ipairs(a.catalog) do types[#types + 1] = entry.type end
table.sort(types)
print(json.encode({project_id = a.project_id, same = again.project_id == a.project_id, types = types}))
""", **cloud["env"])
    admin_project = cloud["keystone"].api("GET", "/v3/projects?name=admin")["projects"][0]
    assert out == {"project_id": admin_project["id"], "same": True, "types": ["compute", "identity"]}


def test_project_by_id_and_domains_by_id(flow, cloud):
    out = flow("""
local openstack = require("assay.openstack")
local c = openstack.client(env.get("OS_AUTH_URL") .. "/v3/", {username = "reader",
  password = env.get("PW"), project_id = env.get("PROJECT_ID"), user_domain_id = "default"})
print(json.encode({project_id = c:authenticate().project_id}))
""", OS_AUTH_URL=cloud["keystone"].url, PW=READER_PASSWORD, PROJECT_ID=cloud["project"]["id"])
    assert out == {"project_id": cloud["project"]["id"]}


def test_wrong_password_is_a_one_line_error(flow_fails, cloud):
    err = flow_fails(CLIENT + "c:authenticate()\n", **dict(cloud["env"], OS_PASSWORD="wrong"))
    assert "HTTP 401" in err and "/auth/tokens" in err
    assert "Traceback" not in err


def test_one_token_serves_every_call_and_a_given_token_works(flow, cloud):
    keystone, compute = cloud["keystone"], cloud["compute"]
    compute.seen.clear()
    compute.tokens.clear()
    before = keystone.token_requests()
    out = flow(CLIENT + """
c:authenticate()
local n = #c.compute:list_servers() + #c.compute:list_servers() + #c.identity:list_projects()
c:authenticate()
print(json.encode({n = n}))
""", **cloud["env"])
    assert keystone.token_requests() - before == 1
    assert out["n"] >= 4
    assert [valid for _, valid in compute.seen] == [True, True]
    assert compute.tokens[0] == compute.tokens[1]
    # a token from elsewhere (here: the fixture's admin token) is used as it is: no token request
    before = keystone.token_requests()
    out = flow("""
local openstack = require("assay.openstack")
local c = openstack.client(env.get("OS_AUTH_URL"), {token = env.get("OS_TOKEN")})
local names = {}
for _, p in ipairs(c.identity:list_projects({name = "inventory"})) do names[#names + 1] = p.name end
print(json.encode(names))
""", OS_AUTH_URL=keystone.url, OS_TOKEN=keystone.creds["token"])
    assert out == ["inventory"]
    assert keystone.token_requests() == before


def test_catalog_endpoints_resolve_per_region_and_interface(flow, cloud):
    compute = cloud["compute"]
    compute.seen.clear()
    out = flow("""
local openstack = require("assay.openstack")
local function client(opts)
  opts.username, opts.password, opts.project_name = "reader", env.get("PW"), "inventory"
  return openstack.client(env.get("OS_AUTH_URL"), opts)
end
local one = client({region = "RegionOne"}).compute:list_servers()
client({region = "RegionOne", interface = "internal"}).compute:list_servers()
client({region = "RegionTwo"}).compute:list_servers()
local ok, err = pcall(function() client({region = "RegionThree"}).compute:list_servers() end)
print(json.encode({name = one[1].name, err = err}))
""", OS_AUTH_URL=cloud["keystone"].url, PW=READER_PASSWORD)
    project_id = cloud["project"]["id"]
    assert compute.seen == [
        ("/compute/v2.1/servers/detail", True),            # unversioned: the version is added
        ("/internal/compute/v2.1/servers/detail", True),   # versioned: kept as published
        ("/r2/compute/v2.1/%s/servers/detail" % project_id, True),  # Keystone filled in the project
    ]
    assert out["name"] == "vm-1"
    assert out["err"].endswith("openstack: the service catalog has no public compute endpoint in region RegionThree")


def test_identity_inventory(flow, cloud):
    out = flow(CLIENT + """
local names = {}
for _, p in ipairs(c.identity:list_projects()) do names[#names + 1] = p.name end
table.sort(names)
local enabled = {}
for _, p in ipairs(c.identity:list_projects({enabled = false})) do enabled[#enabled + 1] = p.name end
local inv = c.identity:list_projects({name = "inventory"})[1]
local users = {}
for _, u in ipairs(c.identity:list_users({domain_id = "default"})) do users[#users + 1] = u.name end
table.sort(users)
local regions = {}
for _, r in ipairs(c.identity:list_regions()) do regions[#regions + 1] = r.id end
table.sort(regions)
print(json.encode({projects = names, disabled = enabled, inventory = c.identity:get_project(inv.id).description,
  users = users, reader = c.identity:get_user(env.get("USER_ID")).name, regions = regions,
  missing_project = c.identity:get_project("no-such-project") == nil,
  missing_user = c.identity:get_user("no-such-user") == nil}))
""", USER_ID=cloud["user"]["id"], **cloud["env"])
    assert out == {"projects": ["admin", "inventory", "retired"], "disabled": ["retired"],
                   "inventory": "assay inventory", "users": ["admin", "reader"], "reader": "reader",
                   "regions": ["RegionOne", "RegionTwo"], "missing_project": True, "missing_user": True}


def test_keystone_policy_refuses_a_non_admin(flow_fails, cloud):
    err = flow_fails(CLIENT + "c.identity:list_users()\n",
                     **dict(cloud["env"], OS_USERNAME="reader", OS_PASSWORD=READER_PASSWORD,
                            OS_PROJECT_NAME="inventory"))
    assert "openstack: GET /users HTTP 403" in err
    assert "Traceback" not in err
