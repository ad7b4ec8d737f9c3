"""Missed update cadences: which stakeholder-update deadlines passed with no update.

The deadline is the one the board's "next update" clock shows (`clocks.update_deadline`):
the severity's cadence from the latest of the declaration, the last severity change and the
last update sent. Here it is replayed over the timeline's facts in the order they took effect
(effective times, not when they were typed), so an incident entered after the fact gets the
same misses as one recorded live.

- A deadline is missed when time passes beyond it with no update, while the incident is open
  (triage, active or mitigated). It is missed once: the clock stays overdue on that deadline
  until the next update (or severity change) starts a new one.
- A deadline that passed while the incident was resolved is missed at the moment it reopens
  (the clock is overdue from then), still due at the deadline.

What has been written on the timeline is read back here too: a miss is recorded once per
deadline, and withdrawn when a fact entered later (an update sent on time, typed in late)
shows the deadline was met after all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.policy import Policy
from warroom.domain.severity import Severity

# The data that marks a REMINDER event as a missed cadence, or as its withdrawal.
CADENCE_KEY = "cadence"
MISSED = "missed"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class MissedUpdate:
    due: datetime  # the deadline that passed with no update
    severity: Severity  # the level whose cadence it was
    at: datetime  # when it was missed: the deadline, or the reopening if it passed before

    @property
    def text(self) -> str:
        """'Update cadence missed: P1 update due 14:30 UTC'."""
        return f"Update cadence missed: {self.severity.value} update due {_hour_minute(self.due)}"

    def withdrawn_text(self) -> str:
        return (
            f"Update cadence miss withdrawn: the {self.severity.value} update due "
            f"{_hour_minute(self.due)} was sent in time (entered after the fact)"
        )


def _hour_minute(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M} UTC"


def missed_updates(
    incident: Incident, events: Iterable[TimelineEvent], policy: Policy, now: datetime
) -> list[MissedUpdate]:
    """The update deadlines of `incident` that passed with no update before `now`, in order.
    `events`: the incident's timeline (any order)."""
    facts = sorted(
        (e for e in events if e.kind in _FACT_KINDS and e.incident_id == incident.id),
        key=lambda e: (e.at, e.id),
    )
    declared = [e for e in facts if e.kind is EventKind.DECLARED and "severity" in e.data]
    severity = Severity(declared[0].data["severity"]) if declared else incident.severity
    anchor = incident.declared_at
    is_open, open_since = True, incident.declared_at
    deadline = _deadline(policy, severity, anchor)
    noted = False  # the current deadline's miss is already in the list
    misses: list[MissedUpdate] = []

    def passes(moment: datetime) -> None:
        nonlocal noted
        if is_open and not noted and deadline < moment:
            misses.append(MissedUpdate(deadline, severity, max(deadline, open_since)))
            noted = True

    for event in facts:
        passes(event.at)
        if event.kind is EventKind.SEVERITY_CHANGED and "new" in event.data:
            severity = Severity(event.data["new"])
            anchor = max(anchor, event.at)
        elif event.kind is EventKind.UPDATE_SENT:
            anchor = max(anchor, event.at)
        elif event.kind is EventKind.STATUS_CHANGED and "new" in event.data:
            now_open = Status(event.data["new"]).is_open
            if now_open and not is_open:
                open_since = event.at
            is_open = now_open
            continue
        else:
            continue
        new_deadline = _deadline(policy, severity, anchor)
        if new_deadline != deadline:
            deadline, noted = new_deadline, False
    passes(now)
    return misses


_FACT_KINDS = frozenset(
    {
        EventKind.DECLARED,
        EventKind.SEVERITY_CHANGED,
        EventKind.UPDATE_SENT,
        EventKind.STATUS_CHANGED,
    }
)


# Every kind `reconcile` reads: the facts, and the reminders that record misses. A timeline
# read for it can leave the rest (notes, thousands on a long incident) out.
RECONCILE_KINDS = _FACT_KINDS | {EventKind.REMINDER}


def _deadline(policy: Policy, severity: Severity, anchor: datetime) -> datetime:
    return policy.for_severity(severity).update_every.deadline(anchor, policy.working_hours)


# -- what the timeline already says ----------------------------------------------------------
def is_cadence_event(event: TimelineEvent) -> bool:
    return event.kind is EventKind.REMINDER and event.data.get(CADENCE_KEY) in (MISSED, WITHDRAWN)


def recorded_misses(events: Iterable[TimelineEvent]) -> dict[datetime, MissedUpdate]:
    """The misses the timeline records and has not withdrawn, by deadline."""
    return {
        due: MissedUpdate(due, severity, event.at)
        for due, (severity, event) in _standing(events).items()
    }


_SEVERITIES = {level.value: level for level in Severity}


def _recorded_order(event: TimelineEvent) -> tuple[datetime, int]:
    return event.recorded_at, event.id


def _standing(events: Iterable[TimelineEvent]) -> dict[datetime, tuple[Severity, TimelineEvent]]:
    """By deadline, each recorded miss not withdrawn: its level and the event recording it.
    The metrics read this for tens of thousands of incidents at once, so it makes no object
    per event."""
    found = [e for e in events if is_cadence_event(e)]
    if len(found) > 1:
        found.sort(key=_recorded_order)
    standing: dict[datetime, tuple[Severity, TimelineEvent]] = {}
    for event in found:
        data = event.data
        try:
            due = datetime.fromisoformat(str(data["due"]))
            level = data["severity"]
            # A dict look-up for the stored spellings; anything else as Severity() takes it.
            severity = (_SEVERITIES.get(level) if level.__class__ is str else None) or Severity(
                level
            )
        except (KeyError, ValueError):
            continue  # not ours to count: a damaged entry is left as it is
        if data[CADENCE_KEY] == MISSED:
            standing[due] = (severity, event)
        else:
            standing.pop(due, None)
    return standing


@dataclass(frozen=True)
class Reconciliation:
    """What to write so the timeline says exactly which deadlines were missed."""

    to_record: tuple[MissedUpdate, ...]
    to_withdraw: tuple[MissedUpdate, ...]

    def __bool__(self) -> bool:
        return bool(self.to_record or self.to_withdraw)


def reconcile(
    incident: Incident, events: list[TimelineEvent], policy: Policy, now: datetime
) -> Reconciliation:
    """The misses the timeline lacks, and the recorded ones the facts no longer support."""
    expected = {m.due: m for m in missed_updates(incident, events, policy, now)}
    recorded = recorded_misses(events)
    return Reconciliation(
        to_record=tuple(m for due, m in expected.items() if due not in recorded),
        to_withdraw=tuple(m for due, m in recorded.items() if due not in expected),
    )


def missed_severities(events: Iterable[TimelineEvent]) -> dict[int, list[Severity]]:
    """For metrics: each incident's recorded, standing misses, as the severity of each."""
    by_incident: dict[int, list[TimelineEvent]] = {}
    for event in events:
        if is_cadence_event(event):
            by_incident.setdefault(event.incident_id, []).append(event)
    return {incident_id: standing_severities(found) for incident_id, found in by_incident.items()}


def standing_severities(events: Iterable[TimelineEvent]) -> list[Severity]:
    """For metrics, over one incident's events: [m.severity for m in
    recorded_misses(events).values()], without a MissedUpdate per miss."""
    return [severity for severity, _event in _standing(events).values()]
