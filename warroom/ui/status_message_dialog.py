"""A stakeholder message from a template: the comms lead edits it, copies it with one
keystroke, and marks it sent, which records it and restarts the update clock."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.incident import Incident
from warroom.domain.validation import ValidationError
from warroom.services.postmortems import MESSAGE_LABELS, MessageKind, PostmortemService
from warroom.ui.keys import Key, bind
from warroom.ui.update_dialog import AudienceChecks
from warroom.ui.widgets import ErrorBanner, fit_to_screen

TRENDS = ("", "improving", "stable", "worsening")
MESSAGE_KEYS = (
    Key("Ctrl+Shift+C", "Copy the text to the clipboard", "copy"),
    Key("Ctrl+Return", "Mark sent (restarts the update clock)", "mark_sent"),
)


def default_kind(incident: Incident) -> MessageKind:
    if not incident.status.is_open:
        return MessageKind.RESOLUTION
    if incident.last_update_at is None:
        return MessageKind.INITIAL
    return MessageKind.UPDATE


class StatusMessageDialog(QDialog):
    def __init__(
        self, incident_id: int, postmortems: PostmortemService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self._service = postmortems
        incident = postmortems.incidents.get(incident_id)
        self.setWindowTitle(f"Stakeholder message — #{incident.id} {incident.title}")
        fit_to_screen(self, 760, 560)
        self._edited = False

        self.kind_combo = QComboBox(self)
        self.kind_combo.setAccessibleName("Message")
        for kind in MessageKind:
            self.kind_combo.addItem(MESSAGE_LABELS[kind], kind.value)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(default_kind(incident).value))
        self.plain_check = QCheckBox("&Plain text (SMS, phone bridge)", self)
        self.trend_combo = QComboBox(self)
        self.trend_combo.setAccessibleName("Impact trend")
        for trend in TRENDS:
            self.trend_combo.addItem(trend or "—", trend)
        self.eta_edit = QLineEdit(self)
        self.eta_edit.setAccessibleName("ETA")
        self.eta_edit.setPlaceholderText("unknown")
        self.audiences = AudienceChecks(postmortems.incidents.policy.communication.audiences, self)
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setAccessibleName("Message text")
        self.text_edit.textChanged.connect(self._typed)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.reset_button = QPushButton("&Reset to template", self)
        self.copy_button = QPushButton("&Copy  Ctrl+Shift+C", self)
        self.copy_button.setAccessibleName("Copy to the clipboard")
        self.sent_button = QPushButton("Mark &sent  Ctrl+Enter", self)
        self.sent_button.setAccessibleName("Mark sent")
        close = QPushButton("Close", self)
        # Enter in a field must never mark a message sent by accident: Ctrl+Enter does.
        for button in (self.reset_button, self.copy_button, self.sent_button, close):
            button.setAutoDefault(False)
        self.error = ErrorBanner(self)
        self.done_label = QLabel(self)
        self.done_label.setObjectName("infoBanner")
        self.done_label.setWordWrap(True)
        self.done_label.hide()

        # Another message, or plain text instead of Markdown, is another template: the text
        # follows, asking first when the comms lead has edited it.
        self.kind_combo.currentIndexChanged.connect(lambda *_: self._switch_template())
        self.plain_check.toggled.connect(lambda *_: self._switch_template())
        self.trend_combo.currentIndexChanged.connect(lambda *_: self.fill_text())
        self.eta_edit.textEdited.connect(lambda _t: self.fill_text())
        self.ask = self._ask_replace
        self.reset_button.clicked.connect(self.reset)
        self.copy_button.clicked.connect(self.copy)
        self.sent_button.clicked.connect(self.mark_sent)
        close.clicked.connect(self.reject)
        bind(self, MESSAGE_KEYS)

        form = QFormLayout()
        form.addRow("Message", self.kind_combo)
        form.addRow("", self.plain_check)
        form.addRow("Impact trend", self.trend_combo)
        form.addRow("ETA", self.eta_edit)
        form.addRow("Sent to", self.audiences)
        self._update_only = [form.labelForField(self.trend_combo), self.trend_combo]
        self._update_only += [form.labelForField(self.eta_edit), self.eta_edit]
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for button in (self.reset_button, self.copy_button, self.sent_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.done_label)
        layout.addLayout(buttons)
        self.fill_text()

    def kind(self) -> MessageKind:
        return MessageKind(self.kind_combo.currentData())

    def fill_text(self) -> None:
        """Fills the text from the template, unless the comms lead has edited it."""
        for widget in self._update_only:
            widget.setVisible(self.kind() is MessageKind.UPDATE)
        if self._edited:
            return
        text = self._service.status_message(
            self.incident_id,
            self.kind(),
            plain=self.plain_check.isChecked(),
            trend=self.trend_combo.currentData(),
            eta=self.eta_edit.text().strip(),
        )
        self._setting = True
        self.text_edit.setPlainText(text)
        self._setting = False
        self._template = (self.kind(), self.plain_check.isChecked())
        self._count()

    _template: tuple[MessageKind, bool] | None = None  # the kind and form the text is in

    def _switch_template(self) -> None:
        """The text is replaced by the chosen message in the chosen form (Markdown or plain
        text); edits are replaced only if the comms lead agrees, else the choice goes back."""
        if self._edited and self.sent_button.isEnabled() and not self.ask():
            kind, plain = self._template or (self.kind(), self.plain_check.isChecked())
            for widget in (self.kind_combo, self.plain_check):
                widget.blockSignals(True)
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind.value))
            self.plain_check.setChecked(plain)
            for widget in (self.kind_combo, self.plain_check):
                widget.blockSignals(False)
            return
        self._edited = False
        self.fill_text()

    def _ask_replace(self) -> bool:
        form = "plain text" if self.plain_check.isChecked() else "Markdown"
        answer = QMessageBox.question(
            self,
            "Replace the edited message?",
            f"You have edited this message. Switch to the {MESSAGE_LABELS[self.kind()]} "
            f"in {form} and lose your edits?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    _setting = False

    def _typed(self) -> None:
        if not self._setting:
            self._edited = True
            self.reset_button.setEnabled(True)
        self._count()

    def _count(self) -> None:
        self.count_label.setText(f"{len(self.text_edit.toPlainText())} characters")
        self.reset_button.setEnabled(self._edited)

    def reset(self) -> None:
        self._edited = False
        self.fill_text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text_edit.toPlainText())
        self.count_label.setText("Copied to the clipboard")

    def mark_sent(self) -> None:
        text = self.text_edit.toPlainText()
        try:
            if not text.strip():
                raise ValidationError("message", "The message is empty: nothing was sent.")
            incident = self._service.incidents.mark_update_sent(
                self.incident_id,
                MESSAGE_LABELS[self.kind()],
                text,
                audiences=self.audiences.chosen(),
            )
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return
        self.error.clear_message()
        label = MESSAGE_LABELS[self.kind()]
        self.done_label.setText(f"{label} marked sent; the update clock has restarted.")
        self.done_label.show()
        self.sent_incident = incident
        self.sent_button.setEnabled(False)  # once: a second press would record a second update
        self._edited = False

    def reject(self) -> None:
        """Closing with an edited, unsent message asks first: it would be lost."""
        if self._edited and self.sent_button.isEnabled():
            answer = QMessageBox.question(
                self,
                "Discard the message?",
                "The edited message has not been marked sent. Close and lose the edits?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
