--- @module assay.clickup
--- @description ClickUp REST API (v2, and v3 for Docs): workspaces, spaces, folders, lists, tasks (every page walked for you, idempotent ensure_task), comments with rich-text bodies and mentions, goals, custom fields, time tracking and Docs.
--- @category saas
--- @icon clickup
--- @keywords clickup, task, subtask, sprint, goal, okr, kpi, doc, page, list, folder, space, workspace, team, backlog, comment, mention, time-tracking, custom-field, assignee, project-management, tracker
--- @env CLICKUP_TOKEN
--- @quickref M.client(url?, opts?) -> client | ClickUp client; url defaults to https://api.clickup.com/api; opts {token} (default $CLICKUP_TOKEN, sent raw in Authorization as ClickUp wants); clickup.client({token, base_url}) works too
--- @quickref M.all_tasks(c, list_id, opts?) -> [task] | Every task of a list, page after page until last_page; opts.max_pages (100) bounds the walk
--- @quickref M.find_task_by_name(c, list_id, name, opts?) -> task|nil | The task of the list named exactly name
--- @quickref M.ensure_task(c, list_id, spec, opts?) -> task, created | The task named spec.name, created from spec when missing
--- @quickref M.resolve_team(c, name?) -> team | The only workspace the token sees, or the one with this name
--- @quickref M.resolve_member(c, team_id, needle) -> user | The workspace member with this username or email (else a unique part of a username), for mentions
--- @quickref M.rich() -> builder | Rich comment body: :text :bold :italic :code :link :mention, line ends :br :bullet :number :heading
--- @quickref M.comment_payload(body) -> payload | The request body a comment sends for a string, a rich() builder or a table
--- @quickref c.teams:list() -> [team] | Workspaces the token can see (v2 calls them teams), with their members
--- @quickref c.spaces:list(team_id, opts?) -> [space] | Spaces of a workspace; opts {archived}
--- @quickref c.spaces:get(space_id) -> space|nil | One space
--- @quickref c.spaces:create(team_id, space) -> space | Create a space
--- @quickref c.spaces:tags(space_id) -> [tag] | Task tags of a space
--- @quickref c.folders:list(space_id, opts?) -> [folder] | Folders of a space; opts {archived}
--- @quickref c.folders:get(folder_id) -> folder|nil | One folder
--- @quickref c.folders:create(space_id, folder) -> folder | Create a folder
--- @quickref c.folders:delete(folder_id) -> true | Delete a folder
--- @quickref c.lists:list(folder_id, opts?) -> [list] | Lists of a folder; opts {archived}
--- @quickref c.lists:folderless(space_id, opts?) -> [list] | Lists directly in a space
--- @quickref c.lists:get(list_id) -> list|nil | One list
--- @quickref c.lists:create(folder_id, list) -> list | Create a list in a folder
--- @quickref c.lists:create_folderless(space_id, list) -> list | Create a list directly in a space
--- @quickref c.lists:update(list_id, patch) -> list | Update a list
--- @quickref c.lists:delete(list_id) -> true | Delete a list
--- @quickref c.lists:members(list_id) -> [user] | Members who can see a list
--- @quickref c.tasks:page(list_id, opts?) -> {tasks, last_page} | One page (opts.page, from 0) of a list's tasks; opts {statuses = {...}, assignees, tags, include_closed, subtasks, order_by, ...}
--- @quickref c.tasks:list(list_id, opts?) -> [task] | The first page of a list's tasks
--- @quickref c.tasks:all(list_id, opts?) -> [task] | Every task of a list, all pages (same as M.all_tasks)
--- @quickref c.tasks:get(task_id, opts?) -> task|nil | One task; opts {include_subtasks, custom_task_ids, team_id}
--- @quickref c.tasks:create(list_id, task) -> task | Create a task {name, description?, markdown_description?, assignees?, status?, priority?, due_date?, tags?, parent?}
--- @quickref c.tasks:update(task_id, patch) -> task | Update a task
--- @quickref c.tasks:delete(task_id) -> true | Delete a task
--- @quickref c.tasks:filtered(team_id, opts?) -> {tasks, last_page} | One page of tasks across a workspace; opts {page, list_ids, space_ids, statuses, assignees, ...}
--- @quickref c.tasks:members(task_id) -> [user] | Members who can see a task
--- @quickref c.comments:list(task_id, opts?) -> [comment] | Comments of a task; opts {start, start_id}
--- @quickref c.comments:create(task_id, body, extra?) -> comment | Comment on a task; body a string (plain), a M.rich() builder or a payload table; extra {assignee, notify_all}
--- @quickref c.comments:update(comment_id, body) -> nil | Change a comment (body as for create, plus resolved/assignee)
--- @quickref c.comments:delete(comment_id) -> true | Delete a comment
--- @quickref c.goals:list(team_id, opts?) -> [goal] | Goals of a workspace; opts {include_completed}
--- @quickref c.goals:get(goal_id) -> goal|nil | One goal (unwrapped from {goal = ...})
--- @quickref c.goals:create(team_id, goal) -> goal | Create a goal {name, due_date, description, owners, color}
--- @quickref c.goals:update(goal_id, patch) -> goal | Update a goal
--- @quickref c.goals:delete(goal_id) -> true | Delete a goal
--- @quickref c.fields:list(list_id) -> [field] | Custom fields usable on a list
--- @quickref c.fields:space(space_id) -> [field] | Custom fields of a space
--- @quickref c.fields:team(team_id) -> [field] | Custom fields of a workspace
--- @quickref c.fields:set(task_id, field_id, value, opts?) -> true | Set a custom field's value on a task; opts {custom_task_ids, team_id}
--- @quickref c.fields:remove(task_id, field_id) -> true | Clear a custom field on a task
--- @quickref c.time:entries(team_id, opts?) -> [entry] | Time entries; opts {start_date, end_date (ms), assignee, task_id, ...}
--- @quickref c.time:running(team_id, opts?) -> entry|nil | The timer running now, or nil
--- @quickref c.time:create(team_id, entry) -> {data} | Record a time entry {start, duration, tid?, description?}
--- @quickref c.time:stop(team_id) -> {data} | Stop the running timer
--- @quickref c.docs:search(workspace_id, opts?) -> {docs, next_cursor} | One page of Docs (v3); opts {next_cursor, limit, parent_id, parent_type, archived, deleted, creator, id}
--- @quickref c.docs:all(workspace_id, opts?) -> [doc] | Every Doc, following next_cursor
--- @quickref c.docs:get(workspace_id, doc_id) -> doc|nil | One Doc
--- @quickref c.docs:create(workspace_id, doc) -> doc | Create a Doc {name, parent?, visibility?, create_page?}
--- @quickref c.docs:pages(workspace_id, doc_id, opts?) -> [page] | Pages of a Doc; opts {max_page_depth, content_format}
--- @quickref c.docs:create_page(workspace_id, doc_id, page) -> page | Add a page {name, content, content_format = "text/md", parent_page_id?}
--- @quickref c.docs:edit_page(workspace_id, doc_id, page_id, patch) -> nil | Change a page {name?, content?, content_edit_mode = "replace"|"append"|"prepend"}
--- @quickref c:discover() -> {base_url, authenticated, sections} | What this client can reach

