--- Shared by the assay.aws.* clients (hidden from `assay modules`): endpoint and region
--- resolution, credentials (explicit, else the assay.aws.sts chain), signed requests through
--- the http builtin, the standard error text, and a small XML reader for the Query APIs.

local sigv4 = require("assay.aws.sigv4")

local A = {}

local function nonempty(value)
  if value == nil or value == "" then return nil end
  return value
end

--- The region: opts.region, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
function A.region(opts)
  opts = opts or {}
  return nonempty(opts.region) or nonempty(env.get("AWS_REGION"))
    or nonempty(env.get("AWS_DEFAULT_REGION")) or "us-east-1"
end

--- Split "https://host:port/base" into scheme ("https"), host ("host:port"), base path ("").
--- A bare host gets https.
function A.split(url)
  url = tostring(url):gsub("/+$", "")
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then scheme, rest = "https", url end
  local host, base = rest:match("^([^/]*)(.*)$")
  return scheme:lower(), host, base
end

-- The Host header the HTTP client sends: a default port (80/443) is not part of it.
function A.wire_host(scheme, host)
  if scheme == "http" then return (host:gsub(":80$", "")) end
  if scheme == "https" then return (host:gsub(":443$", "")) end
  return host
end

--- Credentials {access_key, secret_key, session_token?}: the explicit keys in opts, an
--- opts.credentials table, else the assay.aws.sts chain (profiles, env, web identity,
--- opts.role_arn), which caches temporary credentials until shortly before they expire.
function A.credentials(opts, who)
  opts = opts or {}
  if opts.access_key or opts.secret_key then
    if not nonempty(opts.access_key) or not nonempty(opts.secret_key) then
      error(who .. ": access_key and secret_key must be given together", 0)
    end
    if not opts.role_arn then
      return { access_key = opts.access_key, secret_key = opts.secret_key, session_token = opts.session_token }
    end
  end
  return require("assay.aws.sts").credentials(opts)
end

local Api = {}
Api.__index = Api

--- A.client(spec, url, opts): spec = {module = "aws.ec2", service = "ec2", prefix = "ec2",
--- id = "EC2"}. The endpoint: url, opts.endpoint, AWS_ENDPOINT_URL_<id>, AWS_ENDPOINT_URL (as
--- the AWS SDKs read them), else https://<prefix>.<region>.amazonaws.com.
function A.client(spec, url, opts)
  if type(url) == "table" and opts == nil then url, opts = nil, url end
  opts = opts or {}
  if url ~= nil and type(url) ~= "string" then
    error(spec.module .. ".client: the endpoint URL must be a string", 3)
  end
  local region = A.region(opts)
  local endpoint = url or nonempty(opts.endpoint) or nonempty(env.get("AWS_ENDPOINT_URL_" .. spec.id))
    or nonempty(env.get("AWS_ENDPOINT_URL"))
    or ("https://" .. spec.prefix .. "." .. region .. ".amazonaws.com")
  local scheme, host, base = A.split(endpoint)
  local settings = {}
  for k, v in pairs(opts) do settings[k] = v end
  settings.region = region
  return setmetatable({
    module = spec.module, service = spec.service, region = region, settings = settings,
    scheme = scheme, host = host, base = base, url = scheme .. "://" .. host .. base,
  }, Api)
end

--- A service client object of class `Class`: {api, url, region} (what ec2/ecr/s3.client return).
function A.object(spec, Class, url, opts)
  local api = A.client(spec, url, opts)
  return setmetatable({ api = api, url = api.url, region = api.region }, Class)
end

-- HTTP status accepted by a request: `expect` (a status or a list), default 200..299.
local function accepted(expect, status)
  if expect == nil then return status >= 200 and status < 300 end
  if type(expect) == "table" then
    for _, s in ipairs(expect) do if s == status then return true end end
    return false
  end
  return status == expect
end

--- api:request(method, path, how) with how = {query = raw string, body = string,
--- headers = {...}, expect, allow_404, unsigned, result = "xml"|"json"|"text"|"response"}.
--- path is unencoded; it is percent-encoded per segment when sent and signed.
function Api:request(method, path, how)
  how = how or {}
  local body = how.body or ""
  local headers = {}
  for name, value in pairs(how.headers or {}) do headers[name:lower()] = value end
  local full_path = self.base .. path
  if not how.unsigned then
    local creds = A.credentials(self.settings, self.module)
    headers = sigv4.sign({
      access_key = creds.access_key, secret_key = creds.secret_key,
      session_token = creds.session_token, service = self.service, region = self.region,
      method = method, host = A.wire_host(self.scheme, self.host), path = full_path,
      query = how.query, payload = body, headers = headers,
    })
  end
  local target = sigv4._uri_path(full_path)
  if how.query and how.query ~= "" then target = target .. "?" .. how.query end
  local url = self.scheme .. "://" .. self.host .. target
  local verb = method:lower()
  local resp
  if verb == "get" or verb == "delete" then
    resp = http[verb](url, { headers = headers })
  else
    resp = http[verb](url, body, { headers = headers })
  end
  if how.allow_404 and resp.status == 404 then return nil end
  if not accepted(how.expect, resp.status) then
    error(self.module .. ": " .. method:upper() .. " " .. path .. " HTTP " .. resp.status
      .. ": " .. tostring(resp.body), 0)
  end
  local result = how.result or "xml"
  if result == "response" then return resp end
  if result == "text" then return resp.body end
  if resp.body == nil or resp.body == "" then return nil end
  if result == "json" then return json.parse(resp.body) end
  return A.xml(resp.body)
