"""Working hours: the business-day arithmetic behind P3's clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCAL = "local"


@dataclass(frozen=True)
class WorkingHours:
    timezone: str = LOCAL  # an IANA name such as "Europe/Berlin", or "local" for the machine's
    workdays: frozenset[int] = frozenset(range(5))  # Monday is 0
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)

    def _zone(self) -> tzinfo | None:
        # None means the machine's own zone; datetime.astimezone() applies its DST rules.
        return None if self.timezone == LOCAL else ZoneInfo(self.timezone)

    def to_local(self, moment: datetime) -> datetime:
        """Wall-clock time in the team's zone, as a naive datetime."""
        return moment.astimezone(self._zone()).replace(tzinfo=None)

    def from_local(self, wall: datetime) -> datetime:
        """A wall-clock time in the team's zone, as an aware UTC datetime."""
        zone = self._zone()
        aware = wall.astimezone() if zone is None else wall.replace(tzinfo=zone)
        return aware.astimezone(UTC)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays

    def _next_workday_after(self, day: date) -> date:
        for offset in range(1, 8):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise ValueError("working hours have no workdays")

    def _close_of(self, day: date) -> datetime:
        return self.from_local(datetime.combine(day, self.day_end))

    def end_of_business_day(self, moment: datetime) -> datetime:
        """Close of the business day `moment` falls in; after hours or off days, the next one's."""
        wall = self.to_local(moment)
        if self.is_workday(wall.date()) and wall.time() < self.day_end:
            return self._close_of(wall.date())
        return self._close_of(self._next_workday_after(wall.date()))

    def next_business_day(self, moment: datetime) -> datetime:
        """Close of the first workday after the day `moment` falls in."""
        return self._close_of(self._next_workday_after(self.to_local(moment).date()))
