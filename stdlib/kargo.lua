--- @module assay.kargo
--- @description Kargo continuous promotion. Stages, freight, promotions, warehouses, pipeline status.
--- @category gitops
--- @icon package
--- @keywords kargo, promotions, stages, freight, warehouses, gitops, kubernetes, promotion, pipeline, health, wait, status, stage
--- @quickref M.client(url, opts) -> client | Kargo client for the Kubernetes API; opts {token, ca_cert?} or the token string
--- @quickref c.stages:list(namespace) -> [stage] | List stages in namespace; flat: c:stages(namespace)
--- @quickref c.stages:get(namespace, name) -> stage | Get stage by name; flat: c:stage(namespace, name)
--- @quickref c.stages:status(namespace, name) -> {phase, freight, health} | Get stage status; flat: c:stage_status(namespace, name)
--- @quickref c.stages:is_healthy(namespace, name) -> bool | Check if stage is healthy; flat: c:is_stage_healthy(namespace, name)
--- @quickref c.stages:wait_healthy(namespace, name, timeout_secs?) -> true | Wait for stage health; flat: c:wait_stage_healthy(namespace, name, timeout_secs?)
--- @quickref c.freight:list(namespace, opts?) -> [freight] | List freight in namespace; flat: c:freight_list(namespace, opts?)
--- @quickref c.freight:get(namespace, name) -> freight | Get freight by name; flat: c:freight(namespace, name)
--- @quickref c.freight:status(namespace, name) -> status | Get freight status; flat: c:freight_status(namespace, name)
--- @quickref c.promotions:list(namespace, opts?) -> [promotion] | List promotions; flat: c:promotions(namespace, opts?)
--- @quickref c.promotions:get(namespace, name) -> promotion | Get promotion by name; flat: c:promotion(namespace, name)
--- @quickref c.promotions:status(namespace, name) -> {phase, message, freight_id} | Get promotion status; flat: c:promotion_status(namespace, name)
--- @quickref c.promotions:create(namespace, stage, freight) -> promotion | Create a promotion; flat: c:promote(namespace, stage, freight)
--- @quickref c.warehouses:list(namespace) -> [warehouse] | List warehouses; flat: c:warehouses(namespace)
--- @quickref c.warehouses:get(namespace, name) -> warehouse | Get warehouse by name; flat: c:warehouse(namespace, name)
--- @quickref c.projects:list() -> [project] | List Kargo projects; flat: c:projects()
--- @quickref c.projects:get(name) -> project | Get project by name; flat: c:project(name)
--- @quickref c.stages:pipeline_status(namespace) -> [{name, phase, freight, healthy}] | Get pipeline overview; flat: c:pipeline_status(namespace)

local H = require("assay._http")
local k8s = require("assay.k8s")

local M = {}

local API_VERSION = "kargo.akuity.io/v1alpha1"
local B = "/apis/" .. API_VERSION

local C = {}
C.__index = C

--- kargo.client(url, token) or kargo.client(url, { token = ..., ca_cert = ... })
function M.client(url, token)
  local api = k8s._api("kargo", url, token)
  return setmetatable({ url = api.url, token = api.conn.token, api = api }, C)
end

local function ns_path(namespace, plural, name)
  local p = B .. "/namespaces/" .. namespace .. "/" .. plural
  if name ~= nil then p = p .. "/" .. name end
  return p
end

-- every non-200 raises (404 included); lists return their items array
local function get(c, path)
  return c.api:get(path, true)
end

local function items(c, path)
  local list = c.api:list(path, { verb = "GET" })
  return type(list) == "table" and list.items or {}
end

