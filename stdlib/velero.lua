--- @module assay.velero
--- @description Velero backup and restore. Backups, restores, schedules, storage locations.
--- @keywords velero, backups, restores, schedules, disaster-recovery, kubernetes, backup, restore, schedule, storage-location, snapshot, repository, completion, status, failover
--- @quickref M.client(url, opts) -> client | Velero client for the Kubernetes API; opts {token, namespace?, ca_cert?} or (url, token, namespace?)
--- @quickref c:backups() -> [backup] | List backups
--- @quickref c:backup(name) -> backup|nil | Get backup by name
--- @quickref c:backup_status(name) -> {phase, errors, items_backed_up} | Get backup status
--- @quickref c:is_backup_completed(name) -> bool | Check if backup completed
--- @quickref c:is_backup_failed(name) -> bool | Check if backup failed
--- @quickref c:latest_backup(schedule_name) -> backup|nil | Get latest backup for schedule
--- @quickref c:restores() -> [restore] | List restores
--- @quickref c:restore(name) -> restore|nil | Get restore by name
--- @quickref c:restore_status(name) -> {phase, errors, warnings} | Get restore status
--- @quickref c:is_restore_completed(name) -> bool | Check if restore completed
--- @quickref c:schedules() -> [schedule] | List schedules
--- @quickref c:schedule(name) -> schedule|nil | Get schedule by name
--- @quickref c:schedule_status(name) -> {phase, last_backup} | Get schedule status
--- @quickref c:is_schedule_enabled(name) -> bool | Check if schedule is enabled
--- @quickref c:backup_storage_locations() -> [bsl] | List backup storage locations
--- @quickref c:backup_storage_location(name) -> bsl|nil | Get backup storage location
--- @quickref c:is_bsl_available(name) -> bool | Check if storage location is available
--- @quickref c:volume_snapshot_locations() -> [vsl] | List volume snapshot locations
--- @quickref c:volume_snapshot_location(name) -> vsl|nil | Get volume snapshot location
--- @quickref c:backup_repositories() -> [repo] | List backup repositories
--- @quickref c:backup_repository(name) -> repo|nil | Get backup repository
--- @quickref c:all_schedules_enabled() -> {enabled, disabled, total} | Check all schedules status
--- @quickref c:all_bsl_available() -> {available, unavailable, total} | Check all storage locations

local k8s = require("assay.k8s")

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

return M
