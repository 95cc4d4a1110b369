--- @module assay.widget
--- @description Widget service client. Health, list and create widgets.
--- @keywords widget, widgets, inventory, health
--- @env WIDGET_URL, WIDGET_TOKEN
--- @category saas
--- @icon puzzle
--- @quickref M.client(url, opts?) -> client | Create a widget client
--- @quickref c:health() -> {status, version} | Check widget service health
--- @quickref c:list() -> [widget] | List widgets

-- A project module: `require("assay.widget")` finds it in ./modules before the
-- global directory and the embedded stdlib, and `assay modules` lists it as `project`.
local M = {}

function M.client(url, opts)
  opts = opts or {}
  local headers = {}
  if opts.token then headers.Authorization = "Bearer " .. opts.token end
  local c = { url = url:gsub("/+$", ""), headers = headers }

  function c:health()
    local resp = http.get(self.url .. "/health", { headers = self.headers })
    if resp.status ~= 200 then error("widget: GET /health HTTP " .. resp.status .. ": " .. resp.body) end
    return json.parse(resp.body)
  end

  function c:list()
    local resp = http.get(self.url .. "/widgets", { headers = self.headers })
    if resp.status ~= 200 then error("widget: GET /widgets HTTP " .. resp.status .. ": " .. resp.body) end
    return json.parse(resp.body)
  end

  return c
end

return M
