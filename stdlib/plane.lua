--- @module assay.plane
--- @description Plane REST API (cloud or self-hosted) for one workspace: projects, work items, cycles, modules, states, labels, members, comments, links and intake. Cursor pages are followed for you; ensure_item files a work item only once.
--- @category saas
--- @icon plane
--- @keywords plane, work-item, issue, task, cycle, sprint, module, state, label, project, workspace, backlog, comment, link, intake, member, project-management, tracker, self-hosted, cursor
--- @env PLANE_API_KEY, PLANE_WORKSPACE, PLANE_BASE_URL
--- @quickref M.client(url?, opts) -> client | Plane client bound to one workspace; url defaults to $PLANE_BASE_URL or https://api.plane.so; opts {workspace (slug, default $PLANE_WORKSPACE), api_key (X-API-Key, default $PLANE_API_KEY)}; plane.client({base_url, workspace, api_key}) works too
--- @quickref M.all_items(c, project_id, opts?) -> [item] | Every work item, following the cursor; opts.max_pages (50) bounds the walk
--- @quickref M.find_item_by_name(c, project_id, name, opts?) -> item|nil | The work item named exactly name
--- @quickref M.ensure_item(c, project_id, spec, opts?) -> item, created | The work item named spec.name, created from spec when missing
--- @quickref M.resolve_project(c, key?) -> project | The only project, or the one with this name or identifier
--- @quickref c.projects:list(opts?) -> [project] | Projects of the workspace (every page)
--- @quickref c.projects:get(project_id) -> project|nil | One project
--- @quickref c.projects:create(project) -> project | Create a project {name, identifier, description?}
--- @quickref c.projects:update(project_id, patch) -> project | Change a project
--- @quickref c.projects:delete(project_id) -> true | Delete a project
--- @quickref c.items:page(project_id, opts?) -> {items, next_cursor, has_more} | One page of work items; opts {cursor, per_page (≤ 100), expand, order_by, ...}
--- @quickref c.items:list(project_id, opts?) -> [item] | The first page of work items
--- @quickref c.items:all(project_id, opts?) -> [item] | Every work item, following the cursor (same as M.all_items)
--- @quickref c.items:get(project_id, item_id, opts?) -> item|nil | One work item; opts {expand}
--- @quickref c.items:create(project_id, item) -> item | Create a work item {name, description_html?, state?, priority?, assignees?, labels?}
--- @quickref c.items:update(project_id, item_id, patch) -> item | Change a work item
--- @quickref c.items:delete(project_id, item_id) -> true | Delete a work item
--- @quickref c.states:list(project_id) -> [state] | Workflow states of a project
--- @quickref c.states:create(project_id, state) -> state | Create a state {name, color, group}
--- @quickref c.labels:list(project_id) -> [label] | Labels of a project
--- @quickref c.labels:create(project_id, label) -> label | Create a label {name, color?}
--- @quickref c.cycles:list(project_id, opts?) -> [cycle] | Cycles (sprints) of a project; opts {cycle_view = "current"|"upcoming"|...}
--- @quickref c.cycles:get(project_id, cycle_id) -> cycle|nil | One cycle
--- @quickref c.cycles:create(project_id, cycle) -> cycle | Create a cycle {name, start_date, end_date, owned_by?}
--- @quickref c.cycles:update(project_id, cycle_id, patch) -> cycle | Change a cycle
--- @quickref c.cycles:delete(project_id, cycle_id) -> true | Delete a cycle
--- @quickref c.cycles:add_items(project_id, cycle_id, item_ids) -> true | Put work items into a cycle
--- @quickref c.modules:list(project_id) -> [module] | Modules of a project
--- @quickref c.modules:get(project_id, module_id) -> module|nil | One module
--- @quickref c.modules:create(project_id, mod) -> module | Create a module {name, status?, start_date?, target_date?}
--- @quickref c.modules:update(project_id, module_id, patch) -> module | Change a module
--- @quickref c.modules:delete(project_id, module_id) -> true | Delete a module
--- @quickref c.modules:add_items(project_id, module_id, item_ids) -> true | Put work items into a module
--- @quickref c.members:list() -> [member] | Members of the workspace
--- @quickref c.comments:list(project_id, item_id) -> [comment] | Comments of a work item
--- @quickref c.comments:create(project_id, item_id, body) -> comment | Comment; body a string (sent as escaped <p>text</p>) or a payload {comment_html, ...}
--- @quickref c.links:list(project_id, item_id) -> [link] | Links of a work item
--- @quickref c.links:create(project_id, item_id, link) -> link | Attach a link {url, title?}
--- @quickref c.intake:list(project_id) -> [intake] | Intake (triage) work items of a project

