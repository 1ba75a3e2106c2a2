# fleetsim — set-up and checks. Every target creates .venv if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# The default install, what `pip install .` gives a user (compiled with mypyc when a C compiler is
# at hand, else pure Python; setup.py says which), lives in its own venv: reinstalled from the
# sources whenever one changes, so it never runs stale code. The dev .venv is an editable,
# pure-Python install that runs the sources as they are edited.
FAST := .venv-fast
FAST_STAMP := $(FAST)/.installed
SOURCES := setup.py pyproject.toml $(shell find fleetsim -name '*.py')

.PHONY: demo test lint validate bench profile fast figures clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(FAST_STAMP): $(SOURCES)
	test -x $(FAST)/bin/python || $(PYTHON) -m venv $(FAST)
	$(FAST)/bin/pip install -q --upgrade pip
	rm -rf build
	$(FAST)/bin/pip install -v . > $(FAST)/build.log 2>&1 || (tail -40 $(FAST)/build.log; exit 1)
	rm -rf build
	@grep 'fleetsim build:' $(FAST)/build.log | sed 's/^ *//'
	touch $(FAST_STAMP)

## fast: the default install in .venv-fast (`pip install .`: compiled when a C compiler is at hand)
fast: $(FAST_STAMP)

## demo: run the flagship comparison (az-outage, stateful vs stateless) and write its report to out/
demo: $(FAST_STAMP)
	@mkdir -p out
	$(FAST)/bin/fleetsim compare az-outage --plots out --out out/az-outage | tee out/az-outage-compare.txt
	$(FAST)/bin/fleetsim report az-outage --out out/az-outage-report.html
	@echo "report: out/az-outage-report.html and out/az-outage-compare.txt, figures: out/*.png (README's is out/compare-timeline.png), frames: out/az-outage/"

## lint: ruff check, ruff format --check, mypy, the import layers (contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fleetsim
	$(BIN)/lint-imports

## test: lint, the default (compiled) install, then the whole suite on all cores; the parity of
## the compiled and pure builds on every packaged scenario fails if .venv-fast is not compiled
test: lint $(FAST_STAMP)
	FLEETSIM_COMPILED_PYTHON=$(CURDIR)/$(FAST)/bin/python $(BIN)/pytest -n auto -q

## validate: the whole suite including the slow statistical validation; rewrites docs/validation.md
validate: $(STAMP) $(FAST_STAMP)
	FLEETSIM_COMPILED_PYTHON=$(CURDIR)/$(FAST)/bin/python $(BIN)/pytest -n auto -q -m "" --write-validation-report

## figures: rerun every packaged scenario on its seed and rewrite docs/figures/ (what the docs quote)
figures: $(FAST_STAMP)
	$(FAST)/bin/python docs/make_figures.py

## bench: in process (pure and compiled builds) and whole process (fleetsim run vs a SimPy script); JSON in bench/results/
bench: $(STAMP) $(FAST_STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/process.py --pure

## profile: cProfile of bench-steady, top costs on stdout and in bench/results/
profile: $(STAMP)
	$(BIN)/python bench/run.py --profile bench-steady

clean:
	rm -rf $(VENV) $(FAST) build out .pytest_cache .mypy_cache .ruff_cache
