# Two commands: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/annotator
# Task workers started beside the web server by `make run` and `make serve` (0: none, e.g. web-only machines).
WORKERS ?= 1
# gunicorn processes of `make serve`.
WEB_WORKERS ?= 2

.PHONY: run serve worker test test-quick test-sqlite test-postgres browser-deps bench clean

# Start the web process $(1) of the Procfile and $(WORKERS) task workers beside it with honcho: one
# log, prefixed by process; Ctrl+C (or any process ending) stops them all. A worker that is stopped
# loses nothing: what it held is handed out again by the other workers, or by the next one started.
HONCHO = WEB_BIND=$(HOST):$(PORT) WEB_WORKERS=$(WEB_WORKERS) $(VENV)/bin/honcho -f Procfile start
with_workers = $(HONCHO) $(if $(filter-out 0,$(WORKERS)),-c worker=$(WORKERS) $(1) worker,$(1))

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.run-installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.run-installed
	$(PY) manage.py prepare
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_admin
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and log in as 'admin' with the password above."
	@echo "  The API is at http://$(HOST):$(PORT)/api/ (Swagger page: /api/docs/); $(WORKERS) task worker(s) run beside the server."
	@echo
	$(call with_workers,web)

# Production: gunicorn with static files from WhiteNoise, DEBUG off, settings from the environment
# (DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, REDIS_URL, TASKS_BACKEND); see "Running for a team" in README.md.
serve: export DEBUG = 0
serve: $(VENV)/.run-installed
	$(PY) manage.py prepare
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(call with_workers,serve)

# A machine that only runs background tasks (TASKS_BACKEND=rq with REDIS_URL, or the shared database).
worker: $(VENV)/.run-installed
	$(PY) manage.py task_worker

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The whole suite on SQLite, then everything that touches the database again on PostgreSQL.
test: test-sqlite test-postgres

test-sqlite: $(VENV)/.test-installed browser-deps
	$(PY) -m pytest

test-postgres: $(VENV)/.test-installed
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -m "not browser" -p no:cacheprovider

# While working: no browser, no PostgreSQL, no full spaCy pipeline.
test-quick: $(VENV)/.test-installed
	$(PY) -m pytest -m "not browser and not slow and not postgres"

bench: $(VENV)/.run-installed
	$(PY) bench/annotate_page.py
	$(PY) bench/extractor.py
	$(PY) bench/predict.py
	$(PY) bench/evaluation.py
	$(PY) bench/formats.py --docs 20000

clean:
	rm -rf $(VENV) var
