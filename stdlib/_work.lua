-- What the work-tracking modules (clickup, plane, huly) share: finding a record by its exact
-- name, creating it only when it is missing, and picking the one workspace or project a token
-- can see. Hidden from `assay modules` like _http.

local W = {}

--- The first record whose `field` (default "name") equals `value`, or nil.
function W.find(records, value, field)
  field = field or "name"
  for _, record in ipairs(records) do
    if record[field] == value then return record end
  end
  return nil
end

--- The record `find()` returns, else `create()`'s; the second result says whether it was
--- created. A job that runs again then files nothing twice.
function W.ensure(fn_name, spec, find, create)
  if type(spec) ~= "table" or type(spec.name) ~= "string" or spec.name == "" then
    error(fn_name .. ": spec.name is required", 3)
  end
  local found = find(spec.name)
  if found then return found, false end
  return create(spec), true
end

--- The record named `name` (matched by `matches(record, name)`), or without a name the only
--- record; `what` names them in errors ("workspace", "project"). Never a guess among several.
function W.pick(module, records, name, what, holder, matches)
  if name ~= nil then
    for _, record in ipairs(records) do
      if matches(record, name) then return record end
    end
    error(module .. ": no " .. what .. " named " .. tostring(name), 3)
  end
  if #records == 1 then return records[1] end
  if #records == 0 then error(module .. ": the " .. holder .. " can see no " .. what, 3) end
  error(module .. ": the " .. holder .. " sees " .. #records .. " " .. what .. "s; pass the name of one", 3)
end

return W
