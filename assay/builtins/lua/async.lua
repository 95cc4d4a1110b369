local async, internals = ...
local start, start_interval, join, stop = async._start, async._start_interval, async._join, async._stop
async._start, async._start_interval, async._join, async._stop = nil, nil, nil, nil
local error, type = error, type

function async.spawn(fn)
  if type(fn) ~= "function" then error("async.spawn: argument must be a function", 0) end
  local id, awaited = start(fn), false
  return { await = function()
    if awaited then error("async handle already awaited", 0) end
    awaited = true
    return join(id)
  end }
end

function async.spawn_interval(seconds, fn)
  if type(fn) ~= "function" then error("async.spawn_interval: second argument must be a function", 0) end
  local id = start_interval(seconds, fn)
  return { cancel = function() stop(id) end }
end
