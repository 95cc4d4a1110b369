"""`assay mcp-serve`: a Model Context Protocol server on stdin/stdout.

JSON-RPC 2.0, one message per line. Methods: `initialize`, `ping`, `tools/list`,
`tools/call`; notifications are accepted silently. Tools:

    assay_run      run Lua code (readonly by default, or approval; unrestricted only
                   when the server was started with ASSAY_MCP_UNRESTRICTED=1)
    assay_context  prompt-ready docs of the stdlib modules matching a query
    assay_resume   decide a write an approval-mode run is waiting on

Each `assay_run` is its own assay process with its own VM and timeout
(`assay.modes.runs`); calls run on their own threads, so a long run does not hold
up `ping` or another call. stdout carries only JSON-RPC messages; logs go to stderr.

Why a small loop and not the `mcp` SDK's server: measured on the development
machine, importing `mcp.server` takes 1.3–2.2 s and 65 MB of memory and brings
~22 MB of dependencies (pydantic, starlette, uvicorn, anyio, …) into the binary;
this loop starts in the time of `import json`. The SDK's client is what the tests
talk to, so the protocol is checked by code written by others.
"""
import json
import os
import sys
import threading

from assay import __version__

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
DEFAULT_VERSION = "2025-06-18"

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


class InvalidParams(Exception):
    pass


def unrestricted_allowed():
    return os.environ.get("ASSAY_MCP_UNRESTRICTED", "").strip().lower() in ("1", "true")


def tools():
    gates = ["readonly", "approval"] + (["unrestricted"] if unrestricted_allowed() else [])
    return [
        {
            "name": "assay_run",
            "description": "Run a Lua script with the assay runtime (every builtin and embedded module, e.g. "
                           "require('assay.k8s')) and return its tool-mode JSON envelope: status ok (output "
                           "is the chunk's return value), needs_approval (a write waits; answer it with "
                           "assay_resume), error or timeout.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "Lua source; `return` a value to get it back"},
                    "mode": {"type": "string", "enum": gates, "default": "readonly",
                             "description": "readonly: writes raise an error; approval: each write suspends "
                                            "the run until approved" +
                                            ("; unrestricted: no gate" if len(gates) > 2 else "")},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 20,
                                "description": "seconds"},
                },
                "required": ["code"],
                "additionalProperties": False,
            },
        },
        {
            "name": "assay_context",
            "description": "Documentation of the assay stdlib modules that match a query (functions, "
                           "arguments, examples), ready to paste into a prompt.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "e.g. \"vault secrets\", \"grafana health\""},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        },
        {
            "name": "assay_resume",
            "description": "Approve or deny the write an approval-mode run is waiting on, and continue it.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "token": {"type": "string", "description": "resumeToken from a needs_approval envelope"},
                    "approve": {"type": "string", "enum": ["yes", "no"]},
                    "approver": {"type": "string", "description": "who decided (recorded)"},
                },
                "required": ["token", "approve"],
                "additionalProperties": False,
            },
        },
    ]


