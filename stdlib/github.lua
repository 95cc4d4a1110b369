--- @module assay.github
--- @description GitHub REST API client. PRs, issues, actions, repositories, GraphQL. No gh CLI dependency.
--- @category devtools
--- @icon github
--- @keywords github, pr, pull-request, issue, actions, runs, graphql, repository, merge, review, comment
--- @quickref M.client(base_url, opts?) -> client | GitHub client for base_url (https://api.github.com or a GHE .../api/v3); opts {token?} (token defaults to $GITHUB_TOKEN); M.client(opts?) with opts.base_url also works
--- @quickref github.latest_release(owner, repo, opts?) -> release | Latest release plus version (tag without v); opts {token, base_url}
--- @quickref github.find_asset(release, name_pattern) -> asset|nil | First asset whose name matches a Lua pattern
--- @quickref github.fetch_asset_text(asset) -> string | Download an asset body (fetch_asset_bytes is the same)
--- @quickref github.release_checksum(release, opts) -> hex | Digest of the asset matching opts.asset_pattern from its .sha256 sibling or a checksums file
--- @quickref c.pulls:get(repo, number) -> pr | Get pull request details; flat: c:pr_view(repo, number)
--- @quickref c.pulls:list(repo, opts?) -> [pr] | List pull requests; flat: c:pr_list(repo, opts?)
--- @quickref c.pulls:reviews(repo, number) -> [review] | List PR reviews; flat: c:pr_reviews(repo, number)
--- @quickref c.pulls:merge(repo, number, opts?) -> result | Merge a pull request; flat: c:pr_merge(repo, number, opts?)
--- @quickref c.issues:list(repo, opts?) -> [issue] | List issues; flat: c:issue_list(repo, opts?)
--- @quickref c.issues:get(repo, number) -> issue | Get issue details; flat: c:issue_get(repo, number)
--- @quickref c.issues:create(repo, title, body, opts?) -> issue | Create an issue; flat: c:issue_create(repo, title, body, opts?)
--- @quickref c.issues:create_note(repo, number, body) -> comment | Add issue comment; flat: c:issue_comment(repo, number, body)
--- @quickref c.repos:get(repo) -> repository | Get repository details; flat: c:repo_get(repo)
--- @quickref c.runs:list(repo, opts?) -> {workflow_runs} | List workflow runs; flat: c:runs_list(repo, opts?)
--- @quickref c.runs:get(repo, run_id) -> run | Get workflow run details; flat: c:run_get(repo, run_id)
--- @quickref c:graphql(query, variables?) -> data | Execute GraphQL query

local H = require("assay._http")

local M = {}

M.DEFAULT_BASE_URL = "https://api.github.com"

local Client = {}
Client.__index = Client

-- GraphQL endpoint: <base>/graphql, except GitHub Enterprise Server, whose REST API lives
-- under /api/v3 while GraphQL is /api/graphql.
local function graphql_url(base)
  local host = base:match("^(.-)/api/v3$")
  if host then return host .. "/api/graphql" end
  return base .. "/graphql"
end

--- M.client(opts?) with opts {token?, base_url?}; also M.client(base_url, opts?).
function M.client(opts, more)
  if type(opts) == "string" then
    local url = opts
    opts = {}
    for k, v in pairs(more or {}) do opts[k] = v end
    opts.base_url = url
  end
  opts = opts or {}
  local token = opts.token
  if token == nil then token = env.get("GITHUB_TOKEN") end
  if token == "" then token = nil end
  local base = H.strip(opts.base_url or M.DEFAULT_BASE_URL)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/vnd.github+json",
  }
  if token ~= nil then headers["Authorization"] = "Bearer " .. token end
  return setmetatable({
    base_url = base,
    token = token,
    graphql_url = graphql_url(base),
    api = H.client(base, { module = "github", headers = headers,
      error = "github: {method} {path_query} HTTP {status}: {body}" }),
    gql = H.client(graphql_url(base), { module = "github", headers = headers,
      error = "github: {method} /graphql HTTP {status}: {body}" }),
  }, Client)
end

local function repo_path(repo)
  local owner, name
  if type(repo) == "string" then
    owner, name = repo:match("^([^/]+)/(.+)$")
  end
  if not owner then
    error("github: invalid repo format, expected 'owner/repo': " .. tostring(repo))
  end
  return "/repos/" .. owner .. "/" .. name
end

