"""The three incident clocks, computed from timestamps and "now" under the shipped policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain import clocks
from warroom.domain.clock_text import NOT_APPLICABLE, response_text, update_text
from warroom.domain.clocks import ClockState
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.policy import Target, TargetKind
from warroom.domain.severity import Severity

# A Wednesday morning, inside working hours; P0-P2 clocks do not care about the weekday.
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


def make_incident(severity="P0", status=Status.ACTIVE, declared_at=T0, **fields):
    return Incident(
        id=1,
        title="Checkout returns 500",
        severity=Severity(severity),
        status=status,
        impact="",
        declared_at=declared_at,
        impact_started_at=declared_at,
        **fields,
    )


# -- next-update clock -----------------------------------------------------------------------


def test_p0_update_exactly_at_target_is_warning_not_overdue(utc_policy):
    """At the 15-minute mark the update is due, not yet late: amber, 0:00 left."""
    clock = clocks.update_clock(make_incident("P0"), utc_policy, T0 + 15 * MIN)
    assert clock.deadline == T0 + 15 * MIN
    assert clock.remaining == timedelta(0)
    assert clock.state is ClockState.WARNING
    assert clock.overdue_by == timedelta(0)
    assert update_text(clock) == "0:00 left"


def test_p0_update_one_second_past_target_is_overdue(utc_policy):
    """One second after the deadline the board shows OVERDUE and by how much."""
    clock = clocks.update_clock(make_incident("P0"), utc_policy, T0 + 15 * MIN + SEC)
    assert clock.state is ClockState.OVERDUE
    assert clock.remaining == -SEC
    assert clock.overdue_by == SEC
    assert update_text(clock) == "OVERDUE +0:01"


def test_amber_threshold_is_the_last_twenty_percent(utc_policy):
    """A P0 turns amber with 3 of its 15 minutes left, and not a second earlier."""
    incident = make_incident("P0")
    at_threshold = clocks.update_clock(incident, utc_policy, T0 + 12 * MIN)
    assert at_threshold.remaining == 3 * MIN
    assert at_threshold.state is ClockState.WARNING
    assert update_text(at_threshold) == "3:00 left"

    just_above = clocks.update_clock(incident, utc_policy, T0 + 12 * MIN - SEC)
    assert just_above.state is ClockState.RUNNING
    assert update_text(just_above) == "3:01 left"

    assert clocks.update_clock(incident, utc_policy, T0).state is ClockState.RUNNING


def test_update_sent_restarts_the_update_clock(utc_policy):
    """Sending an update starts a fresh interval from that moment; the response target stays."""
    incident = make_incident("P0", last_update_at=T0 + 10 * MIN)
    now = T0 + 20 * MIN  # overdue had no update been sent
    update = clocks.update_clock(incident, utc_policy, now)
    assert update.started == T0 + 10 * MIN
    assert update.deadline == T0 + 25 * MIN
    assert update.remaining == 5 * MIN
    assert update.state is ClockState.RUNNING
    assert clocks.response_deadline(incident, utc_policy) == T0 + 15 * MIN
    stale = clocks.update_clock(make_incident("P0"), utc_policy, now)
    assert stale.state is ClockState.OVERDUE


def test_mitigated_incident_still_owes_updates(utc_policy):
    """Mitigated is still open: the update clock keeps running and can go overdue."""
    incident = make_incident("P1", status=Status.MITIGATED)
    clock = clocks.update_clock(incident, utc_policy, T0 + 31 * MIN)
    assert clock.state is ClockState.OVERDUE
    assert update_text(clock) == "OVERDUE +1:00"


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.POSTMORTEM, Status.CLOSED])
def test_update_clock_stops_once_resolved(utc_policy, status):
    """Resolved incidents owe no more updates: the clock stops and shows a dash."""
    incident = make_incident("P0", status=status, resolved_at=T0 + 5 * MIN)
    clock = clocks.update_clock(incident, utc_policy, T0 + 2 * timedelta(hours=1))
    assert clock.state is ClockState.STOPPED
    assert clock.deadline is None
    assert clock.remaining is None
    assert clocks.update_deadline(incident, utc_policy) is None
    assert update_text(clock) == NOT_APPLICABLE


# -- response clock --------------------------------------------------------------------------


def test_response_clock_counts_down_until_acknowledged(utc_policy):
    """Unacknowledged, the response clock counts down and then goes overdue."""
    incident = make_incident("P0")
    running = clocks.response_clock(incident, utc_policy, T0 + 5 * MIN)
    assert running.state is ClockState.RUNNING
    assert running.remaining == 10 * MIN
    assert response_text(running) == "10:00 left"
    late = clocks.response_clock(incident, utc_policy, T0 + 16 * MIN)
    assert late.state is ClockState.OVERDUE
    assert response_text(late) == "OVERDUE +1:00"


def test_acknowledged_in_time_reports_met_and_how_long_it_took(utc_policy):
    """After acknowledgement the clock stops counting and says how long it took."""
    incident = make_incident("P0", acknowledged_at=T0 + 7 * MIN)
    clock = clocks.response_clock(incident, utc_policy, T0 + 3 * timedelta(hours=1))
    assert clock.state is ClockState.MET
    assert clock.took == 7 * MIN
    assert clock.remaining is None
    assert clock.deadline == T0 + 15 * MIN
    assert response_text(clock) == "acked in 7:00"


def test_acknowledged_exactly_at_target_is_met(utc_policy):
    incident = make_incident("P0", acknowledged_at=T0 + 15 * MIN)
    assert clocks.response_clock(incident, utc_policy, T0 + 20 * MIN).state is ClockState.MET


def test_acknowledged_after_target_reports_late(utc_policy):
    """An acknowledgement after the target is recorded as late, with the time it took."""
    incident = make_incident("P0", acknowledged_at=T0 + 15 * MIN + SEC)
    clock = clocks.response_clock(incident, utc_policy, T0 + 20 * MIN)
    assert clock.state is ClockState.LATE
    assert clock.took == 15 * MIN + SEC
    assert response_text(clock) == "acked late, 15:01"


def test_response_clock_stops_for_resolved_unacknowledged_incident(utc_policy):
    incident = make_incident("P0", status=Status.RESOLVED, resolved_at=T0 + 5 * MIN)
    clock = clocks.response_clock(incident, utc_policy, T0 + timedelta(hours=1))
    assert clock.state is ClockState.STOPPED
    assert response_text(clock) == NOT_APPLICABLE


# -- severity changes --------------------------------------------------------------------------


def test_severity_change_restarts_both_clocks_under_the_new_level(utc_policy):
    """Raised from P2 to P0 after an hour: both deadlines are 15 minutes after the change."""
    changed = T0 + timedelta(hours=1)
    incident = make_incident(
        "P0",
        severity_changed_at=changed,
        last_update_at=T0 + 30 * MIN,  # update before change
    )
    assert clocks.response_deadline(incident, utc_policy) == changed + 15 * MIN
    assert clocks.update_deadline(incident, utc_policy) == changed + 15 * MIN
    now = changed + 5 * MIN
    for clock in (
        clocks.response_clock(incident, utc_policy, now),
        clocks.update_clock(incident, utc_policy, now),
    ):
        assert clock.started == changed
        assert clock.remaining == 10 * MIN
        assert clock.state is ClockState.RUNNING


def test_response_time_counts_from_declaration_even_after_a_severity_change(utc_policy):
    """Raised P1 -> P0 at 10 min, acknowledged at 12 min: it took 12 minutes, not 2."""
    incident = make_incident("P0", severity_changed_at=T0 + 10 * MIN, acknowledged_at=T0 + 12 * MIN)
    clock = clocks.response_clock(incident, utc_policy, T0 + 30 * MIN)
    assert clock.state is ClockState.MET
    assert clock.deadline == T0 + 25 * MIN
    assert clock.took == 12 * MIN


def test_update_sent_after_severity_change_moves_only_the_update_deadline(utc_policy):
    changed = T0 + timedelta(hours=1)
    incident = make_incident("P0", severity_changed_at=changed, last_update_at=changed + 10 * MIN)
    assert clocks.update_deadline(incident, utc_policy) == changed + 25 * MIN
    assert clocks.response_deadline(incident, utc_policy) == changed + 15 * MIN


# -- elapsed and next deadline -------------------------------------------------------------------


def test_elapsed_runs_from_declaration_while_open(utc_policy):
    incident = make_incident("P2")
    assert clocks.elapsed(incident, T0 + timedelta(hours=1, seconds=5)) == timedelta(
        hours=1, seconds=5
    )


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.POSTMORTEM, Status.CLOSED])
def test_elapsed_freezes_at_resolution(status):
    """A resolved incident's elapsed time no longer grows with the wall clock."""
    incident = make_incident("P1", status=status, resolved_at=T0 + timedelta(hours=2))
    assert clocks.elapsed(incident, T0 + timedelta(hours=5)) == timedelta(hours=2)
    assert clocks.elapsed(incident, T0 + timedelta(days=9)) == timedelta(hours=2)


