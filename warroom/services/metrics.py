"""Metrics across incidents: reads what core/metrics.py needs in one read transaction, and
renders the report as CSV, Markdown or JSON. The GUI and the CLI both go through here, so
their exports are identical."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.domain.cadence import standing_severities
from warroom.domain.metrics import (
    MISSED_UPDATES_FORMULA,
    MITIGATION_SUCCESS_FORMULA,
    SERVICE_FREQUENCY_FORMULA,
    IncidentRecord,
    Measure,
    MetricsReport,
    ServiceMetrics,
    SeverityMetrics,
    Stat,
    compute_metrics,
    percent,
    short_duration,
)
from warroom.domain.safe_text import visible_line
from warroom.domain.timefmt import utc_minute
from warroom.services.incidents import IncidentService
from warroom.services.ports import UnitOfWork
from warroom.services.ports.metrics import TimelineSummary
from warroom.services.postmortems import PostmortemService
from warroom.system.collector import collector_paused

__all__ = ["CSV_COLUMNS", "MetricsService", "to_csv", "to_json", "to_markdown"]


class MetricsService:
    def __init__(self, incidents: IncidentService, postmortems: PostmortemService) -> None:
        self.incidents = incidents
        self.postmortems = postmortems

    def report(self, since: datetime | None, until: datetime | None = None) -> MetricsReport:
        """Incidents declared in [since, until); None leaves that side open. Drills are read
        (so the report can say how many were left out) and excluded by core."""
        # A record, an incident and a dozen values per incident, tens of thousands at once,
        # none in a cycle: the collector's repeated passes over them would only cost time.
        with collector_paused():
            with self.incidents.reading() as uow:
                records = _records(uow)
            policy, now = self.incidents.policy, self.incidents.now()
            return compute_metrics(records, policy, since, until, now)


# -- reading ---------------------------------------------------------------------------------
def _records(uow: UnitOfWork) -> list[IncidentRecord]:
    """Every incident with what metrics need (core picks the period): five reads, whatever
    the number of incidents; one unit of work, so one snapshot. What needs the timelines
    comes summed up per incident (first update, mitigation steps), or as the few events
    that record a missed cadence, so the work grows with incidents, not events."""
    incidents = uow.metrics.incidents()
    summaries = uow.metrics.timeline_summaries()
    statuses = uow.postmortems.statuses()
    items = uow.postmortems.action_items()
    nothing = TimelineSummary()
    records = []
    for incident in incidents:
        summary = summaries.get(incident.id, nothing)
        cadence = summary.cadence_events
        found = items.get(incident.id)
        records.append(
            IncidentRecord(
                incident=incident,
                first_update_at=summary.first_update_at,
                postmortem=statuses.get(incident.id),
                action_items=() if found is None else tuple(found),
                mitigations_applied=summary.mitigations_applied,
                mitigations_worked=summary.mitigations_worked,
                missed_updates=tuple(standing_severities(cadence)) if cadence else (),
            )
        )
    return records


# -- rendering -------------------------------------------------------------------------------
def rows(report: MetricsReport) -> list[tuple[str, SeverityMetrics]]:
    """(label, metrics): P0 to P3, then "all"."""
    return [(level.value, m) for level, m in report.by_severity.items()] + [("all", report.all)]


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _cell(value: float | int | None) -> str:
    """CSV text: empty for "no value", whole numbers without a trailing '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# One row per severity plus an "all" row; durations in seconds, rates as decimals (0 to 1),
# empty cells where there is nothing to measure:
#   severity        P0, P1, P2, P3 or all
#   count           incidents declared in the period (drills excluded)
#   <m>_n           incidents where both times of measure <m> exist
#   <m>_mean_s      mean of <m>, seconds
#   <m>_median_s    median of <m>, seconds
#       <m> is detect, acknowledge, mitigate, resolve, first_update
#   pm_required     resolved incidents whose policy requires a post-mortem
#   pm_published    ... of which the post-mortem is published
#   pm_completion_rate  pm_published / pm_required
#   pm_target       the target completion rate (1 where a post-mortem is required)
#   items_total, items_closed (done or won't do), closure_rate, overdue (open, past deadline)
#   mitigations_applied, mitigations_worked, mitigation_success_rate (worked / applied)
#   missed_updates  update deadlines passed with no update, of this severity's cadence
# Then one row per affected service ("service:<name>", "service:" for none said): count and
# the <m>_n, <m>_mean_s, <m>_median_s columns; the other cells empty.
CSV_COLUMNS: tuple[str, ...] = (
    "severity",
    "count",
    *(f"{m.value}_{part}" for m in Measure for part in ("n", "mean_s", "median_s")),
    "pm_required",
    "pm_published",
    "pm_completion_rate",
    "pm_target",
    "items_total",
    "items_closed",
    "closure_rate",
    "overdue",
    "mitigations_applied",
    "mitigations_worked",
    "mitigation_success_rate",
    "missed_updates",
)


