-- The Lua part of `db` (assay/builtins/db.py): connections are opaque handles made by the
-- runtime's handle mechanism (handles.lua). A handle the script drops is collected and its
-- id queued; the next db call closes those connections.
local db, make_handles = ...
local connect, query, execute, close, release = db._connect, db._query, db._execute, db._close, db._release
db._connect, db._query, db._execute, db._close, db._release = nil, nil, nil, nil, nil
local error, pack, unpack = error, table.pack, table.unpack

local register, lookup, take_dead = make_handles("db connection", {
  label = "db connection", show_id = true, readonly = false,
})

local function id_of(conn, who)
  local dead = pack(take_dead())
  if dead.n > 0 then release(unpack(dead, 1, dead.n)) end
  local id = lookup(conn)
  if id == nil and who then error(who .. ": first argument must be a db connection", 0) end
  return id
end

function db.connect(url)
  id_of(nil, nil)  -- close collected handles first
  return register(connect(url))
end

function db.query(conn, sql, params)
  return query(id_of(conn, "db.query"), sql, params)
end

function db.execute(conn, sql, params)
  return execute(id_of(conn, "db.execute"), sql, params)
end

function db.close(conn)
  close(id_of(conn, "db.close"))
end