def test_next_deadline_is_the_earliest_pending_one(utc_policy):
    """Unacknowledged, the response target comes first; once acked, the next update does."""
    unacked = make_incident("P0", last_update_at=T0 + 10 * MIN)
    assert clocks.next_deadline(unacked, utc_policy) == T0 + 15 * MIN
    acked = replace(unacked, acknowledged_at=T0 + 2 * MIN)
    assert clocks.next_deadline(acked, utc_policy) == T0 + 25 * MIN
    resolved = replace(unacked, status=Status.RESOLVED, resolved_at=T0 + 20 * MIN)
    assert clocks.next_deadline(resolved, utc_policy) is None


def test_next_deadline_picks_the_update_when_it_is_earlier(utc_policy):
    """With a 5-minute update cadence the update deadline beats a 15-minute response target."""
    p0 = utc_policy.levels[make_incident().severity]
    fast = replace(p0, update_every=Target(TargetKind.DURATION, 5 * MIN))
    policy = replace(utc_policy, levels={**utc_policy.levels, make_incident().severity: fast})
    assert clocks.next_deadline(make_incident("P0"), policy) == T0 + 5 * MIN


# -- P3: business-day rules ------------------------------------------------------------------------

FRI_17 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
FRI_18 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
FRI_19 = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
SAT_10 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
MON_CLOSE = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
WED_08 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
WED_CLOSE = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)
THU_CLOSE = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)


