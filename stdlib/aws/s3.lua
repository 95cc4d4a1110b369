--- @module assay.aws.s3
--- @description AWS S3 read-only queries on the shared Signature V4 signer: list buckets, list objects (every page or one), head object, presigned GET URLs. For writes use assay.s3.
--- @category cloud
--- @icon aws
--- @keywords aws, s3, buckets, objects, list, head, presign, presigned-url, sigv4, storage, path-style
--- @quickref M.client(url?, opts?) -> client | S3 client; url overrides https://s3.<region>.amazonaws.com (path-style); opts {region, access_key, secret_key, session_token, profile, role_arn} (no keys: the assay.aws.sts chain)
--- @quickref c:list_buckets() -> [{name, creation_date}] | List buckets
--- @quickref c:list_objects(bucket, opts?) -> {objects, is_truncated, next_continuation_token, key_count} | One page; opts {prefix, max_keys, continuation_token, all = true (every page)}
--- @quickref c:head_object(bucket, key) -> {status, headers}|nil | Object metadata, nil if absent
--- @quickref c:presign(bucket, key, opts?) -> url | Presigned GET URL; opts {expires = 900, method}

local A = require("assay.aws._api")
local sigv4 = require("assay.aws.sigv4")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  return A.object({ module = "aws.s3", service = "s3", prefix = "s3", id = "S3" }, Client, url, opts)
end

local function check_name(value, what, fn)
  if type(value) ~= "string" or value == "" then
    error("aws.s3." .. fn .. ": " .. what .. " must be a non-empty string", 3)
  end
end

function Client:list_buckets()
  local doc = self.api:request("GET", "/")
  local result = doc.ListAllMyBucketsResult or {}
  local out = {}
  for _, b in ipairs(A.list(type(result.Buckets) == "table" and result.Buckets.Bucket or nil)) do
    out[#out + 1] = { name = b.Name, creation_date = b.CreationDate }
  end
  return out
end

function Client:list_objects(bucket, opts)
  check_name(bucket, "bucket", "list_objects")
  opts = opts or {}
  local objects, token, page = {}, opts.continuation_token, nil
  repeat
    local query = A.form({ { "list-type", "2" }, { "prefix", opts.prefix },
      { "max-keys", opts.max_keys and string.format("%d", opts.max_keys) },
      { "continuation-token", token } })
    local doc = self.api:request("GET", "/" .. bucket, { query = query })
    page = doc.ListBucketResult or {}
    for _, o in ipairs(A.list(page.Contents)) do
      objects[#objects + 1] = {
        key = o.Key, size = tonumber(o.Size or "") or 0, last_modified = o.LastModified,
        etag = o.ETag, storage_class = o.StorageClass,
      }
    end
    token = page.IsTruncated == "true" and page.NextContinuationToken or nil
  until not opts.all or token == nil
  return {
    objects = objects,
    is_truncated = not opts.all and page.IsTruncated == "true",
    next_continuation_token = not opts.all and page.NextContinuationToken or nil,
    key_count = #objects,
  }
end

function Client:head_object(bucket, key)
  check_name(bucket, "bucket", "head_object")
  check_name(key, "key", "head_object")
  -- a signed GET (the http builtin has no HEAD); only the status and headers are used
  local resp = self.api:request("GET", "/" .. bucket .. "/" .. key,
    { allow_404 = true, result = "response", expect = 200 })
  if resp == nil then return nil end
  return { status = resp.status, headers = resp.headers }
end

function Client:presign(bucket, key, opts)
  check_name(bucket, "bucket", "presign")
  check_name(key, "key", "presign")
  opts = opts or {}
  local api = self.api
  local creds = A.credentials(api.settings, "aws.s3")
  return sigv4.presign({
    access_key = creds.access_key, secret_key = creds.secret_key, session_token = creds.session_token,
    service = "s3", region = api.region, method = opts.method or "GET", scheme = api.scheme,
    host = A.wire_host(api.scheme, api.host), path = api.base .. "/" .. bucket .. "/" .. key,
    expires = opts.expires or 900,
  })
end

return M
