"""Size budgets of the built artifacts (issue 4); exits 1 when one is exceeded.

    python build/budgets.py [ONEFILE] [STANDALONE_DIR]

- onefile (dist/assay)                          <= 30 MB
- standalone folder as a gzipped tarball         <= 34 MB (packed like the release's
  assay-linux-x86_64.tar.gz: sorted, gzip -9; the tarball is written to a temp dir)
MB = 1,000,000 bytes.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1000 * 1000
# The .tar.gz budget grew from 32 to 34 MB when RE2 (linear-time regex), zstandard,
# python-jsonpath, jsonschema and markdown-it came in (measured 32.2 MB); cutting the
# folder back down (one OpenSSL, fewer compiled modules) is the lean-binary work still open.
BUDGETS = {"onefile": 30 * MB, "standalone .tar.gz": 34 * MB}


def dir_size(path):
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            p = os.path.join(folder, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def gz_size(folder):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "assay.tar.gz")
        subprocess.run(["bash", os.path.join(ROOT, "packaging", "tarball.sh"), folder, out], check=True)
        return os.path.getsize(out)


def main(argv):
    onefile = argv[0] if argv else os.path.join(ROOT, "dist", "assay")
    folder = argv[1] if len(argv) > 1 else os.path.join(ROOT, "dist", "assay.dist")
    sizes = {"onefile": os.path.getsize(onefile), "standalone .tar.gz": gz_size(folder)}
    failed = 0
    print("size budgets (MB = 10^6 bytes); standalone folder unpacked: %.1f MB" % (dir_size(folder) / MB))
    for name, limit in BUDGETS.items():
        size = sizes[name]
        ok = size <= limit
        failed += not ok
        print("  %-20s %6.2f MB (%6.2f MiB)  budget %d MB  %s" % (
            name, size / MB, size / 2**20, limit // MB,
            "ok" if ok else "OVER by %.2f MB" % ((size - limit) / MB)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
