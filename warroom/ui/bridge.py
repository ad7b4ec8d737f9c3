"""Turns the service's change announcements into a Qt signal every window can connect to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from warroom.services.incidents import Change, IncidentService


class ServiceBridge(QObject):
    incident_changed = Signal(int, str)  # incident id, EventKind value

    def __init__(self, service: IncidentService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._unsubscribe = service.subscribe(self._on_change)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def _on_change(self, change: Change) -> None:
        self.incident_changed.emit(change.incident_id, change.kind.value)
