"""The post-mortem editor and stakeholder messages, as a user drives them: prefilled from
the incident, autosaved, exported exactly as the command line exports, and messages that
restart the update clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication

from warroom.__main__ import main as cli_main
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus
from warroom.ui.qtime import to_qdatetime


@pytest.fixture
def resolved(board, clock):
    """A P1 worked from declaration to resolution, with a note on the way."""
    service = board.service
    incident = service.declare(
        "Checkout returns 500",
        "P1",
        impact="EU checkouts fail",
        impact_started_at=clock.now() - timedelta(minutes=12),
        commander="Priya Raman",
    )
    service.set_key_time(incident.id, "detected_at", clock.now() - timedelta(minutes=4))
    clock.advance(minutes=3)
    service.acknowledge(incident.id)
    clock.advance(minutes=5)
    service.mark_update_sent(incident.id, "Initial alert")
    clock.advance(minutes=2)
    service.add_note(incident.id, "Rolled back deploy 4812")
    clock.advance(minutes=20)
    service.set_status(incident.id, Status.MITIGATED, "errors back to baseline")
    service.set_status(incident.id, Status.RESOLVED)
    board.tick()
    return service.get(incident.id)


def open_editor(board, incident_id):
    # A child of the main window, which the board fixture closes; it deletes itself.
    return board.window.open_postmortem(incident_id)


def timeline_texts(editor):
    table = editor.timeline_table
    return [table.item(row, 2).text() for row in range(table.rowCount())]


def test_the_editor_starts_from_the_incident_and_its_timeline(board, resolved):
    editor = open_editor(board, resolved.id)
    assert editor.title_edit.text() == "Checkout returns 500"
    assert editor.section_edits["impact"].toPlainText() == "EU checkouts fail"
    assert timeline_texts(editor) == [
        "Declared P1: Checkout returns 500",
        "Incident commander: Priya Raman",
        "Acknowledged by alice",
        "Stakeholder update sent: Initial alert",
        "Rolled back deploy 4812",
        "Status changed: triage → mitigated: errors back to baseline",
        "Status changed: mitigated → resolved",
    ]
    metrics = editor.metrics_label.text()
    # By hand: impact started 13:48, detected 13:56, declared 14:00, acknowledged 14:03,
    # first update 14:08, resolved (and so mitigated) 14:30.
    assert metrics.splitlines()[1] == (
        "Detect 8 min · acknowledge 7 min · customer impact 42 min · resolve 42 min"
        " · first update 20 min"
    )
    assert "Customer impact: mitigated − impact started" in editor.metrics_label.toolTip()
    assert editor.gap_label.text() == "Detection gap: 8 min from impact start to detection."
    assert "# Post-mortem: Checkout returns 500" not in editor.preview.toPlainText()
    assert "Post-mortem: Checkout returns 500" in editor.preview.toPlainText()


def test_typing_is_autosaved_and_survives_a_restart_mid_edit(board, resolved, open_board, qtbot):
    editor = open_editor(board, resolved.id)
    root_cause = editor.section_edits["root_cause"]
    root_cause.setFocus()
    qtbot.keyClicks(root_cause, "Deploy 4812 cut the tax timeout to 50 ms. ")
    qtbot.waitUntil(
        lambda: (
            board.window.postmortems.get(resolved.id).root_cause
            == "Deploy 4812 cut the tax timeout to 50 ms. "
        ),
        timeout=30_000,
    )
    # The app "dies" here, the editor still open; a new one opens the same file.
    restarted = open_board()
    again = restarted.window.open_postmortem(resolved.id)
    assert again.section_edits["root_cause"].toPlainText() == (
        "Deploy 4812 cut the tax timeout to 50 ms. "
    )


def test_hiding_rewording_and_adding_rows_leave_the_incident_record_alone(board, resolved, qtbot):
    record_before = board.service.timeline(resolved.id)
    editor = open_editor(board, resolved.id)
    table = editor.timeline_table
    table.item(1, 0).setCheckState(Qt.CheckState.Unchecked)  # hide "Incident commander: …"
    table.item(4, 2).setText("Rolled back checkout-api to 4811")
    editor.add_time.setDateTime(to_qdatetime(resolved.declared_at + timedelta(minutes=1)))
    qtbot.keyClicks(editor.add_text, "First customer ticket")
    qtbot.keyClick(editor.add_text, Qt.Key.Key_Return)
    assert editor.save()

    after = board.service.timeline(resolved.id)
    assert [e for e in after if e.kind is not EventKind.POSTMORTEM] == record_before
    assert [e.text for e in after if e.kind is EventKind.POSTMORTEM] == ["Post-mortem started"]
    markdown = board.window.postmortems.markdown(resolved.id)
    assert "Incident commander: Priya Raman" not in markdown
    assert "Rolled back checkout-api to 4811" in markdown
    assert "Rolled back deploy 4812" not in markdown
    assert "First customer ticket" in markdown
    # Reopened, the author's shaping is still there.
    editor.close()
    reopened = open_editor(board, resolved.id)
    assert "First customer ticket" in timeline_texts(reopened)
    assert reopened.timeline_table.item(1, 0).checkState() == Qt.CheckState.Unchecked


def test_action_items_are_added_edited_reordered_and_overdue_ones_flagged(
    board, resolved, clock, qtbot
):
    editor = open_editor(board, resolved.id)
    editor.tabs.setCurrentIndex(2)
    for action, owner in (("Canary for checkout-api", "Sam"), ("Timeouts in config", "Priya")):
        qtbot.mouseClick(editor.item_buttons["add"], Qt.MouseButton.LeftButton)
        row = editor.items_table.rowCount() - 1
        editor.items_table.item(row, 1).setText(action)
        editor.items_table.item(row, 2).setText(owner)
    yesterday = clock.now().date() - timedelta(days=1)
    editor.items_table.cellWidget(1, 3).setDate(
        QDate(yesterday.year, yesterday.month, yesterday.day)
    )
    assert editor.items_table.item(1, 0).text() == "2 ⚠ overdue"
    editor.items_table.setCurrentCell(1, 1)
    qtbot.mouseClick(editor.item_buttons["up"], Qt.MouseButton.LeftButton)
    assert editor.items_table.item(0, 1).text() == "Timeouts in config"
    assert editor.items_table.item(0, 0).text() == "1 ⚠ overdue"
    assert editor.save()

    stored = board.window.postmortems.get(resolved.id).action_items
    assert [(i.action, i.owner, i.deadline) for i in stored] == [
        ("Timeouts in config", "Priya", yesterday),
        ("Canary for checkout-api", "Sam", None),
    ]
    view = board.window.show_action_items()
    assert view.summary.text() == "2 open action items · 1 overdue"
    assert view.table.item(0, 4).text() == f"{yesterday.isoformat()} ⚠ overdue"
    view.close()


def test_publishing_needs_a_root_cause_and_ends_the_due_clock(board, resolved, clock, qtbot):
    bar = board.window.due_bar
    assert bar.texts() == ["✎ #1 Checkout returns 500 — post-mortem (draft) due in 2d 00:00"]
    clock.advance(hours=49)
    board.tick()
    assert "OVERDUE +1:00:00" in bar.texts()[0]

    editor = open_editor(board, resolved.id)
    published = editor.status_combo.findData(PostmortemStatus.PUBLISHED.value)
    editor.status_combo.setCurrentIndex(published)
    editor.status_combo.activated.emit(published)
    assert "the root cause is empty" in editor.error.text()
    assert editor.status_combo.currentData() == PostmortemStatus.DRAFT.value

    editor.section_edits["root_cause"].setPlainText("Human error: a timeout set too low.")
    editor.authors_edit.setText("Priya Raman")
    editor.refresh_preview()  # what the debounce timer does a moment after typing
    assert editor.hint_labels["root_cause"].isVisible()
    assert "“Human error”" in editor.hint_labels["root_cause"].text()
    editor.status_combo.setCurrentIndex(published)
    editor.status_combo.activated.emit(published)  # a hint never blocks
    assert board.window.postmortems.get(resolved.id).status is PostmortemStatus.PUBLISHED
    events = [e.text for e in board.service.timeline(resolved.id) if e.kind is EventKind.POSTMORTEM]
    assert events == ["Post-mortem started", "Post-mortem published"]
    assert bar.isHidden()


def test_a_p2_needs_no_post_mortem_on_the_board(board, clock):
    incident = board.service.declare("Search slow", "P2")
    board.service.set_status(incident.id, Status.RESOLVED, "recovered on its own")
    assert board.window.due_bar.isHidden()


def test_the_command_line_export_equals_the_gui_export_byte_for_byte(
    board, resolved, data_dir, tmp_path, capsysbinary
):
    editor = open_editor(board, resolved.id)
    editor.authors_edit.setText("Priya | Sam")
    editor.section_edits["root_cause"].setPlainText("A `timeout` of 50 ms.\n# not a heading")
    gui_file = tmp_path / "gui.md"
    assert editor.export_to(gui_file)
    cli_file = tmp_path / "cli.md"
    code = cli_main(["export", str(resolved.id), "-o", str(cli_file), "--data-dir", str(data_dir)])
    assert code == 0
    assert cli_file.read_bytes() == gui_file.read_bytes()
    assert cli_main(["export", str(resolved.id), "--data-dir", str(data_dir)]) == 0
    assert capsysbinary.readouterr().out == gui_file.read_bytes()


def test_a_stakeholder_message_is_filled_copied_and_sent_restarting_the_update_clock(
    board, clock, qtbot
):
    incident = board.service.declare(
        "Checkout returns 500", "P1", impact="EU checkouts fail", commander="Priya Raman"
    )
    clock.advance(minutes=7)
    dialog = board.window.open_message(incident.id)
    text = dialog.text_edit.toPlainText()
    for fact in ("P1", "Checkout returns 500", "EU checkouts fail", "triage", "Priya Raman"):
        assert fact in text
    assert "2026-11-22 14:37 UTC" in text  # next update: 30 min after sending now
    dialog.text_edit.appendPlainText("Status page: updated.")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=30_000)
    qtbot.keyClick(
        dialog.text_edit,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QApplication.clipboard().text().endswith("Status page: updated.")
    qtbot.mouseClick(dialog.sent_button, Qt.MouseButton.LeftButton)
    stored = board.service.get(incident.id)
    assert stored.last_update_at == clock.now()
    [sent] = [e for e in board.service.timeline(incident.id) if e.kind is EventKind.UPDATE_SENT]
    assert sent.text == "Stakeholder update sent: Initial alert"
    assert sent.data["message"].endswith("Status page: updated.")
    assert not dialog.sent_button.isEnabled()  # a second press cannot record it twice
    dialog.close()


def test_an_empty_message_is_refused_and_nothing_is_recorded(board, qtbot):
    incident = board.service.declare("Checkout returns 500", "P1")
    dialog = board.window.open_message(incident.id)
    dialog.text_edit.setPlainText("   ")
    qtbot.mouseClick(dialog.sent_button, Qt.MouseButton.LeftButton)
    assert "nothing was sent" in dialog.error.text()
    assert board.service.get(incident.id).last_update_at is None
    dialog.reset()  # back to the template: closing then loses nothing, so it does not ask
    dialog.close()


def test_deadline_dates_round_trip(board, resolved):
    editor = open_editor(board, resolved.id)
    editor.add_item()
    editor.items_table.cellWidget(0, 3).setDate(QDate(2027, 1, 31))
    assert editor.save()
    assert board.window.postmortems.get(resolved.id).action_items[0].deadline == date(2027, 1, 31)


def test_an_editor_whose_text_cannot_be_saved_stays_open(board, resolved, monkeypatch):
    from warroom.services.incidents import WriteFailed

    editor = open_editor(board, resolved.id)
    editor.section_edits["lessons"].setPlainText("Certificates need an owner.")

    def full_disk(_document, **_based_on):
        raise WriteFailed("storage", "Nothing was saved: the disk is full.")

    monkeypatch.setattr(board.window.postmortems, "save", full_disk)
    monkeypatch.setattr(editor, "_confirm_discard", lambda: False)  # "Cancel" in the question
    assert not editor.close()
    assert editor.isVisible()
    assert "the disk is full" in editor.error.text()
    assert editor.section_edits["lessons"].toPlainText() == "Certificates need an owner."
    board.window.close()  # quitting is stopped too, rather than losing the text
    assert board.window.isVisible()
    monkeypatch.undo()
    assert editor.close()
    assert board.window.postmortems.get(resolved.id).lessons == "Certificates need an owner."


def test_the_open_action_items_view_follows_the_editor_as_items_are_typed(board, resolved, qtbot):
    view = board.window.show_action_items()
    editor = open_editor(board, resolved.id)
    editor.add_item()
    editor.items_table.item(0, 1).setText("Rotate the gateway certificate automatically")
    assert editor.save()
    assert view.table.rowCount() == 1
    assert view.table.item(0, 2).text() == "Rotate the gateway certificate automatically"
    view.close()


def test_the_plain_text_message_reads_as_typed_with_no_markdown_escapes(board):
    impact = "Checkout failing for ~30% of orders (EU_* shops)"
    incident = board.service.declare("Checkout returns 500", "P1", impact=impact)
    dialog = board.window.open_message(incident.id)
    assert "failing for \\~30% of orders" in dialog.text_edit.toPlainText()  # Markdown
    dialog.plain_check.click()
    plain = dialog.text_edit.toPlainText()
    assert f"Impact: {impact}" in plain and "\\" not in plain

    # Plain text chosen after editing the Markdown: the edits go only if the user says so.
    dialog.plain_check.click()  # back to Markdown
    dialog.text_edit.appendPlainText("Status page: updated.")
    answers = iter([False, True])  # "Cancel", then "Yes"
    dialog.ask = lambda: next(answers)
    dialog.plain_check.click()
    assert not dialog.plain_check.isChecked()
    assert dialog.text_edit.toPlainText().endswith("Status page: updated.")
    dialog.plain_check.click()
    assert dialog.plain_check.isChecked()
    plain = dialog.text_edit.toPlainText()
    assert f"Impact: {impact}" in plain and "\\" not in plain and "**" not in plain
    dialog.close()


def test_opening_and_closing_the_editor_writes_nothing(board, resolved):
    before = board.service.timeline(resolved.id)
    editor = open_editor(board, resolved.id)
    editor.close()  # looked at, nothing changed
    assert board.service.timeline(resolved.id) == before
    assert not board.window.postmortems.is_stored(resolved.id)

    editor = open_editor(board, resolved.id)
    editor.section_edits["lessons"].setPlainText("Certificates need an owner.")
    assert editor.save()  # the first change starts the write-up, once
    editor.section_edits["lessons"].appendPlainText("And an alert.")
    assert editor.save()
    events = [e.text for e in board.service.timeline(resolved.id) if e.kind is EventKind.POSTMORTEM]
    assert events == ["Post-mortem started"]
    editor.close()


def test_publishing_is_refused_with_no_authors_or_an_empty_action_item(board, resolved):
    editor = open_editor(board, resolved.id)
    editor.section_edits["root_cause"].setPlainText("Deploy 4812 cut the tax timeout to 50 ms.")
    editor.add_item()  # a row left empty
    published = editor.status_combo.findData(PostmortemStatus.PUBLISHED.value)

    def publish() -> None:
        editor.status_combo.setCurrentIndex(published)
        editor.status_combo.activated.emit(published)

    publish()
    assert editor.error.isVisible()
    assert editor.error.text() == (
        "Not published: there are no authors: say who wrote it; action item 1 has no action: "
        "write it or remove the row."
    )
    assert editor.status_combo.currentData() == PostmortemStatus.DRAFT.value
    editor.authors_edit.setText("Priya Raman")
    publish()
    assert "action item 1 has no action" in editor.error.text()
    editor.items_table.item(0, 1).setText("Alert on timeouts under 200 ms")
    publish()
    assert not editor.error.isVisible()
    assert board.window.postmortems.get(resolved.id).status is PostmortemStatus.PUBLISHED
