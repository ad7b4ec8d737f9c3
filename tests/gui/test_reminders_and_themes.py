"""Reminders fire when the clock crosses a deadline, can be snoozed (on the timeline), and
one that fell due while the app was closed shows at start-up. Every theme loads cleanly."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from warroom.domain.incident import EventKind
from warroom.ui.board_model import REMINDER_HIGHLIGHT, Column
from warroom.ui.theme import THEME_LABELS, apply_theme, load_theme, stylesheet


def capture_notifications(window) -> list[str]:
    seen: list[str] = []
    window.reminders.notify = lambda title, text: seen.append(f"{title} | {text}")
    return seen


def title_background(window, incident_id):
    row = window.model.row_of(incident_id)
    brush = window.model.index(row, Column.TITLE).data(Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color().name().upper()


def test_a_reminder_fires_when_the_clock_crosses_the_deadline(board, clock):
    incident = board.service.declare("Checkout returns 500", "P0", commander="Priya Raman")
    board.service.acknowledge(incident.id)
    window = board.window
    seen = capture_notifications(window)
    clock.advance(minutes=14, seconds=59)
    board.tick()
    assert seen == [] and window.reminder_strip.isHidden()
    clock.advance(seconds=1)
    board.tick()
    assert seen == [
        "warroom: stakeholder update due | #1 Checkout returns 500: stakeholder update due"
    ]
    assert window.reminder_strip.texts() == ["⚠ #1 Checkout returns 500: stakeholder update due"]
    assert title_background(window, incident.id) == REMINDER_HIGHLIGHT.upper()
    board.tick()
    assert len(seen) == 1  # announced once, not every tick
    # Sending the update clears it.
    board.service.mark_update_sent(incident.id, "Status page updated")
    board.tick()
    assert window.reminder_strip.isHidden()
    assert title_background(window, incident.id) is None


def test_a_snooze_delays_the_reminder_and_lands_on_the_timeline(board, clock, qtbot):
    incident = board.service.declare("Login broken", "P1")
    window = board.window
    seen = capture_notifications(window)
    clock.advance(minutes=31)
    board.tick()
    kinds = {t.split(" | ")[0] for t in seen}
    assert kinds == {"warroom: stakeholder update due", "warroom: response target breached"}
    [update_row] = [r for r in window.reminder_strip.rows() if "update due" in r.label.text()]
    [five] = [a for a in update_row.snooze.menu().actions() if a.text() == "5 min"]
    five.trigger()  # what choosing "5 min" in the row's Snooze menu does
    assert [t for t in window.reminder_strip.texts() if "update due" in t] == []
    reminders = [e for e in board.service.timeline(incident.id) if e.kind is EventKind.REMINDER]
    # The missed 14:30 deadline is on the timeline too (services.cadence), then the snooze.
    assert [e.text for e in reminders] == [
        "Update cadence missed: P1 update due 14:30 UTC",
        "Reminder snoozed for 5 min: stakeholder update due",
    ]
    clock.advance(minutes=4, seconds=59)
    board.tick()
    assert [t for t in window.reminder_strip.texts() if "update due" in t] == []
    clock.advance(seconds=1)
    board.tick()
    assert [t for t in window.reminder_strip.texts() if "update due" in t] == [
        "⚠ #1 Login broken: stakeholder update due"
    ]
    assert sum("update due" in t for t in seen) == 2  # announced again when the snooze ends


def test_a_reminder_missed_while_closed_shows_at_start_up(board, open_board, clock):
    incident = board.service.declare("Payments failing", "P0", commander="Priya Raman")
    board.service.acknowledge(incident.id)
    board.window.close()
    clock.advance(minutes=40)  # the app was closed while the update fell due
    restarted = open_board()
    assert restarted.window.reminder_strip.texts() == [
        "⚠ #1 Payments failing: stakeholder update due"
    ]


def test_a_snooze_survives_a_restart(board, open_board, clock):
    incident = board.service.declare("Payments failing", "P0", commander="Priya Raman")
    board.service.acknowledge(incident.id)
    clock.advance(minutes=16)
    board.tick()
    [reminder] = board.window.reminders.due
    board.window.reminders.snooze(reminder, 15, clock.now())
    restarted = open_board()
    assert restarted.window.reminder_strip.isHidden()
    clock.advance(minutes=15)
    restarted.tick()
    assert restarted.window.reminder_strip.texts() == [
        "⚠ #1 Payments failing: stakeholder update due"
    ]


def test_a_check_back_can_be_snoozed_from_the_board(board, clock):
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    incident = board.service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.apply(
        incident.id, playbook.option("scale"), action="add nodes", expected_effect="p99 down"
    )
    clock.advance(minutes=10)
    board.tick()
    bar = board.window.check_backs
    assert len(bar.due_rows()) == 1
    [row] = bar.due_rows()
    [ten] = [a for a in row.snooze.menu().actions() if a.text() == "10 min"]
    ten.trigger()  # what choosing "10 min" in the row's Snooze menu does
    assert bar.due_rows() == []
    assert bar.texts()[0].endswith("snoozed: asks again in 10:00")


@pytest.mark.parametrize("key", [k for k in THEME_LABELS if k != "system"])
def test_each_theme_loads_with_no_stylesheet_warnings(board, key, qtbot):
    theme = load_theme(key)
    qss = stylesheet(theme)
    assert "$" not in qss  # every placeholder filled from the palette
    app = QApplication.instance()
    apply_theme(app, key)  # pytest-qt fails the test on any Qt warning (qt_log_level_fail)
    board.window.set_theme(key)
    board.window.repaint()
    dialog = board.window.show_shortcuts()
    assert ("Board", "F11", "Presenter mode") in dialog.shown()
    dialog.close()
    apply_theme(app, "light")


def test_a_due_check_back_shows_its_warning_style_from_start_up(board, open_board, clock):
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    apply_theme(QApplication.instance(), "light")
    incident = board.service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.apply(
        incident.id, playbook.option("scale"), action="add nodes", expected_effect="p99 down"
    )
    board.window.close()
    clock.advance(minutes=12)  # the check-back fell due while the app was closed
    restarted = open_board()
    [row] = restarted.window.check_backs.due_rows()
    label = row.label
    assert label.text().startswith("⚠ Check back now")
    # As the light theme draws a due check-back: bold, 12 pt, in the warning text colour.
    assert label.font().bold() and label.font().pointSizeF() == 12
    assert label.palette().color(label.foregroundRole()).name().upper() == "#4A3000"


def test_reminders_and_check_backs_are_snoozed_with_the_same_control(board, clock):
    from PySide6.QtWidgets import QPushButton

    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    incident = board.service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.apply(
        incident.id, playbook.option("scale"), action="add nodes", expected_effect="p99 down"
    )
    clock.advance(minutes=31)  # the update and the check-back are both due
    board.tick()
    window = board.window
    [reminder] = [r for r in window.reminder_strip.rows() if "update due" in r.label.text()]
    [check_back] = window.check_backs.due_rows()
    for control in (reminder.snooze, check_back.snooze):
        assert isinstance(control, QPushButton) and control.text() == "Snooze"
        assert [a.text() for a in control.menu().actions()] == ["5 min", "10 min", "15 min"]
        # Laid out at least as wide as it asks: the menu arrow has room beside the label.
        assert control.isEnabled() and control.width() >= control.sizeHint().width()


def test_an_update_sent_from_another_laptop_clears_the_reminder_here(open_board, clock):
    here = open_board()
    incident = here.service.declare("Checkout returns 500", "P0", commander="Priya Raman")
    here.service.acknowledge(incident.id)
    clock.advance(minutes=16)
    here.tick()
    assert here.window.reminder_strip.texts() == [
        "⚠ #1 Checkout returns 500: stakeholder update due"
    ]
    there = open_board()  # another warroom on the same file
    there.service.mark_update_sent(incident.id, "Status page updated")
    clock.advance(seconds=1)
    here.tick()  # finds the other warroom's change in the file
    here.tick()
    assert here.window.reminder_strip.isHidden()
    assert title_background(here.window, incident.id) is None
