"""Fixtures for the store: a fresh database file under tmp_path and a service on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.adapters.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock

# Microseconds on purpose: they must survive the trip through SQLite.
STORE_T0 = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def fake_clock():
    return FakeClock(STORE_T0)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "warroom.db"


@pytest.fixture
def db(db_path):
    database = open_database(db_path, now=STORE_T0)
    yield database
    database.dispose()


@pytest.fixture
def service(db, fake_clock):
    return incident_service(db, fake_clock, actor="Dana Whitfield")
