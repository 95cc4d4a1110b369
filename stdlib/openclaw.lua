--- @module assay.openclaw
--- @description OpenClaw AI agent platform integration. Invoke tools, send messages, manage state, spawn sub-agents, approval gates, LLM tasks.
--- @category saas
--- @icon bot
--- @keywords openclaw, clawd, agent, ai, workflow, invoke, state, diff, approve, llm, cron, spawn, message, notify
--- @quickref M.client(url?, opts?) -> client | OpenClaw client; url defaults to $OPENCLAW_URL/$CLAWD_URL; opts {token?, state_dir?, timeout?}
--- @quickref c.tools:invoke(tool, action, args) -> result | Invoke an OpenClaw tool action; flat: c:invoke(tool, action, args)
--- @quickref c.messaging:send(channel, target, message) -> result | Send a message via channel; flat: c:send(channel, target, message)
--- @quickref c.messaging:notify(target, message) -> result | Send notification to target; flat: c:notify(target, message)
--- @quickref c.cron:add(job) -> result | Add a cron job; flat: c:cron_add(job)
--- @quickref c.cron:list() -> [job] | List cron jobs; flat: c:cron_list()
--- @quickref c.sessions:spawn(task, opts?) -> result | Spawn a sub-agent session; flat: c:spawn(task, opts?)
--- @quickref c.state:get(key) -> value|nil | Read state value by key; flat: c:state_get(key)
--- @quickref c.state:set(key, value) -> true | Write state value by key; flat: c:state_set(key, value)
--- @quickref c.state:diff(key, new_value) -> {changed, before, after} | Compare and store state; flat: c:diff(key, new_value)
--- @quickref c.gates:approve(prompt, context?) -> bool | Request approval gate; flat: c:approve(prompt, context?)
--- @quickref c.llm:task(prompt, opts?) -> result | Execute an LLM task; flat: c:llm_task(prompt, opts?)

local H = require("assay._http")

local M = {}

M.APPROVAL_MARKER = "__assay_approval_request__:"

local Client = {}
Client.__index = Client

-- An environment variable, nil when unset or empty.
local function getenv(name)
  local value = env.get(name)
  if value == "" then return nil end
  return value
end

--- M.client(url?, opts?) with opts {token?, state_dir?, timeout?}; also M.client(opts) with opts.url.
function M.client(url, opts)
  if type(url) == "table" and opts == nil then
    opts, url = url, url.url
  end
  opts = opts or {}
  url = url or getenv("OPENCLAW_URL") or getenv("CLAWD_URL")
  if url == nil then
    error("openclaw: url required (set $OPENCLAW_URL or $CLAWD_URL)")
  end
  local token = opts.token or getenv("OPENCLAW_TOKEN") or getenv("CLAWD_TOKEN")
  local state_dir = opts.state_dir or getenv("ASSAY_STATE_DIR") or getenv("OPENCLAW_STATE_DIR")
    or ((getenv("HOME") or "/tmp") .. "/.assay/state")
  local headers = { ["Content-Type"] = "application/json" }
  if token ~= nil then headers["Authorization"] = "Bearer " .. token end
  local transport
  if opts.timeout ~= nil then transport = http.client({ timeout = opts.timeout }) end
  local c = setmetatable({ url = H.strip(url), token = token, state_dir = state_dir }, Client)
  c._api = H.client(c.url, { headers = headers, transport = transport,
    error = "openclaw: {method} {path} HTTP {status}: {body}" })
  return c
end

-- ---- tool invocation ---------------------------------------------------------------------

function Client:invoke(tool, action, args)
  if args == nil then args = {} end
  local args_json
  if type(args) == "table" and next(args) == nil then
    args_json = "{}" -- an object, not the [] the json builtin writes for an empty table
  else
    args_json = json.encode(args)
  end
  local body = '{"tool":' .. json.encode(tool) .. ',"action":' .. json.encode(action)
    .. ',"args":' .. args_json .. "}"
  return self._api:post("/tools/invoke", body, { expect = { 200, 201 } })
