"""`db` builtin (builtins.md §14): DB-01..DB-10, against SQLite files, the local
PostgreSQL (127.0.0.1:5432) and MariaDB/MySQL (127.0.0.1:3306)."""
import time
import uuid

import pytest



def lstr(text):
    """A Lua long-bracket string literal."""
    return "[==[" + str(text) + "]==]"


def unique(prefix="assay_t"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:12])


@pytest.fixture(scope="module")
def pg_url(postgres_url):
    return postgres_url


@pytest.fixture(scope="module")
def my_url(mariadb_url):
    return mariadb_url


@pytest.fixture
def pg_table(pg_url):
    """A unique table name, dropped after the test."""
    name = unique()
    yield name
    import psycopg
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS %s" % name)


@pytest.fixture
def my_table(my_url):
    name = unique()
    yield name
    import pymysql
    c = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database="test")
    try:
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS %s" % name)
        c.commit()
    finally:
        c.close()


# ------------------------------------------------------------------ DB-01

def test_db_01_sqlite_memory_returns_handle(lua):
    """DB-01: db.connect("sqlite::memory:") returns a connection handle."""
    assert lua('local c = db.connect("sqlite::memory:"); local ok = c ~= nil; db.close(c); return ok') is True


def test_db_01_memory_connections_are_independent(lua):
    """DB-01: each in-memory connection is its own database."""
    code = """
    local a = db.connect("sqlite::memory:")
    local b = db.connect("sqlite::memory:")
    db.execute(a, "CREATE TABLE t (x INTEGER)")
    db.execute(a, "INSERT INTO t VALUES (1)")
    local ok, err = pcall(db.query, b, "SELECT * FROM t")
    return #db.query(a, "SELECT * FROM t"), ok, err
    """
    count, ok, err = lua(code)
    assert count == 1
    assert ok is False
    assert err.startswith("db.query: ") and "no such table" in err


# ------------------------------------------------------------------ DB-02

def test_db_02_execute_returns_rows_affected_sqlite(lua):
    """DB-02: execute returns {rows_affected=n}: INSERT 1, DELETE 2, as integers."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE t (x INTEGER)")
    local r1 = db.execute(c, "INSERT INTO t VALUES (?)", {1})
    db.execute(c, "INSERT INTO t VALUES (2)")
    local r2 = db.execute(c, "DELETE FROM t")
    return type(r1), r1.rows_affected, math.type(r1.rows_affected), r2.rows_affected, math.type(r2.rows_affected)
    """
    assert lua(code) == ("table", 1, "integer", 2, "integer")


def test_db_02_execute_rows_affected_postgres(lua, pg_url, pg_table):
    """DB-02: Postgres INSERT 1 / DELETE 2."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (x int)")
    local r1 = db.execute(c, "INSERT INTO %s VALUES ($1)", {1})
    db.execute(c, "INSERT INTO %s VALUES (2)")
    local r2 = db.execute(c, "DELETE FROM %s")
    db.close(c)
    return r1.rows_affected, math.type(r1.rows_affected), r2.rows_affected
    """ % (lstr(pg_url), pg_table, pg_table, pg_table, pg_table)
    assert lua(code) == (1, "integer", 2)


def test_db_02_execute_rows_affected_mysql(lua, my_url, my_table):
    """DB-02: MySQL INSERT 1 / DELETE 2."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (x INT)")
    local r1 = db.execute(c, "INSERT INTO %s VALUES (?)", {1})
    db.execute(c, "INSERT INTO %s VALUES (2)")
    local r2 = db.execute(c, "DELETE FROM %s")
    db.close(c)
    return r1.rows_affected, math.type(r1.rows_affected), r2.rows_affected
    """ % (lstr(my_url), my_table, my_table, my_table, my_table)
    assert lua(code) == (1, "integer", 2)


# ------------------------------------------------------------------ DB-03

