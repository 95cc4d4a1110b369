-- The Lua part of `temporal` (assay/builtins/temporal.py): clients are opaque handles with
-- the workflow methods; the handle mechanism is the runtime's (handles.lua).
local temporal, make_handles = ...
local connect, start, call, release = temporal._connect, temporal._start, temporal._call, temporal._release
temporal._connect, temporal._start, temporal._call, temporal._release = nil, nil, nil, nil
local ipairs, error = ipairs, error

local lookup
local methods = {}
for _, name in ipairs({ "start_workflow", "signal_workflow", "query_workflow", "describe_workflow",
                        "get_result", "cancel_workflow", "terminate_workflow" }) do
  methods[name] = function(self, arg)
    local id = lookup(self)
    if id == nil then
      error("temporal client: " .. name .. " must be called as client:" .. name .. "(...)", 0)
    end
    return call(id, name, arg)
  end
end
local register, take_dead
register, lookup, take_dead = make_handles("temporal client", {
  methods = methods, label = "temporal client", show_id = true,
  readonly = "temporal client: the client is read-only",
})

function temporal.connect(options)
  release(take_dead())  -- clients the script dropped since the last connect
  return register(connect(options))
end

function temporal.start(options)
  return start(options)
end
