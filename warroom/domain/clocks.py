"""The incident clocks, computed from stored timestamps and "now", never from counters.

- elapsed: time since declared (frozen at resolution);
- response: counts down to the severity's response target until acknowledged, then reports
  how long acknowledgement took;
- next update: counts down from the last stakeholder update (or declaration), amber in the
  last 20 %, overdue past the deadline.

A severity change restarts both countdowns under the new level from that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.incident import Incident
from warroom.domain.policy import Policy

WARNING_FRACTION = 0.2


class ClockState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"  # the last 20 % of the interval
    OVERDUE = "overdue"
    MET = "met"  # the response target was met (acknowledged)
    LATE = "late"  # acknowledged, but after the target
    STOPPED = "stopped"  # does not apply in this state (e.g. resolved)


@dataclass(frozen=True)
class Countdown:
    state: ClockState
    started: datetime | None = None
    deadline: datetime | None = None
    remaining: timedelta | None = None  # negative once overdue
    took: timedelta | None = None  # for a met response target: how long acknowledgement took

    @property
    def overdue_by(self) -> timedelta:
        if self.remaining is None or self.remaining >= timedelta(0):
            return timedelta(0)
        return -self.remaining


def _countdown(started: datetime, deadline: datetime, now: datetime) -> Countdown:
    remaining = deadline - now
    span = deadline - started
    if remaining < timedelta(0):
        state = ClockState.OVERDUE
    elif span > timedelta(0) and remaining <= span * WARNING_FRACTION:
        state = ClockState.WARNING
    else:
        state = ClockState.RUNNING
    return Countdown(state, started=started, deadline=deadline, remaining=remaining)


def response_deadline(incident: Incident, policy: Policy) -> datetime:
    if incident.acknowledged_at is not None and incident.response_due_at is not None:
        return incident.response_due_at
    anchor = incident.severity_since
    level = policy.for_severity(incident.severity)
    return level.respond_within.deadline(anchor, policy.working_hours)


def update_deadline(incident: Incident, policy: Policy) -> datetime | None:
    """None once the incident no longer needs stakeholder updates (resolved and after)."""
    if not incident.status.is_open:
        return None
    level = policy.for_severity(incident.severity)
    return level.update_every.deadline(_update_anchor(incident), policy.working_hours)


def _update_anchor(incident: Incident) -> datetime:
    if incident.last_update_at is None:
        return incident.severity_since
    return max(incident.severity_since, incident.last_update_at)


def response_clock(incident: Incident, policy: Policy, now: datetime) -> Countdown:
    deadline = response_deadline(incident, policy)
    if incident.acknowledged_at is not None:
        took = incident.acknowledged_at - incident.declared_at
        state = ClockState.LATE if incident.acknowledged_at > deadline else ClockState.MET
        return Countdown(state, deadline=deadline, took=max(took, timedelta(0)))
    if not incident.status.is_open:
        return Countdown(ClockState.STOPPED, deadline=deadline)
    return _countdown(incident.severity_since, deadline, now)


def update_clock(incident: Incident, policy: Policy, now: datetime) -> Countdown:
    deadline = update_deadline(incident, policy)
    if deadline is None:
        return Countdown(ClockState.STOPPED)
    return _countdown(_update_anchor(incident), deadline, now)


def elapsed(incident: Incident, now: datetime) -> timedelta:
    end = incident.resolved_at if incident.resolved_at and not incident.status.is_open else now
    return max(end - incident.declared_at, timedelta(0))


def next_deadline(incident: Incident, policy: Policy) -> datetime | None:
    """The earliest deadline still pending. It does not depend on "now", so sorting by it
    puts the most overdue first and stays stable while the clocks tick."""
    pending = [update_deadline(incident, policy)]
    if incident.acknowledged_at is None and incident.status.is_open:
        pending.append(response_deadline(incident, policy))
    present = [d for d in pending if d is not None]
    return min(present) if present else None