def test_db_03_query_returns_rows_keyed_by_column(lua):
    """DB-03: an array of row tables keyed by column name, in order."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)")
    db.execute(c, "INSERT INTO users (name, age) VALUES (?, ?)", {"Alice", 30})
    db.execute(c, "INSERT INTO users (name, age) VALUES (?, ?)", {"Bob", 25})
    return db.query(c, "SELECT name, age FROM users ORDER BY id")
    """
    assert lua(code) == [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}]


def test_db_03_empty_result_is_empty_table(lua):
    """DB-03: no rows → an empty table."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE t (x INTEGER)")
    local rows = db.query(c, "SELECT * FROM t")
    return type(rows), #rows, next(rows) == nil
    """
    assert lua(code) == ("table", 0, True)


def test_db_03_duplicate_column_names_last_wins(lua):
    """DB-03: duplicate column names: the last one wins."""
    assert lua('local c = db.connect("sqlite::memory:") return db.query(c, "SELECT 1 AS a, 2 AS a")[1].a') == 2


def test_db_03_query_postgres_and_mysql(lua, pg_url, my_url):
    """DB-03: rows from Postgres and MySQL are keyed by column name."""
    for url in (pg_url, my_url):
        code = """
        local c = db.connect(%s)
        local rows = db.query(c, "SELECT 1 AS one, 'x' AS two UNION ALL SELECT 2, 'y'")
        db.close(c)
        return rows
        """ % lstr(url)
        assert lua(code) == [{"one": 1, "two": "x"}, {"one": 2, "two": "y"}], url


# ------------------------------------------------------------------ DB-04

def test_db_04_sqlite_binds_every_parameter_type(lua):
    """DB-04: nil, boolean, integer, float and string parameters bind (SQLite `?`)."""
    code = """
    local c = db.connect("sqlite::memory:")
    local r = db.query(c, "SELECT ? AS i, ? AS f, ? AS s, ? AS b, ? AS n, typeof(?) AS tn", {42, 1.5, "hi", true, nil, nil})
    return r[1]
    """
    # trailing nils are not part of the table: the last two placeholders are unbound, i.e. NULL
    assert lua(code) == {"i": 42, "f": 1.5, "s": "hi", "b": 1, "tn": "null"}


@pytest.mark.parametrize("driver", ["sqlite", "postgres", "mysql"])
def test_db_04_nil_in_the_middle_binds_null(lua, driver, request):
    """DB-04: a nil between values binds NULL and does not cut the parameter list short."""
    if driver == "sqlite":
        url, sql = "sqlite::memory:", "SELECT ? AS a, ? AS b, ? AS c"
    elif driver == "postgres":
        url, sql = request.getfixturevalue("pg_url"), "SELECT $1::text AS a, $2::text AS b, $3::text AS c"
    else:
        url, sql = request.getfixturevalue("my_url"), "SELECT ? AS a, ? AS b, ? AS c"
    code = """
    local c = db.connect(%s)
    local r = db.query(c, %s, {"x", nil, "z"})[1]
    db.close(c)
    return r
    """ % (lstr(url), lstr(sql))
    assert lua(code) == {"a": "x", "c": "z"}


def test_db_04_postgres_placeholders_in_quotes_and_comments_are_text(lua, pg_url):
    """DB-04: `$n` inside literals, dollar quotes and comments is not a parameter; a missing trailing value is NULL."""
    sql = ("SELECT $1::text AS a, '$2' AS b, $$ $3 $$ AS c, $tag$ $4 $tag$ AS d, E'\\' $5' AS e, "
           "/* $6 /* $7 */ */ 1 AS f, $2::text AS g -- $8\n")
    code = """
    local c = db.connect(%s)
    local r = db.query(c, %s, {"x"})[1]
    db.close(c)
    return r
    """ % (lstr(pg_url), lstr(sql))
    assert lua(code) == {"a": "x", "b": "$2", "c": " $3 ", "d": " $4 ", "e": "' $5", "f": 1}


