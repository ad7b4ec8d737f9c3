"""The facilitator's window for one drill: the injects to come with their countdowns, each
inject's state, the controls (inject now, skip next, pause or resume, speed, end), a
free-text inject, what the team did so far; and, in the second tab, the scorecard.

The drill is read when its incident changes (the change announcements); the tick only
turns the countdowns and the drill clock from what was read, unless an inject's time has
come, when it reads again to show the delivery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.drill_run import InjectState, InjectStatus
from warroom.domain.durations import compact
from warroom.domain.validation import ValidationError
from warroom.services.drills import DrillService, DrillStatus
from warroom.services.incidents import IncidentNotFound
from warroom.ui.drill_start_dialog import SPEEDS
from warroom.ui.palette import muted_text
from warroom.ui.scorecard_view import ScorecardView
from warroom.ui.widgets import ErrorBanner, fit_to_screen

INJECT_COLUMNS = ("At", "In", "State", "Condition", "Inject")
TEAM_COLUMNS = ("Drill time", "Who", "What")
STATE_TEXT = {
    InjectState.UPCOMING: "upcoming",
    InjectState.DUE: "due now",
    InjectState.DELIVERED: "✓ delivered",
    InjectState.SKIPPED: "skipped",
    InjectState.PASSED_OVER: "passed over",
    InjectState.DROPPED: "dropped",
}
DONE_STATES = (InjectState.SKIPPED, InjectState.PASSED_OVER, InjectState.DROPPED)
SCORE_EVERY = 10  # ticks between refreshes of a shown scorecard while the drill runs


def drill_clock_text(elapsed: timedelta) -> str:
    """'+12:05' on the drill clock (minutes:seconds, hours first past an hour)."""
    return "+" + compact(elapsed)


class FacilitatorView(QDialog):
    def __init__(
        self, incident_id: int, drills: DrillService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self._drills = drills
        self.status: DrillStatus = drills.status(incident_id)
        self._ticks = 0
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        fit_to_screen(self, 1240, 780)

        self.heading = QLabel(self)
        self.heading.setObjectName("incidentHeading")
        self.heading.setWordWrap(True)
        self.scenario_label = QLabel(self)
        self.scenario_label.setWordWrap(True)
        self.scenario_label.setTextFormat(Qt.TextFormat.PlainText)
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("clockValue")
        self.clock_label.setAccessibleName("Drill clock")
        self.clock_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("statusLabel")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        clock_box = QVBoxLayout()
        clock_box.setSpacing(0)
        clock_box.addWidget(self.clock_label)
        clock_box.addWidget(self.state_label)
        title_box = QVBoxLayout()
        title_box.setSpacing(2)
        title_box.addWidget(self.heading)
        title_box.addWidget(self.scenario_label)
        header = QHBoxLayout()
        header.addLayout(title_box, 1)
        header.addSpacing(16)
        header.addLayout(clock_box)

        self.error = ErrorBanner(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_facilitate(), "F&acilitate")
        self.scorecard = ScorecardView(incident_id, drills, self)
        self.tabs.addTab(self.scorecard, "S&corecard")
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.error)
        layout.addWidget(self.tabs, 1)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in the inject field sends only the inject
            button.setDefault(False)
        self._show(self.status)
        if self.status.finished:
            self.show_scorecard()

    # -- construction ----------------------------------------------------------------------
    def _build_facilitate(self) -> QWidget:
        page = QWidget(self)
        self.inject_now_button = QPushButton("&Inject now", page)
        self.inject_now_button.setToolTip("Deliver the next scripted inject now")
        self.inject_now_button.clicked.connect(self.inject_now)
        self.skip_button = QPushButton("S&kip next", page)
        self.skip_button.setToolTip("The next scripted inject will not be delivered")
        self.skip_button.clicked.connect(self.skip_next)
        self.pause_button = QPushButton("&Pause", page)
        self.pause_button.setToolTip("Stop the drill clock: nothing falls due until resumed")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.speed = QComboBox(page)
        self.speed.setAccessibleName("Drill clock speed")
        for value, label in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.activated.connect(self._speed_chosen)
        speed_label = QLabel("Spee&d", page)
        speed_label.setBuddy(self.speed)
        self.end_button = QPushButton("&End drill…", page)
        self.end_button.setToolTip("End the drill: injects not yet delivered are dropped")
        self.end_button.clicked.connect(lambda: self.end_drill())
        controls = QHBoxLayout()
        for button in (self.inject_now_button, self.skip_button, self.pause_button):
            controls.addWidget(button)
        controls.addSpacing(12)
        controls.addWidget(speed_label)
        controls.addWidget(self.speed)
        controls.addStretch(1)
        controls.addWidget(self.end_button)

        self.injects = _table(page, INJECT_COLUMNS, "Injects")
        self.free_edit = QLineEdit(page)
        self.free_edit.setAccessibleName("Free-text inject")
        self.free_edit.setPlaceholderText(
            "Your own inject, e.g. “The CFO joins the bridge and asks for an ETA”"
        )
        self.free_edit.returnPressed.connect(self.send_free_text)
        self.send_button = QPushButton("Se&nd inject", page)
        self.send_button.clicked.connect(self.send_free_text)
        free_label = QLabel("&Free-text inject", page)
        free_label.setBuddy(self.free_edit)
        free = QHBoxLayout()
        free.addWidget(free_label)
        free.addWidget(self.free_edit, 1)
        free.addWidget(self.send_button)

        self.team = _table(page, TEAM_COLUMNS, "What the team did so far")
        team_box = QWidget(page)
        team_layout = QVBoxLayout(team_box)
        team_layout.setContentsMargins(0, 0, 0, 0)
        self.team_heading = QLabel("What the team did so far", team_box)
        self.team_heading.setObjectName("sectionHeading")
        team_layout.addWidget(self.team_heading)
        team_layout.addWidget(self.team, 1)
        inject_box = QWidget(page)
        inject_layout = QVBoxLayout(inject_box)
        inject_layout.setContentsMargins(0, 0, 0, 0)
        self.injects_heading = QLabel("Injects", inject_box)
        self.injects_heading.setObjectName("sectionHeading")
        inject_layout.addWidget(self.injects_heading)
        inject_layout.addWidget(self.injects, 1)
        inject_layout.addLayout(free)
        splitter = QSplitter(Qt.Orientation.Vertical, page)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(inject_box)
        splitter.addWidget(team_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(page)
        layout.addLayout(controls)
        layout.addWidget(splitter, 1)
        return page

    # -- showing -----------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            status = self._drills.status(self.incident_id)
        except IncidentNotFound:
            self.close()
            return
        self._show(status)
        if self.tabs.currentWidget() is self.scorecard:
            self.scorecard.refresh()

    def _show(self, status: DrillStatus) -> None:
        self.status = status
        drill = status.drill
        self.setWindowTitle(f"Drill #{self.incident_id} — facilitator — warroom")
        self.heading.setText(f"#{self.incident_id} {status.incident.shown_title}")
        scenario = drill.scenario
        self.scenario_label.setText(
            f"Scenario “{scenario.name}” · {status.incident.severity.value}"
            + (" · security" if scenario.security else "")
            + (f" · {scenario.summary}" if scenario.summary else "")
        )
        ended = drill.ended
        for widget in (
            self.inject_now_button,
            self.skip_button,
            self.pause_button,
            self.speed,
            self.end_button,
        ):
            widget.setEnabled(not ended)
        can_inject = not ended and bool(status.upcoming)
        self.inject_now_button.setEnabled(can_inject)
        self.skip_button.setEnabled(can_inject)
        self.pause_button.setText("&Resume" if drill.paused else "&Pause")
        index = self.speed.findData(drill.speed)
        if index < 0:  # a speed set elsewhere (`warroom drill run --speed 3`)
            self.speed.addItem(f"{drill.speed:g}×", drill.speed)
            index = self.speed.count() - 1
        self.speed.setCurrentIndex(index)
        self._fill_injects(status)
        self._fill_team(status)
        self._turn(status.now)

    def _fill_injects(self, status: DrillStatus) -> None:
        table = self.injects
        table.setRowCount(len(status.injects))
        upcoming = status.upcoming
        following = upcoming[0].inject.key if upcoming else None
        for row, item in enumerate(status.injects):
            inject = item.inject
            state = STATE_TEXT[item.state]
            if inject.key == following:
                state = "next → " + state
            cells = (
                inject.offset_text,
                "",
                state,
                inject.condition_text or "—",
                inject.text,
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 4:
                    cell.setToolTip(text)
                if item.state in DONE_STATES:
                    cell.setForeground(QColor(muted_text()))
                if inject.key == following:
                    font = QFont(cell.font())
                    font.setBold(True)
                    cell.setFont(font)
                table.setItem(row, column, cell)
        free = status.drill.free_injects
        self.injects_heading.setText(
            f"Injects — {sum(s.state is InjectState.DELIVERED for s in status.injects)} of "
            f"{len(status.injects)} delivered, {len(upcoming)} to come"
            + (f", {free} free-text" if free else "")
        )
        table.resizeRowsToContents()

    def _fill_team(self, status: DrillStatus) -> None:
        table = self.team
        rows = sorted(status.team, key=lambda e: (e.at, e.id))
        table.setRowCount(len(rows))
        drill = status.drill
        for row, event in enumerate(rows):
            at = drill.elapsed(event.at) if event.at >= drill.started_at else timedelta(0)
            cells = (drill_clock_text(at), event.actor or "—", event.text)
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 2:
                    cell.setToolTip(text)
                table.setItem(row, column, cell)
        self.team_heading.setText(f"What the team did so far — {len(rows)} entries")
        if rows:
            table.scrollToBottom()
        table.resizeRowsToContents()

    def _turn(self, now: datetime) -> None:
        """The countdowns and the drill clock at `now`, from what was read."""
        status = self.status
        drill = status.drill
        self.clock_label.setText(drill_clock_text(drill.elapsed(now)))
        if drill.ended:
            state = "ended"
        elif drill.paused:
            state = "⏸ paused"
        else:
            state = f"running at {drill.speed:g}×"
        self.state_label.setText(f"drill clock · {state}")
        for row, item in enumerate(status.injects):
            cell = self.injects.item(row, 1)
            if cell is not None:
                cell.setText(_countdown(item, now, drill.paused))

    def on_tick(self, now: datetime) -> None:
        self._ticks += 1
        came = any(
            s.due_at is not None and s.due_at <= now and s.state is InjectState.UPCOMING
            for s in self.status.injects
        )
        if came:
            self.reload()  # an inject's time came: show it due, then delivered
        else:
            self._turn(now)
        if (
            self.tabs.currentWidget() is self.scorecard
            and not self.status.drill.ended
            and self._ticks % SCORE_EVERY == 0
        ):
            self.scorecard.refresh()  # clocks such as the update cadence run on

    def on_incident_changed(self, incident_id: int, kind: str) -> None:
        if incident_id != self.incident_id:
            return
        if kind == "deleted":
            self.close()
            return
        self.reload()

    def show_scorecard(self) -> ScorecardView:
        self.tabs.setCurrentWidget(self.scorecard)
        self.scorecard.refresh()
        return self.scorecard

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.scorecard:
            self.scorecard.refresh()

    # -- the facilitator's controls ------------------------------------------------------------
    def _act(self, what: str, action) -> bool:
        try:
            action()
        except ValidationError as exc:
            self.error.show_message(f"{what}: {exc.message}")
            return False
        self.error.clear_message()
        self.reload()
        return True

    def inject_now(self) -> bool:
        return self._act("Not injected", lambda: self._drills.inject_now(self.incident_id))

    def skip_next(self) -> bool:
        return self._act("Not skipped", lambda: self._drills.skip_next(self.incident_id))

    def toggle_pause(self) -> bool:
        if self.status.drill.paused:
            return self._act("Not resumed", lambda: self._drills.resume(self.incident_id))
        return self._act("Not paused", lambda: self._drills.pause(self.incident_id))

    def set_speed(self, speed: float) -> bool:
        return self._act(
            "Speed not changed", lambda: self._drills.set_speed(self.incident_id, speed)
        )

    def _speed_chosen(self, index: int) -> None:
        self.set_speed(float(self.speed.itemData(index)))

    def send_free_text(self) -> bool:
        text = self.free_edit.text()
        sent = self._act("Not injected", lambda: self._drills.inject_now(self.incident_id, text))
        if sent:
            self.free_edit.clear()
        return sent

    def end_drill(self, confirm: bool = True) -> bool:
        if confirm:
            left = len(self.status.upcoming)
            answer = QMessageBox.question(
                self,
                "End the drill?",
                f"End drill #{self.incident_id} now?"
                + (f" The {left} inject(s) not yet delivered will be dropped." if left else "")
                + "\n\nThe team can go on working the incident; the scorecard counts "
                "what it does until the incident is closed.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        ended = self._act("Not ended", lambda: self._drills.end(self.incident_id))
        if ended:
            self.show_scorecard()
        return ended


def _countdown(item: InjectStatus, now: datetime, paused: bool) -> str:
    if item.state is not InjectState.UPCOMING:
        return "—"
    if item.due_at is None:
        return "held" if paused else "—"
    return "in " + compact(item.due_at - now) if item.due_at > now else "due"


def _table(parent: QWidget, columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.setTabKeyNavigation(False)
    # Rows with air around the text: read at a glance, also on a projector.
    table.verticalHeader().setMinimumSectionSize(table.fontMetrics().lineSpacing() + 10)
    table.setStyleSheet("QTableView::item { padding: 0 6px; }")
    header = table.horizontalHeader()
    for column in range(len(columns) - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
    return table
