"""The one TLS trust policy of assay.

Servers are verified against the system trust store; OpenSSL's own SSL_CERT_FILE /
SSL_CERT_DIR variables replace it. A machine without any bundle (a scratch or
distroless image) falls back to certifi's bundle, which ships inside assay. A client
may add roots (`ca_pems`) and present a certificate (mTLS); `insecure` turns
verification off for the one connection that asks for it.
"""


def client_context(ca_pems=(), client_cert=None, client_key=None, insecure=False):
    """A fresh SSLContext for outgoing connections. `client_cert`/`client_key` are file
    paths or PEM text. Raises ssl.SSLError / OSError."""
    import ssl
    ctx = ssl.create_default_context()
    if not ctx.cert_store_stats().get("x509_ca") and not _env_store():
        try:
            import certifi
            ctx.load_verify_locations(cafile=certifi.where())
        except Exception:
            pass
    for pem in ca_pems:
        ctx.load_verify_locations(cadata=pem)
    if client_cert:
        _load_client_cert(ctx, client_cert, client_key)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _load_client_cert(ctx, cert, key):
    """Load a client certificate given as file paths or as PEM text (kubeconfig's
    client-certificate-data). The ssl module only reads files, so PEM text goes through a
    private temporary file that is removed at once."""
    if not any(v and "-----BEGIN" in v for v in (cert, key)):
        ctx.load_cert_chain(cert, key or None)
        return
    import os
    import tempfile

    def pem(value):
        if "-----BEGIN" in value:
            return value
        with open(value) as f:
            return f.read()

    fd, path = tempfile.mkstemp(prefix="assay-client-", suffix=".pem")  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(pem(cert) + "\n" + (pem(key) if key else ""))
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def _env_store():
    """True when the user pointed OpenSSL at a CA directory (loaded lazily, so not counted)."""
    import os
    return bool(os.environ.get("SSL_CERT_DIR"))


def pem_problem(pem):
    """None if `pem` (bytes) holds one or more loadable certificates, else a reason."""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        return "no certificate found"
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.load_verify_locations(cadata=pem.decode("ascii"))
    except UnicodeDecodeError:
        return "not ASCII text"
    except (ssl.SSLError, ValueError) as e:
        return ssl_detail(e)
    return None


def ssl_detail(e):
    """A short reason for an SSL or certificate-file error."""
    import ssl
    from assay.runtime.text import os_error_text
    if isinstance(e, OSError) and e.errno and e.strerror and not isinstance(e, ssl.SSLError):
        return os_error_text(e)
    return getattr(e, "reason", None) or str(e)
