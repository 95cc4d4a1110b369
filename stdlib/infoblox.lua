--- @module assay.infoblox
--- @description Infoblox NIOS WAPI: DNS records of any type (record:a, record:cname, record:host, ...), networks, DHCP ranges, grid; record create, update and delete by _ref. list() follows WAPI paging (_paging/_page_id) for the caller. Basic auth.
--- @category cloud
--- @icon infoblox
--- @keywords infoblox, nios, wapi, ipam, ddi, dns, dhcp, network, range, grid, record, a-record, cname, host-record, ptr, _ref
--- @quickref M.client(url, opts?) -> client | Infoblox client for https://gridmaster; opts {user, password (Basic), wapi_version = "v2.12"}
--- @quickref c.records:get(type, args?) -> [record]|nil | One WAPI search ("record:a", {name = "www.example.com", _return_fields = {...}}); nil on 404
--- @quickref c.records:list(type, args?) -> [record] | The same search over every page
--- @quickref c.records:create(type, fields) -> ref | Create an object; returns its _ref
--- @quickref c.records:update(ref, fields) -> ref | Update an object by _ref (PUT)
--- @quickref c.records:delete(ref) -> ref | Delete an object by _ref
--- @quickref c.network:get(args?) -> [network]|nil | Networks matching args ({network = "10.0.0.0/24", network_view = "default"})
--- @quickref c.network:list(args?) -> [network] | Every network matching args, all pages
--- @quickref c.range:get(args?) -> [range]|nil | DHCP ranges matching args
--- @quickref c.range:list(args?) -> [range] | Every DHCP range matching args, all pages
--- @quickref c.grid:status(args?) -> [grid] | The grid object(s); args such as {_return_fields = {"name", "service_status"}}

local H = require("assay._http")

local M = {}

local Client = {}
Client.__index = Client

-- Objects per page when list() pages through a large result (WAPI allows up to 1000 by default).
local PAGE_SIZE = 1000

function M.client(url, opts)
  H.require_url("infoblox", url)
  opts = opts or {}
  local headers = {}
  H.merge_headers(headers, opts.headers)
  local user = opts.user or opts.username
  H.auth_headers({ username = user, password = user and (opts.password or "") }, headers)
  local wapi = "/wapi/" .. (opts.wapi_version or "v2.12")
  return setmetatable({
    url = H.strip(url), wapi = wapi,
    api = H.client(url, { module = "infoblox", headers = headers }),
  }, Client)
end

-- The object type goes into the path as is ("record:a"); anything else is refused so a typo
-- cannot address another route.
local function object_path(c, kind)
  if type(kind) ~= "string" or not kind:match("^[%w_:%-]+$") then
    error("infoblox: object type must look like \"record:a\" or \"network\", got " .. tostring(kind), 4)
  end
  return c.wapi .. "/" .. kind
end

-- A _ref ("record:a/ZG5z...:www.example.com/default") is the object's own path.
local function ref_path(c, ref)
  if type(ref) ~= "string" or not ref:match("^[%w_:%-]+/") then
    error("infoblox: a _ref such as \"record:a/ZG5z...:name/default\" is required, got " .. tostring(ref), 4)
  end
  return c.wapi .. "/" .. ref
end

-- Search arguments in name order (WAPI modifiers such as "name~" or "_return_fields+" included);
-- a list value is sent comma-separated, as _return_fields expects.
local function search_query(args, extra)
  local keys = {}
  for k in pairs(args or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = args[k]
    if type(v) == "table" then v = table.concat(v, ",") end
    parts[#parts + 1] = H.encode(k) .. "=" .. H.encode(v)
  end
  for i = 1, #(extra or {}), 2 do
    if extra[i + 1] ~= nil then parts[#parts + 1] = extra[i] .. "=" .. H.encode(extra[i + 1]) end
  end
  if #parts == 0 then return "" end
  return "?" .. table.concat(parts, "&")
end

local function get(c, kind, args)
  return c.api:get(object_path(c, kind) .. search_query(args), { allow_404 = true })
end

-- Every object of a search, page by page (WAPI answers {result, next_page_id}).
local function list(c, kind, args)
  local path = object_path(c, kind)
  local all, page_id = {}, nil
  repeat
    local extra = { "_paging", 1, "_return_as_object", 1, "_max_results", PAGE_SIZE, "_page_id", page_id }
    local answer = c.api:get(path .. search_query(page_id == nil and args or nil, extra))
    for _, obj in ipairs((answer or {}).result or {}) do all[#all + 1] = obj end
    page_id = (answer or {}).next_page_id
  until page_id == nil or page_id == ""
  return all
end

H.api({
  module = "infoblox",
  quickref = {
    "M.client(url, opts?) -> client | Infoblox client for https://gridmaster; opts {user, password (Basic), wapi_version = \"v2.12\"}",
  },
  ops = {
    { false, "records:get", "(type, args?) -> [record]|nil", "One WAPI search (\"record:a\", {name = \"www.example.com\", _return_fields = {...}}); nil on 404",
      fn = function(c, kind, args) return get(c, kind, args) end },
    { false, "records:list", "(type, args?) -> [record]", "The same search over every page",
      fn = function(c, kind, args) return list(c, kind, args) end },
    { false, "records:create", "(type, fields) -> ref", "Create an object; returns its _ref",
      fn = function(c, kind, fields) return c.api:post(object_path(c, kind), fields, { expect = { 200, 201 } }) end },
    { false, "records:update", "(ref, fields) -> ref", "Update an object by _ref (PUT)",
      fn = function(c, ref, fields) return c.api:put(ref_path(c, ref), fields) end },
    { false, "records:delete", "(ref) -> ref", "Delete an object by _ref",
      fn = function(c, ref) return c.api:delete(ref_path(c, ref)) end },
    { false, "network:get", "(args?) -> [network]|nil", "Networks matching args ({network = \"10.0.0.0/24\", network_view = \"default\"})",
      fn = function(c, args) return get(c, "network", args) end },
    { false, "network:list", "(args?) -> [network]", "Every network matching args, all pages",
      fn = function(c, args) return list(c, "network", args) end },
    { false, "range:get", "(args?) -> [range]|nil", "DHCP ranges matching args",
      fn = function(c, args) return get(c, "range", args) end },
    { false, "range:list", "(args?) -> [range]", "Every DHCP range matching args, all pages",
      fn = function(c, args) return list(c, "range", args) end },
    { false, "grid:status", "(args?) -> [grid]", "The grid object(s); args such as {_return_fields = {\"name\", \"service_status\"}}",
      fn = function(c, args) return get(c, "grid", args) end },
  },
}):install(Client)

return M
