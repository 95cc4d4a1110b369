local env = ...
local process_get = env._process_get
local type, tostring, error, rawget = type, tostring, error, rawget

function env.get(name)
  local kind = type(name)
  if kind == "number" then
    name = tostring(name)
  elseif kind ~= "string" then
    error("bad argument #1 to 'get': error converting Lua " .. kind
          .. " to String (expected string or number)", 0)
  end
  local overlay = rawget(env, "_check_env")
  if type(overlay) == "table" then
    local value = overlay[name]
    if value ~= nil then return value end
  end
  return process_get(name)
end
