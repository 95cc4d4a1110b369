"""Throwaway TLS servers on 127.0.0.1 for the chroot test of the images (build/smoke.py).

- tls_postgres(): a private PostgreSQL cluster (Debian's server binaries, run as the
  `postgres` user) with ssl=on and a pg_hba.conf that accepts TLS connections only, so
  a query that succeeds proves the connection was encrypted.
- tls_http(): an HTTPS server whose certificate comes from a throwaway CA that is in no
  public bundle, for the checks that the image's CA store is the one used to verify.
Both stop only the processes they started (by pid) and remove their files.
"""
import contextlib
import glob
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_ca_and_cert(folder, cn="127.0.0.1"):
    """A CA (ca.crt) and a server certificate signed by it for IP 127.0.0.1 (server.crt/.key)."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-subj", "/CN=assay chroot test CA", cwd=folder)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=" + cn, cwd=folder)
    with open(os.path.join(folder, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf", cwd=folder)
    return {k: os.path.join(folder, k) for k in ("ca.crt", "server.crt", "server.key")}


def _pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    return found[-1] if found else shutil.which(name)


@contextlib.contextmanager
def tls_postgres():
    """Yield the URL of a TLS-only PostgreSQL on 127.0.0.1, or a string starting with 'unavailable:'."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres or not shutil.which("runuser") or not shutil.which("openssl"):
        yield "unavailable: needs PostgreSQL's server binaries, runuser and openssl"
        return
    work = tempfile.mkdtemp(prefix="assay-tls-pg-")
    proc = None
    try:
        os.chmod(work, 0o755)
        certs = make_ca_and_cert(work)
        data = os.path.join(work, "data")
        shutil.chown(work, "postgres", "postgres")
        for p in certs.values():
            shutil.chown(p, "postgres", "postgres")
        os.chmod(certs["server.key"], 0o600)
        subprocess.run(["runuser", "-u", "postgres", "--", initdb, "-D", data, "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n")
        port = free_port()
        proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", postgres, "-D", data, "-p", str(port), "-k", work,
             "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on", "-c", "fsync=off",
             "-c", "ssl_cert_file=" + certs["server.crt"], "-c", "ssl_key_file=" + certs["server.key"]],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.time() > deadline:
                yield "unavailable: postgres did not start: %s" % proc.stderr.read().decode(errors="replace")[-500:]
                return
            time.sleep(0.2)
        time.sleep(0.5)  # accepting TCP before it accepts logins
        yield "postgres://postgres@127.0.0.1:%d/postgres" % port
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # runuser forwards SIGTERM to postgres: a smart shutdown
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"tls ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def tls_http():
    """Yield (url, ca_file) of an HTTPS server on 127.0.0.1 whose CA is in no public bundle."""
    work = tempfile.mkdtemp(prefix="assay-tls-http-")
    server = None
    try:
        certs = make_ca_and_cert(work)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs["server.crt"], certs["server.key"])
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield "https://127.0.0.1:%d/" % server.server_address[1], certs["ca.crt"]
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(work, ignore_errors=True)
