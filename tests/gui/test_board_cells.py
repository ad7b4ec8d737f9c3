"""What the board paints comes from a copy of its cells held in Qt (BoardCells): the copy
must show what the board holds on every row a user can see, whatever changed and however
they scrolled, and a repaint must not have to ask the board again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QIcon
from PySide6.QtTest import QTest

from warroom.ui.board_model import SHOWN_ROLES, BoardModel, Column


def shown(value: Any) -> Any:
    """A cell's value as compared here: colours by name, fonts by weight, icons by key."""
    if isinstance(value, QBrush):
        return value.color().name()
    if isinstance(value, QFont):
        return value.bold()
    if isinstance(value, QIcon):
        return value.cacheKey()
    return value


def painted_rows(window) -> range:
    """Paints the board now, once it is on screen (under a real X server a window is
    exposed a moment after show(); until then a repaint paints nothing)."""
    assert QTest.qWaitForWindowExposed(window, 30_000)
    view = window.board
    view.viewport().repaint()
    return view.visible_rows()


def assert_copy_matches(window) -> int:
    """Every cell on screen, every role: the painted copy equals the board's own answer."""
    view, board = window.board, window.model
    copy = view.model()
    checked = 0
    for row in painted_rows(window):
        for column in Column:
            for role in SHOWN_ROLES:
                painted = shown(copy.index(row, column).data(role))
                expected = shown(board.cell(row, column).get(role))
                if column == Column.SEVERITY and role == Qt.ItemDataRole.DisplayRole:
                    expected = None  # the badge painted over the cell carries the text
                assert painted == expected, (row, column.name, role, painted, expected)
                checked += 1
    return checked


def many_incidents(board, count: int = 40) -> list:
    return [board.service.declare(f"Incident {n}", "P2") for n in range(count)]


def test_the_painted_copy_follows_ticks_scrolling_moves_and_reminders(qtbot, board, clock):
    service = board.service
    incidents = many_incidents(board)
    window = board.window
    assert assert_copy_matches(window) > 0
    for _ in range(3):
        clock.advance(minutes=7)
        board.tick()
    assert_copy_matches(window)
    # Rows that were off screen during those ticks show the current clocks when scrolled to.
    window.board.scrollToBottom()
    assert assert_copy_matches(window) > 0
    window.board.scrollToTop()
    service.change_severity(incidents[-1].id, "P0", reason="customer-facing after all")
    service.set_status(incidents[3].id, "resolved", "recovered on its own")
    service.declare("Arrived late", "P1")
    clock.advance(minutes=31)  # P0 and P1 stakeholder updates fall due: reminders, highlights
    board.tick()
    assert (
        window.model.cell(0, Column.TITLE)[Qt.ItemDataRole.DecorationRole] is not None
    )  # ⚠ on a due row
    assert_copy_matches(window)
    window.set_theme("dark")
    try:
        assert_copy_matches(window)
    finally:
        window.set_theme("light")
    assert_copy_matches(window)


def test_a_repaint_of_an_unchanged_board_asks_the_board_for_nothing(
    qtbot, board, clock, monkeypatch
):
    many_incidents(board)
    window = board.window
    painted_rows(window)  # the first paint copies the rows on screen
    asked: list[tuple[int, int]] = []
    original = BoardModel.cell

    def counting(model, row, column):
        asked.append((row, column))
        return original(model, row, column)

    monkeypatch.setattr(BoardModel, "cell", counting)
    visible = painted_rows(window)
    assert asked == []
    clock.advance(seconds=1)
    board.tick()
    painted_rows(window)
    # A tick copies the clock cells of the rows on screen, nothing else.
    assert sorted(set(asked)) == sorted((row, column) for row in visible for column in (5, 6, 7))


def test_a_selected_incident_that_moves_stays_selected_where_it_lands(qtbot, board, clock):
    service = board.service
    incidents = many_incidents(board, 12)
    window = board.window
    chosen = incidents[-1]
    window.board.select_incident(chosen.id)
    scrolled = window.board.verticalScrollBar().value()
    service.change_severity(chosen.id, "P0", reason="payments affected")
    view = window.board
    assert window.model.row_of(chosen.id) == 0
    assert view.selected_incident_id() == chosen.id
    assert view.selected_row() == 0
    assert view.verticalScrollBar().value() == scrolled
    assert_copy_matches(window)


def test_the_painted_copy_passes_qt_model_checks(qtmodeltester, board, clock):
    service = board.service
    incidents = many_incidents(board, 6)
    qtmodeltester.check(board.window.board.model())
    service.change_severity(incidents[4].id, "P0", reason="wider impact")
    service.declare("Late arrival", "P1")
    service.set_status(incidents[0].id, "resolved", "recovered on its own")
    clock.advance(minutes=5)
    board.tick()
    assert_copy_matches(board.window)


def test_every_row_on_screen_shows_its_severity_badge_selected_or_not(qtbot, board, clock):
    service = board.service
    levels = {"P0": "#B3141B", "P1": "#C2410C", "P2": "#F2B705", "P3": "#2458A6"}
    for level in levels:
        service.declare(f"A {level} incident", level)
    window = board.window
    view = window.board
    view.select_incident(service.list_incidents()[1].id)
    painted_rows(window)
    image = view.viewport().grab().toImage()
    for row in painted_rows(window):
        level = window.model.incident_at(row).severity.value
        rect = view.visualRect(view.model().index(row, Column.SEVERITY))
        # Left of the label, inside the badge: the level's colour, on every row.
        colour = image.pixelColor(rect.center().x() - 13, rect.center().y()).name().upper()
        assert colour == levels[level], (row, level, colour)


def test_a_row_reached_by_keyboard_has_its_cells_before_it_is_painted(qtbot, board, clock):
    """Assistive technology reads the new current cell as soon as it changes, before the
    view paints it: a row never shown must be readable then."""
    many_incidents(board)
    window = board.window
    view = window.board
    painted_rows(window)
    clock.advance(minutes=3)
    board.tick()
    last = window.model.rowCount() - 1
    assert last not in view.visible_rows()
    copy = view.model()
    assert copy.index(last, Column.TITLE).data(Qt.ItemDataRole.AccessibleTextRole) is None
    view.setCurrentIndex(copy.index(last, Column.ELAPSED))
    for column in Column:
        spoken = copy.index(last, column).data(Qt.ItemDataRole.AccessibleTextRole)
        assert spoken == window.model.cell(last, column)[Qt.ItemDataRole.AccessibleTextRole]
