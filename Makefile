# Two commands on a fresh machine: `make demo` runs the IOC, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/ioc_test
PYTEST_ARGS ?=
# The two database passes run on 2 pytest-xdist workers, a test file per worker at a time (module
# fixtures start servers and build databases once per file). `make test-sqlite XDIST_ARGS=` runs
# them in one process.
XDIST_ARGS ?= -n 2 --dist loadfile

.PHONY: setup demo serve test lint typecheck migrations-check test-sqlite test-postgres test-e2e bench clean

setup: $(VENV)/.installed src/ioc/web/static/vendor/MANIFEST.json

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

src/ioc/web/static/vendor/MANIFEST.json: node_modules/.installed scripts/vendor.mjs
	npm run --silent vendor

demo: setup
	$(VENV)/bin/ioc demo

serve: setup
	$(VENV)/bin/ioc serve

lint: setup
	$(VENV)/bin/ruff check src tests bench scripts migrations
	$(VENV)/bin/ruff format --check src tests bench scripts migrations

typecheck: setup
	$(VENV)/bin/mypy

# The models and the migrations must agree: build a fresh database from the migrations,
# then let Alembic compare it with the models.
migrations-check: setup
	@tmp=$$(mktemp -d) && IOC_DATA_DIR=$$tmp $(VENV)/bin/ioc db upgrade >/dev/null \
	  && IOC_DATA_DIR=$$tmp $(VENV)/bin/alembic check; rc=$$?; rm -rf $$tmp; exit $$rc

test-sqlite: setup
	bash scripts/ensure-redis.sh
	$(PY) -m pytest -m "not e2e" -q $(XDIST_ARGS) $(PYTEST_ARGS)

test-postgres: setup
	bash scripts/ensure-postgres.sh $(lastword $(subst /, ,$(PG_URL)))
	IOC_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -m "not e2e" -q $(XDIST_ARGS) $(PYTEST_ARGS)

test-e2e: setup
	bash scripts/ensure-chromium.sh
	$(PY) -m pytest -m e2e -q $(PYTEST_ARGS)

test: lint typecheck migrations-check test-sqlite test-postgres test-e2e

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules src/ioc/web/static/vendor var test-artifacts
