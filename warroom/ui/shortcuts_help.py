"""F1: every keyboard shortcut in one place, read from the actions themselves where they
live in the main window, so the list cannot drift from what the keys do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.ui.widgets import fit_to_screen

# Shortcuts of the other windows: (where, keys, what).
OTHER_WINDOWS: tuple[tuple[str, str, str], ...] = (
    ("Incident", "Ctrl+K", "Acknowledge"),
    ("Incident", "Ctrl+U", "Stakeholder update sent"),
    ("Incident", "Ctrl+Shift+U", "Write a stakeholder message from a template"),
    ("Incident", "Ctrl+L", "Write a timeline note"),
    ("Incident", "Ctrl+M", "Mitigation wizard"),
    ("Incident", "Ctrl+Shift+P", "Post-mortem"),
    ("Mitigation wizard", "Alt+A / Alt+S / Alt+O", "Apply, skip or mark not applicable"),
    ("Mitigation wizard", "Enter / Alt+B", "Next (records the decision) / Back"),
    ("Mitigation wizard", "Alt+V", "Verify recovery"),
    ("Stakeholder message", "Ctrl+Shift+C", "Copy the text to the clipboard"),
    ("Stakeholder message", "Ctrl+Enter", "Mark sent (restarts the update clock)"),
    ("Post-mortem", "Ctrl+S / Ctrl+E", "Save now (it also saves as you type) / Export"),
    ("Presenter", "F11 / Esc", "Full screen on and off"),
    ("Presenter", "PgDown / PgUp", "Next or previous incident"),
    ("Presenter", "Ctrl+Shift+H", "Privacy: hide sensitive notes and evidence names"),
)


def board_shortcuts(window: QWidget) -> list[tuple[str, str, str]]:
    rows = []
    for action in window.findChildren(QAction):
        keys = action.shortcut()
        if not keys.isEmpty():
            text = action.text().replace("&", "").rstrip("…")
            rows.append(("Board", keys.toString(QKeySequence.SequenceFormat.NativeText), text))
    return sorted(set(rows), key=lambda row: row[2])


class ShortcutsHelp(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_to_screen(self, 820, 640)
        rows = board_shortcuts(window) + list(OTHER_WINDOWS)
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
        QShortcut(QKeySequence("F1"), self, activated=self.close)

    def shown(self) -> list[tuple[str, str, str]]:
        return [
            tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc]
            for r in range(self.table.rowCount())
        ]
