--- @module assay.grafana
--- @description Grafana monitoring and dashboards. Health, datasources, annotations, alerts, folders.
--- @keywords grafana, monitoring, dashboards, datasources, annotations, alerts, health, organization, folders, search, annotation
--- @quickref M.client(url, opts?) -> client | Grafana client; opts {api_key} (or {token}) or {username, password}
--- @quickref c:health() -> {database, version, commit} | Check Grafana health
--- @quickref c:datasources() -> [{id, name, type, url}] | List all datasources
--- @quickref c:datasource(id_or_uid) -> {id, name, type} | Get datasource by ID or UID
--- @quickref c:search(opts?) -> [{id, title, type}] | Search dashboards/folders
--- @quickref c:dashboard(uid) -> {dashboard, meta} | Get dashboard by UID
--- @quickref c:annotations(opts?) -> [{id, text, time}] | List annotations
--- @quickref c:create_annotation(annotation) -> {id} | Create annotation
--- @quickref c:org() -> {id, name} | Get current organization
--- @quickref c:alert_rules() -> [{uid, title}] | List alert rules
--- @quickref c:folders() -> [{id, uid, title}] | List folders

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  return setmetatable({
    url = H.strip(url),
    api = H.client(url, { module = "grafana", headers = headers, token = opts.token,
      api_key = opts.api_key, username = opts.username, password = opts.password }),
  }, Client)
end

function Client:health()
  return self.api:get("/api/health", { bare = true })
end

function Client:datasources()
  return self.api:get("/api/datasources")
end

function Client:datasource(id_or_uid)
  if type(id_or_uid) == "number" then
    return self.api:get("/api/datasources/" .. H.text(id_or_uid))
  end
  return self.api:get("/api/datasources/uid/" .. id_or_uid)
end

function Client:search(opts)
  opts = opts or {}
  local q = H.query("query", opts.query, "type", opts.type, "tag", opts.tag, "limit", opts.limit)
  return self.api:get("/api/search" .. q)
end

function Client:dashboard(uid)
  return self.api:get("/api/dashboards/uid/" .. uid)
end

function Client:annotations(opts)
  opts = opts or {}
  local q = H.query("from", opts.from, "to", opts.to, "dashboardId", opts.dashboard_id,
    "limit", opts.limit, "tags", opts.tags)
  return self.api:get("/api/annotations" .. q)
end

function Client:create_annotation(annotation)
  return self.api:post("/api/annotations", annotation)
end

function Client:org()
  return self.api:get("/api/org")
end

function Client:alert_rules()
  return self.api:get("/api/v1/provisioning/alert-rules")
end

function Client:folders()
  return self.api:get("/api/folders")
end

return M
