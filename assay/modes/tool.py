"""Tool mode: run a script for a calling program and print one JSON envelope.

    {"ok":true,"status":"ok","output":<value>,"requiresApproval":null}

plus the approval gate (`__assay_approval_request__:` errors become a
`needs_approval` envelope and a resume state file) and `assay resume`.
Every envelope exits 0; stdout holds exactly one JSON document (print → stderr).
"""
import json
import math
import os
import re
import secrets
import subprocess
import sys
import time

from assay.runtime import jsontext
from assay.runtime.errors import ScriptError
from assay.runtime.logs import logger

OUTPUT_CAP = 524288
APPROVAL_MARKER = "__assay_approval_request__:"
DEFAULT_TTL = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


class SerializeError(Exception):
    pass


# ---- envelopes -----------------------------------------------------------------
# An envelope of a read-only run ends with "readonly":true, so the caller knows
# writes were refused rather than absent.
def _close(readonly):
    return ',"readonly":true}' if readonly else "}"


def ok_envelope(output_json, truncated=False, readonly=False):
    text = '{"ok":true,"status":"ok","output":%s,"requiresApproval":null' % output_json
    return text + (',"truncated":true' if truncated else "") + _close(readonly)


def error_envelope(message, status="error", readonly=False):
    return ('{"ok":false,"status":%s,"error":%s' % (jsontext.encode(status), jsontext.encode(message))
            + _close(readonly))


def approval_envelope(prompt, context, token):
    return ('{"ok":true,"status":"needs_approval","output":null,"requiresApproval":'
            '{"context":%s,"prompt":%s,"resumeToken":%s}}'
            % (jsontext.encode(context), jsontext.encode(prompt), jsontext.encode(token)))


def capped(output_json, readonly=False):
    """The success envelope, its output cut so the whole fits in OUTPUT_CAP bytes."""
    envelope = ok_envelope(output_json, readonly=readonly)
    if len(envelope.encode("utf-8")) <= OUTPUT_CAP:
        return envelope

    def fits(k):
        text = ok_envelope(jsontext.encode(output_json[:k] + "..."), True, readonly)
        return len(text.encode("utf-8")) <= OUTPUT_CAP

    low, high = 0, len(output_json)
    while low < high:  # largest k that fits
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return ok_envelope(jsontext.encode(output_json[:low] + "..."), True, readonly)


# ---- Lua result → JSON ----------
def output_to_json(value):
    from assay.runtime.luaengine import lua_type
    seen = set()

    def convert(v):
        if v is None or v is True or v is False:
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, bytes):
            try:
                return v.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SerializeError("invalid UTF-8 in string: %s" % e) from None
        kind = lua_type(v)
        if kind != "table":
            raise SerializeError("unsupported value type %s" % (kind or type(v).__name__))
        marker = str(v)  # "table: 0x…": wrappers differ, the address does not
        if marker in seen:
            raise SerializeError("recursive table detected")
        seen.add(marker)
        try:
            n = len(v)
            if n > 0:
                items = []
                for i in range(1, n + 1):
                    item = v[i]
                    if item is None:
                        break
                    items.append(convert(item))
                return items
            obj = {}
            for key, item in v.items():
                if not isinstance(key, bytes):
                    raise SerializeError("table key must be a string, got %s" % _type_name(key))
                obj[convert(key)] = convert(item)
            return obj
        finally:
            seen.discard(marker)

    return jsontext.encode(convert(value))


def _type_name(v):
    from assay.runtime.luaengine import lua_type
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return lua_type(v) or type(v).__name__


# ---- approval state ---------------------------------------------------------------
def state_dir():
    for name in ("ASSAY_STATE_DIR", "OPENCLAW_STATE_DIR"):
        if os.environ.get(name):
            return os.environ[name]
    home = os.environ.get("HOME")
    if not home:
        raise ToolFailure("resolving state directory: HOME is not set")
    return os.path.join(home, ".assay", "state")


