"""Where the megabytes of a build go: the size report that every build prints.

    python build/size_report.py [DIST_FOLDER] [NUITKA_BUILD_DIR]

Prints
- every file over 500 KB in the standalone folder, largest first, and the folder's
  total grouped by its top-level entries (assay.bin, cryptography/, psycopg_binary.libs/ …);
- what Nuitka compiled into the executable: the compiled C of each module (its object
  file plus its constants blob), summed per top-level package, the largest packages and
  modules first, and the size of the bytecode blob (modules kept as bytecode).
The Nuitka build dir is build/out/<name>.dist.build (it stays after `make build`);
without it only the folder part is printed. budgets.py uses top_contributors() to name
what to cut when a budget fails.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1000 * 1000
BIG_FILE = 500 * 1000


def folder_files(folder):
    """[(size, path relative to folder)] of every regular file, largest first."""
    out = []
    for base, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(base, f)
            if not os.path.islink(p):
                out.append((os.path.getsize(p), os.path.relpath(p, folder)))
    return sorted(out, reverse=True)


def by_top_entry(files):
    groups = {}
    for size, rel in files:
        top = rel.split(os.sep)[0]
        groups[top] = groups.get(top, 0) + size
    return sorted(((s, t) for t, s in groups.items()), reverse=True)


def compiled_modules(build_dir):
    """[(bytes, module name)] of the C-compiled modules: module.<name>.o + .const."""
    out = []
    if not build_dir or not os.path.isdir(build_dir):
        return out
    # Only what the last link used: a rebuild leaves the objects of modules that are no
    # longer compiled (now bytecode or not followed) in the build dir.
    listing = os.path.join(build_dir, "@link_input.txt")
    if os.path.exists(listing):
        with open(listing) as f:
            names = [os.path.basename(line.strip().strip('"')) for line in f if line.strip()]
    else:
        names = os.listdir(build_dir)
    for f in names:
        if f.startswith("module.") and f.endswith(".o"):
            name = f[len("module."):-len(".o")]
            obj = os.path.join(build_dir, f)
            if not os.path.exists(obj):  # a build running in that dir right now
                continue
            size = os.path.getsize(obj)
            const = os.path.join(build_dir, "module.%s.const" % name)
            if os.path.exists(const):
                size += os.path.getsize(const)
            out.append((size, name))
    return sorted(out, reverse=True)


def package_of(module):
    parts = module.split(".")
    # assay's own code is reported one level deeper: assay.builtins, assay.runtime, …
    return ".".join(parts[:2]) if parts[0] == "assay" and len(parts) > 2 else parts[0]


def by_package(modules):
    groups = {}
    for size, name in modules:
        groups[package_of(name)] = groups.get(package_of(name), 0) + size
    return sorted(((s, p) for p, s in groups.items()), reverse=True)


def default_build_dir(folder):
    name = os.path.basename(os.path.normpath(folder))  # assay.dist / assay-full.dist
    sub = "full" if name.startswith("assay-full") else ""
    return os.path.join(ROOT, "build", "out", sub, name + ".build")


def top_contributors(folder, build_dir=None, n=5):
    """One line each for the largest files of the folder and compiled packages."""
    lines = ["largest files: " + ", ".join("%s %.1f MB" % (rel, s / MB) for s, rel in folder_files(folder)[:n])]
    mods = compiled_modules(build_dir or default_build_dir(folder))
    if mods:
        lines.append("largest compiled packages: " + ", ".join(
            "%s %.1f MB" % (p, s / MB) for s, p in by_package(mods)[:n]))
    return lines


def report(folder, build_dir=None, out=sys.stdout):
    build_dir = build_dir or default_build_dir(folder)
    files = folder_files(folder)
    total = sum(s for s, _ in files)
    w = out.write
    w("size report: %s, %.1f MB in %d files\n" % (folder, total / MB, len(files)))
    w("  files over %d KB:\n" % (BIG_FILE // 1000))
    for size, rel in files:
        if size <= BIG_FILE:
            break
        w("    %7.2f MB  %s\n" % (size / MB, rel))
    w("  by top-level entry (largest 12):\n")
    for size, top in by_top_entry(files)[:12]:
        w("    %7.2f MB  %s\n" % (size / MB, top))
    mods = compiled_modules(build_dir)
    if not mods:
        w("  compiled modules: no Nuitka build dir at %s\n" % build_dir)
        return
    w("  compiled into the executable: %d modules, %.1f MB of object code + constants\n"
      % (len(mods), sum(s for s, _ in mods) / MB))
    for size, pkg in by_package(mods)[:15]:
        w("    %7.2f MB  %s\n" % (size / MB, pkg))
    w("  largest compiled modules:\n")
    for size, name in mods[:15]:
        w("    %7.2f MB  %s\n" % (size / MB, name))
    bytecode = os.path.join(build_dir, "__bytecode.const")
    if os.path.exists(bytecode):
        w("  modules kept as bytecode (standard library and demoted packages): %.2f MB\n"
          % (os.path.getsize(bytecode) / MB))


def main(argv):
    folder = argv[0] if argv else os.path.join(ROOT, "dist", "assay.dist")
    report(folder, argv[1] if len(argv) > 1 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