def _arguments(tool, arguments):
    """Validate `arguments` against the tool's schema (the subset the schemas use)."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise InvalidParams("%s: arguments must be an object" % tool["name"])
    schema = tool["inputSchema"]
    props = schema["properties"]
    for key in arguments:
        if key not in props:
            raise InvalidParams("%s: unknown argument '%s' (expected: %s)" % (tool["name"], key, ", ".join(props)))
    for key in schema["required"]:
        if key not in arguments:
            raise InvalidParams("%s: missing required argument '%s'" % (tool["name"], key))
    out = {}
    for key, spec in props.items():
        if key not in arguments:
            if "default" in spec:
                out[key] = spec["default"]
            continue
        value = arguments[key]
        if spec["type"] == "string" and not isinstance(value, str):
            raise InvalidParams("%s: %s must be a string" % (tool["name"], key))
        if spec["type"] == "integer" and (isinstance(value, bool) or not isinstance(value, int)
                                          or not spec["minimum"] <= value <= spec["maximum"]):
            raise InvalidParams("%s: %s must be an integer from %d to %d"
                                % (tool["name"], key, spec["minimum"], spec["maximum"]))
        if "enum" in spec and value not in spec["enum"]:
            raise InvalidParams("%s: %s must be one of %s" % (tool["name"], key, ", ".join(spec["enum"])))
        out[key] = value
    return out


def call_tool(name, arguments):
    """(text, is_error) for one tools/call."""
    by_name = {t["name"]: t for t in tools()}
    if name not in by_name:
        raise InvalidParams("unknown tool '%s' (expected: %s)" % (name, ", ".join(by_name)))
    args = _arguments(by_name[name], arguments)
    from .runs import resume_run, run_code
    if name == "assay_context":
        return context_text(args["query"], args["limit"]), False
    if name == "assay_run":
        envelope = run_code(args["code"], args["mode"], args["timeout"])
    else:
        envelope = resume_run(args["token"], args["approve"], args.get("approver"))
    try:
        status = json.loads(envelope).get("status")
    except (ValueError, AttributeError):
        status = None
    return envelope, status not in ("ok", "needs_approval")


def context_text(query, limit):
    from assay.discovery import context, modules, search
    found = modules.unique(modules.discover())
    try:
        names = search.search(found, query, limit)
    except Exception:  # a search failure yields no results, as `assay context` does
        names = []
    by_name = {m.name: m for m in found}
    return context.render([by_name[n] for n in names])


class Server:
    def __init__(self, stdin, stdout):
        self.stdin, self.stdout = stdin, stdout
        self.lock = threading.Lock()

    def send(self, message):
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        with self.lock:
            self.stdout.write(data + "\n")
            self.stdout.flush()

    def reply(self, msg_id, result=None, error=None):
        if error is not None:
            self.send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": error[0], "message": error[1]}})
        else:
            self.send({"jsonrpc": "2.0", "id": msg_id, "result": result})

    def serve(self):
        workers = []
        for line in self.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self.reply(None, error=(PARSE_ERROR, "parse error: not JSON"))
                continue
            for item in message if isinstance(message, list) else [message]:
                worker = self.handle(item)
                if worker is not None:
                    workers.append(worker)
        for worker in workers:  # stdin closed: let the calls in flight answer
            worker.join()

    def handle(self, message):
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(
                message.get("method"), str):
            if isinstance(message, dict) and "method" not in message and ("result" in message or "error" in message):
                return None  # a response to a request we never send
            self.reply(message.get("id") if isinstance(message, dict) else None,
                       error=(INVALID_REQUEST, "invalid request: expected a JSON-RPC 2.0 message"))
            return None
        method, msg_id, params = message["method"], message.get("id"), message.get("params") or {}
        if "id" not in message:
            return None  # notifications (initialized, cancelled, ...) need no answer
        if method == "initialize":
            asked = params.get("protocolVersion") if isinstance(params, dict) else None
            self.reply(msg_id, {
                "protocolVersion": asked if asked in HANDSHAKE_VERSIONS else DEFAULT_VERSION,
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "assay", "version": __version__},
                "instructions": "Run Lua with the assay runtime. assay_context finds the module to use; "
                                "assay_run runs read-only unless approval is asked for.",
            })
        elif method == "ping":
            self.reply(msg_id, {})
        elif method == "tools/list":
            self.reply(msg_id, {"tools": tools()})
        elif method == "tools/call":
            worker = threading.Thread(target=self.tools_call, args=(msg_id, params), daemon=True)
            worker.start()
            return worker
        else:
            self.reply(msg_id, error=(METHOD_NOT_FOUND, "method not found: %s" % method))
        return None

    def tools_call(self, msg_id, params):
        try:
            if not isinstance(params, dict) or not isinstance(params.get("name"), str):
                raise InvalidParams("tools/call needs params.name")
            text, is_error = call_tool(params["name"], params.get("arguments"))
        except InvalidParams as e:
            self.reply(msg_id, error=(INVALID_PARAMS, str(e)))
            return
        except Exception as e:  # a bug in assay: one line to the client, never a traceback
            self.reply(msg_id, error=(-32603, "internal error: %s: %s" % (type(e).__name__, e)))
            return
        self.reply(msg_id, {"content": [{"type": "text", "text": text}], "isError": is_error})


def mcp_serve_command():
    from assay.runtime.logs import logger
    logger.info("starting assay (mcp server)", unrestricted=unrestricted_allowed())
    stdin = open(sys.stdin.fileno(), "r", encoding="utf-8", errors="replace", closefd=False)
    Server(stdin, sys.stdout).serve()
    return 0
