"""The TLS options a builtin takes from its Lua options table — `ca_cert_file`, `ca_cert`,
`client_cert`, `client_key` and (where allowed) `insecure` — read and checked the same way
for `http.client` and `ws.connect`, so both hand `assay.net.tls` the same settings and
report a bad certificate with the same words."""
from assay.runtime import args
from assay.runtime.errors import BuiltinError
from assay.runtime.text import debug_quote as quote_path, os_error_text


def read(opts, name, insecure_allowed=False):
    """{ca_pems, client_cert, client_key, insecure} from `opts` (a Lua table or None)."""
    from assay.net import tls
    out = {"ca_pems": [], "client_cert": None, "client_key": None, "insecure": False}
    if opts is None:
        return out
    path = args.field(opts, "ca_cert_file")
    if path is not None:
        path = args.text(path, "%s: ca_cert_file must be a string" % name)
        try:
            with open(path, "rb") as fh:
                pem = fh.read()
        except OSError as e:
            raise BuiltinError("%s: failed to read CA cert file %s: %s"
                               % (name, quote_path(path), os_error_text(e))) from None
        problem = tls.pem_problem(pem)
        if problem:
            raise BuiltinError("%s: invalid PEM in %s: %s" % (name, quote_path(path), problem))
        out["ca_pems"].append(pem.decode("ascii", "replace"))
    inline = args.field(opts, "ca_cert")
    if inline is not None:
        inline = args.string(inline, "%s: ca_cert must be a string" % name)
        problem = tls.pem_problem(inline)
        if problem:
            raise BuiltinError("%s: invalid CA cert PEM: %s" % (name, problem))
        out["ca_pems"].append(inline.decode("ascii", "replace"))
    for key in ("client_cert", "client_key"):
        value = args.field(opts, key)
        if value is not None:
            out[key] = args.text(value, "%s: %s must be a file path or PEM string" % (name, key))
    if out["client_key"] and not out["client_cert"]:
        raise BuiltinError("%s: failed to build client: client_key given without client_cert" % name)
    if insecure_allowed:
        insecure = args.field(opts, "insecure")
        if insecure is not None and not isinstance(insecure, bool):
            raise BuiltinError("%s: insecure must be a boolean" % name)
        out["insecure"] = bool(insecure)
    return out