end

function Client:send(channel, target, message)
  return self:invoke("message", "send", { channel = channel, target = target, message = message })
end

function Client:notify(target, message)
  return self:invoke("message", "send", { target = target, message = message })
end

function Client:cron_add(job)
  return self:invoke("cron", "add", { job = job })
end

function Client:cron_list()
  return self:invoke("cron", "list", {})
end

function Client:spawn(task, opts)
  opts = opts or {}
  return self:invoke("sessions_spawn", "invoke", { task = task, model = opts.model, timeout = opts.timeout })
end

function Client:llm_task(prompt, opts)
  opts = opts or {}
  local args = { prompt = prompt }
  for _, key in ipairs({ "model", "artifacts", "output_schema", "temperature", "max_output_tokens" }) do
    if opts[key] ~= nil then args[key] = opts[key] end
  end
  return self:invoke("llm-task", "invoke", args)
end

-- ---- local state ---------------------------------------------------------------------------

function Client:_state_path(key)
  return self.state_dir .. "/" .. tostring(key) .. ".json"
end

function Client:state_get(key)
  local path = self:_state_path(key)
  if not fs.exists(path) then return nil end
  local text = fs.read(path)
  if text == nil or text == "" then return nil end
  return json.parse(text)
end

function Client:state_set(key, value)
  fs.mkdir(self.state_dir)
  fs.write(self:_state_path(key), json.encode(value))
  return true
end

function Client:diff(key, new_value)
  local before = self:state_get(key)
  self:state_set(key, new_value)
  -- json.encode writes object keys sorted, so equal values encode equally
  return {
    changed = json.encode(before) ~= json.encode(new_value),
    before = before,
    after = new_value,
  }
end

-- ---- approval gate -------------------------------------------------------------

function Client:approve(prompt, context)
  local result = env.get("ASSAY_APPROVAL_RESULT")
  if result ~= nil then
    return result == "yes"
  end
  if env.get("ASSAY_MODE") == "tool" then
    error(M.APPROVAL_MARKER .. json.encode({ prompt = prompt, context = context }))
  end
  if env.get("OPENCLAW_INTERACTIVE") ~= nil or env.get("TTY") ~= nil then
    log.info("Approval required: " .. tostring(prompt))
    if context ~= nil then
      log.info("Context: " .. json.encode(context))
    end
    return false
  end
  error("openclaw: approval_required: "
    .. json.encode({ type = "approval_request", prompt = prompt, context = context }))
end

H.api({
  module = "openclaw",
  quickref = {
    "M.client(url?, opts?) -> client | OpenClaw client; url defaults to $OPENCLAW_URL/$CLAWD_URL; opts {token?, state_dir?, timeout?}",
  },
  ops = {
    { "invoke", "tools:invoke", "(tool, action, args) -> result", "Invoke an OpenClaw tool action" },
    { "send", "messaging:send", "(channel, target, message) -> result", "Send a message via channel" },
    { "notify", "messaging:notify", "(target, message) -> result", "Send notification to target" },
    { "cron_add", "cron:add", "(job) -> result", "Add a cron job" },
    { "cron_list", "cron:list", "() -> [job]", "List cron jobs" },
    { "spawn", "sessions:spawn", "(task, opts?) -> result", "Spawn a sub-agent session" },
    { "state_get", "state:get", "(key) -> value|nil", "Read state value by key" },
    { "state_set", "state:set", "(key, value) -> true", "Write state value by key" },
    { "diff", "state:diff", "(key, new_value) -> {changed, before, after}", "Compare and store state" },
    { "approve", "gates:approve", "(prompt, context?) -> bool", "Request approval gate" },
    { "llm_task", "llm:task", "(prompt, opts?) -> result", "Execute an LLM task" },
  },
}):install(Client)

return M
