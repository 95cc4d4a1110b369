"""assay.openstack (issue 21) against the shared OpenStack fake (fake_openstack.FakeOpenStack)."""
from fake_openstack import IMAGE_PAGE, PASSWORD, PRESET_TOKEN, PROJECT_ID, openstack, openstack_server  # noqa: F401
from fakes import lua_with

REQ = 'local openstack = require("assay.openstack")\n'
PW = REQ + ('local c = openstack.client("$URL/identity", {username = "admin", password = "%s", '
            'project_name = "demo", region = "RegionOne"})\n' % PASSWORD)


def run(lua, code, url):
    return lua_with(lua, PW + code, URL=url)


def test_openstack_password_auth_and_catalog(lua, openstack):
    out = run(lua, "local a = c:authenticate(); return a.project_id, #a.catalog", openstack.url)
    assert out == (PROJECT_ID, 4)
    r = openstack.last()
    assert (r.method, r.path) == ("POST", "/identity/v3/auth/tokens")  # unversioned auth_url gets /v3
    assert r.header("X-Auth-Token") is None
    assert r.json() == {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "password": PASSWORD, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}
    # the token is fetched once and sent on every service request; the project by id works too
    code = REQ + ('local c = openstack.client("$URL/identity/v3/", {username = "admin", password = "%s", '
                  'project_id = "%s", user_domain_id = "default"})\n'
                  'c.compute:list_servers(); c.identity:list_projects(); return true' % (PASSWORD, PROJECT_ID))
    openstack.reset()
    lua_with(lua, code, URL=openstack.url)
    posts = [q for q in openstack.requests if q.method == "POST"]
    assert len(posts) == 1 and posts[0].json()["auth"]["scope"] == {"project": {"id": PROJECT_ID}}
    tokens = {q.header("X-Auth-Token") for q in openstack.requests if q.method == "GET"}
    assert len(tokens) == 1 and tokens.pop().startswith("gAAAA")


def test_openstack_bad_credentials_and_missing_options(lua, lua_fails, openstack):
    err = lua_fails(lua_with(lambda c: c, REQ + 'openstack.client("$URL/identity", {username = "admin", '
                             'password = "wrong", project_name = "demo"}).compute:list_servers()', URL=openstack.url))
    assert "openstack: POST /auth/tokens HTTP 401:" in err and "requires authentication" in err
    assert "Traceback" not in err
    err = lua_fails(REQ + 'openstack.client("http://x", {username = "admin"})')
    assert "openstack.client: opts.username and opts.password (or opts.token) are required" in err
    err = lua_fails(REQ + 'openstack.client("http://x", {username = "a", password = "b"})')
    assert "opts.project_id or opts.project_name is required" in err


def test_openstack_unversioned_endpoints_are_resolved(lua, openstack):
    """Catalog entries without a version get the service's; versioned ones are left alone."""
    out = run(lua, "return #c.identity:list_regions(), #c.image:list_images(), #c.network:list_networks(), "
                   "#c.compute:list_servers()", openstack.url)
    assert out == (1, 5, 2, 3)
    paths = [q.path for q in openstack.requests if q.method == "GET"]
    assert "/identity/v3/regions" in paths and "/network/v2.0/networks" in paths
    assert "/image/v2/images" in paths and "/compute/v2.1/%s/servers/detail" % PROJECT_ID in paths
    # an override that already carries the version is not versioned twice
    code = REQ + ('local c = openstack.client("$URL/identity/v3", {token = "%s", endpoints = '
                  '{image = "$URL/image/v2/", network = "$URL/network"}})\n'
                  'return #c.image:list_images(), #c.network:list_ports(), c:authenticate().project_id'
                  % PRESET_TOKEN)
    openstack.reset()
    assert lua_with(lua, code, URL=openstack.url) == (5, 3, None)
    assert all(q.header("X-Auth-Token") == PRESET_TOKEN for q in openstack.requests)
    assert not any(q.path == "/identity/v3/auth/tokens" for q in openstack.requests)


