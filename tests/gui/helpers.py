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


def open_or_ask(path):
    """The GUI's opening of a record (ui.app.open_or_ask) on the local backend; returns the
    Database, or None when the user gave up."""
    from warroom import bootstrap
    from warroom.domain.clock import SystemClock
    from warroom.domain.policy import load_policy_file
    from warroom.system.paths import builtin_policy_file, resolve_paths
    from warroom.ui.app import open_or_ask as ask

    backend = bootstrap.LocalBackend(resolve_paths(path.parent))
    policy = load_policy_file(builtin_policy_file())
    record = ask(backend, path, SystemClock(), "alice", policy)
    return None if record is None else record.database