local H = require("assay._http")
local W = require("assay._work")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  if type(url) == "table" then url, opts = url.base_url, url end -- the original's client({token, base_url})
  opts = opts or {}
  url = url or opts.base_url or "https://api.clickup.com/api"
  H.require_url("clickup", url)
  local base = H.strip(url):gsub("/v[23]$", "")
  local token = opts.token or env.get("CLICKUP_TOKEN")
  -- ClickUp wants the token itself in Authorization: personal pk_ tokens fail with "Bearer ".
  local headers = { Accept = "application/json", Authorization = token }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  return setmetatable({ url = base, token = token, api = H.client(base, { module = "clickup", headers = headers }) }, Client)
end

local OK = { 200, 201, 204 }

local function P(fmt, ...) return H.path("clickup", fmt, ...) end

-- The query of a filter table, keys sorted; list filters repeat as key[]=v as ClickUp reads them.
local function filters(opts)
  local keys, args = {}, {}
  for k in pairs(opts or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = opts[k]
    if type(v) == "table" then k = k .. "[]" end
    args[#args + 1], args[#args + 2] = k, v
  end
  return H.query(table.unpack(args))
end

function Client:_get(path, opts) return self.api:get(path .. filters(opts), { allow_404 = true }) end
function Client:_items(path, key, opts) return (self:_get(path, opts) or {})[key] or {} end
function Client:_send(method, path, body) return self.api:request(method, path, { body = body or {}, expect = OK }) end
function Client:_delete(path)
  self.api:request("DELETE", path, { expect = OK, result = "true" })
  return true
end

local function items(fmt, key)
  return function(c, id, opts) return c:_items(P(fmt, id), key, opts) end
end
local function one(fmt) return function(c, id, opts) return c:_get(P(fmt, id), opts) end end
local function create(fmt) return function(c, id, body) return c:_send("POST", P(fmt, id), body) end end
local function update(fmt) return function(c, id, body) return c:_send("PUT", P(fmt, id), body) end end
local function remove(fmt) return function(c, id) return c:_delete(P(fmt, id)) end end

local function goal_of(envelope) return envelope and envelope.goal end

function Client:discover()
  return { base_url = self.url, authenticated = self.token ~= nil,
           sections = { "teams", "spaces", "folders", "lists", "tasks", "comments", "goals", "fields", "time", "docs" } }
end

H.api({
  module = "clickup",
  quickref = {
    "M.client(url?, opts?) -> client | ClickUp client; url defaults to https://api.clickup.com/api; opts {token} (default $CLICKUP_TOKEN, sent raw in Authorization as ClickUp wants); clickup.client({token, base_url}) works too",
    "M.all_tasks(c, list_id, opts?) -> [task] | Every task of a list, page after page until last_page; opts.max_pages (100) bounds the walk",
    "M.find_task_by_name(c, list_id, name, opts?) -> task|nil | The task of the list named exactly name",
    "M.ensure_task(c, list_id, spec, opts?) -> task, created | The task named spec.name, created from spec when missing",
    "M.resolve_team(c, name?) -> team | The only workspace the token sees, or the one with this name",
    "M.resolve_member(c, team_id, needle) -> user | The workspace member with this username or email (else a unique part of a username), for mentions",
    "M.rich() -> builder | Rich comment body: :text :bold :italic :code :link :mention, line ends :br :bullet :number :heading",
    "M.comment_payload(body) -> payload | The request body a comment sends for a string, a rich() builder or a table" },
  ops = {
    { false, "teams:list", "() -> [team]", "Workspaces the token can see (v2 calls them teams), with their members",
      fn = function(c) return c:_items("/v2/team", "teams") end },
    { false, "spaces:list", "(team_id, opts?) -> [space]", "Spaces of a workspace; opts {archived}", fn = items("/v2/team/%s/space", "spaces") },
    { false, "spaces:get", "(space_id) -> space|nil", "One space", fn = one("/v2/space/%s") },
    { false, "spaces:create", "(team_id, space) -> space", "Create a space", fn = create("/v2/team/%s/space") },
    { false, "spaces:tags", "(space_id) -> [tag]", "Task tags of a space", fn = items("/v2/space/%s/tag", "tags") },

    { false, "folders:list", "(space_id, opts?) -> [folder]", "Folders of a space; opts {archived}", fn = items("/v2/space/%s/folder", "folders") },
    { false, "folders:get", "(folder_id) -> folder|nil", "One folder", fn = one("/v2/folder/%s") },
    { false, "folders:create", "(space_id, folder) -> folder", "Create a folder", fn = create("/v2/space/%s/folder") },
    { false, "folders:delete", "(folder_id) -> true", "Delete a folder", fn = remove("/v2/folder/%s") },

    { false, "lists:list", "(folder_id, opts?) -> [list]", "Lists of a folder; opts {archived}", fn = items("/v2/folder/%s/list", "lists") },
    { false, "lists:folderless", "(space_id, opts?) -> [list]", "Lists directly in a space", fn = items("/v2/space/%s/list", "lists") },
    { false, "lists:get", "(list_id) -> list|nil", "One list", fn = one("/v2/list/%s") },
    { false, "lists:create", "(folder_id, list) -> list", "Create a list in a folder", fn = create("/v2/folder/%s/list") },
    { false, "lists:create_folderless", "(space_id, list) -> list", "Create a list directly in a space", fn = create("/v2/space/%s/list") },
    { false, "lists:update", "(list_id, patch) -> list", "Update a list", fn = update("/v2/list/%s") },
    { false, "lists:delete", "(list_id) -> true", "Delete a list", fn = remove("/v2/list/%s") },
    { false, "lists:members", "(list_id) -> [user]", "Members who can see a list", fn = items("/v2/list/%s/member", "members") },

    { false, "tasks:page", "(list_id, opts?) -> {tasks, last_page}",
      "One page (opts.page, from 0) of a list's tasks; opts {statuses = {...}, assignees, tags, include_closed, subtasks, order_by, ...}",
      fn = function(c, list_id, opts) return c:_get(P("/v2/list/%s/task", list_id), opts) or { tasks = {}, last_page = true } end },
    { false, "tasks:list", "(list_id, opts?) -> [task]", "The first page of a list's tasks",
      fn = function(c, list_id, opts) return c.tasks:page(list_id, opts).tasks or {} end },
    { false, "tasks:all", "(list_id, opts?) -> [task]", "Every task of a list, all pages (same as M.all_tasks)",
      fn = function(c, list_id, opts) return M.all_tasks(c, list_id, opts) end },
    { false, "tasks:get", "(task_id, opts?) -> task|nil", "One task; opts {include_subtasks, custom_task_ids, team_id}", fn = one("/v2/task/%s") },
    { false, "tasks:create", "(list_id, task) -> task",
      "Create a task {name, description?, markdown_description?, assignees?, status?, priority?, due_date?, tags?, parent?}",
      fn = create("/v2/list/%s/task") },
    { false, "tasks:update", "(task_id, patch) -> task", "Update a task", fn = update("/v2/task/%s") },
    { false, "tasks:delete", "(task_id) -> true", "Delete a task", fn = remove("/v2/task/%s") },
    { false, "tasks:filtered", "(team_id, opts?) -> {tasks, last_page}",
      "One page of tasks across a workspace; opts {page, list_ids, space_ids, statuses, assignees, ...}",
      fn = function(c, team_id, opts) return c:_get(P("/v2/team/%s/task", team_id), opts) or { tasks = {}, last_page = true } end },
    { false, "tasks:members", "(task_id) -> [user]", "Members who can see a task", fn = items("/v2/task/%s/member", "members") },

    { false, "comments:list", "(task_id, opts?) -> [comment]", "Comments of a task; opts {start, start_id}",
      fn = items("/v2/task/%s/comment", "comments") },
    { false, "comments:create", "(task_id, body, extra?) -> comment",
      "Comment on a task; body a string (plain), a M.rich() builder or a payload table; extra {assignee, notify_all}",
      fn = function(c, task_id, body, extra)
        local payload = M.comment_payload(body)
        for k, v in pairs(extra or {}) do payload[k] = v end
        return c:_send("POST", P("/v2/task/%s/comment", task_id), payload)
      end },
    { false, "comments:update", "(comment_id, body) -> nil", "Change a comment (body as for create, plus resolved/assignee)",
      fn = function(c, comment_id, body) return c:_send("PUT", P("/v2/comment/%s", comment_id), M.comment_payload(body)) end },
    { false, "comments:delete", "(comment_id) -> true", "Delete a comment", fn = remove("/v2/comment/%s") },

    { false, "goals:list", "(team_id, opts?) -> [goal]", "Goals of a workspace; opts {include_completed}", fn = items("/v2/team/%s/goal", "goals") },
    { false, "goals:get", "(goal_id) -> goal|nil", "One goal (unwrapped from {goal = ...})",
      fn = function(c, goal_id) return goal_of(c:_get(P("/v2/goal/%s", goal_id))) end },
    { false, "goals:create", "(team_id, goal) -> goal", "Create a goal {name, due_date, description, owners, color}",
      fn = function(c, team_id, goal) return goal_of(c:_send("POST", P("/v2/team/%s/goal", team_id), goal)) end },
    { false, "goals:update", "(goal_id, patch) -> goal", "Update a goal",
      fn = function(c, goal_id, patch) return goal_of(c:_send("PUT", P("/v2/goal/%s", goal_id), patch)) end },
    { false, "goals:delete", "(goal_id) -> true", "Delete a goal", fn = remove("/v2/goal/%s") },

    { false, "fields:list", "(list_id) -> [field]", "Custom fields usable on a list", fn = items("/v2/list/%s/field", "fields") },
    { false, "fields:space", "(space_id) -> [field]", "Custom fields of a space", fn = items("/v2/space/%s/field", "fields") },
    { false, "fields:team", "(team_id) -> [field]", "Custom fields of a workspace", fn = items("/v2/team/%s/field", "fields") },
    { false, "fields:set", "(task_id, field_id, value, opts?) -> true",
      "Set a custom field's value on a task; opts {custom_task_ids, team_id}",
      fn = function(c, task_id, field_id, value, opts)
        c:_send("POST", P("/v2/task/%s/field/%s", task_id, field_id) .. filters(opts), { value = value })
        return true
      end },
    { false, "fields:remove", "(task_id, field_id) -> true", "Clear a custom field on a task",
      fn = function(c, task_id, field_id) return c:_delete(P("/v2/task/%s/field/%s", task_id, field_id)) end },

    { false, "time:entries", "(team_id, opts?) -> [entry]", "Time entries; opts {start_date, end_date (ms), assignee, task_id, ...}",
      fn = items("/v2/team/%s/time_entries", "data") },
    { false, "time:running", "(team_id, opts?) -> entry|nil", "The timer running now, or nil",
      fn = function(c, team_id, opts)
        local data = (c:_get(P("/v2/team/%s/time_entries/current", team_id), opts) or {}).data
        if type(data) ~= "table" or next(data) == nil then return nil end
        return data
      end },
    { false, "time:create", "(team_id, entry) -> {data}", "Record a time entry {start, duration, tid?, description?}",
      fn = create("/v2/team/%s/time_entries") },
    { false, "time:stop", "(team_id) -> {data}", "Stop the running timer",
      fn = function(c, team_id) return c:_send("POST", P("/v2/team/%s/time_entries/stop", team_id), {}) end },

    { false, "docs:search", "(workspace_id, opts?) -> {docs, next_cursor}",
      "One page of Docs (v3); opts {next_cursor, limit, parent_id, parent_type, archived, deleted, creator, id}",
      fn = function(c, ws, opts) return c:_get(P("/v3/workspaces/%s/docs", ws), opts) or { docs = {} } end },
    { false, "docs:all", "(workspace_id, opts?) -> [doc]", "Every Doc, following next_cursor",
      fn = function(c, ws, opts)
        local query, out, seen = {}, {}, {}
        for k, v in pairs(opts or {}) do query[k] = v end
        repeat
          local page = c.docs:search(ws, query)
          for _, doc in ipairs(page.docs or {}) do out[#out + 1] = doc end
          local cursor = page.next_cursor
          if cursor == nil or cursor == "" or seen[cursor] then break end
          -- v3 takes the cursor back under the name it was given in: next_cursor
          seen[cursor], query.next_cursor = true, cursor
        until false
        return out
      end },
    { false, "docs:get", "(workspace_id, doc_id) -> doc|nil", "One Doc",
      fn = function(c, ws, doc) return c:_get(P("/v3/workspaces/%s/docs/%s", ws, doc)) end },
    { false, "docs:create", "(workspace_id, doc) -> doc", "Create a Doc {name, parent?, visibility?, create_page?}",
      fn = create("/v3/workspaces/%s/docs") },
    { false, "docs:pages", "(workspace_id, doc_id, opts?) -> [page]", "Pages of a Doc; opts {max_page_depth, content_format}",
      fn = function(c, ws, doc, opts) return c:_get(P("/v3/workspaces/%s/docs/%s/pages", ws, doc), opts) or {} end },
    { false, "docs:create_page", "(workspace_id, doc_id, page) -> page",
      "Add a page {name, content, content_format = \"text/md\", parent_page_id?}",
      fn = function(c, ws, doc, page) return c:_send("POST", P("/v3/workspaces/%s/docs/%s/pages", ws, doc), page) end },
    { false, "docs:edit_page", "(workspace_id, doc_id, page_id, patch) -> nil",
      "Change a page {name?, content?, content_edit_mode = \"replace\"|\"append\"|\"prepend\"}",
      fn = function(c, ws, doc, page, patch) return c:_send("PUT", P("/v3/workspaces/%s/docs/%s/pages/%s", ws, doc, page), patch) end },
    { "discover", false, "() -> {base_url, authenticated, sections}", "What this client can reach" },
  },
}):install(Client)

--- Every task of a list. ClickUp numbers pages from 0 and marks the last with last_page = true;
--- anything but an explicit false ends the walk, and max_pages bounds it in any case.
function M.all_tasks(c, list_id, opts)
  local query, max_pages = {}, 100
  for k, v in pairs(opts or {}) do
    if k == "max_pages" then max_pages = v else query[k] = v end
  end
  local out = {}
  for page = 0, max_pages - 1 do
    query.page = page
    local envelope = c.tasks:page(list_id, query)
    for _, task in ipairs(envelope.tasks or {}) do out[#out + 1] = task end
    if envelope.last_page ~= false then break end
  end
  return out
end

function M.find_task_by_name(c, list_id, name, opts)
  return W.find(M.all_tasks(c, list_id, opts), name)
end

function M.ensure_task(c, list_id, spec, opts)
  return W.ensure("clickup.ensure_task", spec,
    function(name) return M.find_task_by_name(c, list_id, name, opts) end,
    function() return c.tasks:create(list_id, spec) end)
end

function M.resolve_team(c, name)
  return W.pick("clickup", c.teams:list(), name, "workspace", "token",
    function(team, wanted) return team.name == wanted end)
end

--- A mention notifies the user id it carries; its "@name" text is only a label, so a guessed
--- name would notify nobody. Exact username or email first, then a unique username part.
function M.resolve_member(c, team_id, needle)
  local team
  for _, t in ipairs(c.teams:list()) do
    if tostring(t.id) == tostring(team_id) then team = t end
  end
  if not team then error("clickup: no workspace with id " .. tostring(team_id), 2) end
  local want, partial = tostring(needle):lower(), {}
  for _, member in ipairs(team.members or {}) do
    local user = member.user or member
    local username, email = tostring(user.username or ""):lower(), tostring(user.email or ""):lower()
    if username == want or email == want then return user end
    if username:find(want, 1, true) then partial[#partial + 1] = user end
  end
  if #partial == 1 then return partial[1] end
  if #partial > 1 then
    error("clickup: " .. #partial .. " members match " .. tostring(needle) .. "; give a full username or email", 2)
  end
  error("clickup: no member of workspace " .. tostring(team_id) .. " matches " .. tostring(needle), 2)
end

--- A rich comment. ClickUp shows comment_text literally (markdown stays asterisks), while the
--- `comment` field takes a Quill delta: runs of text with attributes, where a line's format
--- (bullet, number, heading) sits on the newline that ends it. Every method returns the builder.
function M.rich()
  local b = { ops = {} }
  local function add(op) b.ops[#b.ops + 1] = op; return b end
  local function run(text, attributes) return add({ text = tostring(text), attributes = attributes }) end
  function b:text(s) return run(s) end
  function b:bold(s) return run(s, { bold = true }) end
  function b:italic(s) return run(s, { italic = true }) end
  function b:code(s) return run(s, { code = true }) end
  function b:link(s, url) return run(s, { link = url or s }) end
  function b:mention(user)
    local id, label = user, nil
    if type(user) == "table" then id, label = user.id, user.username end
    if id == nil then error("clickup: a mention needs a user id", 2) end
    return add({ type = "tag", user = { id = id }, text = "@" .. tostring(label or id) })
  end
  function b:br() return run("\n") end
  function b:bullet() return run("\n", { list = "bullet" }) end
  function b:number() return run("\n", { list = "ordered" }) end
  function b:heading(level) return run("\n", { header = level or 3 }) end
  function b:build() return { comment = b.ops } end
  return b
end

function M.comment_payload(body)
  if type(body) == "table" and type(body.build) == "function" then return body:build() end
  if type(body) == "table" then
    local copy = {}
    for k, v in pairs(body) do copy[k] = v end
    return copy
  end
  if body == nil then error("clickup: a comment needs a body", 3) end
  return { comment_text = tostring(body) }
end

return M
