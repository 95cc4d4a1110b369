#!/usr/bin/env bash
# Pack a standalone folder reproducibly: packaging/tarball.sh FOLDER OUT.tar.gz [TOPDIR]
# Entries sorted, owner 0:0, fixed mtime (SOURCE_DATE_EPOCH or the last commit), gzip -9 -n.
set -euo pipefail
folder=$1 out=$2 top=${3:-assay-linux-$(uname -m)}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")" log -1 --format=%ct 2>/dev/null || echo 0)}
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
cd "$folder"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    --transform "s,^\.,$top," -cf - . | gzip -9 -n >"$out_abs"
