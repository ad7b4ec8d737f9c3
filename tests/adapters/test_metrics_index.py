"""Schema v11: a partial index for the metrics' one pass over every timeline. It is made on
both engines (covering on SQLite, keys only on PostgreSQL, whose index rows have a size
limit an update's message can pass), a v10 database gets it when migrated, SQLite's
planner answers the metrics' query from it alone, and an event too large for a PostgreSQL
index row is still stored."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.adapters.helpers import index_columns
from warroom.adapters.sql.migrations import LATEST_VERSION, current_version, migrate
from warroom.adapters.sql.queries import _KINDS, _POSTGRESQL_SUMMARIES, _SQLITE_SUMMARIES

INDEX = "ix_timeline_event_metrics"


def _add_event(conn, kind: str, data: str) -> None:
    conn.execute(
        text(
            "INSERT INTO timeline_event (incident_id, kind, at, recorded_at, actor, text, data)"
            " VALUES (1, :kind, '2026-11-20T09:00:00+00:00', '2026-11-20T09:00:00+00:00',"
            " 'dana', '', :data)"
        ),
        {"kind": kind, "data": data},
    )


def _add_incident(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO incident (id, title, severity, status, impact, impact_started_at,"
            " declared_at, commander, tech_lead, comms_lead, scribe) VALUES (1, 'x', 'P1',"
            " 'active', '', '2026-11-20T08:00:00+00:00', '2026-11-20T08:00:00+00:00',"
            " '', '', '', '')"
        )
    )


def test_a_v10_sqlite_file_gets_the_covering_index_and_the_query_uses_only_it(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'v10.db'}")
    try:
        with engine.begin() as conn:
            migrate(conn, target=10)
            assert index_columns(conn, "timeline_event", INDEX) is None
            _add_incident(conn)
            _add_event(conn, "update_sent", "{}")
        with engine.begin() as conn:
            assert migrate(conn) == (10, LATEST_VERSION)
            assert current_version(conn) == LATEST_VERSION
            assert index_columns(conn, "timeline_event", INDEX) == (
                "incident_id",
                "kind",
                "at",
                "id",
                "recorded_at",
                "data",
            )
            plan = conn.execute(text("EXPLAIN QUERY PLAN " + _SQLITE_SUMMARIES.text), _KINDS)
            details = " ".join(str(row[-1]) for row in plan)
            assert f"USING COVERING INDEX {INDEX}" in details, details
            rows = conn.execute(_SQLITE_SUMMARIES, _KINDS).all()
            assert [(r[0], r[2], r[3], r[4]) for r in rows] == [(1, 0, 0, None)]
    finally:
        engine.dispose()


def test_postgresql_gets_the_index_and_stores_an_update_larger_than_an_index_row(
    empty_postgres,
):
    engine = create_engine(empty_postgres.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            migrate(conn, target=10)
        with engine.begin() as conn:
            assert migrate(conn) == (10, LATEST_VERSION)
            assert index_columns(conn, "timeline_event", INDEX) == ("incident_id", "kind", "at")
            _add_incident(conn)
            # Random text does not compress: 20 kB is far over PostgreSQL's 2.7 kB per row.
            message = "".join(f"{n * 7919 % 100_003:05d}" for n in range(4000))
            _add_event(conn, "update_sent", f'{{"message": "{message}"}}')
            _add_event(conn, "mitigation", '{"decision": "applied"}')
            rows = conn.execute(_POSTGRESQL_SUMMARIES, _KINDS).all()
            assert [(r[0], r[2], r[3], r[4]) for r in rows] == [(1, 1, 0, None)]
    finally:
        engine.dispose()
