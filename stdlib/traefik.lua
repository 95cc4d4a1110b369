--- @module assay.traefik
--- @description Traefik reverse proxy API. Routers, services, middlewares, entrypoints, TLS status.
--- @category cloud
--- @icon traefikproxy
--- @keywords traefik, proxy, routers, services, middlewares, entrypoints, loadbalancer, http, tcp, tls, configuration, dashboard, ingress
--- @quickref M.client(url, opts?) -> client | Traefik API client for url; opts {token} or {username, password}
--- @quickref M.overview(url) -> overview | Every flat method is also a module function taking the URL first
--- @quickref c.info:overview() -> overview | Get Traefik dashboard overview; flat: c:overview()
--- @quickref c.info:version() -> version | Get Traefik version; flat: c:version()
--- @quickref c.entrypoints:list() -> [entrypoint] | List entrypoints; flat: c:entrypoints()
--- @quickref c.entrypoints:get(name) -> entrypoint | Get entrypoint by name; flat: c:entrypoint(name)
--- @quickref c.routers:list() -> [router] | List HTTP routers; flat: c:http_routers()
--- @quickref c.routers:get(name) -> router | Get HTTP router by name; flat: c:http_router(name)
--- @quickref c.services:list() -> [service] | List HTTP services; flat: c:http_services()
--- @quickref c.services:get(name) -> service | Get HTTP service by name; flat: c:http_service(name)
--- @quickref c.middlewares:list() -> [middleware] | List HTTP middlewares; flat: c:http_middlewares()
--- @quickref c.middlewares:get(name) -> middleware | Get HTTP middleware by name; flat: c:http_middleware(name)
--- @quickref c.tcp:routers() -> [router] | List TCP routers; flat: c:tcp_routers()
--- @quickref c.tcp:services() -> [service] | List TCP services; flat: c:tcp_services()
--- @quickref c.info:rawdata() -> data | Get raw configuration data; flat: c:rawdata()
--- @quickref c.routers:is_enabled(name) -> bool | Check if router is enabled; flat: c:is_router_enabled(name)
--- @quickref c.routers:has_tls(name) -> bool | Check if router has TLS; flat: c:router_has_tls(name)
--- @quickref c.services:server_count(name) -> number | Count load balancer servers; flat: c:service_server_count(name)
--- @quickref c.routers:healthy() -> enabled, errored | Count healthy vs errored routers; flat: c:healthy_routers()

local H = require("assay._http")

local M = {}

local function get(url, path)
  return H.client(url, { module = "traefik" }):get(path)
end

function M.overview(url) return get(url, "/api/overview") end
function M.version(url) return get(url, "/api/version") end
function M.entrypoints(url) return get(url, "/api/entrypoints") end
function M.entrypoint(url, name) return get(url, "/api/entrypoints/" .. name) end
function M.http_routers(url) return get(url, "/api/http/routers") end
function M.http_router(url, name) return get(url, "/api/http/routers/" .. name) end
function M.http_services(url) return get(url, "/api/http/services") end
function M.http_service(url, name) return get(url, "/api/http/services/" .. name) end
function M.http_middlewares(url) return get(url, "/api/http/middlewares") end
function M.http_middleware(url, name) return get(url, "/api/http/middlewares/" .. name) end
function M.tcp_routers(url) return get(url, "/api/tcp/routers") end
function M.tcp_services(url) return get(url, "/api/tcp/services") end
function M.rawdata(url) return get(url, "/api/rawdata") end

function M.is_router_enabled(url, name)
  return M.http_router(url, name).status == "enabled"
end

function M.router_has_tls(url, name)
  return M.http_router(url, name).tls ~= nil
end

function M.service_server_count(url, name)
  local lb = M.http_service(url, name).loadBalancer
  if lb == nil or lb.servers == nil then return 0 end
  return #lb.servers
end

function M.healthy_routers(url)
  local enabled, errored = 0, 0
  for _, router in ipairs(M.http_routers(url)) do
    if router.status == "enabled" then
      enabled = enabled + 1
    else
      errored = errored + 1
    end
  end
  return enabled, errored
end

local api = H.api({
  module = "traefik",
  quickref = {
    "M.client(url, opts?) -> client | Traefik API client for url; opts {token} or {username, password}",
    "M.overview(url) -> overview | Every flat method is also a module function taking the URL first",
  },
  ops = {
    { "overview", "info:overview", "() -> overview", "Get Traefik dashboard overview" },
    { "version", "info:version", "() -> version", "Get Traefik version" },
    { "entrypoints", "entrypoints:list", "() -> [entrypoint]", "List entrypoints" },
    { "entrypoint", "entrypoints:get", "(name) -> entrypoint", "Get entrypoint by name" },
    { "http_routers", "routers:list", "() -> [router]", "List HTTP routers" },
    { "http_router", "routers:get", "(name) -> router", "Get HTTP router by name" },
    { "http_services", "services:list", "() -> [service]", "List HTTP services" },
    { "http_service", "services:get", "(name) -> service", "Get HTTP service by name" },
    { "http_middlewares", "middlewares:list", "() -> [middleware]", "List HTTP middlewares" },
    { "http_middleware", "middlewares:get", "(name) -> middleware", "Get HTTP middleware by name" },
    { "tcp_routers", "tcp:routers", "() -> [router]", "List TCP routers" },
    { "tcp_services", "tcp:services", "() -> [service]", "List TCP services" },
    { "rawdata", "info:rawdata", "() -> data", "Get raw configuration data" },
    { "is_router_enabled", "routers:is_enabled", "(name) -> bool", "Check if router is enabled" },
    { "router_has_tls", "routers:has_tls", "(name) -> bool", "Check if router has TLS" },
    { "service_server_count", "services:server_count", "(name) -> number", "Count load balancer servers" },
    { "healthy_routers", "routers:healthy", "() -> enabled, errored", "Count healthy vs errored routers" },
  },
})

--- M.client(url, opts): the functions above bound to url and auth ({token} | {username, password}).
function M.client(url, opts)
  return H.bind(M, url, opts, { api = api })
end

return M
