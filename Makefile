# fleetsim — set-up and checks. Every target creates .venv if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint validate bench profile clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## demo: run the flagship comparison (az-outage, stateful vs stateless) and write its report to out/
demo: $(STAMP)
	@mkdir -p out
	$(BIN)/fleetsim compare az-outage --plots out --out out/az-outage | tee out/az-outage-compare.txt
	$(BIN)/fleetsim report az-outage --out out/az-outage-report.html
	@echo "report: out/az-outage-report.html and out/az-outage-compare.txt, figures: out/*.png (README's is out/compare-timeline.png), frames: out/az-outage/"

## lint: ruff check, ruff format --check, mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fleetsim

## test: lint, then the whole test suite on all cores
test: lint
	$(BIN)/pytest -n auto -q

## validate: the whole suite including the slow statistical validation; rewrites docs/validation.md
validate: $(STAMP)
	$(BIN)/pytest -n auto -q -m "" --write-validation-report

## bench: benchmark harness (each case in a fresh process); table on stdout, JSON in bench/results/
bench: $(STAMP)
	$(BIN)/python bench/run.py

## profile: cProfile of bench-steady, top costs on stdout and in bench/results/
profile: $(STAMP)
	$(BIN)/python bench/run.py --profile bench-steady

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
