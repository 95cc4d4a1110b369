--- @module assay.aws.sigv4
--- @description AWS Signature Version 4: sign any AWS request (Authorization header) or presign a URL. The one signer behind assay.s3 and the assay.aws.* clients.
--- @category cloud
--- @icon aws
--- @keywords aws, sigv4, signature, signature-v4, authorization, signing, presign, presigned-url, hmac, s3, sts
--- @quickref M.sign(opts) -> headers | Sign a request; opts {access_key, secret_key, session_token?, service, region, method?, host, path?, query?, payload?, headers?, time?}; returns the headers to send
--- @quickref M.presign(opts) -> url | Query-string-signed URL; opts as sign plus {expires?, scheme?} (default 900 s, https)
--- @quickref M.encode(value) -> string | RFC 3986 percent-encoding as SigV4 wants it (only A-Z a-z 0-9 - _ . ~ kept)
--- @quickref M.amz_date(epoch?) -> string | "YYYYMMDDTHHMMSSZ" for a Unix time (default now)

local M = {}

local ALGORITHM = "AWS4-HMAC-SHA256"
local EMPTY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
M.EMPTY_HASH = EMPTY_HASH
M.UNSIGNED = "UNSIGNED-PAYLOAD"

-- Byte-wise string order (independent of the C library's collation).
local function byte_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

function M.encode(value)
  return (tostring(value):gsub("[^A-Za-z0-9%-_%.~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

local function decode(text)
  return (text:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

--- The URI path as sent: each non-empty segment of the unencoded path percent-encoded.
function M._uri_path(path)
  path = path or "/"
  local segments = {}
  for segment in path:gmatch("[^/]+") do
    segments[#segments + 1] = M.encode(segment)
  end
  local out = "/" .. table.concat(segments, "/")
  if #path > 1 and path:sub(-1) == "/" then out = out .. "/" end
  return out
end

-- Canonical URI: S3 signs the path as sent; every other service encodes it once more.
local function canonical_uri(path, service)
  local sent = M._uri_path(path)
  if service == "s3" then return sent end
  return (sent:gsub("[^A-Za-z0-9%-_%.~/]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

--- The canonical query: every name=value pair decoded, re-encoded strictly, sorted.
function M._canonical_query(query)
  if query == nil or query == "" then return "" end
  local items = {}
  for item in (query .. "&"):gmatch("([^&]*)&") do
    if item ~= "" then
      local name, value = item:match("^([^=]*)=?(.*)$")
      items[#items + 1] = M.encode(decode(name)) .. "=" .. M.encode(decode(value))
    end
  end
  table.sort(items, byte_less)
  return table.concat(items, "&")
end

function M.amz_date(t)
  return os.date("!%Y%m%dT%H%M%SZ", math.floor(t or time()))
end

--- Unix time of an ISO 8601 UTC timestamp ("2024-01-02T03:04:05Z", fractions ignored), or nil.
function M._epoch(text)
  local y, mo, d, h, mi, s = tostring(text):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):(%d%d)")
  if not y then return nil end
  y, mo = tonumber(y), tonumber(mo)
  if mo <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local mp = (mo + 9) % 12
  local doy = (153 * mp + 2) // 5 + tonumber(d) - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local days = era * 146097 + doe - 719468
  local epoch = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
  local sign, oh, om = tostring(text):match("([%+%-])(%d%d):?(%d%d)$")
  if sign then
    local offset = tonumber(oh) * 3600 + tonumber(om) * 60
    epoch = sign == "+" and epoch - offset or epoch + offset
  end
  return epoch
end

--- kSigning = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request" (raw bytes).
function M._signing_key(secret_key, date_stamp, region, service)
  local k_date = crypto.hmac("AWS4" .. secret_key, date_stamp, "sha256", true)
  local k_region = crypto.hmac(k_date, region, "sha256", true)
  local k_service = crypto.hmac(k_region, service or "s3", "sha256", true)
  return crypto.hmac(k_service, "aws4_request", "sha256", true)
end

-- The fields every signature needs, checked: a one-line error names the missing one.
local function request_fields(opts, who)
  if type(opts) ~= "table" then error("aws.sigv4." .. who .. ": opts must be a table", 3) end
  local out = {}
  for _, field in ipairs({ "access_key", "secret_key", "region", "service", "host" }) do
    local value = opts[field]
    if type(value) ~= "string" or value == "" then
      error("aws.sigv4." .. who .. ": " .. field .. " is required (a string)", 3)
    end
    out[field] = value
  end
  out.method = (opts.method or "GET"):upper()
  out.path = opts.path or "/"
  return out
end

--- The signature of one request (the core both sign and presign use).
--- r = {method, host, path (unencoded), query (raw, no "?"), headers = {name = value},
---      payload_hash, amz_date, region, service, access_key, secret_key}
--- Returns {authorization, signature, signed_headers, canonical_request, string_to_sign,
--- scope, headers} where headers are the lower-cased headers that were signed (host included).
function M._sign(r)
  local service = r.service or "s3"
  local date_stamp = r.amz_date:sub(1, 8)
  local headers = { host = r.host }
  for name, value in pairs(r.headers or {}) do
    headers[name:lower()] = value
  end
  local names = {}
  for name, value in pairs(headers) do
    names[#names + 1] = name
    -- trimmed, inner runs of spaces collapsed (what AWS and botocore sign)
    headers[name] = (tostring(value):gsub("^%s+", ""):gsub("%s+$", ""):gsub("%s+", " "))
  end
  table.sort(names, byte_less)
  local lines = {}
  for i, name in ipairs(names) do
    lines[i] = name .. ":" .. headers[name] .. "\n"
  end
  local signed_headers = table.concat(names, ";")
  local canonical_request = table.concat({
    r.method,
    canonical_uri(r.path, service),
    M._canonical_query(r.query),
    table.concat(lines),
    signed_headers,
    r.payload_hash or EMPTY_HASH,
  }, "\n")
  local scope = date_stamp .. "/" .. r.region .. "/" .. service .. "/aws4_request"
  local string_to_sign = ALGORITHM .. "\n" .. r.amz_date .. "\n" .. scope .. "\n"
    .. crypto.hash(canonical_request, "sha256")
  local signature = crypto.hmac(M._signing_key(r.secret_key, date_stamp, r.region, service),
    string_to_sign, "sha256")
  return {
    authorization = ALGORITHM .. " Credential=" .. r.access_key .. "/" .. scope
      .. ", SignedHeaders=" .. signed_headers .. ", Signature=" .. signature,
    signature = signature,
    signed_headers = signed_headers,
    canonical_request = canonical_request,
    string_to_sign = string_to_sign,
    scope = scope,
    headers = headers,
  }
end

-- opts.payload_hash, else the SHA-256 of opts.payload (`unsigned` when given and no payload).
local function payload_hash_of(opts, unsigned)
  if opts.payload_hash ~= nil then return opts.payload_hash end
  local payload = opts.payload or ""
  if payload == "" then return unsigned or EMPTY_HASH end
  return crypto.hash(payload, "sha256")
end

local function amz_date_of(opts)
  if opts.amz_date then return opts.amz_date end
  return M.amz_date(opts.time)
end

--- sigv4.sign(opts): the headers to send with the request (lower-case names): the caller's
--- headers plus x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session
--- token) and authorization. `host` is signed but not returned (the http client sends it).
function M.sign(opts)
  local r = request_fields(opts, "sign")
  local payload_hash = payload_hash_of(opts)
  local headers = {}
  for name, value in pairs(opts.headers or {}) do headers[name:lower()] = value end
  headers["x-amz-date"] = amz_date_of(opts)
  headers["x-amz-content-sha256"] = payload_hash
  if opts.session_token then headers["x-amz-security-token"] = opts.session_token end
  r.query, r.headers, r.payload_hash, r.amz_date = opts.query, headers, payload_hash, headers["x-amz-date"]
  local signed = M._sign(r)
  local out = {}
  for name, value in pairs(headers) do out[name] = value end
  out.authorization = signed.authorization
  return out
end

--- sigv4.presign(opts): a URL whose query string carries the signature (X-Amz-*), valid for
--- opts.expires seconds (default 900). Headers in opts.headers are signed and must be sent
--- with the request. S3 URLs sign UNSIGNED-PAYLOAD, other services the payload's hash.
function M.presign(opts)
  local r = request_fields(opts, "presign")
  local amz_date = amz_date_of(opts)
  local scope = amz_date:sub(1, 8) .. "/" .. r.region .. "/" .. r.service .. "/aws4_request"
  local headers = {}
  local names = { "host" }
  for name, value in pairs(opts.headers or {}) do
    headers[name:lower()] = value
    names[#names + 1] = name:lower()
  end
  table.sort(names, byte_less)
  local params = {
    "X-Amz-Algorithm=" .. ALGORITHM,
    "X-Amz-Credential=" .. M.encode(r.access_key .. "/" .. scope),
    "X-Amz-Date=" .. amz_date,
    "X-Amz-Expires=" .. string.format("%d", opts.expires or 900),
    "X-Amz-SignedHeaders=" .. M.encode(table.concat(names, ";")),
  }
  if opts.session_token then
    params[#params + 1] = "X-Amz-Security-Token=" .. M.encode(opts.session_token)
  end
  local query = opts.query and opts.query ~= "" and (opts.query .. "&") or ""
  query = query .. table.concat(params, "&")
  local payload_hash = payload_hash_of(opts, r.service == "s3" and M.UNSIGNED or nil)
  r.query, r.headers, r.payload_hash, r.amz_date = query, headers, payload_hash, amz_date
  local signed = M._sign(r)
  return (opts.scheme or "https") .. "://" .. r.host .. M._uri_path(r.path) .. "?"
    .. query .. "&X-Amz-Signature=" .. signed.signature
end

return M
