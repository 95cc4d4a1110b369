"""`shell.exec(cmd, opts?)`. Blocking: stalls every task.

Runs `/bin/sh -c cmd` and returns `{status, stdout, stderr, timed_out}`. Output is
returned as the raw bytes the command wrote (identical to the original for UTF-8
output, lossless otherwise). stdin is fed while the output is read, so large
input plus large output cannot deadlock (spec Note). With a timeout the command
runs in its own session and, when the time is up, the whole process group is
killed and the call returns at once (spec Note, SHELL-07).
"""
import math
import os
import signal

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


def exec_(cmd=None, opts=None, *_):
    command = _command(cmd)
    if b"\0" in command:
        raise BuiltinError("shell.exec: failed to spawn command: nul byte found in provided data")
    if not args.is_table(opts):
        opts = None  # other types are ignored
    cwd = _opt_string(opts, "cwd")
    stdin = _opt_string(opts, "stdin")
    env = _env(opts)
    timeout = _timeout(opts)
    return run(command, cwd=cwd, env=env, stdin=stdin, timeout=timeout)


def run(command, cwd=None, env=None, stdin=None, timeout=None):
    import subprocess
    from assay.runtime.signals import restore_in_child
    try:
        proc = subprocess.Popen(
            [b"/bin/sh", b"-c", command], cwd=cwd, env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            # a timeout needs a process group to kill; without one the command stays
            # in ours, so a terminal's Ctrl-C reaches it as in the original
            start_new_session=timeout is not None,
            preexec_fn=restore_in_child,
        )
    except OSError as e:
        raise BuiltinError("shell.exec: failed to spawn command: %s" % os_error_text(e)) from None
    except ValueError as e:
        raise BuiltinError("shell.exec: failed to spawn command: %s" % e) from None
    group = timeout is not None
    try:
        stdout, stderr = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc, group)
        return {"status": -1, "stdout": "", "stderr": "", "timed_out": True}
    except OSError as e:
        _kill(proc, group)
        raise BuiltinError("shell.exec: failed to wait for command: %s" % os_error_text(e)) from None
    except BaseException:
        _kill(proc, group)
        raise
    status = proc.returncode
    return {"status": status if status >= 0 else -1, "stdout": stdout, "stderr": stderr, "timed_out": False}


def _kill(proc, group):
    """SIGKILL `sh` (and its process group if it has one), reap it, drop the pipes unread."""
    import subprocess
    if group:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.kill()
    except OSError:
        pass
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def install(bridge):
    bridge.define("shell", {"exec": exec_})
