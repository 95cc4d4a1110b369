"""Every builtin function, classified once as a read or a write.

Read-only mode refuses the writes, approval mode suspends them, and both read this
one table, so the two modes can never disagree about what changes the world.

A key is the name the guard sees:
- a Python builtin's bridge name (`fs.write`, `db._query`, `http._request`), checked
  on every call whichever Lua code calls it;
- a Lua standard-library function's global path (`io.open`, `os.remove`), wrapped
  at VM start when a gate is active;
- `family.*` for a whole table of pure functions (`string.*`, `math.*`).

A value is one of:
- READ: never blocked;
- VIA: a function written in Lua that only reaches the world through the builtins
  it calls (those are checked, so a write behind it is still caught);
- a string: a write, blocked under that user-facing name;
- a function(args) -> name or None: a write only for some arguments (an HTTP verb,
  an SQL statement, a file mode); it gets the raw Lua arguments.

`tests/test_readonly.py` walks a fresh VM's globals and fails on any function this
table does not classify.
"""
import re

READ = "read"
VIA = "via"


def _text(args, index):
    if len(args) > index and isinstance(args[index], bytes):
        return args[index].decode("utf-8", "replace")
    return None


def _http_verb(args):
    """http._request(client, method, url, ...): the write verbs."""
    method = (_text(args, 1) or "").lower()
    return "http." + method if method in ("post", "put", "patch", "delete") else None


_SQL_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.DOTALL)
_SQL_READS = ("select", "show", "explain", "describe", "desc", "values", "with")
_SQL_WRITE_WORDS = re.compile(r"\b(insert|update|delete|merge|create|drop|alter|truncate|grant|revoke|replace|"
                              r"call|do|copy|lock|vacuum|attach|detach|reindex|into|set)\b", re.IGNORECASE)


def _sql_query(args):
    """db.query(conn, sql): a read only for one statement that starts like a read and
    has no writing keyword outside comments and quotes (so `WITH … DELETE`, `SELECT …
    INTO` and `SELECT 1; DROP …` are writes). A false alarm blocks a read, never the
    other way round."""
    sql = _text(args, 1)
    if sql is None:
        return None  # the builtin itself rejects a missing statement
    body = _SQL_NOISE.sub(" ", sql).strip().rstrip(";").strip()
    words = body.split(None, 1)
    if ";" in body or not words or words[0].lower() not in _SQL_READS or _SQL_WRITE_WORDS.search(body):
        return "db.query"
    return None


def _io_open(args):
    mode = _text(args, 1) or "r"
    return "io.open" if any(c in mode for c in "wa+") else None


def _io_output(args):
    """io.output(filename) opens a file for writing; io.output() or io.output(file) does not."""
    return "io.output" if len(args) and isinstance(args[0], bytes) else None


_TEMPORAL_WRITES = ("start_workflow", "signal_workflow", "cancel_workflow", "terminate_workflow")


def _temporal_call(args):
    method = _text(args, 1)
    return "temporal." + method if method in _TEMPORAL_WRITES else None


