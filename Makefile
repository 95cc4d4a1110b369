# assay — developer entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-binary bench build rootfs clean

$(BIN)/assay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
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
