# Bridgeway: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_CHILDREN ?= 1200
PG_URL ?= postgres://postgres@127.0.0.1:5432/bridgeway
export BRIDGEWAY_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test test-sqlite test-postgres lint install bench clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	@mkdir -p var
	DEBUG=true BRIDGEWAY_REQUIRE_MFA=false $(PY) -m django migrate --noinput --settings=bridgeway.settings -v0
	DEBUG=true BRIDGEWAY_REQUIRE_MFA=false $(PY) -m django forms_load_builtin --settings=bridgeway.settings
	DEBUG=true BRIDGEWAY_REQUIRE_MFA=false $(PY) -m django demo_data --children $(DEMO_CHILDREN) --settings=bridgeway.settings
	@echo "Serving http://127.0.0.1:$(PORT)  (logins above; Ctrl-C to stop)"
	DEBUG=true BRIDGEWAY_REQUIRE_MFA=false $(PY) -m django runserver 127.0.0.1:$(PORT) --settings=bridgeway.settings

lint: install
	$(VENV)/bin/ruff check src tests bench tools
	BRIDGEWAY_INSECURE_DEV_KEY=1 $(PY) -m django makemigrations --check --dry-run --settings=bridgeway.settings

# The whole suite on SQLite, then on PostgreSQL. Without PostgreSQL (or Chromium) the tests
# that need it are skipped with a reason, except under CI=true where that is a failure.
test: install lint test-sqlite test-postgres

test-sqlite:
	$(VENV)/bin/pytest -q -p no:cacheprovider -m "not postgres"; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

test-postgres:
	@if $(PY) tools/pg_available.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(VENV)/bin/pytest -q -p no:cacheprovider -m "not browser"; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL is required under CI=true ($(PG_URL) unreachable)"; exit 1; \
	else echo "SKIPPED: PostgreSQL suite ($(PG_URL) unreachable)"; fi

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
