"""The "Stakeholder update sent" dialog: what was said, or where it was posted, to whom, and when.

Small on purpose: one line of what the update said (required unless "posted elsewhere" says
where), the audiences from the policy as checkboxes, and the time (now unless changed).
Enter records it through IncidentService.mark_update_sent; Esc cancels. A refusal is shown
in the dialog and everything typed stays, to correct and try again."""

from __future__ import annotations

from datetime import datetime

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.incident import Incident
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.incidents import IncidentService
from warroom.ui.time_field import TimeField
from warroom.ui.widgets import ErrorBanner


class AudienceChecks(QWidget):
    """One checkbox per audience the policy lists, in its order."""

    def __init__(self, audiences: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boxes: list[QCheckBox] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        for name in audiences:
            box = QCheckBox(name, self)
            box.setAccessibleName(f"Sent to {name}")
            self.boxes.append(box)
            row.addWidget(box)
        row.addStretch(1)

    def chosen(self) -> tuple[str, ...]:
        return tuple(box.text() for box in self.boxes if box.isChecked())

    def choose(self, *names: str) -> None:
        for box in self.boxes:
            box.setChecked(box.text() in names)


class UpdateDialog(QDialog):
    def __init__(
        self,
        service: IncidentService,
        incident_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.incident_id = incident_id
        self.recorded: Incident | None = None
        self._return_to = QApplication.focusWidget()  # where the user was typing
        incident = service.get(incident_id)
        self.setWindowTitle(f"Stakeholder update sent — #{incident.id}")

        title = QLabel(f"#{incident.id} {incident.shown_title}", self)
        title.setObjectName("dialogTitle")
        title.setWordWrap(True)
        self.summary_edit = QLineEdit(self)
        self.summary_edit.setAccessibleName("What the update said")
        self.summary_edit.setPlaceholderText(
            "e.g. Root cause found, fix deploying; next update 15:00"
        )
        self.summary_edit.setMinimumWidth(420)
        self.elsewhere_edit = QLineEdit(self)
        self.elsewhere_edit.setAccessibleName("Posted elsewhere")
        self.elsewhere_edit.setPlaceholderText("where, e.g. status page, #incidents")
        self.audiences = AudienceChecks(service.policy.communication.audiences, self)
        # The same zone-aware field as every other time: "09:10 Europe/London" is exact.
        self.when_edit = TimeField(self, near=service.now(), empty_text="now")
        self.when_edit.setAccessibleName("When it went out")
        self.when_edit.set_value(service.now())
        self.when_edit.setMinimumWidth(self.when_edit.fontMetrics().horizontalAdvance("M" * 30))
        self.when_edit.edited.connect(self._time_edited)
        self._time_live = True
        now_button = QToolButton(self)
        now_button.setText("Now")
        now_button.setAccessibleName("When: now")
        now_button.clicked.connect(self._time_to_now)
        hint = QLabel("Say what was said, or where it was posted (or both).", self)
        hint.setObjectName("hint")
        self.error = ErrorBanner(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Record update")
        ok.setDefault(True)  # Enter in any field records; Esc cancels
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        when = QHBoxLayout()
        when.setSpacing(6)
        when.addWidget(self.when_edit, 1)
        when.addWidget(now_button)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("&What was said", self.summary_edit)
        form.addRow("&Posted elsewhere", self.elsewhere_edit)
        form.addRow("Sent to", self.audiences)
        when_label = QLabel("W&hen", self)
        when_label.setBuddy(self.when_edit)
        form.addRow(when_label, when)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.summary_edit.setFocus()

    def _time_edited(self, *_args: object) -> None:
        self._time_live = False
        self._confirm_next = False  # another time: asked about afresh

    def _time_to_now(self) -> None:
        self.when_edit.set_value(self._service.now())
        self._time_live = True

    def when(self) -> datetime | None:
        """None for now; else the time typed."""
        return None if self._time_live else self.when_edit.value()

    def accept(self) -> None:
        """Records the update; on a refusal the dialog stays open with what was typed."""
        at = self.when()
        if at is None and not self._time_live:  # never "now" in place of a time mistyped
            reason = self.when_edit.error_text() or "the time is empty"
            self.error.show_message(
                f"Not recorded: {reason.rstrip('.')}. Type when it went out, or press Now."
            )
            return
        try:
            self.recorded = self._record(at, confirmed=False)
        except NeedsConfirmation as exc:
            self.error.show_message(
                f"{exc.message} Not recorded: correct the time, or press Record update "
                "again to record it as it is."
            )
            self._confirm_next = True
            return
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return
        super().accept()

    def done(self, result: int) -> None:
        """Closed either way: the user goes on typing where they were."""
        super().done(result)
        back = self._return_to
        if back is not None and shiboken6.isValid(back) and back.isVisible():
            back.window().activateWindow()
            back.setFocus(Qt.FocusReason.OtherFocusReason)

    _confirm_next = False  # the time was questioned once: the second press records it

    def _record(self, at: datetime | None, confirmed: bool) -> Incident:
        sure = confirmed or self._confirm_next
        self._confirm_next = False
        return self._service.mark_update_sent(
            self.incident_id,
            self.summary_edit.text(),
            at=at,
            audiences=self.audiences.chosen(),
            elsewhere=self.elsewhere_edit.text(),
            confirmed=sure,
        )
