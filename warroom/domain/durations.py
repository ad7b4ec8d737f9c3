"""Parsing and formatting of durations as people write and read them."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """'15m', '2h', '1h30m', '48h' or '90s'. Raises ValueError on anything else."""
    cleaned = text.replace(" ", "")
    if not cleaned or _PART.sub("", cleaned):
        raise ValueError(f"{text!r} is not a duration like '15m', '2h' or '1h30m'")
    total = timedelta()
    for amount, unit in _PART.findall(cleaned):
        total += timedelta(**{_UNITS[unit.lower()]: int(amount)})
    if total <= timedelta(0):
        raise ValueError(f"{text!r} must be longer than zero")
    return total


def describe_duration(span: timedelta) -> str:
    """Short human wording: '15 min', '2 h', '1 h 30 min', '2 d'."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    words = " ".join(f"{amount} {unit}" for amount, unit in parts if amount)
    return words or f"{int(span.total_seconds())} s"


def hms(span: timedelta) -> str:
    """h:mm:ss, the elapsed-time format; from 100 hours on, days first ("4d 04:15:00"):
    an incident entered from years ago must not read as 65500:45:00."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 100:
        return f"{hours // 24}d {hours % 24:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}:{secs:02d}"


def compact(span: timedelta) -> str:
    """m:ss under an hour, h:mm:ss under a day, then 'Nd hh:mm': countdown format."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    if seconds < 86400:
        return hms(timedelta(seconds=seconds))
    days, rest = divmod(seconds, 86400)
    return f"{days}d {rest // 3600:02d}:{rest % 3600 // 60:02d}"
