--- @module assay.temporal
--- @description Temporal workflow orchestration. Workflows, task queues, schedules, signals.
--- @category devtools
--- @icon temporal
--- @keywords temporal, workflows, task-queues, schedules, orchestration, workflow, task-queue, schedule, signal, history, search, namespace, execution
--- @quickref M.client(url, opts?) -> client | Temporal HTTP client; opts {namespace?, api_key?}
--- @quickref c:health() -> bool | Check Temporal health
--- @quickref c:system_info() -> info | Get system information
--- @quickref c.namespaces:list() -> {namespaces} | List namespaces; flat: c:namespaces()
--- @quickref c.namespaces:get(name) -> namespace | Get namespace by name; flat: c:namespace(name)
--- @quickref c.workflows:list(opts?) -> {executions} | List workflow executions; flat: c:workflows(opts?)
--- @quickref c.workflows:get(workflow_id, run_id?, opts?) -> workflow | Get workflow execution; flat: c:workflow(workflow_id, run_id?, opts?)
--- @quickref c.workflows:history(workflow_id, run_id?, opts?) -> {events} | Get workflow history; flat: c:workflow_history(workflow_id, run_id?, opts?)
--- @quickref c.workflows:signal(workflow_id, signal_name, input?, opts?) -> result | Signal a workflow; flat: c:signal_workflow(workflow_id, signal_name, input?, opts?)
--- @quickref c.workflows:terminate(workflow_id, reason?, opts?) -> result | Terminate a workflow; flat: c:terminate_workflow(workflow_id, reason?, opts?)
--- @quickref c.workflows:cancel(workflow_id, opts?) -> result | Cancel a workflow; flat: c:cancel_workflow(workflow_id, opts?)
--- @quickref c.task_queues:get(name, opts?) -> queue | Get task queue info; flat: c:task_queue(name, opts?)
--- @quickref c.schedules:list(opts?) -> {schedules} | List schedules; flat: c:schedules(opts?)
--- @quickref c.schedules:get(schedule_id, opts?) -> schedule | Get schedule by ID; flat: c:schedule(schedule_id, opts?)
--- @quickref c.workflows:search(query, opts?) -> {executions} | Search workflows by query; flat: c:search(query, opts?)
--- @quickref c.workflows:is_running(workflow_id, opts?) -> bool | Check if workflow is running; flat: c:is_workflow_running(workflow_id, opts?)
--- @quickref c.workflows:wait_complete(workflow_id, timeout_secs, opts?) -> workflow | Wait for completion; flat: c:wait_workflow_complete(workflow_id, timeout_secs, opts?)
--- @note The `temporal` global (native gRPC, requires --features temporal) provides start_workflow,
--- @note signal_workflow, query_workflow, describe_workflow, get_result, cancel_workflow, terminate_workflow.
--- @note Use `temporal.connect({url, namespace})` for the gRPC client. This stdlib module uses HTTP REST.

local H = require("assay._http")

local M = {}

M.RUNNING = "WORKFLOW_EXECUTION_STATUS_RUNNING"
M.POLL_INTERVAL = 5

local Client = {}
Client.__index = Client

--- M.client(url, opts?) with opts {namespace? = "default", api_key?}; also M.client({url, ...}).
function M.client(url, opts)
  if type(url) == "table" and opts == nil then
    opts, url = url, url.url
  end
  opts = opts or {}
  local headers = { ["Content-Type"] = "application/json" }
  if opts.api_key ~= nil then headers["Authorization"] = "Bearer " .. opts.api_key end
  local c = setmetatable({
    url = H.strip(url),
    default_namespace = opts.namespace or "default", -- not `namespace`: that is a method
    api_key = opts.api_key,
  }, Client)
  c._api = H.client(c.url, { headers = headers,
    error = "temporal: {method} {path_query} HTTP {status}: {body}" })
  return c
end

function Client:_ns(opts)
  return (opts and opts.namespace) or self.default_namespace
end

function Client:_workflow_path(id, opts)
  return "/api/v1/namespaces/" .. self:_ns(opts) .. "/workflows/" .. id
end

function Client:_get(path)
  return self._api:get(path)
end

-- POST with a JSON object body ({} when empty; the json builtin would write []).
function Client:_post(path, body)
  return self._api:post(path, body or {})
end

-- Temporal's own HTTP port has no /health (only a proxy in front of it may): when /health is
-- absent (404), a server that answers system-info is healthy.
function Client:health()
  local status = self._api:response("GET", "/health", { bare = true }).status
  if status == 404 then
    status = self._api:response("GET", "/api/v1/system-info").status
  end
  return status == 200
end

function Client:system_info()
  return self:_get("/api/v1/system-info")
end

function Client:namespaces()
  return self:_get("/api/v1/namespaces")
end

function Client:namespace(name)
  return self:_get("/api/v1/namespaces/" .. name)
end

function Client:workflows(opts)
  opts = opts or {}
  return self:_get("/api/v1/namespaces/" .. self:_ns(opts) .. "/workflows"
    .. H.query("query", opts.query, "pageSize", opts.page_size))
end

function Client:workflow(workflow_id, run_id, opts)
  return self:_get(self:_workflow_path(workflow_id, opts) .. H.query("runId", run_id))
