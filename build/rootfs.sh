#!/usr/bin/env bash
# Assemble the root filesystem of the scratch image (Dockerfile.scratch) from the
# standalone build:  build/rootfs.sh [--sh] [DIST_FOLDER] [ROOTFS]   (or `make rootfs`)
#
# --sh: the -sh image's root (Dockerfile.scratch-sh, `make rootfs-sh`): the same plus
#   /bin/busybox from Debian's busybox-static (statically linked, so it needs nothing
#   else) with /bin/sh and every other applet as symlinks, for `sh -c` wrappers such as
#   GitLab CI's script: and for shell.exec. The .deb is fetched once with
#   `apt-get download` into build/out/ (the host's packages are not touched).
#
#   /opt/assay/            the standalone folder (dist/assay.dist)
#   /usr/bin/assay         -> /opt/assay/assay.bin (so `#!/usr/bin/assay` scripts work)
#   /lib64/ld-linux-x86-64.so.2, /lib/x86_64-linux-gnu/...
#                          exactly the loader and host libraries that `ldd` reports for
#                          the ELF files in the folder (Nuitka leaves glibc, libz,
#                          libgcc_s out on purpose); fails if any library is "not found"
#   /etc/ssl/certs/ca-certificates.crt   the certifi bundle shipped in the build
#                          (the image sets SSL_CERT_FILE to it)
#   /tmp (1777), /proc, /dev   empty; the container runtime mounts /proc and /dev
set -euo pipefail
cd "$(dirname "$0")/.."
SH=0
if [ "${1:-}" = --sh ]; then SH=1; shift; fi
SRC=${1:-dist/assay.dist}
ROOTFS=${2:-rootfs}
log() { printf '[rootfs] %s\n' "$*" >&2; }

[ -x "$SRC/assay.bin" ] || { log "no standalone build at $SRC (run make build)"; exit 1; }
SRC=$(cd "$SRC" && pwd)
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{opt,usr/bin,etc/ssl/certs,proc,dev,tmp}
chmod 1777 "$ROOTFS/tmp"
cp -a "$SRC" "$ROOTFS/opt/assay"
ln -s ../../opt/assay/assay.bin "$ROOTFS/usr/bin/assay"

# Every ELF file of the folder -> the libraries it resolves outside the folder.
declare -A libs=()
missing=()
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' \n')" = '177ELF' ] || continue
  while read -r line; do   # read trims the leading tab
    case "$line" in
      *"not found"*) missing+=("$(basename "$f"): $line") ;;
      *"=> /"*)
        p=$(awk '{print $3}' <<<"$line")
        case "$p" in "$SRC"/*) ;; *) libs["$p"]=1 ;; esac ;;
      /*) libs["$(awk '{print $1}' <<<"$line")"]=1 ;;   # the ELF interpreter
    esac
  done < <(ldd "$f" 2>/dev/null || true)
done < <(find "$SRC" -type f -print0)
if [ "${#missing[@]}" -gt 0 ]; then
  log "libraries not found:"; printf '  %s\n' "${missing[@]}" >&2; exit 1
fi
[ "${#libs[@]}" -gt 0 ] || { log "ldd found no libraries at all (is ldd installed?)"; exit 1; }

for p in "${!libs[@]}"; do
  mkdir -p "$ROOTFS$(dirname "$p")"
  cp -L "$p" "$ROOTFS$p"
done
log "host libraries: $(printf '%s\n' "${!libs[@]}" | sort | tr '\n' ' ')"

# CA bundle: the certifi file that the build carries.
ca=$(find "$SRC" -path '*/certifi/cacert.pem' | head -1)
[ -n "$ca" ] || { log "no certifi/cacert.pem in $SRC"; exit 1; }
cp "$ca" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"

if [ "$SH" = 1 ]; then
  cache=build/out/busybox
  if [ ! -x "$cache/bin/busybox" ]; then
    rm -rf "$cache" && mkdir -p "$cache/deb"
    # A fresh machine has no package lists yet: update once and retry.
    (cd "$cache/deb" && apt-get download -q busybox-static >/dev/null 2>&1) ||
      { apt-get update -qq && (cd "$cache/deb" && apt-get download -q busybox-static >/dev/null); } ||
      { log "apt-get download busybox-static failed"; exit 1; }
    dpkg-deb -x "$cache"/deb/busybox-static_*.deb "$cache"
  fi
  if readelf -d "$cache/bin/busybox" | grep -q NEEDED; then
    log "$cache/bin/busybox is not statically linked"; exit 1
  fi
  mkdir -p "$ROOTFS/bin"
  cp "$cache/bin/busybox" "$ROOTFS/bin/busybox"
  for applet in $("$ROOTFS/bin/busybox" --list); do
    [ -e "$ROOTFS/bin/$applet" ] || ln -s busybox "$ROOTFS/bin/$applet"
  done
  log "busybox $("$ROOTFS/bin/busybox" | head -1 | awk '{print $2}'): /bin/sh and $("$ROOTFS/bin/busybox" --list | wc -l) applets"
fi

log "done: $ROOTFS ($(du -sh "$ROOTFS" | cut -f1))"
