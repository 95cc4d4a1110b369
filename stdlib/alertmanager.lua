--- @module assay.alertmanager
--- @description Alertmanager alert and silence management. Query, create, and delete alerts and silences.
--- @category observability
--- @icon prometheus
--- @keywords alertmanager, alerts, silences, receivers, monitoring, silence, inhibit, grouping, notification, receiver
--- @quickref M.client(url, opts?) -> client | Alertmanager client for url; opts {token} or {username, password}
--- @quickref M.alerts(url, opts?) -> [alert] | Every flat method is also a module function taking the URL first
--- @quickref c.alerts:list(opts?) -> [alert] | List alerts; opts {active, silenced, inhibited, unprocessed, filter, receiver}; flat: c:alerts(opts?)
--- @quickref c.alerts:post(alerts) -> true | Post new alerts; flat: c:post_alerts(alerts)
--- @quickref c.alerts:groups(opts?) -> [group] | List alert groups; flat: c:alert_groups(opts?)
--- @quickref c.alerts:is_firing(alertname) -> bool | Check if alert is firing; flat: c:is_firing(alertname)
--- @quickref c.alerts:active_count() -> number | Count active non-silenced alerts; flat: c:active_count()
--- @quickref c.silences:list(opts?) -> [silence] | List silences; opts {filter}; flat: c:silences(opts?)
--- @quickref c.silences:get(id) -> silence | Get silence by ID; flat: c:silence(id)
--- @quickref c.silences:create(silence) -> {silenceID} | Create a silence; flat: c:create_silence(silence)
--- @quickref c.silences:delete(id) -> true | Delete silence by ID; flat: c:delete_silence(id)
--- @quickref c.silences:silence_alert(alertname, duration_hours, opts?) -> silenceID | Silence an alert by name; flat: c:silence_alert(alertname, duration_hours, opts?)
--- @quickref c.status:get() -> {cluster, config} | Get Alertmanager status; flat: c:status()
--- @quickref c.receivers:list() -> [receiver] | List receivers; flat: c:receivers()

local H = require("assay._http")

local M = {}

local JSON = { ["Content-Type"] = "application/json" }

local function api(url)
  return H.client(url, { error = "alertmanager.{fn}: HTTP {status}: {body}" })
end

-- Filter parameters shared by alerts and alert_groups (unprocessed only for alerts).
local function filters(opts, with_unprocessed)
  opts = opts or {}
  local unprocessed
  if with_unprocessed then unprocessed = opts.unprocessed end
  return H.query(
    "active", opts.active,
    "silenced", opts.silenced,
    "inhibited", opts.inhibited,
    "unprocessed", unprocessed,
    "filter", opts.filter,
    "receiver", opts.receiver)
end

-- RFC 3339 UTC time with milliseconds (from epoch milliseconds), as the API requires.
local function rfc3339(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", ms // 1000) .. string.format(".%03dZ", ms % 1000)
end

function M.alerts(url, opts)
  return api(url):get("/api/v2/alerts" .. filters(opts, true), { fn = "alerts" })
end

function M.post_alerts(url, alerts)
  return api(url):post("/api/v2/alerts", alerts,
    { fn = "post_alerts", headers = JSON, empty = "[]", result = "true" })
end

function M.alert_groups(url, opts)
  return api(url):get("/api/v2/alerts/groups" .. filters(opts, false), { fn = "alert_groups" })
end

function M.silences(url, opts)
  opts = opts or {}
  return api(url):get("/api/v2/silences" .. H.query("filter", opts.filter), { fn = "silences" })
end

function M.silence(url, id)
  return api(url):get("/api/v2/silence/" .. id, { fn = "silence" })
end

function M.create_silence(url, silence)
  return api(url):post("/api/v2/silences", silence, { fn = "create_silence", headers = JSON })
end

function M.delete_silence(url, id)
  return api(url):delete("/api/v2/silence/" .. id, { fn = "delete_silence", result = "true" })
end

function M.status(url)
  return api(url):get("/api/v2/status", { fn = "status" })
end

function M.receivers(url)
  return api(url):get("/api/v2/receivers", { fn = "receivers" })
end

function M.is_firing(url, alertname)
  local alerts = M.alerts(url, {
    active = true, silenced = false, inhibited = false,
    filter = { 'alertname="' .. alertname .. '"' },
  })
  return #alerts > 0
end

function M.silence_alert(url, alertname, duration_hours, opts)
  opts = opts or {}
  local now = math.floor(time() * 1000)
  local result = M.create_silence(url, {
    matchers = { { name = "alertname", value = alertname, isRegex = false, isEqual = true } },
    startsAt = rfc3339(now),
    endsAt = rfc3339(now + math.floor(duration_hours * 3600 * 1000)),
    createdBy = opts.created_by or "assay",
    comment = opts.comment or "Silenced by assay",
  })
  return result.silenceID
end

function M.active_count(url)
  return #M.alerts(url, { active = true, silenced = false, inhibited = false })
end

--- M.client(url, opts): the functions above bound to url and auth ({token} | {username, password}).
local api = H.api({
  module = "alertmanager",
  quickref = {
    "M.client(url, opts?) -> client | Alertmanager client for url; opts {token} or {username, password}",
    "M.alerts(url, opts?) -> [alert] | Every flat method is also a module function taking the URL first",
  },
  ops = {
    { "alerts", "alerts:list", "(opts?) -> [alert]", "List alerts; opts {active, silenced, inhibited, unprocessed, filter, receiver}" },
    { "post_alerts", "alerts:post", "(alerts) -> true", "Post new alerts" },
    { "alert_groups", "alerts:groups", "(opts?) -> [group]", "List alert groups" },
    { "is_firing", "alerts:is_firing", "(alertname) -> bool", "Check if alert is firing" },
    { "active_count", "alerts:active_count", "() -> number", "Count active non-silenced alerts" },
    { "silences", "silences:list", "(opts?) -> [silence]", "List silences; opts {filter}" },
    { "silence", "silences:get", "(id) -> silence", "Get silence by ID" },
    { "create_silence", "silences:create", "(silence) -> {silenceID}", "Create a silence" },
    { "delete_silence", "silences:delete", "(id) -> true", "Delete silence by ID" },
    { "silence_alert", "silences:silence_alert", "(alertname, duration_hours, opts?) -> silenceID", "Silence an alert by name" },
    { "status", "status:get", "() -> {cluster, config}", "Get Alertmanager status" },
    { "receivers", "receivers:list", "() -> [receiver]", "List receivers" },
  },
})

function M.client(url, opts)
  return H.bind(M, url, opts, { api = api })
end

return M
