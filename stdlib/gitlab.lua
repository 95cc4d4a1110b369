--- @module assay.gitlab
--- @description GitLab REST API v4: projects, repository files and trees, atomic multi-file commits, branches, tags, merge requests, pipelines, jobs and their logs, releases, issues, groups, container registry, hooks, users. Lists follow every page (x-next-page / Link).
--- @category devtools
--- @icon gitlab
--- @keywords gitlab, git, ci, cd, merge-request, pipeline, jobs, repository, commit, files, branches, tags, registry, release, issues, webhooks, groups
--- @env GITLAB_TOKEN
--- @quickref M.client(url, opts?) -> client | GitLab client for https://gitlab.example.com (or …/api/v4); opts {token (PRIVATE-TOKEN: personal, project or group token), oauth_token (Bearer), job_token (CI_JOB_TOKEN)}; lists take opts.page/per_page for one page, else every page
--- @quickref c.projects:list(opts?) -> [project] | List projects; opts {search, owned, membership, visibility, order_by, sort, archived}
--- @quickref c.projects:get(id) -> project|nil | Get a project by numeric id or "group/name" path
--- @quickref c.projects:create(opts) -> project | Create a project; opts {name, path, namespace_id, visibility, ...}
--- @quickref c.projects:delete(id) -> nil | Delete a project
--- @quickref c.files:get(project, path, opts?) -> file|nil | File metadata with base64 content; opts {ref = "HEAD"}
--- @quickref c.files:raw(project, path, opts?) -> string|nil | Raw file content; opts {ref = "HEAD"}
--- @quickref c.files:create(project, path, opts) -> {file_path, branch} | Create a file; opts {branch, content, commit_message, encoding?}
--- @quickref c.files:update(project, path, opts) -> {file_path, branch} | Update a file; opts {branch, content, commit_message, last_commit_id?}
--- @quickref c.files:delete(project, path, opts) -> nil | Delete a file; opts {branch, commit_message}
--- @quickref c.repository:tree(project, opts?) -> [entry] | Repository tree; opts {path, ref, recursive}
--- @quickref c.repository:compare(project, from, to) -> {commits, diffs} | Compare branches, tags or commits
--- @quickref c.commits:list(project, opts?) -> [commit] | List commits; opts {ref_name, since, until, path}
--- @quickref c.commits:get(project, sha) -> commit|nil | Get a commit
--- @quickref c.commits:create(project, opts) -> commit | Atomic multi-file commit; opts {branch, commit_message, actions = {{action, file_path, content, previous_path?}}, start_branch?}
--- @quickref c.commits:cherry_pick(project, sha, opts) -> commit | Cherry-pick a commit; opts {branch}
--- @quickref c.branches:list(project, opts?) -> [branch] | List branches; opts {search}
--- @quickref c.branches:get(project, name) -> branch|nil | Get a branch
--- @quickref c.branches:create(project, opts) -> branch | Create a branch; opts {branch, ref}
--- @quickref c.branches:delete(project, name) -> nil | Delete a branch
--- @quickref c.tags:list(project, opts?) -> [tag] | List tags; opts {search, order_by, sort}
--- @quickref c.tags:get(project, name) -> tag|nil | Get a tag
--- @quickref c.tags:create(project, opts) -> tag | Create a tag; opts {tag_name, ref, message?}
--- @quickref c.tags:delete(project, name) -> nil | Delete a tag
--- @quickref c.merge_requests:list(project, opts?) -> [mr] | List merge requests; opts {state, labels, source_branch, target_branch, order_by, sort}
--- @quickref c.merge_requests:get(project, iid) -> mr|nil | Get a merge request
--- @quickref c.merge_requests:create(project, opts) -> mr | Create a merge request; opts {source_branch, target_branch, title, description?, labels?}
--- @quickref c.merge_requests:update(project, iid, opts) -> mr | Update a merge request; opts {title, description, state_event, labels}
--- @quickref c.merge_requests:merge(project, iid, opts?) -> mr | Accept a merge request; opts {squash, merge_commit_message, should_remove_source_branch}
--- @quickref c.merge_requests:approve(project, iid) -> approval | Approve a merge request
--- @quickref c.merge_requests:changes(project, iid) -> mr | The merge request with its changes
--- @quickref c.merge_requests:notes(project, iid, opts?) -> [note] | List comments
--- @quickref c.merge_requests:create_note(project, iid, body) -> note | Add a comment
--- @quickref c.pipelines:list(project, opts?) -> [pipeline] | List pipelines; opts {ref, status, source}
--- @quickref c.pipelines:get(project, id) -> pipeline|nil | Get a pipeline
--- @quickref c.pipelines:create(project, opts) -> pipeline | Run a pipeline; opts {ref, variables = {KEY = "value"} or {{key, value}}}
--- @quickref c.pipelines:cancel(project, id) -> pipeline | Cancel a pipeline
--- @quickref c.pipelines:retry(project, id) -> pipeline | Retry a pipeline's failed jobs
--- @quickref c.pipelines:delete(project, id) -> nil | Delete a pipeline
--- @quickref c.pipelines:jobs(project, pipeline_id, opts?) -> [job] | Jobs of a pipeline; opts {scope = {"failed", ...}}
--- @quickref c.jobs:list(project, opts?) -> [job] | Jobs of a project; opts {scope}
--- @quickref c.jobs:get(project, id) -> job|nil | Get a job
--- @quickref c.jobs:retry(project, id) -> job | Retry a job
--- @quickref c.jobs:cancel(project, id) -> job | Cancel a job
--- @quickref c.jobs:log(project, id) -> string|nil | A job's log (trace) as text
--- @quickref c.releases:list(project, opts?) -> [release] | List releases
--- @quickref c.releases:get(project, tag_name) -> release|nil | Get a release
--- @quickref c.releases:create(project, opts) -> release | Create a release; opts {tag_name, name, description, ref?, assets?}
--- @quickref c.releases:update(project, tag_name, opts) -> release | Update a release
--- @quickref c.releases:delete(project, tag_name) -> release | Delete a release
--- @quickref c.issues:list(project?, opts?) -> [issue] | List issues (project nil: every issue visible to the token); opts {state, labels, search, assignee_id}
--- @quickref c.issues:get(project, iid) -> issue|nil | Get an issue
--- @quickref c.issues:create(project, opts) -> issue | Create an issue; opts {title, description, labels, assignee_ids}
--- @quickref c.issues:update(project, iid, opts) -> issue | Update an issue; opts {title, description, state_event, labels}
--- @quickref c.issues:notes(project, iid, opts?) -> [note] | List comments
--- @quickref c.issues:create_note(project, iid, body) -> note | Add a comment
--- @quickref c.groups:list(opts?) -> [group] | List groups; opts {search, owned}
--- @quickref c.groups:get(id) -> group|nil | Get a group by id or path
--- @quickref c.groups:projects(id, opts?) -> [project] | Projects of a group; opts {search, include_subgroups}
--- @quickref c.registry:repositories(project) -> [repository] | Container registry repositories
--- @quickref c.registry:tags(project, repository_id) -> [tag] | Tags of a registry repository
--- @quickref c.registry:tag(project, repository_id, tag_name) -> tag|nil | One tag with digest and size
--- @quickref c.registry:delete_tag(project, repository_id, tag_name) -> nil | Delete a registry tag
--- @quickref c.hooks:list(project) -> [hook] | List project webhooks
--- @quickref c.hooks:get(project, id) -> hook|nil | Get a webhook
--- @quickref c.hooks:create(project, opts) -> hook | Create a webhook; opts {url, token?, push_events, merge_requests_events, ...}
--- @quickref c.hooks:update(project, id, opts) -> hook | Update a webhook
--- @quickref c.hooks:delete(project, id) -> nil | Delete a webhook
--- @quickref c.users:current() -> user | The token's user
--- @quickref c.users:list(opts?) -> [user] | Find users; opts {username, search}

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  H.require_url("gitlab", url)
  opts = opts or {}
  local headers = {}
  H.merge_headers(headers, opts.headers)
  if opts.token then
    H.set_header(headers, "PRIVATE-TOKEN", opts.token)
  elseif opts.oauth_token then
    H.set_header(headers, "Authorization", "Bearer " .. opts.oauth_token)
  elseif opts.job_token then
    H.set_header(headers, "JOB-TOKEN", opts.job_token)
  end
  local base = H.strip(url)
  if not base:match("/api/v4$") then base = base .. "/api/v4" end
  return setmetatable({
    url = H.strip(url),
    api = H.client(base, { module = "gitlab", headers = headers }),
  }, Client)
