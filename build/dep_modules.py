"""Print the top-level modules of the project's runtime dependencies, one per line.

Run with the build venv's Python (where those distributions are installed). Reads
[project].dependencies from pyproject.toml, follows requested extras one level
(`psycopg[binary]` -> psycopg-binary), and maps each distribution to its import
names (top_level.txt, else the top-level folders/modules of its RECORD). build.sh
passes them to Nuitka with --include-module; smoke.py makes the binary import them.
`--native` prints the shared libraries loaded by file name instead (NATIVE_PACKAGES,
minus NATIVE_UNUSED).
"""
import importlib.metadata as md
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Always in the binary, whatever pyproject says: stdlib parts the builtins use, and
# certifi (the entry script's CA bundle).
ALWAYS = ["certifi", "sqlite3", "ssl", "_json", "zlib", "hashlib"]


def requirement(text):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", text)
    name, extras = m.group(1), [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]
    return name, extras


def top_level(dist):
    text = dist.read_text("top_level.txt")
    if text:
        names = [n.strip() for n in text.split() if n.strip()]
    else:
        names = set()
        for f in dist.files or []:
            parts = f.parts
            if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
                continue
            if len(parts) > 1:
                names.add(parts[0])
            elif parts[0].endswith(".py"):
                names.add(parts[0][:-3])
            elif ".cpython-" in parts[0] or parts[0].endswith(".abi3.so"):
                names.add(parts[0].split(".")[0])
        names = sorted(names)
    # shims such as PyYAML's `_yaml` alias are imported by their package anyway
    names = [n for n in names if not n.startswith("_") and not n.endswith(".libs")]
    # a namespace package (ruamel) -> the packages of this distribution inside it
    out = []
    for n in names:
        subs = sorted({".".join(f.parts[:2]) for f in dist.files or []
                       if len(f.parts) > 2 and f.parts[0] == n and f.parts[2] == "__init__.py"})
        if subs and not any(f.parts == (n, "__init__.py") for f in dist.files or []):
            out += subs
        else:
            out.append(n)
    return out


# Submodules that are loaded natively or dynamically: the smoke test imports them too.
PROBES = {"lupa": ["lupa.lua55"],
          "Crypto": ["Crypto.PublicKey.RSA", "Crypto.PublicKey.ECC", "Crypto.Signature.DSS",
                     "Crypto.PublicKey._nist_ecc", "Crypto.PublicKey._edwards", "Crypto.PublicKey._montgomery"],
          "psycopg": ["psycopg.pq"], "psycopg_binary": ["psycopg_binary.pq", "psycopg_binary._psycopg"],
          "yaml": ["yaml._yaml"], "re2": ["re2._re2"]}


# Packages whose C parts are shared libraries loaded by file name at run time, not
# imported: pycryptodome's (Crypto/**/_*.abi3.so, opened with ctypes by
# Crypto.Util._raw_api, with CPU-specific variants such as _SHA256_shani picked at run
# time). Nuitka cannot see them as imports and its own list predates pycryptodome 4,
# so build.sh names every one with --include-module, and smoke.py checks they are all
# in the folder.
NATIVE_PACKAGES = ["Crypto"]
# pycryptodome's libraries whose Python side nothing bundled imports (assay signs with
# RSA PKCS#1 v1.5 and ECDSA and reads PEM/PKCS#8 keys; it never uses these ciphers,
# hashes or key types), each with the modules that would load it: leaving them out
# saves 0.5 MB of the folder. smoke.py checks that those modules are indeed not in the
# binary, so a change that starts using one fails the smoke test instead of failing at
# run time.
NATIVE_UNUSED = {
    "Crypto.Cipher._ARC4": ["Crypto.Cipher.ARC4"],
    "Crypto.Cipher._chacha20": ["Crypto.Cipher.ChaCha20", "Crypto.Cipher.ChaCha20_Poly1305"],
    "Crypto.Cipher._pkcs1_decode": ["Crypto.Cipher._pkcs1_oaep_decode", "Crypto.Cipher.PKCS1_OAEP",
                                    "Crypto.Cipher.PKCS1_v1_5", "Crypto.Cipher.oaep"],
    "Crypto.Cipher._raw_cast": ["Crypto.Cipher.CAST"],
    "Crypto.Hash._BLAKE2b": ["Crypto.Hash.BLAKE2b"],
    "Crypto.Hash._BLAKE2s": ["Crypto.Hash.BLAKE2s"],
    "Crypto.Hash._MD2": ["Crypto.Hash.MD2"],
    "Crypto.Hash._MD4": ["Crypto.Hash.MD4"],
    "Crypto.Hash._RIPEMD160": ["Crypto.Hash.RIPEMD160"],
    "Crypto.Hash._k12": ["Crypto.Hash.KangarooTwelve"],
    "Crypto.Hash._poly1305": ["Crypto.Hash.Poly1305"],
    "Crypto.PublicKey._mldsa": ["Crypto.PublicKey.MLDSA"],
    "Crypto.PublicKey._mlkem": ["Crypto.PublicKey.MLKEM"],
}


def native_modules(modules):
    """Dotted names of the shared libraries inside the NATIVE_PACKAGES among `modules`."""
    import importlib.machinery
    import importlib.util
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    out = []
    for package in NATIVE_PACKAGES:
        if package not in modules:
            continue
        root = importlib.util.find_spec(package).submodule_search_locations[0]
        for folder, _, files in os.walk(root):
            for name in files:
                suffix = next((s for s in suffixes if name.endswith(s)), None)
                if suffix:
                    rel = os.path.relpath(os.path.join(folder, name[:-len(suffix)]), os.path.dirname(root))
                    if rel.replace(os.sep, ".") not in NATIVE_UNUSED:
                        out.append(rel.replace(os.sep, "."))
    return sorted(out)


def unused_native_loaders(modules):
    """The modules that would load a library of NATIVE_UNUSED (none may be bundled)."""
    return sorted(m for lib, loaders in NATIVE_UNUSED.items() if lib.split(".")[0] in modules
                  for m in loaders)


def probes(modules):
    """`modules` plus the submodules worth importing in a smoke test."""
    out = []
    for m in modules:
        out += [m] + PROBES.get(m, [])
    return out


def modules():
    import tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    modules = []
    for dep in deps:
        name, extras = requirement(dep)
        dists = [md.distribution(name)]
        for req in dists[0].requires or []:
            for extra in extras:
                if re.search(r"extra\s*==\s*['\"]%s['\"]" % re.escape(extra), req):
                    dists.append(md.distribution(requirement(req)[0]))
        for dist in dists:
            modules += top_level(dist)
    out = []
    for m in modules + ALWAYS:
        if m not in out:
            out.append(m)
    return out


def main():
    """The runtime dependencies' modules, or with --native their shared libraries."""
    names = native_modules(modules()) if sys.argv[1:] == ["--native"] else modules()
    sys.stdout.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
