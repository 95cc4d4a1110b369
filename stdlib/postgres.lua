--- @module assay.postgres
--- @description PostgreSQL database helpers. User/database management, grants, Vault integration.
--- @category data
--- @icon postgresql
--- @keywords postgres, postgresql, database, users, grants, sql, user, grant, privilege, vault, connection, schema, role
--- @quickref M.client(url) -> client | Connect with a postgres://user:pass@host:port/db URL (or an opts table {host, port, username, password, database})
--- @quickref M.client(host, port, username, password, database?) -> client | Connect (database defaults to postgres)
--- @quickref M.client_from_vault(vault_client, vault_path, host, port?) -> client | Create from Vault creds
--- @quickref M.client_url(url) -> client | Connect with a full postgres:// or postgresql:// URL (percent-encoded credentials)
--- @quickref c.queries:query(sql, params?) -> [row] | Execute SQL query, return rows; flat: c:query(sql, params?)
--- @quickref c.queries:execute(sql, params?) -> number | Execute SQL statement, return affected count; flat: c:execute(sql, params?)
--- @quickref c:close() -> nil | Close database connection
--- @quickref c.users:exists(username) -> bool | Check if PostgreSQL user exists; flat: c:user_exists(username)
--- @quickref c.users:ensure(username, password, opts?) -> bool | Create user if not exists; flat: c:ensure_user(username, password, opts?)
--- @quickref c.databases:exists(dbname) -> bool | Check if database exists; flat: c:database_exists(dbname)
--- @quickref c.databases:ensure(dbname, owner?) -> bool | Create database if not exists; flat: c:ensure_database(dbname, owner?)
--- @quickref c.databases:grant(database_name, username, privileges?) -> nil | Grant privileges on database; flat: c:grant(database_name, username, privileges?)

local H = require("assay._http")
local M = {}

local Client = {}
Client.__index = Client

--- Wrap in double quotes, doubling embedded double quotes.
function M._quote_ident(s)
  return '"' .. tostring(s):gsub('"', '""') .. '"'
end

--- Wrap in single quotes, doubling embedded single quotes.
function M._quote_literal(s)
  return "'" .. tostring(s):gsub("'", "''") .. "'"
end

