"""Shared fixtures: every test runs offscreen, on its own data dir, with a fake clock; a
database file in that dir, with the services built on it by warroom.bootstrap.

A folder whose tests want another starting time overrides `start` (tests/adapters,
tests/evidence, tests/cli do): the clock, the database and the CLI's clock follow it; one
that wants another name on the timeline overrides `actor`."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

import pytest

from tests.helpers import count_rows

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
def db_path(data_dir):
    return data_dir / "warroom.db"


@pytest.fixture
def db(db_path, start):
    """A fresh database file at `db_path`, created at `start`."""
    from warroom.adapters.sql.sqlite.database import open_database

    database = open_database(db_path, now=start)
    yield database
    database.dispose()


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
def stored_counts(db_path):
    """(incidents, timeline events) as committed in the file, read over a separate connection."""
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
