local family, name, marks = ...
local next, raw = next, family[name]
family[name] = function(value)
  if next(marks) == nil then return raw(value) end
  return raw(value, marks)
end
