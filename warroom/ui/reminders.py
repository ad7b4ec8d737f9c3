"""Reminders on screen: a desktop notification (and an optional sound) when one falls due,
a strip on the board with snooze buttons for the most urgent of what is due (the rest are in
the reminders list, ui/reminders_list.py), and the incident's board row highlighted.
Computed at each tick from stored deadlines (domain/reminders.py) and in-memory data; the
database is read only when the data changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QWidget,
)

from warroom.domain.reminders import (
    Reminder,
    ReminderKind,
    Upcoming,
    due_among,
    incident_reminders,
    next_change,
    work_reminders,
)
from warroom.ui.row_strip import RowStrip, snooze_button

if TYPE_CHECKING:
    from warroom.domain.incident import Incident
    from warroom.domain.mitigation import Mitigation
    from warroom.domain.policy import Policy
    from warroom.domain.reminders import RotatingEvidence
    from warroom.services.incidents import IncidentService


class DesktopNotifier:
    """The system tray's notification where there is one; the status bar otherwise."""

    def __init__(self, window: QWidget, fallback: Callable[[str], None]) -> None:
        self._fallback = fallback
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(window.windowIcon(), window)
            self._tray.show()

    def __call__(self, title: str, text: str) -> None:
        if self._tray is not None and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 15_000)
        self._fallback(f"{title}: {text}")


class _Row(QFrame):
    def __init__(self, reminder: Reminder, strip: ReminderStrip) -> None:
        super().__init__(strip)
        self.reminder = reminder
        self.setObjectName("checkBackDue")
        self.label = QLabel(f"⚠ {reminder.text}", self)
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.label, 1)
        open_button = QPushButton("Open", self)
        open_button.setAccessibleName(f"Open incident #{reminder.incident_id}")
        open_button.clicked.connect(lambda: strip.open_requested.emit(reminder.incident_id))
        layout.addWidget(open_button)
        open_button.setAutoDefault(False)
        self.snooze = snooze_button(
            self,
            f"Snooze: {reminder.text}",
            lambda minutes: strip.snooze_requested.emit(reminder, minutes),
        )
        layout.addWidget(self.snooze)


class ReminderStrip(RowStrip[_Row]):
    """What is due now. Check-backs are asked in their own strip (with worked / did not
    work), so they are left out here."""

    snooze_requested = Signal(object, int)  # Reminder, minutes
    open_requested = Signal(int)  # incident id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reminders", parent)

    def show_reminders(self, reminders: list[Reminder]) -> None:
        shown = [r for r in reminders if r.kind is not ReminderKind.CHECK_BACK_DUE]
        self.replace_rows(shown, lambda r: _Row(r, self))


class ReminderCenter(QObject):
    """Announces each reminder once, when it falls due (or at start-up if it fell due
    while the app was closed), and keeps the strip and the highlighted rows current."""

    due_changed = Signal(object)  # list[Reminder]

    def __init__(
        self,
        service: IncidentService,
        policy: Policy,
        incidents: Callable[[], list[Incident]],
        check_backs: Callable[[], list[Mitigation]],
        rotating: Callable[[], list[RotatingEvidence]],
        notify: Callable[[str, str], None],
        sound: Callable[[], bool],
        parent: QObject | None = None,
        revision: Callable[[], int] | None = None,
    ) -> None:
        """`revision` changes whenever `incidents` would answer differently (the board
        model's); without it the reminders are worked out again on every tick."""
        super().__init__(parent)
        self._service = service
        self._policy = policy
        self._incidents = incidents
        self._check_backs = check_backs
        self._rotating = rotating
        self.notify = notify
        self._sound = sound
        self.snoozed: dict[str, datetime] = service.snoozes()
        self._announced: set[str] = set()
        self.due: list[Reminder] = []
        self._revision = revision
        # What the reminders were last worked out from, and until when they hold.
        self._upcoming: list[Upcoming] | None = None
        self._seen: tuple[int | None, object, object] | None = None
        self._seen_snoozed: dict[str, datetime] = {}
        self._last_now: datetime | None = None
        self._holds_until: datetime | None = None
        self._by_incident: dict[int, tuple[Incident, list[Upcoming]]] = {}

    def on_tick(self, now: datetime) -> None:
        if self._unchanged_since_last_tick(now):
            return
        assert self._upcoming is not None
        self._seen_snoozed = dict(self.snoozed)
        self._last_now = now
        self._holds_until = next_change(self._upcoming, now, self.snoozed)
        due = due_among(self._upcoming, now, self.snoozed)
        fresh = [r for r in due if r.key not in self._announced]
        for reminder in fresh:
            self.notify(f"warroom: {reminder.kind.label}", reminder.text)
        if fresh and self._sound():
            QApplication.beep()
        # A snoozed reminder is announced again when its snooze ends.
        self._announced = {r.key for r in due}
        if due != self.due:
            self.due = due
            self.due_changed.emit(due)

    def _unchanged_since_last_tick(self, now: datetime) -> bool:
        """True when nothing can have fallen due: the same data and snoozes, and the clock
        short of the next reminder's moment. Otherwise works out what the data holds again
        if the data changed (the 1 Hz tick stays free of the per-incident work)."""
        check_backs, rotating = self._check_backs(), self._rotating()
        revision = self._revision() if self._revision is not None else None
        seen = self._seen
        same_data = (
            self._upcoming is not None
            and seen is not None
            and revision is not None
            and revision == seen[0]
            and check_backs is seen[1]  # the board replaces these lists, never edits them
            and rotating is seen[2]
        )
        if not same_data:
            self._upcoming = self._work_out(check_backs, rotating)
            self._seen = (revision, check_backs, rotating)
            return False
        return (
            self.snoozed == self._seen_snoozed
            and self._last_now is not None
            and self._last_now <= now
            and (self._holds_until is None or now < self._holds_until)
        )

    def _work_out(
        self, check_backs: list[Mitigation], rotating: list[RotatingEvidence]
    ) -> list[Upcoming]:
        """`upcoming_reminders`, reusing the reminders of every incident the board still
        holds as the same object (a change replaces only the incidents it touched)."""
        found: list[Upcoming] = []
        titles: dict[int, str] = {}
        kept: dict[int, tuple[Incident, list[Upcoming]]] = {}
        for incident in self._incidents():
            if not incident.status.is_open:
                continue
            titles[incident.id] = incident.title
            known = self._by_incident.get(incident.id)
            if known is not None and known[0] is incident:
                own = known[1]
            else:
                own = incident_reminders(incident, self._policy)
            kept[incident.id] = (incident, own)
            found += own
        self._by_incident = kept
        return found + work_reminders(check_backs, rotating, titles)

    def snooze(self, reminder: Reminder, minutes: int, now: datetime) -> None:
        until = self._service.snooze_reminder(
            reminder.incident_id, reminder.key, reminder.kind.label, minutes
        )
        self.snoozed[reminder.key] = until
        self.on_tick(now)
