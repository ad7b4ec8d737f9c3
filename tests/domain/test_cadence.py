"""Missed update cadences from the timeline's facts, by their effective times (no Qt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from warroom.domain.cadence import (
    RECONCILE_KINDS,
    MissedUpdate,
    missed_severities,
    missed_updates,
    reconcile,
    recorded_misses,
)
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity

T0 = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)  # P1: updates every 30 min
MIN = timedelta(minutes=1)
_ids = count(1)


def incident(severity="P1", status=Status.ACTIVE):
    return Incident(
        id=1, title="Checkout errors", severity=Severity(severity), status=status, impact="",
        declared_at=T0, impact_started_at=T0,
    )  # fmt: skip


def event(kind, minutes, recorded=None, **data):
    at = T0 + minutes * MIN
    return TimelineEvent(
        next(_ids), 1, kind, at, at if recorded is None else T0 + recorded * MIN, "ann", "", data
    )


def declared(severity="P1"):
    return event(EventKind.DECLARED, 0, severity=severity)


def update(minutes, recorded=None):
    return event(EventKind.UPDATE_SENT, minutes, recorded)


def dues(misses):
    return [(m.severity.value, int((m.due - T0) / MIN), int((m.at - T0) / MIN)) for m in misses]


def test_nothing_is_missed_before_the_deadline_passes(utc_policy):
    assert missed_updates(incident(), [declared()], utc_policy, T0 + 30 * MIN) == []


def test_a_deadline_passed_with_no_update_is_missed_once_at_the_deadline(utc_policy):
    misses = missed_updates(incident(), [declared()], utc_policy, T0 + 30 * MIN + timedelta(1))
    assert dues(misses) == [("P1", 30, 30)]
    assert misses[0].text == "Update cadence missed: P1 update due 14:30 UTC"
    # Hours later the clock is still overdue on the same deadline: still one miss.
    assert len(missed_updates(incident(), [declared()], utc_policy, T0 + 5 * 60 * MIN)) == 1


def test_an_update_exactly_at_the_deadline_is_on_time(utc_policy):
    events = [declared(), update(30), update(61)]
    assert dues(missed_updates(incident(), events, utc_policy, T0 + 61 * MIN)) == [("P1", 60, 60)]


def test_each_late_update_starts_a_new_deadline_that_can_be_missed_again(utc_policy):
    events = [declared(), update(45), update(100)]
    misses = missed_updates(incident(), events, utc_policy, T0 + 100 * MIN)
    assert dues(misses) == [("P1", 30, 30), ("P1", 75, 75)]


def test_the_order_of_entry_does_not_matter_only_the_effective_times(utc_policy):
    """The same facts typed in afterwards, in another order, give the same misses."""
    live = [declared(), update(20), update(70)]
    typed_later = [update(70, recorded=200), declared(), update(20, recorded=201)]
    now = T0 + 200 * MIN
    assert missed_updates(incident(), typed_later, utc_policy, now) == missed_updates(
        incident(), live, utc_policy, now
    )
    assert dues(missed_updates(incident(), live, utc_policy, now)) == [
        ("P1", 50, 50),
        ("P1", 100, 100),
    ]


def test_a_severity_change_restarts_the_cadence_under_the_new_level(utc_policy):
    events = [declared(), event(EventKind.SEVERITY_CHANGED, 10, old="P1", new="P0")]
    misses = missed_updates(incident("P0"), events, utc_policy, T0 + 60 * MIN)
    assert dues(misses) == [("P0", 25, 25)]


def test_no_deadline_runs_while_resolved_and_a_reopening_is_overdue_at_once(utc_policy):
    events = [
        declared(),
        event(EventKind.STATUS_CHANGED, 20, old="active", new="resolved"),
        event(EventKind.STATUS_CHANGED, 90, old="resolved", new="active"),
    ]
    assert (
        missed_updates(incident(status=Status.RESOLVED), events[:2], utc_policy, T0 + 80 * MIN)
        == []
    )
    misses = missed_updates(incident(), events, utc_policy, T0 + 91 * MIN)
    assert dues(misses) == [("P1", 30, 90)]  # due 14:30, missed when it reopened


def test_recorded_misses_count_once_until_withdrawn():
    due = (T0 + 30 * MIN).isoformat()
    missed = event(EventKind.REMINDER, 30, cadence="missed", due=due, severity="P1")
    snooze = event(EventKind.REMINDER, 31, key="update:1", until=(T0 + 40 * MIN).isoformat())
    assert list(recorded_misses([missed, snooze])) == [T0 + 30 * MIN]
    withdrawn = event(EventKind.REMINDER, 40, cadence="withdrawn", due=due, severity="P1")
    assert recorded_misses([missed, snooze, withdrawn]) == {}
    assert missed_severities([missed, snooze]) == {1: [Severity.P1]}


def test_reconcile_records_what_is_missing_and_withdraws_what_a_late_entry_disproves(utc_policy):
    now = T0 + 40 * MIN
    todo = reconcile(incident(), [declared()], utc_policy, now)
    assert dues(todo.to_record) == [("P1", 30, 30)] and todo.to_withdraw == ()
    recorded = event(
        EventKind.REMINDER, 30, cadence="missed", due=(T0 + 30 * MIN).isoformat(), severity="P1"
    )
    assert not reconcile(incident(), [declared(), recorded], utc_policy, now)  # idempotent
    # The update that went out at 14:25 is typed in at 14:40: the miss is withdrawn.
    late = update(25, recorded=40)
    todo = reconcile(incident(), [declared(), recorded, late], utc_policy, now)
    assert todo.to_record == ()
    assert todo.to_withdraw == (MissedUpdate(T0 + 30 * MIN, Severity.P1, T0 + 30 * MIN),)


def test_reconcile_reads_nothing_outside_its_kinds(utc_policy):
    """Timelines are read for reconcile with RECONCILE_KINDS only: an event of any other
    kind, whatever it carries, changes nothing it says."""
    now = T0 + 200 * MIN
    recorded = event(
        EventKind.REMINDER, 30, cadence="missed", due=(T0 + 30 * MIN).isoformat(), severity="P1"
    )
    facts = [
        declared(),
        recorded,
        update(25, recorded=40),
        event(EventKind.SEVERITY_CHANGED, 50, old="P1", new="P2"),
        event(EventKind.STATUS_CHANGED, 90, old="active", new="resolved"),
        event(EventKind.STATUS_CHANGED, 120, old="resolved", new="active"),
    ]
    # Every other kind, carrying the data the rules look for.
    others = [
        event(kind, 10 * n, cadence="missed", due=T0.isoformat(), severity="P0", new="P0")
        for n, kind in enumerate(EventKind)
        if kind not in RECONCILE_KINDS
    ]
    assert len(others) == len(EventKind) - len(RECONCILE_KINDS)
    assert reconcile(incident(), facts + others, utc_policy, now) == reconcile(
        incident(), facts, utc_policy, now
    )
