"""Long evidence work (copying and hashing large files, verifying, exporting) off the GUI
thread. The worker touches no widget: it reports through signals, which Qt delivers on the
GUI thread, and it polls a cancel flag the GUI sets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

# A job receives (progress(done, total), cancelled()) and returns its result.
Job = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class _Runner(QObject):
    progress = Signal(object, object)  # bytes done, total (Python ints: sizes pass 2 GiB)
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # the exception

    def __init__(self, job: Job, cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel

    def run(self) -> None:
        try:
            result = self._job(
                lambda done, total: self.progress.emit(done, total), self._cancel.is_set
            )
        except BaseException as exc:  # handed to the GUI thread, which explains it
            self.failed.emit(exc)
            return
        self.finished.emit(result)


class BackgroundJob(QObject):
    """One job on its own thread. `done` carries the result, `error` the exception; the
    thread is cleaned up either way."""

    progress = Signal(object, object)
    done = Signal(object)
    error = Signal(object)

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread = QThread(self)
        self._runner = _Runner(job, self._cancel)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.finished.connect(self._finish_ok)
        self._runner.failed.connect(self._finish_error)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def running(self) -> bool:
        return self._thread.isRunning()

    def wait(self) -> None:
        self._thread.quit()
        self._thread.wait()

    def _finish_ok(self, result: Any) -> None:
        self.wait()
        self.done.emit(result)

    def _finish_error(self, exc: BaseException) -> None:
        self.wait()
        self.error.emit(exc)
