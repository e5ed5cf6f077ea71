# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Mozilla's ical.js (package.json), which tests/calendar runs through node to parse the feeds.
NODE_STAMP := node_modules/.installed
export HEMBESOK_DATABASE_URL ?= sqlite:///var/hembesok.db

.PHONY: run test lint typecheck test-sqlite test-postgres openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: tests/calendar skips its ical.js checks (CI fails them)"; \
	elif [ -f package-lock.json ]; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		npm install --no-audit --no-fund && touch $@; \
	fi

run: $(STAMP)
	$(BIN)/hembesok migrate
	$(BIN)/hembesok demo
	@echo "Hembesök on http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)"
	$(BIN)/hembesok serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy app

test-sqlite: $(STAMP) $(NODE_STAMP)
	HEMBESOK_TEST_BACKEND=sqlite $(BIN)/python -m pytest -q

test-postgres: $(STAMP) $(NODE_STAMP)
	HEMBESOK_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q

test: lint typecheck test-sqlite test-postgres

openapi: $(STAMP)
	$(BIN)/hembesok export-openapi openapi/openapi.json

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules
