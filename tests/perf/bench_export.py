"""Time to render a large post-mortem as Markdown: 2,000 timeline rows, 200 action items;
then the export of an incident with 20,000 events.

    python tests/perf/bench_export.py [--runs 20] [--rows 2000] [--items 200]
                                      [--events 20000] [--big-runs 7]

Two figures for each: render_postmortem on objects built in memory (the Jinja2 template and
the escaping filters), and `warroom export` end to end, PostmortemService.markdown reading
the incident, its events and the post-mortem from a SQLite file and rendering them; for the
20,000 events the second is also split into the read (the unit of work's timeline of the
incident) and the render. Every row and item carries Markdown-looking text, so the escaping
does real work. --events 0 leaves the large incident out.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fixtures import Summary, fmt_ms, header

from warroom import bootstrap
from warroom.adapters.export.markdown import make_environment, render_postmortem
from warroom.adapters.sql.sqlite.database import open_database
from warroom.domain.clock import FakeClock
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Role, Status
from warroom.domain.policy import load_policy_file
from warroom.domain.postmortem import (
    ActionItem,
    AddedRow,
    ItemPriority,
    ItemStatus,
    Postmortem,
    TimelineEdit,
    timeline_rows,
)
from warroom.domain.severity import Severity
from warroom.system.paths import builtin_policy_file

DECLARED = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KINDS = (EventKind.NOTE, EventKind.MITIGATION, EventKind.UPDATE_SENT, EventKind.TRIAGE)


def build(
    rows: int, items: int, captured: int | None = None
) -> tuple[Incident, Postmortem, list[TimelineEvent]]:
    """`rows` timeline rows in all: captured events (every 10th reworded, every 50th hidden,
    hidden ones not counted) plus one added row per 20. With `captured`, exactly that many
    events instead (and still rows // 20 added rows)."""
    incident = Incident(
        id=1,
        title="Checkout | payments returning 500s",
        severity=Severity.P1,
        status=Status.RESOLVED,
        impact="30 % of checkout requests failed",
        declared_at=DECLARED,
        impact_started_at=DECLARED - timedelta(minutes=20),
        detected_at=DECLARED - timedelta(minutes=8),
        acknowledged_at=DECLARED + timedelta(minutes=4),
        mitigated_at=DECLARED + timedelta(minutes=35),
        resolved_at=DECLARED + timedelta(hours=30),
        roles={Role.COMMANDER: "Dana Whitfield"},
    )
    added = tuple(
        AddedRow(DECLARED + timedelta(seconds=53 * n), f"Added row {n}: see `dashboard` #{n}")
        for n in range(rows // 20)
    )
    events: list[TimelineEvent] = []
    edits: dict[int, TimelineEdit] = {}
    visible = 0
    while visible < rows - len(added) if captured is None else len(events) < captured:
        event_id = len(events) + 1
        at = DECLARED + timedelta(seconds=50 * event_id)
        text = f"Step {event_id}: rolled back *checkout-api* | error rate <5 %\n- then checked"
        events.append(TimelineEvent(event_id, 1, KINDS[event_id % 4], at, at, "dana", text))
        if event_id % 50 == 0:
            edits[event_id] = TimelineEdit(hidden=True)
            continue
        if event_id % 10 == 0:
            edits[event_id] = TimelineEdit(text=f"Reworded step {event_id} [see runbook](x)")
        visible += 1
    action_items = tuple(
        ActionItem(
            action=f"Item {n}: add an alert on `5xx` | rate > 1 %",
            owner="Sam Chen",
            deadline=date(2026, 11, 1) + timedelta(days=n % 60),
            status=tuple(ItemStatus)[n % 4],
            priority=tuple(ItemPriority)[n % 3],
        )
        for n in range(items)
    )
    paragraph = "The pool shrank to 5.\n# not a heading\n\n> not a quote | nor a table"
    postmortem = Postmortem(
        incident_id=1,
        title=incident.title,
        authors="Dana Whitfield, Sam Chen",
        impact=incident.impact,
        root_cause=paragraph,
        contributing_factors=paragraph,
        detection=paragraph,
        detection_sooner=paragraph,
        went_well=paragraph,
        went_poorly=paragraph,
        lessons=paragraph,
        prevention=paragraph,
        timeline_edits=edits,
        added_rows=added,
        action_items=action_items,
    )
    return incident, postmortem, events


def time_export_from_file(
    incident: Incident,
    postmortem: Postmortem,
    events: list[TimelineEvent],
    runs: int,
    split: list[tuple[float, float]] | None = None,
) -> list[float]:
    """The same document stored in a real database file, exported as `warroom export` does.
    `split` (when given) gets (read, render) of as many more runs: the unit of work's read of
    the incident's timeline, and the renderer over what the export reads."""
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(Path(folder) / "warroom.db", now=NOW)
        try:
            services = bootstrap.build(database, FakeClock(NOW), actor="dana")
            service = services.incidents
            stored = service.declare(incident.title, incident.severity, impact=incident.impact)
            ids: dict[int, int] = {}
            with service.writing() as write:  # bulk: one transaction, not 2,000 commits
                for event in events:
                    row = write.uow.timeline.add(
                        stored.id,
                        event.kind,
                        at=event.at,
                        recorded_at=event.recorded_at,
                        actor=event.actor,
                        text=event.text,
                    )
                    assert row.id is not None
                    ids[event.id] = row.id
            edits = {ids[k]: v for k, v in postmortem.timeline_edits.items()}
            postmortems = services.postmortems
            postmortems.save(replace(postmortem, incident_id=stored.id, timeline_edits=edits))
            postmortems.markdown(stored.id)  # warm-up
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                postmortems.markdown(stored.id)
                timings.append((time.perf_counter() - started) * 1000)
            if split is not None:
                renderer, policy = postmortems.renderer, service.policy
                saved = postmortems.get(stored.id)
                for _ in range(runs):
                    started = time.perf_counter()
                    with service.reading() as uow:
                        found = uow.incidents.to_incident(uow.incidents.get(stored.id))
                        timeline = uow.timeline.of_incident(stored.id)
                    read = time.perf_counter()
                    renderer.postmortem(found, saved, timeline, policy, service.now())
                    done = time.perf_counter()
                    split.append(((read - started) * 1000, (done - read) * 1000))
            return timings
        finally:
            database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--big-runs", type=int, default=7)
    args = parser.parse_args()
    incident, postmortem, events = build(args.rows, args.items)
    assert len(timeline_rows(events, postmortem)) == args.rows
    policy = load_policy_file(builtin_policy_file())
    env = make_environment()
    output = render_postmortem(env, incident, postmortem, events, policy, NOW)  # warm-up
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        render_postmortem(env, incident, postmortem, events, policy, NOW)
        timings.append((time.perf_counter() - started) * 1000)
    table_rows = sum(1 for line in output.splitlines() if line.startswith("| "))
    header(
        f"render_postmortem: {args.rows} timeline rows, {args.items} action items "
        f"({args.runs} runs after one warm-up)"
    )
    summary = Summary.of(timings)
    print(f"  median {fmt_ms(summary.median)}   max {fmt_ms(summary.maximum)}")
    print(
        f"  output {len(output.encode('utf-8')) / 1024:.0f} KiB, "
        f"{output.count(chr(10))} lines, {table_rows} table rows (headers included)"
    )
    header(f"warroom export from the database file ({args.runs} runs after one warm-up)")
    summary = Summary.of(time_export_from_file(incident, postmortem, events, args.runs))
    print(f"  median {fmt_ms(summary.median)}   max {fmt_ms(summary.maximum)}   goal ≤ 100 ms")
    if args.events:
        big(args.events, args.items, args.big_runs)


BIG_GOAL_MS = 300


def big(captured: int, items: int, runs: int) -> None:
    """The export of one incident with `captured` events (issue 19's figure)."""
    incident, postmortem, events = build(captured, items, captured=captured)
    policy = load_policy_file(builtin_policy_file())
    env = make_environment()
    render_postmortem(env, incident, postmortem, events, policy, NOW)  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        render_postmortem(env, incident, postmortem, events, policy, NOW)
        timings.append((time.perf_counter() - started) * 1000)
    header(f"render_postmortem: {captured:,} events, {items} action items ({runs} runs)")
    summary = Summary.of(timings)
    print(f"  median {fmt_ms(summary.median)}   max {fmt_ms(summary.maximum)}")
    header(f"warroom export of a {captured:,}-event incident from the database file ({runs} runs)")
    split: list[tuple[float, float]] = []
    summary = Summary.of(time_export_from_file(incident, postmortem, events, runs, split))
    verdict = "meets" if summary.median <= BIG_GOAL_MS else "MISSES"
    print(
        f"  median {fmt_ms(summary.median)}   max {fmt_ms(summary.maximum)}   "
        f"goal ≤ {BIG_GOAL_MS} ms: {verdict}"
    )
    reads = Summary.of(r for r, _ in split)
    renders = Summary.of(r for _, r in split)
    print(
        f"  of which: read the timeline {fmt_ms(reads.median)}, "
        f"render {fmt_ms(renders.median)} (medians of {runs} more runs)"
    )


if __name__ == "__main__":
    main()
