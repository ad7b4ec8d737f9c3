"""Schema v9: the alert's dedupe key is unique among open incidents only, on a database
migrated from v8 as on a fresh one, SQLite file or PostgreSQL server; a duplicate's original
can be deleted."""

from __future__ import annotations

import contextlib
import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine

from tests.adapters.conftest import BOTH_ENGINES
from tests.adapters.helpers import RawAccess
from warroom.adapters.sql.migrations import migrate
from warroom.adapters.sql.postgres.database import open_shared
from warroom.adapters.sql.sqlite.database import open_database


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


INSERT = (
    "INSERT INTO incident (title, severity, status, impact, impact_started_at, declared_at,"
    " commander, tech_lead, comms_lead, scribe, dedupe_key) VALUES ('t', 'P2', ?, '',"
    " '2026-11-20T09:00:00.000000+00:00', '2026-11-20T09:00:00.000000+00:00', '', '', '', '', ?)"
)


def index_sql(path):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_incident_open_dedupe_key'"
        ).fetchone()[0]


def refuses_open_twice(path):
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for status in ("resolved", "closed", "triage"):
            conn.execute(INSERT, (status, "K"))
        conn.execute(INSERT, ("active", None))
        conn.execute(INSERT, ("active", None))  # no key: never a clash
        for status in ("triage", "active", "mitigated"):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(INSERT, (status, "K"))


@pytest.mark.parametrize("from_version", [None, 8])
def test_the_key_is_unique_among_open_incidents_only(engine, tmp_path, from_version, request):
    if engine == "postgresql":
        server_db = request.getfixturevalue("empty_postgres")
        the_key_is_unique_on_a_server(server_db, tmp_path, from_version)
        return
    path = tmp_path / "warroom.db"
    if from_version is not None:
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            migrate(conn, target=from_version)
        engine.dispose()
    open_database(path).dispose()
    assert "WHERE" in index_sql(path)
    refuses_open_twice(path)


def test_deleting_the_original_leaves_the_duplicate_unmarked(services):
    incidents = services.incidents
    original = incidents.declare("API down", "P1")
    copy = incidents.declare("API errors", "P1")
    incidents.mark_duplicate(copy.id, of=original.id)
    incidents.delete_incident(original.id)
    assert incidents.get(copy.id).duplicate_of is None


def the_key_is_unique_on_a_server(url, folder, from_version):
    if from_version is not None:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            migrate(conn, target=from_version)
        engine.dispose()
    open_shared(url, folder).dispose()
    raw = RawAccess("postgresql", url)
    [(definition,)] = raw.rows(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_incident_open_dedupe_key'"
    )
    assert "UNIQUE" in definition and "WHERE" in definition
    insert = INSERT.replace("?", "%s")
    with psycopg.connect(url, autocommit=True) as conn:
        for status in ("resolved", "closed", "triage"):
            conn.execute(insert, (status, "K"))
        conn.execute(insert, ("active", None))
        conn.execute(insert, ("active", None))  # no key: never a clash
        for status in ("triage", "active", "mitigated"):
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute(insert, (status, "K"))
