"""assay.postgres (spec stdlib/postgres.md, PG-01..14) against the machine's real PostgreSQL
(127.0.0.1:5432, trust authentication, user postgres, database test).

Users and databases get unique names and are dropped afterwards. Without a PostgreSQL the
tests that need it skip (they fail under CI=true). Vault credentials come from fake_vault.py.
"""
import json
import uuid

import pytest

from fake_vault import ROOT_TOKEN, FakeVault

HOST, PORT = "127.0.0.1", 5432
REQ = 'local pg = require("assay.postgres")\n'
CONNECT = REQ + 'local c = pg.client("127.0.0.1", 5432, "postgres", "unused", "test")\n'

# Lua prelude recording what the module hands to the db builtin.
SPY = '''
local calls = {}
for _, name in ipairs({"connect", "query", "execute", "close"}) do
  local real = db[name]
  db[name] = function(...)
    local args = table.pack(...)
    calls[#calls + 1] = {fn = name, sql = args[2], dsn = args[1], params = args[3],
                         nparams = type(args[3]) == "table" and #args[3] or -1, ptype = type(args[3])}
    return real(...)
  end
end
local function sqls(fn)
  local out = {}
  for _, call in ipairs(calls) do
    if call.fn == fn then out[#out + 1] = call.sql end
  end
  return out
end
'''


class Admin:
    """Direct psycopg access for checks and cleanup."""

    def __init__(self):
        import psycopg
        self.conn = psycopg.connect("postgresql://postgres@%s:%d/test" % (HOST, PORT), autocommit=True)
        self.users = []
        self.databases = []

    def name(self, kind="u"):
        return "assay_t_%s_%s" % (kind, uuid.uuid4().hex[:10])

    def user(self, name=None):
        name = name or self.name("u")
        self.users.append(name)
        return name

    def database(self, name=None):
        name = name or self.name("d")
        self.databases.append(name)
        return name

    def one(self, sql, *params):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return row[0] if row is not None and len(row) == 1 else row

    def ident(self, name):
        return '"%s"' % name.replace('"', '""')

    def cleanup(self):
        with self.conn.cursor() as cur:
            for db in self.databases:
                cur.execute("DROP DATABASE IF EXISTS %s" % self.ident(db))
            for user in self.users:
                if self.one("SELECT 1 FROM pg_roles WHERE rolname = %s", user):
                    cur.execute("REVOKE ALL ON DATABASE test FROM %s" % self.ident(user))
                    cur.execute("REVOKE ALL ON DATABASE postgres FROM %s" % self.ident(user))
                    cur.execute("DROP ROLE %s" % self.ident(user))
        self.conn.close()


@pytest.fixture
def admin(postgres_url):
    a = Admin()
    yield a
    a.cleanup()


@pytest.fixture
def vault():
    fake = FakeVault().start()
    yield fake
    fake.stop()


def q(value):
    return json.dumps(value)


# ---- module functions (no database needed) -------------------------------------------

def test_pg_01_module_functions(lua):
    assert lua(REQ + 'return type(pg.client), type(pg.client_from_vault), type(pg._quote_ident), '
                     'type(pg._quote_literal), type(pg.client_url)') == ("function",) * 5


def test_pg_02_quote_ident(lua):
    assert lua(REQ + 'return pg._quote_ident("users")') == '"users"'


def test_pg_03_quote_ident_doubles_quotes(lua):
    assert lua(REQ + 'return pg._quote_ident(\'my"table\'), pg._quote_ident(\'""\')') == ('"my""table"', '""""""')


def test_pg_04_quote_literal(lua):
    assert lua(REQ + 'return pg._quote_literal("hello")') == "'hello'"


def test_pg_05_quote_literal_doubles_quotes(lua):
    assert lua(REQ + 'return pg._quote_literal("it\'s"), pg._quote_literal("a\\\\b")') == ("'it''s'", "'a\\b'")


# ---- constructor ------------------------------------------------------------------------

def test_pg_06_client_dsn(lua, admin):
    result = lua(SPY + REQ + '''
        local c = pg.client("127.0.0.1", 5432, "postgres", "pw", "test")
        local here = c:query("SELECT current_database() AS db, current_user AS u")[1]
        c:close()
        local d = pg.client("127.0.0.1", 5432, "postgres", "pw")
        local default = d:query("SELECT current_database() AS db")[1].db
        d:close()
        return calls[1].dsn, here.db, here.u, calls[#calls - 2].dsn, default
    ''')
    assert result == ("postgres://postgres:pw@127.0.0.1:5432/test", "test", "postgres",
                      "postgres://postgres:pw@127.0.0.1:5432/postgres", "postgres")


