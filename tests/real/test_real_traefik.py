"""assay.traefik against a real Traefik 3 (API on, a file-provider configuration: see
realservers.TRAEFIK_DYNAMIC: routers app/secure/broken, service app with two servers, middleware
strip-api, a TCP router pg)."""
import pytest

pytestmark = pytest.mark.real_server("traefik")


def test_version_overview_entrypoints(flow, real_traefik):
    out = flow("""
local traefik = require("assay.traefik")
local c = traefik.client(env.get("TRAEFIK_URL"))
local names = {}
for _, ep in ipairs(c:entrypoints()) do names[#names + 1] = ep.name end
table.sort(names)
local ov = c:overview()
print(json.encode({version = c:version().Version, names = names, web = c:entrypoint("web").address,
  routers = ov.http.routers.total, errors = ov.http.routers.errors, providers = ov.providers}))
""", TRAEFIK_URL=real_traefik.url)
    assert out["version"].startswith("3.")
    assert out["names"] == ["pg", "traefik", "web"]
    assert out["web"].startswith("127.0.0.1:")
    assert out["routers"] >= 3 and out["errors"] >= 1  # `broken` points at a missing service
    assert "File" in out["providers"]


def test_routers_services_middlewares_from_the_file_provider(flow, real_traefik):
    out = flow("""
local traefik = require("assay.traefik")
local c = traefik.client(env.get("TRAEFIK_URL"))
local routers = {}
for _, r in ipairs(c:http_routers()) do routers[r.name] = r.status end
local app = c:http_router("app@file")
local svc = c:http_service("app@file")
local mw = c:http_middleware("strip-api@file")
local mws = {}
for _, m in ipairs(c:http_middlewares()) do mws[#mws + 1] = m.name end
local tcp = c:tcp_routers()
local enabled, errored = c:healthy_routers()
local ok, err = pcall(c.http_router, c, "nope@file")
print(json.encode({routers = routers, rule = app.rule, app_mw = app.middlewares, svc_type = svc.type,
  servers = c:service_server_count("app@file"), prefixes = mw.stripPrefix.prefixes, mws = mws,
  tcp = tcp[1].name, tcp_services = #c:tcp_services(), app_enabled = c:is_router_enabled("app@file"),
  broken_enabled = c:is_router_enabled("broken@file"), secure_tls = c:router_has_tls("secure@file"),
  app_tls = c:router_has_tls("app@file"), enabled = enabled, errored = errored,
  raw = c:rawdata().routers["app@file"] ~= nil, missing = err,
  fn_form = #traefik.http_routers(env.get("TRAEFIK_URL")) == #c:http_routers()}))
""", TRAEFIK_URL=real_traefik.url)
    assert out["routers"]["app@file"] == "enabled" and out["routers"]["broken@file"] == "disabled"
    assert out["rule"] == "Host(`app.example.test`)" and out["app_mw"] == ["strip-api@file"]
    assert out["svc_type"] == "loadbalancer" and out["servers"] == 2
    assert out["prefixes"] == ["/api"] and "strip-api@file" in out["mws"]
    assert out["tcp"] == "pg@file" and out["tcp_services"] == 1
    assert out["app_enabled"] is True and out["broken_enabled"] is False
    assert out["secure_tls"] is True and out["app_tls"] is False
    assert out["errored"] >= 1 and out["enabled"] >= 2
    assert out["raw"] is True and out["fn_form"] is True
    assert "404" in out["missing"]
