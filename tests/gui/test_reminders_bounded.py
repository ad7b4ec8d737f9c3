"""The strips above the board are bounded: at most STRIP_ROWS rows in all, most urgent first,
then "+N more" opening a list of everything, one row per incident, with the strips' actions.
The board row itself says what is due, so nothing is lost when the strips show others."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from tests.perf.fixtures import build_database
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.ui.attention import STRIP_ROWS
from warroom.ui.board_model import Column
from warroom.ui.theme import apply_theme


@pytest.fixture(autouse=True)
def light_theme():
    apply_theme(QApplication.instance(), "light")  # the strips' real heights come from it


def apply_mitigation(board, incident_id: int) -> None:
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.apply(
        incident_id, playbook.option("scale"), action="add nodes", expected_effect="p99 down"
    )


def strip_rows(window) -> int:
    strips = (window.reminder_strip, window.check_backs, window.due_bar)
    return sum(len(strip.rows()) for strip in strips if strip.isVisible())


def fully_visible_board_rows(window) -> int:
    view = window.board
    height = view.viewport().height()
    rects = [view.visualRect(view.model().index(r, 0)) for r in range(window.model.rowCount())]
    return sum(1 for rect in rects if rect.top() >= 0 and rect.bottom() < height)


def settle(window) -> None:
    QApplication.processEvents()  # layouts are redone when the event loop turns
    QApplication.processEvents()


@pytest.fixture
def crowded(open_board, data_dir, clock):
    """200 open incidents (and 100 closed, some with post-mortems due), laid out around
    the test's clock: most are overdue. Two carry a check-back that has fallen due."""
    build_database(data_dir, incidents=300, open_count=200, events=3000, now=clock.now())
    board = open_board()
    open_ids = [i.id for i in board.window.model.incidents()][:2]
    clock.advance(minutes=-12)
    for incident_id in open_ids:
        apply_mitigation(board, incident_id)
    clock.advance(minutes=12)
    board.tick()
    settle(board.window)
    return board


def test_at_200_open_incidents_the_board_keeps_most_of_a_laptop_window(crowded):
    window = crowded.window
    assert window.model.rowCount() == 200
    assert window.height() == 768  # the strips no longer force the window taller
    assert strip_rows(window) == STRIP_ROWS
    assert fully_visible_board_rows(window) >= 10
    assert window.board.viewport().height() >= window.height() // 2


def test_more_says_how_many_are_left_out_and_lists_them_all_per_incident(crowded):
    window = crowded.window
    items = window._attention
    assert len(items) > 150  # every due reminder, check-back and post-mortem
    more = len(items) - STRIP_ROWS
    assert window.more_bar.isVisible()
    assert window.more_bar.button.text() == f"+{more} more…"

    listing = window.show_reminders_list()
    incidents = {item.incident.id for item in items}
    assert len(listing.rows()) == len(incidents)  # one row per incident
    listed = [item for row in listing.rows() for item in row.group.items]
    assert sorted(map(id, listed)) == sorted(map(id, items))  # all of them, none twice
    reminders = [r for r in window.reminders.due if r.kind.value != "check_back_due"]
    assert {r.key for r in reminders} <= {i.subject.key for i in listed if i.reminder is i.subject}
    # Most urgent first: the strips' rows are the list's first.
    assert listing.rows()[0].group.incident.id == items[0].incident.id
    for button in (b for row in listing.rows()[:5] for b in row.buttons):
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus  # reached with Tab
    listing.close()


def test_every_due_board_row_says_what_is_due_even_when_the_strips_show_others(crowded):
    window = crowded.window
    shown = {row.reminder.incident_id for row in window.reminder_strip.rows()}
    due = {r.incident_id for r in window.reminders.due}
    hidden = sorted(due - shown)
    assert len(hidden) > 50
    for incident_id in hidden[:20]:
        index = window.model.index(window.model.row_of(incident_id), Column.TITLE)
        assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # the ⚠
        assert index.data(Qt.ItemDataRole.ToolTipRole).startswith("Due now: ")
        assert "Due now: " in index.data(Qt.ItemDataRole.AccessibleTextRole)


def test_one_incident_with_three_things_due_is_one_row_in_the_list(board, clock):
    service = board.service
    first = service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    apply_mitigation(board, first.id)
    second = service.declare("Search slow", "P0", commander="Sam Chen")
    clock.advance(minutes=31)  # updates, responses and the check-back are all due
    board.tick()
    window = board.window
    assert strip_rows(window) == STRIP_ROWS  # five things due, three shown
    assert window.more_bar.button.text() == "+2 more…"

    listing = window.show_reminders_list()
    assert listing.texts() == [
        f"⚠ #{second.id} P0 Search slow: update overdue 16:00; "
        "not acknowledged, response target missed by 16:00",
        # Within an incident, what fell due first comes first.
        f"⚠ #{first.id} P1 Checkout returns 500: check-back due: did “add nodes” work?; "
        "update overdue 1:00; not acknowledged, response target missed by 1:00",
    ]
    index = window.model.index(window.model.row_of(first.id), Column.TITLE)
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith(
        "Due now: mitigation check-back due; stakeholder update due; response target breached"
    )
    clock.advance(seconds=5)
    board.tick()
    assert listing.texts()[0].startswith(f"⚠ #{second.id} P0 Search slow: update overdue 16:05")
    listing.close()


