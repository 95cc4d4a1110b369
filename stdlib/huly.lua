--- @module assay.huly
--- @description Huly transactor REST API (cloud or self-hosted): find-all document queries, counts, fulltext search, writes as create/update/remove transaction documents, person upsert, and tracker helpers for projects, issues (numbered from the project sequence), statuses, milestones and components.
--- @category saas
--- @icon huly
--- @keywords huly, hulylabs, tracker, issue, project, milestone, component, task, transactor, document, transaction, tx, findall, workspace, self-hosted, project-management, hcengineering
--- @env HULY_URL, HULY_TOKEN, HULY_WORKSPACE, HULY_ACCOUNT
--- @quickref M.client(url?, opts?) -> client | Huly client; url defaults to $HULY_URL or https://huly.app (the transactor is <url>/_transactor); opts {token (Bearer, default $HULY_TOKEN), workspace (uuid, default $HULY_WORKSPACE), account (social id that authors writes, default $HULY_ACCOUNT, else the token's primary one)}; huly.client({base_url, token, workspace}) works too
--- @quickref M.new_id() -> string | A new 24-hex document id in Huly's format
--- @quickref M.projects(c) -> [project] | Tracker projects of the workspace, by name
--- @quickref M.resolve_project(c, key?) -> project | The only project, or the one with this identifier (else name)
--- @quickref M.statuses(c) -> [status] | The issue statuses the tracker offers
--- @quickref M.issues(c, project, opts?) -> [issue] | Issues of a project, newest change first; opts are find options {limit, sort, ...}
--- @quickref M.find_issue_by_title(c, project, title) -> issue|nil | The issue of the project with exactly this title
--- @quickref M.create_issue(c, project, spec) -> issue | A new issue {title, description?, status?, priority?, assignee?, ...} numbered from the project sequence
--- @quickref M.ensure_issue(c, project, spec) -> issue, created | The issue titled spec.title, created when missing
--- @quickref M.set_issue_status(c, issue, status) -> true | Move an issue to another status
--- @quickref M.delete_issue(c, issue) -> true | Remove an issue
--- @quickref M.milestones(c, project) -> [milestone] | Milestones of a project
--- @quickref M.components(c, project) -> [component] | Components of a project
--- @quickref M.create_milestone(c, project, spec) -> milestone | A new milestone {label, description?, status?, targetDate?}
--- @quickref M.create_component(c, project, spec) -> component | A new component {label, description?, lead?}
--- @quickref c:account() -> account | The account behind the token (uuid, primarySocialId, socialIds)
--- @quickref c:model(full?) -> [tx] | The model transactions that define every class
--- @quickref c:find_all(class, query?, options?) -> [doc] | Documents of a class matching query; options {limit, sort = {field = 1|-1}, projection, lookup, total}
--- @quickref c:find_one(class, query?, options?) -> doc|nil | The first matching document
--- @quickref c:count(class, query?) -> number | How many documents match, without fetching them
--- @quickref c:search(query, opts?) -> {docs, total} | Fulltext search; opts {classes, spaces, limit}
--- @quickref c:actor() -> string | The social id written as modifiedBy/createdBy
--- @quickref c:tx(tx) -> result | Post one transaction document as is
--- @quickref c:create_doc(class, space, attrs, id?) -> id | Create a document (TxCreateDoc); returns its id
--- @quickref c:update_doc(class, space, id, ops, retrieve?) -> result | Update a document (TxUpdateDoc): plain fields assign, $inc/$push/$pull change; retrieve = true answers {object}
--- @quickref c:remove_doc(class, space, id) -> true | Remove a document (TxRemoveDoc)
--- @quickref c:ensure_person(social_type, social_value, first, last) -> person | The person with this social id, created when missing

local H = require("assay._http")
local W = require("assay._work")

local M = {}

-- Ids the platform fixes by convention.
M.TX_SPACE = "core:space:Tx"
M.NO_PARENT = "tracker:ids:NoParent"
M.ISSUE_CLASS = "tracker:class:Issue"
M.PROJECT_CLASS = "tracker:class:Project"
M.MILESTONE_CLASS = "tracker:class:Milestone"
M.COMPONENT_CLASS = "tracker:class:Component"
M.STATUS_CLASS = "tracker:class:IssueStatus"
M.ISSUE_TASK_TYPE = "tracker:taskTypes:Issue"

-- The middle of the LexoRank space: the transactor refuses an issue without a rank, and with
-- no neighbour to sort between, the middle is where Huly itself puts one.
local MIDDLE_RANK = "0|hzzzzz:"

