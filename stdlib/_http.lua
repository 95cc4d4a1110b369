--- Shared request helper for the embedded stdlib modules (hidden from `assay modules`).
--- Usage: local H = require("assay._http")
---   local c = H.client(url, {error = "svc: {method} {path} HTTP {status}: {body}", token = t})
---   c:get("/api/x", {query = H.query("q", v), allow_404 = true})
---   c:post("/api/x", {a = 1})          -- tables are sent as JSON; an empty table as {}
---                                        (json.array() as [])

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

--- Set header `name` in `headers`, removing any other spelling of the same name first:
--- HTTP header names are case-insensitive, and a table holding both `Content-Type` and
--- `content-type` would send whichever the table happens to list last.
function H.set_header(headers, name, value)
  local lower = name:lower()
  for key in pairs(headers) do
    if type(key) == "string" and key ~= name and key:lower() == lower then headers[key] = nil end
  end
  headers[name] = value
  return headers
end

--- The value of header `name` in `headers`, whatever its spelling, or nil.
function H.get_header(headers, name)
  local lower = name:lower()
  for key, value in pairs(headers) do
    if type(key) == "string" and key:lower() == lower then return value end
  end
  return nil
end

--- Copy the headers of `from` into `into`; each one replaces any spelling of its name.
function H.merge_headers(into, from)
  for k, v in pairs(from or {}) do
    if type(k) == "string" then H.set_header(into, k, v) else into[k] = v end
  end
  return into
end

--- A path from a string.format pattern and ids, each percent-encoded:
--- H.path("clickup", "/v2/list/%s/task", id). A missing id raises "<module>: an id is required".
function H.path(module, fmt, ...)
  local args = table.pack(...)
  for i = 1, args.n do
    if args[i] == nil then error(module .. ": an id is required", 3) end
    args[i] = H.encode(args[i])
  end
  return string.format(fmt, table.unpack(args, 1, args.n))
end

