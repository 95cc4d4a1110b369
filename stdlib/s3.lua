--- @module assay.s3
--- @description S3-compatible object storage. Buckets, objects, copy, list with AWS Signature V4 auth.
--- @category data
--- @icon amazons3
--- @keywords s3, storage, buckets, objects, aws, minio, r2, sigv4, bucket, object, copy, metadata, signature-v4, compatible, cloudflare-r2
--- @quickref M.client(endpoint, opts) -> client | S3 client for the endpoint URL; opts {region, access_key, secret_key, path_style?}; M.client(opts) with opts.endpoint also works
--- @quickref c.buckets:create(bucket) -> true | Create a new bucket; flat: c:create_bucket(bucket)
--- @quickref c.buckets:delete(bucket) -> true | Delete a bucket; flat: c:delete_bucket(bucket)
--- @quickref c.buckets:list() -> [{name, creation_date}] | List all buckets; flat: c:list_buckets()
--- @quickref c.objects:put(bucket, key, body, opts?) -> true | Upload an object; flat: c:put_object(bucket, key, body, opts?)
--- @quickref c.objects:get(bucket, key) -> string|nil | Download object content; flat: c:get_object(bucket, key)
--- @quickref c.objects:delete(bucket, key) -> true | Delete an object; flat: c:delete_object(bucket, key)
--- @quickref c.objects:list(bucket, opts?) -> {objects, is_truncated} | List objects in bucket; flat: c:list_objects(bucket, opts?)
--- @quickref c.objects:head(bucket, key) -> {status, headers}|nil | Get object metadata; flat: c:head_object(bucket, key)
--- @quickref c.objects:copy(src_bucket, src_key, dst_bucket, dst_key) -> true | Copy object between buckets; flat: c:copy_object(src_bucket, src_key, dst_bucket, dst_key)
--- @quickref c.buckets:exists(bucket) -> bool | Check if bucket exists; flat: c:bucket_exists(bucket)

local H = require("assay._http")

local M = {}

local sigv4 = require("assay.aws.sigv4")

local EMPTY_HASH = sigv4.EMPTY_HASH

