"""Which reminders the data holds, when each falls due, and when the answer next changes:
the board works the first out when the data changes and only compares the clock after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.domain.evidence import RISK_WINDOW
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.reminders import (
    ReminderKind,
    RotatingEvidence,
    due_among,
    next_change,
    upcoming_reminders,
)
from warroom.domain.severity import Severity

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def p1(status=Status.ACTIVE, **fields) -> Incident:
    return Incident(
        id=7, title="Checkout returns 500", severity=Severity.P1, status=status,
        impact="", declared_at=T0, impact_started_at=T0, **fields,
    )  # fmt: skip


def test_a_p1_update_falls_due_after_thirty_minutes_and_not_a_second_before(utc_policy):
    upcoming = upcoming_reminders([p1(acknowledged_at=T0)], utc_policy)
    assert [u.reminder.kind for u in upcoming] == [ReminderKind.UPDATE_DUE]
    assert due_among(upcoming, T0 + 30 * MIN - timedelta(seconds=1)) == []
    [due] = due_among(upcoming, T0 + 30 * MIN)
    assert due.text == "#7 Checkout returns 500: stakeholder update due"
    assert next_change(upcoming, T0) == T0 + 30 * MIN
    assert next_change(upcoming, T0 + 30 * MIN) is None  # nothing more until the data moves


def test_nobody_acknowledging_adds_the_response_target(utc_policy):
    upcoming = upcoming_reminders([p1()], utc_policy)
    response = utc_policy.for_severity(Severity.P1).respond_within.span
    assert next_change(upcoming, T0) == T0 + response
    assert due_among(upcoming, T0 + response - timedelta(seconds=1)) == []
    kinds = {r.kind for r in due_among(upcoming, T0 + response)}
    assert ReminderKind.RESPONSE_BREACHED in kinds


def test_a_snooze_hides_the_reminder_until_it_ends_and_its_end_is_the_next_change(utc_policy):
    upcoming = upcoming_reminders([p1(acknowledged_at=T0)], utc_policy)
    [due] = due_among(upcoming, T0 + 31 * MIN)
    snoozed = {due.key: T0 + 36 * MIN}
    assert due_among(upcoming, T0 + 35 * MIN, snoozed) == []
    assert next_change(upcoming, T0 + 35 * MIN, snoozed) == T0 + 36 * MIN
    assert due_among(upcoming, T0 + 36 * MIN, snoozed) == [due]


def test_evidence_is_at_risk_before_it_rotates_and_only_on_an_open_incident(utc_policy):
    rotates = T0 + 3 * 60 * MIN
    item = RotatingEvidence(7, 1, "api logs", rotates)
    upcoming = upcoming_reminders([p1(acknowledged_at=T0)], utc_policy, rotating=[item])
    at_risk = [u for u in upcoming if u.reminder.kind is ReminderKind.EVIDENCE_ROTATING]
    assert [u.due_from for u in at_risk] == [rotates - RISK_WINDOW]
    closed = p1(acknowledged_at=T0, status=Status.CLOSED)
    assert upcoming_reminders([closed], utc_policy, rotating=[item]) == []
