# The two commands a newcomer needs: `make run` and `make test`. Both build .venv first, from the lock files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install install-test run test lint format check lock migrate migration translations deploy-smoke tailwind-css

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.lock
	@$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install-test: $(VENV)/.installed-test

# the example extension (extensions/loyalty_points, docs/EXTENSIONS.md) is installed for the tests: the suite covers it
$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock extensions/loyalty_points/pyproject.toml
	@$(PY) -m pip install --quiet -r requirements-test.lock
	@$(PY) -m pip install --quiet --no-deps -e extensions/loyalty_points
	@touch $@

run: install
	@$(PY) -m backoffice migrate
	@BACKOFFICE_DEMO=$${BACKOFFICE_DEMO:-1} $(PY) main.py

# Everything: lint first, then the whole suite (browser tests included), spread over TEST_WORKERS processes
# (pytest-xdist; `auto`: one per core, `0`: none); a browser test file runs whole on one of them, and each worker that
# gets one starts its own server and Chromium (tests/conftest.py). 3 by default, not one per core: on 2 cores much of
# a worker's time is waiting (for Chromium, a server starting, a subprocess, a page settling). On a quiet 2-core
# machine -n 3 and -n 4 took the same wall time (466 and 462 s, SQLite), -n 3 with less CPU (540 against 589 s) and
# less contention for timing-sensitive tests (tests/README.md, 2026-12-05); a larger machine may say `TEST_WORKERS=auto`.
TEST_WORKERS ?= 3
test: lint
	@$(PY) -m pytest -n $(TEST_WORKERS) --durations=25

lint: install-test
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check --quiet .
	@$(PY) -m mypy

format: install-test
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix --quiet .

# A quick loop while working: lint and the tests that need no browser and no page.
check: lint
	@$(PY) -m pytest -n $(TEST_WORKERS) -q -x --ignore=tests/browser -k 'not page and not matrix'

# The documented deployment (docs/DEPLOY.md), brought up and checked: 2 app processes on PostgreSQL and Redis behind
# nginx, then torn down (needs nginx, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; about a minute).
deploy-smoke: install-test
	@bash deploy/smoke.sh

# Pin what pyproject.toml added (others keep their pins); `make lock UPGRADE=--upgrade` moves all to the newest.
# Commit both lock files.
lock:
	@$(PYTHON) -m pip install --quiet 'uv>=0.9'
	@$(PYTHON) -m uv pip compile --quiet --python-version 3.11 $(UPGRADE) pyproject.toml -o requirements.lock
	@$(PYTHON) -m uv pip compile --quiet --python-version 3.11 $(UPGRADE) pyproject.toml --extra test \
		-o requirements-test.lock

migrate: install
	@$(PY) -m backoffice migrate

# make migration m="add a column to orders": the next numbered migration from what the models changed.
migration: install
	@test -n "$(m)" || { echo 'usage: make migration m="what it does"' >&2; exit 2; }
	@$(PY) -m backoffice new-migration "$(m)"

# Translations (backoffice/i18n.py): collect every marked text into the template, add the new ones to each language's
# catalog (backoffice/locale/<code>/LC_MESSAGES/messages.po, to be translated there) and check that they compile.
# A new language: `.venv/bin/pybabel init -i backoffice/locale/messages.pot -d backoffice/locale -l de`, then translate.
translations: install-test
	@$(VENV)/bin/pybabel -q extract -F babel.cfg -k NP_:1c,2 --no-location --sort-output --omit-header \
		-o backoffice/locale/messages.pot .
	@$(VENV)/bin/pybabel -q update --no-fuzzy-matching --ignore-obsolete \
		-i backoffice/locale/messages.pot -d backoffice/locale
	@$(VENV)/bin/pybabel compile --statistics -d backoffice/locale -o /dev/null 2>&1 | grep -v '^compiling' || true

# Tailwind's classes as a stylesheet (components/tailwind.css, sent with every page instead of NiceGUI's Tailwind
# runtime): rebuild it after adding a Tailwind class to the code (components/prebuilt_tailwind.py; needs Chromium).
tailwind-css: install-test
	@$(PY) -m components.prebuilt_tailwind