-- "kargo.akuity.io/<label>=<value>,..." for the labels given in opts, or nil
local function selector(opts, labels)
  local terms = {}
  for _, label in ipairs(labels) do
    if opts[label] ~= nil then
      terms[#terms + 1] = "kargo.akuity.io/" .. label .. "=" .. H.text(opts[label])
    end
  end
  if #terms == 0 then return nil end
  return table.concat(terms, ",")
end

-- Healthy when phase is Steady, else by the last Healthy condition.
local function stage_healthy(stage)
  local st = type(stage) == "table" and type(stage.status) == "table" and stage.status or {}
  if st.phase == "Steady" then return true end
  local conditions = st.conditions or {}
  for i = #conditions, 1, -1 do
    if conditions[i].type == "Healthy" then return conditions[i].status == "True" end
  end
  return false
end

local function current_freight(st)
  if type(st.currentFreight) == "table" then return st.currentFreight.name end
  return st.currentFreightId
end

function C:stages(namespace)
  return items(self, ns_path(namespace, "stages"))
end

function C:stage(namespace, name)
  return get(self, ns_path(namespace, "stages", name))
end

function C:stage_status(namespace, name)
  local stage = self:stage(namespace, name)
  local st = type(stage.status) == "table" and stage.status or {}
  return {
    phase = st.phase,
    current_freight_id = current_freight(st),
    health = st.health,
    conditions = st.conditions or {},
  }
end

function C:is_stage_healthy(namespace, name)
  return stage_healthy(self:stage(namespace, name))
end

function C:wait_stage_healthy(namespace, name, timeout_secs)
  timeout_secs = timeout_secs or 60
  -- an error while reading the stage counts as "not healthy yet"
  if H.poll(timeout_secs, 5, function() return self:is_stage_healthy(namespace, name) end) then return true end
  error("kargo: stage " .. namespace .. "/" .. name .. " not healthy after " .. timeout_secs .. "s")
end

function C:freight_list(namespace, opts)
  local query = H.query("labelSelector", selector(opts or {}, { "stage", "warehouse" }))
  return items(self, ns_path(namespace, "freight") .. query)
end

function C:freight(namespace, name)
  return get(self, ns_path(namespace, "freight", name))
end

function C:freight_status(namespace, name)
  local freight = self:freight(namespace, name)
  return type(freight.status) == "table" and freight.status or {}
end

function C:promotions(namespace, opts)
  local query = H.query("labelSelector", selector(opts or {}, { "stage" }))
  return items(self, ns_path(namespace, "promotions") .. query)
end

function C:promotion(namespace, name)
  return get(self, ns_path(namespace, "promotions", name))
end

function C:promotion_status(namespace, name)
  local promotion = self:promotion(namespace, name)
  local st = type(promotion.status) == "table" and promotion.status or {}
  return {
    phase = st.phase,
    message = st.message,
    freight_id = type(st.freight) == "table" and st.freight.name or st.freightId,
  }
end

function C:promote(namespace, stage, freight)
  return self.api:post(ns_path(namespace, "promotions"), {
    apiVersion = API_VERSION,
    kind = "Promotion",
    metadata = { namespace = namespace, generateName = stage .. "-" },
    spec = { stage = stage, freight = freight },
  })
end

function C:warehouses(namespace)
  return items(self, ns_path(namespace, "warehouses"))
end

function C:warehouse(namespace, name)
  return get(self, ns_path(namespace, "warehouses", name))
end

function C:projects()
  return items(self, B .. "/projects")
end

function C:project(name)
  return get(self, B .. "/projects/" .. name)
end

function C:pipeline_status(namespace)
  local out = {}
  for _, stage in ipairs(self:stages(namespace)) do
    local st = type(stage.status) == "table" and stage.status or {}
    out[#out + 1] = {
      name = (stage.metadata or {}).name,
      phase = st.phase,
      freight = current_freight(st),
      healthy = stage_healthy(stage),
    }
  end
  return out
end

H.api({
  module = "kargo",
  quickref = {
    "M.client(url, opts) -> client | Kargo client for the Kubernetes API; opts {token, ca_cert?} or the token string",
  },
  ops = {
    { "stages", "stages:list", "(namespace) -> [stage]", "List stages in namespace" },
    { "stage", "stages:get", "(namespace, name) -> stage", "Get stage by name" },
    { "stage_status", "stages:status", "(namespace, name) -> {phase, freight, health}", "Get stage status" },
    { "is_stage_healthy", "stages:is_healthy", "(namespace, name) -> bool", "Check if stage is healthy" },
    { "wait_stage_healthy", "stages:wait_healthy", "(namespace, name, timeout_secs?) -> true", "Wait for stage health" },
    { "freight_list", "freight:list", "(namespace, opts?) -> [freight]", "List freight in namespace" },
    { "freight", "freight:get", "(namespace, name) -> freight", "Get freight by name" },
    { "freight_status", "freight:status", "(namespace, name) -> status", "Get freight status" },
    { "promotions", "promotions:list", "(namespace, opts?) -> [promotion]", "List promotions" },
    { "promotion", "promotions:get", "(namespace, name) -> promotion", "Get promotion by name" },
    { "promotion_status", "promotions:status", "(namespace, name) -> {phase, message, freight_id}", "Get promotion status" },
    { "promote", "promotions:create", "(namespace, stage, freight) -> promotion", "Create a promotion" },
    { "warehouses", "warehouses:list", "(namespace) -> [warehouse]", "List warehouses" },
    { "warehouse", "warehouses:get", "(namespace, name) -> warehouse", "Get warehouse by name" },
    { "projects", "projects:list", "() -> [project]", "List Kargo projects" },
    { "project", "projects:get", "(name) -> project", "Get project by name" },
    { "pipeline_status", "stages:pipeline_status", "(namespace) -> [{name, phase, freight, healthy}]", "Get pipeline overview" },
  },
}):install(C)

return M