--- The URL-first constructors' check of their first argument: `<module>.client: url must be a
--- non-empty string`, positioned at the caller of the constructor.
function H.require_url(module, url)
  if type(url) ~= "string" or url == "" then error(module .. ".client: url must be a non-empty string", 3) end
end

--- Call `probe()` every `interval` seconds until it returns true (true) or `timeout` seconds
--- have passed (false); an error raised by the probe counts as "not yet". The last pause is
--- cut short so the wait never overruns the timeout.
function H.poll(timeout, interval, probe)
  local waited = 0
  while true do
    local ok, done = pcall(probe)
    if ok and done then return true end
    if waited >= timeout then return false end
    local pause = math.min(interval, timeout - waited)
    sleep(pause)
    waited = waited + pause
  end
end

--- Authorization header from {token=} / {api_key=} (Bearer) or {username=, password=} (Basic).
function H.auth_headers(opts, headers)
  headers = headers or {}
  opts = opts or {}
  if opts.token or opts.api_key then
    H.set_header(headers, "Authorization", "Bearer " .. (opts.token or opts.api_key))
  elseif opts.username and opts.password then
    H.set_header(headers, "Authorization", "Basic " .. base64.encode(opts.username .. ":" .. opts.password))
  end
  return headers
end

-- json.array/json.object keep their marks in the json family, which installs on its
-- first use: before that no table can be marked.
local function shape_of(t)
  local marks = package.loaded["assay._json_shape"]
  return marks and marks(t)
end

--- A JSON request body. An empty table is sent as "{}" (the json builtin would say "[]"),
--- or as `empty` for endpoints that take a list; a table marked with json.array or
--- json.object keeps its shape whatever `empty` says, as it does at any depth.
function H.json_body(body, empty)
  if type(body) ~= "table" then return body end
  if next(body) == nil then
    local shape = shape_of(body)
    if shape == "array" then return "[]" end
    if shape == "object" then return "{}" end
    return empty or "{}"
  end
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
  if getmetatable(url) == Endpoint then H.merge_headers(headers, url.headers) end
  return H.merge_headers(headers, extra)
end

--- An object whose methods are the functions of module M bound to `url` and auth:
--- c:fn(...) == M.fn(url, ...). Names in `unbound` are passed through without the URL.
--- `verbatim` keeps the URL as given (healthcheck probes full URLs).
function H.bind(M, url, opts, settings)
  settings = settings or {}
  opts = opts or {}
  local ep = setmetatable({
    url = settings.verbatim and url or H.strip(url),
    headers = H.auth_headers(opts, H.merge_headers({}, opts.headers)),
  }, Endpoint)
  local unbound = settings.unbound or {}
  local obj = { url = ep.url }
  local function method(name)
    local fn = M[name]
    if name == "client" or type(fn) ~= "function" then return nil end
    if unbound[name] then
      return function(_, ...) return fn(...) end
    end
    return function(_, ...) return fn(ep, ...) end
  end
  local api = settings.api
  return setmetatable(obj, {
    __index = function(_, name)
      if api and api.groups[name] then
        local group = api:group(obj, name, method)
        rawset(obj, name, group)
        return group
      end
      return method(name)
    end,
  })
end

-- Declared operations: one table per module gives its flat (0.8.3) methods, its grouped
-- (resource:verb) methods, its `@quickref` header lines and its docs page.

--- Every declared module by name; build/gen_stdlib_docs.py reads it to write headers and docs.
H.apis = {}

local Api = {}
Api.__index = Api

local VERBS = { "get", "post", "put", "patch", "delete" }

-- "(name, opts?) -> app" → {"name", "opts"}, "(name, opts?)", "app"
local function parse_signature(sig)
  local params, returns = sig:match("^(%b())%s*%->%s*(.-)%s*$")
  if not params then params, returns = sig:match("^(%b())%s*$"), "nil" end
  if not params then error("_http: bad signature '" .. tostring(sig) .. "'", 3) end
  local names = {}
  for name in params:sub(2, -2):gmatch("[%w_]+") do names[#names + 1] = name end
  return names, params, returns
end

--- H.api(spec): declare a module's operations (see docs/stdlib/writing-modules.md).
---   spec.module    "grafana" (also the error prefix of declared HTTP calls)
---   spec.receiver  how the docs name the object: "c" (default) or "M" for function modules
---   spec.style     "module" spells flat calls M.fn(...) in the docs (default "client": c:fn(...))
---   spec.quickref  extra header lines shown first, e.g. the constructor
---   spec.ops       { flat_name|false, "group:method"|false, "(args) -> returns", "summary", how }
---     how: get/post/put/patch/delete = "/path/{arg}" (+ query, body, allow_404, expect,
---          result, bare, field, default), or fn = function(obj, ...), or nothing: the
---          flat method already written in the module (it does more than one request).
function H.api(spec)
  local api = setmetatable({
    module = spec.module, receiver = spec.receiver or "c", style = spec.style or "client",
    quickref = spec.quickref or {}, ops = {}, groups = {}, group_order = {},
    transport = spec.transport or function(obj) return obj.api end,
  }, Api)
  for _, op in ipairs(spec.ops) do
    local entry = {
      flat = op[1] or nil, summary = op[4] or "", fn = op.fn, options = op,
    }
    entry.args, entry.params, entry.returns = parse_signature(op[3])
    for _, verb in ipairs(VERBS) do
      if op[verb] then entry.method, entry.template = verb:upper(), op[verb] end
    end
    if op[2] then
      local group, method = op[2]:match("^([%w_]+):([%w_]+)$")
      if not group then error("_http: bad group '" .. op[2] .. "' in " .. spec.module, 2) end
      entry.group, entry.name = group, method
      if not api.groups[group] then
        api.groups[group] = {}
        api.group_order[#api.group_order + 1] = group
      end
      table.insert(api.groups[group], entry)
    end
    if not entry.flat and not entry.group then error("_http: an operation needs a name", 2) end
    if not entry.flat and not (entry.fn or entry.method) then
      error("_http: " .. op[2] .. " in " .. spec.module .. " has no implementation", 2)
    end
    api.ops[#api.ops + 1] = entry
  end
  H.apis[spec.module] = api
  return api
end

-- "?a=1&b=2" from opts following a list such as {"project", "dashboardId=dashboard_id"}.
local function declared_query(names, opts)
  local pairs_, n = {}, 0
  for _, item in ipairs(names) do
    local key, field = item:match("^([^=]+)=(.+)$")
    key, field = key or item, field or item
    pairs_[n + 1], pairs_[n + 2], n = key, opts[field], n + 2
  end
  return H.query(table.unpack(pairs_, 1, n))
end

-- The function (obj, ...) that performs a declared HTTP operation.
function Api:request_fn(entry)
  local api, o = self, entry.options
  return function(obj, ...)
    local values = {}
    for i, name in ipairs(entry.args) do values[name] = select(i, ...) end
    local path = entry.template:gsub("{([%w_]+)(%*?)}", function(name, raw)
      local v = values[name]
      if v == nil then error(api.module .. ": " .. name .. " is required", 3) end
      if raw == "*" then return H.text(v) end
      return H.encode(v)
    end)
    if o.query then path = path .. declared_query(o.query, values.opts or {}) end
    local result = api.transport(obj):request(entry.method, path, {
      body = o.body and values[o.body] or nil, allow_404 = o.allow_404, expect = o.expect,
      result = o.result, bare = o.bare, empty = o.empty,
    })
    if o.field and type(result) == "table" then result = result[o.field] end
    if result == nil and o.default ~= nil then
      result = o.default
      if type(result) == "table" then result = table.move(result, 1, #result, 1, {}) end
    end
    return result
  end
end

-- The function (obj, ...) behind an operation; `method(name)` finds the module's own ones;
-- `plain` when they are plain module functions (no object argument).
function Api:implementation(entry, method, plain)
  if entry.fn then
    if plain then
      local fn = entry.fn
      return function(_, ...) return fn(...) end
    end
    return entry.fn
  end
  if entry.method then
    entry.call = entry.call or self:request_fn(entry)
    return entry.call
  end
  local fn = method(entry.flat)
  if not fn then error("_http: " .. self.module .. " has no method " .. entry.flat, 3) end
  if plain then return function(_, ...) return fn(...) end end
  return fn
end

--- The table for group `name` on `obj`: its methods call the operations on `obj`; when the
--- object also has a flat method of that name, calling the table runs it (c:projects()).
function Api:group(obj, name, method, plain)
  local group = {}
  for _, entry in ipairs(self.groups[name]) do
    local fn = self:implementation(entry, method, plain)
    group[entry.name] = function(_, ...) return fn(obj, ...) end
  end
  local same = method(name)
  if same then
    setmetatable(group, { __call = function(_, first, ...)
      if plain then return same(first, ...) end
      return same(obj, ...)
    end })
  end
  return group
end

--- Give `Class` (the metatable of the module's clients) the declared flat methods and let its
--- instances reach the groups: c.apps is built on first use and kept on the instance.
function Api:install(Class)
  local function method(name)
    local fn = rawget(Class, name)
    if type(fn) == "function" then return fn end
    return nil
  end
  for _, entry in ipairs(self.ops) do
    if entry.flat and (entry.fn or entry.method) and rawget(Class, entry.flat) == nil then
      Class[entry.flat] = self:implementation(entry, method)
    end
  end
  local api = self
  Class.__index = function(obj, key)
    if api.groups[key] then
      local group = api:group(obj, key, method)
      rawset(obj, key, group)
      return group
    end
    return rawget(Class, key)
  end
  return Class
end

--- Groups on a module of plain functions (M.secrets:get(ns, name) beside M.get_secret(ns, name)).
function Api:install_module(M)
  local flat = {}
  for k, v in pairs(M) do if type(v) == "function" then flat[k] = v end end
  for _, entry in ipairs(self.ops) do
    if entry.flat and (entry.fn or entry.method) and flat[entry.flat] == nil then
      local fn = self:implementation(entry, function() end, true)
      flat[entry.flat] = function(...) return fn(nil, ...) end
      M[entry.flat] = flat[entry.flat]
    end
  end
  local function method(name) return flat[name] end
  for _, name in ipairs(self.group_order) do M[name] = self:group(nil, name, method, true) end
  return M
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
---   body      table (JSON; empty → "{}" or opts.empty, json.array() → "[]") or string (verbatim)
---   headers   extra headers for this request; bare = true sends no client headers
---   expect    accepted status, list of statuses or "any" (default 200)
---   allow_404 return nil on 404 instead of raising
---   result    "json" (default: parsed body, nil when empty), "text", "response", "true"
---   fn, verb  fill {fn} and override {method} in the error message
function Client:request(method, path, opts)
  opts = opts or {}
  local headers = opts.bare and {} or H.merge_headers({}, self.headers)
  H.merge_headers(headers, opts.headers)
  local body = opts.body
  if type(body) == "table" then
    body = H.json_body(body, opts.empty)
    if H.get_header(headers, "Content-Type") == nil then headers["Content-Type"] = "application/json" end
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
