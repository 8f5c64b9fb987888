# Readiness: `make run` starts the product on its embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Embedded defaults for `make run`: SQLite and a filesystem broker under var/, DEBUG on.
RUN_ENV := DEBUG=true READINESS_ALLOW_LOCAL_SOURCES=true PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT)

# Real services for `make test` (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/readiness
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL)

.PHONY: run test lint fmt bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) exec $(VENV)/bin/honcho -f Procfile.dev start

test: $(VENV)/.dev-installed
	$(TEST_ENV) $(PY) -m tests.check_services
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.dev-installed
	$(PY) bench/run_all.py

clean:
	rm -rf var staticfiles
