"""The "Stakeholder update sent" dialog: what was said or where, to whom, when; Enter records,
Esc cancels, a refusal stays in the dialog with everything typed."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from tests.gui.helpers import focus
from warroom.domain.incident import EventKind
from warroom.ui.qtime import to_qdatetime


def _open(qtbot, board):
    incident = board.service.declare("Cart errors", "P1")
    board.window.board.select_incident(incident.id)
    focus(qtbot, board.window.board)
    qtbot.keyClick(board.window.board, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    dialog = board.window.update_dialog
    qtbot.waitUntil(dialog.summary_edit.hasFocus)
    return incident, dialog


def _updates(board, incident_id):
    return [e for e in board.service.timeline(incident_id) if e.kind is EventKind.UPDATE_SENT]


def test_the_audiences_come_from_the_policy_and_are_recorded(qtbot, board):
    incident, dialog = _open(qtbot, board)
    assert [b.text() for b in dialog.audiences.boxes] == [
        "status page",
        "customers",
        "internal",
        "executives",
    ]
    qtbot.keyClicks(dialog.summary_edit, "Fix deploying, next update 14:30")
    dialog.audiences.choose("customers", "executives")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Return)
    [update] = _updates(board, incident.id)
    assert (
        update.text == "Stakeholder update sent to customers, executives: Fix deploying, "
        "next update 14:30"
    )
    assert update.data["audiences"] == ["customers", "executives"]
    assert not dialog.isVisible()


def test_an_empty_update_is_refused_in_the_dialog_and_nothing_typed_is_lost(qtbot, board):
    incident, dialog = _open(qtbot, board)
    dialog.audiences.choose("internal")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.error.isVisible() and dialog.error.text().startswith("Not recorded")
    assert _updates(board, incident.id) == []
    assert dialog.audiences.chosen() == ("internal",)
    qtbot.keyClicks(dialog.elsewhere_edit, "status page")
    qtbot.keyClick(dialog.elsewhere_edit, Qt.Key.Key_Return)
    [update] = _updates(board, incident.id)
    assert update.data["elsewhere"] == "status page"
    assert update.text == "Stakeholder update sent to internal: posted on status page"


def test_esc_cancels_and_records_nothing(qtbot, board):
    incident, dialog = _open(qtbot, board)
    qtbot.keyClicks(dialog.summary_edit, "draft")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert _updates(board, incident.id) == []


def test_an_update_entered_after_the_fact_keeps_its_time_and_settles_the_misses(
    qtbot, board, clock, start
):
    incident, dialog = _open(qtbot, board)
    dialog.reject()
    clock.advance(minutes=40)
    board.tick()  # 14:40: the 14:30 deadline passed with no update
    texts = [e.text for e in board.service.timeline(incident.id) if e.kind is EventKind.REMINDER]
    assert texts == ["Update cadence missed: P1 update due 14:30 UTC"]
    dialog = board.window._update_sent_for_selected()
    qtbot.keyClicks(dialog.summary_edit, "Posted in #incidents")
    dialog.when_edit.setDateTime(to_qdatetime(start + timedelta(minutes=25)))
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Return)
    [update] = _updates(board, incident.id)
    assert update.at == start + timedelta(minutes=25)
    texts = [e.text for e in board.service.timeline(incident.id) if e.kind is EventKind.REMINDER]
    assert texts[-1].startswith("Update cadence miss withdrawn: the P1 update due 14:30 UTC")


def test_the_status_message_dialog_records_its_audiences_too(qtbot, board):
    incident = board.service.declare("Cart errors", "P1", impact="EU shoppers")
    dialog = board.window.open_message(incident.id)
    qtbot.addWidget(dialog)
    dialog.audiences.choose("status page", "customers")
    dialog.mark_sent()
    [update] = _updates(board, incident.id)
    assert update.data["audiences"] == ["status page", "customers"]
    assert update.data["message"] == dialog.text_edit.toPlainText().strip()
