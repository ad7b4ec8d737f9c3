"""Who is at this keyboard: the name on every timeline entry, asked once and kept in the
settings (Incident → Your name… changes it)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.validation import ValidationError
from warroom.system import atomic
from warroom.system.paths import resolve_paths
from warroom.system.settings import MAX_NAME, save_display_name
from warroom.ui.widgets import ErrorBanner


class YourNameDialog(QDialog):
    named = Signal(str)  # the name as kept

    def __init__(self, current: str, first_time: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your name — warroom")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel(
            (
                "Who is at this keyboard? Your name goes on every timeline entry you make, "
                "and acknowledging an incident makes you its incident commander.\n\n"
                if first_time
                else "The name on the timeline entries you make from now on.\n\n"
            )
            + "Incident → Your name… changes it later.",
            self,
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(current, self)
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText("e.g. Dana Whitfield")
        self.name_edit.setMaxLength(MAX_NAME)
        self.error = ErrorBanner(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            "Not now" if first_time else "Cancel"
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def save(self) -> None:
        settings = resolve_paths().settings_file
        try:
            name = save_display_name(settings, self.name_edit.text())
        except ValidationError as exc:
            self.error.show_message(exc.message)
            self.name_edit.setFocus()
            return
        except OSError as exc:
            self.error.show_message(f"Not saved: cannot write {settings}: {atomic.why(exc)}")
            return
        self.named.emit(name)
        self.accept()
