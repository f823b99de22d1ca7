# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test lint bench install install-test clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/momentos demo

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: install-test
	scripts/ensure-postgres.sh
	scripts/ensure-chromium.sh
	cd tests/web/axe && npm ci --no-audit --no-fund --silent
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install-test
	scripts/ensure-postgres.sh
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/policy.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/first_answer.py
	$(BIN)/python bench/promises.py
	$(BIN)/python bench/listening.py
	$(BIN)/python bench/adaptation.py
	$(BIN)/python bench/sentiment_models.py
	$(BIN)/python bench/listening_pipeline.py
	$(BIN)/python bench/early_warning.py
	$(BIN)/python bench/themes.py
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

messages: install-test
	scripts/extract-messages.sh