class ToolFailure(Exception):
    """A failure reported as an error envelope."""


def parse_approval(text):
    """(prompt, context) if `text` carries an approval request, else None."""
    at = text.find(APPROVAL_MARKER)
    if at < 0:
        return None
    payload = text[at + len(APPROVAL_MARKER):].split("\n", 1)[0]
    try:
        request = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(request, dict) or not isinstance(request.get("prompt"), str):
        return None
    return request["prompt"], request.get("context")


def save_approval(script_path, prompt, context, gate=None, script_args=()):
    """Store what `assay resume` needs and return the new token. `gate`: for a write
    suspended by approval mode, the pending operation and the grants so far;
    `script_args`: the script's `arg` words, given to it again on resume."""
    from assay.runtime.text import os_error_text
    directory = os.path.join(state_dir(), "resume")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise ToolFailure("creating resume state directory: %s" % os_error_text(e)) from None
    token = secrets.token_hex(16)
    if os.path.isabs(script_path):
        absolute = script_path
    else:
        try:
            absolute = os.path.realpath(script_path, strict=True)
        except OSError:
            absolute = script_path
    state = ('{"script_path":%s,"approval_prompt":%s,"approval_context":%s,"created_at":%d,"ttl_secs":%d'
             % (jsontext.encode(absolute), jsontext.encode(prompt), jsontext.encode(context),
                int(time.time()), DEFAULT_TTL))
    if gate is not None:
        state += ',"mode":"approval","pending":%s,"approved_ops":%s' % (
            jsontext.encode(gate["pending"]), jsontext.encode(gate["approved_ops"]))
    if script_args:
        state += ',"script_args":%s' % jsontext.encode(list(script_args))
    state += "}"
    try:
        with open(os.path.join(directory, token + ".json"), "w", encoding="utf-8") as f:
            f.write(state)
    except OSError as e:
        raise ToolFailure("writing resume state: %s" % os_error_text(e)) from None
    return token


# ---- commands -------------------------------------------------------------------------
def run_tool(path, timeout, script_args=(), answer=None):
    """The envelope text for running `path` in tool mode; `script_args` fill Lua's `arg`;
    `answer`: the run's Answer, told whether the run is read-only."""
    from assay.builtins import new_runtime
    from assay.runtime.source import ScriptReadError, read_script
    try:
        source = read_script(path)
    except ScriptReadError as e:
        sys.stderr.write("error: %s\n" % e)
        return error_envelope(str(e))
    logger.info("starting assay (tool mode)", script=path, timeout_secs=timeout)
    os.environ["ASSAY_MODE"] = "tool"
    runtime = new_runtime(mode="tool")
    runtime.set_script_args(path, script_args)
    readonly = runtime.guard.readonly
    if answer is not None:
        answer.readonly = readonly
    try:
        values = runtime.run_source(source, "@" + path, timeout=timeout)
    except ScriptError as e:
        if suspended(runtime):  # even when the script caught the refusal with pcall
            return suspend(path, runtime.guard.approval, script_args)
        raw = e.value if isinstance(e.value, str) else e.message
        if raw == "execution timed out":
            return error_envelope("execution timed out after %ds" % timeout, "timeout", readonly)
        approval = parse_approval(raw) or parse_approval(e.message)
        if approval:
            prompt, context = approval
            token = save_approval(path, prompt, context, script_args=script_args)
            return approval_envelope(prompt, context, token)
        text = e.message if e.kind != "memory" else "memory error: " + e.message
        return error_envelope(text, readonly=readonly)
    except TimeoutError:  # the deadline cut a wait on the event loop
        from assay.runtime.children import kill_waited
        kill_waited()  # e.g. the child a process.wait was waiting for: it must not outlive the run
        return error_envelope("execution timed out after %ds" % timeout, "timeout", readonly)
    finally:
        runtime.flush()
    if suspended(runtime):
        return suspend(path, runtime.guard.approval, script_args)
    try:
        return capped(output_to_json(values[0] if values else None), readonly)
    except SerializeError as e:
        return error_envelope("serializing Lua result: %s" % e, readonly=readonly)


