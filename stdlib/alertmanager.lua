--- @module assay.alertmanager
--- @description Alertmanager alert and silence management. Query, create, and delete alerts and silences.
--- @keywords alertmanager, alerts, silences, receivers, monitoring, silence, inhibit, grouping, notification, receiver
--- @quickref M.client(url, opts?) -> client | Alertmanager client for url; opts {token} or {username, password}
--- @quickref c:alerts(opts?) -> [alert] | List active alerts with filters
--- @quickref c:post_alerts(alerts) -> true | Post new alerts
--- @quickref c:alert_groups(opts?) -> [group] | List alert groups
--- @quickref c:silences(opts?) -> [silence] | List silences
--- @quickref c:silence(id) -> silence | Get silence by ID
--- @quickref c:create_silence(silence) -> {silenceID} | Create a silence
--- @quickref c:delete_silence(id) -> true | Delete silence by ID
--- @quickref c:status() -> {cluster, config} | Get Alertmanager status
--- @quickref c:receivers() -> [receiver] | List receivers
--- @quickref c:is_firing(alertname) -> bool | Check if alert is firing
--- @quickref c:silence_alert(alertname, duration_hours, opts?) -> silenceID | Silence an alert by name
--- @quickref c:active_count() -> number | Count active non-silenced alerts
--- @quickref M.alerts(url, opts?) -> [alert] | Every method is also a module function taking the URL first

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
function M.client(url, opts)
  return H.bind(M, url, opts)
end

return M
