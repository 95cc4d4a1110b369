"""Which modules exist, in priority order."""
import os

from assay.runtime.loader import global_modules_dir, stdlib_dir

from . import metadata

BUILTINS = [
    ("http", "HTTP client and server: get, post, put, patch, delete, download (to a file), "
     "SSE client (on_event), serve (wildcard routes, SSE, WebSocket upgrade)",
     "http, client, server, request, response, headers, endpoint, api, webhook, rest, download, sse, "
     "event-stream, events, stream, serve, route, wildcard, websocket, upgrade"),
    ("json", "JSON serialization: parse, encode, array/object shape marks",
     "json, serialization, deserialize, stringify, parse, encode, format, array, object"),
    ("yaml", "YAML serialization: parse, parse_all (multi-document streams), encode",
     "yaml, serialization, deserialize, parse, encode, format, multi-document, manifest"),
    ("toml", "TOML serialization: parse and encode", "toml, serialization, deserialize, parse, encode, configuration"),
    ("fs", "Filesystem: read and write files, lines, sub_in_file (sed -i), read_bytes/write_bytes, glob",
     "fs, filesystem, file, read, write, io, path, lines, sed, replace, binary, bytes"),
    ("crypto", "Cryptography: jwt_sign, jwt_verify (PEM, JWKS), hash, hash_file, hmac, random",
     "crypto, jwt, signature, hash, hmac, encryption, random, security, password, signing, rsa, sha256, jwks, verify, checksum"),
    ("base64", "Base64 encoding and decoding", "base64, encoding, decode, encode, binary"),
    ("regex", "Regular expressions: match, find, find_all, replace",
     "regex, pattern, match, find, replace, regular-expression, regexp"),
    ("db", "Database: connect, query, execute, close (Postgres, MySQL, SQLite)",
     "db, database, sql, postgres, mysql, sqlite, connection, query, execute"),
    ("ws", "WebSocket: connect, send, recv, close", "ws, websocket, connection, message, streaming, realtime, socket"),
    ("template", "Jinja2-compatible templates: render file or string, render_with_loader (extends/include)",
     "template, jinja2, rendering, string-template, mustache, render"),
    ("async", "Async tasks: spawn, spawn_interval, await, cancel",
     "async, asynchronous, task, coroutine, concurrent, spawn, interval"),
    ("assert", "Assertions: eq, gt, lt, contains, not_nil, matches",
     "assert, assertion, test, validation, comparison, check, verify"),
    ("log", "Logging: info, warn, error", "log, logging, output, debug, error, warning, info, trace"),
    ("env", "Environment variables: get", "env, environment, variable, configuration, config"),
    ("sleep", "Sleep for N seconds", "sleep, delay, pause, wait, time"),
    ("time", "Unix timestamp in seconds", "time, timestamp, unix, epoch, clock, datetime"),
    ("string", "String additions: split (awk-style fields, literal separator)",
     "string, split, fields, awk, separator, tokenize, text"),
    ("tar", "Tar archives: create from {path = content}, list, read, extract (traversal-safe)",
     "tar, archive, tarball, extract, unpack, bundle, gzip, xz, zstd"),
    ("compress", "Compression: gzip, gunzip, xz, unxz, zstd, unzstd, untar one member",
     "compress, compression, gzip, gunzip, xz, zstd, decompress, untar, archive"),
    ("markdown", "Markdown to HTML: to_html (CommonMark, tables, fenced code)",
     "markdown, html, commonmark, render, documentation, convert"),
    ("process", "Processes: spawn, wait, list, is_running, kill, wait_idle",
     "process, spawn, wait, background, pid, kill, signal, daemon, subprocess"),
    ("shell", "Shell commands: exec a command line, with cwd, env, stdin and timeout",
     "shell, command, exec, run, sh, bash, cli, subprocess, script, stdout, stderr, exit"),
    ("disk", "Disk space: usage of a filesystem, dir_size, sweep old files",
     "disk, space, usage, free, filesystem, size, cleanup, sweep, retention, du, df"),
    ("os", "Operating system: hostname, arch, platform; Lua's os.time, os.date, os.clock",
     "os, hostname, arch, architecture, platform, system, date, time, clock"),
    ("credential", "Credential handles: get a secret the script can use but never read",
     "credential, secret, handle, redact, policy, agent"),
    ("temporal", "Temporal workflows over gRPC: connect, start, signal, query (assay-full build)",
     "temporal, workflow, grpc, orchestration, signal, query, task-queue"),
]

# The `@category` of each builtin for `assay modules --json` (the rest are "core").
BUILTIN_CATEGORIES = {"db": "data", "temporal": "devtools", "credential": "secrets", "shell": "host",
                      "process": "host", "disk": "host", "os": "host"}


class Module:
    def __init__(self, name, source, meta):
        self.name, self.source, self.meta = name, source, meta


def _lua_files(root):
    """(module suffix, path) for every .lua file below root, sorted; `x/init.lua` names `x`
    unless `x.lua` exists beside the directory. Files starting with `_` are private helpers."""
    found = []
    if not root or not os.path.isdir(root):
        return found
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        rel_dir = os.path.relpath(directory, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, ".") + "."
        for name in sorted(files):
            path = os.path.join(directory, name)
            if not name.endswith(".lua") or name.startswith("_") or not os.path.isfile(path):
                continue
            stem = name[:-4]
            if stem == "init" and prefix:
                if os.path.exists(directory + ".lua"):
                    continue
                found.append((prefix[:-1], path))
            else:
                found.append((prefix + stem, path))
    found.sort(key=lambda item: item[0])
    return found


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def discover():
    """Every module in priority order (duplicates kept; see unique())."""
    modules = []
    for source, root in (("project", "./modules"), ("global", global_modules_dir()), ("builtin", stdlib_dir())):
        for suffix, path in _lua_files(root):
            text = _read(path)
            if text is not None:
                modules.append(Module("assay." + suffix, source, metadata.parse(text)))
    for name, description, keywords in BUILTINS:
        meta = metadata.Metadata()
        meta.description = description
        meta.keywords = [k.strip() for k in keywords.split(",")]
        meta.category = BUILTIN_CATEGORIES.get(name, "core")
        modules.append(Module(name, "builtin", meta))
    return modules


def unique(modules):
    seen, out = set(), []
    for module in modules:
        if module.name not in seen:
            seen.add(module.name)
            out.append(module)
    return out
