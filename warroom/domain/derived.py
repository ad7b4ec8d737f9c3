"""What the board's clocks read, derived from the timeline's facts rather than from the
order things were typed in: the severity in force, when it took effect, the last update
sent, and the response deadline that applied when the incident was acknowledged.

The same facts entered in any order (live, or days later from a chat log) give the same
result: every fact carries its effective time, and this module sorts by it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.domain.incident import EventKind, TimelineEvent
from warroom.domain.policy import Policy
from warroom.domain.severity import Severity

# An entry written down this long after it happened is shown as entered after the fact.
AFTER_THE_FACT = timedelta(minutes=2)


@dataclass(frozen=True)
class SeverityChange:
    at: datetime  # when it took effect
    severity: Severity


@dataclass(frozen=True)
class Derived:
    severity: Severity
    severity_changed_at: datetime | None  # None: the declared severity still holds
    last_update_at: datetime | None
    response_due_at: datetime | None  # None until acknowledged


def severity_history(
    events: Iterable[TimelineEvent],
) -> tuple[Severity | None, list[SeverityChange]]:
    """The declared severity and the changes, in the order they took effect (ties in the
    order they were recorded)."""
    declared: Severity | None = None
    changes: list[tuple[datetime, int, Severity]] = []
    for event in events:
        if event.kind is EventKind.DECLARED and "severity" in event.data:
            declared = Severity(event.data["severity"])
        elif event.kind is EventKind.SEVERITY_CHANGED and "new" in event.data:
            changes.append((event.at, event.id, Severity(event.data["new"])))
    ordered = [SeverityChange(at, level) for at, _id, level in sorted(changes)]
    return declared, ordered


def update_times(events: Iterable[TimelineEvent]) -> list[datetime]:
    return [e.at for e in events if e.kind is EventKind.UPDATE_SENT]


def derive(
    declared_at: datetime,
    declared_severity: Severity,
    changes: list[SeverityChange],
    updates: Iterable[datetime],
    acknowledged_at: datetime | None,
    policy: Policy,
) -> Derived:
    """Severity changes restart the clocks under the new level from the moment they took
    effect; the response deadline is the one in force when the incident was acknowledged,
    so a later change can neither flatter nor spoil the response record."""
    current = changes[-1] if changes else None
    response_due = None
    if acknowledged_at is not None:
        # A change at the very moment of the acknowledgement did not apply to it.
        in_force = [c for c in changes if c.at < acknowledged_at]
        level = in_force[-1].severity if in_force else declared_severity
        anchor = max(declared_at, in_force[-1].at) if in_force else declared_at
        response_due = policy.for_severity(level).respond_within.deadline(
            anchor, policy.working_hours
        )
    return Derived(
        severity=current.severity if current else declared_severity,
        severity_changed_at=current.at if current else None,
        last_update_at=max(updates, default=None),
        response_due_at=response_due,
    )


def entered_after_the_fact(event: TimelineEvent) -> bool:
    """Written down well after it happened: a row typed from a chat log, not live."""
    return event.recorded_at - event.at > AFTER_THE_FACT
