--- @module assay.email_triage
--- @description Email triage helpers for deterministic categorization or OpenClaw-assisted classification into action, reply, and FYI buckets.
--- @category comms
--- @icon mail
--- @keywords email, triage, gmail, inbox, classify, categorize, openclaw, llm, workflow
--- @quickref email_triage.client(url?, opts?) -> triage | Bind an OpenClaw client (url/opts as assay.openclaw.client, or an existing client); t:categorize(emails, opts?), t:categorize_llm(emails, opts?)
--- @quickref email_triage.categorize(emails, opts?) -> buckets | Deterministically bucket emails by subject and sender
--- @quickref email_triage.categorize_llm(emails, openclaw_client, opts?) -> buckets | Use OpenClaw LLM task for smarter bucketing

local M = {}

local BUCKETS = { "needs_reply", "needs_action", "fyi" }
local ACTION_SUBJECT = { "action required", "urgent", "deadline" }
local AUTOMATED_FROM = { "noreply", "no-reply", "newsletter" }
local AUTOMATED_SUBJECT = { "newsletter", "automated" }

M.DEFAULT_PROMPT = table.concat({
  "Classify the supplied email artifacts into exactly three buckets:",
  "needs_reply (mail from a person that likely needs a response),",
  "needs_action (mail demanding urgent or explicit action, such as deadlines or required actions),",
  "and fyi (newsletters, no-reply or automated mail, informational updates).",
  "Put every email into exactly one bucket, keep the email objects unchanged,",
  "and return only the bucketed emails as JSON with the keys needs_reply, needs_action and fyi.",
}, " ")

M.DEFAULT_SCHEMA = {
  type = "object",
  properties = {
    needs_reply = { type = "array" },
    needs_action = { type = "array" },
    fyi = { type = "array" },
  },
  required = { "needs_reply", "needs_action", "fyi" },
}

local function text(value)
  if value == nil then return "" end
  return tostring(value):lower()
end

local function contains_any(haystack, needles)
  for _, needle in ipairs(needles) do
    if haystack:find(needle, 1, true) then return true end
  end
  return false
end

local function empty_buckets()
  return { needs_reply = {}, needs_action = {}, fyi = {} }
end

--- Deterministic rules: action words in the subject → needs_action; else mail from a person
--- → needs_reply; automated mail → fyi.
function M.categorize(emails, opts)
  local buckets = empty_buckets()
  for _, mail in ipairs(emails or {}) do
    local from, subject = text(mail.from), text(mail.subject)
    local bucket
    if contains_any(subject, ACTION_SUBJECT) then
      bucket = "needs_action"
    elseif mail.automated == true or contains_any(from, AUTOMATED_FROM)
        or contains_any(subject, AUTOMATED_SUBJECT) then
      bucket = "fyi"
    else
      bucket = "needs_reply"
    end
    local list = buckets[bucket]
    list[#list + 1] = mail
  end
  return buckets
end

local function invalid()
  error("email_triage: invalid LLM response")
end

-- The buckets inside an llm_task result: `categories`, else `result` (once more looking
-- for `categories` inside it), else the value itself; a JSON text is decoded.
local function unwrap(result)
  local value = result
  if type(value) == "table" then
    if value.categories ~= nil then
      value = value.categories
    elseif value.result ~= nil then
      value = value.result
      if type(value) == "table" and value.categories ~= nil then value = value.categories end
    end
  end
  if type(value) == "string" then
    local ok, decoded = pcall(json.parse, value)
    if ok then value = decoded end
  end
  if type(value) ~= "table" then invalid() end
  return value
end

--- Ask the OpenClaw `llm-task` tool to bucket the emails.
function M.categorize_llm(emails, openclaw_client, opts)
  opts = opts or {}
  local has_task = false
  if type(openclaw_client) == "table" or type(openclaw_client) == "userdata" then
    local ok, fn = pcall(function() return openclaw_client.llm_task end)
    has_task = ok and fn ~= nil
  end
  if not has_task then
    error("email_triage: openclaw_client with llm_task is required")
  end
  local result = openclaw_client:llm_task(opts.prompt or M.DEFAULT_PROMPT, {
    artifacts = emails or {},
    output_schema = opts.output_schema or M.DEFAULT_SCHEMA,
  })
  local buckets = unwrap(result)
  for _, name in ipairs(BUCKETS) do
    if buckets[name] == nil then
      buckets[name] = {}
    elseif type(buckets[name]) ~= "table" then
      invalid()
    end
  end
  return buckets
end

-- A triage object bound to one OpenClaw client.
local Triage = {}
Triage.__index = Triage

--- M.client(url?, opts?): url and opts as for assay.openclaw.client (url defaults to
--- $OPENCLAW_URL / $CLAWD_URL); an existing OpenClaw client may be passed instead of the url.
function M.client(url, opts)
  local client
  if type(url) == "table" and url.llm_task ~= nil then
    client = url
  else
    client = require("assay.openclaw").client(url, opts)
  end
  return setmetatable({ openclaw = client }, Triage)
end

function Triage:categorize(emails, opts)
  return M.categorize(emails, opts)
end

function Triage:categorize_llm(emails, opts)
  return M.categorize_llm(emails, self.openclaw, opts)
end

return M
