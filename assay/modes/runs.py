"""One run for a remote caller (the MCP server, the HTTP API): the code in its own
`assay run --mode tool` process, under a gate, with a deadline.

A separate process per run keeps runs apart — a script's `os.exit`, `io.write`,
`env.set` or a runaway loop cannot touch the server or another run — and makes a
resumed run exactly what `assay resume` does on the command line. The code is stored
under `<state>/runs/<sha256>.lua`, so a resume token can find it again.
"""
import hashlib
import os
import subprocess
import sys

from .tool import ToolFailure, error_envelope, self_command, state_dir

GATES = ("readonly", "approval", "unrestricted")
MAX_TIMEOUT = 3600
_KILL_GRACE = 15  # seconds past the run's own timeout before the process is killed


def run_code(code, gate="readonly", timeout=20):
    """The tool-mode envelope (text) for running `code` under `gate`."""
    try:
        directory = state_dir()
        runs = os.path.join(directory, "runs")
        os.makedirs(runs, exist_ok=True)
        data = code.encode("utf-8", "surrogateescape")
        path = os.path.join(runs, hashlib.sha256(data).hexdigest() + ".lua")
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
    except (OSError, ToolFailure) as e:
        from assay.runtime.text import os_error_text
        return error_envelope("storing the script: %s" % (os_error_text(e) if isinstance(e, OSError) else e))
    env = _env(directory)
    if gate == "readonly":
        env["ASSAY_READONLY"] = "1"
    elif gate == "approval":
        env["ASSAY_APPROVAL"] = "1"
    return _child(self_command() + ["run", "--mode", "tool", "--timeout", str(timeout), path], env,
                  timeout + _KILL_GRACE, timeout)


def resume_run(token, approve, approver=None):
    """The envelope of `assay resume` for a token a run of this server issued."""
    try:
        directory = state_dir()
    except ToolFailure as e:
        return error_envelope(str(e))
    argv = self_command() + ["resume", "--token", token, "--approve", approve]
    if approver:
        argv += ["--approver", approver]
    return _child(argv, _env(directory), MAX_TIMEOUT + _KILL_GRACE, MAX_TIMEOUT)


def _env(directory):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ASSAY_READONLY", "ASSAY_APPROVAL", "ASSAY_MODE", "ASSAY_APPROVED_OPS",
                        "ASSAY_DENIED_INDEX", "ASSAY_APPROVAL_RESULT")}
    env["ASSAY_STATE_DIR"] = directory
    return env


def _child(argv, env, kill_after, timeout):
    try:
        child = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL, timeout=kill_after)
    except subprocess.TimeoutExpired:
        return error_envelope("execution timed out after %ds" % timeout, "timeout")
    except OSError as e:
        from assay.runtime.text import os_error_text
        return error_envelope("starting the run: %s" % os_error_text(e))
    if child.stderr:  # the run's log lines: diagnostics for whoever runs the server
        sys.stderr.buffer.write(child.stderr)
        sys.stderr.flush()
    out = child.stdout.decode("utf-8", "replace").strip()
    if not out:
        lines = child.stderr.decode("utf-8", "replace").strip().splitlines()
        return error_envelope(lines[-1] if lines else "the run printed no result (exit %d)" % child.returncode)
    return out
