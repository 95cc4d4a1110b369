--- @module assay.grafana
--- @description Grafana monitoring and dashboards. Health, datasources, annotations, alerts, folders.
--- @category observability
--- @icon grafana
--- @keywords grafana, monitoring, dashboards, datasources, annotations, alerts, health, organization, folders, search, annotation
--- @quickref M.client(url, opts?) -> client | Grafana client; opts {api_key} (or {token}) or {username, password}
--- @quickref c.health:check() -> {database, version, commit} | Check Grafana health (sent without auth); flat: c:health()
--- @quickref c.datasources:list() -> [{id, name, type, url}] | List all datasources; flat: c:datasources()
--- @quickref c.datasources:get(id_or_uid) -> {id, name, type} | Get datasource by numeric ID or UID; flat: c:datasource(id_or_uid)
--- @quickref c.dashboards:search(opts?) -> [{id, title, type}] | Search dashboards/folders; opts {query, type, tag, limit}; flat: c:search(opts?)
--- @quickref c.dashboards:get(uid) -> {dashboard, meta} | Get dashboard by UID; flat: c:dashboard(uid)
--- @quickref c.annotations:list(opts?) -> [{id, text, time}] | List annotations; opts {from, to, dashboard_id, limit, tags}; flat: c:annotations(opts?)
--- @quickref c.annotations:create(annotation) -> {id} | Create annotation; flat: c:create_annotation(annotation)
--- @quickref c.org:get() -> {id, name} | Get current organization; flat: c:org()
--- @quickref c.alerts:rules() -> [{uid, title}] | List alert rules; flat: c:alert_rules()
--- @quickref c.folders:list() -> [{id, uid, title}] | List folders; flat: c:folders()

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  H.merge_headers(headers, opts.headers)
  return setmetatable({
    url = H.strip(url),
    api = H.client(url, { module = "grafana", headers = headers, token = opts.token,
      api_key = opts.api_key, username = opts.username, password = opts.password }),
  }, Client)
end

H.api({
  module = "grafana",
  quickref = { "M.client(url, opts?) -> client | Grafana client; opts {api_key} (or {token}) or {username, password}" },
  ops = {
    { "health", "health:check", "() -> {database, version, commit}", "Check Grafana health (sent without auth)",
      get = "/api/health", bare = true },
    { "datasources", "datasources:list", "() -> [{id, name, type, url}]", "List all datasources",
      get = "/api/datasources" },
    { "datasource", "datasources:get", "(id_or_uid) -> {id, name, type}", "Get datasource by numeric ID or UID",
      fn = function(c, id_or_uid)
        if type(id_or_uid) == "number" then
          return c.api:get("/api/datasources/" .. H.text(id_or_uid))
        end
        return c.api:get("/api/datasources/uid/" .. H.encode(id_or_uid))
      end },
    { "search", "dashboards:search", "(opts?) -> [{id, title, type}]", "Search dashboards/folders; opts {query, type, tag, limit}",
      get = "/api/search", query = { "query", "type", "tag", "limit" } },
    { "dashboard", "dashboards:get", "(uid) -> {dashboard, meta}", "Get dashboard by UID",
      get = "/api/dashboards/uid/{uid}" },
    { "annotations", "annotations:list", "(opts?) -> [{id, text, time}]", "List annotations; opts {from, to, dashboard_id, limit, tags}",
      get = "/api/annotations", query = { "from", "to", "dashboardId=dashboard_id", "limit", "tags" } },
    { "create_annotation", "annotations:create", "(annotation) -> {id}", "Create annotation",
      post = "/api/annotations", body = "annotation" },
    { "org", "org:get", "() -> {id, name}", "Get current organization", get = "/api/org" },
    { "alert_rules", "alerts:rules", "() -> [{uid, title}]", "List alert rules",
      get = "/api/v1/provisioning/alert-rules" },
    { "folders", "folders:list", "() -> [{id, uid, title}]", "List folders", get = "/api/folders" },
  },
}):install(Client)

return M
