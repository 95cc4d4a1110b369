"""`assay context` Markdown."""

# The original's fixed section; the heading and the http.get / json.parse / env.get lines
# are kept byte for byte, the lines that misdescribe the builtins are corrected.
BUILTIN_FUNCTIONS = """## Built-in Functions (always available, no require needed)
http.get(url, opts?) -> {status, body, headers}
json.parse(str) -> table | json.encode(tbl) -> str
yaml.parse(str) -> table | yaml.encode(tbl) -> str
toml.parse(str) -> table | toml.encode(tbl) -> str
base64.encode(str) -> str | base64.decode(str) -> str
crypto.jwt_sign(claims, key, alg?, opts?) -> token
crypto.hash(str, alg) -> str | crypto.hmac(key, data, alg?) -> str
crypto.random(len) -> str
regex.match(str, pat) -> bool | regex.find(str, pat) -> {match, groups}|nil
regex.find_all(str, pat) -> [str] | regex.replace(str, pat, repl) -> str
fs.read(path) -> str | fs.write(path, str)
db.connect(url) -> conn | db.query(conn, sql, params?) -> [row]
db.execute(conn, sql, params?) -> {rows_affected} | db.close(conn)
ws.connect(url) -> conn | ws.send(conn, msg)
ws.recv(conn) -> msg | ws.close(conn)
template.render(path, vars) -> str
template.render_string(tmpl, vars) -> str
template.render_with_loader(dir, name, vars) -> str
string.split(s, sep?) -> [str] | fs.lines(path) -> [str]
fs.sub_in_file(path, pattern, repl) -> count | fs.read_bytes(path) -> str
yaml.parse_all(str) -> [doc] | json.array(t?) -> t | json.object(t?) -> t
crypto.jwt_verify(token, key, opts?) -> {header, claims} | crypto.hash_file(path, alg?) -> hex
tar.create(path, {path = content}, opts?) | tar.extract(archive, dir) | tar.list(archive) -> [str]
tar.read(archive) -> {path = content} | compress.gzip(s) / gunzip / xz / unxz / zstd / unzstd
markdown.to_html(src) -> html | process.spawn(cmd, opts?) -> {pid}
process.wait(handle, opts?) -> {status, stdout, stderr}
async.spawn(fn) -> handle | async.spawn_interval(secs, fn) -> handle
handle:await() | handle:cancel()
assert.eq(a, b, msg?) | assert.gt(a, b, msg?) | assert.lt(a, b, msg?)
assert.contains(str, sub, msg?) | assert.not_nil(val, msg?)
assert.matches(str, pat, msg?)
log.info(msg) | log.warn(msg) | log.error(msg)
env.get(key) -> str | sleep(secs) | time() -> int
"""


def render(results):
    """Markdown for a list of Module objects, best first."""
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
    out.append(BUILTIN_FUNCTIONS)
    return "".join(out)
