--- @module assay.github
--- @description GitHub REST API client. PRs, issues, actions, repositories, GraphQL. No gh CLI dependency.
--- @keywords github, pr, pull-request, issue, actions, runs, graphql, repository, merge, review, comment
--- @quickref M.client(base_url, opts?) -> client | GitHub client for base_url (https://api.github.com or a GHE .../api/v3); opts {token?} (token defaults to $GITHUB_TOKEN); M.client(opts?) with opts.base_url also works
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

H.api({
  module = "github",
  quickref = {
    "M.client(base_url, opts?) -> client | GitHub client for base_url (https://api.github.com or a GHE .../api/v3); opts {token?} (token defaults to $GITHUB_TOKEN); M.client(opts?) with opts.base_url also works",
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
