"""The gate every builtin call passes through: read-only and approval modes.

One `Guard` per VM. The bridge calls `guard.check(name, args)` before every Python
builtin, and the Lua standard-library functions that can write (`io.open`,
`os.remove`, …) are wrapped to call it too, so a write is caught wherever the call
comes from — `pcall`, a coroutine, `async.spawn`, a `require`d module or a `load`ed
string all end up in the same builtins. What counts as a write is decided by the
one table in `assay.runtime.operations`.

- read-only: a write raises `readonly: <name> blocked (…)`;
- approval: the n-th write of the run runs only if a grant for index n, bound to the
  SHA-256 digest of that exact operation and its arguments, was given; otherwise the
  run is suspended (`guard.approval.pending`) and tool mode answers needs_approval.
"""
import os

from .errors import BuiltinError

READONLY_ENV = "ASSAY_READONLY"
APPROVAL_ENV = "ASSAY_APPROVAL"
POLICY_ENV = "ASSAY_POLICY_FILE"   # the same name as assay.runtime.policy.POLICY_ENV
APPROVED_OPS_ENV = "ASSAY_APPROVED_OPS"   # set by `assay resume`: the grants so far (JSON)
DENIED_INDEX_ENV = "ASSAY_DENIED_INDEX"   # set by `assay resume --approve no`
SUMMARY_CAP = 200
_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua", "guard.lua")


def env_flag(environ, name):
    return (environ.get(name) or "").strip().lower() in ("1", "true")


def readonly_message(op):
    return "readonly: %s blocked (write operations are disabled in read-only mode)" % op


class Guard:
    def __init__(self, readonly=False, approval=None, policy=None):
        self.readonly = readonly
        self.approval = approval
        self.policy = policy  # assay.runtime.policy.Policy or None

    @classmethod
    def from_env(cls, environ=None):
        """The gate asked for by the environment (the CLI flags set the same variables);
        approval wins over read-only when both are set."""
        environ = os.environ if environ is None else environ
        rules = None
        # the policy module (and its patterns) loads only when a policy file is named
        if os.environ.get(POLICY_ENV):
            from . import policy
            rules = policy.current()
        if env_flag(environ, APPROVAL_ENV):
            return cls(approval=Approval.from_env(environ), policy=rules)
        return cls(readonly=env_flag(environ, READONLY_ENV), policy=rules)

    @property
    def active(self):
        return self.readonly or self.approval is not None or self.policy is not None

    def check(self, name, args):
        if not self.active:
            return
        if self.policy is not None:
            self._check_policy(name, args)
        from .operations import write_name  # loaded only once a mode made the gate active
        op = write_name(name, args)
        if op is None or self._declared_read(op, args):
            return
        if self.readonly:
            raise BuiltinError(readonly_message(op))
        if self.approval is not None:
            self.approval.admit(op, args)

    def _check_policy(self, name, args):
        """What the policy restricts beyond HTTP (which the HTTP layer checks per hop);
        env.list filters itself to the allowed keys."""
        policy = self.policy
        if name in ("env._process_get", "os.getenv", "require") and args and isinstance(args[0], bytes):
            key = args[0].decode("utf-8", "replace")
            if name == "require":
                if not policy.allows_module(key):
                    raise BuiltinError("policy: module '%s' is not allowed (not in modules.allow)" % key)
            elif not policy.allows_env(key):
                raise BuiltinError("policy: env key '%s' is not allowed (not in env.allow)" % key)

    def _declared_read(self, op, args):
        """An HTTP write the policy's rules declare a read (`classify: read`)."""
        if self.policy is None or not op.startswith("http."):
            return False
        url = next((a for a in args if isinstance(a, bytes) and b"://" in a), None)
        return url is not None and self.policy.classify(op[5:], url.decode("utf-8", "replace")) == "read"

    def install(self, bridge):
        """Route the Lua library's writing functions (and, under a policy, `require` and
        `os.getenv`) through `check`; builtins written in Python are checked by the bridge."""
        if not self.active:
            return
        with open(_LUA, "rb") as f:
            source = f.read().decode("utf-8")
        checks = bridge.lua.table()
        from .operations import lua_library_writes
        paths = lua_library_writes()
        if self.policy is not None:
            paths += ["require", "os.getenv"]
        for path in paths:
            checks[path.encode()] = bridge.function(self._checker(path), path)
        bridge.run_lua(source, "=[assay guard]", checks)

    def _checker(self, path):
        def check(*args):
            self.check(path, args)
        return check


class Approval:
    """Per-run approval state: which write indexes were granted, for what."""

    def __init__(self, grants=(), denied_index=None):
        self.grants = {g["index"]: g for g in grants}
        self.denied_index = denied_index
        self.counter = 0
        self.pending = None  # the first write that waits for a decision

    @classmethod
    def from_env(cls, environ):
        try:
            import json
            grants = json.loads(environ.get(APPROVED_OPS_ENV) or "[]")
            grants = [g for g in grants if isinstance(g, dict) and isinstance(g.get("index"), int)]
        except ValueError:
            grants = []
        denied = environ.get(DENIED_INDEX_ENV)
        return cls(grants, int(denied) if denied and denied.isdigit() else None)

    def admit(self, op, args):
        if self.pending is not None:  # suspended: nothing more runs, even behind pcall
            raise BuiltinError("approval: %s needs approval" % self.pending["op"])
        index = self.counter
        self.counter += 1
        digest = operation_digest(op, args)
        if self.denied_index == index:
            raise BuiltinError("approval: %s denied" % op)
        grant = self.grants.get(index)
        if grant is None:
            self.pending = {"op": op, "summary": summary(args), "index": index, "digest": digest}
            raise BuiltinError("approval: %s needs approval" % op)
        if grant.get("op") != op:
            raise BuiltinError("approval: operation %d changed since approval (approved '%s', got '%s')"
                               % (index, grant.get("op"), op))
        if grant.get("digest") != digest:
            raise BuiltinError("approval: operation %d changed since approval ('%s' arguments differ) "
                               "\u2014 refusing" % (index, op))


def summary(args):
    """The salient argument shown to the approver: the first string (URL, path, command, SQL)."""
    for value in args:
        if isinstance(value, bytes):
            text = value.decode("utf-8", "replace")
            return text if len(text) <= SUMMARY_CAP else text[:SUMMARY_CAP] + "..."
    return ""


def operation_digest(op, args):
    """SHA-256 over the operation name and a canonical JSON form of its arguments."""
    import hashlib  # only approval mode digests operations; plain runs skip its ~5 ms import
    import json
    canonical = json.dumps([op, [_plain(a, 0) for a in args]], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _plain(value, depth):
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape").encode("utf-8", "backslashreplace").decode("utf-8")
    from .luaengine import lua_type
    kind = lua_type(value)
    if kind == "table" and depth < 20:
        items = sorted(([_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in value.items()), key=repr)
        return {"table": items}
    return "<%s>" % (kind or "value")