def test_db_04_mysql_placeholders_in_quotes_and_comments_are_text(lua, my_url):
    """DB-04: `?` inside quotes and comments is not a placeholder (MySQL)."""
    sql = "SELECT ? AS a, '?\\'?' AS b, \"?\" AS c, /* ? */ 1 AS d, `x?` AS e FROM (SELECT 1 AS `x?`) t # ?\n"
    code = """
    local c = db.connect(%s)
    local r = db.query(c, %s, {"v"})[1]
    db.close(c)
    return r
    """ % (lstr(my_url), lstr(sql))
    assert lua(code) == {"a": "v", "b": "?'?", "c": "?", "d": 1, "e": 1}


def test_db_04_sqlite_numbered_placeholders(lua):
    """DB-04: SQLite `?NNN` and `$NNN` refer to parameters by number."""
    code = """
    local c = db.connect("sqlite::memory:")
    return db.query(c, "SELECT ?2 AS a, $1 AS b, ?1 AS c", {"one", "two"})[1]
    """
    assert lua(code) == {"a": "two", "b": "one", "c": "one"}


def test_db_04_question_mark_in_literal_is_not_a_placeholder(lua):
    """DB-04: `?` inside a quoted literal stays text."""
    code = """
    local c = db.connect("sqlite::memory:")
    return db.query(c, "SELECT '?' AS q, ? AS p", {"v"})[1]
    """
    assert lua(code) == {"q": "?", "p": "v"}


def test_db_04_postgres_dollar_placeholders(lua, pg_url):
    """DB-04: Postgres `$n` may repeat and appear out of order; literal % is safe."""
    code = """
    local c = db.connect(%s)
    local r = db.query(c, "SELECT $2::int AS a, $1 AS b, $1 || '%%' AS c, $3::float8 AS f, $4::bool AS t, $5::text AS n",
                       {"x", 7, 2.5, true, nil})
    db.close(c)
    return r[1]
    """ % lstr(pg_url)
    assert lua(code) == {"a": 7, "b": "x", "c": "x%", "f": 2.5, "t": True}


def test_db_04_postgres_binds_all_types_into_table(lua, pg_url, pg_table):
    """DB-04: Postgres nil/bool/int/float/string parameters round-trip through a table."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (i bigint, f double precision, s text, b boolean, n text)")
    db.execute(c, "INSERT INTO %s VALUES ($1, $2, $3, $4, $5)", {9007199254740993, 0.25, "50%% off", false, nil})
    local r = db.query(c, "SELECT * FROM %s")
    db.close(c)
    return r[1], math.type(r[1].i)
    """ % (lstr(pg_url), pg_table, pg_table, pg_table)
    row, itype = lua(code)
    assert row == {"i": 9007199254740993, "f": 0.25, "s": "50% off", "b": False}
    assert itype == "integer"


def test_db_04_mysql_question_placeholders(lua, my_url):
    """DB-04: MySQL `?` placeholders; `?` in quotes and literal % are left alone."""
    code = """
    local c = db.connect(%s)
    local r = db.query(c, "SELECT ? AS a, ? AS b, CONCAT(?, '%%') AS c, '?' AS q, ? AS f, ? AS t",
                       {5, "it's", "x", 1.25, true})
    db.close(c)
    return r[1]
    """ % lstr(my_url)
    assert lua(code) == {"a": 5, "b": "it's", "c": "x%", "q": "?", "f": 1.25, "t": 1}


def test_db_04_mysql_binds_null(lua, my_url, my_table):
    """DB-04: a nil parameter inserts NULL (MySQL)."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (a INT, b VARCHAR(10))")
    db.execute(c, "INSERT INTO %s VALUES (?, ?)", {nil, "x"})
    local r = db.query(c, "SELECT a, b, a IS NULL AS isnull FROM %s")
    db.close(c)
    return r[1]
    """ % (lstr(my_url), my_table, my_table, my_table)
    assert lua(code) == {"b": "x", "isnull": 1}