local counter = 0

--- 8 hex digits of seconds, 10 of randomness, 6 of a counter: the server accepts exactly 24.
function M.new_id()
  counter = (counter + 1) % 0x1000000
  local random = crypto.hash(crypto.random(16), "sha256"):sub(1, 10)
  return string.format("%08x", os.time() % 0x100000000) .. random .. string.format("%06x", counter)
end

local Client = {}
Client.__index = Client

function M.client(url, opts)
  if type(url) == "table" then url, opts = url.base_url, url end -- the original's client({base_url, token, workspace})
  opts = opts or {}
  url = url or opts.base_url or env.get("HULY_URL") or "https://huly.app"
  H.require_url("huly", url)
  local workspace = opts.workspace or env.get("HULY_WORKSPACE")
  if type(workspace) ~= "string" or workspace == "" then
    error("huly.client: no workspace uuid (pass opts.workspace or set HULY_WORKSPACE)", 2)
  end
  local token = opts.token or env.get("HULY_TOKEN")
  local base = H.strip(url)
  local endpoint = base:match("/_transactor$") and base or base .. "/_transactor"
  -- Huly's own client asks for snappy or gzip; only identity arrives as JSON we can read.
  local headers = { Accept = "application/json", ["Accept-Encoding"] = "identity" }
  if token then headers.Authorization = "Bearer " .. token end
  return setmetatable({
    url = base, base_url = base, endpoint = endpoint, workspace = workspace, authenticated = token ~= nil,
    actor_id = opts.account or env.get("HULY_ACCOUNT"),
    api = H.client(endpoint, { module = "huly", headers = headers }),
  }, Client)
end

-- One request; a failure is the standard message with the transactor's inner `error` (which
-- names the operation) instead of its generic outer `message`.
function Client:_call(method, route, query, body)
  local path = "/api/v1/" .. route .. "/" .. H.encode(self.workspace) .. (query or "")
  local resp = self.api:response(method, path, { body = body })
  if resp.status ~= 200 and resp.status ~= 201 then
    local detail = resp.body
    local ok, parsed = pcall(json.parse, resp.body or "")
    if ok and type(parsed) == "table" and parsed.error ~= nil then detail = tostring(parsed.error) end
    error(self.api:message({ module = "huly", method = method, path = path:match("^[^?]*"), status = resp.status, body = detail }))
  end
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

-- Query values as JSON text, as the transactor reads them.
local function as_json(v)
  if type(v) == "table" and next(v) ~= nil then return json.encode(v) end
  return nil
end

function Client:_find(class, query, options)
  if type(class) ~= "string" or class == "" then error("huly: find_all needs a class id", 3) end
  local payload = self:_call("GET", "find-all",
    H.query("class", class, "query", as_json(query), "options", as_json(options)))
  if type(payload) ~= "table" then return {}, -1 end
  if payload.value ~= nil or payload.dataType == "TotalArray" then return payload.value or {}, payload.total or -1 end
  return payload, -1
end

function Client:find_all(class, query, options)
  local docs = self:_find(class, query, options)
  -- The transactor leaves out _class on documents fetched by class and the attributes the
  -- query fixed to one value; Huly's own client puts them back, and scripts read them.
  for _, doc in ipairs(docs) do
    if type(doc) == "table" then
      if doc._class == nil then doc._class = class end
      for k, v in pairs(query or {}) do
        if type(v) ~= "table" and doc[k] == nil then doc[k] = v end
      end
    end
  end
  return docs
end

function Client:find_one(class, query, options)
  local o = {}
  for k, v in pairs(options or {}) do o[k] = v end
  o.limit = 1
  return self:find_all(class, query, o)[1]
end

-- total is -1 unless asked for, so ask, with one row at most.
function Client:count(class, query)
  local _, total = self:_find(class, query, { limit = 1, total = true })
  return total
end

function Client:search(query, opts)
  opts = opts or {}
  local payload = self:_call("GET", "search-fulltext", H.query("query", query,
    "classes", opts.classes and json.encode(opts.classes), "spaces", opts.spaces and json.encode(opts.spaces),
    "limit", opts.limit)) or {}
  return { docs = payload.docs or {}, total = payload.total or 0 }
end

-- Huly records who changed a document as a social id, not a person uuid; the token's primary
-- social id is the one the UI shows as the author.
function Client:actor()
  if not self.actor_id then
    local acc = self:account() or {}
    self.actor_id = acc.primarySocialId or (acc.socialIds or {})[1]
    if not self.actor_id then error("huly: the token's account has no social id to write as", 2) end
  end
  return self.actor_id
