# crm-pulse developer commands. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help install lint format test bench demo services browser messages
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,bench]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)  ## create .venv and install crm-pulse with its dev tools

services:  ## make sure PostgreSQL on 127.0.0.1:5432 answers (starts the local cluster if not)
	@scripts/ensure-services.sh

lint: install  ## ruff (format + lint), mypy, import-linter (layers of STYLE.md)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy app bot jobs web reports kpi charts crm store emulator locales
	$(VENV)/bin/lint-imports

format: install  ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install  ## add new texts of the code to locales/*/*.po (and drop gone ones); then translate
	$(PY) -m locales.extract $(AREAS)

browser:  ## Debian's Chromium and chromedriver for the web page tests (installs if missing)
	@scripts/install-browser.sh

test: lint services browser  ## everything CI runs: lint, then the tests on SQLite and PostgreSQL
	$(PY) -m pytest

bench: install services  ## benchmarks on the large dataset (minutes; prints a report)
	$(PY) -m pytest tests/bench -p no:cacheprovider -p no:hypothesispytest -s -o addopts=""
	CRM_PULSE_RELIABILITY_SCALE=medium CRM_PULSE_RELIABILITY_KILLS=6 \
		$(PY) -m pytest tests/reliability -p no:cacheprovider -o addopts="" --durations=10

demo: install  ## the whole product on the built-in portal emulator
	$(VENV)/bin/crm-pulse demo
