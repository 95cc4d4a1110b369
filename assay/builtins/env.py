"""`env` — environment variables.

`env.get` is written in Lua: it reads the live `env._check_env` table (check-mode
overlay, scripts may change it) and only then asks Python for the process value,
so Python never indexes a Lua table outside the call that received it.
`env.set` changes `os.environ` (and so the C environment seen by child processes).
"""
import os


from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote
from . import lua_file


_environb = getattr(os, "environb", None)  # POSIX: bytes view sharing os.environ's data


def _string_arg(v, position, fn):
    return args.string_param(v, position, fn)


def _valid_name(name):
    return bool(name) and b"=" not in name and b"\0" not in name


def process_get(name=None):
    """The process value of `name`, or None when unset or not valid UTF-8."""
    name = _string_arg(name, 1, "_process_get")
    if not _valid_name(name):
        return None
    if _environb is not None:
        value = _environb.get(name)
    else:  # Windows: str environment
        value = os.environ.get(name.decode("utf-8", "surrogateescape"))
        value = None if value is None else value.encode("utf-8", "surrogateescape")
    if value is None:
        return None
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return value


def set_(name=None, value=None):
    name = _string_arg(name, 1, "set")
    if value is not None:
        value = _string_arg(value, 2, "set")
    if not _valid_name(name) or (value is not None and b"\0" in value):
        raise BuiltinError("env.set: failed to set environment variable %s: Invalid argument (os error 22)"
                           % debug_quote(name))
    if _environb is not None:
        if value is None:
            _environb.pop(name, None)
        else:
            _environb[name] = value
    else:
        key = name.decode("utf-8", "surrogateescape")
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value.decode("utf-8", "surrogateescape")
    return None


def list_():
    """Every process variable as {key=, value=}, in process order (non-UTF-8 entries skipped).
    Under a policy with an env allowlist only the allowed keys are listed, so a script
    that walks the environment keeps working without seeing what it may not read."""
    from assay.runtime import policy as policies
    policy = policies.current()
    items = _environb.items() if _environb is not None else (
        (k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
        for k, v in os.environ.items())
    out = []
    for key, value in items:
        try:
            key.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if policy is not None and not policy.allows_env(key.decode("utf-8")):
            continue
        out.append({"key": key, "value": value})
    return out


def install(bridge):
    runtime = getattr(bridge, "runtime", None)
    check_env = dict(getattr(runtime, "check_env", None) or {})
    t = bridge.define("env", {"set": set_, "list": list_, "_process_get": process_get}, lua=lua_file("env"))
    t[b"_check_env"] = bridge.to_lua({str(k): v if isinstance(v, (str, bytes)) else str(v)
                                      for k, v in check_env.items()})
