"""Incident → Start a drill…: pick a scenario and the drill clock's speed, and start it.

Starting declares the scenario's incident, marked [DRILL], with its plan on the timeline
(services.drills.start); the main window then opens the facilitator view on it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.drills import Scenario, offset_text
from warroom.domain.validation import ValidationError
from warroom.services.drills import DrillService
from warroom.ui.widgets import ErrorBanner, fit_to_screen

COLUMNS = ("Scenario", "Severity", "Security", "Injects", "Length")
# (speed, label): real time first, the default; faster clocks for a short session.
SPEEDS = (
    (1.0, "1× — real time"),
    (2.0, "2× — twice as fast"),
    (5.0, "5× — a drill minute in 12 s"),
    (10.0, "10× — a drill minute in 6 s"),
    (60.0, "60× — a drill minute in 1 s"),
)
NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class DrillStartDialog(QDialog):
    started = Signal(int)  # the drill incident's id

    def __init__(self, drills: DrillService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._drills = drills
        self.scenarios: list[Scenario] = drills.scenarios()
        self.started_id: int | None = None
        self.setWindowTitle("Start a drill — warroom")
        fit_to_screen(self, 900, 560)

        intro = QLabel(
            "A drill declares a practice incident, marked [DRILL] everywhere and left out of "
            "the metrics. Its injects arrive on the timeline on the drill clock; the team "
            "works it with the usual windows, and a scorecard says how it went.",
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.scenarios), len(COLUMNS), self)
        self.table.setAccessibleName("Scenarios")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the speed
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for row, scenario in enumerate(self.scenarios):
            cells = (
                scenario.title,
                scenario.severity.value,
                "yes" if scenario.security else "—",
                str(len(scenario.injects)),
                offset_text(scenario.length),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(NAME_ROLE, scenario.name)
                if column:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                else:
                    cell.setToolTip(scenario.title)
                self.table.setItem(row, column, cell)
        # Enter goes on to the dialog's default button (Start drill); a double click starts.
        self.table.doubleClicked.connect(lambda _index: self.start())
        self.table.itemSelectionChanged.connect(self._show_summary)

        self.summary = QLabel(self)
        self.summary.setObjectName("infoBanner")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.speed = QComboBox(self)
        self.speed.setAccessibleName("Drill clock speed")
        for value, label in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setCurrentIndex(0)
        form = QFormLayout()
        form.addRow("Drill clock &speed", self.speed)
        self.error = ErrorBanner(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.start_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.start_button.setText("&Start drill")
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        heading = QLabel("&Scenario", self)
        heading.setObjectName("sectionHeading")
        heading.setBuddy(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        if self.scenarios:
            self.table.selectRow(0)
            self.table.setFocus()
        else:
            self.error.show_message(
                "No drill scenario is installed. Put scenario files (.toml) in the drills "
                "folder of warroom's settings; 'warroom drill check FILE' checks one."
            )
            self.start_button.setEnabled(False)
        self._show_summary()

    def selected(self) -> Scenario | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.scenarios[rows[0].row()]

    def select(self, name: str) -> None:
        for row, scenario in enumerate(self.scenarios):
            if scenario.name == name:
                self.table.selectRow(row)
                return
        raise LookupError(name)

    def set_speed(self, speed: float) -> None:
        self.speed.setCurrentIndex(self.speed.findData(speed))

    def _show_summary(self) -> None:
        scenario = self.selected()
        self.start_button.setEnabled(scenario is not None)
        if scenario is None:
            self.summary.hide()
            return
        lines = [scenario.summary or scenario.title, f"Impact: {scenario.impact}"]
        if scenario.security:
            lines.append("Security incident: preserve evidence before any change.")
        self.summary.setText("\n".join(line for line in lines if line.strip()))
        self.summary.show()
        self.error.clear_message()

    def start(self) -> None:
        if self.started_id is not None:
            return  # one drill per dialog, however many times Enter is pressed
        scenario = self.selected()
        if scenario is None:
            self.error.show_message("Choose a scenario first.")
            return
        speed = float(self.speed.currentData())
        try:
            incident = self._drills.start(scenario, speed)
        except ValidationError as exc:
            self.error.show_message(f"The drill was not started: {exc.message}")
            return
        self.started_id = incident.id
        self.started.emit(incident.id)
        self.accept()
