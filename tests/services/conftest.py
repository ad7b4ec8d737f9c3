"""Fixtures for the service: a fresh database, a fake clock and a way to count what is stored."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime

import pytest

from warroom.adapters.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock

SERVICE_T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
def fake_clock():
    return FakeClock(SERVICE_T0)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "warroom.db"


@pytest.fixture
def db(db_path):
    database = open_database(db_path, now=SERVICE_T0)
    yield database
    database.dispose()


@pytest.fixture
def service(db, fake_clock):
    return incident_service(db, fake_clock, actor="alice")


@pytest.fixture
def stored_counts(db_path):
    """(incidents, timeline events) as committed in the file, read over a separate connection."""

    def count():
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            return conn.execute(
                "SELECT (SELECT COUNT(*) FROM incident), (SELECT COUNT(*) FROM timeline_event)"
            ).fetchone()

    return count
