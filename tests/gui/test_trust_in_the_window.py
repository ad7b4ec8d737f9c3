"""In the windows: a time far from the incident is saved only once the user says it is right;
a text over its limit gets a message and changes nothing; deleting an incident says how many
evidence files go with it, and they do go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from warroom.domain.incident import EventKind, KeyTime
from warroom.domain.lifecycle import Role
from warroom.ui.qtime import to_qdatetime

YEARS = timedelta(days=25 * 365)


@pytest.fixture
def detail(qtbot, board, clock):
    incident = board.service.declare(
        "Cart errors", "P1", impact_started_at=clock.now() - timedelta(minutes=10)
    )
    return board.window.open_incident(incident.id)


@pytest.fixture
def answers(monkeypatch):
    """Answers QMessageBox.question in turn, recording each question asked."""
    asked: list[str] = []
    replies: list[QMessageBox.StandardButton] = []

    def question(_parent, _title, text, *_args, **_kwargs):
        asked.append(text)
        return replies.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked, replies


def notes(board, incident_id):
    return [e for e in board.service.timeline(incident_id) if e.kind is EventKind.NOTE]


def test_a_note_dated_years_before_the_incident_is_asked_about_first(
    qtbot, board, clock, detail, answers
):
    asked, replies = answers
    long_ago = clock.now() - YEARS
    detail.note_time.setDateTime(to_qdatetime(long_ago))
    qtbot.keyClicks(detail.note_edit, "Deploy 4812 went out")

    replies.append(QMessageBox.StandardButton.No)
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert len(asked) == 1
    assert "more than a day before this incident" in asked[0]
    assert "impact started" in asked[0] and "declared" in asked[0]
    assert notes(board, detail.incident_id) == []  # nothing saved
    assert detail.note_edit.text() == "Deploy 4812 went out"  # still there to fix the date
    assert "Not saved" in detail.error.text()

    replies.append(QMessageBox.StandardButton.Yes)
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert len(asked) == 2
    (note,) = notes(board, detail.incident_id)
    assert (note.text, note.at) == ("Deploy 4812 went out", long_ago.replace(second=0))
    assert detail.note_edit.text() == ""


def test_a_recent_backdated_note_asks_nothing(qtbot, board, clock, detail, answers):
    asked, _ = answers
    detail.note_time.setDateTime(to_qdatetime(clock.now() - timedelta(minutes=30)))
    qtbot.keyClicks(detail.note_edit, "Deploy 4812 went out")
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert asked == []
    assert len(notes(board, detail.incident_id)) == 1


def test_a_key_time_years_back_is_asked_about_and_reverted_when_refused(
    qtbot, board, clock, detail, answers
):
    asked, replies = answers
    edit = detail.time_edits[KeyTime.IMPACT_STARTED]
    stored = board.service.get(detail.incident_id).impact_started_at
    edit.setDateTime(to_qdatetime(clock.now() - YEARS))

    replies.append(QMessageBox.StandardButton.No)
    edit.editingFinished.emit()
    assert len(asked) == 1 and "Impact started" in asked[0]
    assert board.service.get(detail.incident_id).impact_started_at == stored
    assert edit.dateTime() == to_qdatetime(stored)  # the field shows what is stored

    edit.setDateTime(to_qdatetime(clock.now() - YEARS))
    replies.append(QMessageBox.StandardButton.Yes)
    edit.editingFinished.emit()
    assert len(asked) == 2
    changed = board.service.get(detail.incident_id).impact_started_at
    assert changed == (clock.now() - YEARS).replace(second=0, microsecond=0)


def test_a_name_over_the_limit_gets_a_message_and_changes_nothing(qtbot, board, detail):
    edit = detail.role_edits[Role.TECH_LEAD]
    before = board.service.timeline(detail.incident_id)
    edit.setText("G" * 300)
    edit.editingFinished.emit()
    assert detail.error.text() == "A name can be at most 200 characters; this one has 300."
    assert Role.TECH_LEAD not in board.service.get(detail.incident_id).roles
    assert edit.text() == ""  # back to what is stored
    assert board.service.timeline(detail.incident_id) == before


def test_deleting_an_incident_says_how_many_evidence_files_go_and_removes_them(
    qtbot, board, tmp_path, monkeypatch
):
    incident = board.service.declare("Leaked key", "P1")
    evidence = board.window.evidence
    for name in ("auth.log", "nginx.log"):
        source = tmp_path / name
        source.write_text(f"{name}\n")
        evidence.collect_file(incident.id, source)
    folder = board.database.path.parent / "vault" / str(incident.id)
    assert folder.is_dir()
    shown: list[str] = []

    def warning(_parent, _title, text, *_args, **_kwargs):
        shown.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "warning", warning)
    board.window.board.select_incident(incident.id)
    board.window.delete_action.trigger()
    assert "its whole timeline and its 2 evidence files in the vault?" in shown[0]
    assert board.service.list_incidents(include_closed=True) == []
    assert not folder.exists()
