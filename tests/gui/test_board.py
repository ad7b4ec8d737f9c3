"""The incident board as an incident commander sees it."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from tests.gui.helpers import background, cell, row_titled, rows
from warroom.ui.board_model import Column

OVERDUE_RED = "#C8102E"  # as painted: literal, not read back from the code under test
AMBER = "#F5B700"


def declare_via_dialog(qtbot, window, title, severity="P0", impact="", commander=""):
    dialog = window.declare_incident()
    qtbot.keyClicks(dialog.title_edit, title)
    dialog.severity_buttons[severity].click()
    if impact:
        qtbot.keyClicks(dialog.impact_edit, impact)
    if commander:
        qtbot.keyClicks(dialog.commander_edit, commander)
    qtbot.mouseClick(dialog.declare_button, Qt.MouseButton.LeftButton)
    return dialog


def test_a_new_user_sees_an_empty_board_with_a_call_to_declare(board):
    window = board.window
    assert window.stack.currentWidget() is window.empty
    assert "Declare incident" in window.empty.button.text()
    assert window.declare_action.shortcut().toString() == "Ctrl+N"


def test_declaring_through_the_dialog_puts_the_incident_on_the_board(qtbot, board):
    window = board.window
    dialog = declare_via_dialog(qtbot, window, "Checkout API returning 500s", "P0", "All EU users")
    assert dialog.result() == dialog.DialogCode.Accepted
    assert window.stack.currentWidget() is window.board
    assert rows(window) == [
        {
            "id": "1",
            "severity": "P0",
            "title": "Checkout API returning 500s",
            "status": "triage",
            "commander": "⚠ No IC",
            "elapsed": "0:00:00",
            "response": "15:00 left",
            "next_update": "15:00 left",
        }
    ]
    assert window.board.selected_incident_id() == dialog.declared.id


def test_an_empty_title_is_refused_inline_and_nothing_is_saved(qtbot, board):
    dialog = board.window.declare_incident()
    dialog.severity_buttons["P1"].click()
    qtbot.mouseClick(dialog.declare_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert "title is required" in dialog.error.text()
    assert board.service.list_incidents(include_closed=True) == []


def test_a_missing_severity_is_refused_with_the_hint(qtbot, board):
    dialog = board.window.declare_incident()
    qtbot.keyClicks(dialog.title_edit, "Search is slow")
    qtbot.mouseClick(dialog.declare_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "pick the higher" in dialog.error.text()
    assert board.service.list_incidents() == []


def test_clocks_tick_and_a_p0_without_an_update_goes_overdue_after_15_minutes(qtbot, board, clock):
    window = board.window
    declare_via_dialog(qtbot, window, "Database primary down", "P0")
    clock.advance(minutes=12, seconds=1)
    board.tick()
    assert cell(window, 0, Column.ELAPSED) == "0:12:01"
    assert cell(window, 0, Column.NEXT_UPDATE) == "2:59 left"
    assert background(window, 0, Column.NEXT_UPDATE) == AMBER  # the last 20 %

    clock.advance(minutes=3, seconds=59)  # 16:00 after declaration
    board.tick()
    assert cell(window, 0, Column.NEXT_UPDATE) == "OVERDUE +1:00"
    assert cell(window, 0, Column.RESPONSE) == "OVERDUE +1:00"
    assert background(window, 0, Column.NEXT_UPDATE) == OVERDUE_RED


def test_marking_an_update_sent_restarts_the_update_clock(qtbot, board, clock):
    window = board.window
    dialog = declare_via_dialog(qtbot, window, "Payments failing", "P0")
    clock.advance(minutes=16)
    board.tick()
    assert cell(window, 0, Column.NEXT_UPDATE) == "OVERDUE +1:00"

    detail = window.open_incident(dialog.declared.id)
    qtbot.mouseClick(detail.update_button, Qt.MouseButton.LeftButton)
    assert cell(window, 0, Column.NEXT_UPDATE) == "OVERDUE +1:00"  # not before it is said
    detail.update_dialog.elsewhere_edit.setText("status page")
    qtbot.mouseClick(
        detail.update_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
        Qt.MouseButton.LeftButton,
    )
    assert cell(window, 0, Column.NEXT_UPDATE) == "15:00 left"
    clock.advance(minutes=5)
    board.tick()
    assert cell(window, 0, Column.NEXT_UPDATE) == "10:00 left"
    assert background(window, 0, Column.NEXT_UPDATE) is None


def test_a_restart_on_the_same_data_dir_brings_back_the_same_board(qtbot, open_board, clock):
    first = open_board()
    declare_via_dialog(qtbot, first.window, "Login broken", "P1", commander="Ada")
    declare_via_dialog(qtbot, first.window, "Reports late", "P3")
    clock.advance(minutes=40)
    first.tick()
    before = rows(first.window)
    first.window.close()
    first.database.dispose()

    second = open_board()
    second.tick()
    assert rows(second.window) == before
    assert rows(second.window)[0]["next_update"] == "OVERDUE +10:00"


def test_rows_sort_by_severity_then_most_overdue(qtbot, board, clock):
    service = board.service
    service.declare("Minor glitch", "P3")
    quiet = service.declare("Quiet P1", "P1")
    clock.advance(minutes=10)
    service.declare("Fresh P1", "P1")
    service.declare("Total outage", "P0")
    clock.advance(minutes=2)
    service.acknowledge(quiet.id)
    service.mark_update_sent(
        quiet.id, "Status page updated"
    )  # Quiet P1 is now due 2 min after Fresh P1
    clock.advance(minutes=30)  # both P1s are overdue; Fresh P1 by more
    board.tick()
    shown = rows(board.window)
    assert [r["title"] for r in shown] == ["Total outage", "Fresh P1", "Quiet P1", "Minor glitch"]
    assert shown[1]["next_update"] == "OVERDUE +2:00"
    assert shown[2]["next_update"] == "0:00 left"


def test_resolved_incidents_are_hidden_until_the_toggle_shows_them(qtbot, board):
    service = board.service
    kept = service.declare("Still burning", "P1")
    done = service.declare("Put out", "P2")
    service.set_status(done.id, "resolved", "recovered on its own")
    window = board.window
    assert [r["title"] for r in rows(window)] == ["Still burning"]
    window.show_closed_action.trigger()
    assert {r["title"] for r in rows(window)} == {"Still burning", "Put out"}
    assert cell(window, row_titled(window, "Put out"), Column.NEXT_UPDATE) == "—"
    window.show_closed_action.trigger()
    assert [r["title"] for r in rows(window)] == ["Still burning"]
    assert kept.id != done.id


def test_ticks_change_only_clock_cells_and_keep_the_selection(qtbot, board, clock):
    service = board.service
    for n in range(30):
        service.declare(f"Incident {n}", "P2")
    window = board.window
    window.board.select_incident(service.list_incidents()[17].id)
    chosen = window.board.selected_incident_id()
    window.board.verticalScrollBar().setValue(5)
    resets, changed = [], []
    window.model.modelReset.connect(lambda: resets.append(True))
    window.model.layoutChanged.connect(lambda *_: resets.append("layout"))
    window.model.dataChanged.connect(lambda a, b, *_: changed.append((a.column(), b.column())))
    for _ in range(3):
        clock.advance(seconds=1)
        board.tick()
    assert resets == []
    assert set(changed) == {(Column.ELAPSED, Column.NEXT_UPDATE)}
    assert window.board.selected_incident_id() == chosen
    assert window.board.verticalScrollBar().value() == 5


def test_a_change_to_one_incident_keeps_the_selection_on_another(qtbot, board):
    service = board.service
    first = service.declare("First", "P2")
    second = service.declare("Second", "P2")
    board.window.board.select_incident(second.id)
    service.change_severity(first.id, "P0")
    assert rows(board.window)[0]["title"] == "First"
    assert board.window.board.selected_incident_id() == second.id


def test_enter_on_a_row_opens_the_incident(qtbot, board):
    incident = board.service.declare("Queue stuck", "P2")
    window = board.window
    window.board.select_incident(incident.id)
    window.board.setFocus()
    qtbot.keyClick(window.board, Qt.Key.Key_Return)
    detail = window.incident_windows[incident.id]
    assert detail.isVisible()
    assert detail.heading.text() == "Queue stuck"


def test_the_status_bar_counts_incidents_without_a_commander(qtbot, board):
    board.service.declare("One", "P2")
    board.service.declare("Two", "P2", commander="Grace")
    assert board.window.summary.text() == "2 open incidents · 1 without a commander"


def test_the_board_model_passes_qt_model_checks(qtmodeltester, board, clock):
    service = board.service
    service.declare("Checked", "P1")
    low = service.declare("Also checked", "P3")
    middle = service.declare("Middle", "P2")
    clock.advance(hours=1)
    board.tick()
    qtmodeltester.check(board.window.model)
    # The tester keeps watching while rows move, arrive and leave.
    service.change_severity(low.id, "P0")
    service.declare("Late arrival", "P2")
    service.set_status(middle.id, "resolved", "recovered on its own")
    board.tick()
    titles = [r["title"] for r in rows(board.window)]
    assert titles == ["Also checked", "Checked", "Late arrival"]


def test_board_widgets_carry_accessible_names(board):
    window = board.window
    assert window.board.accessibleName() == "Incident board"
    assert window.empty.button.accessibleName() == "Declare incident"


def test_clocks_follow_a_severity_change_from_that_moment(qtbot, board, clock):
    incident = board.service.declare("Slow search", "P2")
    clock.advance(hours=1)
    board.service.change_severity(incident.id, "P0", "checkout now failing too")
    clock.advance(minutes=5)
    board.tick()
    assert cell(board.window, 0, Column.SEVERITY) == "P0"
    assert cell(board.window, 0, Column.NEXT_UPDATE) == "10:00 left"
    assert cell(board.window, 0, Column.RESPONSE) == "10:00 left"
    assert timedelta(hours=1) < clock.now() - incident.declared_at


def test_each_severity_choice_says_its_clocks(board):
    dialog = board.window.declare_incident()
    assert dialog.severity_buttons["P0"].toolTip() == (
        "Respond within 15 min; update stakeholders every 15 min"
    )
    assert dialog.severity_buttons["P3"].toolTip() == (
        "Respond by the close of the next business day; "
        "update stakeholders by the end of each business day"
    )


def painted(window, row: int, column: Column) -> str:
    """The colour the board paints in a cell, away from its text: what the user sees."""
    view = window.board
    rect = view.visualRect(view.model().index(row, column))
    image = view.viewport().grab().toImage()
    return image.pixelColor(rect.right() - 4, rect.center().y()).name().upper()


def test_a_selected_row_keeps_its_overdue_and_amber_clocks(qtbot, board, clock):
    service = board.service
    late = service.declare("Payments failing", "P0")
    clock.advance(minutes=4)
    soon = service.declare("Search slow", "P0")
    clock.advance(minutes=12, seconds=30)  # late is overdue; soon has 2:30 left (amber)
    board.tick()
    window = board.window
    selection = window.board.palette().highlight().color().name().upper()
    for incident, colour in ((late, OVERDUE_RED), (soon, AMBER)):
        window.board.select_incident(incident.id)
        row = window.model.row_of(incident.id)
        assert painted(window, row, Column.NEXT_UPDATE) == colour
        assert painted(window, row, Column.STATUS) == selection  # the row still reads selected


def test_the_number_every_strip_uses_is_a_column_of_the_board(board, clock):
    service = board.service
    service.declare("Search slow", "P3")
    payments = service.declare("Payments failing", "P0", commander="Priya Raman")
    service.acknowledge(payments.id)
    clock.advance(minutes=16)  # the P0's stakeholder update is due
    board.tick()
    window = board.window
    assert window.model.headerData(Column.ID, Qt.Orientation.Horizontal, 0) == "#"
    [reminder] = window.reminder_strip.texts()
    assert reminder.startswith("⚠ #2 Payments failing")
    row = row_titled(window, "Payments failing")
    assert cell(window, row, Column.ID) == "2"
    assert not window.board.isColumnHidden(Column.ID) and window.board.columnWidth(Column.ID) > 0


def test_the_declare_dialog_records_detected_declared_security_and_service(qtbot, board, clock):
    from datetime import UTC, datetime

    dialog = board.window.declare_incident()
    assert dialog.detected_edit.text() == ""  # unknown until said: never a default
    assert dialog.declared_edit.value() == clock.now()  # declared: now
    qtbot.keyClicks(dialog.title_edit, "Card data in the logs")
    dialog.severity_buttons["P1"].click()
    for field, typed in (
        (dialog.started_edit, "2026-11-22 13:20 UTC"),
        (dialog.detected_edit, "2026-11-22 14:35 Europe/Paris"),  # 13:35 UTC
        (dialog.declared_edit, "13:50 +00:00"),
    ):
        field.selectAll()
        qtbot.keyClicks(field, typed)
    qtbot.keyClicks(dialog.service_edit, "payments-api")
    dialog.security_check.click()
    qtbot.keyClick(dialog.service_edit, Qt.Key.Key_Return)  # Enter declares
    incident = board.service.get(dialog.declared.id)
    assert incident.impact_started_at == datetime(2026, 11, 22, 13, 20, tzinfo=UTC)
    assert incident.detected_at == datetime(2026, 11, 22, 13, 35, tzinfo=UTC)
    assert incident.declared_at == datetime(2026, 11, 22, 13, 50, tzinfo=UTC)
    assert incident.is_security and incident.service == "payments-api"


def test_the_declare_dialog_leaves_detected_unknown_and_refuses_a_bad_time(qtbot, board):
    dialog = board.window.declare_incident()
    qtbot.keyClicks(dialog.title_edit, "Search is slow")
    dialog.severity_buttons["P2"].click()
    qtbot.keyClicks(dialog.detected_edit, "half past two")
    qtbot.mouseClick(dialog.declare_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "is not a time" in dialog.detected_edit.message.text()
    assert board.service.list_incidents() == []
    dialog.detected_edit.clear()
    qtbot.mouseClick(dialog.declare_button, Qt.MouseButton.LeftButton)
    assert board.service.get(dialog.declared.id).detected_at is None


def test_a_theme_switch_recolours_cells_already_shown(qtbot, board, clock):
    from PySide6.QtWidgets import QApplication

    from warroom.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "light")
    board.service.declare("Checkout returns 500", "P0")  # no commander: "No IC" in red
    model = board.window.board.model()  # what the view paints
    assert QTest.qWaitForWindowExposed(board.window, 30_000)  # xcb: exposed after show()
    board.window.board.viewport().repaint()  # every visible cell painted once

    def colour(column):
        brush = model.index(0, column).data(Qt.ItemDataRole.ForegroundRole)
        return brush.color().name().upper()

    assert colour(Column.COMMANDER) == "#B3141B"
    board.window.set_theme("dark")
    try:
        assert colour(Column.COMMANDER) == "#FF7A7F"
    finally:
        board.window.set_theme("light")