-- Percent-encode every byte outside A-Z a-z 0-9 - _ . ~ and keep "/" (copy source).
local function encode_keep_slash(s)
  return (s:gsub("[^A-Za-z0-9%-_%.~/]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

-- The signer is assay.aws.sigv4's; these names stay for scripts and tests that used them.
M._canonical_uri = sigv4._uri_path
M._canonical_query = sigv4._canonical_query
M._amz_date = sigv4.amz_date
M._signing_key = sigv4._signing_key

--- Signature Version 4 of one S3 request: r as assay.aws.sigv4's _sign, with x-amz-date and
--- x-amz-content-sha256 (from r.amz_date and r.payload_hash) added to the signed headers.
function M._sign(r)
  local headers = {}
  for name, value in pairs(r.headers or {}) do headers[name] = value end
  headers["x-amz-date"] = r.amz_date
  headers["x-amz-content-sha256"] = r.payload_hash or EMPTY_HASH
  local fields = {}
  for k, v in pairs(r) do fields[k] = v end
  fields.headers, fields.service = headers, r.service or "s3"
  return sigv4._sign(fields)
end

local Client = {}
Client.__index = Client

--- M.client(opts) with opts {endpoint, region, access_key, secret_key, path_style?};
--- M.client(endpoint, opts) takes the endpoint URL first.
function M.client(url_or_opts, opts)
  local o = {}
  if type(url_or_opts) == "table" then
    for k, v in pairs(url_or_opts) do o[k] = v end
  else
    for k, v in pairs(opts or {}) do o[k] = v end
    if url_or_opts ~= nil then o.endpoint = url_or_opts end
  end
  if not o.endpoint then error("s3.client: endpoint is required") end
  if not o.region then error("s3.client: region is required") end
  if not o.access_key then error("s3.client: access_key is required") end
  if not o.secret_key then error("s3.client: secret_key is required") end
  local endpoint = H.strip(o.endpoint)
  local scheme, host = endpoint:match("^(%a[%w+.-]*://)(.*)$")
  if not scheme then scheme, host = "", endpoint end
  return setmetatable({
    endpoint = endpoint,
    scheme = scheme,
    host = host,
    region = o.region,
    access_key = o.access_key,
    secret_key = o.secret_key,
    path_style = o.path_style ~= false,
  }, Client)
end

-- The Host header the HTTP client sends: a default port (80/443) is not part of it.
local function wire_host(scheme, host)
  local lower = scheme:lower()
  if lower == "http://" then return (host:gsub(":80$", "")) end
  if lower == "https://" then return (host:gsub(":443$", "")) end
  return host
end

-- Sign and send one request; returns the response table and an error formatter.
-- opts: query (raw string), body (string), headers (extra lower-case headers), head (HEAD).
function Client:_send(method, bucket, key, opts)
  opts = opts or {}
  local base, host, path
  if self.path_style or bucket == nil then
    base, host = self.endpoint, self.host
    path = "/" .. (bucket or "")
    if key ~= nil then path = path .. "/" .. key end
  else
    base = self.scheme .. bucket .. "." .. self.host
    host = bucket .. "." .. self.host
    path = "/" .. (key or "")
  end
  local body = opts.body or ""
  local payload_hash = body == "" and EMPTY_HASH or crypto.hash(body, "sha256")
  local signed = M._sign({
    method = method,
    host = wire_host(self.scheme, host),
    path = path,
    query = opts.query,
    headers = opts.headers,
    payload_hash = payload_hash,
    amz_date = M._amz_date(time()),
    region = self.region,
    access_key = self.access_key,
    secret_key = self.secret_key,
  })
  local headers = {
    ["Authorization"] = signed.authorization,
    ["x-amz-date"] = signed.headers["x-amz-date"],
    ["x-amz-content-sha256"] = payload_hash,
  }
  for name, value in pairs(opts.headers or {}) do
    headers[name] = value
  end
  local target = M._canonical_uri(path)
  if opts.query and opts.query ~= "" then
    target = target .. "?" .. opts.query
  end
  local api = H.client(base, { error = "s3: {label} HTTP {status}: {body}" })
  local resp
  if method == "HEAD" then
    resp = http.head(api.base .. target, { headers = headers })
  else
    resp = api:response(method, target, { body = body ~= "" and body or nil, headers = headers })
  end
  return resp, function(label)
    return api:message({ label = label, status = resp.status, body = resp.body })
  end
end

local function ok(status)
  return status == 200 or status == 204
end

function Client:create_bucket(bucket)
  local body = ""
  if self.region ~= "us-east-1" then
    body = '<?xml version="1.0" encoding="UTF-8"?>'
      .. '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      .. "<LocationConstraint>" .. self.region .. "</LocationConstraint>"
      .. "</CreateBucketConfiguration>"
  end
  local resp, fail = self:_send("PUT", bucket, nil, {
    body = body, headers = { ["content-type"] = "application/xml" },
  })
  if not ok(resp.status) then error(fail("PUT /" .. bucket)) end
  return true
end

function Client:delete_bucket(bucket)
  local resp, fail = self:_send("DELETE", bucket)
  if not ok(resp.status) then error(fail("DELETE /" .. bucket)) end
  return true
end

local ENTITIES = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

-- XML character data as text: S3 escapes "&", "<", ">" (and may use numeric references) in
-- keys, so a listed key must be decoded to be usable again with get_object. One pass, so
-- "&amp;lt;" stays the literal text "&lt;".
local function xml_text(text)
  return (text:gsub("&(#?[xX]?)(%w+);", function(kind, name)
    local code
    if kind == "#" then code = tonumber(name)
    elseif kind ~= "" then code = tonumber(name, 16)
    else return ENTITIES[name] end
    if code and code >= 0 and code <= 0x10FFFF then return utf8.char(code) end
  end))
end

-- The decoded text of the first <name>...</name> inside block.
local function tag(block, name)
  local text = block:match("<" .. name .. ">(.-)</" .. name .. ">")
  return text and xml_text(text)
end

-- Every <name>...</name> block.
local function blocks(text, name)
  local out = {}
  for inner in text:gmatch("<" .. name .. ">(.-)</" .. name .. ">") do
    out[#out + 1] = inner
  end
  return out
end

function Client:list_buckets()
  local resp, fail = self:_send("GET", nil)
  if resp.status ~= 200 then error(fail("GET /")) end
  local buckets = {}
  for _, block in ipairs(blocks(resp.body, "Bucket")) do
    local name = tag(block, "Name")
    if name then
      buckets[#buckets + 1] = { name = name, creation_date = tag(block, "CreationDate") }
    end
  end
  return buckets
end

function Client:put_object(bucket, key, body, opts)
  opts = opts or {}
  body = body or ""
  if type(body) == "number" then body = tostring(body) end
  local headers = nil
  if opts.content_type then
    headers = { ["content-type"] = opts.content_type }
  end
  local resp, fail = self:_send("PUT", bucket, key, { body = body, headers = headers })
  if not ok(resp.status) then error(fail("PUT /" .. bucket .. "/" .. key)) end
  return true
end

function Client:get_object(bucket, key)
  local resp, fail = self:_send("GET", bucket, key)
  if resp.status == 404 then return nil end
  if resp.status ~= 200 then error(fail("GET /" .. bucket .. "/" .. key)) end
  return resp.body
end

function Client:delete_object(bucket, key)
  local resp, fail = self:_send("DELETE", bucket, key)
  if not ok(resp.status) then error(fail("DELETE /" .. bucket .. "/" .. key)) end
  return true
end

function Client:list_objects(bucket, opts)
  opts = opts or {}
  local query = "list-type=2"
  if opts.prefix ~= nil then query = query .. "&prefix=" .. H.encode(opts.prefix) end
  if opts.max_keys ~= nil then query = query .. "&max-keys=" .. H.text(opts.max_keys) end
  if opts.continuation_token ~= nil then
    query = query .. "&continuation-token=" .. H.encode(opts.continuation_token)
  end
  local resp, fail = self:_send("GET", bucket, nil, { query = query })
  if resp.status ~= 200 then error(fail("GET /" .. bucket .. "?list-type=2")) end
  local body = resp.body
  local objects = {}
  for _, block in ipairs(blocks(body, "Contents")) do
    local key = tag(block, "Key")
    if key then
      objects[#objects + 1] = {
        key = key,
        size = tonumber(tag(block, "Size") or "") or 0,
        last_modified = tag(block, "LastModified"),
      }
    end
  end
  return {
    objects = objects,
    is_truncated = tag(body, "IsTruncated") == "true",
    next_continuation_token = tag(body, "NextContinuationToken"),
    key_count = tonumber(tag(body, "KeyCount") or "") or 0,
  }
end

function Client:head_object(bucket, key)
  -- HEAD when the http builtin offers it; otherwise a signed GET, as the original does.
  local method = http.head and "HEAD" or "GET"
  local resp, fail = self:_send(method, bucket, key)
  if resp.status == 404 then return nil end
  if resp.status ~= 200 then error(fail("HEAD /" .. bucket .. "/" .. key)) end
  return { status = 200, headers = resp.headers }
end

function Client:copy_object(src_bucket, src_key, dst_bucket, dst_key)
  local source = "/" .. encode_keep_slash(src_bucket) .. "/" .. encode_keep_slash(src_key)
  local resp, fail = self:_send("PUT", dst_bucket, dst_key, {
    headers = { ["x-amz-copy-source"] = source },
  })
  -- S3 may report a failed copy as 200 with an <Error> document.
  if resp.status ~= 200 or tostring(resp.body):find("<Error>", 1, true) then
    error(fail("COPY /" .. src_bucket .. "/" .. src_key .. " -> /" .. dst_bucket .. "/" .. dst_key))
  end
  return true
end

function Client:bucket_exists(bucket)
  local resp = self:_send("GET", bucket, nil, { query = "list-type=2&max-keys=0" })
  return resp.status == 200
end

H.api({
  module = "s3",
  quickref = {
    "M.client(endpoint, opts) -> client | S3 client for the endpoint URL; opts {region, access_key, secret_key, path_style?}; M.client(opts) with opts.endpoint also works",
  },
  ops = {
    { "create_bucket", "buckets:create", "(bucket) -> true", "Create a new bucket" },
    { "delete_bucket", "buckets:delete", "(bucket) -> true", "Delete a bucket" },
    { "list_buckets", "buckets:list", "() -> [{name, creation_date}]", "List all buckets" },
    { "put_object", "objects:put", "(bucket, key, body, opts?) -> true", "Upload an object" },
    { "get_object", "objects:get", "(bucket, key) -> string|nil", "Download object content" },
    { "delete_object", "objects:delete", "(bucket, key) -> true", "Delete an object" },
    { "list_objects", "objects:list", "(bucket, opts?) -> {objects, is_truncated}", "List objects in bucket" },
    { "head_object", "objects:head", "(bucket, key) -> {status, headers}|nil", "Get object metadata" },
    { "copy_object", "objects:copy", "(src_bucket, src_key, dst_bucket, dst_key) -> true", "Copy object between buckets" },
    { "bucket_exists", "buckets:exists", "(bucket) -> bool", "Check if bucket exists" },
  },
}):install(Client)

return M
