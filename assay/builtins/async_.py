"""`async.spawn(fn)` and `async.spawn_interval(seconds, fn)`.

The Python side starts tasks on the scheduler; the handle tables (`{await}`,
`{cancel}`) are built in Lua so that dot and colon calls both work.
"""
from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import Join

HANDLES = r"""
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
"""


def install(bridge):
    scheduler = bridge.runtime.scheduler

    def start(fn):
        return scheduler.spawn(fn)

    def start_interval(seconds, fn):
        seconds = args.number(seconds, "async.spawn_interval: first argument must be a number of seconds")
        if not seconds > 0:
            raise BuiltinError("async.spawn_interval: interval must be positive")
        return scheduler.spawn_interval(float(seconds), fn)

    @yielding
    def join(task_id):
        return Join(task_id)

    def stop(interval_id):
        scheduler.cancel_interval(interval_id)

    bridge.define("async", {"_start": start, "_start_interval": start_interval,
                            "_join": join, "_stop": stop}, lua=HANDLES)