# ------------------------------------------------------------------ DB-05

def test_db_05_sqlite_column_types(lua):
    """DB-05: INTEGER → integer, REAL → float, TEXT → string, NULL → nil, BOOLEAN → boolean."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT, b BOOLEAN, blob BLOB)")
    db.execute(c, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", {3, 2, "text", nil, true, "raw"})
    local row = db.query(c, "SELECT * FROM t")[1]
    return math.type(row.i), row.i, math.type(row.r), row.r, row.s, row.n == nil, row.b, row.blob,
           math.type(db.query(c, "SELECT count(*) AS n FROM t")[1].n)
    """
    assert lua(code) == ("integer", 3, "float", 2.0, "text", True, True, "raw", "integer")


def test_db_05_postgres_column_types(lua, pg_url):
    """DB-05: Postgres int2/4/8 → integer, float4/8 → float, text → string, NULL → absent, bool → boolean."""
    code = """
    local c = db.connect(%s)
    local r = db.query(c, "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 1.5::float4 AS d, 2.5::float8 AS e, "
      .. "'t'::text AS f, 'v'::varchar AS g, NULL::int AS h, true AS i, false AS j")[1]
    db.close(c)
    return r, math.type(r.a), math.type(r.c), math.type(r.e)
    """ % lstr(pg_url)
    row, ta, tc, te = lua(code)
    assert row == {"a": 1, "b": 2, "c": 3, "d": 1.5, "e": 2.5, "f": "t", "g": "v", "i": True, "j": False}
    assert (ta, tc, te) == ("integer", "integer", "float")


def test_db_05_mysql_column_types(lua, my_url, my_table):
    """DB-05: MySQL integer types → integers, DOUBLE/FLOAT → float, BOOLEAN → 0/1, text → string."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (a TINYINT, b SMALLINT, c INT, d BIGINT, e DOUBLE, f FLOAT, g BOOLEAN, h VARCHAR(5), i TEXT, j INT)")
    db.execute(c, "INSERT INTO %s VALUES (1, 2, 3, 4, 1.5, 0.5, TRUE, 'x', 'long', NULL)")
    local r = db.query(c, "SELECT * FROM %s")[1]
    db.close(c)
    return r, math.type(r.d), math.type(r.e), math.type(r.g)
    """ % (lstr(my_url), my_table, my_table, my_table)
    row, td, te, tg = lua(code)
    assert row == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 1.5, "f": 0.5, "g": 1, "h": "x", "i": "long"}
    assert (td, te, tg) == ("integer", "float", "integer")


# ------------------------------------------------------------------ DB-06

def test_db_06_sql_errors_name_the_function(lua):
    """DB-06: SQL errors raise `db.execute: ...` / `db.query: ...` with the driver's message."""
    code = """
    local c = db.connect("sqlite::memory:")
    local ok1, e1 = pcall(db.execute, c, "INSERT INTO missing VALUES (1)")
    local ok2, e2 = pcall(db.query, c, "SELEC 1")
    return ok1, e1, ok2, e2
    """
    ok1, e1, ok2, e2 = lua(code)
    assert ok1 is False and e1.startswith("db.execute: ") and "no such table: missing" in e1
    assert ok2 is False and e2.startswith("db.query: ") and "syntax error" in e2


def test_db_06_postgres_error_is_one_line(lua, pg_url):
    """DB-06: Postgres errors are one line with the server's message, no traceback."""
    code = """
    local c = db.connect(%s)
    local ok, e = pcall(db.query, c, "SELEC 1")
    local ok2, e2 = pcall(db.execute, c, "SELECT * FROM assay_no_such_table_xyz")
    db.close(c)
    return ok, e, ok2, e2
    """ % lstr(pg_url)
    ok, e, ok2, e2 = lua(code)
    assert ok is False and e.startswith("db.query: ") and 'syntax error at or near "SELEC"' in e
    assert "\n" not in e and "Traceback" not in e
    assert ok2 is False and e2.startswith("db.execute: ") and "does not exist" in e2


