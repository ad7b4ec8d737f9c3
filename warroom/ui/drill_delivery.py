"""Delivering drill injects from the app, on the board's 1 Hz tick.

The tick itself never reads the database: what is running and when the next inject falls
due are cached, and read again only after a change set touches a drill (this process's or
another warroom's on the same file) or after a delivery. Newly delivered injects, whoever
delivered them (this app, `warroom drill run`, another laptop), are announced once through
`notify`; the timeline windows learn of them from the usual change announcements.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from warroom.domain.changes import ChangeSet, Part

if TYPE_CHECKING:
    from warroom.services.graph import Services

INJECT_MARK = "inject"  # data["drill"] of a delivered inject (domain.drill_run.Mark.INJECT)


class DrillDelivery(QObject):
    """Keeps the running drills' injects flowing while the app is open."""

    running_changed = Signal(object)  # list[int]: the running drills' incident ids

    def __init__(
        self,
        services: Services,
        notify: Callable[[str, str], None],
        error: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._notify = notify
        self._error = error
        self._stale = True  # read on the first tick, not during start-up
        self._running: list[int] = []
        self._next_due: datetime | None = None
        self._seen: set[int] | None = None  # inject events already announced (event ids)

    @property
    def running(self) -> list[int]:
        return list(self._running)

    @property
    def next_due(self) -> datetime | None:
        return self._next_due

    def on_changes(self, changes: ChangeSet) -> None:
        """A change to a running drill, or a new or changed incident (perhaps a drill just
        declared), means reading again at the next tick."""
        for change in changes.changes:
            drafts_only = change.parts <= {Part.DRAFTS}  # text being typed: no drill news
            ours = change.incident_id in self._running and not drafts_only
            if ours or change.parts & {Part.INCIDENT, Part.DELETED}:
                self._stale = True
                return

    def on_tick(self, now: datetime) -> None:
        if self._stale:
            self.refresh(now)
        if self._next_due is None or now < self._next_due:
            return  # nothing due: no read, no write
        from warroom.domain.validation import ValidationError

        try:
            self._services.drills.deliver_due(now)
        except ValidationError as exc:  # a busy or read-only file: the next tick tries again
            self._error(exc.message)
        self.refresh(now)

    def refresh(self, now: datetime) -> None:
        """Reads what runs and when the next inject is due; announces new injects."""
        from warroom.domain.validation import ValidationError

        drills = self._services.drills
        try:
            running = drills.running()
            self._next_due = drills.next_due_at(now, running=running)
            fresh = self._new_injects(running)
        except ValidationError as exc:
            self._error(exc.message)
            return
        self._stale = False
        for incident_id, text in fresh:
            self._notify(f"warroom: drill #{incident_id}", text)
        if running != self._running:
            self._running = running
            self.running_changed.emit(list(running))

    def _new_injects(self, running: list[int]) -> list[tuple[int, str]]:
        """The inject notes not seen before; at the first read, none (they were delivered
        before the app opened, and the timeline shows them)."""
        found: list[tuple[int, int, str]] = []
        for incident_id in running:
            for event in self._services.incidents.timeline(incident_id):
                if event.data.get("drill") == INJECT_MARK and event.id is not None:
                    found.append((event.id, incident_id, event.text))
        first = self._seen is None
        seen = self._seen or set()
        fresh = [
            (incident_id, text) for event_id, incident_id, text in found if event_id not in seen
        ]
        self._seen = seen | {event_id for event_id, _, _ in found}
        return [] if first else fresh
