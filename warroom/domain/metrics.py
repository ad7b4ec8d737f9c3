"""Metrics across incidents (PRACTICE.md, "Metrics"): per severity, the count, mean and median
times to detect, acknowledge, mitigate, resolve and send the first update, post-mortem
completion, action-item closure, mitigation success, missed update cadences; month-by-month
trends; and frequency per affected service. Drills are excluded everywhere.

Plain data in, plain data out: the caller reads the store and hands one record per incident.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from warroom.domain import spans
from warroom.domain.incident import Incident
from warroom.domain.policy import Policy
from warroom.domain.postmortem import ActionItem, PostmortemStatus
from warroom.domain.severity import Severity
from warroom.domain.spans import Measure as Measure  # re-exported: callers read both here
from warroom.domain.timefmt import month_key as month_key  # re-exported
from warroom.domain.validation import EARLIEST

# The target completion rate where the policy requires a post-mortem (P0/P1 by default).
PM_TARGET = 1.0

# The formulas of the counts and rates, shown beside them wherever they appear.
MITIGATION_SUCCESS_FORMULA = "steps that worked / steps applied"
MISSED_UPDATES_FORMULA = (
    "update deadlines passed with no update sent, under the severity whose cadence it was"
)
SERVICE_FREQUENCY_FORMULA = (
    "incidents declared per affected service; mean of each measure over that service's incidents"
)
NO_SERVICE = "(no service)"  # the row of incidents whose affected service was never said


# -- inputs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IncidentRecord:
    """One incident with what metrics need beyond its own timestamps."""

    incident: Incident
    first_update_at: datetime | None = None  # the first UPDATE_SENT event
    postmortem: PostmortemStatus | None = None  # None: no write-up stored
    action_items: tuple[ActionItem, ...] = ()
    mitigations_applied: int = 0  # mitigation steps applied
    mitigations_worked: int = 0  # ... of which the check-back said they worked
    missed_updates: tuple[Severity, ...] = ()  # each standing missed cadence, by its level


# -- outputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stat:
    """Over the `n` incidents where both times exist; mean and median are None when n is 0."""

    n: int
    mean: timedelta | None
    median: timedelta | None


@dataclass(frozen=True)
class SeverityMetrics:
    count: int
    detect: Stat
    acknowledge: Stat
    mitigate: Stat
    resolve: Stat
    first_update: Stat
    pm_required: int  # resolved incidents whose policy requires a post-mortem
    pm_published: int  # ... of which the post-mortem is published
    pm_completion_rate: float | None  # None when nothing was required
    pm_target: float | None  # None when the policy requires no post-mortem at this level
    items_total: int
    items_closed: int  # done or won't do
    closure_rate: float | None  # None when there are no items
    overdue: int  # open items past their deadline, as of "now"
    mitigations_applied: int = 0
    mitigations_worked: int = 0
    mitigation_success_rate: float | None = None  # None when no step was applied
    missed_updates: int = 0  # missed update cadences of this severity

    def stat(self, measure: Measure) -> Stat:
        return getattr(self, measure.value)

    @property
    def pm_shortfall(self) -> bool:
        """Below target: worth flagging in words, not only colour."""
        return (
            self.pm_target is not None
            and self.pm_completion_rate is not None
            and self.pm_completion_rate < self.pm_target
        )


@dataclass(frozen=True)
class ServiceMetrics:
    """Frequency per affected service: how many incidents, and the mean of each measure."""

    service: str  # "" for incidents whose service was never said
    count: int
    stats: dict[Measure, Stat]

    @property
    def label(self) -> str:
        return self.service or NO_SERVICE

    def stat(self, measure: Measure) -> Stat:
        return self.stats[measure]


@dataclass(frozen=True)
class MonthTrend:
    month: str  # "2026-11", by declaration time in UTC
    count: int
    median_resolve: timedelta | None
    resolved: int = 0  # the n behind median_resolve


@dataclass(frozen=True)
class MetricsReport:
    since: datetime | None  # incidents declared in [since, until); None: unbounded
    until: datetime | None
    by_severity: dict[Severity, SeverityMetrics]
    all: SeverityMetrics
    months: list[MonthTrend]
    drills_excluded: int
    services: list[ServiceMetrics] = field(default_factory=list)  # most incidents first
    duplicates_excluded: int = 0  # marked as duplicates of another incident (drills apart)


# -- periods the view offers -----------------------------------------------------------------
class Period(StrEnum):
    DAYS_30 = "30d"
    DAYS_90 = "90d"
    MONTHS_12 = "12m"
    ALL_TIME = "all"

    @property
    def label(self) -> str:
        return _PERIOD_LABELS[self]

    def since(self, now: datetime) -> datetime | None:
        if self is Period.ALL_TIME:
            return None
        if self is Period.MONTHS_12:
            return _one_year_before(now)
        return now - timedelta(days=30 if self is Period.DAYS_30 else 90)


_PERIOD_LABELS = {
    Period.DAYS_30: "Last 30 days",
    Period.DAYS_90: "Last 90 days",
    Period.MONTHS_12: "Last 12 months",
    Period.ALL_TIME: "All time",
}


def _one_year_before(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


# -- the computation -------------------------------------------------------------------------
def compute_metrics(
    records: Iterable[IncidentRecord],
    policy: Policy,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> MetricsReport:
    """Metrics over the incidents declared in [since, until), drills and duplicates left
    out."""
    for name, moment in (("since", since), ("until", until), ("now", now)):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    in_period = [r for r in records if _in_period(r.incident.declared_at, since, until)]
    drills = [r for r in in_period if r.incident.is_drill]
    duplicates = [
        r for r in in_period if not r.incident.is_drill and r.incident.duplicate_of is not None
    ]
    real = [r for r in in_period if not r.incident.is_drill and r.incident.duplicate_of is None]
    today = now.astimezone(UTC).date()
    # Each record's spans in seconds, worked out once for every row that counts it.
    span_seconds = spans.span_seconds  # in Measure's order, as _MEASURES
    measured = {id(r): span_seconds(r.incident, r.first_update_at) for r in real}
    by_level: dict[Severity, list[IncidentRecord]] = {level: [] for level in Severity}
    for record in real:
        by_level[record.incident.severity].append(record)
    by_severity = {
        level: _severity_metrics(
            by_level[level], policy, today, _requires_pm(policy, level), measured
        )
        for level in Severity
    }
    missed = Counter(level for r in real for level in r.missed_updates)  # one pass, not four
    for level, metrics in by_severity.items():
        by_severity[level] = replace(metrics, missed_updates=missed[level])
    # The "all" row's target covers the levels that require a write-up.
    any_required = any(_requires_pm(policy, level) for level in Severity)
    return MetricsReport(
        since=since,
        until=until,
        by_severity=by_severity,
        all=_severity_metrics(real, policy, today, any_required, measured),
        months=_month_trends(real, since, until, now, measured),
        drills_excluded=len(drills),
        services=_service_metrics(real, measured),
        duplicates_excluded=len(duplicates),
    )


_MEASURES = tuple(Measure)  # iterating the enum itself costs a generator each time
_RESOLVE = _MEASURES.index(Measure.RESOLVE)
# Each record's spans in seconds, in _MEASURES' order, by id() of the record: compute_metrics
# works them out once for every row that counts the record.
_Measured = dict[int, tuple[float | None, ...]]


def _stats(records: list[IncidentRecord], measured: _Measured) -> dict[Measure, Stat]:
    rows = [measured[id(r)] for r in records]
    columns = list(zip(*rows, strict=True)) or [()] * len(_MEASURES)  # a column per measure
    return {m: _stat_of_seconds(column) for m, column in zip(_MEASURES, columns, strict=True)}


def _service_metrics(records: list[IncidentRecord], measured: _Measured) -> list[ServiceMetrics]:
    """One row per affected service (spelled alike, whatever the case), most incidents first;
    the incidents with no service said last."""
    groups: dict[str, list[IncidentRecord]] = {}
    names: dict[str, str] = {}
    keys: dict[str, str] = {}  # by the service as stored: a few names, many incidents
    for record in records:
        service = record.incident.service
        key = keys.get(service)
        if key is None:
            name = " ".join(service.split())
            key = keys[service] = name.casefold()
            names.setdefault(key, name)
        groups.setdefault(key, []).append(record)
    rows = [
        ServiceMetrics(
            service=names[key],
            count=len(chosen),
            stats=_stats(chosen, measured),
        )
        for key, chosen in groups.items()
    ]
    return sorted(rows, key=lambda r: (r.service == "", -r.count, r.service.casefold()))


def _in_period(moment: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or moment >= since) and (until is None or moment < until)


def _requires_pm(policy: Policy, severity: Severity) -> bool:
    return policy.for_severity(severity).postmortem_due is not None


def span(record: IncidentRecord, measure: Measure) -> timedelta | None:
    return spans.span(record.incident, record.first_update_at, measure)


def stat(values: Iterable[timedelta | None]) -> Stat:
    return _stat_of_seconds(None if s is None else s.total_seconds() for s in values)


def _stat_of_seconds(values: Iterable[float | None]) -> Stat:
    seconds = [s for s in values if s is not None]
    if not seconds:
        return Stat(0, None, None)
    return Stat(
        n=len(seconds),
        mean=timedelta(seconds=statistics.fmean(seconds)),
        median=timedelta(seconds=statistics.median(seconds)),
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _is_resolved(incident: Incident) -> bool:
    # As for the post-mortem due clock: resolved, and not moved back to an open stage.
    return incident.resolved_at is not None and not incident.status.is_open


def _severity_metrics(
    records: list[IncidentRecord],
    policy: Policy,
    today: date,
    has_target: bool,
    measured: _Measured,
) -> SeverityMetrics:
    required = {level for level in Severity if _requires_pm(policy, level)}  # once, not per record
    due = [r for r in records if r.incident.severity in required and _is_resolved(r.incident)]
    published = sum(r.postmortem is PostmortemStatus.PUBLISHED for r in due)
    items = [item for r in records for item in r.action_items]
    closed = sum(item.status.is_closed for item in items)
    stats = _stats(records, measured)
    applied = sum(r.mitigations_applied for r in records)
    worked = sum(r.mitigations_worked for r in records)
    return SeverityMetrics(
        count=len(records),
        detect=stats[Measure.DETECT],
        acknowledge=stats[Measure.ACKNOWLEDGE],
        mitigate=stats[Measure.MITIGATE],
        resolve=stats[Measure.RESOLVE],
        first_update=stats[Measure.FIRST_UPDATE],
        pm_required=len(due),
        pm_published=published,
        pm_completion_rate=_rate(published, len(due)),
        pm_target=PM_TARGET if has_target else None,
        items_total=len(items),
        items_closed=closed,
        closure_rate=_rate(closed, len(items)),
        overdue=sum(item.is_overdue(today) for item in items),
        mitigations_applied=applied,
        mitigations_worked=worked,
        mitigation_success_rate=_rate(worked, applied),
        missed_updates=sum(len(r.missed_updates) for r in records),
    )


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months: list[str] = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_keys(moments: list[datetime]) -> list[str]:
    """month_key of each moment; a moment already in UTC by its year and month, worked out
    once per month."""
    known: dict[tuple[int, int], str] = {}
    keys = []
    for moment in moments:
        if moment.tzinfo is UTC:
            month = (moment.year, moment.month)
            key = known.get(month)
            if key is None:
                key = known[month] = month_key(moment)
        else:
            key = month_key(moment)
        keys.append(key)
    return keys


def _month_trends(
    records: list[IncidentRecord],
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    measured: _Measured,
) -> list[MonthTrend]:
    """Every month of the period, empty ones included, so a chart shows the gaps. An
    unbounded start follows the data; an unbounded end runs to now."""
    keys = _month_keys([r.incident.declared_at for r in records])
    if since is not None and since < EARLIEST:
        since = None  # before any time that can be stored (--since 0001-01-01): all time
    if since is None and not keys:
        return []
    first = month_key(since) if since is not None else min(keys)
    last = month_key(until - timedelta(microseconds=1)) if until is not None else month_key(now)
    first, last = min([first, *keys]), max([last, *keys])  # a record a little past now
    by_month: dict[str, list[IncidentRecord]] = {}
    for record, key in zip(records, keys, strict=True):
        by_month.setdefault(key, []).append(record)
    trends = []
    for month in _months_between(first, last):
        chosen = by_month.get(month, [])
        resolve = _stat_of_seconds(measured[id(r)][_RESOLVE] for r in chosen)
        trends.append(MonthTrend(month, len(chosen), resolve.median, resolve.n))
    return trends


# -- wording shared by the view, the exports and the CLI --------------------------------------
def short_duration(value: timedelta | None) -> str:
    """'45s', '12m 30s', '2h 05m', '3d 04h 00m'; '—' when there is nothing to show. From an
    hour up the minutes always show, so a day and eleven minutes never reads as a round day."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h {seconds % 3600 // 60:02d}m"


def percent(rate: float | None) -> str:
    """'67 %'; '—' when there is no rate. A shortfall never rounds up to '100 %'."""
    if rate is None:
        return "—"
    shown = round(rate * 100)
    return f"{min(shown, 99) if rate < 1 else shown} %"
