local t = ...
local std = package.loaded.os
for _, name in ipairs({ "time", "date", "clock", "getenv", "difftime", "tmpname", "remove", "rename" }) do t[name] = std[name] end
local exit_now = t._exit
t._exit = nil
local stdout, stderr, pcall = io.stdout, io.stderr, pcall
function t.exit(code)
  pcall(stdout.flush, stdout)
  pcall(stderr.flush, stderr)
  return exit_now(code)
end
package.loaded.os = t
