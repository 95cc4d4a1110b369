--- @module assay.gcal
--- @description Google Calendar REST API client with OAuth2 token refresh. Events CRUD, calendar list.
--- @category saas
--- @icon googlecalendar
--- @keywords google, calendar, gcal, events, oauth2, schedule, meeting, create, update, delete
--- @quickref M.client(api_base, opts) -> client | Calendar client for api_base (https://www.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works
--- @quickref c.events:list(opts?) -> [event] | List calendar events; flat: c:events(opts?)
--- @quickref c.events:get(event_id) -> event | Get event by ID; flat: c:event_get(event_id)
--- @quickref c.events:create(event) -> event | Create a calendar event; flat: c:event_create(event)
--- @quickref c.events:update(event_id, event) -> event | Update an event; flat: c:event_update(event_id, event)
--- @quickref c.events:delete(event_id) -> true | Delete an event; flat: c:event_delete(event_id)
--- @quickref c.calendars:list() -> [calendar] | List all calendars; flat: c:calendars()

local H = require("assay._http")
local oauth2 = require("assay.oauth2")

local M = {}

M.DEFAULT_API_BASE = "https://www.googleapis.com"
M.DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"

local Client = {}
Client.__index = Client

--- M.client(opts) with opts {credentials_file, token_file, token_url?, api_base?, auth?};
--- also M.client(api_base, opts). `auth` is an existing assay.oauth2 client (then the files
--- are not needed).
function M.client(opts, more)
  local fields = oauth2._api_client("gcal", opts, more,
    { api_base = M.DEFAULT_API_BASE, token_url = M.DEFAULT_TOKEN_URL })
  return setmetatable(fields, Client)
end

function Client:_request(method, path, body)
  return oauth2._request(self, method, path, body)
end

local function check(method, path, resp, ok1, ok2)
  if resp.status ~= ok1 and resp.status ~= ok2 then
    error("gcal: " .. method .. " " .. path .. " HTTP " .. tostring(resp.status) .. ": " .. tostring(resp.body))
  end
end

local function parsed(resp)
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

function Client:_get(path)
  local resp = self:_request("GET", path)
  if resp.status == 404 then return nil end
  check("GET", path, resp, 200)
  return parsed(resp)
end

function Client:_post(path, body)
  local resp = self:_request("POST", path, body)
  check("POST", path, resp, 200, 201)
  return parsed(resp)
end

function Client:_put(path, body)
  local resp = self:_request("PUT", path, body)
  check("PUT", path, resp, 200)
  return parsed(resp)
end

function Client:_delete(path)
  local resp = self:_request("DELETE", path)
  check("DELETE", path, resp, 200, 204)
  return true
end

local EVENTS = "/calendar/v3/calendars/primary/events"

function Client:events(opts)
  opts = opts or {}
  -- values percent-encoded: an RFC 3339 offset "+01:00" must not turn into a space
  local q = H.query("timeMin", opts.timeMin, "timeMax", opts.timeMax,
    "maxResults", opts.maxResults, "q", opts.q)
  local data = self:_get(EVENTS .. q)
  if data == nil or data.items == nil then return {} end
  return data.items
end

function Client:event_get(event_id)
  return self:_get(EVENTS .. "/" .. event_id)
end

function Client:event_create(event)
  return self:_post(EVENTS, event)
end

function Client:event_update(event_id, event)
  return self:_put(EVENTS .. "/" .. event_id, event)
end

function Client:event_delete(event_id)
  return self:_delete(EVENTS .. "/" .. event_id)
end

function Client:calendars()
  local data = self:_get("/calendar/v3/users/me/calendarList")
  if data == nil or data.items == nil then return {} end
  return data.items
end

H.api({
  module = "gcal",
  quickref = {
    "M.client(api_base, opts) -> client | Calendar client for api_base (https://www.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works",
  },
  ops = {
    { "events", "events:list", "(opts?) -> [event]", "List calendar events" },
    { "event_get", "events:get", "(event_id) -> event", "Get event by ID" },
    { "event_create", "events:create", "(event) -> event", "Create a calendar event" },
    { "event_update", "events:update", "(event_id, event) -> event", "Update an event" },
    { "event_delete", "events:delete", "(event_id) -> true", "Delete an event" },
    { "calendars", "calendars:list", "() -> [calendar]", "List all calendars" },
  },
}):install(Client)

return M
