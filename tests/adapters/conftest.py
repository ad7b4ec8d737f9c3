"""The store's tests start at a time with microseconds, and act as someone with a full name:
both must survive the trip through SQLite. The database, the service and the clock are
tests/conftest.py's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

STORE_T0 = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def start():
    return STORE_T0


@pytest.fixture
def actor():
    return "Dana Whitfield"
