local process = ...
local type, ipairs, error = type, ipairs, error

function process.wait_idle(names, timeout, interval)
  timeout = timeout or 30
  interval = interval or 1
  if type(names) == "string" then names = { names } end
  if type(names) ~= "table" then
    error("process.wait_idle: names must be a string or an array of strings", 0)
  end
  local deadline = time() + timeout
  while true do
    local busy = false
    for _, name in ipairs(names) do
      if process.is_running(name) then busy = true; break end
    end
    if not busy then return true end
    local left = deadline - time()
    if left <= 0 then return false end
    sleep(interval < left and interval or left)
  end
end