def test_db_06_mysql_error(lua, my_url):
    """DB-06: MySQL errors carry the server message."""
    code = """
    local c = db.connect(%s)
    local ok, e = pcall(db.query, c, "SELECT * FROM assay_no_such_table_xyz")
    db.close(c)
    return ok, e
    """ % lstr(my_url)
    ok, e = lua(code)
    assert ok is False and e.startswith("db.query: ") and "doesn't exist" in e and "\n" not in e


# ------------------------------------------------------------------ DB-07

@pytest.mark.parametrize("fn,call", [
    ("db.query", 'db.query({}, "SELECT 1")'),
    ("db.execute", 'db.execute("sqlite::memory:", "SELECT 1")'),
    ("db.close", "db.close(nil)"),
    ("db.query", 'db.query(setmetatable({}, {}), "SELECT 1")'),
])
def test_db_07_bad_handle(lua_fails, fn, call):
    """DB-07: a first argument that is not a handle raises `<fn>: first argument must be a db connection`."""
    assert lua_fails(call) == "%s: first argument must be a db connection" % fn


@pytest.mark.parametrize("fn", ["query", "execute"])
@pytest.mark.parametrize("sql", ["nil", "42", "{}"])
def test_db_07_sql_must_be_string(lua_fails, fn, sql):
    """DB-07: SQL not a string raises `db.<fn>: second argument must be a SQL string`."""
    code = 'local c = db.connect("sqlite::memory:") db.%s(c, %s)' % (fn, sql)
    assert lua_fails(code) == "db.%s: second argument must be a SQL string" % fn


@pytest.mark.parametrize("params", ['"x"', "5", "true"])
def test_db_07_params_must_be_table(lua_fails, params):
    """DB-07: params other than a table or nil raise the exact message."""
    code = 'local c = db.connect("sqlite::memory:") db.query(c, "SELECT ?", %s)' % params
    assert lua_fails(code) == "db: params must be a table (array) or nil"


@pytest.mark.parametrize("value,kind", [("{}", "table"), ("print", "function"),
                                        ("coroutine.create(print)", "thread")])
def test_db_07_unsupported_parameter_type(lua_fails, value, kind):
    """DB-07: a parameter of another type raises `db: unsupported parameter type: <type>`."""
    code = 'local c = db.connect("sqlite::memory:") db.execute(c, "SELECT ?", {%s})' % value
    assert lua_fails(code) == "db: unsupported parameter type: %s" % kind


def test_db_07_nil_params_is_fine(lua):
    """DB-07: params nil is accepted."""
    assert lua('local c = db.connect("sqlite::memory:") return db.query(c, "SELECT 1 AS x", nil)[1].x') == 1


# ------------------------------------------------------------------ DB-08

@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_db_08_postgres_urls_connect(lua, pg_url, scheme):
    """DB-08: postgres:// and postgresql:// URLs connect."""
    url = scheme + pg_url[len("postgres"):]
    code = 'local c = db.connect(%s) local r = db.query(c, "SELECT current_database() AS d") db.close(c) return r[1].d' % lstr(url)
    assert lua(code) == "test"


def test_db_08_mysql_url_connects(lua, my_url):
    """DB-08: mysql:// connects (MariaDB)."""
    code = 'local c = db.connect(%s) local r = db.query(c, "SELECT DATABASE() AS d") db.close(c) return r[1].d' % lstr(my_url)
    assert lua(code) == "test"


