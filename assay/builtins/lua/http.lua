-- The Lua part of `http` (assay/builtins/http.py): event streams, clients as handles.
local http, register, lookup, take_dead = ...
local request, new_client = http._request, http._new_client
local next_event, close_events = http._sse_next, http._sse_close
http._request, http._new_client, http._sse_next, http._sse_close = nil, nil, nil, nil
local setmetatable, rawget, type, error, ipairs, pcall, select =
  setmetatable, rawget, type, error, ipairs, pcall, select

-- A request made with `on_event` whose answer is an event stream returns the stream's
-- id as a second value: call the script's function once per event, here in Lua so it
-- runs in the caller's own task and may yield. It returns "close" to stop early.
local function events(opts, r, stream)
  if stream == nil then return r end
  local on_event = opts.on_event
  while true do
    local ev = next_event(stream)
    if ev == nil then break end
    local ok, action = pcall(on_event, ev)
    if not ok then close_events(stream) error(action, 0) end
    if action == "close" then break end
  end
  close_events(stream)
  return r
end

local function with_events(raw, opts_at)
  return function(...)
    local opts = select(opts_at, ...)
    if type(opts) == "table" then return events(opts, raw(...)) end
    return raw(...)
  end
end
for _, name in ipairs({ "get", "post", "put", "patch", "delete" }) do
  http[name] = with_events(http[name], (name == "get" or name == "delete") and 2 or 3)
end

local function client_request(handle, method, url, ...)
  local id = lookup(handle)
  if id == nil then error("http._client_request: first arg must be an http client", 0) end
  local opts = select((method == "get" or method == "delete") and 1 or 2, ...)
  if type(opts) == "table" then return events(opts, request(id, method, url, ...)) end
  return request(id, method, url, ...)
end
http._client_request = client_request

local methods = {}
for _, name in ipairs({ "get", "post", "put", "patch", "delete" }) do
  methods[name] = function(self, ...)
    local ud = type(self) == "table" and rawget(self, "_ud") or nil
    return client_request(ud, name, ...)
  end
end
local client_mt = { __index = methods, __name = "http.client" }

function http.client(opts)
  local id = new_client(opts, take_dead())
  return setmetatable({ _ud = register(id) }, client_mt)
end
