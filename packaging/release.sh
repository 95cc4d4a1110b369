#!/usr/bin/env bash
# Release artifacts from the build in dist/ (run `make build` first, or pass --build):
#   dist/release/assay-linux-<arch>            the onefile
#   dist/release/assay-linux-<arch>.tar.gz     the standalone folder
#   dist/release/*.sha256                      `sha256sum -c` format
#   dist/release/assay-linux-<arch>.cdx.json   CycloneDX SBOM of what is inside
# Usage: packaging/release.sh [--build] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--build" ]; then shift; build/build.sh; fi
OUT=${1:-dist/release}
ARCH=$(uname -m)
NAME=assay-linux-$ARCH
VENV=${BUILD_VENV:-build/.venv}
[ -x dist/assay ] && [ -x dist/assay.dist/assay ] || { echo "release: no build in dist/ (make build)" >&2; exit 1; }

rm -rf "$OUT"; mkdir -p "$OUT"
cp dist/assay "$OUT/$NAME"
chmod 755 "$OUT/$NAME"
packaging/tarball.sh dist/assay.dist "$OUT/$NAME.tar.gz" "$NAME"
"$VENV/bin/python" packaging/sbom.py dist/assay.dist "$OUT/$NAME.cdx.json"
(cd "$OUT" && for f in "$NAME" "$NAME.tar.gz" "$NAME.cdx.json"; do sha256sum "$f" >"$f.sha256"; done)
# the downloaded onefile must run as it is
"$OUT/$NAME" exec -e 'print("release artifact ok")'
ls -l "$OUT"
