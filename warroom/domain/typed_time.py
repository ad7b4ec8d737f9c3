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


# -- a time with its zone, as the zone-aware time field shows and reads it ----------------
# Abbreviations people paste from chat; each names one fixed offset (the North American
# ones, and Central Europe's). Any other zone is typed as a zoneinfo name or an offset.
ABBREVIATIONS: dict[str, timedelta] = {
    "PST": timedelta(hours=-8),
    "PDT": timedelta(hours=-7),
    "MST": timedelta(hours=-7),
    "MDT": timedelta(hours=-6),
    "CST": timedelta(hours=-6),
    "CDT": timedelta(hours=-5),
    "EST": timedelta(hours=-5),
    "EDT": timedelta(hours=-4),
    "CET": timedelta(hours=1),
    "CEST": timedelta(hours=2),
}
_OFFSET = re.compile(
    r"^(?:UTC|GMT)?\s*(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$",
    re.IGNORECASE,
)
_NAMED = re.compile(r"\((?P<name>[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)\)\s*$")
_HALF = r"(?:\s*(?P<half>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"  # "AM" but not "America/..."
_ZONED = re.compile(rf"^\s*(?:{_DATE}[ T]\s*)?{_TIME}{_HALF}(?P<rest>.*?)\s*$")
ZONED_EXAMPLE = "2026-11-22 13:58, 13:58 Europe/Paris or 9:37 AM -08:00"


def _zone_names() -> dict[str, str]:
    from zoneinfo import available_timezones

    return {name.lower(): name for name in available_timezones()}


def zone_from_text(text: str) -> tzinfo:
    """A zone as typed or picked: "UTC", "Z", "+01:00", "UTC-08:00", "GMT+2", a zoneinfo
    name ("Europe/Paris", any case), a listed abbreviation ("PST"), or the field's own label
    "UTC+01:00 (Europe/Paris)" (the name wins). Raises ValueError for anything else."""
    from zoneinfo import ZoneInfo

    typed = text.strip()
    named = _NAMED.search(typed)
    if named is not None:
        typed = named["name"]
    if typed.upper() in ("UTC", "Z", "GMT", "UTC+00:00"):
        return UTC
    if typed.upper() in ABBREVIATIONS:
        return timezone(ABBREVIATIONS[typed.upper()], typed.upper())
    offset = _OFFSET.match(typed)
    if offset is not None:
        hours, minutes = int(offset["hours"]), int(offset["minutes"] or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise ValueError(f"“{text.strip()}” is not a UTC offset: they run from -12 to +14")
        span = timedelta(hours=hours, minutes=minutes)
        return timezone(-span if offset["sign"] == "-" else span) if span else UTC
    name = _zone_names().get(typed.lower())
    if name is None:
        raise ValueError(
            f"“{text.strip()}” is not a zone: type a name like Europe/Paris or an offset "
            "like +01:00"
        )
    return ZoneInfo(name)


def offset_text(offset: timedelta | None) -> str:
    """'UTC+01:00', 'UTC-03:30', 'UTC+00:00'."""
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_name(zone: tzinfo) -> str:
    """The zoneinfo name ("Europe/Paris"), "UTC", or "" for a plain offset."""
    if zone is UTC:
        return "UTC"
    return str(getattr(zone, "key", "") or "")


def zone_label(zone: tzinfo, at: datetime) -> str:
    """The zone as the field shows it at a moment: 'UTC+01:00 (Europe/Paris)', or the
    offset alone for a zone with no name."""
    offset = offset_text(at.astimezone(zone).utcoffset())
    name = zone_name(zone)
    return f"{offset} ({name})" if name else offset


def wall_clock(moment: datetime, zone: tzinfo) -> str:
    """'2026-11-22 14:05', the moment's wall-clock time in `zone`, to the minute."""
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local:%m-%d %H:%M}"


def parse_zoned_time(text: str, near: datetime, zone: tzinfo) -> tuple[datetime, tzinfo] | None:
    """The moment typed, in UTC, and the zone it was typed in (a zone written after the time
    wins over `zone`); None for nothing typed. A time without a date is taken on the day
    nearest `near`. "9:37 AM" and "9:37 PM" read as 09:37 and 21:37. A wall-clock time that
    does not exist in the zone (skipped when clocks go forward) raises ValueError, as does
    anything that is not a time."""
    if not text.strip():
        return None
    found = _ZONED.match(text)
    if found is None:
        raise ValueError(f"“{text.strip()}” is not a time: type it like {ZONED_EXAMPLE}")
    here = zone_from_text(found["rest"]) if found["rest"].strip() else zone
    hour = int(found["hour"])
    if found["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"“{text.strip()}”: with AM or PM the hour runs from 1 to 12")
        hour = hour % 12 + (12 if found["half"][0].lower() == "p" else 0)
    clock = time(hour, int(found["minute"]), int(found["second"] or 0))
    if found["date"]:
        try:
            days = [date.fromisoformat(found["date"])]
        except ValueError:
            raise ValueError(f"“{text.strip()}” has no such day") from None
    else:
        today = near.astimezone(here).date()
        days = [today + timedelta(days=shift) for shift in (-1, 0, 1)]
    candidates = [_existing(datetime.combine(day, clock), here, text) for day in days]
    moment = min(candidates, key=lambda candidate: abs(candidate - near))
    return moment, here


def _existing(wall: datetime, zone: tzinfo, typed: str) -> datetime:
    """The wall-clock time in `zone` as UTC; the first of the two when clocks go back."""
    moment = wall.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall:
        name = zone_name(zone) or offset_text(wall.replace(tzinfo=zone).utcoffset())
        raise ValueError(
            f"“{typed.strip()}” does not exist in {name}: the clocks went forward over it"
        )
    return moment
