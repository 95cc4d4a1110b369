"""`db` — SQL on Postgres, MySQL/MariaDB and SQLite.

`db.connect/query/execute/close` are yielding: the driver call runs on a worker
thread (`InThread`) while other tasks go on. Worker threads only see plain Python
data: parameters are converted before the op, rows become Lua tables on the loop
thread afterwards.

Connections live in a per-VM Python registry keyed by an integer id; Lua holds a
table with a private metatable (see `lua/db.lua`) that maps to that id, never a Python
object. Each handle is one connection (spec Note: so BEGIN/COMMIT through separate
`db.execute` calls work), guarded by a lock because tasks may share a handle.

Drivers are imported lazily: psycopg 3 (`postgres://`, `postgresql://`), PyMySQL
(`mysql://`), sqlite3 (`sqlite:` forms).

Placeholders are taken as the original's drivers take them:
- Postgres `$1, $2, ...` go to the server untouched (psycopg's RawCursor), so `%`
  needs no escaping and `$n` may repeat or come out of order;
- MySQL `?` are replaced, outside quotes and comments, by escaped literals;
- SQLite `?`, `?NNN` and `$NNN` are rewritten to `?NNN` and bound by number
  (plain `?` count on from 1 across the statements; unbound numbers are NULL).

Column values: integers stay integers, floats floats, booleans booleans, NULL is
absent; text types are strings; date/time (ISO 8601), UUID, JSON and decimal
columns come back as their canonical text (spec Note, DB-10), binary columns as
the raw bytes.
"""
import re
import threading
import weakref

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.logs import logger, quoted
from assay.runtime.luaengine import lua_type
from assay.runtime.scheduler import InThread
from . import lua_file


CLOSED = "attempted to acquire a connection on a closed pool"


# ---------------------------------------------------------------------------
# Registry of open connections (one per VM)

class _Conn:
    __slots__ = ("driver", "raw", "lock", "closed")

    def __init__(self, driver, raw):
        self.driver = driver
        self.raw = raw
        self.lock = threading.Lock()
        self.closed = False


class _Registry:
    def __init__(self):
        self.conns = {}
        self.next_id = 0
        self.guard = threading.Lock()

    def add(self, conn):
        with self.guard:
            self.next_id += 1
            self.conns[self.next_id] = conn
            return self.next_id

    def get(self, cid, who):
        conn = self.conns.get(cid)
        if conn is None or conn.closed:
            raise BuiltinError("%s: %s" % (who, CLOSED))
        return conn

    def close_all(self):
        """Close what is still open (VM collected or interpreter exit)."""
        with self.guard:
            conns, self.conns = list(self.conns.values()), {}
        for conn in conns:
            # a connection busy in a worker thread is left to the OS
            if conn.lock.acquire(timeout=0.5):
                try:
                    _close_raw(conn)
                finally:
                    conn.lock.release()


def _close_raw(conn):
    if conn.closed:
        return
    conn.closed = True
    try:
        conn.raw.close()
    except Exception:
        pass


# ---------------------------------------------------------------------------
# Arguments (read on the loop thread, during the call)

def _sql(v, who):
    if not isinstance(v, bytes):
        raise BuiltinError(who + ": second argument must be a SQL string")
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuiltinError("%s: SQL is not valid UTF-8: %s" % (who, e)) from None


MAX_PARAMS = 65535


