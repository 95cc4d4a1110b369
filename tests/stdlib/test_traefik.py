"""assay.traefik (spec stdlib/traefik.md, TRAEFIK-01..19) against the shared Traefik fake
(fakes.FakeTraefik: 5 HTTP routers — 3 enabled, 1 disabled, 1 warning —, 3 services, ...)."""
import re

import pytest

from fakes import lua_with, traefik, traefik_server  # noqa: F401 (fixtures)

REQ = 'local traefik = require("assay.traefik")\n'


def run(lua, code, url, **values):
    return lua_with(lua, REQ + code, URL=url, **values)


def test_traefik_01_overview(lua, traefik):
    out = run(lua, 'return traefik.overview("$URL")', traefik.url)
    assert out["http"]["routers"]["total"] == 5 and out["providers"] == ["Docker", "File"]
    assert traefik.last().target == "/api/overview" and traefik.last().method == "GET"


def test_traefik_02_version(lua, traefik):
    v = run(lua, 'local v = traefik.version("$URL"); return v.Version, v.Codename', traefik.url)
    assert v == ("2.10.7", "saintmarcelin")
    assert traefik.last().path == "/api/version"


def test_traefik_03_entrypoints(lua, traefik):
    eps = run(lua, 'return traefik.entrypoints("$URL")', traefik.url)
    assert [e["name"] for e in eps] == ["web", "websecure"]
    assert traefik.last().path == "/api/entrypoints"


def test_traefik_04_entrypoint(lua, traefik):
    assert run(lua, 'return traefik.entrypoint("$URL", "websecure").address', traefik.url) == ":443"
    assert traefik.last().path == "/api/entrypoints/websecure"


def test_traefik_05_http_routers(lua, traefik):
    routers = run(lua, 'return traefik.http_routers("$URL")', traefik.url)
    assert [r["name"] for r in routers][:2] == ["my-app@docker", "api@internal"] and len(routers) == 5
    assert traefik.last().path == "/api/http/routers"


def test_traefik_06_http_router_name_unencoded(lua, traefik):
    r = run(lua, 'return traefik.http_router("$URL", "my-app@docker")', traefik.url)
    assert r["service"] == "my-app" and r["rule"] == "Host(`app.example.com`)"
    assert traefik.last().target == "/api/http/routers/my-app@docker"


def test_traefik_07_http_services(lua, traefik):
    services = run(lua, 'return traefik.http_services("$URL")', traefik.url)
    assert [s["name"] for s in services] == ["my-app@docker", "api@internal", "empty@file"]
    assert traefik.last().path == "/api/http/services"


def test_traefik_08_http_service(lua, traefik):
    assert run(lua, 'return traefik.http_service("$URL", "api@internal").provider', traefik.url) == "internal"
    assert traefik.last().target == "/api/http/services/api@internal"


def test_traefik_09_http_middlewares(lua, traefik):
    mws = run(lua, 'return traefik.http_middlewares("$URL")', traefik.url)
    assert [m["type"] for m in mws] == ["basicauth", "stripprefix"]
    assert traefik.last().path == "/api/http/middlewares"


def test_traefik_10_http_middleware(lua, traefik):
    mw = run(lua, 'return traefik.http_middleware("$URL", "strip@docker")', traefik.url)
    assert mw["stripPrefix"]["prefixes"] == ["/api"]
    assert traefik.last().target == "/api/http/middlewares/strip@docker"


def test_traefik_11_tcp_routers(lua, traefik):
    assert run(lua, 'return traefik.tcp_routers("$URL")[1].rule', traefik.url) == "HostSNI(`*`)"
    assert traefik.last().path == "/api/tcp/routers"


def test_traefik_12_tcp_services(lua, traefik):
    out = run(lua, 'return traefik.tcp_services("$URL")[1].loadBalancer.servers[1].address', traefik.url)
    assert out == "10.0.0.9:5432"
    assert traefik.last().path == "/api/tcp/services"


def test_traefik_13_rawdata(lua, traefik):
    raw = run(lua, 'return traefik.rawdata("$URL")', traefik.url)
    assert set(raw) == {"routers", "services", "middlewares"}
    assert raw["routers"]["my-app@docker"]["status"] == "enabled"
    assert traefik.last().path == "/api/rawdata"


def test_traefik_14_is_router_enabled(lua, traefik):
    assert run(lua, 'return traefik.is_router_enabled("$URL", "my-app@docker")', traefik.url) is True
    assert run(lua, 'return traefik.is_router_enabled("$URL", "old-app@file")', traefik.url) is False
    assert run(lua, 'return traefik.is_router_enabled("$URL", "half@file")', traefik.url) is False
    assert traefik.last().path == "/api/http/routers/half@file"


def test_traefik_15_router_has_tls(lua, traefik):
    # my-app has "tls": {} (an empty object still counts as present)
    assert run(lua, 'return traefik.router_has_tls("$URL", "my-app@docker")', traefik.url) is True
    assert run(lua, 'return traefik.router_has_tls("$URL", "api@internal")', traefik.url) is False


def test_traefik_16_service_server_count(lua, traefik):
    assert run(lua, 'return traefik.service_server_count("$URL", "my-app@docker")', traefik.url) == 3
    assert run(lua, 'return traefik.service_server_count("$URL", "api@internal")', traefik.url) == 0  # no loadBalancer
    assert run(lua, 'return traefik.service_server_count("$URL", "empty@file")', traefik.url) == 0  # no servers