end

function Client:workflow_history(workflow_id, run_id, opts)
  opts = opts or {}
  return self:_get(self:_workflow_path(workflow_id, opts) .. "/history"
    .. H.query("runId", run_id, "maximumPageSize", opts.maximum_page_size))
end

function Client:signal_workflow(workflow_id, signal_name, input, opts)
  opts = opts or {}
  local body = { signalName = signal_name }
  if input ~= nil then body.input = input end
  local path = self:_workflow_path(workflow_id, opts) .. "/signal"
  local path_query = path .. H.query("runId", opts.run_id)
  local resp = self._api:response("POST", path_query, { body = body })
  if resp.status == 404 then
    -- Temporal's HTTP API (1.22+) names the signal in the path; the older gateway path is
    -- tried first because proxies written for it answer there.
    return self._api:post(path .. "/" .. H.encode(signal_name)
      .. H.query("execution.runId", opts.run_id), { input = input })
  end
  if resp.status ~= 200 then
    error(self._api:message({ method = "POST", path = path, path_query = path_query,
      status = resp.status, body = resp.body }))
  end
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

function Client:terminate_workflow(workflow_id, reason, opts)
  opts = opts or {}
  local body = {}
  if reason ~= nil then body.reason = reason end
  return self:_post(self:_workflow_path(workflow_id, opts) .. "/terminate" .. H.query("runId", opts.run_id), body)
end

function Client:cancel_workflow(workflow_id, opts)
  opts = opts or {}
  return self:_post(self:_workflow_path(workflow_id, opts) .. "/cancel" .. H.query("runId", opts.run_id), {})
end

function Client:task_queue(name, opts)
  opts = opts or {}
  return self:_get("/api/v1/namespaces/" .. self:_ns(opts) .. "/task-queues/" .. name
    .. H.query("taskQueueType", opts.task_queue_type))
end

function Client:schedules(opts)
  opts = opts or {}
  return self:_get("/api/v1/namespaces/" .. self:_ns(opts) .. "/schedules"
    .. H.query("maximumPageSize", opts.maximum_page_size))
end

function Client:schedule(schedule_id, opts)
  return self:_get("/api/v1/namespaces/" .. self:_ns(opts) .. "/schedules/" .. schedule_id)
end

function Client:search(query, opts)
  opts = opts or {}
  return self:_get("/api/v1/namespaces/" .. self:_ns(opts) .. "/workflows"
    .. H.query("query", query, "pageSize", opts.page_size))
end

local function status_of(wf)
  if type(wf) ~= "table" or type(wf.workflowExecutionInfo) ~= "table" then return nil end
  return wf.workflowExecutionInfo.status
end

function Client:is_workflow_running(workflow_id, opts)
  return status_of(self:workflow(workflow_id, nil, opts)) == M.RUNNING
end

function Client:wait_workflow_complete(workflow_id, timeout_secs, opts)
  local deadline = time() + timeout_secs
  while true do
    local wf = self:workflow(workflow_id, nil, opts)
    local status = status_of(wf)
    if status ~= nil and status ~= M.RUNNING then return wf end
    if time() >= deadline then
      error("temporal: timeout waiting for workflow " .. tostring(workflow_id) .. " to complete")
    end
    sleep(M.POLL_INTERVAL)
  end
end

H.api({
  module = "temporal",
  quickref = {
    "M.client(url, opts?) -> client | Temporal HTTP client; opts {namespace?, api_key?}",
  },
  ops = {
    { "health", false, "() -> bool", "Check Temporal health" },
    { "system_info", false, "() -> info", "Get system information" },
    { "namespaces", "namespaces:list", "() -> {namespaces}", "List namespaces" },
    { "namespace", "namespaces:get", "(name) -> namespace", "Get namespace by name" },
    { "workflows", "workflows:list", "(opts?) -> {executions}", "List workflow executions" },
    { "workflow", "workflows:get", "(workflow_id, run_id?, opts?) -> workflow", "Get workflow execution" },
    { "workflow_history", "workflows:history", "(workflow_id, run_id?, opts?) -> {events}", "Get workflow history" },
    { "signal_workflow", "workflows:signal", "(workflow_id, signal_name, input?, opts?) -> result", "Signal a workflow" },
    { "terminate_workflow", "workflows:terminate", "(workflow_id, reason?, opts?) -> result", "Terminate a workflow" },
    { "cancel_workflow", "workflows:cancel", "(workflow_id, opts?) -> result", "Cancel a workflow" },
    { "task_queue", "task_queues:get", "(name, opts?) -> queue", "Get task queue info" },
    { "schedules", "schedules:list", "(opts?) -> {schedules}", "List schedules" },
    { "schedule", "schedules:get", "(schedule_id, opts?) -> schedule", "Get schedule by ID" },
    { "search", "workflows:search", "(query, opts?) -> {executions}", "Search workflows by query" },
    { "is_workflow_running", "workflows:is_running", "(workflow_id, opts?) -> bool", "Check if workflow is running" },
    { "wait_workflow_complete", "workflows:wait_complete", "(workflow_id, timeout_secs, opts?) -> workflow", "Wait for completion" },
  },
}):install(Client)

return M