end

function Client:tx(tx) return self:_call("POST", "tx", nil, tx) end

local function tx_doc(c, kind, class, space, object_id)
  if object_id == nil then error("huly: a document id is required", 3) end
  return { _id = M.new_id(), _class = kind, space = M.TX_SPACE, objectId = object_id, objectClass = class,
           objectSpace = space, modifiedOn = os.time() * 1000, modifiedBy = c:actor() }
end

function Client:create_doc(class, space, attrs, object_id)
  local id = object_id or M.new_id()
  local tx = tx_doc(self, "core:class:TxCreateDoc", class, space, id)
  tx.createdBy, tx.attributes = tx.modifiedBy, attrs or {}
  self:tx(tx)
  return id
end

function Client:update_doc(class, space, object_id, ops, retrieve)
  local tx = tx_doc(self, "core:class:TxUpdateDoc", class, space, object_id)
  tx.operations, tx.retrieve = ops or {}, retrieve == true
  return self:tx(tx)
end

function Client:remove_doc(class, space, object_id)
  self:tx(tx_doc(self, "core:class:TxRemoveDoc", class, space, object_id))
  return true
end

function Client:ensure_person(social_type, social_value, first_name, last_name)
  return self:_call("POST", "ensure-person", nil,
    { socialType = social_type, socialValue = social_value, firstName = first_name, lastName = last_name })
end

function Client:model(full)
  return self:_call("GET", "load-model", H.query("full", full and "true" or nil))
end

H.api({
  module = "huly",
  quickref = {
    "M.client(url?, opts?) -> client | Huly client; url defaults to $HULY_URL or https://huly.app (the transactor is <url>/_transactor); opts {token (Bearer, default $HULY_TOKEN), workspace (uuid, default $HULY_WORKSPACE), account (social id that authors writes, default $HULY_ACCOUNT, else the token's primary one)}; huly.client({base_url, token, workspace}) works too",
    "M.new_id() -> string | A new 24-hex document id in Huly's format",
    "M.projects(c) -> [project] | Tracker projects of the workspace, by name",
    "M.resolve_project(c, key?) -> project | The only project, or the one with this identifier (else name)",
    "M.statuses(c) -> [status] | The issue statuses the tracker offers",
    "M.issues(c, project, opts?) -> [issue] | Issues of a project, newest change first; opts are find options {limit, sort, ...}",
    "M.find_issue_by_title(c, project, title) -> issue|nil | The issue of the project with exactly this title",
    "M.create_issue(c, project, spec) -> issue | A new issue {title, description?, status?, priority?, assignee?, ...} numbered from the project sequence",
    "M.ensure_issue(c, project, spec) -> issue, created | The issue titled spec.title, created when missing",
    "M.set_issue_status(c, issue, status) -> true | Move an issue to another status",
    "M.delete_issue(c, issue) -> true | Remove an issue",
    "M.milestones(c, project) -> [milestone] | Milestones of a project",
    "M.components(c, project) -> [component] | Components of a project",
    "M.create_milestone(c, project, spec) -> milestone | A new milestone {label, description?, status?, targetDate?}",
    "M.create_component(c, project, spec) -> component | A new component {label, description?, lead?}" },
  ops = {
    { "account", false, "() -> account", "The account behind the token (uuid, primarySocialId, socialIds)",
      fn = function(c) return c:_call("GET", "account") end },
    { "model", false, "(full?) -> [tx]", "The model transactions that define every class" },
    { "find_all", false, "(class, query?, options?) -> [doc]",
      "Documents of a class matching query; options {limit, sort = {field = 1|-1}, projection, lookup, total}" },
    { "find_one", false, "(class, query?, options?) -> doc|nil", "The first matching document" },
    { "count", false, "(class, query?) -> number", "How many documents match, without fetching them" },
    { "search", false, "(query, opts?) -> {docs, total}", "Fulltext search; opts {classes, spaces, limit}" },
    { "actor", false, "() -> string", "The social id written as modifiedBy/createdBy" },
    { "tx", false, "(tx) -> result", "Post one transaction document as is" },
    { "create_doc", false, "(class, space, attrs, id?) -> id", "Create a document (TxCreateDoc); returns its id" },
    { "update_doc", false, "(class, space, id, ops, retrieve?) -> result",
      "Update a document (TxUpdateDoc): plain fields assign, $inc/$push/$pull change; retrieve = true answers {object}" },
    { "remove_doc", false, "(class, space, id) -> true", "Remove a document (TxRemoveDoc)" },
    { "ensure_person", false, "(social_type, social_value, first, last) -> person", "The person with this social id, created when missing" },
  },
}):install(Client)

