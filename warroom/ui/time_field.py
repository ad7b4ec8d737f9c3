"""One time field for every moment a user types: it shows the time with its zone and UTC
offset ("2026-11-22 14:05  UTC+01:00 (Europe/Paris)"), reads a time typed with or without a
zone ("13:58", "2026-11-22 13:58", "9:37 AM PST", "13:58 +05:30"), lets the user pick
another zone, and gives an aware datetime. A bad entry gets a message beside the field and
gives no value, so nothing is saved from it.

The field is a QLineEdit, so the window's shortcuts, Tab and Enter work in it as in any
other text field; Alt+Down (or the zone button inside it) picks the zone.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QLineEdit,
    QStyle,
    QWidget,
)

from warroom.domain.typed_time import (
    ZONED_EXAMPLE,
    offset_text,
    parse_zoned_time,
    wall_clock,
    zone_from_text,
    zone_label,
)
from warroom.ui.qtime import to_qdatetime

# QDateTimeEdit's "not set" value, which callers written for it may still pass.
_NOT_SET_MSECS = QDateTime.fromString("2000-01-01T00:00:00", Qt.DateFormat.ISODate)


def local_zone() -> tzinfo:
    """The machine's zone with its rules (so a time across a DST change gets its own
    offset): $TZ, else /etc/localtime's name, else the current fixed offset."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            if name.upper() in ("UTC", "ETC/UTC", "UTC0"):
                return UTC
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return timezone(offset) if offset else UTC


def zone_choices(at: datetime) -> list[str]:
    """What the zone picker lists: the plain offsets, then every zoneinfo name with its
    offset at `at`."""
    offsets = [offset_text(timedelta(minutes=15 * quarter)) for quarter in range(-48, 57, 2)]
    named = [zone_label(ZoneInfo(name), at) for name in sorted(available_timezones())]
    return ["UTC", *offsets, *named]


class TimeField(QLineEdit):
    """An aware moment, shown and typed in a zone. `value()` is the moment (None: empty),
    `invalid` carries the message for an entry that is not a time."""

    invalid = Signal(str)
    edited = Signal()  # the user typed, picked a zone, or a caller set a time as a user would

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        zone: tzinfo | None = None,
        near: datetime | None = None,
        empty_text: str = "not set",
    ) -> None:
        super().__init__(parent)
        self._zone: tzinfo = zone or local_zone()
        self._near = near
        self._value: datetime | None = None
        self._shown = ""  # the text last written for _value: unchanged text keeps it exact
        self._error = ""
        self.setPlaceholderText(f"{empty_text} — type a time")
        self.setToolTip(
            "Type a time, with a date and a zone if needed: "
            f"{ZONED_EXAMPLE}. Alt+Down picks the zone."
        )
        self.message = QLabel(parent)
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowDown)
        self.zone_action = self.addAction(icon, QLineEdit.ActionPosition.TrailingPosition)
        self.zone_action.setToolTip("Pick the zone (Alt+Down)")
        self.zone_action.triggered.connect(self.choose_zone)
        self.textEdited.connect(self._typed)
        self.set_value(None)

    # -- the value ---------------------------------------------------------------------------
    def zone(self) -> tzinfo:
        return self._zone

    def set_near(self, near: datetime | None) -> None:
        """The moment a time typed without a date is taken nearest to (default: now)."""
        self._near = near

    def set_value(self, moment: datetime | None) -> None:
        """Shows `moment` in the field's zone; None empties the field."""
        self._value = moment
        self._shown = "" if moment is None else self.text_for(moment)
        self.setText(self._shown)
        self.setCursorPosition(0)
        self._clear_error()

    def text_for(self, moment: datetime) -> str:
        return f"{wall_clock(moment, self._zone)}  {zone_label(self._zone, moment)}"

    def set_zone(self, zone: tzinfo) -> None:
        """Shows the same moment in another zone (what is typed is read first)."""
        moment = self._read(report=False) if self.text() != self._shown else self._value
        self._zone = zone
        if self._error:
            return
        self.set_value(moment)

    def value(self) -> datetime | None:
        """The moment shown, or None when the field is empty or holds no time (then the
        message says why, and `invalid` is emitted)."""
        if self.text() == self._shown:
            self._clear_error()
            return self._value
        return self._read(report=True)

    def is_valid(self) -> bool:
        return (
            self.text() == self._shown
            or self._read(report=False) is not None
            or (not self.text().strip())
        )

    def error_text(self) -> str:
        return self._error

    def _read(self, report: bool) -> datetime | None:
        near = self._near or datetime.now(UTC)
        try:
            parsed = parse_zoned_time(self.text(), near, self._zone)
        except ValueError as exc:
            if report:
                self._show_error(str(exc))
            return None
        if parsed is None:
            return None
        moment, zone = parsed
        if report:  # the field now reads back what was understood, in the zone typed
            self._zone = zone
            self.set_value(moment)
        return moment

    def _typed(self, _text: str) -> None:
        self._clear_error()
        self.edited.emit()

    def _show_error(self, text: str) -> None:
        self._error = text
        self.message.setText(text.rstrip(".") + ". Nothing saved.")
        self.message.show()
        self.setProperty("invalid", True)
        self.setStyleSheet("border: 2px solid #b00020;")
        self.invalid.emit(text)

    def _clear_error(self) -> None:
        if self._error or self.message.isVisible():
            self._error = ""
            self.message.hide()
            self.setStyleSheet("")

    # -- picking the zone ----------------------------------------------------------------------
    def choose_zone(self) -> None:
        at = self.value() or self._near or datetime.now(UTC)
        choices = zone_choices(at)
        current = zone_label(self._zone, at)
        index = choices.index(current) if current in choices else 0
        text, ok = QInputDialog.getItem(
            self, "Time zone", "Zone (a name like Europe/Paris, or an offset):", choices, index
        )
        if not ok:
            return
        try:
            zone = zone_from_text(text)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.set_zone(zone)
        self.edited.emit()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.choose_zone()
            return
        super().keyPressEvent(event)

    # -- what callers written for QDateTimeEdit use --------------------------------------------
    def setDateTime(self, value: QDateTime) -> None:  # noqa: N802 (Qt's name)
        if value == _NOT_SET_MSECS or not value.isValid():
            self.set_value(None)
        else:
            self.set_value(datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC))
        self.edited.emit()

    def dateTime(self) -> QDateTime:  # noqa: N802 (Qt's name)
        moment = self.value()
        return _NOT_SET_MSECS if moment is None else to_qdatetime(moment)

    def specialValueText(self) -> str:  # noqa: N802 (Qt's name)
        """What the field shows for no time: nothing (the placeholder says so)."""
        return ""