-- Percent-encode a DSN component (user, password, database), keeping A-Z a-z 0-9 - _ . ~
local function dsn_part(value)
  return (tostring(value):gsub("[^A-Za-z0-9%-_%.~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

local function port_text(port)
  if math.type(port) == "float" and port == math.floor(port) then
    return string.format("%d", port)
  end
  return tostring(port)
end

--- The DSN for positional arguments (user, password and database percent-encoded).
function M._dsn(host, port, username, password, database)
  return "postgres://" .. dsn_part(username) .. ":" .. dsn_part(password) .. "@" .. tostring(host)
    .. ":" .. port_text(port) .. "/" .. dsn_part(database or "postgres")
end

--- M.client(host, port, username, password, database?) -- the documented form; also
--- M.client("postgres://user:pass@host:port/db") and
--- M.client({host, port?, username|user, password, database?}).
function M.client(host, port, username, password, database)
  local dsn
  if type(host) == "table" then
    local o = host
    dsn = M._dsn(o.host or "localhost", o.port or 5432, o.username or o.user, o.password or "",
      o.database or o.dbname)
  elseif port == nil and type(host) == "string" and (host:match("^postgres://") or host:match("^postgresql://")) then
    dsn = host
  else
    dsn = M._dsn(host, port, username, password, database)
  end
  return setmetatable({ pool = db.connect(dsn) }, Client)
end

--- M.client_url(url): the client for a full connection URL (postgres:// or postgresql://);
--- credentials in it stay percent-encoded as written.
function M.client_url(url)
  if type(url) ~= "string" or not (url:match("^postgres://") or url:match("^postgresql://")) then
    error("postgres.client_url: url must be a postgres:// or postgresql:// URL", 2)
  end
  return setmetatable({ pool = db.connect(url) }, Client)
end

function Client:query(sql, params)
  return db.query(self.pool, sql, params or {})
end

function Client:execute(sql, params)
  return db.execute(self.pool, sql, params or {})
end

function Client:close()
  db.close(self.pool)
end

function Client:user_exists(username)
  return #db.query(self.pool, "SELECT 1 FROM pg_roles WHERE rolname = $1", { username }) > 0
end

function Client:database_exists(dbname)
  return #db.query(self.pool, "SELECT 1 FROM pg_database WHERE datname = $1", { dbname }) > 0
end

function Client:ensure_user(username, password, opts)
  opts = opts or {}
  if self:user_exists(username) then
    log.info("PostgreSQL user '" .. username .. "' already exists")
    return false
  end
  local sql = "CREATE USER " .. M._quote_ident(username) .. " WITH PASSWORD " .. M._quote_literal(password)
  if opts.createdb then sql = sql .. " CREATEDB" end
  if opts.superuser then sql = sql .. " SUPERUSER" end
  db.execute(self.pool, sql, {})
  log.info("Created PostgreSQL user '" .. username .. "'")
  return true
end

function Client:ensure_database(dbname, owner)
  if self:database_exists(dbname) then
    log.info("PostgreSQL database '" .. dbname .. "' already exists")
    return false
  end
  local sql = "CREATE DATABASE " .. M._quote_ident(dbname)
  if owner then sql = sql .. " OWNER " .. M._quote_ident(owner) end
  db.execute(self.pool, sql, {})
  log.info("Created PostgreSQL database '" .. dbname .. "'")
  return true
end

function Client:grant(database_name, username, privileges)
  privileges = privileges or "ALL PRIVILEGES"
  db.execute(self.pool, "GRANT " .. privileges .. " ON DATABASE " .. M._quote_ident(database_name)
    .. " TO " .. M._quote_ident(username), {})
  log.info("Granted " .. privileges .. " on " .. database_name .. " to " .. username)
end

--- M.client_from_vault(vault_client, vault_path, host, port?): credentials from KV v2 mount "secrets".
function M.client_from_vault(vault_client, vault_path, host, port)
  local secret = vault_client:kv_get("secrets", vault_path)
  assert.not_nil(secret, "postgres.client_from_vault: no secret at secrets/" .. vault_path)
  local creds = secret.data
  assert.not_nil(creds, "postgres.client_from_vault: no data at secrets/" .. vault_path)
  assert.not_nil(creds.username, "postgres.client_from_vault: missing username")
  assert.not_nil(creds.password, "postgres.client_from_vault: missing password")
  return M.client(host, tostring(port or 5432), creds.username, creds.password, creds.database or "postgres")
end

H.api({
  module = "postgres",
  quickref = {
    "M.client(url) -> client | Connect with a postgres://user:pass@host:port/db URL (or an opts table {host, port, username, password, database})",
    "M.client(host, port, username, password, database?) -> client | Connect (database defaults to postgres)",
    "M.client_from_vault(vault_client, vault_path, host, port?) -> client | Create from Vault creds",
    "M.client_url(url) -> client | Connect with a full postgres:// or postgresql:// URL (percent-encoded credentials)",
  },
  ops = {
    { "query", "queries:query", "(sql, params?) -> [row]", "Execute SQL query, return rows" },
    { "execute", "queries:execute", "(sql, params?) -> number", "Execute SQL statement, return affected count" },
    { "close", false, "() -> nil", "Close database connection" },
    { "user_exists", "users:exists", "(username) -> bool", "Check if PostgreSQL user exists" },
    { "ensure_user", "users:ensure", "(username, password, opts?) -> bool", "Create user if not exists" },
    { "database_exists", "databases:exists", "(dbname) -> bool", "Check if database exists" },
    { "ensure_database", "databases:ensure", "(dbname, owner?) -> bool", "Create database if not exists" },
    { "grant", "databases:grant", "(database_name, username, privileges?) -> nil", "Grant privileges on database" },
  },
}):install(Client)

return M
