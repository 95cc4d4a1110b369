--- @module assay.velero
--- @description Velero backup and restore. Backups, restores, schedules, storage locations.
--- @category kubernetes
--- @icon archive
--- @keywords velero, backups, restores, schedules, disaster-recovery, kubernetes, backup, restore, schedule, storage-location, snapshot, repository, completion, status, failover
--- @quickref M.client(url, opts) -> client | Velero client for the Kubernetes API; opts {token, namespace?, ca_cert?} or (url, token, namespace?)
--- @quickref c.backups:list() -> [backup] | List backups; flat: c:backups()
--- @quickref c.backups:get(name) -> backup|nil | Get backup by name; flat: c:backup(name)
--- @quickref c.backups:status(name) -> {phase, errors, items_backed_up} | Get backup status; flat: c:backup_status(name)
--- @quickref c.backups:is_completed(name) -> bool | Check if backup completed; flat: c:is_backup_completed(name)
--- @quickref c.backups:is_failed(name) -> bool | Check if backup failed; flat: c:is_backup_failed(name)
--- @quickref c.backups:latest(schedule_name) -> backup|nil | Get latest backup for schedule; flat: c:latest_backup(schedule_name)
--- @quickref c.restores:list() -> [restore] | List restores; flat: c:restores()
--- @quickref c.restores:get(name) -> restore|nil | Get restore by name; flat: c:restore(name)
--- @quickref c.restores:status(name) -> {phase, errors, warnings} | Get restore status; flat: c:restore_status(name)
--- @quickref c.restores:is_completed(name) -> bool | Check if restore completed; flat: c:is_restore_completed(name)
--- @quickref c.schedules:list() -> [schedule] | List schedules; flat: c:schedules()
--- @quickref c.schedules:get(name) -> schedule|nil | Get schedule by name; flat: c:schedule(name)
--- @quickref c.schedules:status(name) -> {phase, last_backup} | Get schedule status; flat: c:schedule_status(name)
--- @quickref c.schedules:is_enabled(name) -> bool | Check if schedule is enabled; flat: c:is_schedule_enabled(name)
--- @quickref c.storage_locations:list() -> [bsl] | List backup storage locations; flat: c:backup_storage_locations()
--- @quickref c.storage_locations:get(name) -> bsl|nil | Get backup storage location; flat: c:backup_storage_location(name)
--- @quickref c.storage_locations:is_available(name) -> bool | Check if storage location is available; flat: c:is_bsl_available(name)
--- @quickref c.volume_snapshots:list() -> [vsl] | List volume snapshot locations; flat: c:volume_snapshot_locations()
--- @quickref c.volume_snapshots:get(name) -> vsl|nil | Get volume snapshot location; flat: c:volume_snapshot_location(name)
--- @quickref c.repositories:list() -> [repo] | List backup repositories; flat: c:backup_repositories()
--- @quickref c.repositories:get(name) -> repo|nil | Get backup repository; flat: c:backup_repository(name)
--- @quickref c.schedules:all_enabled() -> {enabled, disabled, total} | Check all schedules status; flat: c:all_schedules_enabled()
--- @quickref c.storage_locations:all_available() -> {available, unavailable, total} | Check all storage locations; flat: c:all_bsl_available()

local k8s = require("assay.k8s")

local H = require("assay._http")
local M = {}

local C = {}
C.__index = C

--- velero.client(url, token, namespace?) or velero.client(url, { token = ..., namespace = ..., ca_cert = ... })
function M.client(url, token, namespace)
  local api = k8s._api("velero", url, token)
  if type(token) == "table" then namespace = namespace or token.namespace end
  return setmetatable({
    url = api.url, token = api.conn.token, namespace = namespace or "velero", api = api,
  }, C)
end

local function path(c, resource, name)
  local p = "/apis/velero.io/v1/namespaces/" .. c.namespace .. "/" .. resource
  if name ~= nil then p = p .. "/" .. name end
  return p
end

-- items of a list; {} on 404
local function list(c, resource)
  local l = c.api:list(path(c, resource), { verb = "GET", empty_on_404 = true })
  return type(l) == "table" and l.items or {}
end

local function get(c, resource, name)
  return c.api:get(path(c, resource, name))
end

local function status(obj)
  return type(obj) == "table" and type(obj.status) == "table" and obj.status or {}
end

local function phase_is(obj, ...)
  local phase = status(obj).phase
  for _, wanted in ipairs({ ... }) do
    if phase == wanted then return true end
  end
  return false
end

local function must(c, kind, name, obj)
  if obj == nil then error("velero: " .. kind .. " " .. name .. " not found") end
  return status(obj)
end

function C:backups() return list(self, "backups") end
function C:backup(name) return get(self, "backups", name) end

function C:backup_status(name)
  local st = must(self, "backup", name, self:backup(name))
  local progress = type(st.progress) == "table" and st.progress or {}
  return {
    phase = st.phase,
    started = st.startTimestamp,
    completed = st.completionTimestamp,
    expiration = st.expiration,
    errors = st.errors or 0,
    warnings = st.warnings or 0,
    items_backed_up = st.itemsBackedUp or progress.itemsBackedUp or 0,
    items_total = st.totalItems or progress.totalItems or 0,
  }