@pytest.mark.parametrize("url", ["postgres://postgres@127.0.0.1:1/test", "mysql://root@127.0.0.1:1/test"])
def test_db_08_refused_connection(lua_fails, url):
    """DB-08: a refused connection raises `db.connect: <detail>` on one line."""
    message = lua_fails("db.connect(%s)" % lstr(url))
    assert message.startswith("db.connect: ") and "refused" in message.lower()
    assert "\n" not in message


@pytest.mark.parametrize("url", ["foo://bar", "not a url", ""])
def test_db_08_unsupported_url(lua_fails, url):
    """DB-08: an unknown scheme raises `db.connect: ...`."""
    assert lua_fails("db.connect(%s)" % lstr(url)).startswith("db.connect: ")


def test_db_08_connect_needs_a_string(lua_fails):
    assert lua_fails("db.connect({})").startswith("db.connect: ")


def test_db_08_sqlite_file_forms(lua, tmp_path, monkeypatch):
    """DB-08 (§14 URL forms): sqlite://rel, sqlite:rel, sqlite:///abs; a missing file needs ?mode=rwc."""
    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "abs.db"
    code = """
    local ok, err = pcall(db.connect, "sqlite://rel.db")
    local c = db.connect("sqlite://rel.db?mode=rwc")
    db.execute(c, "CREATE TABLE t (x INTEGER)")
    db.execute(c, "INSERT INTO t VALUES (5)")
    db.close(c)
    local c2 = db.connect("sqlite:rel.db")
    local n = db.query(c2, "SELECT x FROM t")[1].x
    db.close(c2)
    local c3 = db.connect("sqlite://%s?mode=rwc")
    db.execute(c3, "CREATE TABLE u (y TEXT)")
    db.close(c3)
    local ro = db.connect("sqlite:rel.db?mode=ro")
    local ok2, err2 = pcall(db.execute, ro, "INSERT INTO t VALUES (6)")
    db.close(ro)
    return ok, err, n, ok2, err2
    """ % absolute
    ok, err, n, ok2, err2 = lua(code)
    assert ok is False and err.startswith("db.connect: ") and "unable to open database file" in err
    assert n == 5
    assert (tmp_path / "rel.db").exists() and absolute.exists()
    assert ok2 is False and err2.startswith("db.execute: ") and "readonly" in err2


# ------------------------------------------------------------------ DB-09

def test_db_09_closed_handle_raises(lua):
    """DB-09: after db.close, using the handle raises; closing twice is harmless."""
    code = """
    local c = db.connect("sqlite::memory:")
    local r = {db.close(c)}
    local ok1, e1 = pcall(db.query, c, "SELECT 1")
    local ok2, e2 = pcall(db.execute, c, "SELECT 1")
    local ok3 = pcall(db.close, c)
    return #r, ok1, e1, ok2, e2, ok3
    """
    n, ok1, e1, ok2, e2, ok3 = lua(code)
    assert n == 0
    assert ok1 is False and e1.startswith("db.query: ") and "closed" in e1
    assert ok2 is False and e2.startswith("db.execute: ") and "closed" in e2
    assert ok3 is True


def test_db_09_close_postgres_ends_the_session(lua, pg_url):
    """DB-09: db.close really closes the server connection."""
    tag = unique("assay_app")
    code = """
    local c = db.connect(%s)
    db.close(c)
    return pcall(db.query, c, "SELECT 1")
    """ % lstr(pg_url + "?application_name=" + tag)
    ok, err = lua(code)
    assert ok is False and "closed" in err
    assert _pg_sessions(pg_url, tag, 0) == 0


def _pg_sessions(pg_url, tag, want, timeout=5):
    import psycopg
    deadline = time.time() + timeout
    with psycopg.connect(pg_url, autocommit=True) as admin:
        while True:
            n = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                              (tag,)).fetchone()[0]
            if n == want or time.time() > deadline:
                return n
            time.sleep(0.05)