def _params(v):
    """Parameters 1..n, n the largest positive integer key, holes bound as NULL.

    (Lua 5.5's `#` stops at the first nil, so `{"a", nil, "c"}` would otherwise
    lose its third value.)
    """
    if v is None:
        return []
    if lua_type(v) != "table":
        raise BuiltinError("db: params must be a table (array) or nil")
    found = {k: x for k, x in v.items() if type(k) is int and k >= 1}
    n = max(found, default=0)
    if n > MAX_PARAMS:
        raise BuiltinError("db: too many parameters (%d, at most %d)" % (n, MAX_PARAMS))
    out = []
    for i in range(1, n + 1):
        x = found.get(i)
        if x is None or isinstance(x, (bool, int, float)):
            out.append(x)
        elif isinstance(x, bytes):
            try:
                out.append(x.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(x)  # not text: bound as binary
        else:
            raise BuiltinError("db: unsupported parameter type: %s" % _type_name(x))
    return out


_type_name = args.type_name


def _one_line(text):
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


# ---------------------------------------------------------------------------
# SQL scanning: find placeholders outside quotes and comments

def _scan(sql, dialect):
    """Yield (start, end, kind) for placeholders and statement ends outside quotes/comments.

    dialect "sqlite": `?`, `?NNN`, `$NNN`; "mysql": `?`; "postgres": `$NNN`.
    kind: "?" (plain), "?N"/"$N" (numbered: the digits follow the first character), ";".
    """
    i, n = 0, len(sql)
    quotes = {"sqlite": "'\"`[", "mysql": "'\"`", "postgres": "'\""}[dialect]
    while i < n:
        c = sql[i]
        if c in quotes:
            close = "]" if c == "[" else c
            backslash = (dialect == "mysql" and c != "`") or (
                dialect == "postgres" and c == "'" and i > 0 and sql[i - 1] in "eE"
                and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_")))
            j = i + 1
            while j < n:
                d = sql[j]
                if d == "\\" and backslash:
                    j += 2
                    continue
                if d == close:
                    if j + 1 < n and sql[j + 1] == close and close != "]":
                        j += 2  # doubled quote
                        continue
                    break
                j += 1
            i = j + 1
        elif c == "-" and sql.startswith("--", i) and (dialect != "mysql" or i + 2 >= n or sql[i + 2] in " \t\r\n"):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "#" and dialect == "mysql":
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and sql.startswith("/*", i):
            if dialect == "postgres":  # block comments nest
                depth, j = 1, i + 2
                while j < n and depth:
                    if sql.startswith("/*", j):
                        depth, j = depth + 1, j + 2
                    elif sql.startswith("*/", j):
                        depth, j = depth - 1, j + 2
                    else:
                        j += 1
                i = j
            else:
                j = sql.find("*/", i + 2)
                i = n if j < 0 else j + 2
        elif c == "?" and dialect != "postgres":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1 and dialect == "sqlite":
                yield i, j, "?N"
                i = j
            else:
                yield i, i + 1, "?"
                i += 1
        elif c == "$" and dialect != "mysql":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                yield i, j, "$N"
                i = j
                continue
            while dialect == "postgres" and j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            if dialect == "postgres" and j < n and sql[j] == "$":  # $tag$ ... $tag$
                tag = sql[i:j + 1]
                end = sql.find(tag, j + 1)
                i = n if end < 0 else end + len(tag)
            else:
                i += 1
        elif c == ";":
            yield i, i + 1, ";"
            i += 1
        elif c.isalnum() or c == "_":
            j = i + 1  # identifiers and numbers, which may contain `$`
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            i = j
        else:
            i += 1


# ---------------------------------------------------------------------------
# SQLite

_sqlite_converters = False


def _sqlite_bool(raw):
    try:
        return float(raw) != 0
    except ValueError:
        return False


def _sqlite_open(url):
    import sqlite3
    from urllib.parse import parse_qsl, quote, unquote
    global _sqlite_converters
    if not _sqlite_converters:
        # declared BOOLEAN/BOOL columns read as booleans (only on our connections,
        # which are the ones opened with detect_types)
        for name in ("BOOLEAN", "BOOL"):
            sqlite3.register_converter(name, _sqlite_bool)
        _sqlite_converters = True
    rest = url[len("sqlite://"):] if url.startswith("sqlite://") else url[len("sqlite:"):]
    database, _, query = rest.partition("?")
    memory = database == ":memory:"
    options = {"mode": "rw"}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "mode":
            if value not in ("ro", "rw", "rwc", "memory"):
                raise BuiltinError("db.connect: unknown value %r for `mode`" % value)
            if value == "memory":
                memory = True
                options["cache"] = "shared"
            options["mode"] = value
        elif key == "cache":
            if value not in ("private", "shared"):
                raise BuiltinError("db.connect: unknown value %r for `cache`" % value)
            options["cache"] = value
        elif key == "immutable":
            if value not in ("true", "false"):
                raise BuiltinError("db.connect: unknown value %r for `immutable`" % value)
            if value == "true":
                options["immutable"] = "1"
        elif key == "vfs":
            options["vfs"] = value
        else:
            raise BuiltinError("db.connect: unknown query parameter `%s` while parsing connection URL" % key)
    if database == ":memory:":
        target, uri = ":memory:", False
    else:
        path = unquote(database)
        if not path:
            raise BuiltinError("db.connect: missing SQLite database path in URL")
        if memory:
            options["mode"] = "memory"
        encoded = quote(path, safe="/")
        target = ("file://" + encoded if path.startswith("/") else "file:" + encoded)
        target += "?" + "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in options.items())
        uri = True

    def open_():
        try:
            conn = sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False,
                                   detect_types=sqlite3.PARSE_DECLTYPES, timeout=5.0)
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as e:
            raise BuiltinError("db.connect: " + _sqlite_error(e)) from None
        return conn
    return open_


def _sqlite_error(e):
    code = getattr(e, "sqlite_errorcode", None)
    text = _one_line(e)
    if code is None:
        return text
    return "error returned from database: (code: %d) %s" % (code, text)


def _sqlite_split(sql):
    """Statements of `sql`, each with placeholders rewritten to ?NNN, and the highest number."""
    import sqlite3
    statements, current, start, plain, highest = [], [], 0, 0, 0
    for s, e, kind in _scan(sql, "sqlite"):
        if kind == ";":
            current.append(sql[start:e])
            start = e
            text = "".join(current)
            if sqlite3.complete_statement(text):
                statements.append(text)
                current = []
            continue
        current.append(sql[start:s])
        if kind == "?":
            plain += 1
            number = plain
        else:
            number = int(sql[s + 1:e])
        highest = max(highest, number)
        current.append("?%d" % number)
        start = e
    current.append(sql[start:])
    tail = "".join(current)
    if tail.strip():
        statements.append(tail)
    return statements, highest


def _sqlite_run(raw, sql, params, want_rows):
    import sqlite3
    statements, highest = _sqlite_split(sql)
    binding = {str(i + 1): params[i] if i < len(params) else None
               for i in range(max(highest, len(params)))}
    rows, affected = [], 0
    try:
        cur = raw.cursor()
        for statement in statements:
            if not _has_code(statement):
                continue
            cur.execute(statement, binding)
            if cur.description is not None:
                names = [d[0] for d in cur.description]
                fetched = cur.fetchall()
                if want_rows:
                    rows.extend(dict(zip(names, r)) for r in fetched)
                else:
                    affected += len(fetched) if cur.rowcount < 0 else cur.rowcount
            elif cur.rowcount > 0:
                affected += cur.rowcount
    except sqlite3.Error as e:
        raise _Failed(_sqlite_error(e)) from None
    return rows, affected


def _has_code(statement):
    """False for statements that are only whitespace, `;` and comments."""
    s = statement
    while True:
        s = s.lstrip().lstrip(";").lstrip()
        if s.startswith("--"):
            j = s.find("\n")
            s = "" if j < 0 else s[j + 1:]
        elif s.startswith("/*"):
            j = s.find("*/")
            s = "" if j < 0 else s[j + 2:]
        else:
            return bool(s)


# ---------------------------------------------------------------------------
# Postgres (psycopg 3)

_PG_BOOL, _PG_INTS, _PG_FLOATS = 16, (20, 21, 23, 26), (700, 701)
_PG_BYTEA, _PG_TIMESTAMPS = 17, (1114, 1184)


def _pg_open(url):
    from urllib.parse import urlsplit

    def open_():
        import psycopg
        kwargs = {"autocommit": True, "cursor_factory": psycopg.RawCursor, "client_encoding": "utf8"}
        query = urlsplit(url).query
        if "connect_timeout" not in query:
            kwargs["connect_timeout"] = 30
        if "options" not in query:
            # the original's session settings: ISO dates, UTC
            kwargs["options"] = "-c DateStyle=ISO,MDY -c TimeZone=UTC"
        try:
            conn = psycopg.connect(url, **kwargs)
            from psycopg.types.numeric import Int8Dumper
            conn.adapters.register_dumper(int, Int8Dumper)  # integers bind as BIGINT
        except psycopg.Error as e:
            raise BuiltinError("db.connect: " + _pg_error(e)) from None
        return conn
    return open_


def _pg_error(e):
    diag = getattr(e, "diag", None)
    primary = diag.message_primary if diag is not None else None
    if primary and getattr(e, "sqlstate", None):
        return "error returned from database: " + _one_line(primary)
    return _one_line(e) or type(e).__name__


def _pg_value(oid, raw):
    if oid == _PG_BOOL:
        return raw == b"t"
    if oid in _PG_INTS:
        return int(raw)
    if oid in _PG_FLOATS:
        return float(raw)
    if oid == _PG_BYTEA:
        if raw.startswith(b"\\x"):
            return bytes.fromhex(raw[2:].decode("ascii"))
        return raw
    text = raw.decode("utf-8", "surrogateescape")
    if oid in _PG_TIMESTAMPS:
        return _iso_timestamp(text)
    return text


def _iso_timestamp(text):
    """`2024-01-02 03:04:05` → `2024-01-02T03:04:05` (ISO 8601); other forms unchanged."""
    space = text.find(" ")
    if space >= 10 and text[space - 3] == "-" and text[space + 1:space + 2].isdigit():
        return text[:space] + "T" + text[space + 1:]
    return text


def _pg_run(raw, sql, params, want_rows):
    import psycopg
    from psycopg import pq
    rows, affected = [], 0
    try:
        highest = max((int(sql[s + 1:e]) for s, e, kind in _scan(sql, "postgres") if kind == "$N"), default=0)
        if highest > len(params):
            params = list(params) + [None] * (highest - len(params))  # missing trailing values are NULL
        cur = raw.cursor()
        cur.execute(sql, params or None)
        while True:
            res = cur.pgresult
            if res is not None:
                if res.status == pq.ExecStatus.TUPLES_OK:
                    if want_rows:
                        fields = [(res.fname(i).decode("utf-8", "surrogateescape"), res.ftype(i))
                                  for i in range(res.nfields)]
                        for r in range(res.ntuples):
                            row = {}
                            for c, (name, oid) in enumerate(fields):
                                value = res.get_value(r, c)
                                row[name] = None if value is None else _pg_value(oid, value)
                            rows.append(row)
                    else:
                        affected += res.ntuples
                elif cur.rowcount > 0:
                    affected += cur.rowcount
            if not cur.nextset():
                break
        cur.close()
    except psycopg.Error as e:
        raise _Failed(_pg_error(e)) from None
    return rows, affected


# ---------------------------------------------------------------------------
# MySQL / MariaDB (PyMySQL)

_MY_INTS = (1, 2, 3, 8, 9, 13)        # TINY SHORT LONG LONGLONG INT24 YEAR
_MY_FLOATS = (4, 5)                   # FLOAT DOUBLE
_MY_DATETIMES = (7, 12)               # TIMESTAMP DATETIME
_MY_INIT = ("SET sql_mode=(SELECT CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION')),"
            "time_zone='+00:00'")


def _my_open(url):
    from urllib.parse import parse_qsl, unquote, urlsplit
    parts = urlsplit(url)
    try:
        port = parts.port or 3306
    except ValueError as e:
        from assay.net.client import redact_url
        raise BuiltinError('db.connect: invalid database URL "%s": invalid port number'
                           % redact_url(url)) from None
    kwargs = {
        "host": unquote(parts.hostname or "localhost"),
        "port": port,
        "user": unquote(parts.username) if parts.username is not None else "root",
        "password": unquote(parts.password or ""),
        "database": unquote(parts.path.lstrip("/")) or None,
        "charset": "utf8mb4",
        "autocommit": True,
        "connect_timeout": 30,
        "init_command": _MY_INIT,
    }
    ssl_mode, ssl_ca = "preferred", None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        k = key.lower().replace("_", "-")
        if k in ("ssl-mode", "sslmode"):
            ssl_mode = value.lower().replace("_", "-")
        elif k == "ssl-ca":
            ssl_ca = value
        elif k == "charset":
            kwargs["charset"] = value
        elif k == "socket":
            kwargs["unix_socket"] = value
        elif k == "connect-timeout":
            try:
                kwargs["connect_timeout"] = float(value)
            except ValueError:
                raise BuiltinError("db.connect: invalid connect-timeout %r" % value) from None

    def open_():
        import ssl
        import pymysql
        from pymysql import converters
        options = dict(kwargs)
        # encoders only: every column arrives as text or bytes and is typed here
        options["conv"] = {k: v for k, v in converters.conversions.items() if not isinstance(k, int)}
        if ssl_mode in ("preferred", "required", "verify-ca", "verify-identity"):
            context = ssl.create_default_context(cafile=ssl_ca) if ssl_ca or ssl_mode.startswith("verify") \
                else ssl.create_default_context()
            if ssl_mode in ("preferred", "required"):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif ssl_mode == "verify-ca":
                context.check_hostname = False
            options["ssl"] = context
        # The handshake is bounded by the connect timeout too: a port that accepts
        # but never speaks MySQL must not hang the script. Queries may take longer.
        options["read_timeout"] = options["write_timeout"] = options["connect_timeout"]

        def connect():
            conn = pymysql.connect(**options)
            conn._read_timeout = conn._write_timeout = None
            return conn
        try:
            try:
                return connect()
            except pymysql.MySQLError as e:
                # "preferred": TLS when the server offers it, else plain
                if ssl_mode != "preferred" or "SSL" not in str(e):
                    raise
                del options["ssl"]
                return connect()
        except pymysql.MySQLError as e:
            raise BuiltinError("db.connect: " + _my_error(e)) from None
        except (OSError, ValueError) as e:
            raise BuiltinError("db.connect: " + _one_line(e)) from None
        except RuntimeError as e:
            # PyMySQL encrypts the password with the server's RSA key when the account
            # uses sha256_password / caching_sha2_password and the link is not TLS; that
            # needs the `cryptography` package, which assay does not ship.
            if "cryptography" in str(e):
                raise BuiltinError(_MY_RSA_EXCHANGE) from None
            raise BuiltinError("db.connect: " + _one_line(e)) from None
    return open_


_MY_RSA_EXCHANGE = ("db.connect: the server wants the password RSA-encrypted (sha256_password or "
                    "caching_sha2_password without TLS), which assay does not support: connect over "
                    "TLS (ssl-mode=required) or use a mysql_native_password account")


def _my_error(e):
    args = getattr(e, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        if not 2000 <= args[0] < 3000:  # a server error, not a client one
            return "error returned from database: %d: %s" % (args[0], _one_line(args[1]))
        return _one_line(args[1])
    return _one_line(e) or type(e).__name__


def _my_substitute(raw, sql, params):
    marks = [(s, e) for s, e, kind in _scan(sql, "mysql") if kind == "?"]
    if len(marks) < len(params):
        raise _Failed("statement has %d placeholder(s) but %d parameter(s) were given" % (len(marks), len(params)))
    params = list(params) + [None] * (len(marks) - len(params))  # missing trailing values are NULL
    out, start = [], 0
    for (s, e), value in zip(marks, params):
        out.append(sql[start:s])
        out.append(raw.escape(value))
        start = e
    out.append(sql[start:])
    return "".join(out)


def _my_value(type_code, value):
    if type_code in _MY_INTS:
        return int(value)
    if type_code in _MY_FLOATS:
        return float(value)
    if type_code in _MY_DATETIMES and isinstance(value, str):
        return _iso_timestamp(value)
    return value


def _my_run(raw, sql, params, want_rows):
    import pymysql
    rows, affected = [], 0
    try:
        statement = _my_substitute(raw, sql, params)
        with raw.cursor() as cur:
            cur.execute(statement)
            while True:
                if cur.description is not None:
                    fields = [(d[0], d[1]) for d in cur.description]
                    fetched = cur.fetchall()
                    if want_rows:
                        for r in fetched:
                            rows.append({name: None if v is None else _my_value(code, v)
                                         for (name, code), v in zip(fields, r)})
                    else:
                        affected += len(fetched)
                elif cur.rowcount > 0:
                    affected += cur.rowcount
                if not cur.nextset():
                    break
    except pymysql.MySQLError as e:
        raise _Failed(_my_error(e)) from None
    except (OSError, ValueError, TypeError) as e:
        raise _Failed(_one_line(e)) from None
    return rows, affected


# ---------------------------------------------------------------------------

class _Failed(Exception):
    """A driver error; the message gets the calling function's prefix."""


_RUN = {"sqlite": _sqlite_run, "postgres": _pg_run, "mysql": _my_run}


def _opener(url):
    """(driver, blocking open function) for a URL; argument problems raise at once."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgres", _pg_open(url)
    if url.startswith("mysql://"):
        return "mysql", _my_open(url)
    if url.startswith("sqlite:"):
        return "sqlite", _sqlite_open(url)
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise BuiltinError('db.connect: no driver found for URL scheme "%s" (use postgres://, postgresql://, '
                       'mysql:// or sqlite:)' % scheme)


def install(bridge):
    registry = _Registry()
    if bridge.runtime is not None:
        weakref.finalize(bridge.runtime, registry.close_all)

    @yielding
    def connect(url=None, *_):
        if isinstance(url, (int, float)) and not isinstance(url, bool):
            from assay.runtime.args import lua_number_text
            url = lua_number_text(url).encode()
        if not isinstance(url, bytes):
            raise BuiltinError("db.connect: first argument must be a URL string")
        try:
            text = url.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuiltinError("db.connect: URL is not valid UTF-8: %s" % e) from None
        driver, open_ = _opener(text)

        def work():
            from assay.net.client import redact_url
            with logger.timed("db connect", driver=driver, url=redact_url(text)):
                return registry.add(_Conn(driver, open_()))
        return InThread(work)

    def runner(who, want_rows):
        @yielding
        def run(cid, sql=None, params=None, *_):
            conn = registry.get(cid, who)
            text = _sql(sql, who)
            values = _params(params)
            run_driver = _RUN[conn.driver]

            def work():
                with conn.lock, logger.timed(who, driver=conn.driver, statement=_log_statement(text)) as call:
                    if conn.closed:
                        raise BuiltinError("%s: %s" % (who, CLOSED))
                    try:
                        rows, affected = result = run_driver(conn.raw, text, values, want_rows)
                    except _Failed as e:
                        raise BuiltinError("%s: %s" % (who, e)) from None
                    call.fields["rows"] = len(rows) if want_rows else affected
                    return result

            if want_rows:
                return InThread(work, _rows)
            return InThread(work, _affected)
        return run

    @yielding
    def close(cid):
        conn = registry.conns.pop(cid, None)

        def work():
            if conn is not None:
                with conn.lock:
                    _close_raw(conn)
        return InThread(work)

    def release(*cids):
        """Handles were garbage-collected: close their connections unless busy."""
        for cid in cids:
            conn = registry.conns.pop(cid, None)
            if conn is not None and conn.lock.acquire(blocking=False):
                try:
                    _close_raw(conn)
                finally:
                    conn.lock.release()

    table = bridge.define("db", {"_connect": connect, "_query": runner("db.query", True),
                                 "_execute": runner("db.execute", False), "_close": close,
                                 "_release": release})
    bridge.run_lua_file(lua_file("db"), table, bridge.handle_maker())


# compiled on first use (re caches it), not at every start
_QUOTED = r"'(?:[^']|'')*'|\$\$.*?\$\$"


def _log_statement(sql):
    """A statement for the debug log: one line, at most 200 characters, every quoted
    literal shown as '?' (a password in `CREATE ROLE … PASSWORD '…'` must not be logged;
    parameters are never logged)."""
    text = " ".join(re.compile(_QUOTED, re.DOTALL).sub("'?'", sql).split())
    return quoted(text if len(text) <= 200 else text[:197] + "...")


def _rows(result):
    rows, _ = result
    # NULL columns are left out of the row table
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def _affected(result):
    _, affected = result
    return {"rows_affected": affected}
