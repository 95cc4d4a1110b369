"""`shell.exec(cmd, opts?)`. Blocking: stalls every task.

Runs `/bin/sh -c cmd` and returns `{status, stdout, stderr, timed_out}`. Output is
returned as the raw bytes the command wrote (identical to the original for UTF-8
output, lossless otherwise). stdin is fed while the output is read, so large
input plus large output cannot deadlock (spec Note). The command runs in its own
session: when its timeout is up the whole process group is killed and the call
returns at once (spec Note, SHELL-07); the wait is also bounded by a tool-mode
deadline, and SIGINT/SIGTERM kill the group before assay exits (runtime/children.py).
"""
import math
import os

from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import os_error_text

_TIMEOUT = "shell.exec: timeout must be a non-negative finite number"


def _opt_string(opts, name):
    v = args.field(opts, name)
    if v is None:
        return None
    return args.string(v, "shell.exec: %s must be a string" % name)


def _env(opts, who="shell.exec"):
    """The caller's environment with opts.env merged over it, or None without opts.env."""
    table = args.field(opts, "env")
    if table is None:
        return None
    if not args.is_table(table):
        raise BuiltinError(who + ": env must be a table")
    env = dict(os.environb)
    for k, v in table.items():
        key = args.string(k, who + ": env names must be strings")
        value = args.string(v, who + ": env values must be strings")
        if b"=" in key or b"\0" in key or b"\0" in value or not key:
            raise BuiltinError("%s: invalid environment variable %s" % (who, key.decode("utf-8", "replace")))
        env[key] = value
    return env


def _timeout(opts):
    v = args.field(opts, "timeout")
    if v is None:
        return None
    if isinstance(v, bool):
        raise BuiltinError(_TIMEOUT)
    if isinstance(v, bytes):
        v = args.parse_lua_number(v)
        if v is None:
            raise BuiltinError(_TIMEOUT)
    if not isinstance(v, (int, float)) or math.isnan(v) or math.isinf(v) or v < 0:
        raise BuiltinError(_TIMEOUT)
    return float(v)


def _command(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return args.lua_number_text(v).encode()
    raise BuiltinError("shell.exec: command string required")


def exec_(cmd=None, opts=None, deadline=None):
    command = _command(cmd)
    if b"\0" in command:
        raise BuiltinError("shell.exec: failed to spawn command: nul byte found in provided data")
    if not args.is_table(opts):
        opts = None  # other types are ignored
    cwd = _opt_string(opts, "cwd")
    stdin = _opt_string(opts, "stdin")
    env = _env(opts)
    timeout = _timeout(opts)
    return run(command, cwd=cwd, env=env, stdin=stdin, timeout=timeout, deadline=deadline)


def run(command, cwd=None, env=None, stdin=None, timeout=None, deadline=None):
    """`deadline`: the run's (time.monotonic()), which the wait never passes."""
    import subprocess
    from assay.runtime import children
    from assay.runtime.signals import restore_in_child
    try:
        proc = subprocess.Popen(
            [b"/bin/sh", b"-c", command], cwd=cwd, env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            # its own process group, so that a timeout, the deadline or a signal to
            # assay can kill everything the command started
            start_new_session=True,
            preexec_fn=restore_in_child,
        )
    except OSError as e:
        raise BuiltinError("shell.exec: failed to spawn command: %s" % os_error_text(e)) from None
    except ValueError as e:
        raise BuiltinError("shell.exec: failed to spawn command: %s" % e) from None
    try:
        stdout, stderr = children.wait(proc, timeout, deadline, input=stdin, communicate=True)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return {"status": -1, "stdout": "", "stderr": "", "timed_out": True}
    except OSError as e:
        _kill(proc)
        raise BuiltinError("shell.exec: failed to wait for command: %s" % os_error_text(e)) from None
    except BaseException:
        _kill(proc)
        raise
    status = proc.returncode
    return {"status": status if status >= 0 else -1, "stdout": stdout, "stderr": stderr, "timed_out": False}


def _kill(proc):
    """Kill the command's process group, reap `sh`, drop the pipes unread."""
    from assay.runtime import children
    children.kill(proc)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def install(bridge):
    scheduler = bridge.runtime.scheduler

    def exec_in_run(cmd=None, opts=None, *_):
        return exec_(cmd, opts, deadline=scheduler.deadline)

    bridge.define("shell", {"exec": exec_in_run})
