--- @module assay.harbor
--- @description Harbor container registry. Projects, repositories, artifacts, vulnerability scanning.
--- @category devtools
--- @icon harbor
--- @keywords harbor, registry, artifacts, vulnerabilities, scanning, containers, project, repository, artifact, tag, scan, vulnerability, replication, image, docker, container-registry, oci
--- @quickref M.client(url, opts?) -> client | Harbor client; opts {api_key} (or {token}) or {username, password} (robot accounts: username/password)
--- @quickref c.system:health() -> {status, components} | Check Harbor health; flat: c:health()
--- @quickref c.system:info() -> {harbor_version, ...} | Get system information; flat: c:system_info()
--- @quickref c.system:statistics() -> {private_project_count, ...} | Get registry statistics; flat: c:statistics()
--- @quickref c.projects:list(opts?) -> [project] | List projects; flat: c:projects(opts?)
--- @quickref c.projects:get(name_or_id) -> project | Get project by name or ID; flat: c:project(name_or_id)
--- @quickref c.repositories:list(project_name, opts?) -> [repo] | List repositories in project; flat: c:repositories(project_name, opts?)
--- @quickref c.repositories:get(project_name, repo_name) -> repo | Get repository; flat: c:repository(project_name, repo_name)
--- @quickref c.artifacts:list(project_name, repo_name, opts?) -> [artifact] | List artifacts; flat: c:artifacts(project_name, repo_name, opts?)
--- @quickref c.artifacts:get(project_name, repo_name, reference) -> artifact | Get artifact by reference; flat: c:artifact(project_name, repo_name, reference)
--- @quickref c.artifacts:tags(project_name, repo_name, reference) -> [tag] | List artifact tags; flat: c:artifact_tags(project_name, repo_name, reference)
--- @quickref c.scan:trigger(project_name, repo_name, reference) -> true | Trigger vulnerability scan; flat: c:scan_artifact(project_name, repo_name, reference)
--- @quickref c.scan:vulnerabilities(project, repo, ref) -> {total, critical, ...}|nil | Get vulnerabilities; flat: c:artifact_vulnerabilities(project, repo, ref)
--- @quickref c.replication:policies() -> [policy] | List replication policies; flat: c:replication_policies()
--- @quickref c.replication:executions(opts?) -> [execution] | List replication executions; flat: c:replication_executions(opts?)
--- @quickref c.system:is_healthy() -> bool | Check if all components are healthy; flat: c:is_healthy()
--- @quickref c.artifacts:exists(project_name, repo_name, tag) -> bool | Check if image tag exists; flat: c:image_exists(project_name, repo_name, tag)
--- @quickref c.artifacts:latest(project_name, repo_name) -> artifact|nil | Get latest artifact; flat: c:latest_artifact(project_name, repo_name)

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

local API = "/api/v2.0"

--- M.client(url, opts?): opts.api_key (or opts.token) → Bearer; else username + password → Basic.
function M.client(url, opts)
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  H.merge_headers(headers, opts.headers)
  return setmetatable({
    url = H.strip(url),
    api = H.client(url, { error = "harbor: {method} {path_query} HTTP {status}: {body}",
      headers = headers, api_key = opts.api_key, token = opts.token,
      username = opts.username, password = opts.password }),
  }, Client)
end

-- Harbor wants the "/" of nested repository names (team/app) encoded twice in paths
-- (team%252Fapp); other characters are inserted as given.
local function repo_path(project_name, repo_name)
  return API .. "/projects/" .. H.text(project_name) .. "/repositories/"
    .. (H.text(repo_name):gsub("/", "%%252F"))
end

local function artifact_path(project_name, repo_name, reference)
  return repo_path(project_name, repo_name) .. "/artifacts/" .. H.text(reference)
end

function Client:health()
  return self.api:get(API .. "/health")
end

function Client:system_info()
  return self.api:get(API .. "/systeminfo")
end

function Client:statistics()
  return self.api:get(API .. "/statistics")
end

function Client:projects(opts)
  opts = opts or {}
  local q = H.query("name", opts.name, "public", opts.public, "page", opts.page, "page_size", opts.page_size)
  return self.api:get(API .. "/projects" .. q)
end

function Client:project(name_or_id)
  return self.api:get(API .. "/projects/" .. H.text(name_or_id))
end

function Client:repositories(project_name, opts)
  opts = opts or {}
  local q = H.query("page", opts.page, "page_size", opts.page_size, "q", opts.q)
  return self.api:get(API .. "/projects/" .. H.text(project_name) .. "/repositories" .. q)
end

function Client:repository(project_name, repo_name)
  return self.api:get(repo_path(project_name, repo_name))
end