def test_pg_06_port_as_string_and_float(lua, admin):
    result = lua(SPY + REQ + '''
        local a = pg.client("127.0.0.1", "5432", "postgres", "x", "test"); a:close()
        local b = pg.client("127.0.0.1", 5432.0, "postgres", "x", "test"); b:close()
        return calls[1].dsn, calls[3].dsn
    ''')
    assert result == ("postgres://postgres:x@127.0.0.1:5432/test",) * 2


def test_pg_06_special_characters_are_percent_encoded(lua, admin):
    """Spec Note: user and password are percent-encoded, so @ : / % survive the DSN."""
    from urllib.parse import quote
    user = admin.user(admin.name("u") + "@x:y/z%")
    with admin.conn.cursor() as cur:
        cur.execute("CREATE USER %s WITH PASSWORD 'p@ss:w/rd%%'" % admin.ident(user))
    result = lua(SPY + REQ + '''
        local c = pg.client("127.0.0.1", 5432, %s, "p@ss:w/rd%%", "test")
        local me = c:query("SELECT current_user AS u")[1].u
        c:close()
        return me, calls[1].dsn
    ''' % q(user))
    me, dsn = result
    assert me == user
    assert dsn == "postgres://%s:p%%40ss%%3Aw%%2Frd%%25@127.0.0.1:5432/test" % quote(user, safe="")
    assert "%40x%3Ay%2Fz%25:" in dsn


def test_pg_06_connection_error_propagates(lua_fails, admin):
    err = lua_fails(REQ + 'return pg.client("127.0.0.1", 5432, "assay_no_such_user_x", "pw", "test")')
    assert err.startswith("db.connect: ") and "assay_no_such_user_x" in err


def test_pg_documented_client_form(lua, admin):
    """The documented positional form: pg.client(host, port, username, password, database)."""
    user, database = admin.user(), admin.database()
    result = lua(REQ + '''
        local c = pg.client("127.0.0.1", 5432, "postgres", "", "test")
        local created_user = c:ensure_user(%s, "app-pass")
        local created_db = c:ensure_database(%s, %s)
        c:grant(%s, %s)
        local rows = c:query("SELECT has_database_privilege($1, $2, 'CONNECT') AS ok", {%s, %s})
        c:close()
        return created_user, created_db, rows[1].ok
    ''' % (q(user), q(database), q(user), q(database), q(user), q(user), q(database)))
    assert result == (True, True, True)
    assert admin.one("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", database) == user


def test_pg_issue12_url_and_options_forms(lua, admin):
    """Issue 12: pg.client("postgres://...") and pg.client({host, port, username, password, database})."""
    result = lua(SPY + REQ + '''
        local a = pg.client("postgres://postgres@127.0.0.1:5432/test")
        local b = pg.client({host = "127.0.0.1", port = 5432, username = "postgres", password = "p w", database = "test"})
        local c = pg.client({host = "127.0.0.1", user = "postgres"})
        local out = {a:query("SELECT current_database() AS d")[1].d, b:query("SELECT 1 AS one")[1].one,
                     c:query("SELECT current_database() AS d")[1].d}
        a:close(); b:close(); c:close()
        return out, calls[1].dsn, calls[2].dsn, calls[3].dsn
    ''')
    assert result == (["test", 1, "postgres"], "postgres://postgres@127.0.0.1:5432/test",
                      "postgres://postgres:p%20w@127.0.0.1:5432/test",
                      "postgres://postgres:@127.0.0.1:5432/postgres")


# ---- methods -------------------------------------------------------------------------------

def test_pg_07_query_execute_close_delegate(lua, lua_fails, admin):
    table = "assay_t_tbl_" + uuid.uuid4().hex[:8]
    result = lua(SPY + CONNECT + '''
        c:execute("CREATE TEMP TABLE %s (id INT, name TEXT)")
        local ins = c:execute("INSERT INTO %s VALUES ($1, $2), ($3, $4)", {1, "a", 2, "b"})
        local rows = c:query("SELECT id, name FROM %s ORDER BY id")
        local filtered = c:query("SELECT name FROM %s WHERE id = $1", {2})
        local closed = c:close()
        local ok, err = pcall(c.query, c, "SELECT 1")
        local by_fn = {}
        for _, call in ipairs(calls) do by_fn[#by_fn + 1] = call.fn .. ":" .. call.ptype .. ":" .. call.nparams end
        return ins.rows_affected, rows, filtered[1].name, closed, ok, by_fn
    ''' % ((table,) * 4))
    rows_affected, rows, name, closed, ok, by_fn = result
    assert rows_affected == 2
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert name == "b" and closed is None and ok is False
    # params or {} is passed through; close hands over the pool
    assert by_fn == ["connect:nil:-1", "execute:table:0", "execute:table:4", "query:table:0", "query:table:1",
                     "close:nil:-1", "query:table:0"]