-- Tracker helpers (module functions taking the client, as in the original).

local function project_id(project) return type(project) == "table" and project._id or project end

local function project_of(c, project)
  if type(project) == "table" then return project end
  return M.resolve_project(c, project)
end

function M.projects(c) return c:find_all(M.PROJECT_CLASS, {}, { sort = { name = 1 } }) end

function M.resolve_project(c, key)
  local projects = M.projects(c)
  -- identifier first: it is unique in a workspace, names need not be
  local found = key ~= nil and W.find(projects, key, "identifier")
  if found then return found end
  return W.pick("huly", projects, key, "project", "token", function(p, name) return p.name == name end)
end

function M.statuses(c) return c:find_all(M.STATUS_CLASS, { ofAttribute = "tracker:attribute:IssueStatus" }) end

function M.issues(c, project, opts)
  local options = { sort = { modifiedOn = -1 } }
  for k, v in pairs(opts or {}) do options[k] = v end
  return c:find_all(M.ISSUE_CLASS, { space = project_id(project) }, options)
end

function M.find_issue_by_title(c, project, title)
  return c:find_one(M.ISSUE_CLASS, { space = project_id(project), title = title })
end

local function need_title(fn, spec)
  if type(spec) ~= "table" or type(spec.title) ~= "string" or spec.title == "" then
    error("huly." .. fn .. ": spec.title is required", 3)
  end
end

--- An issue's number and PREFIX-N identifier come from the project's sequence, raised and read
--- in one transaction (retrieve = true); an issue without them does not show in Huly.
function M.create_issue(c, project, spec)
  need_title("create_issue", spec)
  local proj = project_of(c, project)
  local bumped = c:update_doc(M.PROJECT_CLASS, proj.space or "core:space:Space", proj._id, { ["$inc"] = { sequence = 1 } }, true)
  local number = type(bumped) == "table" and type(bumped.object) == "table" and bumped.object.sequence
  if not number then error("huly: project " .. tostring(proj._id) .. " answered no sequence number", 2) end
  local id = c:create_doc(M.ISSUE_CLASS, proj._id, {
    title = spec.title, description = spec.description,
    status = spec.status or proj.defaultIssueStatus or "tracker:status:Backlog",
    priority = spec.priority or 0, assignee = spec.assignee, component = spec.component,
    milestone = spec.milestone, dueDate = spec.dueDate,
    estimation = spec.estimation or 0, remainingTime = spec.remainingTime or 0, reportedTime = 0,
    reports = 0, comments = 0, subIssues = 0, childInfo = json.array({}), parents = json.array({}),
    number = number, identifier = tostring(proj.identifier) .. "-" .. math.tointeger(number),
    rank = spec.rank or MIDDLE_RANK, kind = spec.kind or M.ISSUE_TASK_TYPE,
    attachedTo = spec.parent or M.NO_PARENT, attachedToClass = M.ISSUE_CLASS, collection = "subIssues",
  })
  return c:find_one(M.ISSUE_CLASS, { _id = id })
end

function M.ensure_issue(c, project, spec)
  need_title("ensure_issue", spec)
  local proj = project_of(c, project)
  local found = M.find_issue_by_title(c, proj, spec.title)
  if found then return found, false end
  return M.create_issue(c, proj, spec), true
end

function M.set_issue_status(c, issue, status)
  c:update_doc(M.ISSUE_CLASS, issue.space, issue._id, { status = status })
  return true
end

function M.delete_issue(c, issue) return c:remove_doc(M.ISSUE_CLASS, issue.space, issue._id) end

function M.milestones(c, project) return c:find_all(M.MILESTONE_CLASS, { space = project_id(project) }) end
function M.components(c, project) return c:find_all(M.COMPONENT_CLASS, { space = project_id(project) }) end

function M.create_milestone(c, project, spec)
  local proj = project_of(c, project)
  local id = c:create_doc(M.MILESTONE_CLASS, proj._id, { label = spec.label, description = spec.description or "",
    status = spec.status or 0, targetDate = spec.targetDate, comments = 0, attachments = 0 })
  return c:find_one(M.MILESTONE_CLASS, { _id = id })
end

function M.create_component(c, project, spec)
  local proj = project_of(c, project)
  local id = c:create_doc(M.COMPONENT_CLASS, proj._id, { label = spec.label, description = spec.description or "",
    lead = spec.lead, comments = 0, attachments = 0 })
  return c:find_one(M.COMPONENT_CLASS, { _id = id })
end

return M
