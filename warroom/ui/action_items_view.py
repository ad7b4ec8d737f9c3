"""Every open action item across incidents: who owes what, by when, and what is overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.services.postmortems import PostmortemService
from warroom.ui.palette import alert_text
from warroom.ui.widgets import fit_to_screen, table_cell

COLUMNS = ("Incident", "#", "Action", "Owner", "Deadline", "Status", "Priority", "Type")
INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1


class ActionItemsView(QDialog):
    def __init__(
        self,
        postmortems: PostmortemService,
        now: Callable[[], datetime],
        open_postmortem: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = postmortems
        self._now = now
        self.setWindowTitle("Open action items — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_to_screen(self, 1100, 520)
        self.summary = QLabel(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setAccessibleName("Open action items")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.cellActivated.connect(
            lambda row, _col: open_postmortem(table_cell(self.table, row, 0).data(INCIDENT_ROLE))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        hint = QLabel("Enter or double-click opens the post-mortem.", self)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        today = self._now().date()
        found = self._service.open_action_items()
        self.table.setRowCount(len(found))
        overdue = 0
        for row, (incident, number, item) in enumerate(found):
            late = item.is_overdue(today)
            overdue += late
            deadline = item.deadline.isoformat() if item.deadline else "—"
            cells = (
                f"#{incident.id} {incident.title}",
                str(number),
                item.action,
                item.owner or "unassigned",
                f"{deadline} ⚠ overdue" if late else deadline,
                item.status.label,
                item.priority.value,
                item.kind.value,
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 0:
                    cell.setData(INCIDENT_ROLE, incident.id)
                if late and column == 4:
                    cell.setForeground(QColor(alert_text()))
                self.table.setItem(row, column, cell)
        self.summary.setText(
            f"{len(found)} open action item"
            + ("" if len(found) == 1 else "s")
            + (f" · {overdue} overdue" if overdue else "")
        )
