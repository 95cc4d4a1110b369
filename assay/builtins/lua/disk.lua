local disk = ...
local ipairs = ipairs

function disk.sweep(dir, age_secs)
  local now = time()
  local removed = 0
  for _, entry in ipairs(fs.list(dir)) do
    local full_path = dir .. "/" .. entry.name
    local stat = fs.stat(full_path)
    if stat and stat.modified and now - stat.modified > age_secs then
      fs.remove(full_path)
      removed = removed + 1
    end
  end
  return removed
end

function disk.dir_size(path)
  local total = 0
  for _, entry in ipairs(fs.readdir(path)) do
    if entry.type == "file" then
      local stat = fs.stat(path .. "/" .. entry.path)
      if stat then total = total + stat.size end
    end
  end
  return total
end
