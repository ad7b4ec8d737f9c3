"""Times typed in a hurry, read the way the person meant them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.domain.typed_time import find_typed_time, parse_typed_time

NEW_YORK = ZoneInfo("America/New_York")
IMPACT = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("08:58", datetime(2026, 11, 22, 13, 58, tzinfo=UTC)),
        ("8:58:30", datetime(2026, 11, 22, 13, 58, 30, tzinfo=UTC)),
        ("2026-11-21 08:58", datetime(2026, 11, 21, 13, 58, tzinfo=UTC)),
        ("2026-11-22T08:58", datetime(2026, 11, 22, 13, 58, tzinfo=UTC)),
        ("13:58 UTC", datetime(2026, 11, 22, 13, 58, tzinfo=UTC)),
        ("13:58Z", datetime(2026, 11, 22, 13, 58, tzinfo=UTC)),
        ("14:58+01:00", datetime(2026, 11, 22, 13, 58, tzinfo=UTC)),
        # The day that puts it nearest the impact start: last night, not tonight.
        ("23:50", datetime(2026, 11, 22, 4, 50, tzinfo=UTC)),
    ],
)
def test_a_typed_time_is_local_unless_it_says_otherwise(typed, meant):
    assert parse_typed_time(typed, near=IMPACT, zone=NEW_YORK) == meant


def test_just_after_midnight_a_late_time_is_the_evening_before():
    impact = datetime(2026, 11, 22, 0, 10, tzinfo=NEW_YORK)
    moment = parse_typed_time("23:50", near=impact, zone=NEW_YORK)
    assert moment == impact - timedelta(minutes=20)


def test_the_machine_zone_is_used_by_default(machine_in_new_york):
    assert parse_typed_time("08:58", near=IMPACT) == datetime(2026, 11, 22, 13, 58, tzinfo=UTC)
    assert parse_typed_time("13:58 UTC", near=IMPACT) == datetime(2026, 11, 22, 13, 58, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["", "   "])
def test_nothing_typed_is_no_time(typed):
    assert parse_typed_time(typed, near=IMPACT, zone=NEW_YORK) is None


@pytest.mark.parametrize("typed", ["13:6", "25:00", "yesterday", "2026-02-30 10:00", "1358"])
def test_anything_else_is_refused_with_an_example(typed):
    with pytest.raises(ValueError, match="13:58 or 2026-11-22 13:58|no such day"):
        parse_typed_time(typed, near=IMPACT, zone=NEW_YORK)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("deploy 4812 at 13:58", "13:58"),
        ("config push 2026-11-22 13:40 UTC, then restart", "2026-11-22 13:40 UTC"),
        ("maintenance 10:30-11:00", "10:30"),
        ("deploy 4812, no time given", None),
        ("version 1.2.3", None),
    ],
)
def test_a_time_written_in_free_text_is_found_as_written(text, found):
    assert find_typed_time(text) == found
