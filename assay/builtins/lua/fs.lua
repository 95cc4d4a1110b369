local fs = ...
local type, error, pcall, tostring, setmetatable, gsub =
  type, error, pcall, tostring, setmetatable, string.gsub
local raw_lines, sub_read, sub_write = fs.lines, fs._sub_read, fs._sub_write
fs._sub_read, fs._sub_write = nil, nil

-- An array of lines that is also an iterator, so both `ipairs(fs.lines(p))`
-- and `for line in fs.lines(p) do` work.
function fs.lines(path)
  local list, i = raw_lines(path), 0
  return setmetatable(list, { __call = function() i = i + 1; return list[i] end })
end

function fs.sub_in_file(path, pattern, repl)
  if type(pattern) ~= "string" and type(pattern) ~= "number" then
    error("fs.sub_in_file: pattern must be a string, got " .. type(pattern), 0)
  end
  local kind = type(repl)
  if kind ~= "string" and kind ~= "number" and kind ~= "table" and kind ~= "function" then
    error("fs.sub_in_file: replacement must be a string, table or function, got " .. kind, 0)
  end
  local content = sub_read(path)
  local ok, new, count = pcall(gsub, content, pattern, repl)
  if not ok then
    local msg = tostring(new)
    msg = msg:match("^bad argument #%d+ to '[%w_.]+' %((.*)%)$") or msg
    error("fs.sub_in_file: " .. msg, 0)
  end
  if count > 0 then sub_write(path, new) end
  return count
end