end

local SUCCESS = { 200, 201, 202, 204 }

-- "/projects/<id>" with the id or "group/name" path percent-encoded (slashes as %2F).
local function project_path(project)
  if project == nil then error("gitlab: project is required", 3) end
  return "/projects/" .. H.encode(project)
end

-- "?a=1&b=2" from opts: names are option fields, "key=field" renames, "key[]=field" lists.
local function query_of(opts, names, extra)
  local args = {}
  for _, item in ipairs(names or {}) do
    local key, field = item:match("^([^=]+)=(.+)$")
    key, field = key or item, field or item
    local value = opts[field]
    if type(value) == "table" and not key:find("[]", 1, true) then
      value = table.concat(value, ",") -- labels and friends: GitLab takes comma-separated lists
    end
    args[#args + 1], args[#args + 2] = key, value
  end
  for _, pair in ipairs(extra or {}) do
    args[#args + 1], args[#args + 2] = pair[1], pair[2]
  end
  return H.query(table.unpack(args))
end

--- Every item of a list endpoint, following x-next-page (offset pagination) or the Link
--- header's rel="next" (keyset pagination); with opts.page only that page.
function Client:_list(path, opts, names)
  opts = opts or {}
  local items = {}
  local page = opts.page
  local target = path .. query_of(opts, names, { { "per_page", opts.per_page or 100 }, { "page", page } })
  while target do
    local resp = self.api:request("GET", target, { result = "response" })
    local data = resp.body ~= "" and json.parse(resp.body) or {}
    for _, item in ipairs(type(data) == "table" and data or {}) do items[#items + 1] = item end
    target = nil
    if opts.page == nil then
      local nxt = resp.headers["x-next-page"]
      if nxt and nxt ~= "" then
        target = path .. query_of(opts, names, { { "per_page", opts.per_page or 100 }, { "page", nxt } })
      else
        local link = resp.headers["link"] or ""
        for url, rel in link:gmatch("<([^>]+)>%s*;%s*rel=\"([^\"]+)\"") do
          if rel == "next" then
            local base = self.api.base
            target = url:sub(1, #base) == base and url:sub(#base + 1) or nil
          end
        end
      end
    end
  end
  return items
end

function Client:_get(path) return self.api:get(path, { allow_404 = true }) end
function Client:_post(path, body) return self.api:post(path, body or {}, { expect = SUCCESS }) end
function Client:_put(path, body) return self.api:put(path, body or {}, { expect = SUCCESS }) end
function Client:_delete(path)
  local resp = self.api:request("DELETE", path, { expect = SUCCESS, result = "response" })
  if resp.body ~= nil and resp.body ~= "" then
    local ok, data = pcall(json.parse, resp.body)
    if ok then return data end
  end
  return nil
end

local function file_path(project, path)
  if type(path) ~= "string" or path == "" then error("gitlab: file path is required", 3) end
  return project_path(project) .. "/repository/files/" .. H.encode(path)
end

-- Pipeline variables as GitLab wants them: a list of {key, value, variable_type?}.
local function variables(vars)
  if type(vars) ~= "table" then return vars end
  if vars[1] ~= nil or next(vars) == nil then return vars end
  local keys, out = {}, {}
  for k in pairs(vars) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = { key = k, value = tostring(vars[k]) } end
  return out
end

local function enc(v) return H.encode(v) end

local P = project_path

H.api({
  module = "gitlab",
  quickref = { "M.client(url, opts?) -> client | GitLab client for https://gitlab.example.com (or …/api/v4); opts {token (PRIVATE-TOKEN: personal, project or group token), oauth_token (Bearer), job_token (CI_JOB_TOKEN)}; lists take opts.page/per_page for one page, else every page" },
  ops = {
    { false, "projects:list", "(opts?) -> [project]", "List projects; opts {search, owned, membership, visibility, order_by, sort, archived}",
      fn = function(c, opts) return c:_list("/projects", opts, { "search", "owned", "membership", "visibility", "order_by", "sort", "archived" }) end },
    { false, "projects:get", "(id) -> project|nil", "Get a project by numeric id or \"group/name\" path",
      fn = function(c, id) return c:_get(P(id)) end },
    { false, "projects:create", "(opts) -> project", "Create a project; opts {name, path, namespace_id, visibility, ...}",
      fn = function(c, opts) return c:_post("/projects", opts) end },
    { false, "projects:delete", "(id) -> nil", "Delete a project", fn = function(c, id) c:_delete(P(id)) end },

    { false, "files:get", "(project, path, opts?) -> file|nil", "File metadata with base64 content; opts {ref = \"HEAD\"}",
      fn = function(c, project, path, opts)
        return c:_get(file_path(project, path) .. H.query("ref", (opts or {}).ref or "HEAD"))
      end },
    { false, "files:raw", "(project, path, opts?) -> string|nil", "Raw file content; opts {ref = \"HEAD\"}",
      fn = function(c, project, path, opts)
        return c.api:get(file_path(project, path) .. "/raw" .. H.query("ref", (opts or {}).ref or "HEAD"),
          { allow_404 = true, result = "text" })
      end },
    { false, "files:create", "(project, path, opts) -> {file_path, branch}", "Create a file; opts {branch, content, commit_message, encoding?}",
      fn = function(c, project, path, opts) return c:_post(file_path(project, path), opts) end },
    { false, "files:update", "(project, path, opts) -> {file_path, branch}", "Update a file; opts {branch, content, commit_message, last_commit_id?}",
      fn = function(c, project, path, opts) return c:_put(file_path(project, path), opts) end },
    { false, "files:delete", "(project, path, opts) -> nil", "Delete a file; opts {branch, commit_message}",
      fn = function(c, project, path, opts)
        opts = opts or {}
        c:_delete(file_path(project, path) .. H.query("branch", opts.branch, "commit_message", opts.commit_message))
      end },

    { false, "repository:tree", "(project, opts?) -> [entry]", "Repository tree; opts {path, ref, recursive}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/repository/tree", opts, { "path", "ref", "recursive" }) end },
    { false, "repository:compare", "(project, from, to) -> {commits, diffs}", "Compare branches, tags or commits",
      fn = function(c, project, from, to)
        return c.api:get(P(project) .. "/repository/compare" .. H.query("from", from, "to", to))
      end },

    { false, "commits:list", "(project, opts?) -> [commit]", "List commits; opts {ref_name, since, until, path}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/repository/commits", opts, { "ref_name", "since", "until", "path" }) end },
    { false, "commits:get", "(project, sha) -> commit|nil", "Get a commit",
      fn = function(c, project, sha) return c:_get(P(project) .. "/repository/commits/" .. enc(sha)) end },
    { false, "commits:create", "(project, opts) -> commit", "Atomic multi-file commit; opts {branch, commit_message, actions = {{action, file_path, content, previous_path?}}, start_branch?}",
      fn = function(c, project, opts)
        if type(opts) ~= "table" or type(opts.actions) ~= "table" or opts.actions[1] == nil then
          error("gitlab: commits:create needs opts.actions, a non-empty list", 2)
        end
        return c:_post(P(project) .. "/repository/commits", opts)
      end },
    { false, "commits:cherry_pick", "(project, sha, opts) -> commit", "Cherry-pick a commit; opts {branch}",
      fn = function(c, project, sha, opts) return c:_post(P(project) .. "/repository/commits/" .. enc(sha) .. "/cherry_pick", opts) end },

    { false, "branches:list", "(project, opts?) -> [branch]", "List branches; opts {search}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/repository/branches", opts, { "search" }) end },
    { false, "branches:get", "(project, name) -> branch|nil", "Get a branch",
      fn = function(c, project, name) return c:_get(P(project) .. "/repository/branches/" .. enc(name)) end },
    { false, "branches:create", "(project, opts) -> branch", "Create a branch; opts {branch, ref}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/repository/branches", opts) end },
    { false, "branches:delete", "(project, name) -> nil", "Delete a branch",
      fn = function(c, project, name) c:_delete(P(project) .. "/repository/branches/" .. enc(name)) end },

    { false, "tags:list", "(project, opts?) -> [tag]", "List tags; opts {search, order_by, sort}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/repository/tags", opts, { "search", "order_by", "sort" }) end },
    { false, "tags:get", "(project, name) -> tag|nil", "Get a tag",
      fn = function(c, project, name) return c:_get(P(project) .. "/repository/tags/" .. enc(name)) end },
    { false, "tags:create", "(project, opts) -> tag", "Create a tag; opts {tag_name, ref, message?}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/repository/tags", opts) end },
    { false, "tags:delete", "(project, name) -> nil", "Delete a tag",
      fn = function(c, project, name) c:_delete(P(project) .. "/repository/tags/" .. enc(name)) end },

    { false, "merge_requests:list", "(project, opts?) -> [mr]", "List merge requests; opts {state, labels, source_branch, target_branch, order_by, sort}",
      fn = function(c, project, opts)
        return c:_list(P(project) .. "/merge_requests", opts, { "state", "labels", "source_branch", "target_branch", "order_by", "sort" })
      end },
    { false, "merge_requests:get", "(project, iid) -> mr|nil", "Get a merge request",
      fn = function(c, project, iid) return c:_get(P(project) .. "/merge_requests/" .. enc(iid)) end },
    { false, "merge_requests:create", "(project, opts) -> mr", "Create a merge request; opts {source_branch, target_branch, title, description?, labels?}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/merge_requests", opts) end },
    { false, "merge_requests:update", "(project, iid, opts) -> mr", "Update a merge request; opts {title, description, state_event, labels}",
      fn = function(c, project, iid, opts) return c:_put(P(project) .. "/merge_requests/" .. enc(iid), opts) end },
    { false, "merge_requests:merge", "(project, iid, opts?) -> mr", "Accept a merge request; opts {squash, merge_commit_message, should_remove_source_branch}",
      fn = function(c, project, iid, opts) return c:_put(P(project) .. "/merge_requests/" .. enc(iid) .. "/merge", opts) end },
    { false, "merge_requests:approve", "(project, iid) -> approval", "Approve a merge request",
      fn = function(c, project, iid) return c:_post(P(project) .. "/merge_requests/" .. enc(iid) .. "/approve") end },
    { false, "merge_requests:changes", "(project, iid) -> mr", "The merge request with its changes",
      fn = function(c, project, iid) return c.api:get(P(project) .. "/merge_requests/" .. enc(iid) .. "/changes") end },
    { false, "merge_requests:notes", "(project, iid, opts?) -> [note]", "List comments",
      fn = function(c, project, iid, opts) return c:_list(P(project) .. "/merge_requests/" .. enc(iid) .. "/notes", opts, { "sort", "order_by" }) end },
    { false, "merge_requests:create_note", "(project, iid, body) -> note", "Add a comment",
      fn = function(c, project, iid, body) return c:_post(P(project) .. "/merge_requests/" .. enc(iid) .. "/notes", { body = body }) end },

    { false, "pipelines:list", "(project, opts?) -> [pipeline]", "List pipelines; opts {ref, status, source}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/pipelines", opts, { "ref", "status", "source", "order_by", "sort" }) end },
    { false, "pipelines:get", "(project, id) -> pipeline|nil", "Get a pipeline",
      fn = function(c, project, id) return c:_get(P(project) .. "/pipelines/" .. enc(id)) end },
    { false, "pipelines:create", "(project, opts) -> pipeline", "Run a pipeline; opts {ref, variables = {KEY = \"value\"} or {{key, value}}}",
      fn = function(c, project, opts)
        local body = {}
        for k, v in pairs(opts or {}) do body[k] = v end
        body.variables = variables(body.variables)
        return c:_post(P(project) .. "/pipeline", body)
      end },
    { false, "pipelines:cancel", "(project, id) -> pipeline", "Cancel a pipeline",
      fn = function(c, project, id) return c:_post(P(project) .. "/pipelines/" .. enc(id) .. "/cancel") end },
    { false, "pipelines:retry", "(project, id) -> pipeline", "Retry a pipeline's failed jobs",
      fn = function(c, project, id) return c:_post(P(project) .. "/pipelines/" .. enc(id) .. "/retry") end },
    { false, "pipelines:delete", "(project, id) -> nil", "Delete a pipeline",
      fn = function(c, project, id) c:_delete(P(project) .. "/pipelines/" .. enc(id)) end },
    { false, "pipelines:jobs", "(project, pipeline_id, opts?) -> [job]", "Jobs of a pipeline; opts {scope = {\"failed\", ...}}",
      fn = function(c, project, id, opts) return c:_list(P(project) .. "/pipelines/" .. enc(id) .. "/jobs", opts, { "scope[]=scope" }) end },

    { false, "jobs:list", "(project, opts?) -> [job]", "Jobs of a project; opts {scope}",
      fn = function(c, project, opts) return c:_list(P(project) .. "/jobs", opts, { "scope[]=scope" }) end },
    { false, "jobs:get", "(project, id) -> job|nil", "Get a job",
      fn = function(c, project, id) return c:_get(P(project) .. "/jobs/" .. enc(id)) end },
    { false, "jobs:retry", "(project, id) -> job", "Retry a job",
      fn = function(c, project, id) return c:_post(P(project) .. "/jobs/" .. enc(id) .. "/retry") end },
    { false, "jobs:cancel", "(project, id) -> job", "Cancel a job",
      fn = function(c, project, id) return c:_post(P(project) .. "/jobs/" .. enc(id) .. "/cancel") end },
    { false, "jobs:log", "(project, id) -> string|nil", "A job's log (trace) as text",
      fn = function(c, project, id)
        return c.api:get(P(project) .. "/jobs/" .. enc(id) .. "/trace", { allow_404 = true, result = "text" })
      end },

    { false, "releases:list", "(project, opts?) -> [release]", "List releases",
      fn = function(c, project, opts) return c:_list(P(project) .. "/releases", opts, { "order_by", "sort" }) end },
    { false, "releases:get", "(project, tag_name) -> release|nil", "Get a release",
      fn = function(c, project, tag) return c:_get(P(project) .. "/releases/" .. enc(tag)) end },
    { false, "releases:create", "(project, opts) -> release", "Create a release; opts {tag_name, name, description, ref?, assets?}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/releases", opts) end },
    { false, "releases:update", "(project, tag_name, opts) -> release", "Update a release",
      fn = function(c, project, tag, opts) return c:_put(P(project) .. "/releases/" .. enc(tag), opts) end },
    { false, "releases:delete", "(project, tag_name) -> release", "Delete a release",
      fn = function(c, project, tag) return c:_delete(P(project) .. "/releases/" .. enc(tag)) end },

    { false, "issues:list", "(project?, opts?) -> [issue]", "List issues (project nil: every issue visible to the token); opts {state, labels, search, assignee_id}",
      fn = function(c, project, opts)
        local names = { "state", "labels", "search", "assignee_id", "milestone", "scope", "order_by", "sort" }
        if project == nil then return c:_list("/issues", opts, names) end
        return c:_list(P(project) .. "/issues", opts, names)
      end },
    { false, "issues:get", "(project, iid) -> issue|nil", "Get an issue",
      fn = function(c, project, iid) return c:_get(P(project) .. "/issues/" .. enc(iid)) end },
    { false, "issues:create", "(project, opts) -> issue", "Create an issue; opts {title, description, labels, assignee_ids}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/issues", opts) end },
    { false, "issues:update", "(project, iid, opts) -> issue", "Update an issue; opts {title, description, state_event, labels}",
      fn = function(c, project, iid, opts) return c:_put(P(project) .. "/issues/" .. enc(iid), opts) end },
    { false, "issues:notes", "(project, iid, opts?) -> [note]", "List comments",
      fn = function(c, project, iid, opts) return c:_list(P(project) .. "/issues/" .. enc(iid) .. "/notes", opts, { "sort", "order_by" }) end },
    { false, "issues:create_note", "(project, iid, body) -> note", "Add a comment",
      fn = function(c, project, iid, body) return c:_post(P(project) .. "/issues/" .. enc(iid) .. "/notes", { body = body }) end },

    { false, "groups:list", "(opts?) -> [group]", "List groups; opts {search, owned}",
      fn = function(c, opts) return c:_list("/groups", opts, { "search", "owned", "top_level_only" }) end },
    { false, "groups:get", "(id) -> group|nil", "Get a group by id or path",
      fn = function(c, id) return c:_get("/groups/" .. enc(id)) end },
    { false, "groups:projects", "(id, opts?) -> [project]", "Projects of a group; opts {search, include_subgroups}",
      fn = function(c, id, opts) return c:_list("/groups/" .. enc(id) .. "/projects", opts, { "search", "include_subgroups", "archived" }) end },

    { false, "registry:repositories", "(project) -> [repository]", "Container registry repositories",
      fn = function(c, project) return c:_list(P(project) .. "/registry/repositories", {}) end },
    { false, "registry:tags", "(project, repository_id) -> [tag]", "Tags of a registry repository",
      fn = function(c, project, repo) return c:_list(P(project) .. "/registry/repositories/" .. enc(repo) .. "/tags", {}) end },
    { false, "registry:tag", "(project, repository_id, tag_name) -> tag|nil", "One tag with digest and size",
      fn = function(c, project, repo, tag) return c:_get(P(project) .. "/registry/repositories/" .. enc(repo) .. "/tags/" .. enc(tag)) end },
    { false, "registry:delete_tag", "(project, repository_id, tag_name) -> nil", "Delete a registry tag",
      fn = function(c, project, repo, tag) c:_delete(P(project) .. "/registry/repositories/" .. enc(repo) .. "/tags/" .. enc(tag)) end },

    { false, "hooks:list", "(project) -> [hook]", "List project webhooks",
      fn = function(c, project) return c:_list(P(project) .. "/hooks", {}) end },
    { false, "hooks:get", "(project, id) -> hook|nil", "Get a webhook",
      fn = function(c, project, id) return c:_get(P(project) .. "/hooks/" .. enc(id)) end },
    { false, "hooks:create", "(project, opts) -> hook", "Create a webhook; opts {url, token?, push_events, merge_requests_events, ...}",
      fn = function(c, project, opts) return c:_post(P(project) .. "/hooks", opts) end },
    { false, "hooks:update", "(project, id, opts) -> hook", "Update a webhook",
      fn = function(c, project, id, opts) return c:_put(P(project) .. "/hooks/" .. enc(id), opts) end },
    { false, "hooks:delete", "(project, id) -> nil", "Delete a webhook",
      fn = function(c, project, id) c:_delete(P(project) .. "/hooks/" .. enc(id)) end },

    { false, "users:current", "() -> user", "The token's user", fn = function(c) return c.api:get("/user") end },
    { false, "users:list", "(opts?) -> [user]", "Find users; opts {username, search}",
      fn = function(c, opts) return c:_list("/users", opts, { "username", "search", "active" }) end },
  },
}):install(Client)

return M
