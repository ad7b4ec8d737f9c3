"""A change set reaches only the windows that show what it touched: a note on an incident
no window shows costs the open windows no read at all; one on a shown incident costs
exactly that window's own refresh. Counted as the SELECTs the windows run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counting_reads(database) -> Iterator[list[str]]:
    """Every SELECT read outside a write transaction (the windows' reads; a write, and the
    reads inside it, run on connections that begin IMMEDIATE), while the block runs."""
    seen: list[str] = []

    def record(conn, _cursor, statement, *_args) -> None:
        writing = conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
        if not writing and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_a_note_on_an_incident_no_window_shows_costs_no_read(board):
    service = board.service
    shown = service.declare("Checkout returns 500", "P1")
    hidden = service.declare("Search is slow", "P3")
    window = board.window
    window.open_incident(shown.id)
    window.open_wizard(shown.id)
    window.open_postmortem(shown.id)
    window.open_evidence(shown.id)
    window.open_presenter()
    window.board.select_incident(shown.id)  # the presenter follows the selection

    with counting_reads(board.database) as reads:
        service.add_note(hidden.id, "Index rebuild started")
    assert reads == []
    assert [r for r in service.timeline(hidden.id) if r.text == "Index rebuild started"]


def test_a_note_on_a_shown_incident_costs_only_the_windows_showing_it(board):
    service = board.service
    shown = service.declare("Checkout returns 500", "P1")
    other = service.declare("Search is slow", "P3")
    window = board.window
    detail = window.open_incident(shown.id)
    window.open_incident(other.id)  # open, but on another incident: reads nothing

    with counting_reads(board.database) as own_refresh:
        detail.on_incident_changed(shown.id, "timeline")
    assert own_refresh  # the window does read its incident and timeline

    with counting_reads(board.database) as reads:
        service.add_note(shown.id, "Rolled back deploy 4812")
    assert len(reads) == len(own_refresh)
    texts = [
        detail.timeline_table.item(r, 2).text() for r in range(detail.timeline_table.rowCount())
    ]
    assert "Rolled back deploy 4812" in texts
