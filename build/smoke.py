"""Smoke test of built `assay` artifacts: prove what is inside, do not assume it.

    python build/smoke.py BINARY [BINARY...]          run each binary on this host
    python build/smoke.py --chroot ROOT [--onefile F] run /usr/bin/assay inside ROOT

With --chroot (needs root): every command runs in a private mount namespace
(`unshare -m`) with /proc and /dev mounted into ROOT and a scratch directory
bind-mounted on ROOT/tmp (ROOT itself stays untouched), as `chroot ROOT ...` with an
environment as empty as a container's (`env -i` + the image's ENV). ROOT needs no
shell and no tools: only what `make rootfs` put there.

Checks: the build self-report (every bundled library imports, psycopg's binary libpq,
SQLite, OpenSSL finds CAs with and without SSL_CERT_FILE, pycryptodome signs and all
its shared libraries are there, `cryptography` is not bundled, the prelude and every
stdlib .lua file), `--version`, `exec -e`, `FILE`,
`run FILE`, a `#!/usr/bin/assay` shebang script, non-ASCII output in the C locale,
and, for the families that exist in this build, json, `http.serve` + `http.get` over
loopback, SQLite through `db`, `require` of every stdlib module, `assay modules`.
For the onefile also: its unpack dir is marked complete, and a removed or truncated
file or a stamp of another build is repaired on the next start.
With --chroot also (chroot_checks): both executables without /proc (the onefile given
by --onefile is copied into the root's /tmp), the CA bundle and HTTPS verification,
PostgreSQL over TLS against a throwaway TLS-only server (build/chroot_services.py), and,
when the root has /bin/sh (the -sh image), `sh -c` and shell.exec.
Exits 1 if any check fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_ENV = {"PATH": "/usr/bin", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dep_modules  # noqa: E402  (needs the build venv: it reads installed distributions)

EXPECTED_MODULES = dep_modules.probes(dep_modules.modules())
# must fail to import: their shared libraries are left out (dep_modules.NATIVE_UNUSED)
UNUSED_LOADERS = dep_modules.unused_native_loaders(EXPECTED_MODULES)

HELLO = b"""local t = {}
for i = 1, 3 do t[#t + 1] = i * i end
print("hello " .. table.concat(t, ","))
print(_VERSION)
"""

SHEBANG = b"""#!/usr/bin/assay
print("shebang ok")
"""

UNICODE = "print(\"h\\u{e9}llo \\u{2713}\")"

SERVE = b"""
async.spawn(function()
  http.serve(0, { GET = { ["/ping"] = function(req)
    return { json = { pong = true, q = req.params.q } }
  end } })
end)
local deadline = os.time() + 10
while not _SERVER_PORT do
  sleep(0.02)
  assert(os.time() < deadline, "server did not start")
end
local r = http.get("http://127.0.0.1:" .. _SERVER_PORT .. "/ping?q=x")
print(r.status, json.parse(r.body).pong, json.parse(r.body).q)
"""

SQLITE = b"""
local c = db.connect("sqlite::memory:")
db.execute(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
db.execute(c, "INSERT INTO t (name) VALUES (?)", {"alice"})
local rows = db.query(c, "SELECT id, name FROM t")
print(#rows, rows[1].name)
db.close(c)
"""


class Runner:
    """Runs `assay ARGS` either directly or inside a chroot."""

    def __init__(self, binary=None, chroot=None, workdir=None, proc=True):
        self.binary, self.chroot, self.workdir, self.proc = binary, chroot, workdir, proc
        self.tmpdir = workdir if chroot is None else "/tmp"  # where scripts live as seen by assay
        self.label = binary if chroot is None else "chroot %s" % chroot

    def script_path(self, name):
        return os.path.join(self.tmpdir, name)

    def run(self, args, env=None, binary=True, timeout=60):
        env = dict(IMAGE_ENV if env is None else env)
        if self.chroot is None:
            full = dict(env, TMPDIR=self.workdir, HOME=self.workdir)
            cmd = ([self.binary] if binary else []) + list(args)
            return subprocess.run(cmd, capture_output=True, env=full, cwd=self.workdir, timeout=timeout)
        inner = (["/usr/bin/assay"] if binary else []) + list(args)
        shell = ('set -e; R=$1; W=$2; shift 2; %smount --rbind /dev "$R/dev"; '
                 'mount --bind "$W" "$R/tmp"; exec "$@"' % ('mount -t proc proc "$R/proc"; ' if self.proc else ""))
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", shell, "sh", self.chroot, self.workdir,
               "env", "-i"] + ["%s=%s" % kv for kv in env.items()] + ["/usr/sbin/chroot", self.chroot] + inner
        return subprocess.run(cmd, capture_output=True, timeout=timeout)


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("  ok    %s" % name)
        else:
            self.failed.append(name)
            print("  FAIL  %s%s" % (name, ("\n        " + detail.replace("\n", "\n        ")) if detail else ""))


def out(proc):
    return "exit %s\nstdout: %s\nstderr: %s" % (proc.returncode, proc.stdout.decode(errors="replace")[-2000:],
                                                 proc.stderr.decode(errors="replace")[-2000:])


def source_stdlib_files():
    base = os.path.join(ROOT, "stdlib")
    found = []
    for folder, _, files in os.walk(base):
        for f in files:
            if f.endswith(".lua"):
                found.append(os.path.relpath(os.path.join(folder, f), base))
    return sorted(found)


def smoke(runner, checks):
    w = runner.workdir
    for name, data, mode in (("hello.lua", HELLO, 0o644), ("shebang.lua", SHEBANG, 0o755),
                             ("serve.lua", SERVE, 0o644), ("sqlite.lua", SQLITE, 0o644)):
        with open(os.path.join(w, name), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(w, name), mode)

    # 1. the build's self-report, with the image's SSL_CERT_FILE and without it
    p = runner.run([], env=dict(IMAGE_ENV, ASSAY_BUILD_SELFTEST=",".join(EXPECTED_MODULES + UNUSED_LOADERS)))
    try:
        report = json.loads(p.stdout)
    except ValueError:
        checks.check("selftest runs", False, out(p))
        return
    checks.check("selftest runs", p.returncode == 0, out(p))
    bad = {m: report["modules"].get(m, "missing") for m in EXPECTED_MODULES
           if str(report["modules"].get(m, "ERROR missing")).startswith("ERROR")}
    checks.check("bundled libraries import (%d)" % len(EXPECTED_MODULES), not bad, json.dumps(bad, indent=1))
    if "psycopg" in EXPECTED_MODULES:
        checks.check("psycopg uses the binary libpq (%s, libpq %s)" % (report.get("psycopg_impl"), report.get("libpq")),
                     report.get("psycopg_impl") == "binary")
    if "yaml" in EXPECTED_MODULES:
        checks.check("PyYAML has its libyaml C loader", report.get("yaml_libyaml") is True, str(report.get("yaml_libyaml")))
    checks.check("sqlite3 works (%s)" % report.get("sqlite"), not str(report.get("sqlite")).startswith("ERROR"))
    if "Crypto" in EXPECTED_MODULES:
        checks.check("pycryptodome signs and verifies (RSA, P-256)", report.get("pycryptodome") == "ok",
                     str(report.get("pycryptodome")))
        native = dep_modules.native_modules(EXPECTED_MODULES)
        missing = sorted(set(native) - set(report.get("pycryptodome_libs") or []))
        checks.check("pycryptodome's %d shared libraries are all bundled" % len(native), not missing,
                     " ".join(missing))
        bundled = [m for m in UNUSED_LOADERS
                   if not str(report["modules"].get(m)).startswith("ERROR ModuleNotFoundError")]
        checks.check("no bundled module needs a left-out pycryptodome library", not bundled,
                     "bundled: %s (remove their libraries from dep_modules.NATIVE_UNUSED)" % " ".join(bundled))
    checks.check("cryptography is not bundled", report.get("cryptography_bundled") is False,
                 str(report.get("cryptography_bundled")))
    checks.check("TLS context loads CAs via SSL_CERT_FILE (%s)" % report.get("ssl_ca_count"),
                 isinstance(report.get("ssl_ca_count"), int) and report["ssl_ca_count"] > 0)
    checks.check("prelude.lua is bundled", report.get("prelude") is True)
    checks.check("inspect is not imported at start-up (build/patch_nuitka.py)",
                 report.get("inspect_at_startup") is False)
    checks.check("Nuitka's inspect patches apply when inspect is imported",
                 report.get("inspect_patch") == ["builtin_function_or_method", "GEN_CREATED", "GEN_SUSPENDED"],
                 str(report.get("inspect_patch")))
    want = source_stdlib_files()
    checks.check("stdlib .lua files bundled (%d)" % len(want), report.get("stdlib_files") == want,
                 "missing: %s" % sorted(set(want) - set(report.get("stdlib_files") or [])))
    families = report.get("families") or []
    print("        families in this build: %s" % " ".join(families))

    env_nocert = {k: v for k, v in IMAGE_ENV.items() if k != "SSL_CERT_FILE"}
    p = runner.run([], env=dict(env_nocert, ASSAY_BUILD_SELFTEST="ssl"))
    try:
        n = json.loads(p.stdout).get("ssl_ca_count")
    except ValueError:
        n = None
    checks.check("TLS context loads CAs without SSL_CERT_FILE (certifi fallback: %s)" % n,
                 isinstance(n, int) and n > 0, out(p))

    # 2. the command line
    import re
    version = re.search(r'__version__ = "([^"]+)"', open(os.path.join(ROOT, "assay/__init__.py")).read()).group(1)
    p = runner.run(["--version"])
    checks.check("--version", p.stdout.decode().strip() == "assay " + version, out(p))
    p = runner.run(["exec", "-e", "print(1)"])
    checks.check("exec -e 'print(1)'", p.returncode == 0 and p.stdout == b"1\n", out(p))
    expect = b"hello 1,4,9\nLua 5.5\n"
    p = runner.run([runner.script_path("hello.lua")])
    checks.check("assay FILE", p.returncode == 0 and p.stdout == expect, out(p))
    p = runner.run(["run", runner.script_path("hello.lua")])
    checks.check("assay run FILE", p.returncode == 0 and p.stdout == expect, out(p))
    p = runner.run([runner.script_path("shebang.lua")], binary=False) if runner.chroot else \
        runner.run([runner.script_path("shebang.lua")])  # on the host /usr/bin/assay may not exist
    checks.check("#!/usr/bin/assay script" if runner.chroot else "shebang line is skipped",
                 p.returncode == 0 and p.stdout == b"shebang ok\n", out(p))
    p = runner.run(["exec", "-e", UNICODE])
    checks.check("UTF-8 output with no locale", p.returncode == 0 and p.stdout == "h\u00e9llo \u2713\n".encode(), out(p))
    p = runner.run(["exec", "-e", "error('boom')"])
    checks.check("script error exits 1", p.returncode == 1 and b"boom" in p.stderr, out(p))

    # 3. families, where this build has them
    if "json" in families:
        p = runner.run(["exec", "-e", 'print(json.encode({a = {1, 2}}))'])
        checks.check("json.encode", p.stdout == b'{"a":[1,2]}\n', out(p))
    if "http" in families and "async_" in families and "time" in families and "json" in families:
        p = runner.run([runner.script_path("serve.lua")])
        checks.check("http.serve + http.get over loopback", p.returncode == 0 and p.stdout == b"200\ttrue\tx\n", out(p))
    if "db" in families:
        p = runner.run([runner.script_path("sqlite.lua")])
        checks.check("db with SQLite", p.returncode == 0 and p.stdout == b"1\talice\n", out(p))
    for rel in want:
        if not rel.endswith(".lua"):
            continue
        mod = "assay." + rel[:-4].replace("/init", "").replace("/", ".")
        p = runner.run(["exec", "-e", 'print(type(require("%s")))' % mod])
        checks.check("require %s" % mod, p.returncode == 0 and p.stdout.strip() in (b"table", b"function"), out(p))
    if os.path.isdir(os.path.join(ROOT, "assay", "discovery")):
        p = runner.run(["modules"])
        checks.check("assay modules", p.returncode == 0 and p.stdout.startswith(b"MODULE"), out(p))


PG_TLS = """
local c = db.connect("%s?sslmode=require")
local r = db.query(c, "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
print(tostring(r[1].ssl), r[1].version)
db.close(c)
"""

HTTPS_GET = """
local ok, r = pcall(http.get, "%s")
if ok then print("status " .. r.status .. " " .. r.body) else print("error " .. tostring(r)) end
"""


def chroot_checks(runner, checks, onefile=None):
    """What only the image root can show: no /proc, TLS to PostgreSQL and HTTPS, the shell."""
    import chroot_services
    root, w = runner.chroot, runner.workdir

    # No /proc: the folder's binary finds itself through the kernel's AT_EXECFN (run by
    # path or through PATH); a #! script cannot, and gets one line instead of a SIGABRT.
    bare = Runner(chroot=root, workdir=w, proc=False)
    p = bare.run(["exec", "-e", "print(1)"])
    checks.check("no /proc: assay exec -e 'print(1)'", p.returncode == 0 and p.stdout == b"1\n", out(p))
    p = bare.run([runner.script_path("shebang.lua")], binary=False)
    lines = p.stderr.decode(errors="replace").strip().splitlines()
    checks.check("no /proc: #! script exits 127 with one line naming /proc",
                 p.returncode == 127 and len(lines) == 1 and "/proc" in lines[0], out(p))
    if onefile:
        shutil.copy(onefile, os.path.join(w, "assay-onefile"))
        for label, r in (("", runner), ("no /proc: ", bare)):
            p = r.run([runner.script_path("assay-onefile"), "exec", "-e", "print(1)"], binary=False)
            checks.check("%sonefile in the image root" % label, p.returncode == 0 and p.stdout == b"1\n", out(p))

    # The CA store. What a test without the internet can prove: the image's bundle is the
    # certifi bundle byte for byte and OpenSSL inside the root loads every certificate of
    # it; verification is on and uses that store (a server whose CA is not in it is
    # refused); and a store given by SSL_CERT_FILE is what the HTTPS client verifies with
    # (the same request succeeds once that CA is appended to a copy of the bundle).
    # A handshake with a server certified by one of the bundle's public CAs needs a
    # public server, i.e. the internet; ASSAY_SMOKE_INTERNET_URL=https://... adds it.
    import certifi
    bundle = os.path.join(root, "etc/ssl/certs/ca-certificates.crt")
    with open(bundle, "rb") as f:
        data = f.read()
    with open(certifi.where(), "rb") as f:
        checks.check("image CA bundle is certifi's cacert.pem", data == f.read())
    p = runner.run([], env=dict(IMAGE_ENV, ASSAY_BUILD_SELFTEST="ssl"))
    try:
        n = json.loads(p.stdout).get("ssl_ca_count")
    except ValueError:
        n = None
    want = data.count(b"-----BEGIN CERTIFICATE-----")
    checks.check("OpenSSL in the root loads all %d CAs of the bundle (%s)" % (want, n), n == want, out(p))
    with chroot_services.tls_http() as (url, ca):
        p = runner.run(["exec", "-e", HTTPS_GET % url])
        checks.check("HTTPS to a server outside the bundle is refused",
                     p.returncode == 0 and p.stdout.startswith(b"error ") and b"certif" in p.stdout.lower(), out(p))
        with open(os.path.join(w, "bundle-plus-test-ca.pem"), "wb") as f:
            f.write(data + b"\n" + open(ca, "rb").read())
        p = runner.run(["exec", "-e", HTTPS_GET % url],
                       env=dict(IMAGE_ENV, SSL_CERT_FILE=runner.script_path("bundle-plus-test-ca.pem")))
        checks.check("HTTPS verified against the bundle + that CA", p.stdout == b"status 200 tls ok\n", out(p))
    internet = os.environ.get("ASSAY_SMOKE_INTERNET_URL")
    if internet:
        p = runner.run(["exec", "-e", HTTPS_GET % internet])
        checks.check("HTTPS to %s verified with the bundle" % internet, p.stdout.startswith(b"status "), out(p))
    else:
        print("  skip  HTTPS to a public server (no internet in CI; set ASSAY_SMOKE_INTERNET_URL)")

    # PostgreSQL over TLS with the bundled libpq (a server that refuses unencrypted logins).
    with chroot_services.tls_postgres() as url:
        if url.startswith("unavailable"):
            checks.check("PostgreSQL over TLS (%s)" % url, False)
        else:
            p = runner.run(["exec", "-e", PG_TLS % url])
            checks.check("PostgreSQL over TLS, sslmode=require (%s)" % p.stdout.decode(errors="replace").strip(),
                         p.returncode == 0 and p.stdout.startswith(b"true\tTLSv1."), out(p))

    # The -sh image: a shell for `sh -c` wrappers (GitLab CI's script:) and shell.exec.
    if os.path.exists(os.path.join(root, "bin", "sh")):
        p = runner.run(["/bin/sh", "-c", "assay exec -e 'print(1)' && echo done"], binary=False)
        checks.check("sh -c 'assay ...'", p.returncode == 0 and p.stdout == b"1\ndone\n", out(p))
        p = runner.run(["exec", "-e", 'local r = shell.exec("echo hi | tr a-z A-Z"); print(r.status, r.stdout)'])
        checks.check("shell.exec through busybox sh", p.returncode == 0 and p.stdout == b"0\tHI\n\n", out(p))


def onefile_checks(runner, checks):
    """The onefile's unpack dir: reused when complete, repaired when a file went missing."""
    p = runner.run(["exec", "-e", "print(1)"])
    dirs = [d for d in os.listdir(runner.workdir) if d.startswith("assay")
            and os.path.isdir(os.path.join(runner.workdir, d))]
    checks.check("onefile unpacks into $TMPDIR/assay-VERSION (%s)" % dirs,
                 p.returncode == 0 and p.stdout == b"1\n" and len(dirs) == 1, out(p))
    if len(dirs) != 1:
        return
    unpacked = os.path.join(runner.workdir, dirs[0])
    stamp = os.path.join(unpacked, ".assay-unpacked")
    checks.check("onefile marks a complete unpack", os.path.isfile(stamp))
    # A temp cleaner may delete files it thinks unused: the next start notices and
    # unpacks them again. The same for a truncated file and a stamp of another build.
    victim = os.path.join(unpacked, "assay", "runtime", "lua", "prelude.lua")
    for what, damage in (("a removed file", lambda: os.remove(victim)),
                         ("a truncated file", lambda: open(victim, "r+b").truncate(10)),
                         ("a foreign stamp", lambda: open(stamp, "w").write("0123456789abcdef\n"))):
        with open(victim, "rb") as f:
            want = f.read()
        damage()
        p = runner.run(["exec", "-e", "print(1)"])
        ok = os.path.isfile(victim) and open(victim, "rb").read() == want
        checks.check("onefile repairs its unpack dir after %s" % what,
                     ok and p.returncode == 0 and p.stdout == b"1\n", out(p))


def main(argv):
    targets = []
    onefile = None
    if argv[:1] == ["--chroot"]:
        targets.append(("chroot", os.path.abspath(argv[1])))
        if argv[2:3] == ["--onefile"]:
            onefile = os.path.abspath(argv[3])
    else:
        targets += [("binary", os.path.abspath(b)) for b in argv]
    if not targets:
        sys.exit(__doc__)
    total_failed = []
    for kind, path in targets:
        work = tempfile.mkdtemp(prefix="assay-smoke-")
        os.chmod(work, 0o1777)
        try:
            runner = Runner(binary=path, workdir=work) if kind == "binary" else Runner(chroot=path, workdir=work)
            print("smoke test: %s" % runner.label)
            checks = Checks()
            smoke(runner, checks)
            if kind == "binary" and not path.endswith(".bin"):  # the onefile
                onefile_checks(runner, checks)
            if kind == "chroot":
                chroot_checks(runner, checks, onefile)
            print("smoke test %s: %d checks ok, %d failed" % (runner.label, checks.passed, len(checks.failed)))
            total_failed += ["%s: %s" % (runner.label, f) for f in checks.failed]
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if total_failed:
        print("FAILED:\n  " + "\n  ".join(total_failed))
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
