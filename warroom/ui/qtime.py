"""Conversions between aware UTC datetimes and Qt's date-time widgets (shown in local time)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime

EDIT_FORMAT = "yyyy-MM-dd HH:mm:ss"


def to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000))


def from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC)


def local_text(moment: datetime | None, seconds: bool = True) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone()
    return local.strftime("%a %d %b %H:%M:%S" if seconds else "%a %d %b %H:%M")


def same_second(a: datetime | None, b: datetime | None) -> bool:
    """Widgets edit to the second; stored times may carry microseconds."""
    if a is None or b is None:
        return a is b
    return int(a.timestamp()) == int(b.timestamp())
