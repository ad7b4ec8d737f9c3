"""The severity policy: response targets, update cadences, working hours, post-mortem due times,
and who stakeholder updates go to.

It is data (resources/policy.toml, overridable from the user's config dir), parsed here into
plain objects. A malformed file raises PolicyError naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from warroom.domain.durations import describe_duration, parse_duration
from warroom.domain.severity import Severity
from warroom.domain.workhours import LOCAL, WEEKDAY_NAMES, WorkingHours


class PolicyError(ValueError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


class TargetKind(StrEnum):
    DURATION = "duration"
    NEXT_BUSINESS_DAY = "next business day"
    END_OF_BUSINESS_DAY = "end of business day"


@dataclass(frozen=True)
class Target:
    """A deadline rule: a fixed span, or one of the business-day rules."""

    kind: TargetKind
    span: timedelta | None = None

    def deadline(self, anchor: datetime, hours: WorkingHours) -> datetime:
        if self.kind is TargetKind.DURATION:
            assert self.span is not None
            return anchor + self.span
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return hours.next_business_day(anchor)
        return hours.end_of_business_day(anchor)

    def describe(self) -> str:
        if self.kind is TargetKind.DURATION:
            assert self.span is not None
            return describe_duration(self.span)
        return self.kind.value

    def within(self) -> str:
        """'within 15 min' / 'by the close of the next business day'."""
        if self.kind is TargetKind.DURATION:
            return f"within {self.describe()}"
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return "by the close of the next business day"
        return "by the end of the business day"

    def every(self) -> str:
        """'every 15 min' / 'by the end of each business day'."""
        if self.kind is TargetKind.DURATION:
            return f"every {self.describe()}"
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return "by the close of each next business day"
        return "by the end of each business day"

    @classmethod
    def parse(cls, text: Any) -> Target:
        if not isinstance(text, str):
            raise ValueError("expected text such as '15m', '2h' or 'next business day'")
        words = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
        for kind in (TargetKind.NEXT_BUSINESS_DAY, TargetKind.END_OF_BUSINESS_DAY):
            if words == kind.value:
                return cls(kind)
        return cls(TargetKind.DURATION, parse_duration(text))


@dataclass(frozen=True)
class SeverityPolicy:
    respond_within: Target
    update_every: Target
    postmortem_due: timedelta | None  # None: no post-mortem is required at this level


# Who an update can go to when the team's policy file does not say.
DEFAULT_AUDIENCES: tuple[str, ...] = ("status page", "customers", "internal", "executives")
MAX_AUDIENCE_LENGTH = 40


@dataclass(frozen=True)
class Communication:
    """The audiences (or channels) a stakeholder update can go to, in the order offered."""

    audiences: tuple[str, ...] = DEFAULT_AUDIENCES


@dataclass(frozen=True)
class Policy:
    levels: dict[Severity, SeverityPolicy]
    working_hours: WorkingHours
    source: str
    communication: Communication = field(default_factory=Communication)

    def for_severity(self, severity: Severity) -> SeverityPolicy:
        return self.levels[severity]


def load_policy_file(path: Path) -> Policy:
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(source, "(file)", "is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, "(syntax)", str(exc)) from exc
    return parse_policy(data, source)


def parse_policy(data: dict[str, Any], source: str) -> Policy:
    levels_table = _table(data, "severity", source)
    levels: dict[Severity, SeverityPolicy] = {}
    for severity in Severity:
        key = f"severity.{severity.value}"
        level = levels_table.get(severity.value)
        if not isinstance(level, dict):
            raise PolicyError(source, key, "missing table")
        levels[severity] = SeverityPolicy(
            respond_within=_target(level, f"{key}.respond_within", source),
            update_every=_target(level, f"{key}.update_every", source),
            postmortem_due=_optional_span(level, f"{key}.postmortem_due", source),
        )
    unknown = set(levels_table) - {s.value for s in Severity}
    if unknown:
        raise PolicyError(source, f"severity.{sorted(unknown)[0]}", "unknown severity level")
    return Policy(
        levels=levels,
        working_hours=_working_hours(data, source),
        source=source,
        communication=_communication(data, source),
    )


def _communication(data: dict[str, Any], source: str) -> Communication:
    """`[communication] audiences = [...]`; the defaults when the table or the key is absent."""
    table = data.get("communication", {})
    if not isinstance(table, dict):
        raise PolicyError(source, "communication", "must be a table")
    unknown = sorted(set(table) - {"audiences"})
    if unknown:
        raise PolicyError(source, f"communication.{unknown[0]}", "unknown key (use audiences)")
    if "audiences" not in table:
        return Communication()
    key = "communication.audiences"
    values = table["audiences"]
    if not isinstance(values, list) or not values:
        raise PolicyError(
            source, key, 'must be a non-empty list of names, e.g. ["status page", "customers"]'
        )
    audiences: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise PolicyError(source, key, f"{value!r} is not a name: write each as text")
        name = " ".join(value.split())
        if len(name) > MAX_AUDIENCE_LENGTH:
            raise PolicyError(
                source, key, f"{name!r} is longer than {MAX_AUDIENCE_LENGTH} characters"
            )
        if name.casefold() in (a.casefold() for a in audiences):
            raise PolicyError(source, key, f"{name!r} is listed twice")
        audiences.append(name)
    return Communication(audiences=tuple(audiences))


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise PolicyError(source, key, "missing table")
    return value


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _target(level: dict[str, Any], key: str, source: str) -> Target:
    if _leaf(key) not in level:
        raise PolicyError(source, key, "missing")
    try:
        return Target.parse(level[_leaf(key)])
    except ValueError as exc:
        raise PolicyError(source, key, str(exc)) from exc


def _optional_span(level: dict[str, Any], key: str, source: str) -> timedelta | None:
    value = level.get(_leaf(key), "none")
    if isinstance(value, str) and value.strip().lower() == "none":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError("expected text such as '48h' or 'none'")
        return parse_duration(value)
    except ValueError as exc:
        raise PolicyError(source, key, str(exc)) from exc


def _clock_time(value: Any, key: str, source: str) -> time:
    try:
        if isinstance(value, time):
            return value
        if not isinstance(value, str):
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise PolicyError(source, key, f"{value!r} is not a time like '09:00'") from None


def _working_hours(data: dict[str, Any], source: str) -> WorkingHours:
    table = data.get("working_hours", {})
    if not isinstance(table, dict):
        raise PolicyError(source, "working_hours", "must be a table")
    defaults = WorkingHours()
    zone = table.get("timezone", LOCAL)
    if not isinstance(zone, str):
        raise PolicyError(source, "working_hours.timezone", "must be text")
    if zone != LOCAL:
        try:
            WorkingHours(timezone=zone).to_local(datetime.fromisoformat("2026-01-01T00:00+00:00"))
        except Exception:
            raise PolicyError(
                source, "working_hours.timezone", f"unknown time zone {zone!r}"
            ) from None
    days = table.get("workdays", list(WEEKDAY_NAMES[:5]))
    if not isinstance(days, list) or not days:
        raise PolicyError(source, "working_hours.workdays", "must be a non-empty list of days")
    workdays: set[int] = set()
    for day in days:
        name = str(day).strip().lower()[:3]
        if name not in WEEKDAY_NAMES:
            raise PolicyError(source, "working_hours.workdays", f"{day!r} is not a weekday")
        workdays.add(WEEKDAY_NAMES.index(name))
    start = _clock_time(table.get("day_start", "09:00"), "working_hours.day_start", source)
    end = _clock_time(table.get("day_end", "18:00"), "working_hours.day_end", source)
    if end <= start:
        raise PolicyError(source, "working_hours.day_end", "must be later than day_start")
    return WorkingHours(
        timezone=zone or defaults.timezone,
        workdays=frozenset(workdays),
        day_start=start,
        day_end=end,
    )
