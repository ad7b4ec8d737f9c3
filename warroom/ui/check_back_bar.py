"""The check-back strip: each applied mitigation still unverified, with its countdown, and
once the time-box is up the question "Did it work?" with worked / did not work; in the
detailed strip (the wizard's) the four outcomes (worked, partly, no effect, made it worse)
and Park for a step waiting on a third party, whose row stays to be answered later."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from warroom.domain.durations import compact
from warroom.domain.mitigation import ANSWERS, Outcome
from warroom.ui.row_strip import RowStrip, restyle, snooze_button

if TYPE_CHECKING:  # the board paints before the service stack is imported
    from warroom.services.mitigation import PendingCheckBack


class _Row(QFrame):
    def __init__(self, pending: PendingCheckBack, with_incident: bool, bar: CheckBackBar) -> None:
        super().__init__(bar)
        self.pending = pending
        self.due: bool | None = None
        mitigation = pending.mitigation
        self.prefix = f"#{pending.incident.id} {pending.incident.title} — " if with_incident else ""
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        subject = mitigation.subject
        self.worked = QPushButton("Worked", self)
        self.worked.setAccessibleName(f"{subject} worked")
        self.worked.clicked.connect(lambda: bar.answered.emit(mitigation.id, True))
        self.failed = QPushButton("Did not work", self)
        self.failed.setAccessibleName(f"{subject} did not work")
        self.failed.clicked.connect(lambda: bar.answered.emit(mitigation.id, False))
        # The detailed strip's answers: one button per outcome, and Park.
        self.outcomes: dict[Outcome, QPushButton] = {}
        for outcome, text in zip(ANSWERS, OUTCOME_BUTTONS, strict=True):
            button = QPushButton(text, self)
            button.setAccessibleName(f"{subject} {outcome.label}")
            button.clicked.connect(
                lambda _c=False, o=outcome: bar.outcome_chosen.emit(mitigation.id, o.value)
            )
            self.outcomes[outcome] = button
        self.park = QPushButton("Park", self)
        self.park.setAccessibleName(f"Park {subject}: waiting on a third party")
        self.park.setToolTip(
            "Waiting on a third party: record it as parked. It no longer holds up "
            "“mitigated”; answer it here when it lands."
        )
        self.park.clicked.connect(lambda: bar.park_requested.emit(mitigation.id))
        self.park.setVisible(bar.detailed and not mitigation.parked)
        self.worked.setVisible(not bar.detailed)
        self.failed.setVisible(not bar.detailed)
        for button in self.outcomes.values():
            button.setVisible(bar.detailed)
        self.snooze = snooze_button(
            self,
            f"Snooze the check-back of {subject}",
            lambda minutes: bar.snooze_requested.emit(mitigation.id, minutes),
        )
        self.snooze.setVisible(bar.snoozable)
        self.bar = bar
        for button in (self.worked, self.failed, self.park, *self.outcomes.values()):
            button.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.worked)
        layout.addWidget(self.failed)
        for button in self.outcomes.values():
            layout.addWidget(button)
        layout.addWidget(self.park)
        layout.addWidget(self.snooze)

    def show_at(self, now: datetime) -> None:
        mitigation = self.pending.mitigation
        if mitigation.parked:
            self.label.setText(
                f"⏸ {self.prefix}“{mitigation.subject}” is parked, waiting on a third party. "
                "Say how it went once it lands."
            )
            self._restyle(False)
            return
        snoozed_until = self.bar.snoozed.get(f"check_back:{mitigation.id}")
        if snoozed_until is not None and snoozed_until > now:
            subject = mitigation.subject
            self.label.setText(
                f"◷ {self.prefix}Check-back of “{subject}” snoozed: asks again in "
                f"{compact(snoozed_until - now)}"
            )
            self._restyle(False)
            return
        due = mitigation.check_back_due(now)
        assert mitigation.check_back_at is not None
        if due:
            late = compact(now - mitigation.check_back_at)
            text = f"⚠ Check back now: {self.prefix}{mitigation.question}  (due {late} ago)"
        else:
            left = compact(mitigation.check_back_at - now)
            subject = mitigation.subject
            text = f"◷ {self.prefix}Checking “{subject}”: check back in {left}"
        self.label.setText(text)
        self._restyle(due)

    def _restyle(self, due: bool) -> None:
        self.snooze.setEnabled(due)
        if due != self.due:  # restyle only when the state changes, not every tick
            self.due = due
            restyle(self, "checkBackDue" if due else "checkBackPending")
            self.worked.setDefault(due and not self.bar.detailed)
            self.outcomes[Outcome.WORKED].setDefault(due and self.bar.detailed)


OUTCOME_BUTTONS = ("Worked", "Partly", "No effect", "Made it worse")  # ANSWERS, in order


class CheckBackBar(RowStrip[_Row]):
    """Rows are rebuilt only when the set of pending mitigations changes; a tick updates
    their text."""

    answered = Signal(int, bool)  # mitigation id, worked
    outcome_chosen = Signal(int, str)  # mitigation id, Outcome value (the detailed strip)
    park_requested = Signal(int)  # mitigation id (the detailed strip)
    snooze_requested = Signal(int, int)  # mitigation id, minutes

    def __init__(
        self,
        with_incident: bool,
        parent: QWidget | None = None,
        snoozable: bool = False,
        detailed: bool = False,
    ) -> None:
        super().__init__("Mitigation check-backs", parent)
        self.snoozable = snoozable
        self.detailed = detailed
        self.snoozed: dict[str, datetime] = {}  # reminder key -> until, shared with reminders
        self.setObjectName("checkBackBar")
        self._with_incident = with_incident

    def set_pending(self, pending: list[PendingCheckBack], now: datetime) -> None:
        self.replace_rows(pending, lambda p: _Row(p, self._with_incident, self))
        self.on_tick(now)

    def on_tick(self, now: datetime) -> None:
        for row in self._rows:
            row.show_at(now)

    def due_rows(self) -> list[_Row]:
        return [row for row in self._rows if row.due]
