# breachscope: the two set-up commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench corpus fuzz eval clean report-sample screenshots

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
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/ruff format --check src tests benchmarks fuzz
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy src/breachscope

## unit: the pytest suite on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process)
TEST_WORKERS ?= auto
unit: $(STAMP)
	BREACHSCOPE_TEST_PG_URL="$$(bash scripts/pg-test-server start)" $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

## bench: throughput and memory benchmarks; results in bench-out/results.json and .md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --out bench-out

## corpus: every hostile-input case (tests/readers/hostile_corpus.py) through a real `breachscope scan`: time, peak RSS, exit, verdict
corpus: $(STAMP)
	$(BIN)/python -m benchmarks.corpus --work bench-out/corpus

## fuzz: the readers' hypothesis properties with 2,000 examples each, then atheris on the readers and on reported mail for FUZZ_SECONDS each (crashes in fuzz-out/)
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	BREACHSCOPE_FUZZ_EXAMPLES=2000 $(BIN)/pytest tests/readers/test_readers_fuzz.py -q
	$(BIN)/pip install -q -e '.[fuzz]'
	mkdir -p fuzz-out && cd fuzz-out && ../$(BIN)/python ../fuzz/readers_atheris.py \
		-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 corpus
	cd fuzz-out && ../$(BIN)/python ../fuzz/mail_atheris.py \
		-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 mail-corpus

clean:
	rm -rf $(VENV) demo-out bench-out fuzz-out .pytest_cache .mypy_cache .ruff_cache
	bash scripts/pg-test-server stop || true

## eval: column-level precision/recall/F1 on the labelled public samples (tests/data/eval)
eval: $(STAMP)
	$(BIN)/python -m benchmarks.eval

## report-sample: regenerate docs/report-sample/ (report PDFs EN/ID, their pages as PNG, the public page) from a synthetic case
report-sample: $(STAMP)
	$(BIN)/python scripts/report_sample.py

## screenshots: the console's main pages as PNG in docs/screenshots/ (Debian chromium via Playwright)
screenshots: $(STAMP)
	$(BIN)/python scripts/console_screenshots.py --out docs/screenshots
