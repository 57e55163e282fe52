# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
WAGTAIL ?= wagtail>=8.0,<9
PORT ?= 8000
BIN := $(abspath $(VENV))/bin
# What `lint` and `suite` need first; nox, which installs its own virtualenvs,
# passes SETUP= (nothing).
SETUP ?= install
# Nox sessions `make test` runs instead of the suite in .venv ("all": every one).
NOX_SESSIONS ?=
TRACKER := wagtail_outbound/static/wagtail_outbound/tracker

.PHONY: install demo test suite test-sqlite test-postgres test-wagtail7 lint format \
	bench screenshots tracker clean

$(BIN)/python:
	$(PYTHON) -m pip install --quiet uv || true
	$(PYTHON) -m uv venv --quiet --python $(PYTHON) $(VENV) || $(PYTHON) -m venv $(VENV)

# The development tools are PEP 735 dependency groups (pyproject.toml), which
# need uv or pip 25.1+.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PYTHON) -m uv pip install --quiet --python $(BIN)/python -e . --group dev "$(WAGTAIL)" \
		|| { $(BIN)/python -m pip install --quiet "pip>=25.1" \
		&& $(BIN)/python -m pip install --quiet -e . --group dev "$(WAGTAIL)"; }
	touch $@

install: $(VENV)/.installed

# The demo site on SQLite (demo/db.sqlite3): admin / admin.
demo: install
	cd demo && $(BIN)/python manage.py migrate --no-input
	cd demo && $(BIN)/python manage.py seed_demo --port $(PORT)
	cd demo && $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, browser tests included: lint, then the suite's steps in .venv,
# on SQLite (DATABASE_URL picks another database). With NOX_SESSIONS, nox runs
# those sessions of noxfile.py instead, each in its own virtualenv; "all" is the
# whole CI matrix (what .ci/run runs).
ifeq ($(NOX_SESSIONS),)
test: lint suite
else ifeq ($(NOX_SESSIONS),all)
test: install
	$(BIN)/nox
else
test: install
	$(BIN)/nox --sessions $(NOX_SESSIONS)
endif

# The suite's steps, in one configuration: the virtualenv $(VENV) and the
# database of DATABASE_URL. Every nox session runs these.
suite: $(SETUP)
	@# The demo needs no database for these two; never touch the one under test.
	cd demo && DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py check --fail-level WARNING
	cd demo && DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@# A swapped Page model (WAGTAIL_PAGE_MODEL) exists from Wagtail 8 on.
	@if $(BIN)/python -c "import sys, wagtail; sys.exit(wagtail.VERSION < (8,))"; then \
		echo "DJANGO_SETTINGS_MODULE=tests.swapped.settings pytest tests/swapped"; \
		DJANGO_SETTINGS_MODULE=tests.swapped.settings $(BIN)/python -m pytest tests/swapped; \
	else echo "Wagtail 7: no swappable Page model, tests/swapped not run"; fi
	@# The click tables in a database of their own (a second PostgreSQL database).
	@case "$$DATABASE_URL" in \
	postgres*) \
		echo "DJANGO_SETTINGS_MODULE=tests.analytics.settings pytest tests/analytics"; \
		ANALYTICS_DATABASE_URL=$${ANALYTICS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/analytics} \
		DJANGO_SETTINGS_MODULE=tests.analytics.settings $(BIN)/python -m pytest tests/analytics;; \
	*) echo "Not PostgreSQL: tests/analytics (a second PostgreSQL database) not run";; \
	esac

test-sqlite: test

test-postgres:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(MAKE) test

# Wagtail 7.0 LTS in nox's virtualenv of that configuration.
test-wagtail7:
	$(MAKE) test NOX_SESSIONS="lint wagtail7.0-sqlite"

lint: $(SETUP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (not part of `make test`): see docs/benchmarks.md. Needs PostgreSQL,
# wrk and Chromium; BENCH_ARGS="--only reports --clicks 200000" narrows it.
bench: install
	$(PYTHON) -m uv pip install --quiet --python $(BIN)/python --group bench \
		|| $(BIN)/python -m pip install --quiet --group bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Retakes the screenshots in docs/screenshots/ (the browser tests named *screenshot*).
screenshots: install
	OUTBOUND_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -k screenshot

# Rebuilds tracker.min.js from tracker.js (needs Node.js; users never do this).
tracker:
	{ echo "/*! wagtail-outbound tracker | source sha256 $$(sha256sum $(TRACKER).js | cut -c1-16) */"; \
	  npx --yes terser@5.51.4 $(TRACKER).js --compress passes=2 --mangle --ecma 2017; } > $(TRACKER).min.js

clean:
	rm -rf $(VENV) .nox build dist *.egg-info .pytest_cache demo/db.sqlite3
