--- @module assay.servicenow
--- @description ServiceNow Table API (list, get, create, update, delete records of any table such as incident or change_request) and CMDB Instance API (query, get, create configuration items). Basic or bearer auth. Lists follow every page unless opts.limit asks for one.
--- @category saas
--- @icon servicenow
--- @keywords servicenow, snow, now, table-api, cmdb, itsm, incident, change, change-request, ci, configuration-item, records, sys_id, encoded-query
--- @quickref M.client(url, opts?) -> client | ServiceNow client for https://<instance>.service-now.com; opts {user, password} (Basic) or {token} (Bearer)
--- @quickref c.table:list(table, opts?) -> [record] | Rows of a table; opts {query (encoded query), fields, display_value, exclude_reference_link, limit + offset (one page), page_size}
--- @quickref c.table:get(table, sys_id, opts?) -> record|nil | One row (nil when missing); opts {fields, display_value}
--- @quickref c.table:create(table, record) -> record | Insert a row
--- @quickref c.table:update(table, sys_id, fields) -> record | Update fields of a row (PATCH)
--- @quickref c.table:delete(table, sys_id) -> true | Delete a row
--- @quickref c.cmdb:query(class, opts?) -> [ci] | Configuration items of a CMDB class ({sys_id, name}); opts {query, limit + offset (one page), page_size}
--- @quickref c.cmdb:get(class, sys_id) -> ci|nil | One configuration item with its attributes and relations
--- @quickref c.cmdb:create(class, ci) -> ci | Create a configuration item; ci {attributes = {...}, source = "ServiceNow"}

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- Rows fetched per request when the caller wants every row.
local PAGE_SIZE = 1000

function M.client(url, opts)
  H.require_url("servicenow", url)
  opts = opts or {}
  local headers = { ["Accept"] = "application/json" }
  H.merge_headers(headers, opts.headers)
  local user = opts.user or opts.username
  H.auth_headers({ token = opts.token, username = user, password = user and (opts.password or "") }, headers)
  return setmetatable({ url = H.strip(url), api = H.client(url, { module = "servicenow", headers = headers }) }, Client)
end

local function csv(value)
  if type(value) == "table" then return table.concat(value, ",") end
  return value
end

local function table_path(name, sys_id)
  if name == nil or name == "" then error("servicenow: table name is required", 4) end
  local path = "/api/now/table/" .. H.encode(name)
  if sys_id ~= nil then path = path .. "/" .. H.encode(sys_id) end
  return path
end

-- The rows of a list endpoint: one page when opts.limit is given (as the API does), else
-- sysparm_offset steps of PAGE_SIZE until a short page.
local function rows(c, path, opts)
  opts = opts or {}
  local function page(limit, offset)
    local query = H.query("sysparm_query", opts.query or opts.sysparm_query, "sysparm_fields", csv(opts.fields),
      "sysparm_display_value", opts.display_value,
      "sysparm_exclude_reference_link", opts.exclude_reference_link, "sysparm_limit", limit,
      "sysparm_offset", offset)
    local answer = c.api:get(path .. query, { allow_404 = true })
    return (answer or {}).result or {}
  end
  if opts.limit ~= nil then return page(opts.limit, opts.offset) end
  local size = opts.page_size or PAGE_SIZE
  local all, offset = {}, opts.offset or 0
  while true do
    local got = page(size, offset)
    for _, row in ipairs(got) do all[#all + 1] = row end
    if #got < size then return all end
    offset = offset + size
  end
end

local function result(answer)
  if type(answer) == "table" then return answer.result end
  return answer
end

H.api({
  module = "servicenow",
  quickref = {
    "M.client(url, opts?) -> client | ServiceNow client for https://<instance>.service-now.com; opts {user, password} (Basic) or {token} (Bearer)",
  },
  ops = {
    { false, "table:list", "(table, opts?) -> [record]", "Rows of a table; opts {query (encoded query), fields, display_value, exclude_reference_link, limit + offset (one page), page_size}",
      fn = function(c, name, opts) return rows(c, table_path(name), opts) end },
    { false, "table:get", "(table, sys_id, opts?) -> record|nil", "One row (nil when missing); opts {fields, display_value}",
      fn = function(c, name, sys_id, opts)
        opts = opts or {}
        return result(c.api:get(table_path(name, sys_id) .. H.query("sysparm_fields", csv(opts.fields),
          "sysparm_display_value", opts.display_value), { allow_404 = true }))
      end },
    { false, "table:create", "(table, record) -> record", "Insert a row",
      fn = function(c, name, record) return result(c.api:post(table_path(name), record, { expect = { 200, 201 } })) end },
    { false, "table:update", "(table, sys_id, fields) -> record", "Update fields of a row (PATCH)",
      fn = function(c, name, sys_id, fields) return result(c.api:patch(table_path(name, sys_id), fields)) end },
    { false, "table:delete", "(table, sys_id) -> true", "Delete a row",
      fn = function(c, name, sys_id) c.api:delete(table_path(name, sys_id), { expect = { 200, 204 } }); return true end },
    { false, "cmdb:query", "(class, opts?) -> [ci]", "Configuration items of a CMDB class ({sys_id, name}); opts {query, limit + offset (one page), page_size}",
      fn = function(c, class, opts)
        return rows(c, "/api/now/cmdb/instance/" .. H.encode(class), opts)
      end },
    { false, "cmdb:get", "(class, sys_id) -> ci|nil", "One configuration item with its attributes and relations",
      fn = function(c, class, sys_id)
        return result(c.api:get("/api/now/cmdb/instance/" .. H.encode(class) .. "/" .. H.encode(sys_id), { allow_404 = true }))
      end },
    { false, "cmdb:create", "(class, ci) -> ci", "Create a configuration item; ci {attributes = {...}, source = \"ServiceNow\"}",
      fn = function(c, class, ci)
        return result(c.api:post("/api/now/cmdb/instance/" .. H.encode(class), ci, { expect = { 200, 201 } }))
      end },
  },
}):install(Client)

return M
