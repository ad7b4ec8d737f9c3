"""Metrics across incidents: per severity for a chosen period, the post-mortem target,
mitigation success and missed update cadences, the month trends, frequency per affected
service, and CSV / Markdown export. Drills are left out, and the view says how many."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.metrics import (
    MISSED_UPDATES_FORMULA,
    MITIGATION_SUCCESS_FORMULA,
    SERVICE_FREQUENCY_FORMULA,
    Measure,
    MetricsReport,
    MonthTrend,
    Period,
    SeverityMetrics,
    Stat,
    percent,
    short_duration,
)
from warroom.domain.severity import Severity
from warroom.services.metrics import (
    MetricsService,
    closure_text,
    excluded_text,
    mean_text,
    period_text,
    to_csv,
    to_markdown,
)
from warroom.system import atomic
from warroom.ui.palette import alert_text, severity_colours
from warroom.ui.widgets import ErrorBanner, fit_to_screen, header_cell, table_cell

# Severity, count, five times, then post-mortems, action items and overdue items.
COLUMNS: tuple[str, ...] = (
    "Severity",
    "Incidents",
    *(f"{m.abbreviation}\nmean / median" for m in Measure),
    "Post-mortems\npublished",
    "Action items\nclosed",
    "Overdue\nitems",
    "Mitigation\nsteps worked",
    "Missed\nupdates",
)
COL_PM, COL_ITEMS, COL_OVERDUE = 2 + len(Measure), 3 + len(Measure), 4 + len(Measure)
COL_MITIGATION, COL_MISSED = 5 + len(Measure), 6 + len(Measure)
SERVICE_COLUMNS: tuple[str, ...] = ("Service", "Incidents", *(m.abbreviation for m in Measure))
ROW_LABELS = (*(s.value for s in Severity), "All")


class MetricsView(QDialog):
    def __init__(
        self,
        metrics: MetricsService,
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._metrics = metrics
        self._now = now
        self.report: MetricsReport | None = None
        self.setWindowTitle("Incident metrics — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        fit_to_screen(self, 1280, 720)

        self.period = QComboBox(self)
        self.period.setAccessibleName("Period")
        for period in Period:
            self.period.addItem(period.label, period)
        self.period.setCurrentIndex(self.period.findData(Period.DAYS_90))
        self.period_label = QLabel(self)  # the exact range, and the drills left out
        self.period_label.setObjectName("hint")
        self.shortfall = QLabel(self)
        self.shortfall.setObjectName("warningBanner")
        self.shortfall.setWordWrap(True)
        self.shortfall.setAccessibleName("Post-mortem target")
        self.error = ErrorBanner(self)
        self.table = self._make_table()
        self.legend = QLabel(self._legend_text(), self)
        self.legend.setObjectName("hint")
        self.legend.setWordWrap(True)
        self.services_table = self._make_services_table()
        self.count_chart = BarChart("Incidents per month", self)
        self.resolve_chart = BarChart("Median time to resolve, per month", self)
        self.export_csv_button = QPushButton("Export CSV…", self)
        self.export_md_button = QPushButton("Export Markdown…", self)
        self.saved_label = QLabel(self)
        self.saved_label.setObjectName("hint")
        close = QPushButton("Close", self)

        self.period.currentIndexChanged.connect(self.refresh)
        self.export_csv_button.clicked.connect(lambda: self._export_dialog("csv"))
        self.export_md_button.clicked.connect(lambda: self._export_dialog("md"))
        close.clicked.connect(self.close)
        self._lay_out(close)
        self.refresh()

    # -- building ----------------------------------------------------------------------------
    def _make_table(self) -> QTableWidget:
        table = QTableWidget(len(ROW_LABELS), len(COLUMNS), self)
        table.setAccessibleName("Metrics by severity")
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        table.setWordWrap(False)
        table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in (0, 1, COL_OVERDUE, COL_MISSED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column, measure in enumerate(Measure, start=2):
            header_cell(table, column).setToolTip(f"{measure.label}; n incidents")
        header_cell(table, COL_MITIGATION).setToolTip(
            f"Mitigation success rate = {MITIGATION_SUCCESS_FORMULA}"
        )
        header_cell(table, COL_MISSED).setToolTip(
            f"Missed update cadences = {MISSED_UPDATES_FORMULA}"
        )
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return table

    def _make_services_table(self) -> QTableWidget:
        table = QTableWidget(0, len(SERVICE_COLUMNS), self)
        table.setAccessibleName("Incidents by affected service")
        table.setHorizontalHeaderLabels(list(SERVICE_COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        table.setWordWrap(False)
        table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header_cell(table, 0).setToolTip(SERVICE_FREQUENCY_FORMULA)
        for column, measure in enumerate(Measure, start=2):
            header_cell(table, column).setToolTip(f"Mean {measure.label}; n incidents")
        return table

    def _lay_out(self, close: QPushButton) -> None:
        top = QHBoxLayout()
        caption = QLabel("&Period:", self)
        caption.setBuddy(self.period)
        top.addWidget(caption)
        top.addWidget(self.period)
        top.addSpacing(12)
        top.addWidget(self.period_label, 1)
        charts = QHBoxLayout()
        charts.setSpacing(16)
        charts.addWidget(self.count_chart, 1)
        charts.addWidget(self.resolve_chart, 1)
        by_service = QVBoxLayout()
        service_title = QLabel(f"By affected service: {SERVICE_FREQUENCY_FORMULA}", self)
        service_title.setWordWrap(True)
        service_title.setObjectName("hint")
        by_service.addWidget(service_title)
        by_service.addWidget(self.services_table, 1)
        charts.addLayout(by_service, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_csv_button)
        buttons.addWidget(self.export_md_button)
        buttons.addWidget(self.saved_label, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.shortfall)
        layout.addWidget(self.table)
        layout.addWidget(self.legend)
        layout.addLayout(charts, 1)
        layout.addLayout(buttons)

    @staticmethod
    def _legend_text() -> str:
        names = " · ".join(f"{m.abbreviation} = {m.formula}" for m in Measure)
        return (
            f"{names} · n = incidents with both times · Mitigation success = "
            f"{MITIGATION_SUCCESS_FORMULA} · Missed updates = {MISSED_UPDATES_FORMULA}"
        )

    # -- contents ----------------------------------------------------------------------------
    def selected_period(self) -> Period:
        return Period(self.period.currentData())  # Qt hands a StrEnum back as str

    def refresh(self, *_args: object) -> None:
        since = self.selected_period().since(self._now())
        self.report = self._metrics.report(since, None)
        self.period_label.setText(f"{period_text(self.report)} · {excluded_text(self.report)}")
        rows = [*self.report.by_severity.values(), self.report.all]
        for row, (label, metrics) in enumerate(zip(ROW_LABELS, rows, strict=True)):
            self._fill_row(row, label, metrics)
        self._fit_table_height()
        self._show_shortfall(self.report)
        self._fill_services(self.report)
        self.count_chart.set_bars(count_bars(self.report.months))
        self.resolve_chart.set_bars(resolve_bars(self.report.months))

    def _fill_row(self, row: int, label: str, metrics: SeverityMetrics) -> None:
        cells = [label, str(metrics.count)]
        cells += [stat_cell(metrics.stat(m)) for m in Measure]
        cells += [pm_cell(metrics), closure_text(metrics), overdue_cell(metrics.overdue)]
        cells += [mitigation_cell(metrics), overdue_cell(metrics.missed_updates)]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(_alignment(column))
            self.table.setItem(row, column, item)
        first = table_cell(self.table, row, 0)
        bold = QFont(first.font())
        bold.setBold(True)
        first.setFont(bold)
        if label in Severity.__members__:
            background, foreground = severity_colours(Severity(label))
            first.setBackground(background)
            first.setForeground(foreground)
            first.setToolTip(Severity(label).meaning)
        if metrics.pm_shortfall:
            table_cell(self.table, row, COL_PM).setForeground(QColor(alert_text()))
        if metrics.overdue:
            table_cell(self.table, row, COL_OVERDUE).setForeground(QColor(alert_text()))
        if metrics.missed_updates:
            table_cell(self.table, row, COL_MISSED).setForeground(QColor(alert_text()))

    def _fill_services(self, report: MetricsReport) -> None:
        self.services_table.setRowCount(len(report.services))
        for row, service in enumerate(report.services):
            cells = [service.label, str(service.count)]
            cells += [mean_text(service.stat(m)) for m in Measure]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                right = column > 0
                item.setTextAlignment(
                    (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                    | Qt.AlignmentFlag.AlignVCenter
                )
                self.services_table.setItem(row, column, item)

    def _fit_table_height(self) -> None:
        """All five rows, no scrolling: the table is never taller than its contents."""
        self.table.resizeRowsToContents()
        for row in range(self.table.rowCount()):  # air between the two-line cells
            self.table.setRowHeight(row, self.table.rowHeight(row) + 8)
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)

    def _show_shortfall(self, report: MetricsReport) -> None:
        short = [
            f"{level.value}: {m.pm_published} of {m.pm_required} published"
            for level, m in report.by_severity.items()
            if m.pm_shortfall
        ]
        self.shortfall.setVisible(bool(short))
        if short:
            target = percent(report.all.pm_target)
            self.shortfall.setText(
                f"⚠ Post-mortems below the {target} target — " + "; ".join(short) + "."
            )

    def cell_text(self, row: int, column: int) -> str:
        return table_cell(self.table, row, column).text()

    # -- export ------------------------------------------------------------------------------
    def _export_dialog(self, kind: str) -> None:
        stamp = self._now().strftime("%Y-%m-%d")
        label = "CSV (*.csv)" if kind == "csv" else "Markdown (*.md)"
        title = "Export metrics as CSV" if kind == "csv" else "Export metrics as Markdown"
        path, _filter = QFileDialog.getSaveFileName(
            self, title, f"warroom-metrics-{stamp}.{kind}", label
        )
        if path:
            (self.export_csv if kind == "csv" else self.export_markdown)(Path(path))

    def export_csv(self, path: Path | str) -> bool:
        assert self.report is not None
        return self._write(Path(path), to_csv(self.report))

    def export_markdown(self, path: Path | str) -> bool:
        assert self.report is not None
        return self._write(Path(path), to_markdown(self.report))

    def _write(self, path: Path, text: str) -> bool:
        # Bytes, not text mode: the file is the same on every platform (no CRLF translation).
        try:
            atomic.write_bytes(path, text.encode("utf-8"))
        except OSError as exc:
            self.error.show_message(f"Not exported: cannot write {path}: {atomic.why(exc)}")
            return False
        self.error.clear_message()
        self.saved_label.setText(f"Exported to {path.name}")
        return True


# -- cell wording ------------------------------------------------------------------------------
def stat_cell(stat: Stat) -> str:
    """Mean and median on lines of their own: a day-long '1d 00h 11m' pair is too wide for one
    column at 1366 px, and an elided duration would hide its minutes."""
    if stat.n == 0:
        return "—"
    return f"{short_duration(stat.mean)} /\n{short_duration(stat.median)}\nn = {stat.n}"


def pm_cell(m: SeverityMetrics) -> str:
    """The count, the rate, and the target in words: a shortfall never rests on colour."""
    if m.pm_target is None:
        return "not required"
    target = percent(m.pm_target)
    if m.pm_required == 0:
        return f"none due yet\ntarget {target}"
    shown = f"{m.pm_published} of {m.pm_required} · {percent(m.pm_completion_rate)}"
    verdict = f"⚠ below {target} target" if m.pm_shortfall else f"✓ {target} target met"
    return f"{shown}\n{verdict}"


def mitigation_cell(m: SeverityMetrics) -> str:
    """'1 of 2\n50 %': steps that worked of steps applied, and the rate."""
    if m.mitigations_applied == 0:
        return "none applied"
    return (
        f"{m.mitigations_worked} of {m.mitigations_applied}\n{percent(m.mitigation_success_rate)}"
    )


def overdue_cell(count: int) -> str:
    return f"⚠ {count}" if count else "0"


def _alignment(column: int) -> Qt.AlignmentFlag:
    # Counts line up on the right; labels and "mean / median" pairs read from the left.
    counts = column in (1, COL_OVERDUE, COL_MISSED)
    horizontal = Qt.AlignmentFlag.AlignRight if counts else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


# -- the month charts --------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    month: str  # "2026-11"
    value: float | None  # None: nothing to show this month
    text: str  # the value as words, drawn above the bar and read out


def count_bars(months: list[MonthTrend]) -> list[Bar]:
    return [Bar(t.month, float(t.count), str(t.count)) for t in months]


def resolve_bars(months: list[MonthTrend]) -> list[Bar]:
    return [
        Bar(
            t.month,
            None if t.median_resolve is None else t.median_resolve.total_seconds(),
            _chart_duration(t.median_resolve),
        )
        for t in months
    ]


def _chart_duration(value: timedelta | None) -> str:
    """Short enough to sit above a narrow bar: '45m', '4.9h', '2.5d'."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)}m"
    return f"{hours:.1f}h" if hours < 48 else f"{hours / 24:.1f}d"


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_labels(months: list[str], every: int) -> list[str]:
    """'Nov\n2026' where the year changes from the last label shown, 'Dec' otherwise, and ''
    for months skipped because the bars are too narrow for a label each."""
    labels, shown_year = [], ""
    for index, month in enumerate(months):
        if index % every:
            labels.append("")
            continue
        year, number = month.split("-")
        name = MONTH_NAMES[int(number) - 1]
        labels.append(name if year == shown_year else f"{name}\n{year}")
        shown_year = year
    return labels


