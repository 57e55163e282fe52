"""The CI matrix, declared once: `nox` runs every session below (lint once,
then the suite in each configuration, each in a virtualenv of its own) and
keeps going after a failure, then lists which sessions failed.

    make test NOX_SESSIONS=all               # what .ci/run runs: all of them
    make test NOX_SESSIONS=wagtail8-postgres # one configuration
    .venv/bin/nox -s wagtail8-sqlite -- -x tests/test_beacon.py  # pytest args

The suite's steps themselves live in the Makefile (`make suite`), which `make
test` also runs in .venv, so a local run and CI run the same steps.
"""

import os
import shlex

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

POSTGRES_URL = os.environ.get(
    "CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
# The configurations: the Wagtail requirement and the database of each.
CONFIGURATIONS = {
    "wagtail8-sqlite": ("wagtail>=8,<9", None),
    "wagtail8-postgres": ("wagtail>=8,<9", POSTGRES_URL),
    "wagtail7.0-sqlite": ("wagtail>=7.0,<7.1", None),
}
# The heaviest tests (Hypothesis's 300 examples a property) run in this
# configuration only; the others run the same fixed examples, fewer of them
# (tests/conftest.py), so the whole matrix stays well under 45 minutes.
HEAVY = "wagtail8-postgres"


@nox.session
def lint(session):
    """ruff check and ruff format --check, once per run.

    The code is the same in every configuration."""
    session.install("--group", "lint")
    make(session, "lint")


def suite(session, database_url):
    """The Makefile's suite in this session's virtualenv: demo checks,
    pytest, tests/swapped on Wagtail 8, tests/analytics on PostgreSQL."""
    location = session.virtualenv.location
    env = {
        "HYPOTHESIS_PROFILE": os.environ.get(
            "HYPOTHESIS_PROFILE", "ci" if session.name == HEAVY else "ci-light"
        ),
        # None: not the caller's DATABASE_URL, the test settings' SQLite.
        "DATABASE_URL": database_url,
        # A SQLite test database per configuration, so two can run at once.
        "OUTBOUND_TEST_DB": os.environ.get(
            "OUTBOUND_TEST_DB", os.path.join(location, "test_db.sqlite3")
        ),
    }
    # Quoted for the recipe's shell: -- -m "not slow" stays two arguments.
    arguments = (
        [f"PYTEST_ARGS={shlex.join(session.posargs)}"] if session.posargs else []
    )
    make(session, "suite", *arguments, env=env)


def make(session, target, *arguments, env=None):
    # SETUP= : nox has installed this virtualenv, make must not install .venv.
    location = session.virtualenv.location
    session.run(
        "make",
        "--no-print-directory",
        target,
        f"VENV={location}",
        "SETUP=",
        *arguments,
        env=env,
        external=True,
    )


def configuration(name, wagtail, database_url):
    @nox.session(name=name)
    def run(session):
        session.install("-e", ".", "--group", "test", wagtail)
        suite(session, database_url)

    run.__doc__ = f"The suite with {wagtail} on {database_url or 'SQLite'}."
    return run


for _name, (_wagtail, _database_url) in CONFIGURATIONS.items():
    configuration(_name, _wagtail, _database_url)


# A fresh virtualenv each time: uv keeps installed versions that still fit.
@nox.session(name="lowest-sqlite", venv_backend="uv", reuse_venv=False)
def lowest(session):
    """The suite with the lowest versions allowed, on SQLite.

    Every direct requirement at its lower bound (Django 5.2.0, Wagtail 7.0.0,
    django-tables2 2.7.0...): the bounds in pyproject.toml really work."""
    session.install("--resolution", "lowest-direct", "-e", ".", "--group", "test")
    suite(session, None)