function Client:artifacts(project_name, repo_name, opts)
  opts = opts or {}
  local q = H.query("page", opts.page, "page_size", opts.page_size, "with_tag", opts.with_tag,
    "with_scan_overview", opts.with_scan_overview, "sort", opts.sort)
  return self.api:get(repo_path(project_name, repo_name) .. "/artifacts" .. q)
end

function Client:artifact(project_name, repo_name, reference)
  return self.api:get(artifact_path(project_name, repo_name, reference))
end

function Client:artifact_tags(project_name, repo_name, reference)
  return self.api:get(artifact_path(project_name, repo_name, reference) .. "/tags")
end

function Client:scan_artifact(project_name, repo_name, reference)
  local resp = self.api:post(artifact_path(project_name, repo_name, reference) .. "/scan", {},
    { expect = "any", result = "response" })
  if resp.status ~= 202 then
    error("harbor: POST scan HTTP " .. resp.status .. ": " .. tostring(resp.body))
  end
  return true
end

function Client:artifact_vulnerabilities(project_name, repo_name, reference)
  local resp = self.api:response("GET",
    artifact_path(project_name, repo_name, reference) .. "?with_scan_overview=true")
  if resp.status ~= 200 then
    error("harbor: GET artifact vulnerabilities HTTP " .. resp.status .. ": " .. tostring(resp.body))
  end
  local artifact = json.parse(resp.body)
  local overview = type(artifact) == "table" and artifact.scan_overview or nil
  if type(overview) ~= "table" then return nil end
  local _, report = next(overview)
  if type(report) ~= "table" or type(report.summary) ~= "table" then return nil end
  local summary = report.summary
  local counts = type(summary.summary) == "table" and summary.summary or {}
  return {
    total = summary.total or 0,
    fixable = summary.fixable or 0,
    critical = counts.Critical or 0,
    high = counts.High or 0,
    medium = counts.Medium or 0,
    low = counts.Low or 0,
    negligible = counts.Negligible or 0,
  }
end

function Client:replication_policies()
  return self.api:get(API .. "/replication/policies")
end

function Client:replication_executions(opts)
  opts = opts or {}
  return self.api:get(API .. "/replication/executions" .. H.query("policy_id", opts.policy_id))
end

function Client:is_healthy()
  local health = self:health()
  if type(health) ~= "table" or type(health.components) ~= "table" then return false end
  for _, component in ipairs(health.components) do
    if component.status ~= "healthy" then return false end
  end
  return true
end

function Client:image_exists(project_name, repo_name, tag)
  return self.api:response("GET", artifact_path(project_name, repo_name, tag)).status == 200
end

--- The newest artifact: page_size=1 sorted by push time, newest first (sort=-push_time).
function Client:latest_artifact(project_name, repo_name)
  local list = self:artifacts(project_name, repo_name, { page_size = 1, sort = "-push_time" })
  if type(list) ~= "table" then return nil end
  return list[1]
end

H.api({
  module = "harbor",
  quickref = {
    "M.client(url, opts?) -> client | Harbor client; opts {api_key} (or {token}) or {username, password} (robot accounts: username/password)",
  },
  ops = {
    { "health", "system:health", "() -> {status, components}", "Check Harbor health" },
    { "system_info", "system:info", "() -> {harbor_version, ...}", "Get system information" },
    { "statistics", "system:statistics", "() -> {private_project_count, ...}", "Get registry statistics" },
    { "projects", "projects:list", "(opts?) -> [project]", "List projects" },
    { "project", "projects:get", "(name_or_id) -> project", "Get project by name or ID" },
    { "repositories", "repositories:list", "(project_name, opts?) -> [repo]", "List repositories in project" },
    { "repository", "repositories:get", "(project_name, repo_name) -> repo", "Get repository" },
    { "artifacts", "artifacts:list", "(project_name, repo_name, opts?) -> [artifact]", "List artifacts" },
    { "artifact", "artifacts:get", "(project_name, repo_name, reference) -> artifact", "Get artifact by reference" },
    { "artifact_tags", "artifacts:tags", "(project_name, repo_name, reference) -> [tag]", "List artifact tags" },
    { "scan_artifact", "scan:trigger", "(project_name, repo_name, reference) -> true", "Trigger vulnerability scan" },
    { "artifact_vulnerabilities", "scan:vulnerabilities", "(project, repo, ref) -> {total, critical, ...}|nil", "Get vulnerabilities" },
    { "replication_policies", "replication:policies", "() -> [policy]", "List replication policies" },
    { "replication_executions", "replication:executions", "(opts?) -> [execution]", "List replication executions" },
    { "is_healthy", "system:is_healthy", "() -> bool", "Check if all components are healthy" },
    { "image_exists", "artifacts:exists", "(project_name, repo_name, tag) -> bool", "Check if image tag exists" },
    { "latest_artifact", "artifacts:latest", "(project_name, repo_name) -> artifact|nil", "Get latest artifact" },
  },
}):install(Client)

return M