def _csv_row(label: str, m: SeverityMetrics) -> list[str]:
    values: list[float | int | None] = [m.count]
    for measure in Measure:
        s = m.stat(measure)
        values += [s.n, _seconds(s.mean), _seconds(s.median)]
    values += [m.pm_required, m.pm_published, _rate(m.pm_completion_rate), m.pm_target]
    values += [m.items_total, m.items_closed, _rate(m.closure_rate), m.overdue]
    values += [m.mitigations_applied, m.mitigations_worked, _rate(m.mitigation_success_rate)]
    values += [m.missed_updates]
    return [label, *(_cell(v) for v in values)]


def _csv_service_row(s: ServiceMetrics) -> list[str]:
    values: list[float | int | None] = [s.count]
    for measure in Measure:
        st = s.stat(measure)
        values += [st.n, _seconds(st.mean), _seconds(st.median)]
    cells = [f"service:{s.service}", *(_cell(v) for v in values)]
    return cells + [""] * (len(CSV_COLUMNS) - len(cells))


def to_csv(report: MetricsReport) -> str:
    """See CSV_COLUMNS for the header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for label, m in rows(report):
        writer.writerow(_csv_row(label, m))
    for service in report.services:
        writer.writerow(_csv_service_row(service))
    return out.getvalue()


def _stat_json(s: Stat) -> dict[str, Any]:
    return {"n": s.n, "mean_s": _seconds(s.mean), "median_s": _seconds(s.median)}


def _severity_json(m: SeverityMetrics) -> dict[str, Any]:
    return {
        "count": m.count,
        **{measure.value: _stat_json(m.stat(measure)) for measure in Measure},
        "postmortems": {
            "required": m.pm_required,
            "published": m.pm_published,
            "completion_rate": _rate(m.pm_completion_rate),
            "target": m.pm_target,
            "below_target": m.pm_shortfall,
        },
        "action_items": {
            "total": m.items_total,
            "closed": m.items_closed,
            "closure_rate": _rate(m.closure_rate),
            "overdue": m.overdue,
        },
        "mitigations": {
            "applied": m.mitigations_applied,
            "worked": m.mitigations_worked,
            "success_rate": _rate(m.mitigation_success_rate),
        },
        "missed_updates": m.missed_updates,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def to_json(report: MetricsReport) -> dict[str, Any]:
    """Durations in seconds, rates as decimals, null where there is nothing to measure."""
    return {
        "since": _iso(report.since),
        "until": _iso(report.until),
        "drills_excluded": report.drills_excluded,
        "duplicates_excluded": report.duplicates_excluded,
        "by_severity": {level.value: _severity_json(m) for level, m in report.by_severity.items()},
        "all": _severity_json(report.all),
        "months": [
            {
                "month": t.month,
                "count": t.count,
                "resolved": t.resolved,
                "median_resolve_s": _seconds(t.median_resolve),
            }
            for t in report.months
        ],
        "services": [
            {
                "service": s.service,
                "count": s.count,
                **{measure.value: _stat_json(s.stat(measure)) for measure in Measure},
            }
            for s in report.services
        ],
        "formulas": FORMULAS,
    }


# Every measure's formula, for a reader of the JSON as for one of the tables.
FORMULAS: dict[str, str] = {
    **{m.value: m.formula for m in Measure},
    "mitigation_success_rate": MITIGATION_SUCCESS_FORMULA,
    "missed_updates": MISSED_UPDATES_FORMULA,
    "services": SERVICE_FREQUENCY_FORMULA,
}


def period_text(report: MetricsReport) -> str:
    if report.since is None and report.until is None:
        return "All incidents"
    if report.until is None:
        assert report.since is not None
        return f"Incidents declared since {utc_minute(report.since)}"
    if report.since is None:
        return f"Incidents declared before {utc_minute(report.until)}"
    return f"Incidents declared from {utc_minute(report.since)} to {utc_minute(report.until)}"


def drills_text(count: int) -> str:
    return f"{count} drill{'' if count == 1 else 's'} excluded"


def excluded_text(report: MetricsReport) -> str:
    """What the figures leave out: drills always said, duplicates when there are any."""
    text = drills_text(report.drills_excluded)
    if report.duplicates_excluded:
        n = report.duplicates_excluded
        text += f" · {n} duplicate{'' if n == 1 else 's'} excluded"
    return text


def stat_text(s: Stat) -> str:
    """'12m 00s / 10m 00s (n=3)': mean / median, with the number of incidents behind them."""
    if s.n == 0:
        return "—"
    return f"{short_duration(s.mean)} / {short_duration(s.median)} (n={s.n})"


def completion_text(m: SeverityMetrics) -> str:
    if m.pm_required == 0:
        return "none due" if m.pm_target is not None else "not required"
    shown = f"{m.pm_published} of {m.pm_required} ({percent(m.pm_completion_rate)})"
    return shown + (" ⚠ below target" if m.pm_shortfall else "")


def closure_text(m: SeverityMetrics) -> str:
    if m.items_total == 0:
        return "no items"
    return f"{m.items_closed} of {m.items_total} ({percent(m.closure_rate)})"


def mitigation_text(m: SeverityMetrics) -> str:
    """'3 of 4 (75 %)': steps that worked of steps applied."""
    if m.mitigations_applied == 0:
        return "none applied"
    rate = percent(m.mitigation_success_rate)
    return f"{m.mitigations_worked} of {m.mitigations_applied} ({rate})"


def mean_text(s: Stat) -> str:
    """'12m 00s (n=3)': a mean, with the number of incidents behind it."""
    return "—" if s.n == 0 else f"{short_duration(s.mean)} (n={s.n})"


def _table(header: list[str], body: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = [header, align, *body]
    return ["| " + " | ".join(line) + " |" for line in lines]


def to_markdown(report: MetricsReport) -> str:
    """Numbers and labels, and one piece of user-typed text: the affected services' names,
    escaped so a name shows as typed and never breaks the table."""
    measures = list(Measure)
    lines = [
        "# Incident metrics",
        "",
        f"{period_text(report)} · {excluded_text(report)}.",
        "",
        "## Response times",
        "",
        "Mean / median, over the n incidents where both times exist.",
        "",
    ]
    lines += _table(
        ["Severity", "Incidents", *(m.abbreviation for m in measures)],
        [
            [label, str(m.count), *(stat_text(m.stat(x)) for x in measures)]
            for label, m in rows(report)
        ],
        right={1},
    )
    lines += ["", *(f"- {m.abbreviation}: {m.label}" for m in measures), ""]
    lines += ["## Post-mortems and action items", ""]
    lines += _table(
        ["Severity", "Post-mortems published", "Target", "Action items closed", "Overdue"],
        [
            [label, completion_text(m), percent(m.pm_target), closure_text(m), str(m.overdue)]
            for label, m in rows(report)
        ],
        right={4},
    )
    lines += ["", "## Mitigation and communication", ""]
    lines += _table(
        ["Severity", "Mitigation steps that worked", "Missed update cadences"],
        [[label, mitigation_text(m), str(m.missed_updates)] for label, m in rows(report)],
        right={2},
    )
    lines += [
        "",
        f"- Mitigation success rate = {MITIGATION_SUCCESS_FORMULA}",
        f"- Missed update cadences = {MISSED_UPDATES_FORMULA}",
        "",
        "## By affected service",
        "",
        f"{SERVICE_FREQUENCY_FORMULA[:1].upper()}{SERVICE_FREQUENCY_FORMULA[1:]}.",
        "",
    ]
    if report.services:
        lines += _table(
            ["Service", "Incidents", *(f"Mean {m.abbreviation}" for m in measures)],
            [
                [_md_cell(s.label), str(s.count), *(mean_text(s.stat(x)) for x in measures)]
                for s in report.services
            ],
            right={1},
        )
    else:
        lines += ["No incidents in the period."]
    lines += ["", "## By month (UTC, by declaration)", ""]
    lines += _table(
        ["Month", "Incidents", "Median time to resolve"],
        [
            [t.month, str(t.count), short_duration(t.median_resolve) + _n(t.resolved)]
            for t in report.months
        ],
        right={1},
    )
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
_MD_START = re.compile(r"^(?:([-+=])|([0-9]+)([.)]))")


def _md_cell(text: str) -> str:
    """A name as literal Markdown in one table cell: no list marker, link or '|' of its own."""
    escaped = _MD_SPECIAL.sub(r"\\\1", visible_line(text))
    start = _MD_START.match(escaped)
    if start is None:
        return escaped
    if start.group(1):
        return "\\" + escaped
    return f"{start.group(2)}\\{start.group(3)}{escaped[start.end() :]}"


def _n(count: int) -> str:
    return f" (n={count})" if count else ""
