"""Reminders: what needs the IC's attention now, computed from stored deadlines and "now".

Because they come from the deadlines themselves, they fire after a restart too, and one that
fell due while the app was closed is simply due at start-up. A reminder's key names the
deadline it is about, so a new deadline (an update sent, a new check-back) is a new reminder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain import clocks
from warroom.domain.evidence import RISK_WINDOW  # the checklist's own "at risk" window
from warroom.domain.incident import Incident
from warroom.domain.mitigation import Mitigation
from warroom.domain.policy import Policy

SNOOZE_CHOICES = (5, 10, 15)  # minutes


class ReminderKind(StrEnum):
    UPDATE_DUE = "update_due"
    RESPONSE_BREACHED = "response_breached"
    CHECK_BACK_DUE = "check_back_due"
    EVIDENCE_ROTATING = "evidence_rotating"

    @property
    def label(self) -> str:
        return {
            ReminderKind.UPDATE_DUE: "stakeholder update due",
            ReminderKind.RESPONSE_BREACHED: "response target breached",
            ReminderKind.CHECK_BACK_DUE: "mitigation check-back due",
            ReminderKind.EVIDENCE_ROTATING: "evidence about to rotate",
        }[self]


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: ReminderKind
    incident_id: int
    due_at: datetime
    text: str


@dataclass(frozen=True)
class RotatingEvidence:
    """A pending evidence item with a rotation deadline (from the evidence checklist)."""

    incident_id: int
    item_id: int
    name: str
    rotates_at: datetime


@dataclass(frozen=True)
class Upcoming:
    """A reminder and the moment it falls due (`due_from`; a rotation's comes before the
    rotation itself). Which reminders exist depends on the data, not on "now"."""

    reminder: Reminder
    due_from: datetime


def upcoming_reminders(
    incidents: Iterable[Incident],
    policy: Policy,
    check_backs: Iterable[Mitigation] = (),
    rotating: Iterable[RotatingEvidence] = (),
) -> list[Upcoming]:
    """Every reminder the data holds, due now or later: computed when the data changes,
    then only compared with the clock."""
    found: list[Upcoming] = []
    titles: dict[int, str] = {}
    for incident in incidents:
        if incident.status.is_open:
            titles[incident.id] = incident.title
            found += incident_reminders(incident, policy)
    return found + work_reminders(check_backs, rotating, titles)


def incident_reminders(incident: Incident, policy: Policy) -> list[Upcoming]:
    """An open incident's own reminders (its update and its response target): they change
    only when the incident does."""
    found: list[Upcoming] = []
    name = f"#{incident.id} {incident.title}"
    update = clocks.update_deadline(incident, policy)
    if update is not None:
        reminder = Reminder(
            f"update:{incident.id}:{update.isoformat()}",
            ReminderKind.UPDATE_DUE,
            incident.id,
            update,
            f"{name}: stakeholder update due",
        )
        found.append(Upcoming(reminder, update))
    if incident.acknowledged_at is None:
        response = clocks.response_deadline(incident, policy)
        reminder = Reminder(
            f"response:{incident.id}:{response.isoformat()}",
            ReminderKind.RESPONSE_BREACHED,
            incident.id,
            response,
            f"{name}: response target breached, nobody has acknowledged",
        )
        found.append(Upcoming(reminder, response))
    return found


def work_reminders(
    check_backs: Iterable[Mitigation],
    rotating: Iterable[RotatingEvidence],
    titles: dict[int, str],
) -> list[Upcoming]:
    """The check-backs and rotating evidence of the open incidents `titles` names."""
    found: list[Upcoming] = []
    for mitigation in check_backs:
        at = mitigation.check_back_at
        if mitigation.incident_id in titles and mitigation.unverified and at is not None:
            reminder = Reminder(
                f"check_back:{mitigation.id}",
                ReminderKind.CHECK_BACK_DUE,
                mitigation.incident_id,
                at,
                f"#{mitigation.incident_id} {titles[mitigation.incident_id]}: "
                f"{mitigation.question}",
            )
            found.append(Upcoming(reminder, at))
    for item in rotating:
        if item.incident_id in titles:
            reminder = Reminder(
                f"evidence:{item.item_id}:{item.rotates_at.isoformat()}",
                ReminderKind.EVIDENCE_ROTATING,
                item.incident_id,
                item.rotates_at,
                f"#{item.incident_id} {titles[item.incident_id]}: evidence at risk, "
                f"“{item.name}” rotates soon",
            )
            found.append(Upcoming(reminder, item.rotates_at - RISK_WINDOW))
    return found


def due_among(
    upcoming: Iterable[Upcoming], now: datetime, snoozed: dict[str, datetime] | None = None
) -> list[Reminder]:
    """The reminders due at `now` and not snoozed past it, most urgent first."""
    snoozed = snoozed or {}
    active = [
        u.reminder
        for u in upcoming
        if now >= u.due_from and snoozed.get(u.reminder.key, now) <= now
    ]
    return sorted(active, key=lambda r: r.due_at)


def next_change(
    upcoming: Iterable[Upcoming], now: datetime, snoozed: dict[str, datetime] | None = None
) -> datetime | None:
    """The next moment `due_among` can answer differently with the same data: a reminder
    falling due or a snooze ending. None: never, until the data changes."""
    later = [u.due_from for u in upcoming if u.due_from > now]
    later += [until for until in (snoozed or {}).values() if until > now]
    return min(later, default=None)


def due_reminders(
    incidents: Iterable[Incident],
    policy: Policy,
    now: datetime,
    check_backs: Iterable[Mitigation] = (),
    rotating: Iterable[RotatingEvidence] = (),
    snoozed: dict[str, datetime] | None = None,
) -> list[Reminder]:
    """Every reminder due at `now` and not snoozed past it, most urgent first."""
    return due_among(upcoming_reminders(incidents, policy, check_backs, rotating), now, snoozed)


def snooze_span(minutes: int) -> timedelta:
    if minutes not in SNOOZE_CHOICES:
        choices = ", ".join(str(m) for m in SNOOZE_CHOICES)
        raise ValueError(f"snooze for {choices} minutes")
    return timedelta(minutes=minutes)
