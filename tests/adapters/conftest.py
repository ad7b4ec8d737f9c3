"""The store's tests start at a time with microseconds, and act as someone with a full name:
both must survive the trip through either engine. The database, the service and the clock
are tests/conftest.py's.

The store's contract (test_roundtrip, test_change_feed, test_alert_keys, test_two_instances,
test_write_path_statements) runs on both engines: those modules override `engine` with
`both_engines`. The rest is about the SQLite file itself and stays on it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from tests.adapters.helpers import empty_postgres_database, raw_access

STORE_T0 = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=UTC)
BOTH_ENGINES = ["sqlite", "postgresql"]


@pytest.fixture
def start():
    return STORE_T0


@pytest.fixture
def actor():
    return "Dana Whitfield"


@pytest.fixture
def raw(engine, db, db_path, request):
    """SQL straight on `db`'s database, over a connection of its own (RawAccess)."""
    return raw_access(engine, db_path, request)


_empty = itertools.count(1)


@pytest.fixture
def empty_postgres(postgres_server):
    """The URL of a database with no tables yet on the run's server, for migrations."""
    with empty_postgres_database(postgres_server, f"adapters_empty_{next(_empty)}") as url:
        yield url
