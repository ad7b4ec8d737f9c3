"""While a write waits for another warroom (another window on the same file) to finish
writing, the user sees it: the main window's status bar says so and the cursor is busy,
instead of a frozen window or a "database is locked" failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from warroom.services.incidents import IncidentService

WAITING_TEXT = "Waiting for the other warroom window to finish writing…"


class WaitingIndicator(QObject):
    # Emitted on the writing thread. On the GUI thread the slot runs at once, inside the
    # wait (which blocks the event loop, so it paints by hand); from a worker it is queued.
    waiting = Signal(bool)

    def __init__(self, service: IncidentService, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._waits = 0  # writes waiting now (a worker's and the GUI's can overlap)
        self.waiting.connect(self._show)
        unsubscribe = service.when_waiting(self.waiting.emit)
        self.destroyed.connect(lambda *_: unsubscribe())

    def _show(self, waiting: bool) -> None:
        bar = self._window.statusBar()
        if waiting:
            self._waits += 1
            if self._waits == 1:
                QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
                bar.showMessage(WAITING_TEXT)
                bar.repaint()
        elif self._waits > 0:
            self._waits -= 1
            if self._waits == 0:
                QGuiApplication.restoreOverrideCursor()
                if bar.currentMessage() == WAITING_TEXT:
                    bar.clearMessage()
