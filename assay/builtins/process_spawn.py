"""`process.spawn` / `process.wait`: start a program without waiting, collect it later.

A child started by `spawn` runs in its own session (Ctrl-C on assay does not reach
it) with stdin from /dev/null. Its stdout and stderr go to a file when the option
names one; otherwise they are captured by two daemon threads (so a chatty child
never blocks on a full pipe) up to `CAPTURE_LIMIT` bytes each, and `wait` returns
them. `wait` runs on a worker thread, so other tasks go on meanwhile; it never waits past
a tool-mode deadline (then the child's group is killed, see runtime/children.py).
Only plain Lua data crosses: the handle is `{pid = N}`, the Popen object stays here.
"""
import math
import os

from assay.runtime import args
from assay.runtime.bridge import yielding
from assay.runtime.errors import BuiltinError
from assay.runtime.scheduler import InThread
from assay.runtime.text import debug_quote as quote, os_error_text

CAPTURE_LIMIT = 16 << 20


class _Capture:
    """Reads one pipe to its end on a daemon thread, keeping the first CAPTURE_LIMIT bytes."""

    def __init__(self, pipe):
        import threading
        self.data = bytearray()
        self.truncated = False
        self._pipe = pipe
        self._thread = threading.Thread(target=self._drain, name="assay-spawn-pipe", daemon=True)
        self._thread.start()

    def _drain(self):
        try:
            while True:
                chunk = self._pipe.read1(1 << 16)
                if not chunk:
                    break
                room = CAPTURE_LIMIT - len(self.data)
                if len(chunk) > room:
                    self.truncated = True
                self.data += chunk[:max(room, 0)]
        except (OSError, ValueError):
            pass
        finally:
            try:
                self._pipe.close()
            except OSError:
                pass

    def result(self, timeout=None):
        self._thread.join(timeout)
        return bytes(self.data)


class _Child:
    def __init__(self, proc, out, err):
        self.proc, self.out, self.err = proc, out, err
        self.result = None


def _string(v, who, what):
    return args.string(v, "%s: %s must be a string, got %s" % (who, what, args.type_name(v)))


def _argv(opts, who):
    table = args.field(opts, "args")
    if table is None:
        return []
    if not args.is_table(table):
        raise BuiltinError(who + ": args must be an array of strings")
    out = []
    for i in range(1, len(table) + 1):
        out.append(_string(table[i], who, "args[%d]" % i))
    return out


def _timeout(opts, who):
    v = args.field(opts, "timeout")
    if v is None:
        return None
    value = args.number(v, who + ": timeout must be a non-negative number of seconds")
    if math.isnan(value) or value < 0:
        raise BuiltinError(who + ": timeout must be a non-negative number of seconds")
    return None if math.isinf(value) else float(value)


def install(bridge, table):
    children = {}  # pid -> _Child, for this VM
    scheduler = bridge.runtime.scheduler

    def spawn(cmd=None, opts=None):
        who = "process.spawn"
        if args.is_table(cmd):  # the single-table form: process.spawn({cmd = ..., args = ...})
            if opts is not None:
                raise BuiltinError(who + ": with a table as first argument there is no second")
            opts = cmd
            cmd = args.field(opts, "cmd")
            if cmd is None:
                raise BuiltinError(who + ": cmd is required")
        program = _string(cmd, who, "cmd")
        opts = args.optional_table(opts, who + ": opts must be a table or nil")
        argv = [program] + _argv(opts, who)
        cwd = args.field(opts, "cwd")
        cwd = None if cwd is None else _string(cwd, who, "cwd")
        from .shell import _env
        env = _env(opts, who)
        targets = {}
        for stream in ("stdout", "stderr"):
            path = args.field(opts, stream)
            targets[stream] = None if path is None else _string(path, who, stream)

        import subprocess
        from assay.runtime.signals import restore_in_child
        opened = {}
        try:
            for stream, path in targets.items():
                if path is not None and path not in opened:
                    try:
                        opened[path] = open(path, "ab")
                    except (OSError, ValueError) as e:
                        detail = os_error_text(e) if isinstance(e, OSError) else str(e)
                        raise BuiltinError("%s: cannot open %s for %s: %s" % (who, quote(path), stream, detail)) from None
            redirect = {s: (opened[p] if p is not None else subprocess.PIPE) for s, p in targets.items()}
            try:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=redirect["stdout"], stderr=redirect["stderr"],
                                        start_new_session=True, preexec_fn=restore_in_child)
            except OSError as e:
                raise BuiltinError("%s: failed to start %s: %s" % (who, quote(program), os_error_text(e))) from None
            except ValueError as e:
                raise BuiltinError("%s: failed to start %s: %s" % (who, quote(program), e)) from None
        finally:
            for f in opened.values():
                f.close()
        out = _Capture(proc.stdout) if proc.stdout is not None else None
        err = _Capture(proc.stderr) if proc.stderr is not None else None
        children[proc.pid] = _Child(proc, out, err)
        return {"pid": proc.pid}

    @yielding
    def wait(handle=None, opts=None):
        who = "process.wait"
        pid = args.field(handle, "pid") if args.is_table(handle) else handle
        if isinstance(pid, bool) or not isinstance(pid, (int, float)) or pid != int(pid):
            raise BuiltinError(who + ": first argument must be a handle from process.spawn or its pid")
        child = children.get(int(pid))
        if child is None:
            raise BuiltinError("%s: no process with pid %d was started by process.spawn" % (who, pid))
        opts = args.optional_table(opts, who + ": opts must be a table or nil")
        timeout = _timeout(opts, who)

        deadline = scheduler.deadline

        def work():
            import subprocess
            from assay.runtime import children as waits
            if child.result is None:
                try:
                    waits.wait(child.proc, timeout, deadline)
                except subprocess.TimeoutExpired:
                    return {"pid": child.proc.pid, "timed_out": True}
                child.result = _result(child)
            return child.result
        return InThread(work)

    table[b"spawn"] = bridge.function(spawn, "process.spawn")
    table[b"wait"] = bridge.function(wait, "process.wait")


def _result(child):
    code = child.proc.returncode
    out = {"pid": child.proc.pid, "timed_out": False, "exited": code >= 0, "signaled": code < 0}
    if code < 0:
        out["signal"] = -code
        out["status"] = 128 - code
    else:
        out["status"] = code
    for name, capture in (("stdout", child.out), ("stderr", child.err)):
        if capture is not None:
            out[name] = capture.result()
            if capture.truncated:
                out[name + "_truncated"] = True
    return out
