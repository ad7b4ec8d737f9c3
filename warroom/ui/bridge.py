"""Turns the services' change sets (this process's commits, and other processes' read from
the change log) into one Qt signal; each window takes what touches it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from warroom.domain.changes import ChangeSet
    from warroom.services.incidents import IncidentService


class ServiceBridge(QObject):
    changed = Signal(object)  # domain.changes.ChangeSet

    def __init__(self, service: IncidentService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._unsubscribe = service.subscribe(self._on_change)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def _on_change(self, changes: ChangeSet) -> None:
        self.changed.emit(changes)