local H = require("assay._http")
local W = require("assay._work")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  if type(url) == "table" then url, opts = url.base_url, url end -- the original's client({base_url, workspace, api_key})
  opts = opts or {}
  url = url or opts.base_url or env.get("PLANE_BASE_URL") or "https://api.plane.so"
  H.require_url("plane", url)
  local workspace = opts.workspace or env.get("PLANE_WORKSPACE")
  if type(workspace) ~= "string" or workspace == "" then
    error("plane.client: no workspace slug (pass opts.workspace or set PLANE_WORKSPACE)", 2)
  end
  local api_key = opts.api_key or env.get("PLANE_API_KEY")
  -- Plane reads its key from X-API-Key; it ignores Authorization.
  local headers = { Accept = "application/json", ["X-API-Key"] = api_key }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  local base = H.strip(url):gsub("/api/v1$", "")
  return setmetatable({
    url = base, base_url = base, workspace = workspace, authenticated = api_key ~= nil,
    prefix = "/api/v1/workspaces/" .. H.encode(workspace),
    api = H.client(base, { module = "plane", headers = headers }),
  }, Client)
end

local OK = { 200, 201, 204 }

-- "<workspace prefix>/projects/<id>/…/" with the ids percent-encoded. Plane's routes end in a
-- slash; without it Django answers a redirect or 404.
function Client:path(fmt, ...) return self.prefix .. H.path("plane", fmt, ...) end

