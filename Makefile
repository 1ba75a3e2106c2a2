# fleetsim — set-up and checks. Every target creates .venv if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# The compiled build (mypyc) lives in its own venv, installed (not editable) from the sources:
# rebuilt whenever a source file changes, so it never runs stale code.
FAST := .venv-fast
FAST_STAMP := $(FAST)/.installed
SOURCES := setup.py pyproject.toml $(shell find fleetsim -name '*.py')

.PHONY: demo test lint validate bench profile fast clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(FAST_STAMP): $(SOURCES)
	test -x $(FAST)/bin/python || $(PYTHON) -m venv $(FAST)
	$(FAST)/bin/pip install -q --upgrade pip
	$(FAST)/bin/pip install -q '.[compile]'
	rm -rf build
	FLEETSIM_COMPILE=1 $(FAST)/bin/pip install -q --no-build-isolation --no-deps --force-reinstall .
	rm -rf build
	touch $(FAST_STAMP)

## fast: the compiled build (mypyc) in .venv-fast: same results for a seed, about 4x faster
fast: $(FAST_STAMP)

## demo: run the flagship comparison (az-outage, stateful vs stateless) and write its report to out/
demo: $(STAMP)
	@mkdir -p out
	$(BIN)/fleetsim compare az-outage --plots out --out out/az-outage | tee out/az-outage-compare.txt
	$(BIN)/fleetsim report az-outage --out out/az-outage-report.html
	@echo "report: out/az-outage-report.html and out/az-outage-compare.txt, figures: out/*.png (README's is out/compare-timeline.png), frames: out/az-outage/"

## lint: ruff check, ruff format --check, mypy, the import layers (contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fleetsim
	$(BIN)/lint-imports

## test: lint, build the compiled build, then the whole suite on all cores (both builds compared)
test: lint $(FAST_STAMP)
	FLEETSIM_COMPILED_PYTHON=$(CURDIR)/$(FAST)/bin/python $(BIN)/pytest -n auto -q

## validate: the whole suite including the slow statistical validation; rewrites docs/validation.md
validate: $(STAMP) $(FAST_STAMP)
	FLEETSIM_COMPILED_PYTHON=$(CURDIR)/$(FAST)/bin/python $(BIN)/pytest -n auto -q -m "" --write-validation-report

## bench: benchmark harness, pure and compiled builds (each case in a fresh process); JSON in bench/results/
bench: $(STAMP) $(FAST_STAMP)
	$(BIN)/python bench/run.py

## profile: cProfile of bench-steady, top costs on stdout and in bench/results/
profile: $(STAMP)
	$(BIN)/python bench/run.py --profile bench-steady

clean:
	rm -rf $(VENV) $(FAST) build out .pytest_cache .mypy_cache .ruff_cache
