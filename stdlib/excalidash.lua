--- @module assay.excalidash
--- @description ExcaliDash REST API (self-hosted Excalidraw dashboard): drawings, collections and their sharing, version history, user and link sharing. Picks the API key or the session token per route, does the CSRF handshake for session writes, and refuses scene writes that do not name the version they replace.
--- @category saas
--- @icon excalidraw
--- @keywords excalidash, excalidraw, drawing, diagram, whiteboard, canvas, scene, elements, collection, trash, snapshot, version-history, restore, share, link-share, permission, api-key, csrf, self-hosted
--- @env EXCALIDASH_URL, EXCALIDASH_API_KEY, EXCALIDASH_TOKEN, EXCALIDASH_API_PATH
--- @quickref M.client(url?, opts?) -> client | ExcaliDash client; url defaults to $EXCALIDASH_URL; opts {api_key ($EXCALIDASH_API_KEY: drawings and collections only), token ($EXCALIDASH_TOKEN, a session access token: every route), api_path ("/api" behind the dashboard, "" on the backend itself)}; excalidash.client({base_url, ...}) works too
--- @quickref M.all_drawings(c, opts?) -> [drawing] | Every drawing summary, page after page (200 a page) until a short one
--- @quickref M.find_drawing_by_name(c, name, opts?) -> drawing|nil | The drawing named exactly name (the server's search narrows, the name decides)
--- @quickref M.ensure_drawing(c, spec) -> drawing, created | The drawing named spec.name (in spec.collection_id), created from spec when missing
--- @quickref M.collections(c) -> [collection] | Collections you own, Trash left out
--- @quickref M.resolve_collection(c, name?) -> collection | The only collection you own, or the one with this name
--- @quickref M.ensure_collection(c, name) -> collection, created | The collection with this name, created when missing
--- @quickref M.trash(c, drawing_id) -> drawing | Move a drawing to Trash (reversible, unlike drawings:delete)
--- @quickref M.undo_last_change(c, drawing_id) -> drawing|nil | Restore the snapshot taken before the last scene write, guarded by the current version
--- @quickref c.drawings:list(opts?) -> {drawings, totalCount} | One page of drawing summaries; opts {search, collection_id, include_data, limit, offset, sort_field, sort_direction}
--- @quickref c.drawings:get(id) -> drawing|nil | A drawing with its scene and version
--- @quickref c.drawings:create(spec) -> drawing | Create a drawing {name, collection_id?, elements?, app_state?, files?}
--- @quickref c.drawings:update(id, patch) -> drawing | Change name, collection or scene; a scene write needs patch.version (the version read) unless patch.force
--- @quickref c.drawings:delete(id) -> true | Delete a drawing for good
--- @quickref c.drawings:duplicate(id) -> drawing | Copy a drawing as "<name> (Copy)" (session)
--- @quickref c.drawings:shared(opts?) -> {drawings, totalCount} | Drawings others shared with you (session)
--- @quickref c.collections:list() -> [collection] | Collections you own or were given, Trash included
--- @quickref c.collections:create(name) -> collection | Create a collection
--- @quickref c.collections:rename(id, name) -> collection | Rename a collection
--- @quickref c.collections:delete(id) -> true | Delete a collection (its drawings are kept)
--- @quickref c.collections:shares(id) -> [share] | Who a collection is shared with (session)
--- @quickref c.collections:share(id, identifier, role?) -> share | Share by email or username; role "view" (default) | "edit" (session)
--- @quickref c.collections:set_share_role(id, user_id, role) -> true | Change a share's role (session)
--- @quickref c.collections:unshare(id, user_id) -> true | Drop a collection share (session)
--- @quickref c.collections:resolve_users(id, q) -> [user] | Users to share a collection with (session)
--- @quickref c.history:list(drawing_id, opts?) -> {snapshots, totalCount} | Snapshots, newest first; opts {limit, offset} (session)
--- @quickref c.history:get(drawing_id, snapshot_id) -> snapshot|nil | One snapshot with its scene (session)
--- @quickref c.history:restore(drawing_id, snapshot_id, version) -> drawing | Roll back to a snapshot; version = the drawing's current one (session)
--- @quickref c.sharing:get(drawing_id) -> {permissions, linkShares} | A drawing's sharing (session)
--- @quickref c.sharing:grant(drawing_id, user_id, permission?) -> permission | Share with a user, "view" (default) | "edit" (session)
--- @quickref c.sharing:revoke(drawing_id, permission_id) -> true | Drop a user share (session)
--- @quickref c.sharing:create_link(drawing_id, spec?) -> share | Anyone-with-the-link share {permission, expires_at = ISO time | false (never)} (session)
--- @quickref c.sharing:revoke_link(drawing_id, share_id) -> true | Revoke a link share (session)
--- @quickref c.sharing:resolve_users(drawing_id, q) -> [user] | Users to share a drawing with (session)

local H = require("assay._http")
local W = require("assay._work")

local M = {}

M.TRASH = "trash"
M.PERMISSIONS = { view = "view", edit = "edit" }

local CSRF_COOKIE = "excalidash-csrf-client"

local Client = {}
Client.__index = Client

function M.client(url, opts)
  if type(url) == "table" then url, opts = url.base_url, url end -- the original's client({base_url, ...})
  opts = opts or {}
  url = url or opts.base_url or env.get("EXCALIDASH_URL")
  if type(url) ~= "string" or url == "" then
    error("excalidash.client: no url (pass one or set EXCALIDASH_URL)", 2)
  end
  -- Behind the dashboard, nginx serves the backend under /api; the backend itself has no prefix.
  local api_path = H.strip(opts.api_path or env.get("EXCALIDASH_API_PATH") or "/api")
  local c = setmetatable({
    url = H.strip(url), api_path = api_path,
    api_key = opts.api_key or env.get("EXCALIDASH_API_KEY"), token = opts.token or env.get("EXCALIDASH_TOKEN"),
  }, Client)
  c.has_api_key, c.has_session = c.api_key ~= nil, c.token ~= nil
  c.api = H.client(c.url .. api_path, { module = "excalidash", headers = { Accept = "application/json" } })
  return c
end

-- The credential for a route. The server's API-key scope covers only /drawings[/<id>] and
-- /collections[/<id>]; deeper routes need a session, so say which credential is missing
-- instead of relaying a bare 401. A key is preferred where it works: it needs no CSRF.
function Client:_credential(label)
  if label then
    if not self.token then
      error("excalidash: " .. label .. " needs a session token (opts.token or EXCALIDASH_TOKEN); an API key cannot reach it", 4)
    end
    return "session"
  end
  if self.api_key then return "key" end
  if self.token then return "session" end
  error("excalidash: no credential (pass opts.api_key or opts.token, or set EXCALIDASH_API_KEY / EXCALIDASH_TOKEN)", 4)
end

-- A session write must show the CSRF token in the header the server names and, beside it, the
-- client cookie the token is bound to; GET /csrf-token hands out both, once per client.
function Client:_csrf()
  if not self.csrf then
    local resp = self.api:request("GET", "/csrf-token", { result = "response", bare = true,
      headers = { Accept = "application/json" } })
    local ok, data = pcall(json.parse, resp.body or "")
    local cookie = (resp.headers["set-cookie"] or ""):match(CSRF_COOKIE:gsub("%-", "%%-") .. "=([^;,]+)")
    if not ok or type(data) ~= "table" or not data.token or not cookie then
      error("excalidash: GET /csrf-token answered no token and " .. CSRF_COOKIE .. " cookie", 4)
    end
    self.csrf = { header = data.header or "x-csrf-token", token = data.token, cookie = cookie }
  end
  return self.csrf
end

-- One request. A key request carries no Origin/Referer (the http builtin sends neither),
-- which is how the server tells a script from a browser and exempts it from CSRF.
function Client:_call(method, path, opts)
  opts = opts or {}
  local headers = {}
  if self:_credential(opts.session) == "key" then
    headers.Authorization = "Bearer " .. self.api_key
  else
    headers.Authorization = "Bearer " .. self.token
    if method ~= "GET" then
      local csrf = self:_csrf()
      headers[csrf.header] = csrf.token
      headers.Cookie = CSRF_COOKIE .. "=" .. csrf.cookie
    end
  end
  local body = opts.body
  if body ~= nil then headers["Content-Type"] = "application/json" end
  local resp = self.api:response(method, path, { headers = headers, body = body })
  if method == "GET" and resp.status == 404 then return nil end
  local ok, data = pcall(json.parse, resp.body ~= "" and resp.body or "null")
  if resp.status < 200 or resp.status > 299 then
    local detail = resp.body
    if ok and type(data) == "table" and (data.error or data.message) then
      local parts = {}
      for _, key in ipairs({ "error", "code", "message" }) do
        if data[key] ~= nil then parts[#parts + 1] = key == "code" and "(" .. tostring(data.code) .. ")" or tostring(data[key]) end
      end
      detail = table.concat(parts, " ")
    end
    error(self.api:message({ module = "excalidash", method = method, path = path:match("^[^?]*"), status = resp.status, body = detail }), 3)
  end
  -- A dashboard answers unknown paths with its HTML page and 200: refuse it rather than
  -- reading it as "no drawings".
  if not ok then
    error("excalidash: " .. method .. " " .. path:match("^[^?]*") .. " answered HTTP " .. resp.status
      .. " with a body that is not JSON; is api_path (\"" .. self.api_path .. "\") right for this host?", 3)
  end
  return data
end

local function P(fmt, ...) return H.path("excalidash", fmt, ...) end

local function list_query(o)
  o = o or {}
  return H.query("collectionId", o.collection_id, "includeData", o.include_data, "includePreview", o.include_preview,
    "limit", o.limit, "offset", o.offset, "search", o.search, "sortDirection", o.sort_direction, "sortField", o.sort_field)
end

-- The create schema wants a JSON array of elements and an object of app state; an empty Lua
-- table would be encoded as {} for the one and [] for the other.
local function elements(value)
  if value == nil or (type(value) == "table" and next(value) == nil) then return json.array({}) end
  return value
end

local function app_state(value)
  if value == nil or (type(value) == "table" and next(value) == nil) then return json.object({}) end
  return value
end

local SCENE = { elements = "elements", app_state = "appState", files = "files" }

function Client:_update(id, patch)
  patch = patch or {}
  local body, scene = {}, false
  for key, wire in pairs({ name = "name", collection_id = "collectionId", preview = "preview", version = "version" }) do
    if patch[key] ~= nil then body[wire] = patch[key] end
  end
  for key, wire in pairs(SCENE) do
    if patch[key] ~= nil then body[wire], scene = patch[key], true end
  end
  if body.elements then body.elements = elements(body.elements) end
  if body.appState then body.appState = app_state(body.appState) end
  -- Writing a scene without the version it was based on would silently replace whatever was
  -- drawn since; with the version the server refuses a stale write (409 VERSION_CONFLICT).
  if scene and patch.version == nil and not patch.force then
    error("excalidash: drawings:update of a scene needs patch.version (the version you read) so a newer scene is not overwritten; pass force = true to overwrite anyway", 3)
  end
  return self:_call("PUT", P("/drawings/%s", id), { body = body })
end

-- Link shares tell an absent expiresAt (the default lifetime) from null (no expiry); the json
-- builtin has no null, so that body is written as text.
local function link_body(spec)
  spec = spec or {}
  local permission = json.encode(spec.permission or M.PERMISSIONS.view)
  if spec.expires_at == false then return '{"permission":' .. permission .. ',"expiresAt":null}' end
  return { permission = spec.permission or M.PERMISSIONS.view, expiresAt = spec.expires_at }
end

local function field(data, key, default)
  if data == nil then return default end
  local v = data[key]
  if v == nil then return default end
  return v
end

H.api({
  module = "excalidash",
  quickref = {
    "M.client(url?, opts?) -> client | ExcaliDash client; url defaults to $EXCALIDASH_URL; opts {api_key ($EXCALIDASH_API_KEY: drawings and collections only), token ($EXCALIDASH_TOKEN, a session access token: every route), api_path (\"/api\" behind the dashboard, \"\" on the backend itself)}; excalidash.client({base_url, ...}) works too",
    "M.all_drawings(c, opts?) -> [drawing] | Every drawing summary, page after page (200 a page) until a short one",
    "M.find_drawing_by_name(c, name, opts?) -> drawing|nil | The drawing named exactly name (the server's search narrows, the name decides)",
    "M.ensure_drawing(c, spec) -> drawing, created | The drawing named spec.name (in spec.collection_id), created from spec when missing",
    "M.collections(c) -> [collection] | Collections you own, Trash left out",
    "M.resolve_collection(c, name?) -> collection | The only collection you own, or the one with this name",
    "M.ensure_collection(c, name) -> collection, created | The collection with this name, created when missing",
    "M.trash(c, drawing_id) -> drawing | Move a drawing to Trash (reversible, unlike drawings:delete)",
    "M.undo_last_change(c, drawing_id) -> drawing|nil | Restore the snapshot taken before the last scene write, guarded by the current version" },
  ops = {
    { false, "drawings:list", "(opts?) -> {drawings, totalCount}",
      "One page of drawing summaries; opts {search, collection_id, include_data, limit, offset, sort_field, sort_direction}",
      fn = function(c, o) return c:_call("GET", "/drawings" .. list_query(o)) or { drawings = {}, totalCount = 0 } end },
    { false, "drawings:get", "(id) -> drawing|nil", "A drawing with its scene and version",
      fn = function(c, id) return c:_call("GET", P("/drawings/%s", id)) end },
    { false, "drawings:create", "(spec) -> drawing", "Create a drawing {name, collection_id?, elements?, app_state?, files?}",
      fn = function(c, spec)
        spec = spec or {}
        return c:_call("POST", "/drawings", { body = { name = spec.name, collectionId = spec.collection_id,
          elements = elements(spec.elements), appState = app_state(spec.app_state), files = spec.files, preview = spec.preview } })
      end },
    { false, "drawings:update", "(id, patch) -> drawing",
      "Change name, collection or scene; a scene write needs patch.version (the version read) unless patch.force",
      fn = function(c, id, patch) return c:_update(id, patch) end },
    { false, "drawings:delete", "(id) -> true", "Delete a drawing for good",
      fn = function(c, id) c:_call("DELETE", P("/drawings/%s", id)); return true end },
    { false, "drawings:duplicate", "(id) -> drawing", "Copy a drawing as \"<name> (Copy)\" (session)",
      fn = function(c, id) return c:_call("POST", P("/drawings/%s/duplicate", id), { body = {}, session = "duplicating a drawing" }) end },
    { false, "drawings:shared", "(opts?) -> {drawings, totalCount}", "Drawings others shared with you (session)",
      fn = function(c, o) return c:_call("GET", "/drawings/shared" .. list_query(o), { session = "the shared-with-me list" }) end },

    { false, "collections:list", "() -> [collection]", "Collections you own or were given, Trash included",
      fn = function(c) return c:_call("GET", "/collections") or {} end },
    { false, "collections:create", "(name) -> collection", "Create a collection",
      fn = function(c, name) return c:_call("POST", "/collections", { body = { name = name } }) end },
    { false, "collections:rename", "(id, name) -> collection", "Rename a collection",
      fn = function(c, id, name) return c:_call("PUT", P("/collections/%s", id), { body = { name = name } }) end },
    { false, "collections:delete", "(id) -> true", "Delete a collection (its drawings are kept)",
      fn = function(c, id) c:_call("DELETE", P("/collections/%s", id)); return true end },
    { false, "collections:shares", "(id) -> [share]", "Who a collection is shared with (session)",
      fn = function(c, id) return field(c:_call("GET", P("/collections/%s/shares", id), { session = "collection sharing" }), "shares", {}) end },
    { false, "collections:share", "(id, identifier, role?) -> share", "Share by email or username; role \"view\" (default) | \"edit\" (session)",
      fn = function(c, id, identifier, role)
        return field(c:_call("POST", P("/collections/%s/shares", id), { session = "collection sharing",
          body = { identifier = identifier, role = role or M.PERMISSIONS.view } }), "share")
      end },
    { false, "collections:set_share_role", "(id, user_id, role) -> true", "Change a share's role (session)",
      fn = function(c, id, user_id, role)
        c:_call("PATCH", P("/collections/%s/shares/%s", id, user_id), { session = "collection sharing", body = { role = role } })
        return true
      end },
    { false, "collections:unshare", "(id, user_id) -> true", "Drop a collection share (session)",
      fn = function(c, id, user_id)
        c:_call("DELETE", P("/collections/%s/shares/%s", id, user_id), { session = "collection sharing" })
        return true
      end },
    { false, "collections:resolve_users", "(id, q) -> [user]", "Users to share a collection with (session)",
      fn = function(c, id, q)
        return field(c:_call("GET", P("/collections/%s/share-resolve", id) .. H.query("q", q), { session = "collection user lookup" }), "users", {})
      end },

    { false, "history:list", "(drawing_id, opts?) -> {snapshots, totalCount}", "Snapshots, newest first; opts {limit, offset} (session)",
      fn = function(c, id, o)
        o = o or {}
        return c:_call("GET", P("/drawings/%s/history", id) .. H.query("limit", o.limit, "offset", o.offset), { session = "version history" })
          or { snapshots = {}, totalCount = 0 }
      end },
    { false, "history:get", "(drawing_id, snapshot_id) -> snapshot|nil", "One snapshot with its scene (session)",
      fn = function(c, id, snapshot_id) return c:_call("GET", P("/drawings/%s/history/%s", id, snapshot_id), { session = "version history" }) end },
    { false, "history:restore", "(drawing_id, snapshot_id, version) -> drawing",
      "Roll back to a snapshot; version = the drawing's current one (session)",
      fn = function(c, id, snapshot_id, version)
        if version == nil then
          error("excalidash: history:restore needs the drawing's current version, so a newer scene is not thrown away", 2)
        end
        return c:_call("POST", P("/drawings/%s/history/%s/restore", id, snapshot_id), { session = "version history", body = { version = version } })
      end },

    { false, "sharing:get", "(drawing_id) -> {permissions, linkShares}", "A drawing's sharing (session)",
      fn = function(c, id) return c:_call("GET", P("/drawings/%s/sharing", id), { session = "drawing sharing" }) end },
    { false, "sharing:grant", "(drawing_id, user_id, permission?) -> permission", "Share with a user, \"view\" (default) | \"edit\" (session)",
      fn = function(c, id, user_id, permission)
        return field(c:_call("POST", P("/drawings/%s/permissions", id), { session = "drawing sharing",
          body = { granteeUserId = user_id, permission = permission or M.PERMISSIONS.view } }), "permission")
      end },
    { false, "sharing:revoke", "(drawing_id, permission_id) -> true", "Drop a user share (session)",
      fn = function(c, id, permission_id)
        c:_call("DELETE", P("/drawings/%s/permissions/%s", id, permission_id), { session = "drawing sharing" })
        return true
      end },
    { false, "sharing:create_link", "(drawing_id, spec?) -> share",
      "Anyone-with-the-link share {permission, expires_at = ISO time | false (never)} (session)",
      fn = function(c, id, spec)
        return field(c:_call("POST", P("/drawings/%s/link-shares", id), { session = "drawing sharing", body = link_body(spec) }), "share")
      end },
    { false, "sharing:revoke_link", "(drawing_id, share_id) -> true", "Revoke a link share (session)",
      fn = function(c, id, share_id)
        c:_call("DELETE", P("/drawings/%s/link-shares/%s", id, share_id), { session = "drawing sharing" })
        return true
      end },
    { false, "sharing:resolve_users", "(drawing_id, q) -> [user]", "Users to share a drawing with (session)",
      fn = function(c, id, q)
        return field(c:_call("GET", P("/drawings/%s/share-resolve", id) .. H.query("q", q), { session = "drawing user lookup" }), "users", {})
      end },
  },
}):install(Client)

--- Every drawing: pages by offset until one comes back short (the server caps a page at 200).
function M.all_drawings(c, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.limit, o.offset = o.limit or 200, o.offset or 0
  local out = {}
  while true do
    local page = c.drawings:list(o)
    local rows = page.drawings or {}
    for _, d in ipairs(rows) do out[#out + 1] = d end
    if #rows < o.limit or #rows == 0 or (page.totalCount and #out >= page.totalCount) then return out end
    o.offset = o.offset + #rows
  end
end

--- The server's search is a substring match: it narrows the walk, the name is then compared.
function M.find_drawing_by_name(c, name, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.search = name
  return W.find(M.all_drawings(c, o), name)
end

function M.ensure_drawing(c, spec)
  return W.ensure("excalidash.ensure_drawing", spec,
    function(name) return M.find_drawing_by_name(c, name, { collection_id = spec.collection_id }) end,
    function() return c.drawings:create(spec) end)
end

function M.collections(c)
  local out = {}
  for _, col in ipairs(c.collections:list()) do
    if col.id ~= M.TRASH and col.isOwner ~= false then out[#out + 1] = col end
  end
  return out
end

function M.resolve_collection(c, name)
  return W.pick("excalidash", M.collections(c), name, "collection", "account",
    function(col, wanted) return col.name == wanted end)
end

function M.ensure_collection(c, name)
  return W.ensure("excalidash.ensure_collection", { name = name },
    function(wanted) return W.find(M.collections(c), wanted) end,
    function() return c.collections:create(name) end)
end

function M.trash(c, drawing_id) return c.drawings:update(drawing_id, { collection_id = M.TRASH }) end

--- The newest snapshot is the scene before the last write. The drawing is read for the version
--- the guarded restore needs, so an edit landing in between makes the restore fail, not vanish.
function M.undo_last_change(c, drawing_id)
  local newest = (c.history:list(drawing_id, { limit = 1 }).snapshots or {})[1]
  if not newest then return nil end
  local current = c.drawings:get(drawing_id)
  if not current then return nil end
  return c.history:restore(drawing_id, newest.id, current.version)
end

return M