local function filters(opts)
  local keys, args = {}, {}
  for k in pairs(opts or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = opts[k]
    if type(v) == "table" then v = table.concat(v, ",") end -- Plane takes comma-separated lists
    args[#args + 1], args[#args + 2] = k, v
  end
  return H.query(table.unpack(args))
end

-- A page as {items, next_cursor, has_more}; small collections answer a bare array.
local function page_of(payload)
  if payload == nil then return { items = {}, has_more = false } end
  if payload.results == nil then return { items = payload, has_more = false } end
  return { items = payload.results, next_cursor = payload.next_cursor, has_more = payload.next_page_results == true }
end

function Client:_page(path, opts) return page_of(self.api:get(path .. filters(opts), { allow_404 = true })) end

--- Every row of a collection: Plane pages by cursor ("100:1:0") and says whether another page
--- follows in next_page_results; max_pages bounds the walk.
function Client:_all(path, opts, max_pages)
  local query, out, seen = {}, {}, {}
  for k, v in pairs(opts or {}) do query[k] = v end
  for _ = 1, max_pages or 50 do
    local page = self:_page(path, query)
    for _, row in ipairs(page.items) do out[#out + 1] = row end
    if not page.has_more or not page.next_cursor or seen[page.next_cursor] then break end
    seen[page.next_cursor], query.cursor = true, page.next_cursor
  end
  return out
end

function Client:_get(path, opts) return self.api:get(path .. filters(opts), { allow_404 = true }) end
function Client:_send(method, path, body) return self.api:request(method, path, { body = body or {}, expect = OK }) end
function Client:_delete(path)
  self.api:request("DELETE", path, { expect = OK, result = "true" })
  return true
end

-- Operations on "<prefix><fmt>" where fmt takes the leading ids.
local function all(fmt, n)
  return function(c, ...)
    local ids = table.pack(...)
    return c:_all(c:path(fmt, table.unpack(ids, 1, n)), ids[n + 1])
  end
end
local function get(fmt, n)
  return function(c, ...)
    local ids = table.pack(...)
    return c:_get(c:path(fmt, table.unpack(ids, 1, n)), ids[n + 1])
  end
end
local function send(method, fmt, n)
  return function(c, ...)
    local ids = table.pack(...)
    return c:_send(method, c:path(fmt, table.unpack(ids, 1, n)), ids[n + 1])
  end
end
local function remove(fmt, n)
  return function(c, ...) return c:_delete(c:path(fmt, ...)) end
end

-- Plain text comments become one escaped HTML paragraph (Plane stores comment_html).
local function comment_body(body)
  if type(body) == "table" then return body end
  if body == nil then error("plane: a comment needs a body", 3) end
  local text = tostring(body):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  return { comment_html = "<p>" .. text .. "</p>" }
end

H.api({
  module = "plane",
  quickref = {
    "M.client(url?, opts) -> client | Plane client bound to one workspace; url defaults to $PLANE_BASE_URL or https://api.plane.so; opts {workspace (slug, default $PLANE_WORKSPACE), api_key (X-API-Key, default $PLANE_API_KEY)}; plane.client({base_url, workspace, api_key}) works too",
    "M.all_items(c, project_id, opts?) -> [item] | Every work item, following the cursor; opts.max_pages (50) bounds the walk",
    "M.find_item_by_name(c, project_id, name, opts?) -> item|nil | The work item named exactly name",
    "M.ensure_item(c, project_id, spec, opts?) -> item, created | The work item named spec.name, created from spec when missing",
    "M.resolve_project(c, key?) -> project | The only project, or the one with this name or identifier" },
  ops = {
    { false, "projects:list", "(opts?) -> [project]", "Projects of the workspace (every page)", fn = all("/projects/", 0) },
    { false, "projects:get", "(project_id) -> project|nil", "One project", fn = get("/projects/%s/", 1) },
    { false, "projects:create", "(project) -> project", "Create a project {name, identifier, description?}",
      fn = send("POST", "/projects/", 0) },
    { false, "projects:update", "(project_id, patch) -> project", "Change a project", fn = send("PATCH", "/projects/%s/", 1) },
    { false, "projects:delete", "(project_id) -> true", "Delete a project", fn = remove("/projects/%s/") },

    { false, "items:page", "(project_id, opts?) -> {items, next_cursor, has_more}",
      "One page of work items; opts {cursor, per_page (≤ 100), expand, order_by, ...}",
      fn = function(c, project_id, opts) return c:_page(c:path("/projects/%s/work-items/", project_id), opts) end },
    { false, "items:list", "(project_id, opts?) -> [item]", "The first page of work items",
      fn = function(c, project_id, opts) return c.items:page(project_id, opts).items end },
    { false, "items:all", "(project_id, opts?) -> [item]", "Every work item, following the cursor (same as M.all_items)",
      fn = function(c, project_id, opts) return M.all_items(c, project_id, opts) end },
    { false, "items:get", "(project_id, item_id, opts?) -> item|nil", "One work item; opts {expand}",
      fn = get("/projects/%s/work-items/%s/", 2) },
    { false, "items:create", "(project_id, item) -> item",
      "Create a work item {name, description_html?, state?, priority?, assignees?, labels?}",
      fn = send("POST", "/projects/%s/work-items/", 1) },
    { false, "items:update", "(project_id, item_id, patch) -> item", "Change a work item",
      fn = send("PATCH", "/projects/%s/work-items/%s/", 2) },
    { false, "items:delete", "(project_id, item_id) -> true", "Delete a work item", fn = remove("/projects/%s/work-items/%s/") },

    { false, "states:list", "(project_id) -> [state]", "Workflow states of a project", fn = all("/projects/%s/states/", 1) },
    { false, "states:create", "(project_id, state) -> state", "Create a state {name, color, group}",
      fn = send("POST", "/projects/%s/states/", 1) },
    { false, "labels:list", "(project_id) -> [label]", "Labels of a project", fn = all("/projects/%s/labels/", 1) },
    { false, "labels:create", "(project_id, label) -> label", "Create a label {name, color?}",
      fn = send("POST", "/projects/%s/labels/", 1) },

    { false, "cycles:list", "(project_id, opts?) -> [cycle]", "Cycles (sprints) of a project; opts {cycle_view = \"current\"|\"upcoming\"|...}",
      fn = all("/projects/%s/cycles/", 1) },
    { false, "cycles:get", "(project_id, cycle_id) -> cycle|nil", "One cycle", fn = get("/projects/%s/cycles/%s/", 2) },
    { false, "cycles:create", "(project_id, cycle) -> cycle", "Create a cycle {name, start_date, end_date, owned_by?}",
      fn = send("POST", "/projects/%s/cycles/", 1) },
    { false, "cycles:update", "(project_id, cycle_id, patch) -> cycle", "Change a cycle",
      fn = send("PATCH", "/projects/%s/cycles/%s/", 2) },
    { false, "cycles:delete", "(project_id, cycle_id) -> true", "Delete a cycle", fn = remove("/projects/%s/cycles/%s/") },
    { false, "cycles:add_items", "(project_id, cycle_id, item_ids) -> true", "Put work items into a cycle",
      fn = function(c, project_id, cycle_id, item_ids)
        c:_send("POST", c:path("/projects/%s/cycles/%s/cycle-issues/", project_id, cycle_id), { issues = item_ids })
        return true
      end },

    { false, "modules:list", "(project_id) -> [module]", "Modules of a project", fn = all("/projects/%s/modules/", 1) },
    { false, "modules:get", "(project_id, module_id) -> module|nil", "One module", fn = get("/projects/%s/modules/%s/", 2) },
    { false, "modules:create", "(project_id, mod) -> module", "Create a module {name, status?, start_date?, target_date?}",
      fn = send("POST", "/projects/%s/modules/", 1) },
    { false, "modules:update", "(project_id, module_id, patch) -> module", "Change a module",
      fn = send("PATCH", "/projects/%s/modules/%s/", 2) },
    { false, "modules:delete", "(project_id, module_id) -> true", "Delete a module", fn = remove("/projects/%s/modules/%s/") },
    { false, "modules:add_items", "(project_id, module_id, item_ids) -> true", "Put work items into a module",
      fn = function(c, project_id, module_id, item_ids)
        c:_send("POST", c:path("/projects/%s/modules/%s/module-issues/", project_id, module_id), { issues = item_ids })
        return true
      end },

    { false, "members:list", "() -> [member]", "Members of the workspace", fn = all("/members/", 0) },
    { false, "comments:list", "(project_id, item_id) -> [comment]", "Comments of a work item",
      fn = all("/projects/%s/work-items/%s/comments/", 2) },
    { false, "comments:create", "(project_id, item_id, body) -> comment",
      "Comment; body a string (sent as escaped <p>text</p>) or a payload {comment_html, ...}",
      fn = function(c, project_id, item_id, body)
        return c:_send("POST", c:path("/projects/%s/work-items/%s/comments/", project_id, item_id), comment_body(body))
      end },
    { false, "links:list", "(project_id, item_id) -> [link]", "Links of a work item", fn = all("/projects/%s/work-items/%s/links/", 2) },
    { false, "links:create", "(project_id, item_id, link) -> link", "Attach a link {url, title?}",
      fn = send("POST", "/projects/%s/work-items/%s/links/", 2) },
    { false, "intake:list", "(project_id) -> [intake]", "Intake (triage) work items of a project",
      fn = all("/projects/%s/intake-issues/", 1) },
  },
}):install(Client)

function M.all_items(c, project_id, opts)
  opts = opts or {}
  local query = {}
  for k, v in pairs(opts.query or {}) do query[k] = v end
  for k, v in pairs(opts) do
    if k ~= "query" and k ~= "max_pages" then query[k] = v end
  end
  return c:_all(c:path("/projects/%s/work-items/", project_id), query, opts.max_pages)
end

function M.find_item_by_name(c, project_id, name, opts)
  return W.find(M.all_items(c, project_id, opts), name)
end

--- Plane has no name filter: the project's items are walked to find an existing one.
function M.ensure_item(c, project_id, spec, opts)
  return W.ensure("plane.ensure_item", spec,
    function(name) return M.find_item_by_name(c, project_id, name, opts) end,
    function() return c.items:create(project_id, spec) end)
end

function M.resolve_project(c, name)
  return W.pick("plane", c.projects:list(), name, "project", "API key",
    function(p, wanted) return p.name == wanted or p.identifier == wanted end)
end

return M
