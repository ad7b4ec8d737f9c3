"""A drill's scorecard: each check with its verdict, what was measured against the target,
and one line of detail; the score; and "Export Markdown…" (services.drills.markdown).

Used as the facilitator view's second tab, so the scorecard is one keypress from the drill.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.drill_score import Check, Scorecard
from warroom.domain.drills import offset_text
from warroom.services.drills import DrillService
from warroom.ui.palette import muted_text
from warroom.ui.widgets import ErrorBanner

COLUMNS = ("Check", "Verdict", "Measured", "Target", "Detail")
# Verdicts carry a word and a sign, never colour alone; fills chosen for contrast with white.
# Keyed by Check.verdict: "pending" is a time target a running drill has not reached yet.
VERDICT_TEXT = {"pass": "✓ pass", "miss": "✗ miss", "n/a": "– n/a", "pending": "… pending"}
VERDICT_FILL: dict[str, str] = {"pass": "#1E6B34", "miss": "#B3141B"}


def span_text(span: timedelta | None) -> str:
    """'4 min 30 s', '12 min', '45 s'; '—' when nothing was measured."""
    if span is None:
        return "—"
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "min"), (secs, "s")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 s"


def card_summary(card: Scorecard) -> str:
    speed = "real time" if card.speed == 1 else f"{card.speed:g}× speed"
    clock = offset_text(timedelta(seconds=int(card.drill_elapsed.total_seconds())))
    state = "ended" if card.ended else "still running"
    return (
        f"{card.passed} of the {card.applicable} checks that apply passed.\n"
        f"Drill clock {clock} ({state}, {speed}). Injects: {card.injects_delivered} "
        f"delivered, {card.injects_passed_over} passed over, {card.injects_skipped} skipped, "
        f"{card.injects_pending} to come."
    )


class ScorecardView(QWidget):
    def __init__(
        self, incident_id: int, drills: DrillService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self._drills = drills
        self.card: Scorecard | None = None

        self.score = QLabel(self)
        self.score.setObjectName("clockValue")
        self.score.setAccessibleName("Score")
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.provisional = QLabel("The drill is still running: this is the scorecard so far.", self)
        self.provisional.setObjectName("infoBanner")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setAccessibleName("Scorecard checks")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        # The scorecard is what the debrief looks at together: larger text, airy rows.
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() + 2)
        self.table.setFont(font)
        self.table.verticalHeader().setMinimumSectionSize(
            self.table.fontMetrics().lineSpacing() + 14
        )
        self.table.setStyleSheet("QTableView::item { padding: 0 8px; }")
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.error = ErrorBanner(self)
        self.export_button = QPushButton("E&xport Markdown…", self)
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self._ask_export)
        self.export_button.setEnabled(drills.can_render)

        top = QHBoxLayout()
        score_box = QVBoxLayout()
        caption = QLabel("Score", self)
        caption.setObjectName("clockCaption")
        score_box.addWidget(caption)
        score_box.addWidget(self.score)
        top.addLayout(score_box)
        top.addSpacing(16)
        top.addWidget(self.summary, 1)
        top.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.provisional)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        card = self._drills.scorecard(self.incident_id)
        if card == self.card:
            return
        self.card = card
        self.score.setText(card.score_text)
        self.summary.setText(card_summary(card))
        self.provisional.setVisible(not card.ended)
        self.table.setRowCount(len(card.checks))
        for row, check in enumerate(card.checks):
            self._fill(row, check)
        self.table.resizeRowsToContents()

    def _fill(self, row: int, check: Check) -> None:
        cells = (
            check.label,
            VERDICT_TEXT[check.verdict],
            span_text(check.measured),
            span_text(check.target),
            check.detail,
        )
        for column, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(text)
            if column == 1:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                fill = VERDICT_FILL.get(check.verdict)
                if fill is None:
                    cell.setForeground(QColor(muted_text()))
                else:
                    cell.setBackground(QColor(fill))
                    cell.setForeground(QColor("#FFFFFF"))
            self.table.setItem(row, column, cell)

    def verdicts(self) -> dict[str, str]:
        """What the table shows, check label to verdict word (pass, miss, n/a)."""
        found = {}
        for row in range(self.table.rowCount()):
            label, verdict = self.table.item(row, 0), self.table.item(row, 1)
            if label is not None and verdict is not None:
                found[label.text()] = verdict.text().split(" ", 1)[1]
        return found

    def _ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export the scorecard",
            f"drill-{self.incident_id}-scorecard.md",
            "Markdown (*.md)",
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> bool:
        from warroom.system import atomic

        try:
            text = self._drills.markdown(self.incident_id)
            atomic.write_bytes(path, text.encode("utf-8"))
        except OSError as exc:
            self.error.show_message(f"The scorecard was not exported: {atomic.why(exc)}")
            return False
        self.error.clear_message()
        return True
