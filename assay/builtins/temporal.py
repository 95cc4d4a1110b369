"""`temporal` — the Temporal gRPC client (builtins.md §21).

This build carries no gRPC transport (the spec allows omitting it): `connect` and
`start` validate their arguments exactly like the original, then raise
`temporal connect: …`. The HTTP stdlib module `assay.temporal` is unaffected.
"""
from assay.runtime import args
from assay.runtime.errors import BuiltinError

NO_TRANSPORT = ("temporal connect: this assay build has no Temporal gRPC transport; "
                "use the HTTP module require(\"assay.temporal\") instead")


def _required(options, name, fn):
    value = args.field(options, name)
    if value is None:
        raise BuiltinError("%s: missing required field \"%s\"" % (fn, name))
    return args.text(value, "%s: field \"%s\" must be a string" % (fn, name))


def _validate_url(url):
    from urllib.parse import urlsplit
    try:
        parts = urlsplit("http://" + url)
        port = parts.port
    except ValueError as e:
        raise BuiltinError("invalid temporal URL: %s" % e) from None
    if not parts.hostname or " " in url or parts.path not in ("", "/"):
        raise BuiltinError("invalid temporal URL: %r is not host:port" % url)
    return parts.hostname, port


def _options(value, fn):
    if not args.is_table(value):
        raise BuiltinError("%s: argument must be a table" % fn)
    return value


def connect(options=None):
    options = _options(options, "temporal.connect")
    _validate_url(_required(options, "url", "temporal.connect"))
    raise BuiltinError(NO_TRANSPORT)


def start(options=None):
    options = _options(options, "temporal.start")
    url = _required(options, "url", "temporal.start")
    for name in ("task_queue", "workflow_type", "workflow_id"):
        _required(options, name, "temporal.start")
    _validate_url(url)
    raise BuiltinError(NO_TRANSPORT)


def install(bridge):
    bridge.define("temporal", {"connect": connect, "start": start})
