"""Credential handles: a script can use a secret without ever holding it.

`credential.get(name)` returns a placeholder string (`{{credential:NAME:NONCE}}`) for a
credential the policy file declares (read from an environment variable or a file). The
script passes it around like any string — into a header value or a request body — and
the HTTP layer swaps in the secret only after the request passed the policy check.
Printing, logging or returning the handle shows the placeholder; a handle in a URL is
refused (URLs end up in logs and error messages); a response that echoes the secret
back has it replaced by the placeholder again.

Handles live for the process (one run per process) and only work for the credentials
the policy names; the nonce keeps a script from building a handle it was not given.
"""
import re
import secrets
import threading

_lock = threading.Lock()
_issued = {}          # placeholder (bytes) -> secret (bytes)
_nonce = secrets.token_hex(6)
_HANDLE = re.compile(rb"\{\{credential:[A-Za-z0-9_.-]+:[0-9a-f]{12}\}\}")


class CredentialError(Exception):
    pass


def issue(name):
    """The handle for credential `name` (CredentialError when it cannot be read)."""
    from . import policy as policies
    from .text import os_error_text
    policy = policies.current()
    source = policy.credentials.get(name) if policy is not None else None
    if source is None:
        raise CredentialError("unknown credential '%s' (the policy file's credentials do not name it)" % name)
    kind, where = source
    import os
    if kind == "env":
        secret = os.environ.get(where)
        if not secret:
            raise CredentialError("credential '%s': environment variable %s is not set" % (name, where))
        secret = secret.encode("utf-8", "surrogateescape")
    else:
        try:
            with open(where, "rb") as f:
                secret = f.read().rstrip(b"\r\n")
        except OSError as e:
            raise CredentialError("credential '%s': reading %s: %s" % (name, where, os_error_text(e))) from None
        if not secret:
            raise CredentialError("credential '%s': %s is empty" % (name, where))
    handle = ("{{credential:%s:%s}}" % (name, _nonce)).encode()
    with _lock:
        _issued[handle] = secret
    return handle


def has_handle(data):
    return bool(data) and _HANDLE.search(data) is not None


def reveal(data):
    """`data` (bytes or str) with every issued handle replaced by its secret."""
    if isinstance(data, str):
        return reveal(data.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
    if not data or b"{{credential:" not in data:
        return data
    return _HANDLE.sub(lambda m: _issued.get(m.group(0), m.group(0)), data)


def conceal(data):
    """`data` (bytes) with every issued secret replaced by its handle."""
    if not data or not _issued:
        return data
    for handle, secret in list(_issued.items()):
        data = data.replace(secret, handle)
    return data
