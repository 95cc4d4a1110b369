-- For builtins that encode tables as JSON from Python (http bodies, http.serve `json`):
-- they read the marks by calling Lua, which is safe from inside a coroutine where
-- indexing a Lua table from Python is not.
local marks = ...
local next = next
return function(t) return marks[t] end, function() return next(marks) ~= nil end
