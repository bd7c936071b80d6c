# Every target bootstraps .venv on a fresh machine that has only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Exact versions for reproducible installs (pyproject.toml keeps compatible ranges, so
# `pip install .` elsewhere still resolves freely).  Regenerate with `make constraints`.
CONSTRAINTS := requirements/constraints.txt
PIP := $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS)
# One stamp per install: `make demo` installs what smm needs to run the demo (smm and the
# report extra it ends with), `make test` adds the dev tools; either may come first.
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp

.PHONY: demo test lint bench clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) -e '.[report]'
	@touch $@

$(DEV_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) -e '.[dev]'
	@touch $@

demo: $(RUN_STAMP)
	@bash scripts/demo.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# The pins, from pyproject.toml's ranges and every extra (pip-compile from pip-tools, in
# a throwaway venv; needs the package index).
constraints:
	rm -rf .venv-pins
	$(PYTHON) -m venv .venv-pins
	.venv-pins/bin/python -m pip install --quiet pip-tools
	.venv-pins/bin/pip-compile --quiet --all-extras --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file $(CONSTRAINTS) pyproject.toml
	rm -rf .venv-pins

clean:
	rm -rf $(VENV) .venv-pins .smm .mypy_cache .ruff_cache .pytest_cache \
		.import_linter_cache build dist *.egg-info
