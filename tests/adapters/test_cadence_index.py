"""Schema v12: a partial index of the events the update cadence replays on every edit. A v11
database gets it when migrated, on both engines, and SQLite's planner answers the cadence's
read from it in time order: no sort, and none of the incident's notes visited. (What the
read returns, on both engines: test_timeline_of_kinds.)"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.adapters.helpers import index_columns
from warroom.adapters.sql.migrations import LATEST_VERSION, current_version, migrate
from warroom.adapters.sql.unit_of_work import _EVENTS_OF_INCIDENT_CADENCE
from warroom.domain.cadence import RECONCILE_KINDS
from warroom.domain.incident import EventKind

INDEX = "ix_timeline_event_cadence"


def test_a_v11_sqlite_file_gets_the_index_and_the_cadence_read_uses_it(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'v11.db'}")
    try:
        with engine.begin() as conn:
            migrate(conn, target=11)
            assert index_columns(conn, "timeline_event", INDEX) is None
        with engine.begin() as conn:
            assert migrate(conn) == (11, LATEST_VERSION)
            assert current_version(conn) == LATEST_VERSION
            assert index_columns(conn, "timeline_event", INDEX) == ("incident_id", "at")
            sql = _EVENTS_OF_INCIDENT_CADENCE.statement.compile(dialect=conn.dialect).string
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, (1,)).all()
            details = " ".join(str(row[-1]) for row in plan)
            assert f"USING INDEX {INDEX}" in details, details
            assert "TEMP B-TREE" not in details, details  # read in time order: no sort
    finally:
        engine.dispose()


def test_postgresql_gets_the_index_on_migration(empty_postgres):
    engine = create_engine(empty_postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            migrate(conn, target=11)
        with engine.begin() as conn:
            assert migrate(conn) == (11, LATEST_VERSION)
            assert index_columns(conn, "timeline_event", INDEX) == ("incident_id", "at")
            predicate = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": INDEX},
            ).scalar_one()
            for kind in RECONCILE_KINDS:
                assert f"'{kind.value}'" in predicate, predicate
    finally:
        engine.dispose()


def test_the_index_names_exactly_the_kinds_the_cadence_reads():
    """The index's predicate is written out in SQL; the domain's list of kinds is the truth.
    A kind added to one and not the other would leave facts out of the cadence's read."""
    from warroom.adapters.sql.models import CADENCE_EVENT_KINDS

    named = {kind for kind in EventKind if f"'{kind.value}'" in CADENCE_EVENT_KINDS}
    assert named == set(RECONCILE_KINDS)
