#!/usr/bin/env bash
# One Nuitka build -> both artifacts (issue 4):
#   dist/assay.dist/assay.bin   standalone folder (for images). The executable is
#                           assay.bin: `assay` inside the folder is the package's data.
#   dist/assay              onefile (Releases download, CI steps)
# Then smoke-tests both (build/smoke.py). Usage: build/build.sh   (or `make build`)
#
# assay-full (issue 11): `build/build.sh --full` (or ASSAY_FULL=1, `make build-full`) is
# the same recipe plus the Temporal gRPC client (the project's `full` extra) ->
#   dist/assay-full.dist/assay-full.bin   standalone folder
#   dist/assay-full                       onefile
# It uses its own venv (build/out/venv-full) and output dir (build/out/full), so the
# default artifacts and their build inputs are left untouched.
#
# Env: PYTHON (interpreter for the build venv, default python3), STATIC_LIBPYTHON
# (yes|no|auto, default yes), BUILD_VENV
# (default build/.venv), NUITKA_JOBS (default: all cores), ASSAY_SKIP_SMOKE=1,
# ASSAY_REUSE_BUILD=1 (skip Nuitka, publish + smoke-test build/out again).
# Needs gcc, patchelf and (for speed) ccache; installs them with apt-get when root.
set -euo pipefail
main() {  # the whole script is one function: editing this file during a build is safe
cd "$(dirname "$0")/.."
ROOT=$PWD
FULL=${ASSAY_FULL:-0}
for arg in "$@"; do
  case "$arg" in
    --full) FULL=1 ;;
    *) printf '[build] unknown argument: %s (usage: build/build.sh [--full])\n' "$arg" >&2; exit 2 ;;
  esac
done
if [ "$FULL" = 1 ]; then
  NAME=assay-full BIN_IN_DIST=assay-full.bin OUT=$ROOT/build/out/full
  VENV=${BUILD_VENV:-$ROOT/build/out/venv-full}
else
  # Nuitka names the folder's executable <name>.bin (assay.bin, assay-full.bin).
  NAME=assay BIN_IN_DIST=assay.bin OUT=$ROOT/build/out
  VENV=${BUILD_VENV:-$ROOT/build/.venv}
fi
# ccache keys on absolute paths by default, so a clone in another directory (every CI
# run) would miss the whole cache: hash paths relative to the checkout instead.
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
PYTHON=${PYTHON:-python3}
DIST=$ROOT/dist
LOCK=$ROOT/build/out/.onefile.lock

log() { printf '[build] %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
need=()
for tool in gcc patchelf ccache; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    log "missing tools: ${need[*]} (install them: apt-get install ${need[*]})"; exit 1
  fi
fi

# --- build venv: Nuitka + the project's runtime dependencies (from pyproject) ---
if [ ! -x "$VENV/bin/python" ]; then
  log "creating build venv $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
deps=$("$VENV/bin/python" - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
)
if [ "$FULL" = 1 ]; then  # + the `full` extra (temporalio)
  deps+=$'\n'$("$VENV/bin/python" - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["full"]))
PY
)
fi
stamp="$VENV/.deps-stamp"
want="$(printf '%s\n' "$deps" "nuitka==4.3.3" "zstandard" "ordered-set" "certifi" | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing build dependencies"
  mapfile -t deplist <<<"$deps"
  "$VENV/bin/pip" install -q "nuitka==4.3.3" zstandard ordered-set certifi "${deplist[@]}"
  echo "$want" >"$stamp"
fi

# Nuitka imports `inspect` at every start; make that lazy (build/patch_nuitka.py).
"$VENV/bin/python" build/patch_nuitka.py

VERSION=$("$VENV/bin/python" -c 'import re;print(re.search(r"__version__ = \"([^\"]+)\"", open("assay/__init__.py").read()).group(1))')
log "assay $VERSION"

# --- the build -----------------------------------------------------------------
# Onefile builds must never run in parallel (binary-build.md pitfall 1): take a lock,
# and disable Nuitka's shared compression cache as well.
mkdir -p "$OUT" "$(dirname "$LOCK")"
exec 9>"$LOCK"
if ! flock -n 9; then log "another onefile build is running; waiting"; flock 9; fi

stdlib_args=()
if compgen -G "stdlib/*" >/dev/null; then
  stdlib_args=(--include-data-dir=stdlib=assay/stdlib)
