-- Wraps the Lua library functions that can write (io.open, os.remove, ...) so each
-- call first goes through the guard's check, which raises when the write is refused.
-- `checks` maps a global path ("io.open") to its check function.
local checks = ...
for path, check in pairs(checks) do
  local family, name = path:match("^([^.]+)%.(.+)$")
  local t = family and _G[family] or _G
  name = name or path
  local original = t and t[name]
  if type(original) == "function" then
    t[name] = function(...)
      check(...)
      return original(...)
    end
  end
end
