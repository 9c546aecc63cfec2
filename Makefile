# KitoDeck developer commands. `make run` and `make test` need nothing but Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench eval lint format migrate venv venv-dev clean redis-server

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when the requirement files change.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

## Serve the API with gunicorn on $(PORT); without DATABASE_URL, on the embedded PostgreSQL.
run: venv
	PORT=$(PORT) $(PY) -m kitodeck.db_embedded

## Run the test suite against a real throwaway PostgreSQL, Redis and SMTP server.
test: venv-dev redis-server
	$(PY) -m pytest $(PYTEST_ARGS)

# The Redis tests start their own redis-server (Debian's package) on a free port.
redis-server:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null)

## Load and engine benchmarks, printed as ratios against the framework's and models' ceilings.
bench: venv-dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -m bench.run $(BENCH_ARGS)

## Chat analysis evaluation: precision, recall and confusion matrices on tests/data.
eval: venv
	$(PY) -m kitodeck.engines.evaluate --engine fallback tests/data/conversations.jsonl
	@echo; echo "Held-out set (written blind, never tuned on):"
	$(PY) -m kitodeck.engines.evaluate --engine fallback tests/data/heldout.jsonl

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Apply migrations (to DATABASE_URL, or the embedded database).
migrate: venv
	$(VENV)/bin/flask --app wsgi db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
