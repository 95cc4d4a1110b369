--- @module assay.oauth2
--- @description Google OAuth2 helper for loading credentials, refreshing access tokens, persisting token files, and building auth headers.
--- @category identity
--- @icon google
--- @keywords oauth2, google, auth, token, refresh, credentials, bearer, gmail, gcal
--- @quickref oauth2.client(token_url, opts?) -> client | OAuth2 client for the token endpoint; opts {credentials_file?, token_file?} (as oauth2.from_file)
--- @quickref oauth2.from_file(credentials_path?, token_path?, opts?) -> client | Load OAuth2 credentials and token files
--- @quickref client:access_token() -> string | Return current access token
--- @quickref client:refresh() -> string | Refresh access token using refresh_token grant
--- @quickref client:save() -> true | Persist token data back to token file
--- @quickref client:headers() -> {Authorization, Content-Type} | Return JSON auth headers

local H = require("assay._http")

local M = {}

M.DEFAULT_CREDENTIALS_FILE = "~/.config/gog/credentials.json"
M.DEFAULT_TOKEN_FILE = "~/.config/gog/token.json"
M.DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"

local Client = {}
Client.__index = Client

-- A leading "~" becomes $HOME (empty when unset); nothing else is expanded.
local function expand(path)
  if path:sub(1, 1) == "~" then
    return (env.get("HOME") or "") .. path:sub(2)
  end
  return path
end

local function read_json(path)
  local text = fs.read(path)
  if text == nil or text == "" then
    error("oauth2: failed to read file: " .. path)
  end
  return json.parse(text)
end

--- oauth2.from_file(credentials_path?, token_path?, opts?) with opts.token_url.
function M.from_file(credentials_path, token_path, opts)
  opts = opts or {}
  local creds_file = expand(credentials_path or M.DEFAULT_CREDENTIALS_FILE)
  local token_file = expand(token_path or M.DEFAULT_TOKEN_FILE)
  local creds = read_json(creds_file)
  local token_data = read_json(token_file)
  local credentials = creds
  if type(creds) == "table" then
    credentials = creds.installed or creds.web or creds
  end
  return setmetatable({
    _credentials = credentials,
    _token_data = token_data,
    _token_file = token_file,
    _token_url = opts.token_url or M.DEFAULT_TOKEN_URL,
    _access_token = type(token_data) == "table" and token_data.access_token or nil,
  }, Client)
end

--- oauth2.client(token_url?, opts?): from_file with the token endpoint first;
--- opts {credentials_file?, token_file?} (a single options table with token_url works too).
function M.client(token_url, opts)
  if type(token_url) == "table" and opts == nil then
    opts, token_url = token_url, token_url.token_url
  end
  opts = opts or {}
  return M.from_file(opts.credentials_file, opts.token_file,
    { token_url = token_url or opts.token_url })
end

function Client:access_token()
  return self._access_token
end

function Client:refresh()
  local api = H.client(self._token_url, { error = "oauth2: token refresh failed HTTP {status}: {body}" })
  local data = api:post("", {
    grant_type = "refresh_token",
    refresh_token = self._token_data.refresh_token,
    client_id = self._credentials.client_id,
    client_secret = self._credentials.client_secret,
  }) or {}
  self._access_token = data.access_token
  self._token_data.access_token = data.access_token
  for _, field in ipairs({ "refresh_token", "expires_in", "token_type" }) do
    if data[field] ~= nil then self._token_data[field] = data[field] end
  end
  return self._access_token
end

function Client:save()
  fs.write(self._token_file, H.json_body(self._token_data))
  return true
end

function Client:headers()
  return {
    Authorization = "Bearer " .. tostring(self:access_token()),
    ["Content-Type"] = "application/json",
  }
end

-- Shared by the Google API modules (gmail, gcal): the fields of a client whose requests
-- carry the OAuth2 bearer token. opts {credentials_file, token_file, token_url?, api_base?,
-- auth?} or (api_base, opts); `auth` is an existing oauth2 client. c.api_base keeps the
-- value as given; request URLs are built without its trailing slashes.
function M._api_client(name, opts, more, defaults)
  if type(opts) == "string" then
    local url = H.strip(opts)
    opts = {}
    for k, v in pairs(more or {}) do opts[k] = v end
    opts.api_base = url
  end
  opts = opts or {}
  local auth = opts.auth
  if auth == nil then
    -- level 2: the position is the calling module's client(), as for its own errors
    if opts.credentials_file == nil then error(name .. ": credentials_file is required", 2) end
    if opts.token_file == nil then error(name .. ": token_file is required", 2) end
    auth = M.from_file(opts.credentials_file, opts.token_file, { token_url = opts.token_url or defaults.token_url })
  end
  local api_base = opts.api_base or defaults.api_base
  return { api_base = api_base, auth = auth, api = H.client(api_base, {}) }
end

-- One request with the current bearer token; after a 401, refresh + save the token and
-- send it once more.
function M._request(client, method, path, body)
  local function send()
    return client.api:response(method, path, { body = body, headers = client.auth:headers() })
  end
  local resp = send()
  if resp.status == 401 then
    client.auth:refresh()
    client.auth:save()
    resp = send()
  end
  return resp
end

return M
