"""Shared fixtures: every test runs offscreen, on its own data dir, with a fake clock; a
database file in that dir, with the services built on it by warroom.bootstrap.

A folder whose tests want another starting time overrides `start` (tests/adapters,
tests/evidence, tests/cli do): the clock, the database and the CLI's clock follow it; one
that wants another name on the timeline overrides `actor`."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import count_committed, count_rows

# Offscreen unless the run says otherwise: .ci/run runs tests/gui a second time under Xvfb
# with QT_QPA_PLATFORM=xcb, where focus, window activation and key bindings are real.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A Sunday afternoon in UTC; tests that care about weekdays set their own times.
START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """No test may touch the real user's data, config or log dirs."""
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("WARROOM_DATA_DIR", raising=False)
    monkeypatch.delenv("WARROOM_ACTOR", raising=False)
    return home


@pytest.fixture
def start():
    """When the test's clock starts (and its database is created)."""
    return START


@pytest.fixture
def clock(start):
    from warroom.domain.clock import FakeClock

    return FakeClock(start)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def policy():
    from warroom.domain.policy import load_policy_file
    from warroom.system.paths import builtin_policy_file

    return load_policy_file(builtin_policy_file())


# -- a database and the services on it ----------------------------------------------------------
@pytest.fixture
def engine():
    """Which engine `db` is on. tests/services and the store's contract tests run on both:
    their conftest overrides this with both engines as parameters."""
    return "sqlite"


@pytest.fixture
def db_path(data_dir):
    return data_dir / "warroom.db"


def _open_store(engine, db_path, data_dir, start, request):
    if engine == "postgresql":
        from warroom.adapters.sql.postgres.database import open_shared

        data_dir.mkdir(parents=True, exist_ok=True)
        return open_shared(request.getfixturevalue("postgres_url"), data_dir, now=start)
    from warroom.adapters.sql.sqlite.database import open_database

    return open_database(db_path, now=start)


@pytest.fixture
def db(engine, db_path, data_dir, start, request):
    """A fresh database created at `start`: the file at `db_path`, or (engine "postgresql")
    a new database on the test run's PostgreSQL server, with `data_dir` as its local folder."""
    database = _open_store(engine, db_path, data_dir, start, request)
    yield database
    database.dispose()


@pytest.fixture
def open_again(engine, db, db_path, data_dir, start, request):
    """Opens `db`'s database once more, as another warroom would (its own connections);
    each one is disposed after the test."""
    opened = []

    def open_() -> object:
        opened.append(_open_store(engine, db_path, data_dir, start, request))
        return opened[-1]

    yield open_
    for database in opened:
        database.dispose()


# -- a real PostgreSQL server, started once per run when a test asks for it --------------------
@pytest.fixture(scope="session")
def postgres_server():
    """The run's PostgreSQL server. When it cannot start the tests that need it fail with
    the reason: they never skip."""
    from tests import postgres_server as server_process

    try:
        server = server_process.start()
    except server_process.ServerUnavailable as exc:
        pytest.fail(f"PostgreSQL could not be started: {exc}", pytrace=False)
    yield server
    server.remove()


@pytest.fixture
def own_postgres_server():
    """A PostgreSQL server of the test's own, with an empty database "room": for a test that
    stops and starts it (the run's server stays up for the others)."""
    from tests import postgres_server as server_process

    try:
        server = server_process.start()
    except server_process.ServerUnavailable as exc:
        pytest.fail(f"PostgreSQL could not be started: {exc}", pytrace=False)
    server.admin("CREATE DATABASE room")
    yield server
    server.remove()


@pytest.fixture(scope="session")
def postgres_template(postgres_server):
    """A database migrated to the current schema, copied for each test (CREATE DATABASE
    ... TEMPLATE is much faster than migrating every time)."""
    from warroom.adapters.sql.postgres.database import open_shared

    postgres_server.admin("CREATE DATABASE warroom_template")
    folder = Path(tempfile.mkdtemp(prefix="warroom-template-"))
    open_shared(postgres_server.url("warroom_template"), folder).dispose()
    return "warroom_template"


@pytest.fixture(scope="session")
def postgres_databases(postgres_server, postgres_template):
    """Fresh copies of the template, made (and used ones dropped) on a thread of their own
    while tests run, so a test rarely waits for CREATE DATABASE."""
    from tests.postgres_server import DatabasePool

    pool = DatabasePool(postgres_server, postgres_template)
    yield pool
    pool.close()


@pytest.fixture
def postgres_url(postgres_server, postgres_databases):
    """A fresh, migrated database of its own on the run's server; dropped afterwards."""
    name = postgres_databases.take()
    yield postgres_server.url(name)
    postgres_databases.give_back(name)


@pytest.fixture
def actor():
    """Who acts in the services the fixtures build."""
    return "alice"


@pytest.fixture
def service(db, clock, actor):
    """The incident service alone on `db`: no sibling listens to it."""
    from warroom.bootstrap import incident_service

    return incident_service(db, clock, actor=actor)


@pytest.fixture
def services(db, clock, actor):
    """Every service on `db` (the vault is data_dir/vault), as the app builds them."""
    from warroom.bootstrap import build

    built = build(db, clock, actor=actor)
    yield built
    built.evidence.close()


@pytest.fixture
def stored_counts(engine, db, db_path):
    """(incidents, timeline events) as committed, read over a separate connection."""
    if engine == "postgresql":
        return lambda: count_committed(db.engine, "incident", "timeline_event")
    return lambda: count_rows(db_path, "incident", "timeline_event")


# -- the machine and the command line -----------------------------------------------------------
@pytest.fixture
def machine_in_new_york():
    """The machine runs on New York time, so any local time leaking into output shows, and a
    zone the app records must be recorded as New York's."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield "America/New_York"
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def cli_clock(monkeypatch, clock, tmp_path):
    """The CLI's clock is `clock`, and no user config: the built-in policy applies."""
    monkeypatch.setattr("warroom.cli.main.SystemClock", lambda: clock)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # A CLI verb must never reach for the GUI: make importing it fail loudly.
    monkeypatch.setitem(sys.modules, "warroom.ui.app", None)
    return clock


@pytest.fixture
def run_cli(cli_clock, data_dir, capsys):
    """Runs `warroom --data-dir DATA ARGS...` in-process on the fake clock (or with --data-dir
    after the verb); returns (exit code, stdout, stderr)."""
    from warroom.__main__ import main

    def run(*args, data_dir_after_verb=False):
        argv = [str(a) for a in args]
        if data_dir_after_verb:
            argv[1:1] = ["--data-dir", str(data_dir)]
        else:
            argv[:0] = ["--data-dir", str(data_dir)]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run