def test_calendar_of_the_p3_cases():
    """The dates below are the weekdays their names claim."""
    assert [d.weekday() for d in (WED_08, FRI_17, SAT_10, MON_CLOSE)] == [2, 4, 5, 0]


@pytest.mark.parametrize(
    ("declared", "update_due", "respond_due"),
    [
        pytest.param(FRI_17, FRI_18, MON_CLOSE, id="friday-17:00-in-hours"),
        pytest.param(FRI_18, MON_CLOSE, MON_CLOSE, id="friday-18:00-at-close"),
        pytest.param(FRI_19, MON_CLOSE, MON_CLOSE, id="friday-19:00-after-hours"),
        pytest.param(SAT_10, MON_CLOSE, MON_CLOSE, id="saturday"),
        pytest.param(WED_08, WED_CLOSE, THU_CLOSE, id="wednesday-08:00-before-hours"),
    ],
)
def test_p3_deadlines_follow_working_hours(utc_policy, declared, update_due, respond_due):
    """P3: update by end of business day, respond by close of the next business day."""
    incident = make_incident("P3", declared_at=declared)
    assert clocks.update_deadline(incident, utc_policy) == update_due
    assert clocks.response_deadline(incident, utc_policy) == respond_due


def test_p3_countdown_over_a_weekend_reads_in_days(utc_policy):
    incident = make_incident("P3", declared_at=FRI_19)
    clock = clocks.update_clock(incident, utc_policy, FRI_19)
    assert clock.state is ClockState.RUNNING
    assert update_text(clock) == "2d 23:00 left"


def test_p3_working_hours_honour_the_team_time_zone(policy_in_zone):
    """Friday 17:00 in New York is 22:00 UTC: still in business there, due at 18:00 local."""
    declared = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    new_york = policy_in_zone("America/New_York")
    incident = make_incident("P3", declared_at=declared)
    assert clocks.update_deadline(incident, new_york) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    # The same instant is after hours in UTC, so there the deadline moves to Monday.
    assert clocks.update_deadline(incident, policy_in_zone("UTC")) == MON_CLOSE


def test_p3_deadline_across_a_daylight_saving_change(policy_in_zone):
    """Declared Friday 19:00 EDT; Monday's 18:00 close is in EST (23:00 UTC), not 22:00."""
    declared = datetime(2026, 10, 30, 23, 0, tzinfo=UTC)
    assert declared.weekday() == 4
    incident = make_incident("P3", declared_at=declared)
    new_york = policy_in_zone("America/New_York")
    monday_close = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    assert clocks.response_deadline(incident, new_york) == monday_close
    assert clocks.update_deadline(incident, new_york) == monday_close