def suspended(runtime):
    approval = runtime.guard.approval
    return approval is not None and approval.pending is not None


def suspend(path, approval, script_args=()):
    """A write waits for a decision: store it with the grants so far, answer needs_approval."""
    pending = approval.pending
    prompt = "Approve %s?" % pending["op"]
    approved = sorted(approval.grants.values(), key=lambda g: g["index"])
    token = save_approval(path, prompt, pending, {"pending": pending, "approved_ops": approved}, script_args)
    return approval_envelope(prompt, pending, token)


BACKSTOP_GRACE = 1.0  # seconds past the deadline before the backstop answers


class Answer:
    """The one envelope a tool run prints: the run's own, or the backstop's.

    The deadline normally ends the run at once (the hook, the bounded child waits).
    Where neither reaches — Lua blocked inside C (a read from an `io.popen` pipe or from
    stdin) or a `__gc` finalizer, which runs without hooks — a timer answers the timeout
    envelope BACKSTOP_GRACE seconds after the deadline and exits, abandoning the Lua state:
    the calling program gets its answer on time whatever the script does."""

    def __init__(self, timeout):
        import threading
        self.timeout = timeout
        self.readonly = False
        self._claim = threading.Lock()
        self._timer = threading.Timer(timeout + BACKSTOP_GRACE, self._backstop)
        self._timer.daemon = True
        self._timer.start()

    def claim(self):
        """True for the first caller only: it alone prints an envelope."""
        return self._claim.acquire(blocking=False)

    def _backstop(self):
        if not self.claim():
            return
        from assay.runtime.children import kill_for_exit
        kill_for_exit()
        data = error_envelope("execution timed out after %ds" % self.timeout, "timeout", self.readonly).encode()
        # straight to the descriptor: the thread stuck in C may hold stdio's locks
        while data:
            try:
                data = data[os.write(1, data):]
            except OSError:
                break
        os._exit(0)


def tool_command(path, timeout, script_args=()):
    from assay.runtime.exiting import exit_now
    from assay.runtime.signals import quiet_signals
    quiet_signals()
    answer = Answer(timeout)
    try:
        envelope = run_tool(path, timeout, script_args, answer)
    except ToolFailure as e:
        envelope = error_envelope(str(e))
    if not answer.claim():  # the backstop is answering and exiting
        import threading
        threading.Event().wait()
    sys.stdout.write(envelope)
    exit_now(0)


def resume_command(token, approve, resume_ttl, approver=None):
    try:
        envelope = resume(token, approve, resume_ttl, approver)
    except ToolFailure as e:
        envelope = error_envelope(str(e))
    if envelope is not None:
        sys.stdout.write(envelope)
    sys.stdout.flush()
    return 0


