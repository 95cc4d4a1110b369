-- The Lua half of the sandbox (the Python half is assay/runtime/sandbox.py).
-- Runs first in every VM. It removes what lets a script reach the host or forge
-- bytecode, gives back text-only loading, and makes an interrupt (a tool-mode
-- deadline, the memory limit) impossible to swallow: once `interrupt(msg)` was
-- called, pcall/xpcall/coroutine.resume/coroutine.close re-raise it instead of
-- returning it. It returns the originals the runtime itself still needs.
local raw_load, raw_loadfile, raw_pcall, raw_xpcall, error, select =
  load, loadfile, pcall, xpcall, error, select
local co_resume, co_close = coroutine.resume, coroutine.close
local debug = debug

local saved = {
  load = raw_load,
  getinfo = debug.getinfo,
  traceback = debug.traceback,
  sethook = debug.sethook,
  co_resume = co_resume,
  co_close = co_close,
}

-- Removed: the lupa bridge, the debug library, bytecode dumping, C modules.
_G.python = nil
package.loaded.python = nil
_G.debug = nil
package.loaded.debug = nil
string.dump = nil
package.loadlib = function() error("package.loadlib: can't load C modules in safe mode", 2) end
package.cpath = ""

-- Text-only loading: a precompiled chunk is refused by Lua itself (mode "t").
-- An explicit nil `env` must stay distinguishable from no `env` at all.
function load(chunk, chunkname, _, ...)
  if select("#", ...) > 0 then return raw_load(chunk, chunkname, "t", (...)) end
  return raw_load(chunk, chunkname, "t")
end

function loadfile(filename, _, ...)
  if select("#", ...) > 0 then return raw_loadfile(filename, "t", (...)) end
  return raw_loadfile(filename, "t")
end

function dofile(filename)
  local fn, err = raw_loadfile(filename, "t")
  if not fn then error(err, 2) end
  return fn()
end

-- Interrupts nothing can catch.
local interrupted = nil

local function rethrow(ok, ...)
  if interrupted then error(interrupted, 0) end
  if not ok and (...) == "not enough memory" then
    interrupted = "not enough memory"
    error(interrupted, 0)
  end
  return ok, ...
end

function pcall(...) return rethrow(raw_pcall(...)) end
function xpcall(...) return rethrow(raw_xpcall(...)) end
coroutine.resume = function(...) return rethrow(co_resume(...)) end
coroutine.close = function(...) return rethrow(co_close(...)) end

-- A hook set with debug.sethook belongs to one coroutine; a coroutine the script
-- creates gets its creator's hook, so a deadline reaches it too.
local co_create, gethook, sethook = coroutine.create, debug.gethook, debug.sethook
coroutine.create = function(f)
  local co = co_create(f)
  local hook, mask, count = gethook()
  if hook then sethook(co, hook, mask, count) end
  return co
end

local function wrap_result(co, ok, ...)
  if ok then return ... end
  local err = ...
  co_close(co)
  if interrupted then error(interrupted, 0) end
  if type(err) == "string" then error(err, 2) end  -- position of the caller, as Lua's wrap does
  error(err, 0)
end

coroutine.wrap = function(f)
  local co = coroutine.create(f)
  return function(...) return wrap_result(co, co_resume(co, ...)) end
end

function saved.interrupt(message)
  interrupted = interrupted or message
  error(interrupted, 0)
end

function saved.interrupted() return interrupted end

-- The runtime's own protected call: not subject to the re-raise, used where the
-- runtime must see the error itself.
saved.pcall = raw_pcall

return saved