-- Query string of the options present, in the order given; values percent-encoded
-- (numbers without ".0"; booleans as true/false).
local function query(opts, keys)
  local args = {}
  for i, key in ipairs(keys) do
    args[2 * i - 1] = key
    if opts then args[2 * i] = opts[key] end
  end
  return H.query(table.unpack(args, 1, #keys * 2))
end

function Client:_get(path)
  return self.api:get(path, { allow_404 = true })
end

function Client:_post(path, body)
  return self.api:post(path, body, { expect = { 200, 201 } })
end

function Client:_put(path, body)
  local resp = self.api:put(path, body or {}, { expect = { 200, 204 }, result = "response" })
  if resp.body == nil or resp.body == "" then return true end
  return json.parse(resp.body)
end

function Client:pr_view(repo, number)
  return self:_get(repo_path(repo) .. "/pulls/" .. H.text(number))
end

function Client:pr_list(repo, opts)
  return self:_get(repo_path(repo) .. "/pulls"
    .. query(opts, { "state", "sort", "direction", "per_page" }))
end

function Client:pr_reviews(repo, number)
  return self:_get(repo_path(repo) .. "/pulls/" .. H.text(number) .. "/reviews")
end

function Client:pr_merge(repo, number, opts)
  opts = opts or {}
  local body = {}
  for _, key in ipairs({ "merge_method", "commit_title", "commit_message" }) do
    if opts[key] ~= nil then body[key] = opts[key] end
  end
  return self:_put(repo_path(repo) .. "/pulls/" .. H.text(number) .. "/merge", body)
end

function Client:issue_list(repo, opts)
  return self:_get(repo_path(repo) .. "/issues"
    .. query(opts, { "state", "labels", "sort", "direction", "per_page" }))
end

function Client:issue_get(repo, number)
  return self:_get(repo_path(repo) .. "/issues/" .. H.text(number))
end

function Client:issue_create(repo, title, body, opts)
  opts = opts or {}
  local payload = { title = title, body = body }
  for _, key in ipairs({ "labels", "assignees", "milestone" }) do
    if opts[key] ~= nil then payload[key] = opts[key] end
  end
  return self:_post(repo_path(repo) .. "/issues", payload)
end

function Client:issue_comment(repo, number, body)
  return self:_post(repo_path(repo) .. "/issues/" .. H.text(number) .. "/comments", { body = body })
end

function Client:repo_get(repo)
  return self:_get(repo_path(repo))
end

function Client:runs_list(repo, opts)
  return self:_get(repo_path(repo) .. "/actions/runs"
    .. query(opts, { "status", "branch", "per_page" }))
end

function Client:run_get(repo, run_id)
  return self:_get(repo_path(repo) .. "/actions/runs/" .. H.text(run_id))
end

function Client:graphql(gql_query, variables)
  local body
  if type(variables) == "table" and next(variables) == nil then
    -- GraphQL wants an object; the json builtin would write an empty table as []
    body = '{"query":' .. json.encode(gql_query) .. ',"variables":{}}'
  else
    body = { query = gql_query, variables = variables }
  end
  return self.gql:post("", body, { expect = { 200, 201 } })
end


-- ---- releases (module functions: no client needed) -------------------------------------

--- github.latest_release(owner, repo, opts?): the latest release of owner/repo with `version`
--- (the tag without a leading "v"). opts {token, base_url}; the token defaults to
--- $GITHUB_TOKEN, then $GH_TOKEN.
function M.latest_release(owner, repo, opts)
  if type(owner) ~= "string" or owner == "" then error("github.latest_release: owner must be a string", 2) end
  if type(repo) ~= "string" or repo == "" then error("github.latest_release: repo must be a string", 2) end
  opts = opts or {}
  local token = opts.token
  if token == nil or token == "" then token = env.get("GITHUB_TOKEN") end
  if token == nil or token == "" then token = env.get("GH_TOKEN") end
  local c = M.client({ base_url = opts.base_url, token = token })
  local release = c.api:get("/repos/" .. H.encode(owner) .. "/" .. H.encode(repo) .. "/releases/latest")
  if type(release) == "table" and type(release.tag_name) == "string" then
    release.version = release.tag_name:gsub("^v", "")
  end
  return release
end

--- github.find_asset(release, pattern): the first asset whose name matches the Lua pattern, or nil.
function M.find_asset(release, pattern)
  if type(release) ~= "table" then error("github.find_asset: release must be a table", 2) end
  if type(pattern) ~= "string" then error("github.find_asset: name_pattern must be a string", 2) end
  for _, asset in ipairs(release.assets or {}) do
    if type(asset.name) == "string" and asset.name:find(pattern) then return asset end
  end
  return nil
end

--- github.fetch_asset_text(asset): the body behind asset.browser_download_url (bytes as a string).
function M.fetch_asset_text(asset)
  if type(asset) ~= "table" or type(asset.browser_download_url) ~= "string" then
    error("github.fetch_asset_text: asset must have a browser_download_url", 2)
  end
  local resp = http.get(asset.browser_download_url, { headers = { Accept = "application/octet-stream" } })
  if resp.status < 200 or resp.status >= 300 then
    error("github.fetch_asset_text: GET " .. asset.browser_download_url .. " HTTP " .. resp.status, 2)
  end
  return resp.body
end

--- Lua strings are bytes: the same download.
M.fetch_asset_bytes = M.fetch_asset_text

local DIGEST_LENGTH = { sha1 = 40, sha256 = 64, sha384 = 96, sha512 = 128, md5 = 32 }

--- github.release_checksum(release, {asset_pattern, digest?}): the lower-case hex digest of the
--- asset matching asset_pattern, read from its sibling "<name>.<digest>" file, else from a
--- checksums file of the release ("SHA256SUMS", "checksums.txt", ...) that names the asset.
function M.release_checksum(release, opts)
  if type(release) ~= "table" then error("github.release_checksum: release must be a table", 2) end
  if type(opts) ~= "table" or type(opts.asset_pattern) ~= "string" then
    error("github.release_checksum: opts.asset_pattern is required", 2)
  end
  local digest = (opts.digest or "sha256"):lower()
  local length = DIGEST_LENGTH[digest]
  if not length then error("github.release_checksum: unknown digest " .. tostring(opts.digest), 2) end
  local asset = M.find_asset(release, opts.asset_pattern)
  if not asset then error("github.release_checksum: no asset matches " .. opts.asset_pattern, 2) end
  local hex = "%x+"
  local sibling
  for _, a in ipairs(release.assets or {}) do
    if a.name == asset.name .. "." .. digest then sibling = a end
  end
  if sibling then
    for word in M.fetch_asset_text(sibling):gmatch(hex) do
      if #word == length then return word:lower() end
    end
    error("github.release_checksum: no " .. digest .. " digest in " .. sibling.name, 2)
  end
  for _, a in ipairs(release.assets or {}) do
    local name = (a.name or ""):lower()
    if name ~= asset.name:lower() and (name:find(digest, 1, true) or name:find("checksum", 1, true)) then
      for line in M.fetch_asset_text(a):gmatch("[^\n]+") do
        local word, file = line:match("^(%x+)%s+%*?(.-)%s*$")
        if word and #word == length and file == asset.name then return word:lower() end
      end
    end
  end
  error("github.release_checksum: no " .. digest .. " checksum for " .. asset.name .. " in the release", 2)
end

H.api({
  module = "github",
  quickref = {
    "M.client(base_url, opts?) -> client | GitHub client for base_url (https://api.github.com or a GHE .../api/v3); opts {token?} (token defaults to $GITHUB_TOKEN); M.client(opts?) with opts.base_url also works",
    "github.latest_release(owner, repo, opts?) -> release | Latest release plus version (tag without v); opts {token, base_url}",
    "github.find_asset(release, name_pattern) -> asset|nil | First asset whose name matches a Lua pattern",
    "github.fetch_asset_text(asset) -> string | Download an asset body (fetch_asset_bytes is the same)",
    "github.release_checksum(release, opts) -> hex | Digest of the asset matching opts.asset_pattern from its .sha256 sibling or a checksums file",
  },
  ops = {
    { "pr_view", "pulls:get", "(repo, number) -> pr", "Get pull request details" },
    { "pr_list", "pulls:list", "(repo, opts?) -> [pr]", "List pull requests" },
    { "pr_reviews", "pulls:reviews", "(repo, number) -> [review]", "List PR reviews" },
    { "pr_merge", "pulls:merge", "(repo, number, opts?) -> result", "Merge a pull request" },
    { "issue_list", "issues:list", "(repo, opts?) -> [issue]", "List issues" },
    { "issue_get", "issues:get", "(repo, number) -> issue", "Get issue details" },
    { "issue_create", "issues:create", "(repo, title, body, opts?) -> issue", "Create an issue" },
    { "issue_comment", "issues:create_note", "(repo, number, body) -> comment", "Add issue comment" },
    { "repo_get", "repos:get", "(repo) -> repository", "Get repository details" },
    { "runs_list", "runs:list", "(repo, opts?) -> {workflow_runs}", "List workflow runs" },
    { "run_get", "runs:get", "(repo, run_id) -> run", "Get workflow run details" },
    { "graphql", false, "(query, variables?) -> data", "Execute GraphQL query" },
  },
}):install(Client)

return M
