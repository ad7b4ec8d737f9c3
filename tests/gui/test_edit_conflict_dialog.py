"""Two people edit one incident's impact summary and title at once (another warroom on the
same record saves first): the window does not overwrite what was saved meanwhile; the user
sees both versions and chooses, and the choice is on the timeline."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer

from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock
from warroom.domain.incident import EventKind
from warroom.ui.conflict_dialog import ConflictDialog


@pytest.fixture
def bob(open_again, clock):
    return incident_service(open_again(), FakeClock(clock.now()), actor="bob")


def _answer_with(monkeypatch, act):
    """The conflict dialog, when it opens, is looked at and answered by `act(dialog)`."""
    seen = []

    def exec_(dialog):
        seen.append((dialog.theirs_box.toPlainText(), dialog.mine_box.toPlainText()))
        act(dialog)
        return dialog.result()

    monkeypatch.setattr(ConflictDialog, "exec", exec_)
    return seen


def test_a_merge_of_two_impact_summaries_is_saved_and_on_the_timeline(
    board, bob, monkeypatch, qtbot
):
    incident = board.service.declare("Checkout 500s", "P1", impact="EU checkout fails")
    detail = board.window.open_incident(incident.id)
    detail.impact_edit.setFocus()
    detail.impact_edit.setPlainText("EU and UK checkout fails")  # alice is typing
    bob.edit_impact(incident.id, "All checkout fails", based_on="EU checkout fails")
    board.tick()  # alice's window hears of bob's save; her typing stays

    def merge(dialog):
        dialog.merge_button.click()  # shows the merge editor, both versions in it
        assert not dialog.merge_edit.isHidden()
        dialog.merge_edit.setPlainText("All checkout fails (EU and UK first)")
        dialog.merge_button.click()

    seen = _answer_with(monkeypatch, merge)
    detail.save_impact()
    assert seen == [("All checkout fails", "EU and UK checkout fails")]
    assert board.service.get(incident.id).impact == "All checkout fails (EU and UK first)"
    assert detail.impact_edit.toPlainText() == "All checkout fails (EU and UK first)"
    last = [e for e in board.service.timeline(incident.id) if e.kind is EventKind.FIELD_EDITED]
    assert last[-1].actor == "alice" and last[-1].data["resolution"] == "merged"


def test_cancelling_saves_nothing_and_keeps_the_typing(board, bob, monkeypatch):
    incident = board.service.declare("Checkout 500s", "P1", impact="EU checkout fails")
    detail = board.window.open_incident(incident.id)
    detail.impact_edit.setFocus()
    detail.impact_edit.setPlainText("EU and UK checkout fails")
    bob.edit_impact(incident.id, "All checkout fails", based_on="EU checkout fails")
    _answer_with(monkeypatch, lambda dialog: dialog.reject())
    detail.save_impact()
    assert board.service.get(incident.id).impact == "All checkout fails"
    assert detail.impact_edit.toPlainText() == "EU and UK checkout fails"
    assert "was not saved: someone else changed it meanwhile" in detail.error.text()


def test_keeping_theirs_shows_their_title_and_records_mine_as_not_kept(board, bob, monkeypatch):
    incident = board.service.declare("Checkout 500s", "P1")
    detail = board.window.open_incident(incident.id)
    detail.title_edit.setFocus()
    detail.title_edit.setText("Checkout errors")
    detail.title_edit.setModified(True)
    bob.edit_title(incident.id, "Checkout 500s in eu-west", based_on="Checkout 500s")
    _answer_with(monkeypatch, lambda dialog: dialog.theirs_button.click())
    detail._save_title()
    assert detail.title_edit.text() == "Checkout 500s in eu-west"
    assert board.service.get(incident.id).title == "Checkout 500s in eu-west"
    last = [e for e in board.service.timeline(incident.id) if e.kind is EventKind.FIELD_EDITED]
    assert last[-1].data == {
        "field": "title",
        "resolution": "theirs",
        "not_kept": "Checkout errors",
    }


def test_the_dialog_shows_both_versions_at_a_readable_size(qtbot, tmp_path):
    from warroom.domain.edits import EditConflict

    dialog = ConflictDialog(
        EditConflict("impact", "The impact summary", "a", "All checkout fails", "EU and UK")
    )
    qtbot.addWidget(dialog)
    dialog.show()
    QTimer.singleShot(0, dialog.merge_button.click)
    qtbot.waitUntil(dialog.merge_edit.isVisible)
    assert dialog.merge_edit.toPlainText() == "All checkout fails\n\nEU and UK"
    assert dialog.width() >= 640
    dialog.grab().save(str(tmp_path / "conflict.png"))


def test_the_post_mortem_editor_merges_another_author_and_asks_on_a_shared_section(
    board, open_again, clock, monkeypatch
):
    from dataclasses import replace

    from warroom.bootstrap import build

    incident = board.service.declare("Checkout 500s", "P1")
    editor = board.window.open_postmortem(incident.id)
    bob = build(open_again(), clock, actor="bob").postmortems
    base = bob.get(incident.id)
    bob.save(replace(base, lessons="Canary config", root_cause="Config push"), based_on=base)
    editor.section_edits["root_cause"].setPlainText("A config push without canary")
    editor.section_edits["went_well"].setPlainText("Rollback in four minutes")
    seen = _answer_with(monkeypatch, lambda dialog: dialog.mine_button.click())
    assert editor.save()
    assert seen == [("Config push", "A config push without canary")]
    saved = board.window.postmortems.get(incident.id)
    assert (saved.root_cause, saved.lessons, saved.went_well) == (
        "A config push without canary",
        "Canary config",
        "Rollback in four minutes",
    )
    assert editor.section_edits["lessons"].toPlainText() == "Canary config"  # bob's, shown
