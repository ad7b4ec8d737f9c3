"""Text being typed survives a crash: it is saved as a draft within a second of typing."""

from __future__ import annotations

from PySide6.QtCore import Qt

from warroom.ui.incident_window import DRAFT_DEBOUNCE_MS, IncidentWindow


def reopen_after_crash(board, incident_id, clock, policy):
    """A new window on the same data, as after a restart; the old one was never closed."""
    return IncidentWindow(incident_id, board.service, policy, clock, board.window)


def test_a_half_typed_note_is_saved_within_the_debounce_and_restored(qtbot, board, clock, policy):
    incident = board.service.declare("Replica lag", "P2")
    detail = board.window.open_incident(incident.id)
    qtbot.keyClicks(detail.note_edit, "Failover of db-2 started at")
    assert detail.draft_timer.isActive()
    assert detail.draft_timer.interval() == DRAFT_DEBOUNCE_MS <= 1000
    assert board.service.drafts(incident.id) == {}  # not yet: typing is still going on
    detail.draft_timer.timeout.emit()  # a second after the last keystroke
    assert board.service.drafts(incident.id) == {"note": "Failover of db-2 started at"}

    again = reopen_after_crash(board, incident.id, clock, policy)
    assert again.note_edit.text() == "Failover of db-2 started at"
    assert "a note not yet added" in again.restored_banner.text()


def test_adding_the_note_clears_its_draft(qtbot, board):
    incident = board.service.declare("Replica lag", "P2")
    detail = board.window.open_incident(incident.id)
    qtbot.keyClicks(detail.note_edit, "Done")
    detail.draft_timer.timeout.emit()
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert board.service.drafts(incident.id) == {}
    assert board.service.timeline(incident.id)[-1].text == "Done"


def test_an_impact_rewrite_survives_a_crash_and_is_not_yet_the_record(qtbot, board, clock, policy):
    incident = board.service.declare("Search down", "P1", impact="EU only")
    detail = board.window.open_incident(incident.id)
    detail.impact_edit.setFocus()
    detail.impact_edit.selectAll()
    qtbot.keyClicks(detail.impact_edit, "EU and US, all queries")
    detail.draft_timer.timeout.emit()
    assert board.service.get(incident.id).impact == "EU only"  # still being written

    again = reopen_after_crash(board, incident.id, clock, policy)
    assert again.impact_edit.toPlainText() == "EU and US, all queries"
    again.close()  # closing saves it for real
    assert board.service.get(incident.id).impact == "EU and US, all queries"
    assert board.service.drafts(incident.id) == {}


def test_closing_keeps_an_unsent_note_as_a_draft(qtbot, board):
    incident = board.service.declare("Queue stuck", "P2")
    detail = board.window.open_incident(incident.id)
    qtbot.keyClicks(detail.note_edit, "Consumer restarted")
    detail.close()
    assert board.service.drafts(incident.id) == {"note": "Consumer restarted"}
    assert [e.kind.value for e in board.service.timeline(incident.id)] == ["declared"]


def test_a_half_typed_sensitive_note_comes_back_still_marked_sensitive(qtbot, board, clock, policy):
    incident = board.service.declare("Card data exposed", "P0")
    detail = board.window.open_incident(incident.id)
    qtbot.keyClicks(detail.note_edit, "Customer list for ACME")
    detail.note_sensitive.setChecked(True)
    detail.draft_timer.timeout.emit()
    again = reopen_after_crash(board, incident.id, clock, policy)
    assert again.note_edit.text() == "Customer list for ACME"
    assert again.note_sensitive.isChecked()  # it must not reach the shared screen by accident
    qtbot.keyClick(again.note_edit, Qt.Key.Key_Return)
    assert board.service.timeline(incident.id)[-1].data["sensitive"] is True
    assert board.service.drafts(incident.id) == {}
