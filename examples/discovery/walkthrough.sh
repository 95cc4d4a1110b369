#!/bin/sh
# Module discovery, step by step. Run from this directory: sh walkthrough.sh
# (uses `assay` from PATH; `make venv` puts one in ../../.venv/bin).
set -e
cd "$(dirname "$0")"

echo "== 1. Every module assay knows: the embedded stdlib, ./modules (source 'project'),"
echo "==    the global directory (\$ASSAY_MODULES_PATH or ~/.assay/modules), the builtins"
assay modules | grep -E "^(MODULE|assay.widget|assay.vault|http) "

echo
echo "== 2. Prompt-ready docs for the best matches of a query (BM25 over name, description,"
echo "==    keywords and function names); here our own module's header is what matches"
assay context "widget inventory" --limit 1 | sed -n '1,12p'

echo
echo "== 3. The same module from a script, next to an embedded one"
assay exec -e '
local widget = require("assay.widget")
local vault = require("assay.vault")
print("widget client: " .. type(widget.client) .. ", vault client: " .. type(vault.client))'
