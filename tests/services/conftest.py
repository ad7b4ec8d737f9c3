"""Every service test runs on both engines: the local SQLite file and a shared PostgreSQL
server (started once for the run by tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.param
