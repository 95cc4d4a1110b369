-- The runtime's own Lua side, run once per VM before any builtin or user code.
-- It uses the originals the sandbox (sandbox.lua, run before it) kept back, defines
-- the bridge wrappers every builtin goes through, the task table the scheduler
-- drives, and the `require` searchers. Python receives the returned table.
local py = ...

local sandbox = py.sandbox
local load, pcall = sandbox.load, sandbox.pcall
local error, type, tostring, select, setmetatable = error, type, tostring, select, setmetatable
local getinfo, traceback, sethook = sandbox.getinfo, sandbox.traceback, sandbox.sethook
local interrupt = sandbox.interrupt
local co_create, co_status, co_running, co_yield =
  coroutine.create, coroutine.status, coroutine.running, coroutine.yield
local co_resume, co_close = sandbox.co_resume, sandbox.co_close
local stdout, stderr = io.stdout, io.stderr
local block = py.block
local G = _ENV

-- The standard library's names, as the sandbox left them (see `seal_library`).
local library_names = {}
for name in next, G do
  if name ~= "_G" then library_names[#library_names + 1] = name end
end

---------------------------------------------------------------------------
-- Bridge: a Python builtin returns (true, values...) or (false, message);
-- a failure becomes a plain string error without position. (false, message, true)
-- ends the run (a deadline passed while the builtin waited): nothing may catch it.
local function check(ok, ...)
  if ok then return ... end
  local message, stop = ...
  if stop then interrupt(message) end
  error(message, 0)
end

local function wrap(f)
  return function(...) return check(f(...)) end
end

-- Scheduler-owned coroutines, by id. Only ids ever cross to Python.
local tasks = setmetatable({}, { __mode = "k" })
local by_id, next_id = {}, 0

-- A yielding builtin hands an op to the scheduler when it runs in a task the
-- scheduler drives; anywhere else (a coroutine the script made itself) the op
-- is performed synchronously: the semantics survive, only concurrency is lost.
local function wait(op)
  if tasks[co_running()] then return check(co_yield(op)) end
  return check(block(op))
end

local function wrap_yielding(f)
  return function(...) return wait(check(f(...))) end
end

local function new_task(fn)
  local co = co_create(fn)
  next_id = next_id + 1
  tasks[co], by_id[next_id] = true, co
  return next_id
end

-- Error text for reports: the message, prefixed with the innermost file
-- position when Lua did not add one (errors raised by builtins at level 0).
local function has_position(msg)
  return msg:find("^[^%s:]+:%d+: ") ~= nil or msg:find('^%[string "') ~= nil
end

local function embedded(ar)
  return ar.source:sub(1, 7) == "@assay/"
end

-- An embedded stdlib module raises its errors with its own position first
-- (`assay/_http.lua:452: vault: GET ... HTTP 500`): where the module noticed that the
-- user's call failed (a bad argument, an HTTP 500), which says nothing to the user. The
-- report names the user's line instead, once, also when the text was re-raised on the
-- way (by the user's `error(err)`, or by `await` for a task). Only a failure inside a
-- module's code that the module did not raise itself (a bug: `attempt to index a nil
-- value`) keeps the module's position, after the user's.
local MODULE_POSITION = "assay/[^%s:]+%.lua:%d+: "

local function failed_inside_module(co)
  local top = getinfo(co, 0, "Sf")
  if not top then return false end
  if top.what ~= "C" then return embedded(top) end  -- a Lua runtime error in that code
  if top.func == error then return false end         -- raised on purpose
  local caller = getinfo(co, 1, "S")                 -- a library function the module misused
  return caller ~= nil and embedded(caller)
end

local function without_module_position(msg)
  local rest = msg:match("^" .. MODULE_POSITION .. "(.*)$")
  if rest then return rest end
  local lead, after = msg:match("^([^%s:]+:%d+: )" .. MODULE_POSITION .. "(.*)$")
  if lead then return lead .. after end
  return msg
end

local function describe(co, err)
  local msg = err
  if type(msg) ~= "string" then
    local ok, text = pcall(tostring, err)
    msg = ok and type(text) == "string" and text or ("(error object is a " .. type(err) .. " value)")
  end
  -- the innermost file position, and the innermost one in the user's own files
  -- (an error inside an embedded stdlib module is reported at the user's call)
  local first, user
  for level = 0, 200 do
    local ar = getinfo(co, level, "Sl")
    if not ar then break end
    if ar.currentline and ar.currentline > 0 and ar.source:sub(1, 1) == "@" then
      local where = ar.short_src .. ":" .. ar.currentline .. ": "
      first = first or where
      if not embedded(ar) then user = where; break end
    end
  end
  if user and not failed_inside_module(co) then msg = without_module_position(msg) end
  if not has_position(msg) then
    local where = user or first
    if where then msg = where .. msg end
  elseif user and msg:sub(1, 6) == "assay/" then
    msg = user .. msg
  end
  return msg, traceback(co)
end

local function finish(id, co, ok, ...)
  if ok then
    if co_status(co) == "dead" then by_id[id], tasks[co] = nil, nil; return "dead", true, ... end
    return "suspended", true, ...
  end
  local err = ...
  by_id[id], tasks[co] = nil, nil
  if err == "not enough memory" then  -- free the task's stack before anything else
    co_close(co)
    return "dead", false, err, err, ""
  end
  local msg, tb = describe(co, err)
  co_close(co)
  return "dead", false, err, msg, tb
end

local function step(id, ...)
  local co = by_id[id]
  if not co then return "dead", false, "task is gone", "task is gone", "" end
  return finish(id, co, co_resume(co, ...))
end

local function close_task(id)
  local co = by_id[id]
  if co then by_id[id], tasks[co] = nil, nil; co_close(co) end
end

-- Compile a chunk; returns the function, or nil and Lua's message.
local function compile(src, chunkname)
  local fn, err = load(src, chunkname, "t")
  return fn, err
end

-- A hook that stops runaway CPU-bound Lua (tool-mode deadline): installed on a
-- coroutine (and inherited by the coroutines it creates), it raises once
-- `expired()` says the time is up, and from then on nothing can catch it.
local function set_deadline(id, expired)
  local co = by_id[id]
  if not co then return end
  -- once expired, every tick raises again and pcall/xpcall re-raise (sandbox.lua)
  sethook(co, function()
    if expired() then interrupt("execution timed out") end
  end, "", 10000)
end

---------------------------------------------------------------------------
-- require: preload, package.path, C stub, ./modules + global dir, embedded
-- stdlib. Python finds the files; Lua compiles them.
local function load_found(name, src, chunkname)
  local fn, err = load(src, chunkname, "t")
  if not fn then
    error(("error loading module '%s' from file '%s':\n\t%s"):format(name, chunkname:sub(2), err), 0)
  end
  return fn, chunkname:sub(2)
end

local function searcher(find)
  return function(name)
    local src, chunkname = find(name)
    if src == nil then return chunkname end  -- a message, or nil for "nothing to say"
    return load_found(name, src, chunkname)
  end
end

local searchers = package.searchers
package.searchers = {
  searchers[1],
  searchers[2],
  function() return "can't load C modules in safe mode" end,
  searcher(py.find_fs_module),
  searcher(py.find_embedded_module),
}

---------------------------------------------------------------------------
-- Families installed on first use. `spec` has one line per global: its name, then
-- the names of its functions. Each function is a small stand-in that, on the first
-- call of any of them, has Python install the family (`load(name)` returns the real
-- table, which only Python and these stand-ins hold) and then calls the real one. The
-- stand-ins stay for good, so `pairs` sees the same keys as after an eager install and
-- a function compares equal to itself before and after the family loads. The call
-- is a tail call: a yielding builtin yields through it, and error levels still point
-- at the script's line. The name `()` in a line means the global itself can be called
-- (`assert(v)`): the stand-in table gets a metatable whose `__call` does the same.
local function define_lazily(spec, load)
  for line in spec:gmatch("[^\n]+") do
    local name, real = line:match("^%S+"), nil
    local public = {}
    for key in line:gmatch("%S+", #name + 1) do
      if key == "()" then
        setmetatable(public, { __call = function(_, ...)
          if real == nil then real = load(name) end
          return real(...)
        end })
      else
        public[key] = function(...)
          if real == nil then real = load(name) end
          return real[key](...)
        end
      end
    end
    _ENV[name] = public
  end
end

-- The builtin families' Lua parts are compiled with `compile_part`: they see the
-- standard library as it was when the VM was ready (`seal_library` copies it before
-- any script line runs), so a family installed on first use, after a script replaced
-- `type` or `string.find`, still gets the originals, as one installed at start did.
-- Every other name (the builtins, `sleep`, `time`) is the global's current value.
local library
local part_env = setmetatable({}, {
  __index = function(_, name)
    local value = library and library[name]
    if value == nil then value = G[name] end
    return value
  end,
  __newindex = G,
})

local function seal_library()
  library = {}
  for i = 1, #library_names do
    local name = library_names[i]
    local value = G[name]
    if type(value) == "table" then
      local copy = {}
      for k, v in next, value do copy[k] = v end
      value = copy
    end
    library[name] = value
  end
end

local function compile_part(src, chunkname)
  local fn, err = load(src, chunkname, "t", part_env)
  return fn, err
end

-- Output: print/io.write go through C stdio; flush before every exit.
local function flush()
  pcall(stdout.flush, stdout)
  pcall(stderr.flush, stderr)
end

-- print that writes to stderr (tool mode and check scripts keep stdout for JSON).
local function print_to_stderr(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  stderr:write(table.concat(parts, "\t"), "\n")
end

-- Pack return values into an array table (nil values leave holes).
local function pack(...) return { ... } end

return {
  wrap = wrap,
  wrap_yielding = wrap_yielding,
  wait = wait,
  check = check,
  new_task = new_task,
  step = step,
  close_task = close_task,
  compile = compile,
  set_deadline = set_deadline,
  flush = flush,
  print_to_stderr = print_to_stderr,
  pack = pack,
  define_lazily = define_lazily,
  seal_library = seal_library,
  compile_part = compile_part,
  raw_pcall = sandbox.pcall,  -- for builtins that retry another way after an error
}
