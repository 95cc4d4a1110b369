--- @module assay.sonarqube
--- @description SonarQube Web API reads: quality-gate status of a project, branch or pull request; issue and security-hotspot search; component measures; project search; server status. Searches follow every page (p/ps) unless opts.page asks for one.
--- @category devtools
--- @icon sonarqubeserver
--- @keywords sonarqube, sonar, sonarcloud, quality-gate, gate, issues, hotspots, measures, metrics, coverage, projects, code-quality, security, bugs, vulnerabilities, code-smells
--- @env SONAR_TOKEN
--- @quickref M.client(url, opts?) -> client | SonarQube client; opts {token (Bearer; else $SONAR_TOKEN)} or {user, password} (Basic)
--- @quickref c.qualitygate:project_status(project_key, opts?) -> {projectStatus}|nil | Quality gate of a project (nil when unknown); opts {branch, pull_request}
--- @quickref c.qualitygate:passed(project_key, opts?) -> bool, status | True when the gate status is OK; also returns the status ("ERROR", "NONE", ...)
--- @quickref c.issues:search(opts?) -> {total, issues, paging} | Search issues, every page; opts {component_keys, types, severities, statuses, resolved, branch, pull_request, page, page_size}
--- @quickref c.hotspots:search(opts?) -> {hotspots, paging} | Search security hotspots, every page; opts {project_key, status, resolution, branch, pull_request, page, page_size}
--- @quickref c.measures:component(component, metric_keys, opts?) -> {component}|nil | Measures of a component; metric_keys a list or "coverage,bugs"; opts {branch, pull_request}
--- @quickref c.measures:values(component, metric_keys, opts?) -> {metric = value} | The same measures as a table metric -> value (text, as SonarQube sends it)
--- @quickref c.projects:search(opts?) -> {components, paging} | Search projects (needs Administer System), every page; opts {query, qualifiers, projects, page, page_size}
--- @quickref c.system:status() -> {id, version, status} | Server status (UP, STARTING, DB_MIGRATION_NEEDED, ...); needs no token

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- SonarQube refuses page sizes above 500, and any search beyond the 10,000th result.
local MAX_PAGE_SIZE = 500
local MAX_RESULTS = 10000

function M.client(url, opts)
  H.require_url("sonarqube", url)
  opts = opts or {}
  local headers = {}
  H.merge_headers(headers, opts.headers)
  local token = opts.token
  local user = opts.user or opts.username
  if token == nil and user == nil then token = env.get("SONAR_TOKEN") end
  if token == "" then token = nil end
  H.auth_headers({ token = token, username = user, password = user and (opts.password or "") }, headers)
  return setmetatable({ url = H.strip(url), api = H.client(url, { module = "sonarqube", headers = headers }) }, Client)
end

-- A list option as SonarQube takes it: comma-separated.
local function csv(value)
  if type(value) == "table" then return table.concat(value, ",") end
  return value
end

-- GET `path` with the query pairs (a table.pack: nil values are skipped); with opts.page one
-- page as the server answers it, else every page with the items of `field` gathered into the
-- first answer.
local function search(c, path, field, pairs_, opts)
  opts = opts or {}
  local filters = H.query(table.unpack(pairs_, 1, pairs_.n))
  local function fetch(page, size)
    local paging = H.query("p", page, "ps", size)
    if filters ~= "" and paging ~= "" then paging = "&" .. paging:sub(2) end
    return c.api:get(path .. filters .. paging)
  end
  if opts.page ~= nil then return fetch(opts.page, opts.page_size) end
  local size = math.min(opts.page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
  local first = fetch(1, size)
  local items = first[field] or {}
  local page, answer = 1, first
  while #(answer[field] or {}) == size and page * size < MAX_RESULTS do
    local paging = answer.paging or {}
    local total = paging.total or answer.total
    if total ~= nil and #items >= total then break end
    page = page + 1
    answer = fetch(page, size)
    for _, item in ipairs(answer[field] or {}) do items[#items + 1] = item end
  end
  first[field] = items
  return first
end

H.api({
  module = "sonarqube",
  quickref = {
    "M.client(url, opts?) -> client | SonarQube client; opts {token (Bearer; else $SONAR_TOKEN)} or {user, password} (Basic)",
  },
  ops = {
    { false, "qualitygate:project_status", "(project_key, opts?) -> {projectStatus}|nil", "Quality gate of a project (nil when unknown); opts {branch, pull_request}",
      fn = function(c, key, opts)
        opts = opts or {}
        return c.api:get("/api/qualitygates/project_status" .. H.query("projectKey", key, "branch", opts.branch,
          "pullRequest", opts.pull_request), { allow_404 = true })
      end },
    { false, "qualitygate:passed", "(project_key, opts?) -> bool, status", "True when the gate status is OK; also returns the status (\"ERROR\", \"NONE\", ...)",
      fn = function(c, key, opts)
        local answer = c.qualitygate:project_status(key, opts)
        if answer == nil then error("sonarqube: no quality gate status for project " .. tostring(key), 0) end
        local status = (answer.projectStatus or {}).status
        return status == "OK", status
      end },
    { false, "issues:search", "(opts?) -> {total, issues, paging}", "Search issues, every page; opts {component_keys, types, severities, statuses, resolved, branch, pull_request, page, page_size}",
      fn = function(c, opts)
        opts = opts or {}
        return search(c, "/api/issues/search", "issues", table.pack(
          "componentKeys", csv(opts.component_keys), "types", csv(opts.types), "severities", csv(opts.severities),
          "statuses", csv(opts.statuses), "resolved", opts.resolved, "branch", opts.branch,
          "pullRequest", opts.pull_request), opts)
      end },
    { false, "hotspots:search", "(opts?) -> {hotspots, paging}", "Search security hotspots, every page; opts {project_key, status, resolution, branch, pull_request, page, page_size}",
      fn = function(c, opts)
        opts = opts or {}
        return search(c, "/api/hotspots/search", "hotspots", table.pack(
          "projectKey", opts.project_key, "status", opts.status, "resolution", opts.resolution,
          "branch", opts.branch, "pullRequest", opts.pull_request), opts)
      end },
    { false, "measures:component", "(component, metric_keys, opts?) -> {component}|nil", "Measures of a component; metric_keys a list or \"coverage,bugs\"; opts {branch, pull_request}",
      fn = function(c, component, keys, opts)
        opts = opts or {}
        return c.api:get("/api/measures/component" .. H.query("component", component, "metricKeys", csv(keys),
          "branch", opts.branch, "pullRequest", opts.pull_request), { allow_404 = true })
      end },
    { false, "measures:values", "(component, metric_keys, opts?) -> {metric = value}", "The same measures as a table metric -> value (text, as SonarQube sends it)",
      fn = function(c, component, keys, opts)
        local out = {}
        local answer = c.measures:component(component, keys, opts)
        for _, m in ipairs(((answer or {}).component or {}).measures or {}) do out[m.metric] = m.value end
        return out
      end },
    { false, "projects:search", "(opts?) -> {components, paging}", "Search projects (needs Administer System), every page; opts {query, qualifiers, projects, page, page_size}",
      fn = function(c, opts)
        opts = opts or {}
        return search(c, "/api/projects/search", "components", table.pack(
          "q", opts.query, "qualifiers", csv(opts.qualifiers), "projects", csv(opts.projects)), opts)
      end },
    { false, "system:status", "() -> {id, version, status}", "Server status (UP, STARTING, DB_MIGRATION_NEEDED, ...); needs no token",
      get = "/api/system/status" },
  },
}):install(Client)

return M
