#!/usr/bin/env bash
# CI for the executable (issue 4): build (which prints the size report), both image roots
# (scratch and -sh) with their chroot tests (no /proc, PostgreSQL over TLS, HTTPS and the
# CA bundle, the shell), size budgets, the suite against the binary, start-up figures.
# Any failing step fails the script.
#   build/ci.sh              everything
#   build/ci.sh --no-build   reuse dist/ from an earlier `make build`
#   build/ci.sh --suite-next leave out `make test-binary`: the caller runs the whole suite
#                            next with ASSAY_BIN set (.ci/run does), which covers it
# Needs root (apt-get, unshare -m, mount, chroot). Uses ccache and Nuitka's cache in
# $HOME/.cache, so a second run on the same machine compiles little.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
no_build=false; suite_next=false
for arg in "$@"; do
  case "$arg" in
    --no-build) no_build=true ;;
    --suite-next) suite_next=true ;;
    *) echo "build/ci.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
t0=$(date +%s)
declare -a timings=()
step() {  # step NAME CMD...
  local name=$1; shift
  local s; s=$(date +%s)
  printf '\n=== %s\n' "$name"
  "$@"
  timings+=("$(printf '%-26s %5ss' "$name" $(( $(date +%s) - s )))")
}

missing=()
for pkg in gcc patchelf ccache time lua5.4 python3-venv util-linux openssl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt-get install" bash -c "apt-get update -qq && apt-get install -y -qq ${missing[*]} >/dev/null"
fi

step "project venv" make -s venv
if ! $no_build; then
  step "make build (+ smoke)" make -s build
else
  step "size report" build/.venv/bin/python build/size_report.py dist/assay.dist
fi
step "make rootfs" make -s rootfs
step "make rootfs-sh" make -s rootfs-sh
step "chroot test (scratch)" build/.venv/bin/python build/smoke.py --chroot rootfs --onefile dist/assay
step "chroot test (-sh)" build/.venv/bin/python build/smoke.py --chroot rootfs-sh
step "size budgets" build/.venv/bin/python build/budgets.py dist/assay dist/assay.dist
$suite_next || step "make test-binary" make -s test-binary
step "bench/startup.py" .venv/bin/python bench/startup.py --runs 20 --first-runs 5

printf '\n=== build/ci.sh timings\n'
printf '  %s\n' "${timings[@]}"
printf '  %-26s %5ss\n' "total" $(( $(date +%s) - t0 ))
