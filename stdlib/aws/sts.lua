--- @module assay.aws.sts
--- @description AWS credentials and STS, in-process (no aws CLI): the standard credential chain (explicit keys, profiles with role_arn/source_profile, env, web identity/IRSA), AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity. Temporary credentials are cached until shortly before expiry.
--- @category cloud
--- @icon aws
--- @keywords aws, sts, credentials, assume-role, web-identity, irsa, profile, aws-profile, credential-chain, caller-identity, role
--- @env AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, HOME
--- @quickref M.client(url?, opts?) -> client | STS client for an endpoint (default https://sts.<region>.amazonaws.com); every function below is also a method with opts merged in
--- @quickref M.credentials(opts?) -> {access_key, secret_key, session_token?, expires_at?} | Resolve credentials: explicit keys, profile (opts.profile/AWS_PROFILE), env keys, web identity, default profile; then opts.role_arn is assumed
--- @quickref M.assume_role(role_arn, opts?) -> creds | sts:AssumeRole signed with opts.credentials or the chain; opts {session_name, duration_secs, external_id, region, sts_endpoint}
--- @quickref M.assume_role_with_web_identity(role_arn, token, opts?) -> creds | sts:AssumeRoleWithWebIdentity (unsigned; the OIDC token authenticates)
--- @quickref M.get_caller_identity(opts?) -> {account, arn, user_id} | Who the resolved credentials belong to
--- @quickref M.clear_cache() -> nil | Forget cached temporary credentials

local A = require("assay.aws._api")

local M = {}

local VERSION = "2011-06-15"
local REFRESH_MARGIN = 300 -- renew temporary credentials this many seconds before expiry

local function nonempty(value)
  if value == nil or value == "" then return nil end
  return value
end

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

-- ---- cache of temporary credentials -----------------------------------------------

local cache = {}

local function cached(key, fetch)
  local entry = cache[key]
  if entry and (entry.expires_at == nil or entry.expires_at - REFRESH_MARGIN > time()) then
    return entry
  end
  entry = fetch()
  cache[key] = entry
  return entry
end

function M.clear_cache()
  cache = {}
end

-- ---- STS calls ---------------------------------------------------------------------

-- An explicit STS endpoint (else the shared client reads AWS_ENDPOINT_URL_STS/AWS_ENDPOINT_URL).
local function endpoint(opts)
  return nonempty(opts.sts_endpoint) or nonempty(opts.endpoint)
end

local function api(opts, creds)
  local settings = copy(opts)
  settings.credentials, settings.role_arn, settings.profile = nil, nil, nil
  if creds then
    settings.access_key, settings.secret_key, settings.session_token =
      creds.access_key, creds.secret_key, creds.session_token
  end
  return A.client({ module = "aws.sts", service = "sts", prefix = "sts", id = "STS" }, endpoint(opts), settings)
end

local function call(client, params, unsigned)
  return client:request("POST", "/", {
    body = A.form(params), unsigned = unsigned,
    headers = { ["content-type"] = "application/x-www-form-urlencoded; charset=utf-8" },
  })
end

local function result_credentials(doc, action)
  local response = doc and doc[action .. "Response"]
  local result = type(response) == "table" and response[action .. "Result"]
  local c = type(result) == "table" and result.Credentials
  if type(c) ~= "table" or not c.AccessKeyId then
    error("aws.sts: " .. action .. " answered without credentials", 0)
  end
  local user = type(result.AssumedRoleUser) == "table" and result.AssumedRoleUser or {}
  return {
    access_key = c.AccessKeyId,
    secret_key = c.SecretAccessKey,
    session_token = c.SessionToken,
    expiration = c.Expiration,
    expires_at = require("assay.aws.sigv4")._epoch(c.Expiration),
    assumed_role_arn = user.Arn,
  }
end

local function session_name(opts)
  return nonempty(opts.session_name) or string.format("assay-%d", math.floor(time()))
end

function M.assume_role(role_arn, opts)
  if type(role_arn) ~= "string" or role_arn == "" then
    error("aws.sts.assume_role: role_arn must be a non-empty string", 2)
  end
  opts = opts or {}
  local base = opts.credentials
  if base == nil then
    local chain = copy(opts)
    chain.role_arn = nil
    base = M.credentials(chain)
  end
  local key = table.concat({ "role", role_arn, base.access_key, tostring(opts.session_name),
    tostring(opts.external_id), tostring(endpoint(opts)), A.region(opts) }, "\0")
  return cached(key, function()
    local doc = call(api(opts, base), {
      { "Action", "AssumeRole" }, { "Version", VERSION }, { "RoleArn", role_arn },
      { "RoleSessionName", session_name(opts) },
      { "DurationSeconds", opts.duration_secs and string.format("%d", opts.duration_secs) },
      { "ExternalId", opts.external_id },
    })
    return result_credentials(doc, "AssumeRole")
  end)
end

function M.assume_role_with_web_identity(role_arn, token, opts)
  if type(role_arn) ~= "string" or role_arn == "" then
    error("aws.sts.assume_role_with_web_identity: role_arn must be a non-empty string", 2)
  end
  if type(token) ~= "string" or token == "" then
    error("aws.sts.assume_role_with_web_identity: token must be a non-empty string", 2)
  end
  opts = opts or {}
  local key = table.concat({ "web", role_arn, crypto.hash(token, "sha256"), tostring(endpoint(opts)),
    A.region(opts) }, "\0")
  return cached(key, function()
    local doc = call(api(opts), {
      { "Action", "AssumeRoleWithWebIdentity" }, { "Version", VERSION }, { "RoleArn", role_arn },
      { "RoleSessionName", session_name(opts) }, { "WebIdentityToken", token },
      { "DurationSeconds", opts.duration_secs and string.format("%d", opts.duration_secs) },
    }, true)
    return result_credentials(doc, "AssumeRoleWithWebIdentity")
  end)
end

local function web_identity(role_arn, token_file, opts)
  local ok, token = pcall(fs.read, token_file)
  if not ok then
    error("aws.sts: cannot read the web identity token file " .. token_file, 0)
  end
  return M.assume_role_with_web_identity(role_arn, (token:gsub("%s+$", "")), opts)
end

function M.get_caller_identity(opts)
  opts = opts or {}
  local doc = call(api(opts, M.credentials(opts)), {
    { "Action", "GetCallerIdentity" }, { "Version", VERSION },
  })
  local result = doc.GetCallerIdentityResponse.GetCallerIdentityResult
  return { account = result.Account, arn = result.Arn, user_id = result.UserId }
end

-- ---- ~/.aws/config and ~/.aws/credentials ----------------------------------------------

--- INI text as {section = {key = value}}; `#`/`;` comments, indented sub-keys ignored.
function M._parse_ini(text)
  local out, current = {}, nil
  for raw in (text .. "\n"):gmatch("([^\n]*)\n") do
    local line = raw:gsub("\r$", "")
    local section = line:match("^%s*%[%s*(.-)%s*%]%s*$")
    if section then
      out[section] = out[section] or {}
      current = out[section]
    elseif current and not line:match("^%s*[#;]") and not line:match("^%s+%S") then
      local key, value = line:match("^([^=]-)%s*=%s*(.-)%s*$")
      if key and key ~= "" then current[key:lower()] = value end
    end
  end
  return out
end

local function home_file(explicit, variable, relative)
  if nonempty(explicit) then return explicit end
  if nonempty(env.get(variable)) then return env.get(variable) end
  local home = nonempty(env.get("HOME"))
  if not home then return nil end
  return home .. "/.aws/" .. relative
end

local function read_ini(path)
  if path == nil or not fs.exists(path) then return {} end
  return M._parse_ini(fs.read(path))
end

local function profiles(opts)
  local config_file = home_file(opts.config_file, "AWS_CONFIG_FILE", "config")
  local credentials_file = home_file(opts.credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
  return read_ini(config_file), read_ini(credentials_file), config_file, credentials_file
end

-- A profile's settings: the credentials file's keys over the config file's.
local function profile_entry(name, opts)
  local config, creds, config_file, credentials_file = profiles(opts)
  local from_config = config[name == "default" and "default" or ("profile " .. name)]
    or (name == "default" and config["profile default"]) or nil
  local from_creds = creds[name]
  if from_config == nil and from_creds == nil then return nil, config_file, credentials_file end
  local entry = copy(from_config)
  for k, v in pairs(from_creds or {}) do entry[k] = v end
  return entry
end

local function env_keys()
  local key, secret = nonempty(env.get("AWS_ACCESS_KEY_ID")), nonempty(env.get("AWS_SECRET_ACCESS_KEY"))
  if key and secret then
    return { access_key = key, secret_key = secret, session_token = nonempty(env.get("AWS_SESSION_TOKEN")) }
  end
  return nil
end

local function static_keys(p)
  if nonempty(p.aws_access_key_id) and nonempty(p.aws_secret_access_key) then
    return { access_key = p.aws_access_key_id, secret_key = p.aws_secret_access_key,
      session_token = nonempty(p.aws_session_token) }
  end
  return nil
end

local resolve_profile

local function role_options(p, opts)
  local o = copy(opts)
  o.profile, o.role_arn = nil, nil
  o.region = opts.region or nonempty(p.region)
  o.session_name = nonempty(p.role_session_name) or opts.session_name
  o.external_id = nonempty(p.external_id)
  o.duration_secs = tonumber(p.duration_seconds or "")
  return o
end

resolve_profile = function(name, opts, seen)
  if seen[name] then
    error("aws.sts: profile '" .. name .. "' is part of a source_profile cycle", 0)
  end
  seen[name] = true
  local p, config_file, credentials_file = profile_entry(name, opts)
  if p == nil then
    error("aws.sts: profile '" .. name .. "' not found in " .. tostring(config_file) .. " or "
      .. tostring(credentials_file), 0)
  end
  local role_arn = nonempty(p.role_arn)
  if role_arn then
    local o = role_options(p, opts)
    if nonempty(p.web_identity_token_file) then
      return web_identity(role_arn, p.web_identity_token_file, o)
    end
    local source
    if nonempty(p.source_profile) then
      if p.source_profile == name then
        source = static_keys(p)
      else
        source = resolve_profile(p.source_profile, opts, seen)
      end
    elseif p.credential_source == "Environment" then
      source = env_keys()
    elseif nonempty(p.credential_source) then
      error("aws.sts: profile '" .. name .. "' uses credential_source = " .. p.credential_source
        .. ", which assay does not support (use Environment or source_profile)", 0)
    end
    if source == nil then
      error("aws.sts: profile '" .. name .. "' has role_arn but no usable source_profile, "
        .. "credential_source or web_identity_token_file", 0)
    end
    o.credentials = source
    return M.assume_role(role_arn, o)
  end
  local keys = static_keys(p)
  if keys then return keys end
  if nonempty(p.credential_process) or nonempty(p.sso_start_url) or nonempty(p.sso_session) then
    error("aws.sts: profile '" .. name .. "' uses credential_process or SSO, which assay does not support", 0)
  end
  error("aws.sts: profile '" .. name .. "' has no credentials (aws_access_key_id/aws_secret_access_key or role_arn)", 0)
end

function M.credentials(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("aws.sts.credentials: opts must be a table or nil", 2) end
  local base
  if opts.access_key or opts.secret_key then
    if not nonempty(opts.access_key) or not nonempty(opts.secret_key) then
      error("aws.sts: access_key and secret_key must be given together", 0)
    end
    base = { access_key = opts.access_key, secret_key = opts.secret_key, session_token = opts.session_token }
  elseif opts.credentials then
    base = opts.credentials
  else
    local profile = nonempty(opts.profile) or nonempty(env.get("AWS_PROFILE"))
    if profile then
      base = resolve_profile(profile, opts, {})
    else
      base = env_keys()
      if base == nil and nonempty(env.get("AWS_ROLE_ARN")) and nonempty(env.get("AWS_WEB_IDENTITY_TOKEN_FILE")) then
        local o = copy(opts)
        o.session_name = opts.session_name or nonempty(env.get("AWS_ROLE_SESSION_NAME"))
        base = web_identity(env.get("AWS_ROLE_ARN"), env.get("AWS_WEB_IDENTITY_TOKEN_FILE"), o)
      end
      if base == nil and profile_entry("default", opts) ~= nil then
        base = resolve_profile("default", opts, {})
      end
    end
  end
  if base == nil then
    error("aws.sts: no AWS credentials found (tried explicit keys, AWS_PROFILE, "
      .. "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, "
      .. "the default profile)", 0)
  end
  if nonempty(opts.role_arn) then
    local o = copy(opts)
    o.role_arn, o.profile, o.credentials = nil, nil, base
    return M.assume_role(opts.role_arn, o)
  end
  return base
end

-- ---- sts.client(url?, opts?) ---------------------------------------------------------

local Client = {}
Client.__index = Client

local function merged(self, opts)
  local o = copy(self.opts)
  for k, v in pairs(opts or {}) do o[k] = v end
  return o
end

function Client:credentials(opts) return M.credentials(merged(self, opts)) end
function Client:assume_role(role_arn, opts) return M.assume_role(role_arn, merged(self, opts)) end
function Client:assume_role_with_web_identity(role_arn, token, opts)
  return M.assume_role_with_web_identity(role_arn, token, merged(self, opts))
end
function Client:get_caller_identity(opts) return M.get_caller_identity(merged(self, opts)) end

function M.client(url, opts)
  if type(url) == "table" and opts == nil then url, opts = nil, url end
  local o = copy(opts)
  if url ~= nil then o.sts_endpoint = url end
  return setmetatable({ opts = o, url = url }, Client)
end

return M