def test_db_09_dropped_handle_is_closed_by_gc(lua, pg_url):
    """DB-09: a handle the script drops is closed after it is collected (no leaked sessions)."""
    tag = unique("assay_gc")
    code = """
    for i = 1, 3 do
      local c = db.connect(%s)
      db.query(c, "SELECT 1")
    end
    collectgarbage(); collectgarbage()
    db.close(db.connect("sqlite::memory:"))  -- the next db call closes collected handles
    return true
    """ % lstr(pg_url + "?application_name=" + tag)
    assert lua(code) is True
    assert _pg_sessions(pg_url, tag, 0) == 0


# ------------------------------------------------------------------ DB-10

def test_db_10_postgres_special_types_as_strings(lua, pg_url):
    """DB-10: date/time, UUID, decimal and JSON columns come back as strings."""
    code = """
    local c = db.connect(%s)
    local r = db.query(c, "SELECT DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS ts, "
      .. "TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, TIME '10:11:12' AS t, "
      .. "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid AS u, 12.50::numeric(10,2) AS n, "
      .. "'{\\"a\\": [1, 2]}'::json AS j, '{\\"b\\":1}'::jsonb AS jb, INTERVAL '1 day' AS iv")[1]
    db.close(c)
    return r
    """ % lstr(pg_url)
    row = lua(code)
    assert row == {
        "d": "2024-01-02", "ts": "2024-01-02T03:04:05", "tz": "2024-01-02T03:04:05+00", "t": "10:11:12",
        "u": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "n": "12.50", "j": '{"a": [1, 2]}', "jb": '{"b": 1}',
        "iv": "1 day",
    }


def test_db_10_mysql_special_types_as_strings(lua, my_url, my_table):
    """DB-10: MySQL DATE/DATETIME/TIMESTAMP/DECIMAL/JSON columns come back as strings."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (d DATE, dt DATETIME, ts TIMESTAMP NULL, n DECIMAL(10,2), j JSON, u CHAR(36))")
    db.execute(c, "INSERT INTO %s VALUES ('2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05', 12.5, '{\\"a\\": 1}', ?)",
               {"6ba7b810-9dad-11d1-80b4-00c04fd430c8"})
    local r = db.query(c, "SELECT * FROM %s")[1]
    db.close(c)
    return r
    """ % (lstr(my_url), my_table, my_table, my_table)
    row = lua(code)
    assert row["d"] == "2024-01-02"
    assert row["dt"] == "2024-01-02T03:04:05"
    assert row["ts"] == "2024-01-02T03:04:05"
    assert row["n"] == "12.50"
    assert row["u"] == "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    import json
    assert json.loads(row["j"]) == {"a": 1}


# ------------------------------------------------------------------ §14 Note: one connection per handle

def test_db_transactions_across_execute_calls_sqlite(lua, tmp_path):
    """§14 Note: BEGIN/ROLLBACK through separate db.execute calls act on one connection."""
    code = """
    local c = db.connect("sqlite://%s?mode=rwc")
    db.execute(c, "CREATE TABLE t (x INTEGER)")
    db.execute(c, "BEGIN")
    db.execute(c, "INSERT INTO t VALUES (1)")
    local inside = #db.query(c, "SELECT * FROM t")
    db.execute(c, "ROLLBACK")
    local after = #db.query(c, "SELECT * FROM t")
    db.execute(c, "BEGIN")
    db.execute(c, "INSERT INTO t VALUES (2)")
    db.execute(c, "COMMIT")
    return inside, after, #db.query(c, "SELECT * FROM t")
    """ % (tmp_path / "tx.db")
    assert lua(code) == (1, 0, 1)


def test_db_transactions_across_execute_calls_postgres(lua, pg_url, pg_table):
    """§14 Note: explicit transactions work on Postgres handles."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (x int)")
    db.execute(c, "BEGIN")
    db.execute(c, "INSERT INTO %s VALUES (1)")
    local inside = #db.query(c, "SELECT * FROM %s")
    db.execute(c, "ROLLBACK")
    local after = #db.query(c, "SELECT * FROM %s")
    db.close(c)
    return inside, after
    """ % (lstr(pg_url), pg_table, pg_table, pg_table, pg_table)
    assert lua(code) == (1, 0)