fi

# Heavy libraries are imported lazily inside builtin functions; Nuitka follows those
# imports once it compiles assay.builtins, but families land one at a time, so name
# every runtime dependency of pyproject.toml here too (build/dep_modules.py).
mapfile -t libs < <("$VENV/bin/python" build/dep_modules.py)
libs+=(lupa.lua55)
# pycryptodome loads its curve definitions by name (importlib in Crypto.PublicKey._point),
# so Nuitka does not see them: without these, every EC key fails at run time.
libs+=(Crypto.PublicKey._nist_ecc Crypto.PublicKey._edwards Crypto.PublicKey._montgomery)
# pycryptodome's C parts are shared libraries opened by file name (ctypes), which
# Nuitka does not see as imports: name each one (dep_modules.py NATIVE_PACKAGES).
mapfile -t native < <("$VENV/bin/python" build/dep_modules.py --native)
lib_args=()
for m in "${libs[@]}" "${native[@]}"; do lib_args+=("--include-module=$m"); done
log "dependency modules: ${libs[*]}"
log "native libraries loaded by file name: ${#native[@]}"

# What differs between assay and assay-full (everything else is the same recipe).
# assay: never follow the Temporal SDK's lazy import. assay-full: exactly the client
# modules the builtin reaches (measured), not the worker/testing/contrib halves and not
# --include-package=temporalio (its package data is 12 MB of Rust sources).
if [ "$FULL" = 1 ]; then
  variant_args=(
    --include-module=temporalio.client --include-module=temporalio.converter
    --include-module=temporalio.exceptions --include-module=temporalio.service
    --include-module=temporalio.api.common.v1
    --include-module=temporalio.bridge.temporal_sdk_bridge
    --nofollow-import-to=temporalio.worker,temporalio.contrib,temporalio.testing,temporalio.plugin
  )
else
  variant_args=(--nofollow-import-to=temporalio,nexusrpc,google.protobuf,grpc)
fi

# Packages kept as bytecode instead of compiled C (measured: compiled, psycopg alone
# was 10 MB of the executable, ruamel 6, jinja2 5, cryptography's Python layer 5 (since
# replaced by pycryptodome), jsonpath 3.5, markdown-it 2.9, urllib3 3.5, requests 2.1,
# PyYAML's pure-Python half 2.3, assay's checks engine 1.7). None is on the start-up
# path, and their hot loops are in C (psycopg_binary, pycryptodome's libraries, libyaml)
# or are I/O. PyYAML: assay only reads libyaml's events (CBaseLoader), so the event and
# mark classes it instantiates per node (yaml.events, yaml.error) and the C bridge
# (yaml.cyaml) stay compiled; the emitter, scanner, constructor, ... are never run.
# assay's own commands other than run/exec/tool (checks, modules/context, mcp, api,
# completion) are bytecode too, and so are the rarely used builtin families temporal
# (the default build has no Temporal client), tar, template, toml, ws and markdown
# (installed on a script's first call into them, so only such a script unmarshals
# them; -0.5 MB). So are db and http.serve with its server (their time goes to the
# database and the network), the policy file's reader (only read when ASSAY_POLICY_FILE
# is set) and tool mode (one module, unmarshalled once per run); and the families whose
# work happens in a C library or another process (crypto and its key reader, compress,
# shell, process, disk), the SSE and WebSocket clients, the TLS settings (read once per
# client) and credentials. The runtime, the json/yaml/fs/regex/http families, the HTTP
# client, re2 and lupa stay compiled.
bytecode=(psycopg ruamel jinja2 markupsafe Crypto jsonpath markdown_it mdurl pymysql
          jsonschema jsonschema_specifications referencing attr attrs websocket typing_extensions
          idna zstandard certifi mdit_py_plugins
          requests urllib3
          yaml.composer yaml.constructor yaml.dumper yaml.emitter yaml.loader yaml.nodes
          yaml.parser yaml.reader yaml.representer yaml.resolver yaml.scanner yaml.serializer
          yaml.tokens
          assay.checks assay.discovery assay.modes.mcp assay.modes.api assay.modes.runs
          assay.modes.checks assay.cli.completion
          assay.builtins.temporal assay.builtins.tar assay.builtins.template assay.builtins.toml
          assay.builtins.ws assay.builtins.markdown
          assay.builtins.db assay.builtins.serve assay.net.server assay.runtime.policy
          assay.modes.tool
          assay.builtins.crypto assay.builtins._pem_keys assay.builtins.http_stream
          assay.net.websocket assay.net.tls assay.builtins.process assay.builtins.process_spawn
          assay.builtins.shell assay.builtins.compress assay.builtins.credential
          assay.runtime.credentials assay.builtins.disk)
