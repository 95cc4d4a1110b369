--- Shared request helper for the embedded stdlib modules (hidden from `assay modules`).
--- Usage: local H = require("assay._http")
---   local c = H.client(url, {error = "svc: {method} {path} HTTP {status}: {body}", token = t})
---   c:get("/api/x", {query = H.query("q", v), allow_404 = true})
---   c:post("/api/x", {a = 1})          -- tables are sent as JSON; an empty table as {}

local H = {}

local AUTH_KEYS = { "token", "api_key", "username", "password" }

--- The base URL without trailing slashes.
function H.strip(url)
  return (tostring(url):gsub("/+$", ""))
end

--- Percent-encode one value, keeping A-Z a-z 0-9 - _ . ~
function H.encode(value)
  return (H.text(value):gsub("[^A-Za-z0-9%-_%.~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

--- A query-string value as text: booleans as true/false, integral numbers without ".0".
function H.text(value)
  if math.type(value) == "float" and value == math.floor(value) and math.abs(value) < 2^63 then
    return string.format("%d", value)
  end
  return tostring(value)
end

--- "?k1=v1&k2=v2" from key, value pairs given in order; nil values are skipped, a table
--- value repeats its key once per element; "" when nothing is left.
function H.query(...)
  local parts, n = {}, select("#", ...)
  for i = 1, n, 2 do
    local key, value = select(i, ...)
    if type(value) == "table" then
      for _, item in ipairs(value) do
        parts[#parts + 1] = key .. "=" .. H.encode(item)
      end
    elseif value ~= nil then
      parts[#parts + 1] = key .. "=" .. H.encode(value)
    end
  end
  if #parts == 0 then return "" end
  return "?" .. table.concat(parts, "&")
end

--- Authorization header from {token=} / {api_key=} (Bearer) or {username=, password=} (Basic).
function H.auth_headers(opts, headers)
  headers = headers or {}
  opts = opts or {}
  if opts.token or opts.api_key then
    headers["Authorization"] = "Bearer " .. (opts.token or opts.api_key)
  elseif opts.username and opts.password then
    headers["Authorization"] = "Basic " .. base64.encode(opts.username .. ":" .. opts.password)
  end
  return headers
end

--- A JSON request body: "{}" for an empty table (the json builtin would say "[]"),
--- `empty` overrides that text for endpoints that take a list.
function H.json_body(body, empty)
  if type(body) ~= "table" then return body end
  if next(body) == nil then return empty or "{}" end
  return json.encode(body)
end

local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = v end
  return into
end

-- An endpoint bound by M.client(url, opts) of a function-style module: base + auth.
local Endpoint = {}
Endpoint.__index = Endpoint

--- The URL a function received: a string, or an endpoint made by H.bind.
function H.url(url)
  if getmetatable(url) == Endpoint then return url.url end
  return url
end

--- Headers carried by an endpoint (auth, extra headers), or {} for a plain URL.
function H.headers(url, extra)
  local headers = {}
  if getmetatable(url) == Endpoint then merge(headers, url.headers) end
  return merge(headers, extra)
end

--- An object whose methods are the functions of module M bound to `url` and auth:
--- c:fn(...) == M.fn(url, ...). Names in `unbound` are passed through without the URL.
--- `verbatim` keeps the URL as given (healthcheck probes full URLs).
function H.bind(M, url, opts, settings)
  settings = settings or {}
  opts = opts or {}
  local ep = setmetatable({
    url = settings.verbatim and url or H.strip(url),
    headers = H.auth_headers(opts, merge({}, opts.headers)),
  }, Endpoint)
  local unbound = settings.unbound or {}
  local obj = { url = ep.url }
  return setmetatable(obj, {
    __index = function(_, name)
      local fn = M[name]
      if name == "client" or type(fn) ~= "function" then return nil end
      if unbound[name] then
        return function(_, ...) return fn(...) end
      end
      return function(_, ...) return fn(ep, ...) end
    end,
  })
end

-- The request client.
local Client = {}
Client.__index = Client

--- H.client(url, opts): url is a base URL (trailing slashes stripped) or a bound endpoint.
--- opts: error = message template with {module} {fn} {method} {path} {path_query}
---   {status} {body}; module; token | api_key | username+password; headers (sent on every
---   request); transport (an http.client object instead of the http builtin).
function H.client(url, opts)
  opts = opts or {}
  local headers = H.headers(url, opts.headers)
  for _, key in ipairs(AUTH_KEYS) do
    if opts[key] ~= nil then
      H.auth_headers(opts, headers)
      break
    end
  end
  return setmetatable({
    base = H.strip(H.url(url)),
    headers = headers,
    module = opts.module,
    error_format = opts.error or "{module}: {method} {path} HTTP {status}: {body}",
    transport = opts.transport,
  }, Client)
end

--- The error text for a failed response (fields as in the template).
function Client:message(fields)
  return (self.error_format:gsub("{([%w_]+)}", function(name)
    local value = fields[name]
    if value == nil then return "{" .. name .. "}" end
    return tostring(value)
  end))
end

local function accepted(expect, status)
  if expect == "any" then return true end
  if type(expect) == "table" then
    for _, s in ipairs(expect) do
      if s == status then return true end
    end
    return false
  end
  return status == (expect or 200)
end

--- c:request(method, path, opts) with opts:
---   body      table (JSON; empty → "{}" or opts.empty) or string (verbatim)
---   headers   extra headers for this request; bare = true sends no client headers
---   expect    accepted status, list of statuses or "any" (default 200)
---   allow_404 return nil on 404 instead of raising
---   result    "json" (default: parsed body, nil when empty), "text", "response", "true"
---   fn, verb  fill {fn} and override {method} in the error message
function Client:request(method, path, opts)
  opts = opts or {}
  local headers = opts.bare and {} or merge({}, self.headers)
  merge(headers, opts.headers)
  local body = opts.body
  if type(body) == "table" then
    body = H.json_body(body, opts.empty)
    headers["Content-Type"] = headers["Content-Type"] or "application/json"
  end
  local url = self.base .. path
  local verb = method:lower()
  local transport = self.transport
  local send = http[verb]
  if transport then
    send = function(...) return transport[verb](transport, ...) end
  end
  local resp
  if verb == "get" or verb == "delete" then
    resp = send(url, { headers = headers })
  else
    resp = send(url, body, { headers = headers })
  end

  if opts.allow_404 and resp.status == 404 then return nil end
  if not accepted(opts.expect, resp.status) then
    error(self:message({
      module = self.module, fn = opts.fn, method = opts.verb or method:upper(),
      path = path:match("^[^?]*"), path_query = path, status = resp.status, body = resp.body,
    }))
  end
  local result = opts.result or "json"
  if result == "response" then return resp end
  if result == "text" then return resp.body end
  if result == "true" then return true end
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

function Client:get(path, opts) return self:request("GET", path, opts) end
function Client:delete(path, opts) return self:request("DELETE", path, opts) end

local function with_body(method)
  return function(self, path, body, opts)
    opts = merge({}, opts)
    opts.body = body
    return self:request(method, path, opts)
  end
end
Client.post = with_body("POST")
Client.put = with_body("PUT")
Client.patch = with_body("PATCH")

--- The response of a request that never raises on its HTTP status (probes, readiness).
function Client:response(method, path, opts)
  opts = merge({}, opts)
  opts.expect, opts.result = "any", "response"
  return self:request(method, path, opts)
end

return H
