--- @module assay.healthcheck
--- @description HTTP health checking utilities. Status codes, JSON path, body matching, latency, multi-check.
--- @category observability
--- @icon activity
--- @keywords healthcheck, http, health, status, latency, monitoring, json-path, body-match, multi-check, wait, endpoint, probe
--- @quickref M.client(url, opts?) -> client | Probes bound to one full URL; opts {token} or {username, password}, headers
--- @quickref c:http(opts?) -> {ok, status, latency_ms} | HTTP health check with status assertion
--- @quickref c:json_path(path_expr, expected, opts?) -> {ok, actual, expected} | Check JSON path value
--- @quickref c:status_code(expected, opts?) -> {ok, status} | Check HTTP status code
--- @quickref c:body_contains(pattern, opts?) -> {ok, found} | Check if body contains pattern
--- @quickref c:endpoint(opts?) -> {ok, status, latency_ms} | Check endpoint status and latency
--- @quickref c:wait(opts?) -> {ok, status, attempts} | Wait for endpoint to become healthy
--- @quickref M.multi(checks) -> {ok, results, passed, failed, total} | Run multiple checks
--- @quickref M.http(url, opts?) -> {ok, status, latency_ms} | Every probe is also a module function taking the URL first

local H = require("assay._http")

local M = {}

-- One protected request: ok, response-or-error, latency in whole milliseconds.
local function probe(url, opts, method)
  opts = opts or {}
  local target, headers = H.url(url), H.headers(url, opts.headers)
  local before = time()
  local ok, resp
  if method == "POST" or method == "PUT" then
    ok, resp = pcall(http[method:lower()], target, opts.body or "", { headers = headers })
  else
    ok, resp = pcall(http.get, target, { headers = headers })
  end
  local latency_ms = math.floor((time() - before) * 1000)
  return ok, resp, latency_ms
end

local function status_error(expected, status)
  if status == expected then return nil end
  return "expected status " .. tostring(expected) .. ", got " .. tostring(status)
end

function M.http(url, opts)
  opts = opts or {}
  local expected = opts.expected_status or 200
  local ok, resp, latency_ms = probe(url, opts, string.upper(opts.method or "GET"))
  if not ok then
    return { ok = false, status = 0, latency_ms = latency_ms, error = tostring(resp) }
  end
  return { ok = resp.status == expected, status = resp.status, latency_ms = latency_ms,
    error = status_error(expected, resp.status) }
end

function M.json_path(url, path_expr, expected, opts)
  local ok, resp = probe(url, opts)
  local function fail(message)
    return { ok = false, actual = nil, expected = expected, error = message }
  end
  if not ok then return fail(tostring(resp)) end
  if resp.status ~= 200 then return fail("HTTP " .. tostring(resp.status)) end
  local parsed_ok, value = pcall(json.parse, resp.body)
  if not parsed_ok then return fail("JSON parse error: " .. tostring(value)) end
  for key in string.gmatch(path_expr, "[^.]+") do
    if type(value) ~= "table" then
      return fail("path traversal failed at '" .. key .. "': not a table")
    end
    value = value[key]
    if value == nil then
      return fail("path '" .. path_expr .. "': key '" .. key .. "' not found")
    end
  end
  local matched = value == expected
  return { ok = matched, actual = value, expected = expected,
    error = (not matched) and ("expected " .. tostring(expected) .. ", got " .. tostring(value)) or nil }
end

function M.status_code(url, expected, opts)
  local ok, resp = probe(url, opts)
  if not ok then return { ok = false, status = 0, error = tostring(resp) } end
  return { ok = resp.status == expected, status = resp.status, error = status_error(expected, resp.status) }
end

function M.body_contains(url, pattern, opts)
  local ok, resp = probe(url, opts)
  if not ok then return { ok = false, found = false, error = tostring(resp) } end
  local found = string.find(resp.body, pattern, 1, true) ~= nil
  return { ok = found, found = found, error = (not found) and "pattern not found in response body" or nil }
end

function M.endpoint(url, opts)
  opts = opts or {}
  local max_latency_ms = opts.max_latency_ms or 5000
  local expected = opts.expected_status or 200
  local ok, resp, latency_ms = probe(url, opts)
  if not ok then
    return { ok = false, status = 0, latency_ms = latency_ms, error = tostring(resp) }
  end
  local status_ok = resp.status == expected
  local latency_ok = latency_ms <= max_latency_ms
  local message = status_error(expected, resp.status)
  if status_ok and not latency_ok then
    message = "latency " .. tostring(latency_ms) .. "ms exceeds threshold " .. tostring(max_latency_ms) .. "ms"
  end
  return { ok = status_ok and latency_ok, status = resp.status, latency_ms = latency_ms, error = message }
end

function M.multi(checks)
  local results, passed, failed = {}, 0, 0
  for i, check in ipairs(checks) do
    local ok, result = pcall(check.check)
    if not ok then
      result = { ok = false, error = tostring(result) }
    elseif type(result) ~= "table" then
      result = { ok = false, error = "check returned " .. type(result) .. ", not a result table" }
    end
    local entry = { name = check.name, ok = result.ok }
    for k, v in pairs(result) do
      if k ~= "name" and k ~= "ok" then entry[k] = v end
    end
    results[i] = entry
    if result.ok then passed = passed + 1 else failed = failed + 1 end
  end
  return { ok = failed == 0, results = results, passed = passed, failed = failed, total = passed + failed }
end

function M.wait(url, opts)
  opts = opts or {}
  local timeout = opts.timeout or 60
  local interval = opts.interval or 2
  local expect = opts.expect_status or 200
  local target = H.url(url)
  local max_attempts = math.ceil(timeout / interval)
  for attempt = 1, max_attempts do
    local ok, resp = probe(url, { headers = opts.headers })
    if ok and resp.status == expect then
      log.info("Healthy: " .. target .. " (attempt " .. attempt .. ")")
      return { ok = true, status = resp.status, attempts = attempt }
    end
    if attempt < max_attempts then sleep(interval) end
  end
  error("healthcheck.wait: " .. target .. " not healthy after " .. tostring(timeout) .. "s")
end

--- M.client(url, opts): the probes above bound to one full URL (used verbatim) and auth.
function M.client(url, opts)
  return H.bind(M, url, opts, { verbatim = true, unbound = { multi = true } })
end

return M
