"""Declaring an incident: title, severity with its meaning, impact, when impact started, was
first detected and was declared (each with its zone), the commander, the affected service, and
whether it is a security incident or a drill."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
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
from warroom.ui.time_field import TimeField
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
        self.started_edit = TimeField(self, near=now, empty_text="when declared")
        self.started_edit.set_value(now)
        self.started_edit.setAccessibleName("Impact started")
        self.started_edit.setToolTip(
            "Set it earlier if impact began before now. " + self.started_edit.toolTip()
        )
        self.detected_edit = TimeField(self, near=now, empty_text="unknown")
        self.detected_edit.setAccessibleName("Detected (first alert)")
        self.detected_edit.setToolTip(
            "When the first alert fired or someone first noticed; leave it empty when "
            "unknown. " + self.detected_edit.toolTip()
        )
        self.declared_edit = TimeField(self, near=now, empty_text="now")
        self.declared_edit.set_value(now)
        self._opened_at = now
        self.declared_edit.setAccessibleName("Declared")
        self.declared_edit.setToolTip(
            "Now, unless the incident is being entered afterwards. " + self.declared_edit.toolTip()
        )
        self._time_fields = (self.started_edit, self.detected_edit, self.declared_edit)
        for field in self._time_fields:
            field.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 44)

        self.commander_edit = QLineEdit(self)
        self.commander_edit.setPlaceholderText("Optional: who is in command")
        self.commander_edit.setAccessibleName("Incident commander")

        self.service_edit = QLineEdit(self)
        self.service_edit.setPlaceholderText("Optional: the service affected, e.g. checkout")
        self.service_edit.setAccessibleName("Affected service")

        self.security_check = QCheckBox("Security incident", self)
        self.security_check.setToolTip(
            "A breach, an intrusion or exposed data: evidence is preserved before changes"
        )
        self.drill_check = QCheckBox("This is a drill or exercise", self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Title", self.title_edit)
        severity_label = QLabel("Severity", self)
        form.addRow(severity_label, severity_box)
        form.addRow("I&mpact", self.impact_edit)
        for text, field in (
            ("Impact &started", self.started_edit),
            ("&Detected (first alert)", self.detected_edit),
            ("Decla&red", self.declared_edit),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, self._with_message(field))
        form.addRow("&Commander", self.commander_edit)
        form.addRow("Affected ser&vice", self.service_edit)
        form.addRow("", self.security_check)
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

    @staticmethod
    def _with_message(field: TimeField) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(field.message)
        return column

    def chosen_severity(self) -> Severity | None:
        rank = self.severity_group.checkedId()
        return None if rank < 0 else list(Severity)[rank]

    def accept(self) -> None:
        severity = self.chosen_severity()
        if severity is None:
            self._show_error("severity", "Choose a severity. When unsure, pick the higher one.")
            return
        times = [field.value() for field in self._time_fields]
        for field in self._time_fields:
            if field.error_text():
                self._show_error("", field.error_text())
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        started, detected, declared = times
        if declared == self._opened_at:
            declared = None  # untouched: declared when the button is pressed
        try:
            self.declared = self._service.declare(
                self.title_edit.text(),
                severity,
                impact=self.impact_edit.toPlainText(),
                impact_started_at=started,
                commander=self.commander_edit.text(),
                is_drill=self.drill_check.isChecked(),
                declared_at=declared,
                detected_at=detected,
                is_security=self.security_check.isChecked(),
                service=self.service_edit.text(),
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
            "detected_at": self.detected_edit,
            "declared_at": self.declared_edit,
            "commander": self.commander_edit,
            "service": self.service_edit,
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
