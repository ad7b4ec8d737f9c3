"""View → Drills: every drill run from a scenario, oldest first, with its score and each
check's verdict, so a team sees whether it gets better. Enter or double-click opens the
drill's facilitator view on its scorecard."""

from __future__ import annotations

from collections.abc import Callable

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

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.drill_score import CheckKey, Scorecard
from warroom.services.drills import DrillService
from warroom.ui.palette import muted_text
from warroom.ui.qtime import local_text
from warroom.ui.scorecard_view import VERDICT_FILL
from warroom.ui.widgets import fit_to_screen, table_cell

FIXED = ("Started", "#", "Scenario", "Speed", "Score")
# Short column titles for the checks, in the scorecard's order.
CHECK_TITLES = {
    CheckKey.ACKNOWLEDGE: "Ack",
    CheckKey.FIRST_UPDATE: "1st update",
    CheckKey.MITIGATE: "Mitigate",
    CheckKey.ROLLBACK_FIRST: "Rollback 1st",
    CheckKey.ONE_CHANGE: "One change",
    CheckKey.EVIDENCE_FIRST: "Evidence 1st",
    CheckKey.CADENCE: "Cadence",
    CheckKey.POSTMORTEM: "Post-mortem",
}
SHORT_VERDICT = {"pass": "✓", "miss": "✗", "n/a": "–", "pending": "…"}
INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1


def trend_text(cards: list[Scorecard]) -> str:
    """'5 drills · scores over time: 3/7 → 5/7 → 6/7 · last: 86 %'."""
    if not cards:
        return "No drill yet: Incident → Start a drill… runs one."
    shown = cards[-8:]
    path = " → ".join(card.score_text for card in shown)
    last = cards[-1]
    share = f" · last: {round(100 * last.passed / last.applicable)} %" if last.applicable else ""
    more = "… → " if len(cards) > len(shown) else ""
    count = f"{len(cards)} drill" + ("" if len(cards) == 1 else "s")
    return f"{count} · scores over time: {more}{path}{share}"


class DrillsPage(QDialog):
    def __init__(
        self,
        drills: DrillService,
        open_drill: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._drills = drills
        self.cards: list[Scorecard] = []
        self.setWindowTitle("Drills — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_to_screen(self, 1200, 560)
        self.summary = QLabel(self)
        self.summary.setObjectName("sectionHeading")
        self.summary.setWordWrap(True)
        columns = list(FIXED) + [CHECK_TITLES[key] for key in CheckKey]
        self.table = QTableWidget(0, len(columns), self)
        self.table.setAccessibleName("Drills")
        self.table.setHorizontalHeaderLabels(columns)
        for offset, key in enumerate(CheckKey):
            header_item = self.table.horizontalHeaderItem(len(FIXED) + offset)
            if header_item is not None:
                header_item.setToolTip(key.label)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setMinimumSectionSize(
            self.table.fontMetrics().lineSpacing() + 12
        )
        self.table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        header = self.table.horizontalHeader()
        for column in range(len(columns)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.cellActivated.connect(
            lambda row, _col: open_drill(table_cell(self.table, row, 0).data(INCIDENT_ROLE))
        )
        hint = QLabel(
            "✓ pass · ✗ miss · – does not apply. Enter or double-click opens the scorecard. "
            "Drills never count in the incident metrics.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        self.refresh()

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.touches_any(Part.INCIDENT, Part.TIMELINE, Part.POSTMORTEM, Part.DELETED):
            self.refresh()

    def refresh(self, *_args: object) -> None:
        cards = self._drills.scores()
        if cards == self.cards:
            return
        self.cards = cards
        self.summary.setText(trend_text(cards))
        self.table.setRowCount(len(cards))
        for row, card in enumerate(cards):
            state = "" if card.ended else " (running)"
            fixed = (
                local_text(card.started_at, seconds=False),
                str(card.incident_id),
                f"{card.title}{state}",
                f"{card.speed:g}×",
                card.score_text,
            )
            for column, text in enumerate(fixed):
                cell = QTableWidgetItem(text)
                cell.setData(INCIDENT_ROLE, card.incident_id)
                if column == 2:
                    cell.setToolTip(f"{card.scenario}: {card.title}")
                self.table.setItem(row, column, cell)
            by_key = {check.key: check for check in card.checks}
            for offset, key in enumerate(CheckKey):
                check = by_key.get(key)
                if check is None:
                    continue
                cell = QTableWidgetItem(SHORT_VERDICT[check.verdict])
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                cell.setToolTip(f"{check.label}: {check.verdict} — {check.detail}")
                fill = VERDICT_FILL.get(check.verdict)
                if fill is None:
                    cell.setForeground(QColor(muted_text()))
                else:
                    cell.setBackground(QColor(fill))
                    cell.setForeground(QColor("#FFFFFF"))
                self.table.setItem(row, len(FIXED) + offset, cell)
        if cards:
            self.table.scrollToBottom()
