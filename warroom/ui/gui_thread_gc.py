"""Python's cyclic garbage collector, run on the GUI thread only.

Python collects cycles in whichever thread happens to allocate when a generation fills up:
in the GUI process that may be the thread copying and hashing evidence, or the day's backup.
A Qt object caught in a cycle (a closed dialog's wrapper, a timer, an event loop) is then
destroyed on that thread while the GUI thread may be using it, and Qt forbids that: the
result is a crash some time later, in the event loop, far from its cause.

So while the window is up, automatic collection is off and a timer on the GUI thread
collects whatever generation Python itself would have collected by now. Between two checks
only cycles wait (everything else is freed by reference counting as usual), and a long
operation on the GUI thread is never interrupted by a collection.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, Qt, QTimer

CHECK_EVERY_MS = 1000


class GuiThreadCollector(QObject):
    """Collects on the thread it lives on, as often as Python would. Made on the GUI thread
    before any other thread that runs Python is started."""

    def __init__(self, parent: QObject | None = None, every_ms: int = CHECK_EVERY_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        # Coarse: Qt may fold its wake-up into one nearby, such as the board's 1 Hz tick.
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.setInterval(every_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def collect_due(self) -> int:
        """Collects the oldest generation whose count passed its threshold, as CPython's
        automatic collection would; returns how many objects were unreachable. (CPython
        also holds back a full collection while the heap grows; checked once a second,
        one comes at most every hundred seconds here anyway.)"""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        if counts[0] < thresholds[0]:
            return 0
        generation = 0
        while generation < 2 and counts[generation + 1] >= thresholds[generation + 1] > 0:
            generation += 1
        return gc.collect(generation)

    def stop(self) -> None:
        """Collects everything left here, then hands collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
