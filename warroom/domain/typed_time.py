"""Times as people type them in a hurry: "13:58", "2026-11-22 13:58", "13:58 UTC".

A time without a date is taken on the day that puts it closest to a reference moment (for a
change, the start of impact): "23:50" typed for an impact at 00:10 is the evening before.
A time without "UTC", "Z" or an offset is local time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

_TIME = r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_ZONE = r"(?P<zone>\s*(?:UTC|Z)\b|[+-]\d{2}:?\d{2})?"
_WHOLE = re.compile(rf"^\s*(?:{_DATE}[ T])?{_TIME}{_ZONE}\s*$", re.IGNORECASE)
_INSIDE = re.compile(  # in free text, "10:30-11:00" is a range, not an offset
    rf"(?<![\d:]){_DATE}?[ T]?{_TIME}(?P<zone>\s*(?:UTC|Z)\b)?(?![\d:])", re.IGNORECASE
)

EXAMPLE = "13:58 or 2026-11-22 13:58"


def parse_typed_time(text: str, near: datetime, zone: tzinfo | None = None) -> datetime | None:
    """The moment typed, in UTC; None for nothing typed. Raises ValueError for text that is
    not a time. `zone` is the local zone (default: the machine's)."""
    if not text.strip():
        return None
    found = _WHOLE.match(text)
    if found is None:
        raise ValueError(f"“{text.strip()}” is not a time: type it like {EXAMPLE}")
    return _moment(found, near, zone)


def find_typed_time(text: str) -> str | None:
    """The first time written in free text ("deploy 4812 at 13:58"), as it was written."""
    found = _INSIDE.search(text)
    return found.group(0).strip() if found else None


def _moment(found: re.Match[str], near: datetime, zone: tzinfo | None) -> datetime:
    clock = time(int(found["hour"]), int(found["minute"]), int(found["second"] or 0))
    offset = _offset(found["zone"])
    here = offset if offset is not None else zone
    if found["date"]:
        try:
            day = date.fromisoformat(found["date"])
        except ValueError:
            raise ValueError(f"“{found.group(0).strip()}” has no such day") from None
        return _aware(datetime.combine(day, clock), here)
    reference = near.astimezone(here) if here is not None else near.astimezone()
    candidates = [
        _aware(datetime.combine(reference.date() + timedelta(days=shift), clock), here)
        for shift in (-1, 0, 1)
    ]
    return min(candidates, key=lambda moment: abs(moment - near))


def _offset(zone: str | None) -> tzinfo | None:
    if not zone:
        return None
    zone = zone.strip().upper()
    if zone in ("UTC", "Z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _aware(moment: datetime, zone: tzinfo | None) -> datetime:
    """A wall-clock time in `zone` (None: the machine's local zone), as UTC."""
    if zone is None:
        return moment.astimezone().astimezone(UTC)  # naive: Python reads it as local
    return moment.replace(tzinfo=zone).astimezone(UTC)