def test_pg_08_user_exists(lua, admin):
    missing = admin.name("u")
    result = lua(SPY + CONNECT + '''
        local a, b = c:user_exists("postgres"), c:user_exists(%s)
        c:close()
        return a, b, calls[2].sql, calls[2].params
    ''' % q(missing))
    assert result == (True, False, "SELECT 1 FROM pg_roles WHERE rolname = $1", ["postgres"])


def test_pg_09_ensure_user(lua, admin):
    user = admin.user()
    result = lua(SPY + CONNECT + '''
        local first = c:ensure_user(%s, "it's secret", {createdb = true})
        local second = c:ensure_user(%s, "other")
        c:close()
        return first, second, sqls("execute")
    ''' % (q(user), q(user)))
    assert result == (True, False, ['CREATE USER "%s" WITH PASSWORD \'it\'\'s secret\' CREATEDB' % user])
    assert admin.one("SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", user) is True
    assert admin.one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", user) is False
    assert admin.one("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", user) is True


def test_pg_09_ensure_user_superuser_and_plain(lua, admin):
    su, plain = admin.user(), admin.user(admin.name("u") + '"q')
    result = lua(SPY + CONNECT + '''
        local a = c:ensure_user(%s, "p", {createdb = true, superuser = true})
        local b = c:ensure_user(%s, "p")
        c:close()
        return a, b, sqls("execute")
    ''' % (q(su), q(plain)))
    assert result == (True, True, ['CREATE USER "%s" WITH PASSWORD \'p\' CREATEDB SUPERUSER' % su,
                                   'CREATE USER "%s" WITH PASSWORD \'p\'' % plain.replace('"', '""')])
    assert admin.one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", su) is True
    assert admin.one("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = %s", plain) is False


def test_pg_09_11_log_lines(assay, admin):
    user, database = admin.user(), admin.database()
    code = (CONNECT + 'c:ensure_user(%s, "p"); c:ensure_user(%s, "p")\n'
            'c:ensure_database(%s); c:ensure_database(%s)\nc:grant(%s, %s, "CONNECT")\nc:close()'
            % (q(user), q(user), q(database), q(database), q(database), q(user)))
    r = assay("exec", "-e", code)
    assert r.returncode == 0, r.stderr
    for line in ["Created PostgreSQL user '%s'" % user, "PostgreSQL user '%s' already exists" % user,
                 "Created PostgreSQL database '%s'" % database,
                 "PostgreSQL database '%s' already exists" % database,
                 "Granted CONNECT on %s to %s" % (database, user)]:
        assert "INFO " + line in r.stderr, (line, r.stderr)


def test_pg_10_database_exists(lua, admin):
    missing = admin.name("d")
    result = lua(SPY + CONNECT + '''
        local a, b = c:database_exists("test"), c:database_exists(%s)
        c:close()
        return a, b, calls[2].sql, calls[2].params
    ''' % q(missing))
    assert result == (True, False, "SELECT 1 FROM pg_database WHERE datname = $1", ["test"])


def test_pg_11_ensure_database(lua, admin):
    plain, owned, owner = admin.database(), admin.database(), admin.user()
    with admin.conn.cursor() as cur:
        cur.execute("CREATE USER %s" % admin.ident(owner))
    result = lua(SPY + CONNECT + '''
        local a = c:ensure_database(%s)
        local b = c:ensure_database(%s, %s)
        local again = c:ensure_database(%s, %s)
        c:close()
        return a, b, again, sqls("execute")
    ''' % (q(plain), q(owned), q(owner), q(owned), q(owner)))
    assert result == (True, True, False, ['CREATE DATABASE "%s"' % plain, 'CREATE DATABASE "%s" OWNER "%s"' % (owned, owner)])
    assert admin.one("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", owned) == owner
    assert admin.one("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", plain) == "postgres"


