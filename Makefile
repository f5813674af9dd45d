# Two commands: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/annotator

.PHONY: run test test-quick test-sqlite test-postgres browser-deps bench clean

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
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_admin
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and log in as 'admin' with the password above."
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

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

clean:
	rm -rf $(VENV) var
