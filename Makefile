# breachscope: the two set-up commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench eval clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## demo: create .venv, install, run the whole job on generated data (output in demo-out/)
demo: $(STAMP)
	BIN=$(BIN) bash scripts/demo.sh

## test: ruff, the import-layer contract (lint-imports), mypy --strict on the package, then the whole pytest suite (SQLite and PostgreSQL)
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy src/breachscope

unit: $(STAMP)
	BREACHSCOPE_TEST_PG_URL="$$(bash scripts/pg-test-server start)" $(BIN)/pytest

## bench: throughput and memory benchmarks; results in bench-out/results.json and .md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --out bench-out

clean:
	rm -rf $(VENV) demo-out bench-out .pytest_cache .mypy_cache .ruff_cache
	bash scripts/pg-test-server stop || true

## eval: column-level precision/recall/F1 on the labelled public samples (tests/data/eval)
eval: $(STAMP)
	$(BIN)/python -m benchmarks.eval
