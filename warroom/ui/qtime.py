"""Conversions between aware UTC datetimes and Qt's date-time widgets (shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QDateTime

EDIT_FORMAT = "yyyy-MM-dd HH:mm:ss"
# The mark on a timeline row written down well after it happened (domain.derived says when).
ENTERED_LATER = "✎ entered later"


def to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000))


def from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC)


def local_text(moment: datetime | None, seconds: bool = True) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone()
    return local.strftime("%a %d %b %H:%M:%S" if seconds else "%a %d %b %H:%M")


def timeline_text(moment: datetime, now: datetime, zone: tzinfo | None = None) -> str:
    """A timeline row's time: 'Sun 22 Nov 14:05' this year, '22 Nov 2019 14:05' in another
    (the year of `now`, both in `zone`, default the machine's), so a back-entered incident
    never reads as this year's."""
    shown = moment.astimezone(zone)
    if shown.year == now.astimezone(zone).year:
        return shown.strftime("%a %d %b %H:%M")
    return f"{shown:%d %b} {shown.year:04d} {shown:%H:%M}"


def same_second(a: datetime | None, b: datetime | None) -> bool:
    """Widgets edit to the second; stored times may carry microseconds."""
    if a is None or b is None:
        return a is b
    return int(a.timestamp()) == int(b.timestamp())
