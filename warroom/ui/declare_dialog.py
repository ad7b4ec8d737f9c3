"""Declaring an incident: title, severity with its meaning, impact, impact start, IC."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.clock import Clock
from warroom.domain.incident import Incident
from warroom.domain.policy import Policy
from warroom.domain.severity import WHEN_UNSURE_HINT, Severity
from warroom.domain.validation import ValidationError
from warroom.services.incidents import IncidentService
from warroom.ui.qtime import EDIT_FORMAT, from_qdatetime, to_qdatetime
from warroom.ui.widgets import ErrorBanner


class DeclareDialog(QDialog):
    def __init__(
        self,
        service: IncidentService,
        clock: Clock,
        policy: Policy,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.declared: Incident | None = None
        self.setWindowTitle("Declare incident")
        self.setMinimumWidth(560)

        self.error = ErrorBanner(self)
        self.title_edit = QLineEdit(self)
        self.title_edit.setPlaceholderText("What is broken, in a few words")
        self.title_edit.setAccessibleName("Title")

        self.severity_group = QButtonGroup(self)
        severity_box = QVBoxLayout()
        severity_box.setSpacing(4)
        self.severity_buttons: dict[Severity, QRadioButton] = {}
        for severity in Severity:
            level = policy.for_severity(severity)
            button = QRadioButton(f"{severity.value}  —  {severity.meaning}", self)
            button.setToolTip(
                f"Respond {level.respond_within.within()}; "
                f"update stakeholders {level.update_every.every()}"
            )
            button.setAccessibleName(f"Severity {severity.value}")
            self.severity_group.addButton(button, severity.rank)
            self.severity_buttons[severity] = button
            severity_box.addWidget(button)
        hint = QLabel(WHEN_UNSURE_HINT, self)
        hint.setObjectName("hint")
        severity_box.addWidget(hint)

        self.impact_edit = QPlainTextEdit(self)
        self.impact_edit.setPlaceholderText("Who is affected, how many, what is at risk")
        self.impact_edit.setTabChangesFocus(True)
        self.impact_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.impact_edit.setAccessibleName("Impact summary")

        now = clock.now()
        self.started_edit = QDateTimeEdit(to_qdatetime(now), self)
        self.started_edit.setDisplayFormat(EDIT_FORMAT)
        self.started_edit.setCalendarPopup(True)
        self.started_edit.setMaximumDateTime(to_qdatetime(now))
        self.started_edit.setAccessibleName("Impact started")
        self.started_edit.setToolTip("Local time. Set it earlier if impact began before now.")

        self.commander_edit = QLineEdit(self)
        self.commander_edit.setPlaceholderText("Optional: who is in command")
        self.commander_edit.setAccessibleName("Incident commander")

        self.drill_check = QCheckBox("This is a drill or exercise", self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Title", self.title_edit)
        severity_label = QLabel("Severity", self)
        form.addRow(severity_label, severity_box)
        form.addRow("I&mpact", self.impact_edit)
        form.addRow("Impact &started", self.started_edit)
        form.addRow("&Commander", self.commander_edit)
        form.addRow("", self.drill_check)

        buttons = QDialogButtonBox(self)
        self.declare_button = buttons.addButton("Declare", QDialogButtonBox.ButtonRole.AcceptRole)
        self.declare_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.title_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def chosen_severity(self) -> Severity | None:
        rank = self.severity_group.checkedId()
        return None if rank < 0 else list(Severity)[rank]

    def accept(self) -> None:
        severity = self.chosen_severity()
        if severity is None:
            self._show_error("severity", "Choose a severity. When unsure, pick the higher one.")
            return
        try:
            self.declared = self._service.declare(
                self.title_edit.text(),
                severity,
                impact=self.impact_edit.toPlainText(),
                impact_started_at=from_qdatetime(self.started_edit.dateTime()),
                commander=self.commander_edit.text(),
                is_drill=self.drill_check.isChecked(),
            )
        except ValidationError as exc:
            self._show_error(exc.field, exc.message)
            return
        super().accept()

    def _show_error(self, field: str, message: str) -> None:
        self.error.show_message(message)
        focus = {
            "title": self.title_edit,
            "severity": self.severity_buttons[Severity.P0],
            "impact": self.impact_edit,
            "impact_started_at": self.started_edit,
            "commander": self.commander_edit,
        }.get(field)
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def has_input(self) -> bool:
        return bool(self.title_edit.text().strip() or self.impact_edit.toPlainText().strip())

    def reject(self) -> None:
        if self.has_input() and self.isVisible():
            answer = QMessageBox.question(
                self,
                "Discard declaration?",
                "The incident has not been declared. Discard what you typed?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
