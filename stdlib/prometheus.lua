--- @module assay.prometheus
--- @description Prometheus monitoring queries. PromQL instant/range queries, alerts, targets, rules, series.
--- @category observability
--- @icon prometheus
--- @keywords prometheus, promql, metrics, alerts, targets, rules, monitoring, instant-query, range-query, scrape, metadata, reload, observability, metric
--- @quickref M.client(url, opts?) -> client | Prometheus client for url; opts {token} or {username, password}
--- @quickref M.query(url, promql) -> number|[{metric, value}] | Every flat method is also a module function taking the URL first
--- @quickref c.queries:instant(promql) -> number|[{metric, value}] | Instant PromQL query; flat: c:query(promql)
--- @quickref c.queries:range(promql, start, end, step) -> [result] | Range PromQL query; flat: c:query_range(promql, start, end, step)
--- @quickref c.alerts:list() -> [alert] | List active alerts; flat: c:alerts()
--- @quickref c.targets:list() -> {activeTargets, droppedTargets} | List scrape targets; flat: c:targets()
--- @quickref c.rules:list(opts?) -> [group] | List alerting/recording rules; flat: c:rules(opts?)
--- @quickref c.labels:values(label_name) -> [string] | List values for a label; flat: c:label_values(label_name)
--- @quickref c.series:list(match_selectors) -> [series] | Query series metadata; flat: c:series(match_selectors)
--- @quickref c.config:reload() -> bool | Trigger configuration reload; flat: c:config_reload()
--- @quickref c.targets:metadata(opts?) -> [metadata] | Get targets metadata; flat: c:targets_metadata(opts?)

local H = require("assay._http")

local M = {}

local function api(url)
  return H.client(url, { error = "prometheus.{fn}: HTTP {status}: {body}" })
end

-- GET an /api/v1 path; check HTTP 200 and the "success" envelope; return the parsed body.
local function get(url, fn, path)
  local body = api(url):get(path, { fn = fn })
  if type(body) ~= "table" or body.status ~= "success" then
    error("prometheus." .. fn .. ": " .. tostring(type(body) == "table" and body.error or "unknown error"))
  end
  return body
end

local function value_of(text)
  return tonumber(text) or text
end

function M.query(url, promql)
  local body = get(url, "query", "/api/v1/query" .. H.query("query", promql))
  local data = body.data
  if type(data) ~= "table" or data.result == nil then
    error("prometheus.query: unexpected response format")
  end
  local result = data.result
  if data.resultType == "scalar" or data.resultType == "string" then
    return value_of(result[2])
  end
  if data.resultType == "matrix" then
    return result
  end
  if #result == 1 then
    return value_of(result[1].value[2])
  end
  local out = {}
  for i, item in ipairs(result) do
    out[i] = { metric = item.metric, value = value_of(item.value[2]) }
  end
  return out
end

function M.query_range(url, promql, start, end_, step)
  local path = "/api/v1/query_range" .. H.query("query", promql, "start", start, "end", end_, "step", step)
  return get(url, "query_range", path).data.result
end

function M.alerts(url)
  return get(url, "alerts", "/api/v1/alerts").data.alerts
end

function M.targets(url)
  return get(url, "targets", "/api/v1/targets").data
end

function M.rules(url, opts)
  opts = opts or {}
  return get(url, "rules", "/api/v1/rules" .. H.query("type", opts.type)).data.groups
end

function M.label_values(url, label_name)
  return get(url, "label_values", "/api/v1/label/" .. label_name .. "/values").data
end

function M.series(url, match_selectors)
  return get(url, "series", "/api/v1/series" .. H.query("match[]", match_selectors or {})).data
end

function M.config_reload(url)
  return api(url):response("POST", "/-/reload").status == 200
end

function M.targets_metadata(url, opts)
  opts = opts or {}
  local path = "/api/v1/targets/metadata"
    .. H.query("match_target", opts.match_target, "metric", opts.metric, "limit", opts.limit)
  return get(url, "targets_metadata", path).data
end

local api = H.api({
  module = "prometheus",
  quickref = {
    "M.client(url, opts?) -> client | Prometheus client for url; opts {token} or {username, password}",
    "M.query(url, promql) -> number|[{metric, value}] | Every flat method is also a module function taking the URL first",
  },
  ops = {
    { "query", "queries:instant", "(promql) -> number|[{metric, value}]", "Instant PromQL query" },
    { "query_range", "queries:range", "(promql, start, end, step) -> [result]", "Range PromQL query" },
    { "alerts", "alerts:list", "() -> [alert]", "List active alerts" },
    { "targets", "targets:list", "() -> {activeTargets, droppedTargets}", "List scrape targets" },
    { "rules", "rules:list", "(opts?) -> [group]", "List alerting/recording rules" },
    { "label_values", "labels:values", "(label_name) -> [string]", "List values for a label" },
    { "series", "series:list", "(match_selectors) -> [series]", "Query series metadata" },
    { "config_reload", "config:reload", "() -> bool", "Trigger configuration reload" },
    { "targets_metadata", "targets:metadata", "(opts?) -> [metadata]", "Get targets metadata" },
  },
})

--- M.client(url, opts): the functions above bound to url and auth ({token} | {username, password}).
function M.client(url, opts)
  return H.bind(M, url, opts, { api = api })
end

return M
