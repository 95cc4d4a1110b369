"""Nuitka user plugin: one OpenSSL in the dist folder, not two.

psycopg-binary's wheel carries its own OpenSSL (libssl + libcrypto, about 7 MB
unstripped) for its libpq and libldap, next to the libssl.so.3/libcrypto.so.3 that
Python's _ssl and _hashlib use. Both are OpenSSL 3, whose ABI is stable: a library
built against 3.x and asking only for symbol versions that Python's copy provides
(checked here, symbol version by symbol version) runs on it. So every ELF file that
needs a renamed wheel copy (libssl-<hash>.so.3) is pointed at the folder's
libssl.so.3 (patchelf --replace-needed, plus an $ORIGIN run path to the folder's top
when it lives in a subfolder), and the wheel copies are deleted.
Runs in onStandaloneDistributionFinished, before the onefile is packed. The build fails
(instead of shipping a broken folder) if a needed symbol version is missing.
Use: --user-plugin=build/nuitka_one_openssl.py
"""
import os
import re
import subprocess

from nuitka.plugins.PluginBase import NuitkaPluginBase

RENAMED = re.compile(r"^lib(ssl|crypto)-[0-9a-f]{8}\.so\.3$")


def _elf_files(dist_dir):
    for folder, _, files in os.walk(dist_dir):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    yield path


def _run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def _needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", _run("readelf", "-d", path))


def _versions(path, defined):
    """OpenSSL symbol versions a file defines (defined=True) or imports."""
    out = set()
    for line in _run("objdump", "-T", path).splitlines():
        m = re.search(r"\s(OPENSSL_[0-9.]+)\s", line)
        if m and ("*UND*" not in line) == defined:
            out.add(m.group(1))
    return out


class NuitkaPluginAssayOneOpenssl(NuitkaPluginBase):
    plugin_name = "assay-one-openssl"
    plugin_desc = "Point psycopg-binary's libraries at Python's OpenSSL; drop the wheel's copy."

    def onStandaloneDistributionFinished(self, dist_dir):
        ours = {kind: os.path.join(dist_dir, "lib%s.so.3" % kind) for kind in ("ssl", "crypto")}
        if not all(os.path.exists(p) for p in ours.values()):
            self.info("no libssl.so.3/libcrypto.so.3 at the top of the folder; nothing to do")
            return
        provided = _versions(ours["ssl"], True) | _versions(ours["crypto"], True)
        copies = set()
        for path in _elf_files(dist_dir):
            renamed = [n for n in _needed(path) if RENAMED.match(n)]
            if not renamed:
                continue
            missing = _versions(path, False) - provided
            if missing:
                self.sysexit("%s needs OpenSSL symbol versions %s that Python's OpenSSL lacks"
                             % (os.path.relpath(path, dist_dir), ", ".join(sorted(missing))))
            args = []
            for name in renamed:
                args += ["--replace-needed", name, "lib%s.so.3" % RENAMED.match(name).group(1)]
                copies.add(name)
            _run("strip", "--strip-unneeded", path)  # strip after patchelf would break the file
            _run("patchelf", *args, path)
            up = os.path.relpath(dist_dir, os.path.dirname(path))
            if up != ".":
                rpath = _run("patchelf", "--print-rpath", path).strip()
                entry = "$ORIGIN/" + up
                if entry not in rpath.split(":"):
                    _run("patchelf", "--set-rpath", ":".join(p for p in (rpath, entry) if p), path)
        saved = 0
        for path in list(_elf_files(dist_dir)):
            if os.path.basename(path) in copies:
                saved += os.path.getsize(path)
                os.unlink(path)
        self.info("one OpenSSL: %d wheel copies removed (%.1f MB)" % (len(copies), saved / 1e6))
