"""A time typed with its zone, as the zone-aware time field reads it; the post-mortem due
clock of an incident entered long after it was resolved."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.export.helpers import resolved_incident
from warroom.domain.policy import load_policy_file
from warroom.domain.postmortem import postmortem_due
from warroom.domain.typed_time import (
    parse_zoned_time,
    wall_clock,
    zone_from_text,
    zone_label,
)
from warroom.system.paths import builtin_policy_file

PARIS = ZoneInfo("Europe/Paris")
NEAR = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "meant", "zone"),
    [
        ("2026-11-22 14:05", datetime(2026, 11, 22, 13, 5, tzinfo=UTC), PARIS),
        ("14:05", datetime(2026, 11, 22, 13, 5, tzinfo=UTC), PARIS),
        (
            "2026-11-22 14:05  UTC+01:00 (Europe/Paris)",
            datetime(2026, 11, 22, 13, 5, tzinfo=UTC),
            PARIS,
        ),
        ("9:37 AM PST", datetime(2026, 11, 22, 17, 37, tzinfo=UTC), timezone(timedelta(hours=-8))),
        (
            "9:37 pm -08:00",
            datetime(2026, 11, 22, 5, 37, tzinfo=UTC),
            timezone(timedelta(hours=-8)),
        ),
        (
            "2026-11-22 14:05 +05:30",
            datetime(2026, 11, 22, 8, 35, tzinfo=UTC),
            timezone(timedelta(hours=5, minutes=30)),
        ),
        ("2026-11-22 14:05 UTC", datetime(2026, 11, 22, 14, 5, tzinfo=UTC), UTC),
        (
            "14:05 america/new_york",
            datetime(2026, 11, 22, 19, 5, tzinfo=UTC),
            ZoneInfo("America/New_York"),
        ),
    ],
)
def test_a_typed_zone_wins_over_the_fields_zone(typed, meant, zone):
    moment, read_in = parse_zoned_time(typed, NEAR, PARIS)
    assert moment == meant
    assert read_in.utcoffset(moment) == zone.utcoffset(moment)


def test_each_side_of_a_dst_change_gets_its_own_offset():
    # Paris went to summer time at 02:00 on 29 March 2026.
    before, _ = parse_zoned_time("2026-03-29 01:30", NEAR, PARIS)
    after, _ = parse_zoned_time("2026-03-29 03:30", NEAR, PARIS)
    assert before == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # UTC+01:00
    assert after == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # UTC+02:00
    assert zone_label(PARIS, before) == "UTC+01:00 (Europe/Paris)"
    assert zone_label(PARIS, after) == "UTC+02:00 (Europe/Paris)"


def test_a_time_the_clocks_skipped_is_refused():
    with pytest.raises(ValueError, match="does not exist in Europe/Paris"):
        parse_zoned_time("2026-03-29 02:30", NEAR, PARIS)


def test_when_the_clocks_go_back_the_first_of_the_two_is_taken():
    moment, _ = parse_zoned_time("2026-10-25 02:30", NEAR, PARIS)
    assert moment == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still summer time


@pytest.mark.parametrize("typed", ["", "  "])
def test_nothing_typed_is_no_time(typed):
    assert parse_zoned_time(typed, NEAR, PARIS) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tomorrow", "is not a time"),
        ("14:05 Mars/Olympus", "is not a zone"),
        ("14:05 +15:00", "is not a UTC offset"),
        ("13:05 PM", "with AM or PM"),
        ("2026-02-30 14:05", "no such day"),
    ],
)
def test_what_is_not_a_time_says_why(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_zoned_time(typed, NEAR, PARIS)


def test_zones_are_read_as_named_or_offset():
    assert zone_from_text("UTC+01:00 (Europe/Paris)") == PARIS
    assert zone_from_text("Z") is UTC
    assert zone_from_text("-03:30").utcoffset(None) == -timedelta(hours=3, minutes=30)
    assert zone_label(zone_from_text("-03:30"), NEAR) == "UTC-03:30"
    assert wall_clock(NEAR, PARIS) == "2026-11-22 15:00"


def test_the_postmortem_of_an_incident_resolved_in_2019_and_entered_today_is_not_overdue():
    policy = load_policy_file(builtin_policy_file())
    today = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
    back = timedelta(days=2600)  # back in 2019
    incident = resolved_incident()
    old = replace(
        incident,
        declared_at=incident.declared_at - back,
        impact_started_at=incident.impact_started_at - back,
        detected_at=None,
        acknowledged_at=None,
        mitigated_at=None,
        resolved_at=incident.resolved_at - back,
        resolution_recorded_at=today,
    )
    assert old.resolved_at.year == 2019
    span = policy.for_severity(old.severity).postmortem_due
    assert span is not None
    assert postmortem_due(old, policy) == today + span
    assert postmortem_due(old, policy) > today  # not overdue the moment it is entered
    # A row from before the recording time was kept counts from the resolution itself.
    legacy = replace(old, resolution_recorded_at=None)
    assert postmortem_due(legacy, policy) == old.resolved_at + span
