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
# `makemigrations --check` needs settings, not a server: the test settings on an in-memory SQLite.
CHECK_ENV := DJANGO_SETTINGS_MODULE=tests.settings TEST_DATABASE_URL=sqlite://:memory: LOG_LEVEL=WARNING

.PHONY: run test lint fmt bench load faults fuzz screenshots clean

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
	$(RUN_ENV) VENV=$(VENV) exec $(VENV)/bin/honcho -f Procfile.dev start

test: $(VENV)/.dev-installed
	$(TEST_ENV) $(PY) -m tests.check_services
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The same checks as .pre-commit-config.yaml, over the whole tree (settings in pyproject.toml).
# mypy loads tests/settings.py, which makes a scratch folder removed at exit: --no-fast-exit lets it.
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture
	$(VENV)/bin/mypy --no-fast-exit
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.dev-installed
	$(PY) bench/run_all.py

# Locust, headless: 50 users for 60 s on the 2,000-repository data set, against gunicorn and a
# PostgreSQL cluster of its own (port 17532). Prints p50/p95/p99 and errors per page.
load: $(VENV)/.dev-installed
	$(PY) bench/load/run.py $(LOAD_ARGS)

# Fault experiments (docs/reliability.md): their own Redis and PostgreSQL on ports 17xxx, gunicorn,
# workers and beat; Redis and PostgreSQL stopped, frozen, restarted, workers killed, SMTP down,
# two beats, 200 analyses with a kill, and a 10-minute soak of make run. About 35 minutes.
faults: $(VENV)/.dev-installed
	$(PY) -m tests.faults.run_all $(FAULTS_ARGS)

# 100,000 Hypothesis inputs across the parsers of user input (make test runs a short profile).
fuzz: $(VENV)/.dev-installed
	$(TEST_ENV) HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider tests/fuzz $(PYTEST_ARGS)

# The README's screenshots from the demo (seed_demo plus a few repositories with a history) in a
# throwaway SQLite database, at 1280 px with Debian's Chromium, into docs/screenshots/.
screenshots: $(VENV)/.dev-installed
	$(PY) tools/screenshots.py $(SCREENSHOTS_ARGS)

clean:
	rm -rf var staticfiles