def buttons(row) -> dict[str, QPushButton]:
    return {button.text(): button for button in row.buttons}


def test_the_list_opens_snoozes_and_answers_as_the_strips_do(board, clock, qtbot):
    service = board.service
    incident = service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    service.acknowledge(incident.id)
    apply_mitigation(board, incident.id)
    clock.advance(minutes=31)
    board.tick()
    window = board.window
    listing = window.show_reminders_list()
    [row] = listing.rows()
    assert set(buttons(row)) == {"Open", "Worked", "Did not work", "Snooze"}

    buttons(row)["Open"].click()
    assert incident.id in window.incident_windows
    window.incident_windows[incident.id].close()

    # Two reminders on one incident: one submenu each, and one for everything.
    menu = buttons(row)["Snooze"].menu()
    titles = [action.text() for action in menu.actions()]
    assert titles == [
        "Everything on this incident",
        "Mitigation check-back due",
        "Stakeholder update due",
    ]
    [five] = [a for a in menu.actions()[2].menu().actions() if a.text() == "5 min"]
    five.trigger()
    kinds = {r.kind.value for r in window.reminders.due}
    assert kinds == {"check_back_due"}  # the update is snoozed, the check-back still asks
    snoozes = [
        e.text
        for e in service.timeline(incident.id)
        if e.kind is EventKind.REMINDER and e.text.startswith("Reminder snoozed")
    ]
    assert snoozes == ["Reminder snoozed for 5 min: stakeholder update due"]

    [row] = listing.rows()
    buttons(row)["Worked"].click()
    assert board.services.mitigations.pending_check_backs() == []
    assert listing.rows() == [] and window.more_bar.isHidden()


def test_the_list_opens_a_post_mortem_due(board, clock):
    service = board.service
    incident = service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    service.acknowledge(incident.id)
    service.set_status(incident.id, Status.RESOLVED, "recovered on its own")
    window = board.window
    assert window.reminders_list_action.shortcut().toString() == "Ctrl+Shift+D"
    window.reminders_list_action.trigger()
    listing = window.reminders_list
    assert listing is not None and listing.isVisible()
    [row] = listing.rows()
    assert row.label.text().startswith(f"◷ #{incident.id} P1 Checkout returns 500: post-mortem")
    buttons(row)["Open post-mortem"].click()
    assert incident.id in window.editors
    window.editors[incident.id].close()
    listing.close()


def test_a_post_mortem_falling_overdue_is_ranked_again_without_a_data_change(board, clock):
    service = board.service
    incident = service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    service.acknowledge(incident.id)
    service.set_status(incident.id, Status.RESOLVED, "recovered on its own")
    window = board.window
    listing = window.show_reminders_list()
    [row] = listing.rows()
    assert row.label.text().startswith("◷ ")
    clock.advance(hours=48, seconds=1)
    board.tick()
    [row] = listing.rows()
    assert row.label.text().startswith("⚠ ") and "overdue +" in row.label.text()
    assert "OVERDUE" in window.due_bar.texts()[0]
    listing.close()


def test_the_list_is_worked_from_the_keyboard_and_keeps_its_place(board, clock, qtbot):
    from PySide6.QtTest import QTest

    from tests.gui.helpers import focus

    service = board.service
    for title in ("Checkout returns 500", "Search slow", "Login slow"):
        incident = service.declare(title, "P1", commander="Priya Raman")
        service.acknowledge(incident.id)
    clock.advance(minutes=31)
    board.tick()
    listing = board.window.show_reminders_list()
    first, second, _third = listing.rows()
    assert [b.text() for b in second.buttons] == ["Open", "Snooze"]
    focus(qtbot, second.buttons[0])
    QTest.keyClick(listing.focusWidget(), Qt.Key.Key_Tab)
    assert listing.focusWidget() is second.buttons[1]  # Tab goes on to Snooze
    listing.snooze_requested.emit(second.group.items[0].reminder, 5)  # as its menu does
    assert len(listing.rows()) == 2  # the snoozed incident left the list...
    focused = listing.focusWidget()
    assert focused is not None and listing.rows()[1].isAncestorOf(focused)  # ...focus did not
    listing.close()
