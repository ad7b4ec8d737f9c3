"""Small widgets shared by several windows."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class ErrorBanner(QLabel):
    """An inline message that says what is wrong and stays until the next attempt."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setWordWrap(True)
        self.setAccessibleName("Error message")
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.show()

    def clear_message(self) -> None:
        self.clear()
        self.hide()
