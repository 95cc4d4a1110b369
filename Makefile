# assay — developer entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-binary bench build rootfs clean

$(BIN)/assay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,full]"
	touch $(BIN)/assay

venv: $(BIN)/assay

demo: venv
	$(BIN)/assay examples/demo.lua

test: venv
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) build/out dist rootfs

# --- the executable (issue 4; see build/ and README.md, Install) ----------
# build: one Nuitka build -> dist/assay.dist/ (standalone folder) + dist/assay (onefile),
#        smoke-tested. rootfs: the scratch image's root (Dockerfile.scratch) in rootfs/.
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

test-binary: venv
	@test -x $(ASSAY_STANDALONE) || { echo "no $(ASSAY_STANDALONE): run make build first"; exit 1; }
	ASSAY_BIN=$(abspath $(ASSAY_STANDALONE)) PYTHONPATH=build $(BIN)/python -m pytest -p pytest_binary

bench-binary: venv
	@test -x $(ASSAY_STANDALONE) || { echo "no $(ASSAY_STANDALONE): run make build first"; exit 1; }
	$(BIN)/python bench/startup.py

release:
	packaging/release.sh
