# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
WAGTAIL ?= wagtail>=8.0,<9
PORT ?= 8000
BIN := $(VENV)/bin
TRACKER := wagtail_outbound/static/wagtail_outbound/tracker

.PHONY: install demo test test-sqlite test-postgres test-wagtail7 lint format bench tracker clean

$(BIN)/python:
	$(PYTHON) -m pip install --quiet uv || true
	$(PYTHON) -m uv venv --quiet --python $(PYTHON) $(VENV) || $(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PYTHON) -m uv pip install --quiet --python $(BIN)/python -e ".[testing]" "$(WAGTAIL)" \
		|| $(BIN)/python -m pip install --quiet -e ".[testing]" "$(WAGTAIL)"
	touch $@

install: $(VENV)/.installed

demo: install
	cd demo && ../$(BIN)/python manage.py migrate --no-input
	cd demo && ../$(BIN)/python manage.py seed_demo
	cd demo && ../$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, browser tests included, on SQLite (DATABASE_URL picks another).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd demo && ../$(BIN)/python manage.py check --fail-level WARNING
	cd demo && ../$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks

# Rebuilds tracker.min.js from tracker.js (needs Node.js; users never do this).
tracker:
	{ echo "/*! wagtail-outbound tracker | source sha256 $$(sha256sum $(TRACKER).js | cut -c1-16) */"; \
	  npx --yes terser@5.51.4 $(TRACKER).js --compress passes=2 --mangle --ecma 2017; } > $(TRACKER).min.js

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache demo/db.sqlite3