def test_pg_12_grant(lua, admin):
    user, database = admin.user(), admin.database()
    with admin.conn.cursor() as cur:
        cur.execute("CREATE USER %s" % admin.ident(user))
        cur.execute("CREATE DATABASE %s" % admin.ident(database))
        cur.execute("REVOKE ALL ON DATABASE %s FROM PUBLIC" % admin.ident(database))
    assert admin.one("SELECT has_database_privilege(%s, %s, 'CREATE')", user, database) is False
    result = lua(SPY + CONNECT + '''
        local r = c:grant(%s, %s)
        c:grant("test", %s, "CONNECT, TEMPORARY")
        c:close()
        return r, sqls("execute")
    ''' % (q(database), q(user), q(user)))
    assert result == (None, ['GRANT ALL PRIVILEGES ON DATABASE "%s" TO "%s"' % (database, user),
                             'GRANT CONNECT, TEMPORARY ON DATABASE "test" TO "%s"' % user])
    assert admin.one("SELECT has_database_privilege(%s, %s, 'CREATE')", user, database) is True
    assert admin.one("SELECT has_database_privilege(%s, %s, 'CONNECT')", user, database) is True
    assert admin.one("SELECT has_database_privilege(%s, 'test', 'TEMPORARY')", user) is True


def test_pg_12_grant_error_propagates(lua_fails, admin):
    err = lua_fails(CONNECT + 'c:grant("assay_no_such_db_x", "postgres")')
    assert err.startswith("db.execute: ") and "assay_no_such_db_x" in err


# ---- client_from_vault --------------------------------------------------------------------------

def from_vault(vault, path, extra=""):
    return (SPY + REQ + 'local v = require("assay.vault").client(%s, %s)\n' % (q(vault.url), q(ROOT_TOKEN))
            + 'local c = pg.client_from_vault(v, %s, "127.0.0.1"%s)\n' % (q(path), extra))


def test_pg_13_client_from_vault_missing_secret(lua_fails, vault):
    err = lua_fails(from_vault(vault, "db/none") + "return c")
    assert "assert.not_nil failed: value is nil - postgres.client_from_vault: no secret at secrets/db/none" in err
    assert vault.last().method == "GET" and vault.last().path == "/v1/secrets/data/db/none"


def test_pg_13_client_from_vault_no_data(lua_fails, vault):
    vault.respond("GET", "/v1/secrets/data/db/empty", 200, {"data": {"metadata": {"version": 1}}})
    err = lua_fails(from_vault(vault, "db/empty") + "return c")
    assert "postgres.client_from_vault: no data at secrets/db/empty" in err


@pytest.mark.parametrize("data,missing", [({"password": "p"}, "username"), ({"username": "u"}, "password")])
def test_pg_14_client_from_vault_requires_fields(lua_fails, vault, data, missing):
    vault.put_secret("secrets", "db/partial", data)
    err = lua_fails(from_vault(vault, "db/partial") + "return c")
    assert "assert.not_nil failed: value is nil - postgres.client_from_vault: missing " + missing in err


def test_pg_14_client_from_vault_defaults(lua, vault, admin):
    vault.put_secret("secrets", "db/admin", {"username": "postgres", "password": "pw"})
    result = lua(from_vault(vault, "db/admin") + '''
        local d = c:query("SELECT current_database() AS d")[1].d
        c:close()
        return d, calls[1].dsn
    ''')
    assert result == ("postgres", "postgres://postgres:pw@127.0.0.1:5432/postgres")


def test_pg_14_client_from_vault_database_and_port(lua, vault, admin):
    vault.put_secret("secrets", "db/app", {"username": "postgres", "password": "pw", "database": "test"})
    result = lua(from_vault(vault, "db/app", ", 5432") + '''
        local d = c:query("SELECT current_database() AS d")[1].d
        c:close()
        return d, calls[1].dsn
    ''')
    assert result == ("test", "postgres://postgres:pw@127.0.0.1:5432/test")


def test_pg_both_generations(lua, admin):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the local PostgreSQL."""
    code = {
        "old": '''local c = pg.client("127.0.0.1", 5432, "postgres", "", "test")
            local out = {c:user_exists(%(u)s), c:ensure_user(%(u)s, "pw"), c:ensure_user(%(u)s, "pw"),
                         c:user_exists(%(u)s), c:ensure_database(%(d)s, %(u)s), c:database_exists(%(d)s)}
            c:grant(%(d)s, %(u)s)
            out[#out + 1] = c:query("SELECT has_database_privilege($1, $2, 'CONNECT') AS ok", {%(u)s, %(d)s})[1].ok
            out[#out + 1] = c:execute("SELECT 1").rows_affected
            c:close()
            return out''',
        "new": '''local c = pg.client_url("postgres://postgres@127.0.0.1:5432/test")
            local out = {c.users:exists(%(u)s), c.users:ensure(%(u)s, "pw"), c.users:ensure(%(u)s, "pw"),
                         c.users:exists(%(u)s), c.databases:ensure(%(d)s, %(u)s), c.databases:exists(%(d)s)}
            c.databases:grant(%(d)s, %(u)s)
            out[#out + 1] = c.queries:query("SELECT has_database_privilege($1, $2, 'CONNECT') AS ok", {%(u)s, %(d)s})[1].ok
            out[#out + 1] = c.queries:execute("SELECT 1").rows_affected
            c:close()
            return out''',
    }
    results = {}
    for gen, text in code.items():
        results[gen] = lua(REQ + text % {"u": q(admin.user()), "d": q(admin.database())})
    assert results["old"] == results["new"] == [False, True, False, True, True, True, True, 1]


def test_pg_client_url_percent_encoded_credentials(lua, lua_fails, admin):
    """postgres.client_url(url): a full URL whose user name and password are percent-encoded."""
    user = admin.user(admin.name("u") + " x@y")
    admin.conn.execute("CREATE ROLE %s LOGIN PASSWORD 'p@ss/w?rd#1'" % admin.ident(user))
    from urllib.parse import quote
    url = "postgresql://%s:%s@127.0.0.1:5432/test" % (quote(user, safe=""), quote("p@ss/w?rd#1", safe=""))
    assert lua(REQ + 'local c = pg.client_url(%s); local r = c:query("SELECT current_user AS u")[1].u; c:close(); '
                     'return r' % q(url)) == user
    # the positional form encodes the same credentials itself
    assert lua(REQ + 'local c = pg.client("127.0.0.1", 5432, %s, "p@ss/w?rd#1", "test"); '
                     'return c:query("SELECT current_user AS u")[1].u' % q(user)) == user
    err = lua_fails(REQ + 'pg.client_url("mysql://x@127.0.0.1/test")')
    assert err.endswith("postgres.client_url: url must be a postgres:// or postgresql:// URL")


class PasswordGate:
    """A relay in front of the real PostgreSQL that asks every client for a cleartext
    password (the machine's server trusts 127.0.0.1 and never asks), records what it got,
    then hands the session to the real server. It proves which password went on the wire."""

    def __init__(self):
        import socket
        import threading
        self.passwords = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    @staticmethod
    def _exact(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _session(self, client):
        import socket
        import struct
        import threading
        try:
            while True:  # SSL / GSS encryption requests are declined, then the startup message
                size = struct.unpack("!I", self._exact(client, 4))[0]
                startup = struct.pack("!I", size) + self._exact(client, size - 4)
                if struct.unpack("!I", startup[4:8])[0] in (80877103, 80877104):
                    client.sendall(b"N")
                    continue
                break
            client.sendall(b"R" + struct.pack("!II", 8, 3))           # AuthenticationCleartextPassword
            kind, size = struct.unpack("!cI", self._exact(client, 5))
            message = self._exact(client, size - 4)
            assert kind == b"p"
            self.passwords.append(message.rstrip(b"\0").decode("utf-8"))
            upstream = socket.create_connection((HOST, PORT))
            upstream.sendall(startup)
        except (ConnectionError, OSError, AssertionError):
            client.close()
            return

        def pipe(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def close(self):
        self.listener.close()


def test_pg_client_url_decodes_the_password_the_server_receives(lua, admin):
    """A user whose password holds URL-special characters (@ : / ? # % + space) logs in
    through client_url, and what reaches the wire is the decoded password, not its
    percent-encoded form."""
    from urllib.parse import quote
    password = "p@ss:w/rd?#%+ 1"
    user = admin.user(admin.name("u") + " x@y")
    admin.conn.execute("CREATE ROLE %s LOGIN PASSWORD %s" % (admin.ident(user),
                                                            "'%s'" % password.replace("'", "''")))
    gate = PasswordGate()
    try:
        url = "postgres://%s:%s@127.0.0.1:%d/test?sslmode=disable" % (quote(user, safe=""),
                                                                     quote(password, safe=""), gate.port)
        got = lua(REQ + 'local c = pg.client_url(%s); local r = c:query("SELECT current_user AS u")[1].u; '
                        'c:close(); return r' % q(url))
        assert got == user
        assert gate.passwords == [password]
        # the positional constructor encodes the same password itself
        got = lua(REQ + 'local c = pg.client("127.0.0.1", %d, %s, %s, "test"); '
                        'local r = c:query("SELECT current_user AS u")[1].u; c:close(); return r'
                  % (gate.port, q(user), q(password)))
        assert got == user and gate.passwords == [password, password]
    finally:
        gate.close()
