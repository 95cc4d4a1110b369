--- @module assay.traefik
--- @description Traefik reverse proxy API. Routers, services, middlewares, entrypoints, TLS status.
--- @keywords traefik, proxy, routers, services, middlewares, entrypoints, loadbalancer, http, tcp, tls, configuration, dashboard, ingress
--- @quickref M.client(url, opts?) -> client | Traefik API client for url; opts {token} or {username, password}
--- @quickref c:overview() -> overview | Get Traefik dashboard overview
--- @quickref c:version() -> version | Get Traefik version
--- @quickref c:entrypoints() -> [entrypoint] | List entrypoints
--- @quickref c:entrypoint(name) -> entrypoint | Get entrypoint by name
--- @quickref c:http_routers() -> [router] | List HTTP routers
--- @quickref c:http_router(name) -> router | Get HTTP router by name
--- @quickref c:http_services() -> [service] | List HTTP services
--- @quickref c:http_service(name) -> service | Get HTTP service by name
--- @quickref c:http_middlewares() -> [middleware] | List HTTP middlewares
--- @quickref c:http_middleware(name) -> middleware | Get HTTP middleware by name
--- @quickref c:tcp_routers() -> [router] | List TCP routers
--- @quickref c:tcp_services() -> [service] | List TCP services
--- @quickref c:rawdata() -> data | Get raw configuration data
--- @quickref c:is_router_enabled(name) -> bool | Check if router is enabled
--- @quickref c:router_has_tls(name) -> bool | Check if router has TLS
--- @quickref c:service_server_count(name) -> number | Count load balancer servers
--- @quickref c:healthy_routers() -> enabled, errored | Count healthy vs errored routers
--- @quickref M.overview(url) -> overview | Every method is also a module function taking the URL first

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

--- M.client(url, opts): the functions above bound to url and auth ({token} | {username, password}).
function M.client(url, opts)
  return H.bind(M, url, opts)
end

return M