def resume(token, approve, resume_ttl, approver=None):
    """Re-run a script after an approval decision; returns an envelope, or None when the
    child's own envelope was relayed."""
    from assay.runtime.text import os_error_text
    directory = state_dir()
    if not _TOKEN.match(token or ""):
        raise ToolFailure("invalid resume token")
    state_file = os.path.join(directory, "resume", token + ".json")
    used_file = os.path.join(directory, "resume", token + ".used")
    if not os.path.exists(state_file):
        if os.path.exists(used_file):
            raise ToolFailure("resume token already used")
        raise ToolFailure("invalid resume token")
    try:
        with open(state_file, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ToolFailure("reading resume state: %s" % os_error_text(e)) from None
    try:
        state = json.loads(raw)
        script_path = state["script_path"]
        created_at = int(state["created_at"])
        if not isinstance(script_path, str):
            raise TypeError("script_path must be a string")
        script_args = state.get("script_args") or []
        if not isinstance(script_args, list) or not all(isinstance(a, str) for a in script_args):
            raise TypeError("script_args must be a list of strings")
    except (ValueError, KeyError, TypeError) as e:
        raise ToolFailure("parsing resume state: %s" % e) from None
    ttl = resume_ttl if resume_ttl is not None else int(state.get("ttl_secs", DEFAULT_TTL))
    if created_at + ttl < time.time():
        raise ToolFailure("resume token expired")

    env = dict(os.environ, ASSAY_MODE="tool", ASSAY_APPROVAL_RESULT=approve, ASSAY_STATE_DIR=directory)
    gated = state.get("mode") == "approval"
    if gated:
        # A write's token is spent by its one decision: claim it before anything runs,
        # so a replay (or a second resume racing this one) is refused.
        try:
            os.rename(state_file, used_file)
        except OSError:
            raise ToolFailure("resume token already used") from None
        env.update(decision_env(state, approve, approver))
        record_decision(directory, token, state, approve, approver)
    try:
        words = ["--"] + script_args if script_args else []
        child = subprocess.run(self_command() + ["run", "--mode", "tool", script_path] + words, env=env,
                               capture_output=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise ToolFailure("spawning resume execution: %s" % os_error_text(e)) from None
    sys.stderr.buffer.write(child.stderr)
    sys.stderr.flush()
    if not child.stdout.strip():
        first = child.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ToolFailure(first[0] if first else "resumed script printed no result (exit %d)" % child.returncode)
    out = child.stdout
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    if approver is not None and isinstance(doc, dict):  # echo who decided, keys kept in order
        out = out.rstrip()[:-1] + b',"approver":' + jsontext.encode(approver).encode("utf-8") + b"}"
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    status = doc.get("status") if isinstance(doc, dict) else None
    if child.returncode == 0 and not gated and status != "needs_approval":
        try:
            os.remove(state_file)
        except OSError as e:
            sys.stderr.write("error: cleaning up resume state: %s\n" % os_error_text(e))
    return None


def decision_env(state, approve, approver):
    """The environment that hands a re-run its grants: every earlier grant, plus this
    one (bound to the digest of the exact operation it was asked for) or a denial."""
    pending = state.get("pending") or {}
    grants = [g for g in state.get("approved_ops") or [] if isinstance(g, dict)]
    env = {"ASSAY_APPROVAL": "1", "ASSAY_READONLY": ""}
    if approve == "yes":
        grants.append({"index": pending.get("index"), "op": pending.get("op"), "digest": pending.get("digest"),
                       "approver": approver})
    else:
        env["ASSAY_DENIED_INDEX"] = str(pending.get("index"))
    env["ASSAY_APPROVED_OPS"] = json.dumps(grants)
    return env


def record_decision(directory, token, state, approve, approver):
    """Append the decision to `<state>/approvals.log` (one JSON object a line)."""
    pending = state.get("pending") or {}
    entry = {"at": int(time.time()), "token": token, "decision": approve, "approver": approver,
             "op": pending.get("op"), "index": pending.get("index"), "digest": pending.get("digest"),
             "script_path": state.get("script_path")}
    try:
        with open(os.path.join(directory, "approvals.log"), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
    except OSError as e:
        from assay.runtime.text import os_error_text
        raise ToolFailure("recording approval: %s" % os_error_text(e)) from None


def self_command():
    """How to start this very assay executable (the real binary when compiled)."""
    # Asked of the `assay` package, which the build always compiles: this module may be
    # kept as bytecode, and then has no `__compiled__` of its own.
    import assay
    if hasattr(assay, "__compiled__") or getattr(sys, "frozen", False):
        onefile = os.environ.get("NUITKA_ONEFILE_BINARY")
        return [onefile or os.path.abspath(sys.argv[0])]
    return [sys.executable, "-m", "assay"]