OPERATIONS = {
    # Lua's own libraries
    "string.*": READ, "math.*": READ, "table.*": READ, "utf8.*": READ, "coroutine.*": READ,
    "collectgarbage": READ, "load": READ, "loadfile": READ, "dofile": READ, "error": READ, "getmetatable": READ, "ipairs": READ,
    "next": READ, "pairs": READ, "pcall": READ, "print": READ, "rawequal": READ, "rawget": READ,
    "rawlen": READ, "rawset": READ, "require": READ, "select": READ, "setmetatable": READ,
    "tonumber": READ, "tostring": READ, "type": READ, "warn": READ, "xpcall": READ,
    "package.loadlib": READ, "package.searchpath": READ,
    "io.open": _io_open, "io.popen": "io.popen", "io.output": _io_output, "io.tmpfile": "io.tmpfile",
    "io.close": READ, "io.flush": READ, "io.input": READ, "io.lines": READ, "io.read": READ,
    "io.type": READ, "io.write": READ,
    "os.remove": "os.remove", "os.rename": "os.rename", "os.tmpname": "os.tmpname",
    "os.clock": READ, "os.date": READ, "os.difftime": READ, "os.exit": READ, "os.getenv": READ,
    "os.time": READ, "os._exit": READ, "os.arch": READ, "os.hostname": READ, "os.platform": READ,

    # assay's builtins
    "http.get": READ, "http.post": "http.post", "http.put": "http.put", "http.patch": "http.patch",
    "http.delete": "http.delete", "http.serve": "http.serve", "http._sse_send": READ,
    "http._request": _http_verb, "http._new_client": READ, "http.client": VIA, "http._client_request": VIA,
    "http.download": "http.download", "http._sse_next": READ, "http._sse_close": READ,
    # talking to a client of a server the script runs (http.serve itself is the write)
    "http._ws_read": READ, "http._ws_write": READ, "http._ws_close": READ, "http._ws_closed": READ,
    "json.encode": READ, "json.parse": READ, "yaml.encode": READ, "yaml.parse": READ,
    "toml.encode": READ, "toml.parse": READ, "base64.encode": READ, "base64.decode": READ,
    "assert.eq": READ, "assert.ne": READ, "assert.gt": READ, "assert.lt": READ, "assert.contains": READ,
    "assert.not_nil": READ, "assert.matches": READ, "assert._render": READ,
    "log.info": READ, "log.warn": READ, "log.error": READ,
    "env.get": VIA, "env.list": READ, "env._process_get": READ, "env.set": "env.set",
    "sleep": READ, "time": READ,
    "fs.read": READ, "fs.exists": READ, "fs.glob": READ, "fs.list": READ, "fs.readdir": READ, "fs.stat": READ,
    "fs.write": "fs.write", "fs.remove": "fs.remove", "fs.rename": "fs.rename", "fs.copy": "fs.copy",
    "fs.chmod": "fs.chmod", "fs.mkdir": "fs.mkdir", "fs.tempdir": "fs.tempdir",
    "crypto.hash": READ, "crypto.hmac": READ, "crypto.random": READ, "crypto.jwt_sign": READ,
    "crypto.jwt_verify": READ, "crypto.jwt_decode": READ,
    "regex.match": READ, "regex.find": READ, "regex.find_all": READ, "regex.replace": READ,
    "async.spawn": VIA, "async.spawn_interval": VIA, "async._start": READ, "async._start_interval": READ,
    "async._join": READ, "async._stop": READ,
    "db.connect": VIA, "db.query": VIA, "db.execute": VIA, "db.close": VIA,
    "db._connect": READ, "db._query": _sql_query, "db._execute": "db.execute", "db._close": READ,
    "db._release": READ,
    "ws.connect": VIA, "ws.send": VIA, "ws.recv": VIA, "ws.close": VIA,
    "ws._connect": "ws.connect", "ws._send": "ws.send", "ws._recv": READ, "ws._close": READ,
    "ws.send_binary": VIA, "ws._send_binary": "ws.send", "ws.protocol": READ, "ws._protocol": READ,
    "template.render": READ, "template.render_string": READ,
    "shell.exec": "shell.exec",
    "process.list": READ, "process.is_running": READ, "process.kill": "process.kill", "process.wait_idle": VIA,
    "disk.usage": READ, "disk.sweep": VIA, "disk.dir_size": VIA,
    "temporal.connect": VIA, "temporal.start": VIA, "temporal._connect": READ, "temporal._start": "temporal.start",
    "temporal._call": _temporal_call, "temporal._release": READ,
    "fs.read_bytes": READ, "fs.lines": READ, "fs.write_bytes": "fs.write_bytes", "fs.sub_in_file": VIA,
    "fs._sub_read": READ, "fs._sub_write": "fs.sub_in_file", "crypto.hash_file": READ,
    "credential.get": READ,
    "json.array": READ, "json.object": READ, "yaml.parse_all": READ,
    "tar.list": READ, "tar.read": READ, "tar.create": "tar.create", "tar.extract": "tar.extract",
    "compress.gzip": READ, "compress.gunzip": READ, "compress.xz": READ, "compress.unxz": READ,
    "compress.zstd": READ, "compress.unzstd": READ, "compress.untar": "compress.untar",
    # starting a program can do anything; waiting only collects a child this script started
    "process.spawn": "process.spawn", "process.wait": READ,
    "markdown.to_html": READ, "template.render_with_loader": READ,
}


def lookup(name):
    """The table's entry for `name` (exact, then `family.*`), or None when unclassified."""
    entry = OPERATIONS.get(name)
    if entry is None and "." in name:
        entry = OPERATIONS.get(name.split(".", 1)[0] + ".*")
    return entry


def write_name(name, args):
    """The user-facing name of the write `name(args…)` performs, or None for a read.

    An unclassified name counts as a write: a builtin nobody has looked at yet is
    refused in read-only mode rather than trusted."""
    entry = lookup(name)
    if entry is None:
        return name
    if entry in (READ, VIA):
        return None
    if callable(entry):
        return entry(args)
    return entry


def lua_library_writes():
    """Global paths of Lua standard-library functions that can write (wrapped at VM start)."""
    return [name for name, entry in OPERATIONS.items()
            if name.split(".", 1)[0] in ("io", "os") and entry not in (READ, VIA)]
