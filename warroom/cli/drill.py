"""`warroom drill ...`: tabletop drills from a terminal. The facilitator starts a scenario,
keeps `warroom drill run ID` going in a terminal (or lets the app deliver), steers with
inject / skip / pause / resume / end, and reads the scorecard with `report`. Every step is
on the drill incident's timeline, so several terminals and laptops share one drill."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from warroom.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK, fail
from warroom.domain.clock import Clock
from warroom.domain.drill_run import InjectStatus
from warroom.domain.drill_score import Scorecard
from warroom.domain.drills import Scenario, ScenarioError, offset_text
from warroom.domain.durations import compact
from warroom.domain.incident import TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.safe_text import visible_line
from warroom.services.drills import DrillService, ScenarioNotFound
from warroom.services.graph import Services
from warroom.system import atomic
from warroom.system.paths import AppPaths
from warroom.system.settings import load_drill_file, load_drills

# How often `drill run` looks again at most: pauses, speed changes and injects forced from
# another terminal show within this.
POLL = 1.0
sleep = time.sleep  # replaced by the tests, which move a fake clock instead


def run_drill_offline(args: argparse.Namespace, paths: AppPaths) -> int:
    """`drill list` and `drill check`: scenario files only, no database."""
    if args.drill_verb == "check":
        try:
            scenario = load_drill_file(Path(args.file))
        except ScenarioError as exc:
            print(f"warroom: {exc}", file=sys.stderr)
            return EXIT_INVALID
        print(
            f"{args.file}: scenario “{scenario.name}” is good: {scenario.severity.value}, "
            f"{len(scenario.injects)} injects over {offset_text(scenario.length)}"
        )
        return EXIT_OK
    scenarios = _scenarios(paths)
    if args.json:
        from warroom.cli.main import print_json

        print_json([_scenario_json(s) for s in scenarios])
        return EXIT_OK
    rows = [
        (s.name, s.severity.value, "yes" if s.security else "", str(len(s.injects)),
         offset_text(s.length), visible_line(s.title))
        for s in scenarios
    ]  # fmt: skip
    _table(("NAME", "SEV", "SECURITY", "INJECTS", "LENGTH", "TITLE"), rows)
    return EXIT_OK


def run_drill(args: argparse.Namespace, services: Services, paths: AppPaths, clock: Clock) -> int:
    """The drill actions on the database."""
    drills = getattr(services, "drills", None)
    if not isinstance(drills, DrillService):
        drills = DrillService(services.incidents, _scenarios(paths))
    try:
        return _act(args, drills, clock)
    except ScenarioNotFound as exc:
        return fail(args, EXIT_NOT_FOUND, exc)


def _scenarios(paths: AppPaths) -> list[Scenario]:
    scenarios, warnings = load_drills(paths)
    for warning in warnings:
        print(f"warroom: warning: {warning}", file=sys.stderr)
    return scenarios


def _act(args: argparse.Namespace, drills: DrillService, clock: Clock) -> int:
    from warroom.cli.main import print_json

    verb = args.drill_verb
    if verb == "start":
        incident = drills.start(args.name, speed=args.speed, commander=args.commander)
        print(incident.id)
    elif verb == "run":
        return _run(args, drills, clock)
    elif verb == "inject":
        event = drills.inject_now(args.id, None if args.next else args.text)
        print(visible_line(event.text))
    elif verb == "skip":
        inject = drills.skip_next(args.id)
        print(f"skipped {inject.offset_text}: {visible_line(inject.text)}")
    elif verb in ("pause", "resume", "end"):
        getattr(drills, verb)(args.id)
    elif verb == "status":
        status = drills.status(args.id)
        if args.json:
            print_json(
                {
                    "incident": args.id,
                    "scenario": status.drill.scenario.name,
                    "speed": status.drill.speed,
                    "paused": status.drill.paused,
                    "ended": status.drill.ended,
                    "elapsed_s": int(status.elapsed.total_seconds()),
                    "injects": [_status_json(s) for s in status.injects],
                }
            )
        else:
            _print_status(status.injects, status.elapsed, status.drill.paused)
    elif verb == "report":
        return _report(args, drills)
    elif verb == "scores":
        cards = drills.scores()
        if args.json:
            print_json([scorecard_json(c) for c in cards])
        else:
            rows = [
                (f"#{c.incident_id}", f"{c.started_at.astimezone(UTC):%Y-%m-%d %H:%M}",
                 c.scenario, c.severity, c.score_text)
                for c in cards
            ]  # fmt: skip
            _table(("DRILL", "STARTED (UTC)", "SCENARIO", "SEV", "SCORE"), rows)
    return EXIT_OK


def _run(args: argparse.Namespace, drills: DrillService, clock: Clock) -> int:
    """Delivers injects as they fall due; exits when none is left, or on Ctrl+C."""
    if args.speed is not None:
        drills.set_speed(args.id, args.speed)
    try:
        while True:
            for event in drills.deliver_due(incident_id=args.id):
                _print_delivered(event)
            status = drills.status(args.id)
            if status.finished or status.incident.status is Status.CLOSED:
                print(f"drill #{args.id}: no inject left to deliver", flush=True)
                return EXIT_OK
            wait = POLL
            due = min((s.due_at for s in status.upcoming if s.due_at is not None), default=None)
            if due is not None:
                wait = min(POLL, max((due - clock.now()).total_seconds(), 0.0))
            sleep(wait)
    except KeyboardInterrupt:
        print(
            f"drill #{args.id}: stopped delivering; the drill goes on "
            f"('warroom drill run {args.id}' picks it up again)",
            file=sys.stderr,
        )
        return EXIT_OK


def _print_delivered(event: TimelineEvent) -> None:
    print(f"{event.at.astimezone(UTC):%H:%M:%S} UTC  {visible_line(event.text)}", flush=True)


def _print_status(injects: tuple[InjectStatus, ...], elapsed: timedelta, paused: bool) -> None:
    state = " (paused)" if paused else ""
    print(f"drill clock {offset_text(timedelta(seconds=int(elapsed.total_seconds())))}{state}")
    rows = []
    for item in injects:
        when = compact(item.countdown) if item.countdown is not None else ""
        rows.append(
            (
                item.inject.offset_text,
                item.state.value,
                when,
                item.inject.condition_text,
                visible_line(item.inject.text),
            )
        )
    _table(("AT", "STATE", "IN", "CONDITION", "INJECT"), rows)


def _report(args: argparse.Namespace, drills: DrillService) -> int:
    card = drills.scorecard(args.id)
    if args.markdown:
        if not drills.can_render:
            return fail(args, EXIT_INVALID, "The Markdown scorecard is not available here.")
        text = drills.markdown(args.id, card.as_of)
    elif args.json:
        import json

        from warroom.domain.safe_text import json_safe

        text = json_safe(json.dumps(scorecard_json(card), indent=2, ensure_ascii=False)) + "\n"
    else:
        text = scorecard_text(card)
    if args.output:
        try:
            atomic.write_bytes(Path(args.output), text.encode("utf-8"))
        except OSError as exc:
            return fail(args, EXIT_INVALID, f"cannot write {args.output}: {atomic.why(exc)}")
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_OK


def scorecard_text(card: Scorecard) -> str:
    speed = "" if card.speed == 1 else f", {card.speed:g}× speed"
    lines = [
        f"Drill #{card.incident_id}: {visible_line(card.title)}",
        f"scenario {card.scenario}, {card.severity}{speed}, started "
        f"{card.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, drill clock "
        f"{offset_text(timedelta(seconds=int(card.drill_elapsed.total_seconds())))}"
        + (" (ended)" if card.ended else ""),
        f"injects: {card.injects_delivered} delivered, {card.injects_passed_over} passed over, "
        f"{card.injects_skipped} skipped, {card.injects_pending} to come",
        f"score: {card.score_text}",
        "",
    ]
    width = max(len(c.label) for c in card.checks)
    for check in card.checks:
        lines.append(f"  {check.verdict:<4}  {check.label:<{width}}  {visible_line(check.detail)}")
    return "\n".join(lines) + "\n"


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    def seconds(span: timedelta | None) -> int | None:
        return None if span is None else int(span.total_seconds())

    return {
        "incident": card.incident_id,
        "scenario": card.scenario,
        "title": card.title,
        "severity": card.severity,
        "security": card.security,
        "started_at": _iso(card.started_at),
        "speed": card.speed,
        "as_of": _iso(card.as_of),
        "drill_elapsed_s": seconds(card.drill_elapsed),
        "ended": card.ended,
        "score": {"passed": card.passed, "applicable": card.applicable},
        "injects": {
            "delivered": card.injects_delivered,
            "passed_over": card.injects_passed_over,
            "skipped": card.injects_skipped,
            "pending": card.injects_pending,
        },
        "checks": [
            {
                "key": c.key.value,
                "label": c.label,
                "passed": c.passed,
                "verdict": c.verdict,
                "detail": c.detail,
                "measured_s": seconds(c.measured),
                "target_s": seconds(c.target),
            }
            for c in card.checks
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _scenario_json(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "title": scenario.title,
        "severity": scenario.severity.value,
        "security": scenario.security,
        "summary": scenario.summary,
        "injects": len(scenario.injects),
        "length_s": int(scenario.length.total_seconds()),
        "source": scenario.source,
    }


def _status_json(item: InjectStatus) -> dict[str, Any]:
    return {
        "key": item.inject.key,
        "at": item.inject.offset_text,
        "offset_s": int(item.inject.offset.total_seconds()),
        "text": item.inject.text,
        "if": None if item.inject.if_ is None else item.inject.if_.value,
        "unless": None if item.inject.unless is None else item.inject.unless.value,
        "state": item.state.value,
        "due_at": None if item.due_at is None else _iso(item.due_at),
        "countdown_s": None if item.countdown is None else int(item.countdown.total_seconds()),
        "delivered_at": None if item.delivered_at is None else _iso(item.delivered_at),
    }


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())
