"""`assay context` Markdown."""

# The original's fixed section, completed: the heading and the http.get / json.parse lines
# are kept byte for byte (agents look for them); every builtin family is listed with the
# signature it really has (`time()` returns a float, not an int).
BUILTIN_FUNCTIONS = """## Built-in Functions (always available, no require needed)
http.get(url, opts?) -> {status, body, headers}
http.post(url, body?, opts?) -> {status, body, headers} | http.put / http.patch (same) | http.delete(url, opts?)
http.download(url, path, opts?) -> bytes | http.client(opts?) -> client (c:get, c:post, ...)
http.get(url, {on_event = fn(ev)}) -> {status, headers} | SSE: ev = {event, data, id, retry}
http.serve(port, {GET = {["/path"] = fn(req) -> {status, body|json|sse|ws, headers}}}) | "/prefix/*" wildcards
json.parse(str) -> table | json.encode(tbl) -> str
json.array(t?) -> t | json.object(t?) -> t
yaml.parse(str) -> table | yaml.encode(tbl) -> str | yaml.parse_all(str) -> [doc]
toml.parse(str) -> table | toml.encode(tbl) -> str
base64.encode(str) -> str | base64.decode(str) -> str
crypto.jwt_sign(claims, key, alg?, opts?) -> token | crypto.jwt_decode(token) -> {header, claims}
crypto.jwt_verify(token, key, alg_or_opts?) -> {header, claims}
crypto.hash(str, alg) -> hex | crypto.hash_file(path, alg?) -> hex | crypto.hmac(key, data, alg?) -> hex
crypto.random(len) -> str
regex.match(str, pat) -> bool | regex.find(str, pat) -> {match, groups}|nil
regex.find_all(str, pat) -> [str] | regex.replace(str, pat, repl) -> str
string.split(s, sep?) -> [str]
fs.read(path) -> str | fs.write(path, str) | fs.read_bytes(path) -> str | fs.write_bytes(path, str)
fs.lines(path) -> [str] | fs.sub_in_file(path, pattern, repl) -> count | fs.exists(path) -> bool
fs.list(path) -> [{name, type}] | fs.readdir(path, opts?) -> [{path, type}] | fs.glob(pattern) -> [str]
fs.stat(path) -> {size, is_file, is_dir, modified} | fs.mkdir(path) | fs.remove(path) | fs.tempdir() -> str
fs.copy(src, dst) -> bytes | fs.rename(src, dst) | fs.chmod(path, mode)
db.connect(url) -> conn | db.query(conn, sql, params?) -> [row]
db.execute(conn, sql, params?) -> {rows_affected} | db.close(conn)
ws.connect(url, opts?) -> conn | ws.send(conn, msg) | ws.send_binary(conn, bytes)
ws.recv(conn) -> msg | ws.protocol(conn) -> str|nil | ws.close(conn)
template.render(path, vars) -> str
template.render_string(tmpl, vars) -> str
template.render_with_loader(dir, name, vars) -> str
markdown.to_html(src) -> html
tar.create(path, {path = content}, opts?) | tar.extract(archive, dir) | tar.list(archive) -> [str]
tar.read(archive) -> {path = content} | compress.gzip(s) / gunzip / xz / unxz / zstd / unzstd
compress.untar(archive, dest, {member}) -> bytes
shell.exec(cmd, opts?) -> {status, stdout, stderr, timed_out}
process.spawn(cmd, opts?) -> {pid} | process.wait(handle, opts?) -> {status, stdout, stderr}
process.list() -> [{pid, name}] | process.is_running(name) -> bool | process.kill(pid, signal?) -> true
process.wait_idle(names, timeout?, interval?) -> bool
disk.usage(path) -> {total, free, used, percent} | disk.dir_size(path) -> bytes
disk.sweep(dir, age_secs) -> count
os.hostname() -> str | os.arch() -> str | os.platform() -> str
os.time(t?) -> int | os.date(fmt?, t?) -> str|table | os.clock() -> number
async.spawn(fn) -> handle | async.spawn_interval(secs, fn) -> handle
handle:await() | interval:cancel()
assert.eq(a, b, msg?) | assert.ne(a, b, msg?) | assert.gt(a, b, msg?) | assert.lt(a, b, msg?)
assert.contains(str, sub, msg?) | assert.not_nil(val, msg?)
assert.matches(str, pat, msg?)
log.info(msg) | log.warn(msg) | log.error(msg)
temporal.connect({url, namespace?}) -> client | temporal.start({url, task_queue, workflow_type, workflow_id, input?}) -> {workflow_id, run_id}
credential.get(name) -> handle | env.set(key, value) | env.list() -> [{key, value}]
arg[0] -> script path | arg[1..n] -> arguments after --
env.get(key) -> str | sleep(secs) | time() -> number
"""


def render(results, builtins=True):
    """Markdown for a list of Module objects, best first; `builtins=False` leaves out the
    builtin cheat-sheet (`--no-builtins`)."""
    out = ["# Assay Module Context\n", "\n"]
    if not results:
        out.append("No matching modules found.\n\n")
    else:
        out.append("## Matching Modules\n\n")
        for module in results:
            meta = module.meta
            out.append("### %s\n" % module.name)
            out.append("%s\n" % meta.description)
            if meta.env:
                out.append("Env: %s\n" % ", ".join(meta.env))
            if meta.quickrefs:
                out.append("Methods:\n")
                out.extend("  %s -> %s | %s\n" % q for q in meta.quickrefs)
            out.append("\n")
    if builtins:
        out.append(BUILTIN_FUNCTIONS)
    return "".join(out)
