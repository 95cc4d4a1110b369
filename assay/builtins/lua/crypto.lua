local crypto = ...
local raw, type, setmetatable, getmetatable = crypto.jwt_verify, type, setmetatable, getmetatable
crypto.jwt_verify = function(...)
  local result, header = raw(...)
  if header ~= nil and type(result) == "table" and getmetatable(result) == nil then
    setmetatable(result, { __index = { header = header, claims = result } })
  end
  return result
end
