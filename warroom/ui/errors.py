"""Errors a user must see: unhandled exceptions get a dialog instead of vanishing."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from warroom.services.ports import StorageUnavailable

log = logging.getLogger("warroom.ui")
qt_log = logging.getLogger("warroom.qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages() -> None:
    qInstallMessageHandler(lambda kind, _ctx, message: qt_log.log(_QT_LEVELS[kind], message))


# Told when a read found a shared war room unreachable (the main window's banner).
_unreachable_handlers: list[Callable[[str], None]] = []


def when_storage_unavailable(handler: Callable[[str], None]) -> Callable[[], None]:
    """`handler(message)` instead of the error dialog when something on screen could not
    read a shared war room whose server went away. Returns a function that unsubscribes."""
    _unreachable_handlers.append(handler)
    return lambda: _unreachable_handlers.remove(handler)


def install_exception_hook(log_file: object) -> None:
    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if isinstance(error, StorageUnavailable) and _unreachable_handlers:
            log.warning("%s", error.message)  # the banner says it; nothing is lost
            for handler in list(_unreachable_handlers):
                handler(error.message)
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("unhandled exception\n%s", details)
        if QApplication.instance() is None:
            sys.__excepthook__(kind, error, tb)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "warroom: unexpected error", "")
        box.setText(
            "Something went wrong inside warroom. Everything you saw as saved is saved; "
            "the last action may not have completed."
        )
        box.setInformativeText(f"{kind.__name__}: {error}\n\nDetails are in {log_file}.")
        box.setDetailedText(details)
        box.exec()

    sys.excepthook = hook


def show_policy_warnings(parent: QWidget | None, warnings: list[str]) -> None:
    for warning in warnings:
        box = QMessageBox(QMessageBox.Icon.Warning, "Policy file ignored", warning, parent=parent)
        box.open()
