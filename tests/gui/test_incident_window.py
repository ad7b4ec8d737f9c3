"""The incident detail view: every change is committed and lands on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from warroom.domain.incident import EventKind, KeyTime
from warroom.domain.lifecycle import Role
from warroom.ui.qtime import ENTERED_LATER, to_qdatetime


@pytest.fixture
def detail(qtbot, board):
    incident = board.service.declare("Cart errors", "P1", impact="EU shoppers")
    # A child of the main window, which qtbot already tears down.
    return board.window.open_incident(incident.id)


def kinds(board, incident_id):
    return [e.kind for e in board.service.timeline(incident_id)]


def timeline_texts(window):
    table = window.timeline_table
    return [table.item(row, 2).text() for row in range(table.rowCount())]


def test_acknowledging_shows_how_long_it_took_and_names_the_ic(qtbot, board, clock, detail):
    clock.advance(minutes=4, seconds=30)
    qtbot.mouseClick(detail.ack_button, Qt.MouseButton.LeftButton)
    assert detail.response_tile.value.text() == "acked in 4:30"
    assert not detail.ack_button.isEnabled()
    assert "IC: alice" in detail.status_label.text()
    assert "Acknowledged by alice; alice is now incident commander" in timeline_texts(detail)


def test_the_acknowledge_shortcut_works_from_the_keyboard(qtbot, board, detail):
    qtbot.keyClick(detail, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert board.service.get(detail.incident_id).acknowledged_at is not None


def test_changing_severity_is_a_timeline_event_and_moves_the_clocks(qtbot, board, clock, detail):
    clock.advance(minutes=20)
    detail.severity_combo.setCurrentIndex(detail.severity_combo.findData("P0"))
    qtbot.keyClicks(detail.severity_reason, "all regions now")
    qtbot.mouseClick(detail.severity_button, Qt.MouseButton.LeftButton)
    assert detail.badge.text() == "P0"
    assert timeline_texts(detail)[-1] == "Severity raised P1 → P0: all regions now"
    assert detail.update_tile.value.text() == "15:00 left"
    assert detail.severity_reason.text() == ""


def test_assigning_roles_is_saved_when_the_field_is_left(qtbot, board, detail):
    edit = detail.role_edits[Role.TECH_LEAD]
    edit.setFocus()
    qtbot.keyClicks(edit, "Grace Hopper")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert board.service.get(detail.incident_id).roles[Role.TECH_LEAD] == "Grace Hopper"
    assert timeline_texts(detail)[-1] == "Technical lead: Grace Hopper"


def move_to(qtbot, detail, stage):
    detail.status_combo.setCurrentIndex(detail.status_combo.findData(stage))
    qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)


def answer_reason(monkeypatch, reason):
    """The reason typed into the dialog a rule opens (None: the user cancels); returns the
    questions asked."""
    from PySide6.QtWidgets import QInputDialog

    asked: list[str] = []

    def get_text(_parent, _title, label, *args, **kwargs):
        asked.append(label)
        return (reason or "", reason is not None)

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return asked


def test_moving_through_the_lifecycle_and_back(qtbot, board, detail, monkeypatch):
    move_to(qtbot, detail, "active")
    # "Mitigated" needs the measurement that showed recovery: the wizard's verify page asks.
    move_to(qtbot, detail, "mitigated")
    wizard = board.window.wizards[detail.incident_id]
    assert wizard.currentPage() is wizard.verify
    assert board.service.get(detail.incident_id).status.value == "active"
    assert detail.status_combo.currentData() == "active"
    wizard.verify.check_kind.setCurrentIndex(wizard.verify.check_kind.findData("health_check"))
    wizard.verify.detail.setText("5xx back at 0.05 %")
    qtbot.mouseClick(wizard.verify.mitigated_button, Qt.MouseButton.LeftButton)
    mitigated_at = board.service.get(detail.incident_id).mitigated_at
    asked = answer_reason(monkeypatch, "errors are back")
    move_to(qtbot, detail, "active")
    assert asked == [
        "Moving back from mitigated to active needs a reason: say what changed (the recorded "
        "times stay on the timeline).\n\nReason (kept on the timeline):"
    ]
    texts = timeline_texts(detail)
    assert texts[-4:] == [
        "Status changed: triage → active",
        "Recovery verified (health check passing): 5xx back at 0.05 %",
        "Status changed: active → mitigated",
        "Status moved back: mitigated → active: errors are back",
    ]
    # Moving back never erases a recorded time.
    assert board.service.get(detail.incident_id).mitigated_at == mitigated_at


def test_a_closed_incident_is_read_only_until_reopened(qtbot, board, detail, monkeypatch):
    answer_reason(monkeypatch, "duplicate of #2")
    board.service.change_severity(detail.incident_id, "P3")  # no post-mortem required
    detail.status_combo.setCurrentIndex(detail.status_combo.findData("closed"))
    qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)
    assert not detail.closed_banner.isHidden()
    assert not detail.title_edit.isEnabled()
    assert not detail.note_edit.isEnabled()
    assert detail.move_button.isEnabled()

    answer_reason(monkeypatch, "it was not a duplicate")
    detail.status_combo.setCurrentIndex(detail.status_combo.findData("active"))
    qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)
    assert detail.closed_banner.isHidden()
    assert detail.title_edit.isEnabled()
    assert timeline_texts(detail)[-1] == "Status reopened: closed → active: it was not a duplicate"


def test_a_note_can_be_backdated_for_events_entered_after_the_fact(qtbot, board, clock, detail):
    earlier = clock.now() - timedelta(minutes=30)
    detail.note_time.setDateTime(to_qdatetime(earlier))
    qtbot.keyClicks(detail.note_edit, "Deploy 4812 went out")
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    events = board.service.timeline(detail.incident_id)
    assert events[0].kind is EventKind.NOTE  # sorted by when it happened
    assert events[0].text == "Deploy 4812 went out"
    assert events[0].at == earlier
    assert events[0].recorded_at == clock.now()
    assert detail.note_edit.text() == ""
    mark = detail.timeline_table.item(0, 0)
    assert mark.text() == f"Sun 22 Nov {earlier.astimezone():%H:%M}\n{ENTERED_LATER}"
    assert "written down" in mark.toolTip()


def test_a_key_time_edit_is_recorded(qtbot, board, clock, detail):
    edit = detail.time_edits[KeyTime.DETECTED]
    detected = clock.now() - timedelta(minutes=1)
    board.service.set_key_time(
        detail.incident_id, KeyTime.IMPACT_STARTED, detected - timedelta(minutes=9)
    )
    edit.setDateTime(to_qdatetime(detected))
    edit.editingFinished.emit()
    assert board.service.get(detail.incident_id).detected_at == detected
    assert timeline_texts(detail)[-1].startswith("Detected set to ")


def test_resolved_before_impact_started_is_refused_and_reverted(qtbot, board, clock, detail):
    edit = detail.time_edits[KeyTime.RESOLVED]
    before_start = clock.now() - timedelta(hours=2)
    events_before = kinds(board, detail.incident_id)
    edit.setDateTime(to_qdatetime(before_start))
    edit.editingFinished.emit()
    assert detail.error.isVisible()
    assert "Resolved cannot be before impact started" in detail.error.text()
    assert edit.specialValueText() == edit.text()  # back to "not set"
    assert board.service.get(detail.incident_id).resolved_at is None
    assert kinds(board, detail.incident_id) == events_before


def test_impact_typed_and_window_closed_is_not_lost(qtbot, board, detail):
    detail.impact_edit.setFocus()
    detail.impact_edit.selectAll()
    qtbot.keyClicks(detail.impact_edit, "EU and US shoppers, 30% of carts")
    detail.close()
    assert board.service.get(detail.incident_id).impact == "EU and US shoppers, 30% of carts"


def test_an_empty_title_is_refused_and_the_old_one_restored(qtbot, board, detail):
    detail.title_edit.setFocus()
    detail.title_edit.selectAll()
    qtbot.keyClick(detail.title_edit, Qt.Key.Key_Delete)
    qtbot.keyClick(detail.title_edit, Qt.Key.Key_Return)
    assert "title is required" in detail.error.text()
    assert detail.title_edit.text() == "Cart errors"
    assert board.service.get(detail.incident_id).title == "Cart errors"


def test_changes_made_elsewhere_show_up_in_an_open_detail_view(qtbot, board, detail):
    board.service.assign_role(detail.incident_id, Role.SCRIBE, "Lin")
    assert detail.role_edits[Role.SCRIBE].text() == "Lin"
    assert timeline_texts(detail)[-1] == "Scribe: Lin"


def test_detail_controls_carry_accessible_names(detail):
    names = {w.accessibleName() for w in detail._editors()}
    assert {"Title", "Severity", "Impact summary", "Acknowledge", "Incident commander"} <= names


def shown_rows(window):
    table = window.timeline_table
    return [
        tuple(table.item(row, column).text() for column in range(3))
        for row in range(table.rowCount())
    ]


def rows_of_a_fresh_window(board, incident_id):
    """What a window opened now shows: every row written from scratch."""
    from warroom.ui.incident_window import IncidentWindow

    fresh = IncidentWindow(incident_id, board.service, board.window.policy, board.window.clock)
    try:
        return shown_rows(fresh)
    finally:
        fresh.deleteLater()


def test_notes_typed_in_any_order_show_where_they_happened(qtbot, board, clock, detail):
    def type_note(text, minutes_ago=None):
        if minutes_ago is not None:
            detail.note_time.setDateTime(to_qdatetime(clock.now() - timedelta(minutes=minutes_ago)))
        qtbot.keyClicks(detail.note_edit, text)
        qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)

    clock.advance(minutes=10)
    type_note("Rolled back 4812")
    clock.advance(minutes=5)
    type_note("Paged the database on-call", minutes_ago=8)  # between the two above
    clock.advance(minutes=1)
    type_note("Errors back to normal")
    texts = timeline_texts(detail)
    assert texts.index("Paged the database on-call") < texts.index("Rolled back 4812")
    assert texts[-1] == "Errors back to normal"
    assert shown_rows(detail) == rows_of_a_fresh_window(board, detail.incident_id)


def test_after_new_year_every_row_says_its_year(qtbot, board, clock, detail):
    first = shown_rows(detail)[0][0]
    assert first.startswith("Sun 22 Nov")  # this year: no year shown
    clock.advance(days=45)  # into January
    qtbot.keyClicks(detail.note_edit, "Still watching the error rate")
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    year = (clock.now() - timedelta(days=45)).astimezone().year
    assert shown_rows(detail)[0][0].startswith(f"22 Nov {year}")
    assert shown_rows(detail) == rows_of_a_fresh_window(board, detail.incident_id)


def _fits_every_cell(table, column: int) -> bool:
    """The column is as wide as Qt's own measure of its widest cell and its header (what
    ResizeToContents would make it), so no cell's text is cut."""
    header = table.horizontalHeader()
    needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
    return header.sectionSize(column) >= needed


def test_when_and_who_widen_to_the_widest_cell_as_rows_arrive(board):
    service = board.service
    incident = service.declare("Checkout returns 500", "P1")
    detail = board.window.open_incident(incident.id)
    table = detail.timeline_table
    before = table.horizontalHeader().sectionSize(1)
    service.actor = "Alexandra Konstantinopoulou-Vandermeer"  # longer than any shown
    service.add_note(incident.id, "Rolled back deploy 4812")
    assert table.item(table.rowCount() - 1, 1).text() == service.actor
    assert table.horizontalHeader().sectionSize(1) > before
    assert _fits_every_cell(table, 0) and _fits_every_cell(table, 1)
    # Opened afresh, the window fits them to every row as well.
    detail.close()
    again = board.window.open_incident(incident.id)
    assert _fits_every_cell(again.timeline_table, 0)
    assert _fits_every_cell(again.timeline_table, 1)
