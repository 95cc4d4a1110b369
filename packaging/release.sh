#!/usr/bin/env bash
# Release artifacts from the build in dist/ (run `make build` first, or pass --build):
#   dist/release/assay-linux-<arch>            the onefile
#   dist/release/assay-linux-<arch>.tar.gz     the standalone folder
#   dist/release/*.sha256                      `sha256sum -c` format
#   dist/release/assay-linux-<arch>.cdx.json   CycloneDX SBOM of what is inside
# With --full (needs `make build-full`, or --build builds it too), the same four for
# assay-full (the Temporal gRPC client; README.md, `temporal`):
#   dist/release/assay-full-linux-<arch>{,.tar.gz,.cdx.json} + .sha256
# Usage: packaging/release.sh [--build] [--full] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=0 FULL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=1; shift ;;
    --full) FULL=1; shift ;;
    *) break ;;
  esac
done
if [ "$BUILD" = 1 ]; then build/build.sh; [ "$FULL" = 0 ] || build/build.sh --full; fi
OUT=${1:-dist/release}
ARCH=$(uname -m)
VENV=${BUILD_VENV:-build/.venv}
[ -x dist/assay ] && [ -x dist/assay.dist/assay ] || { echo "release: no build in dist/ (make build)" >&2; exit 1; }
if [ "$FULL" = 1 ]; then
  [ -x dist/assay-full ] && [ -x dist/assay-full.dist/assay-full.bin ] || { echo "release: no assay-full build in dist/ (make build-full)" >&2; exit 1; }
fi

# artifact NAME ONEFILE FOLDER REPORT
artifact() {
  local name=$1 onefile=$2 folder=$3 report=$4
  cp "$onefile" "$OUT/$name"
  chmod 755 "$OUT/$name"
  packaging/tarball.sh "$folder" "$OUT/$name.tar.gz" "$name"
  "$VENV/bin/python" packaging/sbom.py "$folder" "$OUT/$name.cdx.json" --report "$report"
  (cd "$OUT" && for f in "$name" "$name.tar.gz" "$name.cdx.json"; do sha256sum "$f" >"$f.sha256"; done)
  # the downloaded onefile must run as it is
  "$OUT/$name" exec -e 'print("release artifact ok")'
}

rm -rf "$OUT"; mkdir -p "$OUT"
artifact "assay-linux-$ARCH" dist/assay dist/assay.dist build/out/report.xml
if [ "$FULL" = 1 ]; then
  artifact "assay-full-linux-$ARCH" dist/assay-full dist/assay-full.dist build/out/full/report.xml
fi
ls -l "$OUT"
