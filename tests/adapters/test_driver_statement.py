"""The statements every edit runs, on SQLite's own cursor: they read and write exactly what
Core would (times, booleans, empty values, new row ids), inside the writer's transaction and
under its lock, and a refusal by SQLite is the SQLAlchemy error the store already handles.
On PostgreSQL the same calls go through Core and answer alike."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.adapters.conftest import BOTH_ENGINES
from warroom.adapters.sql.unit_of_work import (
    _EVENTS_OF_INCIDENT_CADENCE,
    _INCIDENT_BY_ID,
    EVENT_COLUMNS,
    INSERT_EVENT,
)


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def _event(incident_id: int, at, kind: str = "note", text: str = "Rolled back") -> dict:
    values = dict(
        incident_id=incident_id,
        kind=kind,
        at=at,
        recorded_at=at,
        actor="Dana Whitfield",
        text=text,
        data='{"backdated": false}',
    )
    assert tuple(values) == EVENT_COLUMNS
    return values


def test_an_incident_reads_as_core_reads_it(service, db, clock):
    """Times come back as aware UTC datetimes, flags as booleans, unset ones as None."""
    incident = service.declare("Checkout errors", "P1", is_drill=True)
    clock.advance(minutes=3)
    service.acknowledge(incident.id)
    with db.writer.connect() as connection:
        by_core = connection.execute(_INCIDENT_BY_ID.statement, {"id": incident.id}).first()
        by_driver = _INCIDENT_BY_ID.first(connection, {"id": incident.id})
        missing = _INCIDENT_BY_ID.first(connection, {"id": incident.id + 99})
    assert by_driver is not None and by_core is not None
    assert tuple(by_driver) == tuple(by_core)
    columns = _INCIDENT_BY_ID.statement.selected_columns.keys()
    row = dict(zip(columns, by_driver, strict=True))
    assert row["declared_at"] == incident.declared_at
    assert row["acknowledged_at"] == clock.now()
    assert row["is_drill"] is True and row["resolved_at"] is None
    assert missing is None


def test_an_event_written_is_read_back_with_its_new_id(service, db, clock):
    incident = service.declare("Checkout errors", "P1")
    at = clock.now() + timedelta(seconds=1, microseconds=250)
    with db.writer.connect() as connection:
        first = INSERT_EVENT.write(connection, _event(incident.id, at, "update_sent", "Sent"))
        second = INSERT_EVENT.write(connection, _event(incident.id, at))
        connection.commit()
    assert first.inserted_key is not None and second.inserted_key == first.inserted_key + 1
    [sent] = [e for e in service.timeline(incident.id) if e.id == first.inserted_key]
    assert (sent.text, sent.at, sent.actor) == ("Sent", at, "Dana Whitfield")
    # Stored as Core stores a time (on SQLite: fixed-width text that sorts as time).
    with db.writer.connect() as connection:
        by_core = connection.execute(INSERT_EVENT.statement, _event(incident.id, at))
        stored = connection.execute(
            text("SELECT CAST(at AS TEXT) FROM timeline_event WHERE id IN (:a, :b)"),
            {"a": second.inserted_key, "b": by_core.inserted_primary_key[0]},
        ).all()
        assert len(stored) == 2 and stored[0] == stored[1], stored
        connection.rollback()
    with db.engine.connect() as connection:
        facts = _EVENTS_OF_INCIDENT_CADENCE.all(connection, {"incident": incident.id})
    # The note is not among the cadence's facts; the declaration and the update are.
    assert [row[2] for row in facts] == ["declared", "update_sent"]


@pytest.mark.parametrize("engine", ["sqlite"])  # SQLite's own cursor; PostgreSQL's is Core's
def test_a_write_outside_a_transaction_opens_the_writers_and_holds_its_lock(db, service, clock):
    """The first statement of a unit of work may be a driver's: it opens the transaction as
    Core would, so the write is not committed on its own and a second writer waits."""
    incident = service.declare("Checkout errors", "P1")
    with db.writer.connect() as connection:
        assert not connection.in_transaction()
        INSERT_EVENT.write(connection, _event(incident.id, clock.now(), text="Not yet"))
        assert connection.in_transaction()
        other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            seen = other.execute("SELECT count(*) FROM timeline_event WHERE text = 'Not yet'")
            assert seen.fetchone() == (0,)
        finally:
            other.close()
        connection.rollback()
    assert "Not yet" not in [e.text for e in service.timeline(incident.id)]


def test_a_refused_write_is_sqlalchemys_error_and_changes_nothing(db, service, clock):
    incident = service.declare("Checkout errors", "P1")
    before = service.timeline(incident.id)
    with db.writer.connect() as connection:
        with pytest.raises(IntegrityError):  # no such incident: the foreign key refuses it
            INSERT_EVENT.write(connection, _event(incident.id + 99, clock.now()))
        connection.rollback()
    assert service.timeline(incident.id) == before
