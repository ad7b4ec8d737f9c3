"""The one shared 1 Hz tick that drives every clock on screen.

It reads the injected Clock on each tick (clocks are computed, never counted) and fires just
after each whole second, so all clocks turn over together. Tests create it with
`running=False` and call `tick()` after moving a fake clock.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from warroom.domain.clock import Clock


class Ticker(QObject):
    ticked = Signal(object)  # the current time, an aware datetime

    def __init__(self, clock: Clock, running: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self._running = running
        if running:
            self._arm()

    def tick(self) -> None:
        self.ticked.emit(self._clock.now())
        if self._running:
            self._arm()

    def _arm(self) -> None:
        micro = self._clock.now().microsecond
        # A few ms past the boundary, so "now" has surely turned over when we read it.
        self._timer.start(max(1, (1_000_000 - micro) // 1000 + 5))

    def stop(self) -> None:
        self._running = False
        self._timer.stop()
