"""CycloneDX 1.5 SBOM (JSON) of what is inside the built assay artifacts.

    python packaging/sbom.py DIST_FOLDER OUT.cdx.json [--report build/out/report.xml]

Run with the build venv's Python. Sources of truth:
- Nuitka's compilation report: the Python distributions compiled in (name, version),
  the CPython version, and every shared library copied into the folder with the path
  it came from;
- dpkg, for libraries copied from the build machine (Debian package and version);
- the wheel that shipped a vendored library (psycopg-binary's libpq, OpenSSL, ...);
- lupa, for the Lua version it embeds.
Only the standard library is used, so no SBOM tool is needed.
"""
import argparse
import datetime
import hashlib
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def deb_package(path):
    """(package, version, arch) owning a host file, or None."""
    for candidate in (path, os.path.realpath(path), "/usr" + path if path.startswith("/lib") else None):
        if not candidate:
            continue
        try:
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True).stdout
        except OSError:
            return None
        if owner and ":" in owner:
            pkg = owner.split(":")[0].strip() if owner.count(":") == 1 else ":".join(owner.split(":")[:2])
            name = pkg.split(":")[0]
            fmt = "${Version} ${Architecture}"
            info = subprocess.run(["dpkg-query", "-W", "-f", fmt, pkg], capture_output=True, text=True).stdout.split()
            if len(info) == 2:
                return name, info[0], info[1]
    return None


def os_release():
    try:
        with open("/etc/os-release") as f:
            pairs = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        return pairs.get("ID", "linux").strip('"'), pairs.get("VERSION_ID", "").strip('"')
    except OSError:
        return "linux", ""


def pypi_purl(name, version):
    return "pkg:pypi/%s@%s" % (name.lower().replace("_", "-").replace(".", "-"), version)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("dist")
    ap.add_argument("out")
    ap.add_argument("--report", default=os.path.join(ROOT, "build", "out", "report.xml"))
    args = ap.parse_args(argv)

    tree = ET.parse(args.report).getroot()
    distro, distro_version = os_release()
    components, seen = [], set()

    def add(component):
        ref = component["bom-ref"]
        if ref not in seen:
            seen.add(ref)
            components.append(component)

    version = None
    dist_names = {}
    for d in tree.iter("distribution"):
        name, ver = d.get("name"), d.get("version")
        if name == "assay":
            version = ver
            continue
        dist_names[name.lower().replace("_", "-")] = name
        add({"type": "library", "bom-ref": pypi_purl(name, ver), "name": name, "version": ver,
             "purl": pypi_purl(name, ver)})
    if version is None:
        import re
        with open(os.path.join(ROOT, "assay", "__init__.py")) as f:
            version = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)

    py = tree.find("python")
    if py is not None:
        ver = py.get("python_version")
        add({"type": "framework", "bom-ref": "pkg:generic/cpython@%s" % ver, "name": "CPython", "version": ver,
             "purl": "pkg:generic/cpython@%s" % ver, "description": "Python runtime, %s, linked in" % py.get("python_flavor")})
    try:
        import lupa.lua55
        lua = ".".join(map(str, lupa.lua55.LUA_VERSION))
        add({"type": "library", "bom-ref": "pkg:generic/lua@%s" % lua, "name": "Lua", "version": lua,
             "purl": "pkg:generic/lua@%s" % lua, "description": "embedded in lupa/lua55"})
    except Exception:
        pass

    for node in list(tree.iter("included_dll")) + list(tree.iter("included_extension")):
        dest, source, package = node.get("dest_path"), node.get("source_path") or "", node.get("package") or ""
        path = os.path.join(args.dist, dest)
        props = [{"name": "assay:path", "value": dest}]
        hashes = [{"alg": "SHA-256", "content": sha256(path)}] if os.path.isfile(path) else []
        if source.startswith("/"):
            owner = deb_package(source)
            if owner:
                name, ver, arch = owner
                purl = "pkg:deb/%s/%s@%s?arch=%s&distro=%s-%s" % (distro, name, ver, arch, distro, distro_version)
                add({"type": "library", "bom-ref": purl, "name": name, "version": ver, "purl": purl,
                     "description": "from the build machine's %s %s packages" % (distro, distro_version)})
                add({"type": "file", "bom-ref": "file:" + dest, "name": dest, "hashes": hashes,
                     "properties": props + [{"name": "assay:from-package", "value": purl}]})
                continue
        if node.tag == "included_extension" and "${sys.real_prefix}" in source:
            continue  # CPython's own lib-dynload modules: part of the CPython component
        if package:
            props.append({"name": "assay:shipped-by", "value": package})
        add({"type": "file", "bom-ref": "file:" + dest, "name": dest, "hashes": hashes, "properties": props})

    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:%s" % uuid.uuid4(),
        "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "tools": {"components": [{"type": "application", "name": "packaging/sbom.py (assay)"},
                                     {"type": "application", "name": "Nuitka",
                                      "version": tree.get("nuitka_version", "")}]},
            "component": {"type": "application", "bom-ref": "pkg:generic/assay@%s" % version, "name": "assay",
                          "version": version, "purl": "pkg:generic/assay@%s" % version,
                          "description": "Batteries-included Lua 5.5 runtime (Nuitka build, linux-%s)" % os.uname().machine},
        },
        "components": components,
        "dependencies": [{"ref": "pkg:generic/assay@%s" % version,
                          "dependsOn": [c["bom-ref"] for c in components if c["type"] != "file"]}],
    }
    import json
    with open(args.out, "w") as f:
        json.dump(bom, f, indent=1)
        f.write("\n")
    print("sbom: %s (%d components)" % (args.out, len(components)))


if __name__ == "__main__":
    main(sys.argv[1:])