end

--- A form body "k=v&..." (RFC 3986 encoded) from a list of {name, value} pairs, nil values skipped.
function A.form(pairs_list)
  local parts = {}
  for _, pair in ipairs(pairs_list) do
    if pair[2] ~= nil then
      parts[#parts + 1] = sigv4.encode(pair[1]) .. "=" .. sigv4.encode(pair[2])
    end
  end
  return table.concat(parts, "&")
end

-- ---- XML → tables ----------------------------------------------------------------------

local ENTITIES = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

--- Decode the five XML entities and numeric character references.
function A.unescape(text)
  return (text:gsub("&(#?x?)(%w+);", function(kind, name)
    if kind == "" then return ENTITIES[name] end
    local code = kind == "#x" and tonumber(name, 16) or (kind == "#" and tonumber(name))
    if code then return utf8.char(code) end
    return nil
  end))
end

-- Parse text into a tree of {name, children = {...}, text}; returns the root element.
local function parse_tree(text)
  local root = { name = "#document", children = {}, text = {} }
  local stack = { root }
  local pos = 1
  while true do
    local lt = text:find("<", pos, true)
    local top = stack[#stack]
    if not lt then break end
    if lt > pos then top.text[#top.text + 1] = text:sub(pos, lt - 1) end
    if text:sub(lt, lt + 3) == "<!--" then
      local close = text:find("-->", lt + 4, true)
      if not close then error("malformed XML: unterminated comment", 0) end
      pos = close + 3
    elseif text:sub(lt, lt + 8) == "<![CDATA[" then
      local close = text:find("]]>", lt + 9, true)
      if not close then error("malformed XML: unterminated CDATA", 0) end
      top.text[#top.text + 1] = { cdata = text:sub(lt + 9, close - 1) }
      pos = close + 3
    elseif text:sub(lt, lt + 1) == "<?" or text:sub(lt, lt + 1) == "<!" then
      local close = text:find(">", lt, true)
      if not close then error("malformed XML: unterminated declaration", 0) end
      pos = close + 1
    else
      local close = text:find(">", lt, true)
      if not close then error("malformed XML: unterminated tag", 0) end
      local tag = text:sub(lt + 1, close - 1)
      if tag:sub(1, 1) == "/" then
        local name = tag:sub(2):match("^%s*([^%s]+)")
        if #stack < 2 or stack[#stack].name ~= name then
          error("malformed XML: unexpected </" .. tostring(name) .. ">", 0)
        end
        stack[#stack] = nil
      else
        local name = tag:match("^([^%s/]+)")
        local node = { name = name, children = {}, text = {} }
        top.children[#top.children + 1] = node
        if tag:sub(-1) ~= "/" then stack[#stack + 1] = node end
      end
      pos = close + 1
    end
  end
  if #stack ~= 1 then error("malformed XML: <" .. stack[#stack].name .. "> is not closed", 0) end
  return root.children[1]
end

local function text_of(node)
  local parts = {}
  for i, piece in ipairs(node.text) do
    parts[i] = type(piece) == "table" and piece.cdata or A.unescape(piece)
  end
  return table.concat(parts)
end

local LIST_ITEMS = { item = true, member = true }

-- An element as Lua data: text for a leaf; an array when its children are all <item>
-- or <member> (the Query APIs' lists); else a table of child name -> value (a name that
-- repeats collects its values in an array).
local function value_of(node)
  if #node.children == 0 then return text_of(node) end
  local all_items = true
  for _, child in ipairs(node.children) do
    if not LIST_ITEMS[child.name] then all_items = false break end
  end
  if all_items then
    local out = {}
    for i, child in ipairs(node.children) do out[i] = value_of(child) end
    return out
  end
  local out, counts = {}, {}
  for _, child in ipairs(node.children) do
    counts[child.name] = (counts[child.name] or 0) + 1
  end
  for _, child in ipairs(node.children) do
    local v = value_of(child)
    if counts[child.name] > 1 then
      out[child.name] = out[child.name] or {}
      local list = out[child.name]
      list[#list + 1] = v
    else
      out[child.name] = v
    end
  end
  return out
end

--- XML text as Lua data: {[root name] = value} (see value_of); an empty list element
--- (<instancesSet/>) reads as "" — use A.list(v) to get {} for it.
function A.xml(text)
  local root = parse_tree(tostring(text))
  if root == nil then return nil end
  return { [root.name] = value_of(root) }
end

--- A list from an XML value: {} for "" or nil, {v} for a single non-list table.
function A.list(value)
  if value == nil or value == "" then return {} end
  if type(value) ~= "table" then return { value } end
  if value[1] == nil and next(value) ~= nil then return { value } end
  return value
end

return A