# (Nuitka resolves importlib.metadata lookups of compiled modules by itself; for these
# bytecode ones their metadata is named below with --include-distribution-metadata.)
bytecode_args=()
for m in "${bytecode[@]}"; do bytecode_args+=("--noinclude-custom-mode=$m:bytecode"); done

# Standard-library modules that Nuitka adds to every standalone build ("non-excluded
# parts of the standard library") although nothing assay bundles imports them (checked
# in the build's report.xml: no module uses them): about 0.8 MB of bytecode, plus
# _pydecimal (the pure-Python decimal, only imported when _decimal is missing). The CJK
# codecs stay: the checks engine decodes bodies in the charset a server declares.
unused_stdlib=__hello__,__phello__,_pyio,_pydecimal,_sitebuiltins,cgi,cgitb,chunk,cmd,code,codeop
unused_stdlib+=,colorsys,crypt,filecmp,fileinput,getopt,graphlib,html.parser,_markupbase,imaplib
unused_stdlib+=,imghdr,imp,mailcap,modulefinder,nturl2path,pickletools,pipes,poplib,pstats,pyclbr
unused_stdlib+=,rlcompleter,sched,sndhdr,sre_compile,sre_constants,sre_parse,symtable,timeit,trace
unused_stdlib+=,uu,webbrowser,xdrlib,pkgutil
# argparse only for the command lines of dis and py_compile (never run here); gettext
# only for argparse
unused_stdlib+=,argparse,gettext
# _pickle, pickle's C half: jinja2 imports pickle for a bytecode cache assay never sets
# up, and pickle falls back to its Python classes without it (0.12 MB)
unused_stdlib+=,_pickle

if [ "${ASSAY_REUSE_BUILD:-}" = 1 ] && [ -x "$OUT/$NAME" ]; then
  log "ASSAY_REUSE_BUILD=1: reusing $OUT"
