"""The standard-library board read that lets the window paint before SQLAlchemy loads."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from warroom.adapters.sql.sqlite.quick_read import read_board, read_start_board


def test_it_reads_exactly_what_the_service_reads(service, clock, db_path):
    first = service.declare("Checkout down", "P0", impact="all", commander="Dana")
    clock.advance(minutes=3)
    service.acknowledge(first.id)
    service.change_severity(first.id, "P1", "contained")
    service.mark_update_sent(first.id, "Status page updated")
    done = service.declare("Old one", "P3", is_drill=True)
    service.set_status(done.id, "resolved", "recovered on its own")
    assert read_board(db_path) == service.list_incidents()
    assert read_board(db_path, include_closed=True) == service.list_incidents(include_closed=True)
    assert read_board(db_path)[0].response_due_at == first.declared_at + timedelta(minutes=15)
    assert read_start_board(db_path) == (service.list_incidents(), service.newest_logged())
    service.add_note(first.id, "Rolled back")
    assert read_start_board(db_path) == (service.list_incidents(), service.newest_logged())


def test_it_steps_aside_when_the_file_is_missing_or_at_another_schema(tmp_path, db, db_path):
    assert read_board(tmp_path / "nothing-here.db") is None
    assert read_start_board(tmp_path / "nothing-here.db") is None
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE warroom_schema SET version = 1")
    assert read_board(db_path) is None
    assert read_start_board(db_path) is None


def test_it_steps_aside_for_a_file_that_is_not_a_database(tmp_path):
    junk = tmp_path / "warroom.db"
    junk.write_bytes(b"hello" * 100)
    assert read_board(junk) is None
    assert junk.read_bytes() == b"hello" * 100