def test_traefik_17_healthy_routers_two_values(lua, traefik):
    assert run(lua, 'return traefik.healthy_routers("$URL")', traefik.url) == (3, 2)
    assert run(lua, 'return select("#", traefik.healthy_routers("$URL"))', traefik.url) == 2


@pytest.mark.parametrize("call, path", [
    ("traefik.overview(u)", "/api/overview"), ("traefik.version(u)", "/api/version"),
    ("traefik.entrypoints(u)", "/api/entrypoints"), ("traefik.http_routers(u)", "/api/http/routers"),
    ("traefik.http_services(u)", "/api/http/services"), ("traefik.http_middlewares(u)", "/api/http/middlewares"),
    ("traefik.tcp_routers(u)", "/api/tcp/routers"), ("traefik.tcp_services(u)", "/api/tcp/services"),
    ("traefik.rawdata(u)", "/api/rawdata"), ("traefik.healthy_routers(u)", "/api/http/routers"),
])
def test_traefik_18_non_200_raises(lua_fails, traefik, call, path):
    traefik.fail("GET", path, 500, "internal server error")
    msg = lua_fails(REQ + 'local u = "%s"; %s' % (traefik.url, call))
    assert re.search(r"assay/\w+\.lua:\d+: traefik: GET %s HTTP 500: internal server error$" % re.escape(path), msg), msg


def test_traefik_18_not_found_names(lua_fails, traefik):
    msg = lua_fails(REQ + 'traefik.http_router("%s", "nope@file")' % traefik.url)
    assert 'traefik: GET /api/http/routers/nope@file HTTP 404: {"message": "router not found"}' in msg
    for call, path in [('traefik.entrypoint(u, "x")', "/api/entrypoints/x"),
                       ('traefik.http_service(u, "x")', "/api/http/services/x"),
                       ('traefik.http_middleware(u, "x")', "/api/http/middlewares/x"),
                       ('traefik.is_router_enabled(u, "x")', "/api/http/routers/x"),
                       ('traefik.router_has_tls(u, "x")', "/api/http/routers/x"),
                       ('traefik.service_server_count(u, "x")', "/api/http/services/x")]:
        msg = lua_fails(REQ + 'local u = "%s"; %s' % (traefik.url, call))
        assert "traefik: GET %s HTTP 404: " % path in msg, msg


def test_traefik_19_trailing_slashes(lua, traefik):
    assert run(lua, 'return traefik.version("$URL///").Version', traefik.url) == "2.10.7"
    assert traefik.last().target == "/api/version"


def test_traefik_client_form(lua, traefik):
    """Issue 12: c = M.client(url, opts); c:fn(...) == M.fn(url, ...), with auth headers."""
    out = run(lua, '''local c = traefik.client("$URL/", {username = "admin", password = "secret"})
        local e, x = c:healthy_routers()
        return c:version().Version, c:service_server_count("my-app@docker"), e, x,
               c:is_router_enabled("my-app@docker") == traefik.is_router_enabled("$URL", "my-app@docker")''',
              traefik.url)
    assert out == ("2.10.7", 3, 3, 2, True)
    assert traefik.last().header("Authorization") is None  # the plain module call
    assert traefik.requests[-2].header("Authorization") == "Basic YWRtaW46c2VjcmV0"
    run(lua, 'return traefik.client("$URL", {token = "abc"}):overview()', traefik.url)
    assert traefik.last().header("Authorization") == "Bearer abc"


def test_traefik_through_the_assay_command(assay, traefik):
    proc = assay("exec", "-e", REQ + 'print(traefik.healthy_routers("%s"))' % traefik.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "3\t2\n"


def test_traefik_header_in_context(assay):
    block = assay("context", "traefik").stdout.split("### ", 2)[1]
    assert block.startswith("assay.traefik\nTraefik reverse proxy API. Routers, services, middlewares, "
                            "entrypoints, TLS status.\nMethods:\n  M.client(url, opts?) -> client | ")
    assert "  c.routers:healthy() -> enabled, errored | Count healthy vs errored routers; flat: c:healthy_routers()\n" in block


def test_traefik_both_generations(lua, traefik):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake."""
    old = run(lua, '''local c = traefik.client("$URL")
        local e, x = c:healthy_routers()
        return {c:version().Version, #c:entrypoints(), c:entrypoint("websecure").address, #c:http_routers(),
                c:http_router("my-app@docker").service, c:is_router_enabled("my-app@docker"),
                c:router_has_tls("my-app@docker"), e, x, #c:http_services(), c:service_server_count("my-app@docker"),
                #c:http_middlewares(), c:http_middleware("strip@docker").stripPrefix.prefixes[1],
                #c:tcp_routers(), #c:tcp_services(), c:overview() ~= nil, c:rawdata() ~= nil}''', traefik.url)
    new = run(lua, '''local c = traefik.client("$URL")
        local e, x = c.routers:healthy()
        return {c.info:version().Version, #c.entrypoints:list(), c.entrypoints:get("websecure").address,
                #c.routers:list(), c.routers:get("my-app@docker").service, c.routers:is_enabled("my-app@docker"),
                c.routers:has_tls("my-app@docker"), e, x, #c.services:list(), c.services:server_count("my-app@docker"),
                #c.middlewares:list(), c.middlewares:get("strip@docker").stripPrefix.prefixes[1],
                #c.tcp:routers(), #c.tcp:services(), c.info:overview() ~= nil, c.info:rawdata() ~= nil}''', traefik.url)
    assert old == new
    assert old[:5] == ["2.10.7", 2, ":443", 5, "my-app"] and old[12] == "/api"