else
# Flags (measured, see shared/design/binary-build.md):
#  --include-package=assay    every module of the package, also those only reached by
#                             importlib (builtins families, CLI commands)
#  --include-data-dir=stdlib  the embedded Lua stdlib at assay/stdlib (loader.stdlib_dir)
#  --include-package-data     assay/runtime/lua/prelude.lua
#  multiprocessing            reached only via concurrent.futures.process (never used);
#                             its Nuitka plugin would add start-up code and a 2nd main
#  psycopg.pq ctypes impl     the binary libpq must be used; no silent host-libpq fallback
#  nuitka_strip.py            strips the copied .so files (about -13 MB unpacked)
#  nuitka_one_openssl.py      psycopg-binary's libpq/libldap use Python's OpenSSL
#  zstandard.backend_cffi     only the C backend loads (its CFFI twin was 2 MB)
#  charset_normalizer         requests' charset guesser (0.55 MB); assay never lets
#                             requests guess (build/assay_entry.py silences its warning)
#  cryptography               not shipped (JWT keys use pycryptodome); PyMySQL would
#                             import it when present, and a build venv made before the
#                             switch still has it: never follow it (11.6 MB)
#  unittest/pydoc/setuptools/pytest: never imported at run time (anti-bloat nofollow)
#  no_site/no_docstrings/no_asserts, static libpython: smaller and faster start
#  --lto=yes                  Nuitka's "auto" leaves LTO off for pyenv's Python and for
#                             more than 250 compiled modules; on: assay.bin -0.6 MB,
#                             start-up unchanged, build +~1 min
#  CFLAGS=-Os, LDFLAGS=-Os    the compiled modules optimised for size (Nuitka picks -O2
#                             here; the later -O wins): machine code 6.4 -> 4.7 MB.
#                             That code is mostly calls into the Python runtime; the
#                             print(1) start did not get slower (interleaved runs)
#  -fno-asynchronous-unwind-tables  no .eh_frame for the compiled modules: C code
#                             without C++ exceptions needs it only for debuggers' and
#                             backtrace()'s stack walks
#  -z pack-relative-relocs    the executable's relocation table in the compact RELR
#                             form (glibc >= 2.36, which docs/install.md requires anyway):
#                             1 MB of .rela.dyn becomes 21 KB
#  {TEMP}/assay-VERSION + --onefile-as-archive: stable unpack dir, cheap cached start
rm -f "$OUT/$NAME"
start=$(date +%s)
log "nuitka $NAME (log: ${OUT#"$ROOT"/}/nuitka.log)"
PYTHONPATH=$ROOT CFLAGS="-Os -fno-asynchronous-unwind-tables" LDFLAGS="-Os -Wl,-z,pack-relative-relocs" "$VENV/bin/python" -m nuitka \
  --onefile \
  --output-dir="$OUT" --output-filename="$NAME" --output-folder-name="$NAME.dist" \
  --include-package=assay \
  --include-package-data=assay \
  "${stdlib_args[@]}" \
  "${lib_args[@]}" \
  --nofollow-import-to=pytest,_pytest,typer,rich,pygments,pydantic,setuptools,pip,IPython,numpy \
  --nofollow-import-to=multiprocessing,concurrent.futures.process --disable-plugins=multiprocessing \
  --nofollow-import-to=psycopg.pq.pq_ctypes,psycopg.pq._pq_ctypes \
  "${variant_args[@]}" \
  "${bytecode_args[@]}" \
  --nofollow-import-to=zstandard.backend_cffi,cffi \
  --nofollow-import-to=cryptography \
  --nofollow-import-to=charset_normalizer \
  --nofollow-import-to="$unused_stdlib" \
  --include-distribution-metadata=jsonschema,psycopg,markupsafe,attrs \
  --noinclude-unittest-mode=nofollow --noinclude-pydoc-mode=nofollow \
  --noinclude-setuptools-mode=nofollow --noinclude-pytest-mode=nofollow \
  --user-plugin=build/nuitka_one_openssl.py \
  --user-plugin=build/nuitka_strip.py \
  --python-flag=no_site --python-flag=no_docstrings --python-flag=no_asserts \
  --static-libpython="${STATIC_LIBPYTHON:-yes}" --lto=yes \
  --onefile-tempdir-spec="{TEMP}/$NAME-$VERSION" --product-version="$VERSION" \
  --onefile-as-archive \
  --disable-cache=compression \
  --report="$OUT/report.xml" \
  --assume-yes-for-downloads \
  ${NUITKA_JOBS:+--jobs=$NUITKA_JOBS} \
  build/assay_entry.py >"$OUT/nuitka.log" 2>&1 || { tail -40 "$OUT/nuitka.log" >&2; log "nuitka failed"; exit 1; }
took=$(( $(date +%s) - start ))
log "nuitka took ${took}s"
echo "$took" >"$OUT/build-seconds"
fi

[ -x "$OUT/$NAME" ] || { log "no onefile at $OUT/$NAME"; exit 1; }
[ -x "$OUT/$NAME.dist/$BIN_IN_DIST" ] || { log "no standalone binary at $OUT/$NAME.dist/$BIN_IN_DIST"; exit 1; }

# --- publish to dist/ (hard links: no extra disk) ---------------------------------
mkdir -p "$DIST"
rm -rf "${DIST:?}/$NAME.dist" "${DIST:?}/$NAME"
cp -al "$OUT/$NAME.dist" "$DIST/$NAME.dist"
cp "$OUT/$NAME" "$DIST/$NAME"
flock -u 9

# Where the megabytes went: files over 500 KB, compiled packages (build/size_report.py).
"$VENV/bin/python" build/size_report.py "$DIST/$NAME.dist" "$OUT/$NAME.dist.build"

if [ "${ASSAY_SKIP_SMOKE:-}" != 1 ]; then
  "$VENV/bin/python" build/smoke.py "$DIST/$NAME.dist/$BIN_IN_DIST" "$DIST/$NAME"
fi
log "done: dist/$NAME ($(du -h "$DIST/$NAME" | cut -f1)), dist/$NAME.dist ($(du -sh "$DIST/$NAME.dist" | cut -f1))"
}
main "$@"
exit
