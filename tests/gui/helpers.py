"""Reading the board the way a user does: the texts and colours shown in each row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from warroom.ui.board_model import Column


def cell(window, row: int, column: Column, role=Qt.ItemDataRole.DisplayRole):
    return window.model.index(row, column).data(role)


def rows(window) -> list[dict[str, str]]:
    """Every visible row, top to bottom, as {column name: shown text}."""
    return [
        {column.name.lower(): cell(window, row, column) for column in Column}
        for row in range(window.model.rowCount())
    ]


def row_titled(window, title: str) -> int:
    for index, shown in enumerate(rows(window)):
        if shown["title"].endswith(title):
            return index
    raise AssertionError(f"no row titled {title!r} in {rows(window)}")


def background(window, row: int, column: Column) -> str | None:
    brush = cell(window, row, column, Qt.ItemDataRole.BackgroundRole)
    return None if brush is None else brush.color().name().upper()


def focus(qtbot, widget: QWidget) -> None:
    """As a user's click does it: the window active, the field focused. Under a real X
    server (xcb) activation arrives later, as an event; offscreen it is at once."""
    window = widget.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=30_000)
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=30_000)


def local_hm(moment) -> str:
    """A time as a user types it: local wall-clock hours and minutes."""
    return moment.astimezone().strftime("%H:%M")
