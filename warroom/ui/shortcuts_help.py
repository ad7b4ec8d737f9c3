"""F1: every keyboard shortcut in one place. The main window's are read from its actions;
every other window's from the table it binds its own shortcuts from (ui/keys.py), so the list
cannot drift from what the keys do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.ui.keys import Key, bind
from warroom.ui.widgets import fit_to_screen, table_cell

Row = tuple[str, str, str]  # where, keys, what
HELP_KEYS = (Key("F1", "Close this list", "close"),)


def board_shortcuts(window: QWidget) -> list[Row]:
    from warroom.ui.board_view import BOARD_VIEW_KEYS

    rows = []
    for action in window.findChildren(QAction):
        keys = action.shortcut()
        if not keys.isEmpty():
            text = action.text().replace("&", "").rstrip("…")
            rows.append(("Board", keys.toString(QKeySequence.SequenceFormat.NativeText), text))
    rows += [("Board", key.shown(), key.what) for key in BOARD_VIEW_KEYS]
    return sorted(set(rows), key=lambda row: row[2])


def window_shortcuts() -> list[Row]:
    """Each other window's keys, from the tables the windows bind them from."""
    from warroom.ui.evidence_panel import EVIDENCE_KEYS
    from warroom.ui.incident_window import INCIDENT_KEYS
    from warroom.ui.mitigation_wizard import WIZARD_KEYS
    from warroom.ui.postmortem_editor import POSTMORTEM_KEYS
    from warroom.ui.presenter import PRESENTER_KEYS
    from warroom.ui.status_message_dialog import MESSAGE_KEYS

    tables: tuple[tuple[str, tuple[Key, ...]], ...] = (
        ("Incident", INCIDENT_KEYS),
        ("Mitigation wizard", WIZARD_KEYS),
        ("Stakeholder message", MESSAGE_KEYS),
        ("Post-mortem", POSTMORTEM_KEYS),
        ("Evidence", EVIDENCE_KEYS),
        ("Presenter", PRESENTER_KEYS),
        ("Keyboard shortcuts", HELP_KEYS),
    )
    return [(where, key.shown(), key.what) for where, table in tables for key in table]


class ShortcutsHelp(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_to_screen(self, 820, 640)
        rows = board_shortcuts(window) + window_shortcuts()
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        bind(self, HELP_KEYS)

    def shown(self) -> list[Row]:
        def text(row: int, column: int) -> str:
            return table_cell(self.table, row, column).text()

        return [(text(r, 0), text(r, 1), text(r, 2)) for r in range(self.table.rowCount())]