class BarChart(QWidget):
    """A small bar chart in the theme's colours, each bar with its value written above it
    (or in its tooltip when bars are too narrow), and month names below."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.bars: list[Bar] = []
        self.setAccessibleName(title)
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(480, 220)

    def set_bars(self, bars: list[Bar]) -> None:
        self.bars = bars
        summary = "; ".join(f"{b.month}: {b.text}" for b in bars) or "no months in the period"
        self.setAccessibleDescription(f"{self.title}. {summary}")
        self.update()

    # geometry shared by painting and tooltips
    def _plot(self) -> QRect:
        line = QFontMetrics(self.font()).height()
        top = line * 2 + 6  # the title, then room for the tallest bar's value
        return self.rect().adjusted(8, top, -8, -(line * 2 + 8))

    def _slot(self, plot: QRect) -> float:
        return plot.width() / max(1, len(self.bars))

    def _bar_rect(self, plot: QRect, index: int, peak: float) -> QRect:
        slot = self._slot(plot)
        value = self.bars[index].value or 0.0
        height = 0 if peak <= 0 else round(plot.height() * value / peak)
        width = max(2, min(56, round(slot * 0.7)))  # a few months must not make slabs
        left = plot.left() + round(slot * index + (slot - width) / 2)
        return QRect(left, plot.bottom() - height + 1, width, height)

    def _peak(self) -> float:
        return max((b.value or 0.0 for b in self.bars), default=0.0)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        plot = self._plot()
        slot = self._slot(plot)
        widest = max((metrics.horizontalAdvance(b.text) for b in self.bars), default=0)
        show_values = widest <= slot - 2  # too narrow: the values move to tooltips
        self._draw_title(painter, show_values)
        if not self.bars:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No incidents in this period.")
        else:
            painter.setPen(self.palette().mid().color())
            painter.drawLine(plot.bottomLeft(), plot.bottomRight())
            every = max(1, math.ceil((metrics.horizontalAdvance("2026") + 8) / slot))
            labels = month_labels([b.month for b in self.bars], every)
            for index, label in enumerate(labels):
                self._draw_bar(painter, plot, index, label, show_values)
        painter.end()

    def _draw_title(self, painter: QPainter, show_values: bool) -> None:
        title = self.title if show_values else f"{self.title} (point at a bar for its value)"
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect().adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignTop, title)
        painter.setFont(self.font())

    def _draw_bar(
        self, painter: QPainter, plot: QRect, index: int, label: str, show_value: bool
    ) -> None:
        palette, line = self.palette(), QFontMetrics(self.font()).height()
        rect = self._bar_rect(plot, index, self._peak())
        if rect.height() > 0:
            painter.fillRect(rect, palette.highlight().color())
        painter.setPen(palette.windowText().color())
        slot = self._slot(plot)
        left, width = round(plot.left() + slot * index), round(slot)
        if show_value:
            above = QRect(left, rect.top() - line - 2, width, line)
            painter.drawText(above, Qt.AlignmentFlag.AlignHCenter, self.bars[index].text)
        # Wider than the slot, so a label under the first or last bar is not cut short.
        below = QRect(left - 20, plot.bottom() + 4, width + 40, line * 2)
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, label)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self._show_tooltip(event.pos(), event.globalPos())
            return True
        return super().event(event)

    def _show_tooltip(self, pos: QPoint, global_pos: QPoint) -> None:
        plot = self._plot()
        index = int((pos.x() - plot.left()) // self._slot(plot)) if self.bars else -1
        if 0 <= index < len(self.bars):
            bar = self.bars[index]
            QToolTip.showText(global_pos, f"{bar.month}: {bar.text}", self)
        else:
            QToolTip.hideText()
