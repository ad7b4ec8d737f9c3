"""Moments as text, one way everywhere: in UTC, to the minute or the second.

Not strftime's %Y, which drops a year's leading zeros on glibc ("1-01-01"), and never a
naive time, which would read differently on each machine."""

from __future__ import annotations

from datetime import UTC, datetime

MISSING = "—"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} cannot be shown in UTC")
    return moment.astimezone(UTC)


def utc_minute(moment: datetime, zone: bool = True) -> str:
    """'2026-11-22 14:02 UTC' ('2026-11-22 14:02' with zone=False, for a UTC column)."""
    utc = _utc(moment)
    text = f"{utc.year:04d}-{utc:%m-%d %H:%M}"
    return f"{text} UTC" if zone else text


def utc_second(moment: datetime) -> str:
    """'2026-11-22 14:02:09' (for columns headed UTC)."""
    utc = _utc(moment)
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S}"


def utc_day_minute(moment: datetime) -> str:
    """'22 Nov 14:02 UTC', for a sentence about something recent."""
    return f"{_utc(moment):%d %b %H:%M} UTC"


def utc_minute_or_unset(moment: datetime | None) -> str:
    """For a key time in a sentence: "set to 2026-11-22 14:02 UTC (was unset)"."""
    return "unset" if moment is None else utc_minute(moment)


def utc_minute_or_missing(moment: datetime | None, zone: bool = True) -> str:
    """For a table cell: a dash where there is no time."""
    return MISSING if moment is None else utc_minute(moment, zone)


def month_key(moment: datetime) -> str:
    """'2026-11', the UTC month a moment falls in."""
    utc = _utc(moment)
    return f"{utc.year:04d}-{utc.month:02d}"