def test_openstack_lists_follow_every_page(lua, openstack):
    images = run(lua, "local out = {} for _, i in ipairs(c.image:list_images()) do out[#out + 1] = i.id end "
                      "return out", openstack.url)
    assert images == ["img-%d" % i for i in range(1, 6)]
    glance = [q for q in openstack.requests if q.path == "/image/v2/images"]
    assert len(glance) == 3 and glance[1].query["marker"] == ["img-%d" % IMAGE_PAGE]
    # Nova and Neutron page when a limit is given; the internal-host href's query is reused
    openstack.reset()
    out = run(lua, "return #c.compute:list_servers({limit = 2}), #c.network:list_ports({limit = 1})", openstack.url)
    assert out == (3, 3)
    nova = [q for q in openstack.requests if q.path.endswith("/servers/detail")]
    assert [q.query.get("marker") for q in nova] == [None, ["s-2"]]
    assert [q.raw_query for q in openstack.requests if q.path == "/network/v2.0/ports"] == [
        "limit=1", "limit=1&marker=port-1", "limit=1&marker=port-2"]
    # a caller that pages itself (marker) gets that page only
    openstack.reset()
    assert run(lua, 'return #c.image:list_images({marker = "img-1", limit = 2})', openstack.url) == 2


def test_openstack_filters_are_encoded_and_sorted(lua, openstack):
    out = run(lua, 'local imgs = c.image:list_images({visibility = "public", status = "queued"})\n'
                   'return #imgs, imgs[1].id', openstack.url)
    assert out == (1, "img-4")
    assert openstack.last("/image/v2/images").raw_query == "status=queued&visibility=public"
    run(lua, 'return c.identity:list_projects({name = "a b/c"})', openstack.url)
    assert openstack.last("/identity/v3/projects").raw_query == "name=a%20b%2Fc"


def test_openstack_gets_and_quotas(lua, openstack):
    out = run(lua, 'return c.identity:get_project("p-demo").name, c.identity:get_user("u-admin").name, '
                   'c.compute:get_server("s-3").status, c.image:get_image("img-2").name, '
                   'c.network:get_network("net-1").name, c.network:get_subnet("sub-1").cidr, '
                   'c.network:get_port("port-2").device_id, c.network:get_router("r-1").name, '
                   'c.network:get_security_group("sg-1").name', openstack.url)
    assert out == ("demo", "admin", "SHUTOFF", "image-2", "private", "10.0.0.0/24", "s-2", "router1", "default")
    out = run(lua, 'return c.compute:get_server("nope") == nil, c.image:get_image("nope") == nil, '
                   'c.compute:get_limits().absolute.maxTotalInstances, '
                   'c.compute:get_quota("p-demo").instances.in_use, c.network:get_quota("p-demo").port',
              openstack.url)
    assert out == (True, True, 10, 3, 500)
    assert openstack.last().path == "/network/v2.0/quotas/p-demo"
    assert any(q.path == "/compute/v2.1/p-demo/os-quota-sets/p-demo/detail" for q in openstack.requests)


def test_openstack_errors_name_the_request(lua_fails, openstack):
    openstack.fail("GET", "/network/v2.0/routers", 503, "neutron down")
    err = lua_fails(lua_with(lambda c: c, PW + "c.network:list_routers()", URL=openstack.url))
    assert "openstack: GET /routers HTTP 503: neutron down" in err
    err = lua_fails(lua_with(lambda c: c, PW.replace('"RegionOne"', '"Mars"') + "c.compute:list_servers()",
                             URL=openstack.url))
    assert "openstack: the service catalog has no public compute endpoint in region Mars" in err


def test_openstack_read_only_surface(lua):
    out = lua(REQ + 'local c = openstack.client("http://x", {token = "t"})\n'
                    'return c.compute.create_server == nil, c.network.create_network == nil, '
                    'c.image.delete_image == nil, type(c.network.list_security_groups)')
    assert out == (True, True, True, "function")