end

function C:is_backup_completed(name) return phase_is(self:backup(name), "Completed") end
function C:is_backup_failed(name) return phase_is(self:backup(name), "Failed", "PartiallyFailed") end

function C:latest_backup(schedule_name)
  local latest, latest_time
  for _, backup in ipairs(self:backups()) do
    local meta = type(backup.metadata) == "table" and backup.metadata or {}
    local labels = type(meta.labels) == "table" and meta.labels or {}
    if labels["velero.io/schedule-name"] == schedule_name then
      local created = meta.creationTimestamp or ""
      if latest == nil or created > latest_time then
        latest, latest_time = backup, created
      end
    end
  end
  return latest
end

function C:restores() return list(self, "restores") end
function C:restore(name) return get(self, "restores", name) end

function C:restore_status(name)
  local st = must(self, "restore", name, self:restore(name))
  return {
    phase = st.phase,
    started = st.startTimestamp,
    completed = st.completionTimestamp,
    errors = st.errors or 0,
    warnings = st.warnings or 0,
  }
end

function C:is_restore_completed(name) return phase_is(self:restore(name), "Completed") end

function C:schedules() return list(self, "schedules") end
function C:schedule(name) return get(self, "schedules", name) end

function C:schedule_status(name)
  local st = must(self, "schedule", name, self:schedule(name))
  return { phase = st.phase, last_backup = st.lastBackup, validation_errors = st.validationErrors or {} }
end

function C:is_schedule_enabled(name) return phase_is(self:schedule(name), "Enabled") end

function C:backup_storage_locations() return list(self, "backupstoragelocations") end
function C:backup_storage_location(name) return get(self, "backupstoragelocations", name) end
function C:is_bsl_available(name) return phase_is(self:backup_storage_location(name), "Available") end

function C:volume_snapshot_locations() return list(self, "volumesnapshotlocations") end
function C:volume_snapshot_location(name) return get(self, "volumesnapshotlocations", name) end

function C:backup_repositories() return list(self, "backuprepositories") end
function C:backup_repository(name) return get(self, "backuprepositories", name) end

function C:all_schedules_enabled()
  return k8s._tally(self:schedules(), function(s) return phase_is(s, "Enabled") end, "enabled", "disabled")
end

function C:all_bsl_available()
  return k8s._tally(self:backup_storage_locations(), function(b) return phase_is(b, "Available") end,
    "available", "unavailable")
end

H.api({
  module = "velero",
  quickref = {
    "M.client(url, opts) -> client | Velero client for the Kubernetes API; opts {token, namespace?, ca_cert?} or (url, token, namespace?)",
  },
  ops = {
    { "backups", "backups:list", "() -> [backup]", "List backups" },
    { "backup", "backups:get", "(name) -> backup|nil", "Get backup by name" },
    { "backup_status", "backups:status", "(name) -> {phase, errors, items_backed_up}", "Get backup status" },
    { "is_backup_completed", "backups:is_completed", "(name) -> bool", "Check if backup completed" },
    { "is_backup_failed", "backups:is_failed", "(name) -> bool", "Check if backup failed" },
    { "latest_backup", "backups:latest", "(schedule_name) -> backup|nil", "Get latest backup for schedule" },
    { "restores", "restores:list", "() -> [restore]", "List restores" },
    { "restore", "restores:get", "(name) -> restore|nil", "Get restore by name" },
    { "restore_status", "restores:status", "(name) -> {phase, errors, warnings}", "Get restore status" },
    { "is_restore_completed", "restores:is_completed", "(name) -> bool", "Check if restore completed" },
    { "schedules", "schedules:list", "() -> [schedule]", "List schedules" },
    { "schedule", "schedules:get", "(name) -> schedule|nil", "Get schedule by name" },
    { "schedule_status", "schedules:status", "(name) -> {phase, last_backup}", "Get schedule status" },
    { "is_schedule_enabled", "schedules:is_enabled", "(name) -> bool", "Check if schedule is enabled" },
    { "backup_storage_locations", "storage_locations:list", "() -> [bsl]", "List backup storage locations" },
    { "backup_storage_location", "storage_locations:get", "(name) -> bsl|nil", "Get backup storage location" },
    { "is_bsl_available", "storage_locations:is_available", "(name) -> bool", "Check if storage location is available" },
    { "volume_snapshot_locations", "volume_snapshots:list", "() -> [vsl]", "List volume snapshot locations" },
    { "volume_snapshot_location", "volume_snapshots:get", "(name) -> vsl|nil", "Get volume snapshot location" },
    { "backup_repositories", "repositories:list", "() -> [repo]", "List backup repositories" },
    { "backup_repository", "repositories:get", "(name) -> repo|nil", "Get backup repository" },
    { "all_schedules_enabled", "schedules:all_enabled", "() -> {enabled, disabled, total}", "Check all schedules status" },
    { "all_bsl_available", "storage_locations:all_available", "() -> {available, unavailable, total}", "Check all storage locations" },
  },
}):install(C)

return M
