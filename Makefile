# The two commands a newcomer needs: `make run` and `make test`. Both build .venv first if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install install-test run test lint migrate

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e .
	@touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

run: install
	@$(PY) -m backoffice migrate
	@BACKOFFICE_DEMO=$${BACKOFFICE_DEMO:-1} $(PY) main.py

test: install-test
	@$(PY) -m pytest

lint: install-test
	@$(PY) -m ruff check .

migrate: install
	@$(PY) -m backoffice migrate
