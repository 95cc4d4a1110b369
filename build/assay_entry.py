"""Entry point of the compiled `assay` executable (Nuitka main module).

Not part of the package: `make build` compiles this file, and Nuitka follows
`assay.cli.main` from here. Two things happen before the CLI runs:

1. TLS trust in an empty root: OpenSSL's compiled-in CA path does not exist in a
   scratch image or on distributions with another layout, so when SSL_CERT_FILE
   is unset it is pointed at the certifi bundle that ships inside the build.
   Only the C-level environment is changed (os.putenv): OpenSSL, libpq and child
   processes see it, while `env.get("SSL_CERT_FILE")` in a script still reports
   what the user set (nil).
2. `ASSAY_BUILD_SELFTEST=mod1,mod2,...` makes the binary import those modules and
   probe SQLite, OpenSSL's CA store, pycryptodome, psycopg and the assay package
   data, printing a JSON report instead of running the CLI (build/smoke.py reads it).
3. requests' charset detector (charset_normalizer) is not bundled: assay decodes bodies
   in the charset a response declares (assay.net.client.charset) and never asks requests
   to guess one. requests warns on import when no detector is installed; that warning
   is silenced here, where the build decides what is left out.
"""
import os
import sys

_STARTUP_MODULES = set(sys.modules)


def _trust_certifi():
    if "SSL_CERT_FILE" in os.environ:
        return
    # Data files sit next to the compiled modules: <dist folder>/certifi/cacert.pem.
    bundle = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certifi", "cacert.pem")
    if not os.path.isfile(bundle):
        try:
            import certifi
            bundle = certifi.where()
        except Exception:
            return
    os.putenv("SSL_CERT_FILE", bundle)


def _pycryptodome_probe():
    """Sign and verify with RSA and P-256 (this loads pycryptodome's shared libraries
    for this CPU), and list every shared library in its folder (the other CPUs' variants
    are only loaded elsewhere, so smoke.py checks they are present)."""
    libs = []
    try:
        import Crypto
        from Crypto.Hash import SHA256
        from Crypto.PublicKey import ECC, RSA
        from Crypto.Signature import DSS, pkcs1_15
        digest = SHA256.new(b"assay")
        rsa = RSA.generate(1024)
        pkcs1_15.new(rsa.public_key()).verify(digest, pkcs1_15.new(rsa).sign(digest))
        ec = ECC.generate(curve="P-256")
        DSS.new(ec.public_key(), "fips-186-3").verify(digest, DSS.new(ec, "fips-186-3").sign(digest))
        root = os.path.dirname(os.path.dirname(os.path.abspath(Crypto.__file__)))
        for folder, _, files in os.walk(os.path.dirname(os.path.abspath(Crypto.__file__))):
            for name in files:
                if name.endswith(".so"):
                    rel = os.path.relpath(os.path.join(folder, name.split(".")[0]), root)
                    libs.append(rel.replace(os.sep, "."))
        return "ok", sorted(libs)
    except Exception as e:
        return "ERROR %s: %s" % (type(e).__name__, e), sorted(libs)


def _selftest(names):
    """Import the named modules and probe the bundled natives; report as JSON."""
    import json

    report = {"python": sys.version.split()[0], "executable": sys.executable, "modules": {},
              "startup_modules": sorted(_STARTUP_MODULES)}
    try:
        import assay.cli.main  # noqa: F401  (what the CLI costs before any command runs)
        report["cli_modules"] = sorted(set(sys.modules) - _STARTUP_MODULES)
    except Exception as e:
        report["cli_modules"] = "ERROR %s" % e
    for name in names:
        try:
            module = __import__(name, fromlist=["_"])
            report["modules"][name] = str(getattr(module, "__version__", "ok"))
        except Exception as e:  # report, do not stop: the smoke test lists every failure
            report["modules"][name] = "ERROR %s: %s" % (type(e).__name__, e)
    report["inspect_at_startup"] = "inspect" in _STARTUP_MODULES
    try:  # Nuitka's inspect patches must still apply once inspect is imported
        import inspect

        def gen():
            yield 1

        g = gen()
        state = inspect.getgeneratorstate(g)
        next(g)
        report["inspect_patch"] = [type(inspect.getgeneratorstate).__name__, state, inspect.getgeneratorstate(g)]
    except Exception as e:
        report["inspect_patch"] = "ERROR %s: %s" % (type(e).__name__, e)
    if "yaml" in names:
        try:
            import yaml
            report["yaml_libyaml"] = bool(yaml.__with_libyaml__)
        except Exception as e:
            report["yaml_libyaml"] = "ERROR %s" % e
    if "psycopg" in names:
        try:
            import psycopg.pq
            report["psycopg_impl"] = psycopg.pq.__impl__
            report["libpq"] = psycopg.pq.version()
        except Exception as e:
            report["psycopg_impl"] = "ERROR %s" % e
    try:
        import sqlite3
        con = sqlite3.connect(":memory:")
        report["sqlite"] = con.execute("select sqlite_version()").fetchone()[0]
        con.close()
    except Exception as e:
        report["sqlite"] = "ERROR %s" % e
    try:
        import ssl
        report["ssl_ca_count"] = ssl.create_default_context().cert_store_stats()["x509_ca"]
        report["openssl"] = ssl.OPENSSL_VERSION
    except Exception as e:
        report["ssl_ca_count"] = "ERROR %s" % e
    if "Crypto" in names:
        report["pycryptodome"], report["pycryptodome_libs"] = _pycryptodome_probe()
    # what crypto.jwt_* used before pycryptodome; PyMySQL would import it if present
    import importlib.util
    report["cryptography_bundled"] = importlib.util.find_spec("cryptography") is not None
    try:
        import assay
        from assay.builtins import available_families
        from assay.runtime import loader
        report["assay"] = assay.__version__
        report["families"] = available_families()
        root = str(loader.stdlib_dir())
        report["stdlib_dir"] = root
        report["stdlib_files"] = sorted(os.path.relpath(os.path.join(d, f), root)
                                        for d, _, files in os.walk(root) for f in files if f.endswith(".lua"))
        prelude = os.path.join(os.path.dirname(loader.__file__), "lua", "prelude.lua")
        report["prelude"] = os.path.isfile(prelude)
    except Exception as e:
        report["assay"] = "ERROR %s: %s" % (type(e).__name__, e)
    sys.stdout.write(json.dumps(report, indent=1, sort_keys=True) + "\n")
    sys.stdout.flush()


class _NoCharsetDetector:
    """Matches requests' warning that no charset detector is installed. A warnings filter
    calls its message pattern's `match`; `filterwarnings(message=...)` would compile a
    regular expression, and importing `re` (with enum) was a tenth of every start."""

    def match(self, text):
        return text.startswith("Unable to find acceptable character detection")


_trust_certifi()
import warnings  # noqa: E402

warnings.filters.insert(0, ("ignore", _NoCharsetDetector(), Warning, None, 0))
if os.environ.get("ASSAY_BUILD_SELFTEST"):
    _selftest([n for n in os.environ["ASSAY_BUILD_SELFTEST"].split(",") if n and n != "1"])
    sys.exit(0)

from assay.cli.main import entry  # noqa: E402

entry()
