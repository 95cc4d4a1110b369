--- @module assay.gmail
--- @description Gmail REST API client with OAuth2 token refresh. Search, read, reply, send emails, manage labels.
--- @category comms
--- @icon gmail
--- @keywords gmail, email, oauth2, google, search, send, reply, labels, message, thread
--- @quickref M.client(api_base, opts) -> client | Gmail client for api_base (https://gmail.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works
--- @quickref c.messages:search(query, opts?) -> [message] | Search emails by query; flat: c:search(query, opts?)
--- @quickref c.messages:get(message_id, opts?) -> message | Get email message by ID; flat: c:get(message_id, opts?)
--- @quickref c.messages:reply(message_id, opts) -> message | Reply to an email; flat: c:reply(message_id, opts)
--- @quickref c.messages:send(to, subject, body) -> message | Send a new email; flat: c:send(to, subject, body)
--- @quickref c.labels:list() -> [label] | List all labels; flat: c:labels()

local H = require("assay._http")
local oauth2 = require("assay.oauth2")

local M = {}

M.DEFAULT_API_BASE = "https://gmail.googleapis.com"
M.DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"

local Client = {}
Client.__index = Client

--- M.client(opts) with opts {credentials_file, token_file, token_url?, api_base?, auth?};
--- also M.client(api_base, opts). `auth` is an existing assay.oauth2 client (then the files
--- are not needed).
function M.client(opts, more)
  local fields = oauth2._api_client("gmail", opts, more,
    { api_base = M.DEFAULT_API_BASE, token_url = M.DEFAULT_TOKEN_URL })
  return setmetatable(fields, Client)
end

function Client:_request(method, path, body)
  return oauth2._request(self, method, path, body)
end

local function fail(method, path, resp)
  error("gmail: " .. method .. " " .. path .. " HTTP " .. tostring(resp.status) .. ": " .. tostring(resp.body))
end

local function parsed(resp)
  if resp.body == nil or resp.body == "" then return nil end
  return json.parse(resp.body)
end

function Client:_get(path)
  local resp = self:_request("GET", path)
  if resp.status == 404 then return nil end
  if resp.status ~= 200 then fail("GET", path, resp) end
  return parsed(resp)
end

function Client:_post(path, body)
  local resp = self:_request("POST", path, body)
  if resp.status ~= 200 and resp.status ~= 201 then fail("POST", path, resp) end
  return parsed(resp)
end

local MESSAGES = "/gmail/v1/users/me/messages"

function Client:search(query, opts)
  opts = opts or {}
  local max = opts.max or 10
  local list = self:_get(MESSAGES .. "?q=" .. H.encode(query or "") .. "&maxResults=" .. H.text(max))
  if list == nil or list.messages == nil then return {} end
  local out = {}
  for _, ref in ipairs(list.messages) do
    local msg = self:_get(MESSAGES .. "/" .. ref.id .. "?format=full")
    if msg ~= nil then out[#out + 1] = msg end
  end
  return out
end

function Client:get(message_id, opts)
  opts = opts or {}
  return self:_get(MESSAGES .. "/" .. message_id .. "?format=" .. H.encode(opts.format or "full"))
end

-- ---- MIME message building ------------------------------------------------------------

local function ascii(s)
  return not s:find("[\128-\255]")
end

-- A header value on one line: CR/LF (header injection, folding) become spaces.
local function one_line(value)
  return (tostring(value or ""):gsub("\r\n", " "):gsub("[\r\n]", " "))
end

-- RFC 2047 encoded words (UTF-8, base64), each at most 75 characters, folded onto
-- continuation lines; UTF-8 sequences are never split between words.
local function encoded_words(s)
  local words, i, n = {}, 1, #s
  while i <= n do
    local j = math.min(i + 44, n)
    while j < n and j > i do
      local b = s:byte(j + 1)
      if b < 0x80 or b >= 0xC0 then break end
      j = j - 1
    end
    words[#words + 1] = "=?UTF-8?B?" .. base64.encode(s:sub(i, j)) .. "?="
    i = j + 1
  end
  return table.concat(words, "\r\n ")
end

-- Unstructured header (Subject): raw when ASCII, encoded words otherwise.
local function text_header(value)
  value = one_line(value)
  if ascii(value) then return value end
  return encoded_words(value)
end

-- Split an address list at commas outside quotes and angle brackets.
local function split_addresses(value)
  local parts, buf, quoted, angle = {}, {}, false, false
  local i = 1
  while i <= #value do
    local ch = value:sub(i, i)
    if ch == "\\" and quoted then
      buf[#buf + 1] = value:sub(i, i + 1)
      i = i + 1
    else
      if ch == '"' then quoted = not quoted
      elseif ch == "<" and not quoted then angle = true
      elseif ch == ">" and not quoted then angle = false
      end
      if ch == "," and not quoted and not angle then
        parts[#parts + 1] = table.concat(buf)
        buf = {}
      else
        buf[#buf + 1] = ch
      end
    end
    i = i + 1
  end
  parts[#parts + 1] = table.concat(buf)
  return parts
end

-- Address header (To): raw when ASCII; otherwise non-ASCII display names become encoded
-- words and the <address> parts stay as they are.
local function address_header(value)
  value = one_line(value)
  if ascii(value) then return value end
  local out = {}
  for _, part in ipairs(split_addresses(value)) do
    local item = part:match("^%s*(.-)%s*$")
    local name, addr = item:match("^(.-)%s*(<[^<>]*>)$")
    if name and name ~= "" and not ascii(name) then
      local unquoted = name:match('^"(.*)"$')
      if unquoted then name = unquoted:gsub('\\(.)', "%1") end
      item = encoded_words(name) .. " " .. addr
    end
    out[#out + 1] = item
  end
  return table.concat(out, ", ")
end

-- Base64 in lines of 76 characters (Content-Transfer-Encoding: base64).
local function base64_lines(s)
  local encoded, lines = base64.encode(s), {}
  for i = 1, #encoded, 76 do lines[#lines + 1] = encoded:sub(i, i + 75) end
  return table.concat(lines, "\r\n")
end

-- The RFC 5322 message: the given header lines, Content-Type, a blank line and the body
-- with CRLF line breaks. A body that is not plain 7-bit text with short lines is sent as
-- base64 (with MIME-Version and Content-Transfer-Encoding headers).
local function build_message(headers, body)
  body = tostring(body or ""):gsub("\r\n", "\n"):gsub("\r", "\n"):gsub("\n", "\r\n")
  local seven_bit = ascii(body)
  if seven_bit then
    for line in (body .. "\r\n"):gmatch("(.-)\r\n") do
      if #line > 998 then seven_bit = false break end
    end
  end
  local lines = {}
  for _, h in ipairs(headers) do lines[#lines + 1] = h end
  if seven_bit then
    lines[#lines + 1] = "Content-Type: text/plain; charset=utf-8"
  else
    lines[#lines + 1] = "MIME-Version: 1.0"
    lines[#lines + 1] = "Content-Type: text/plain; charset=utf-8"
    lines[#lines + 1] = "Content-Transfer-Encoding: base64"
    body = base64_lines(body)
  end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- base64url without padding (the Gmail API `raw` field).
local function base64url(s)
  return (base64.encode(s):gsub("%+", "-"):gsub("/", "_"):gsub("=+$", ""))
end

M._build_message = build_message
M._base64url = base64url

function Client:reply(message_id, opts)
  opts = opts or {}
  local original = self:_get(MESSAGES .. "/" .. message_id .. "?format=full")
  if original == nil then error("gmail: message not found: " .. tostring(message_id)) end
  local from, subject, msg_id, references = "", "", "", ""
  local payload = original.payload or {}
  for _, h in ipairs(payload.headers or {}) do
    local name = type(h.name) == "string" and h.name:lower() or ""
    if name == "from" then from = h.value or ""
    elseif name == "subject" then subject = h.value or ""
    elseif name == "message-id" then msg_id = h.value or ""
    elseif name == "references" then references = h.value or ""
    end
  end
  if subject:sub(1, 3) ~= "Re:" then subject = "Re: " .. subject end
  if references ~= "" then
    references = references .. " " .. msg_id
  else
    references = msg_id
  end
  local headers = { "To: " .. address_header(from), "Subject: " .. text_header(subject) }
  if msg_id ~= "" then
    headers[#headers + 1] = "In-Reply-To: " .. one_line(msg_id)
    headers[#headers + 1] = "References: " .. one_line(references)
  end
  local raw = base64url(build_message(headers, opts.body or ""))
  return self:_post(MESSAGES .. "/send", { raw = raw, threadId = original.threadId })
end

function Client:send(to, subject, body)
  local headers = { "To: " .. address_header(to), "Subject: " .. text_header(subject) }
  return self:_post(MESSAGES .. "/send", { raw = base64url(build_message(headers, body)) })
end

function Client:labels()
  local data = self:_get("/gmail/v1/users/me/labels")
  if data == nil or data.labels == nil then return {} end
  return data.labels
end

H.api({
  module = "gmail",
  quickref = {
    "M.client(api_base, opts) -> client | Gmail client for api_base (https://gmail.googleapis.com); opts {credentials_file, token_file, token_url?} or {auth = oauth2 client}; M.client(opts) with opts.api_base also works",
  },
  ops = {
    { "search", "messages:search", "(query, opts?) -> [message]", "Search emails by query" },
    { "get", "messages:get", "(message_id, opts?) -> message", "Get email message by ID" },
    { "reply", "messages:reply", "(message_id, opts) -> message", "Reply to an email" },
    { "send", "messages:send", "(to, subject, body) -> message", "Send a new email" },
    { "labels", "labels:list", "() -> [label]", "List all labels" },
  },
}):install(Client)

return M
