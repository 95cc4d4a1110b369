--- @module assay.loki
--- @description Loki log aggregation. Push logs, query with LogQL, labels, series, tail.
--- @category observability
--- @icon grafana
--- @keywords loki, logs, logql, labels, series, monitoring, push, tail, stream, instant, range, query
--- @quickref M.client(url, opts?) -> client | Loki client for url; opts {token} or {username, password}
--- @quickref M.selector(labels) -> string | Build LogQL stream selector from labels table
--- @quickref c.logs:push(stream_labels, entries) -> true | Push log entries to Loki; flat: c:push(stream_labels, entries)
--- @quickref c.queries:instant(logql, opts?) -> [result] | Instant LogQL query; flat: c:query(logql, opts?)
--- @quickref c.queries:range(logql, opts?) -> [result] | Range LogQL query; flat: c:query_range(logql, opts?)
--- @quickref c.labels:list(opts?) -> [string] | List label names; flat: c:labels(opts?)
--- @quickref c.labels:values(label_name, opts?) -> [string] | List values for a label; flat: c:label_values(label_name, opts?)
--- @quickref c.series:list(match_selectors, opts?) -> [series] | Query series metadata; flat: c:series(match_selectors, opts?)
--- @quickref c.queries:tail(logql, opts?) -> data | Tail log stream; flat: c:tail(logql, opts?)
--- @quickref c.health:ready() -> bool | Check Loki readiness; flat: c:ready()
--- @quickref c.health:metrics() -> string | Get Loki metrics in Prometheus format; flat: c:metrics()

local H = require("assay._http")

local M = {}

--- {name="value",...} with names sorted and `"`/`\` escaped in values.
function M.selector(labels)
  local names = {}
  for name in pairs(labels) do names[#names + 1] = name end
  table.sort(names)
  local parts = {}
  for i, name in ipairs(names) do
    local value = tostring(labels[name]):gsub('[\\"]', "\\%0")
    parts[i] = name .. '="' .. value .. '"'
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local Client = {}
Client.__index = Client

function M.client(url, opts)
  opts = opts or {}
  return setmetatable({
    url = H.strip(url),
    api = H.client(url, { module = "loki", token = opts.token, api_key = opts.api_key,
      username = opts.username, password = opts.password, headers = opts.headers }),
  }, Client)
end

function Client:push(stream_labels, entries)
  local values = {}
  for i, entry in ipairs(entries) do
    if type(entry) == "table" then
      values[i] = { H.text(entry[1]), entry[2] }
    else
      values[i] = { string.format("%d", math.floor(time() * 1e9)), entry }
    end
  end
  -- Built by hand so that an empty label table is still the JSON object {}.
  local body = '{"streams":[{"stream":' .. H.json_body(stream_labels or {})
    .. ',"values":' .. json.encode(values) .. "}]}"
  return self.api:post("/loki/api/v1/push", body,
    { headers = { ["Content-Type"] = "application/json" }, expect = 204, result = "true" })
end

function Client:query(logql, opts)
  opts = opts or {}
  local q = H.query("query", logql, "limit", opts.limit, "time", opts.time, "direction", opts.direction)
  return self.api:get("/loki/api/v1/query" .. q).data.result
end

function Client:query_range(logql, opts)
  opts = opts or {}
  local q = H.query("query", logql, "start", opts.start, "end", opts.end_time,
    "limit", opts.limit, "step", opts.step, "direction", opts.direction)
  return self.api:get("/loki/api/v1/query_range" .. q).data.result
end

function Client:labels(opts)
  opts = opts or {}
  return self.api:get("/loki/api/v1/labels" .. H.query("start", opts.start, "end", opts.end_time)).data
end

function Client:label_values(label_name, opts)
  opts = opts or {}
  local q = H.query("start", opts.start, "end", opts.end_time)
  return self.api:get("/loki/api/v1/label/" .. label_name .. "/values" .. q).data
end

function Client:series(match_selectors, opts)
  opts = opts or {}
  local q = H.query("match[]", match_selectors or {}, "start", opts.start, "end", opts.end_time)
  return self.api:get("/loki/api/v1/series" .. q).data
end

function Client:tail(logql, opts)
  opts = opts or {}
  return self.api:get("/loki/api/v1/tail" .. H.query("query", logql, "limit", opts.limit, "start", opts.start))
end

function Client:ready()
  return self.api:response("GET", "/ready").status == 200
end

function Client:metrics()
  return self.api:get("/metrics", { result = "text" })
end

H.api({
  module = "loki",
  quickref = {
    "M.client(url, opts?) -> client | Loki client for url; opts {token} or {username, password}",
    "M.selector(labels) -> string | Build LogQL stream selector from labels table",
  },
  ops = {
    { "push", "logs:push", "(stream_labels, entries) -> true", "Push log entries to Loki" },
    { "query", "queries:instant", "(logql, opts?) -> [result]", "Instant LogQL query" },
    { "query_range", "queries:range", "(logql, opts?) -> [result]", "Range LogQL query" },
    { "labels", "labels:list", "(opts?) -> [string]", "List label names" },
    { "label_values", "labels:values", "(label_name, opts?) -> [string]", "List values for a label" },
    { "series", "series:list", "(match_selectors, opts?) -> [series]", "Query series metadata" },
    { "tail", "queries:tail", "(logql, opts?) -> data", "Tail log stream" },
    { "ready", "health:ready", "() -> bool", "Check Loki readiness" },
    { "metrics", "health:metrics", "() -> string", "Get Loki metrics in Prometheus format" },
  },
}):install(Client)

return M