def test_db_transactions_across_execute_calls_mysql(lua, my_url, my_table):
    """§14 Note: explicit transactions work on MySQL handles (InnoDB)."""
    code = """
    local c = db.connect(%s)
    db.execute(c, "CREATE TABLE %s (x INT) ENGINE=InnoDB")
    db.execute(c, "START TRANSACTION")
    db.execute(c, "INSERT INTO %s VALUES (1)")
    local inside = #db.query(c, "SELECT * FROM %s")
    db.execute(c, "ROLLBACK")
    local after = #db.query(c, "SELECT * FROM %s")
    db.close(c)
    return inside, after
    """ % (lstr(my_url), my_table, my_table, my_table, my_table)
    assert lua(code) == (1, 0)


# ------------------------------------------------------------------ runtime §6.1: db calls yield

def test_db_calls_yield_to_other_tasks(lua, pg_url):
    """RT §6.1: db.query is yielding — a task keeps running while a slow query waits."""
    code = """
    local c = db.connect(%s)
    local ticks = 0
    local h = async.spawn(function()
      for i = 1, 5 do sleep(0.05); ticks = ticks + 1 end
    end)
    db.query(c, "SELECT pg_sleep(0.5)")
    local during = ticks
    h.await()
    db.close(c)
    return during
    """ % lstr(pg_url)
    assert lua(code) == 5


def test_db_parallel_queries_on_two_handles(lua, pg_url):
    """RT §6.1: two tasks with their own handles wait concurrently."""
    code = """
    local a, b = db.connect(%s), db.connect(%s)
    local t0 = time()
    local h1 = async.spawn(function() return db.query(a, "SELECT 1 AS x FROM pg_sleep(2)")[1].x end)
    local h2 = async.spawn(function() return db.query(b, "SELECT 1 AS x FROM pg_sleep(2)")[1].x end)
    local r1, r2 = h1.await()[1], h2.await()[1]
    return r1, r2, time() - t0
    """ % (lstr(pg_url), lstr(pg_url))
    r1, r2, elapsed = lua(code)
    assert (r1, r2) == (1, 1)
    assert elapsed < 3.6  # one after the other would take 4 s


def test_db_shared_handle_between_tasks(lua):
    """One handle used by several tasks at once stays consistent (calls are serialised)."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE t (x INTEGER)")
    local hs = {}
    for i = 1, 10 do hs[i] = async.spawn(function() return db.execute(c, "INSERT INTO t VALUES (?)", {i}).rows_affected end) end
    local sum = 0
    for i = 1, 10 do sum = sum + hs[i].await()[1] end
    return sum, db.query(c, "SELECT count(*) AS n, sum(x) AS s FROM t")[1]
    """
    assert lua(code) == (10, {"n": 10, "s": 55})


def test_db_inside_user_coroutine(lua):
    """RT-37: db calls also work inside a coroutine the script created."""
    code = """
    local co = coroutine.wrap(function()
      local c = db.connect("sqlite::memory:")
      return db.query(c, "SELECT 7 AS x")[1].x
    end)
    return co()
    """
    assert lua(code) == 7


def test_db_example_from_spec(assay):
    """§14 example runs as a script."""
    code = """
    local c = db.connect("sqlite::memory:")
    db.execute(c, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)")
    local r = db.execute(c, "INSERT INTO users (name, age) VALUES (?, ?)", {"Alice", 30})
    assert.eq(r.rows_affected, 1)
    local rows = db.query(c, "SELECT name, age FROM users WHERE age > ?", {18})
    assert.eq(rows[1].name, "Alice")
    db.close(c)
    print("ok " .. rows[1].age)
    """
    result = assay("exec", "-e", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok 30\n"
