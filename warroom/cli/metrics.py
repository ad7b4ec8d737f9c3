"""`warroom metrics [--since DATE] [--json|--csv]`: the metrics report, headless. No Qt here."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime

from warroom.domain.metrics import (
    MISSED_UPDATES_FORMULA,
    MITIGATION_SUCCESS_FORMULA,
    SERVICE_FREQUENCY_FORMULA,
    Measure,
    MetricsReport,
    percent,
    short_duration,
)
from warroom.domain.safe_text import json_safe, visible_line
from warroom.services.metrics import (
    MetricsService,
    closure_text,
    completion_text,
    excluded_text,
    mean_text,
    mitigation_text,
    period_text,
    rows,
    stat_text,
    to_csv,
    to_json,
)

EXIT_OK, EXIT_USAGE = 0, 2
OUTPUTS = ("table", "json", "csv")


def parse_since(text: str) -> datetime:
    """'2026-11-01' -> 2026-11-01 00:00 UTC. Raises ValueError with a message a user can act on."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01 "
            "(midnight UTC)"
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def run_metrics(metrics: MetricsService, since: str | None, output: str) -> int:
    """Prints the report for incidents declared since `since` (all time when None) as a text
    table, JSON or CSV. Returns 2 on a bad date or output name, 0 otherwise."""
    if output not in OUTPUTS:
        print(
            f"warroom: unknown output {output!r}; use one of {', '.join(OUTPUTS)}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = metrics.report(start, None)
    if output == "json":
        sys.stdout.write(json_safe(json.dumps(to_json(report), indent=2, ensure_ascii=False)))
        sys.stdout.write("\n")
    elif output == "csv":
        sys.stdout.write(to_csv(report))
    else:
        sys.stdout.write(text_report(report))
    return EXIT_OK


def _text_table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]


def text_report(report: MetricsReport) -> str:
    """The sections of the Markdown export, as aligned plain text for a terminal."""
    lines = [f"{period_text(report)} · {excluded_text(report)}", ""]
    lines += ["Response times: mean / median (n incidents with both times)"]
    lines += _text_table(
        ["SEV", "COUNT", *(m.abbreviation.upper() for m in Measure)],
        [
            [label, str(m.count), *(stat_text(m.stat(x)) for x in Measure)]
            for label, m in rows(report)
        ],
    )
    lines += [f"  {m.abbreviation}: {m.label}" for m in Measure]
    lines += ["", "Post-mortems and action items"]
    lines += _text_table(
        ["SEV", "PM PUBLISHED", "TARGET", "ITEMS CLOSED", "OVERDUE"],
        [
            [label, completion_text(m), percent(m.pm_target), closure_text(m), str(m.overdue)]
            for label, m in rows(report)
        ],
    )
    lines += ["", "Mitigation and communication"]
    lines += _text_table(
        ["SEV", "MITIGATION STEPS THAT WORKED", "MISSED UPDATE CADENCES"],
        [[label, mitigation_text(m), str(m.missed_updates)] for label, m in rows(report)],
    )
    lines += [f"  Mitigation success rate = {MITIGATION_SUCCESS_FORMULA}"]
    lines += [f"  Missed update cadences = {MISSED_UPDATES_FORMULA}"]
    lines += ["", "By affected service"]
    if report.services:
        lines += _text_table(
            ["SERVICE", "COUNT", *(f"MEAN {m.abbreviation.upper()}" for m in Measure)],
            [
                [visible_line(s.label), str(s.count), *(mean_text(s.stat(x)) for x in Measure)]
                for s in report.services
            ],
        )
    else:
        lines += ["No incidents in the period."]
    lines += [f"  {SERVICE_FREQUENCY_FORMULA}"]
    lines += ["", "By month (UTC, by declaration)"]
    lines += _text_table(
        ["MONTH", "COUNT", "MEDIAN TTR"],
        [[t.month, str(t.count), short_duration(t.median_resolve)] for t in report.months],
    )
    return "\n".join(lines) + "\n"
