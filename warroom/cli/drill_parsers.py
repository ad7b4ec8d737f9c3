"""The command line of tabletop drills: `warroom drill ACTION ...`. warroom.cli.drill runs
them."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

# Actions that need no database: they read scenario files only.
OFFLINE_ACTIONS = frozenset({"list", "check"})


def speed(text: str) -> float:
    """A drill's speed: how many times faster than the wall clock (1 is real time)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a speed (a number such as 10)") from None
    if not math.isfinite(value) or not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a speed from more than 0 to 3600")
    return value


def add_drill_verbs(
    verbs: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    incident_id: Callable[[str], int],
) -> None:
    shown = argparse.ArgumentParser(add_help=False)
    shown.add_argument("--json", action="store_true", help="print the result as JSON")
    drill = verbs.add_parser(
        "drill",
        parents=[common],
        help="tabletop drills: start a scenario, deliver its injects, score the team",
        description="Practise on a scenario: a drill incident (left out of the metrics) whose "
        "injects arrive on the drill clock. 'warroom drill ACTION --help' for each.",
    )
    actions = drill.add_subparsers(dest="drill_verb", metavar="ACTION", required=True)

    actions.add_parser("list", parents=[common, shown], help="the scenarios you can start")
    check = actions.add_parser(
        "check", parents=[common], help="check a scenario file; exit 1 naming the line at fault"
    )
    check.add_argument("file", metavar="FILE")

    start = actions.add_parser(
        "start", parents=[common, shown], help="declare a drill from a scenario; prints its id"
    )
    start.add_argument("name", metavar="NAME", help="the scenario (see 'warroom drill list')")
    start.add_argument(
        "--speed", type=speed, default=1.0, help="drill clock speed (default 1: real time)"
    )
    start.add_argument("--commander", default="", metavar="NAME", help="the IC, if known")

    run = actions.add_parser(
        "run",
        parents=[common],
        help="deliver the drill's injects as they fall due, until the end or Ctrl+C",
    )
    run.add_argument("id", type=incident_id)
    run.add_argument("--speed", type=speed, help="change the drill clock's speed from now")

    inject = actions.add_parser(
        "inject", parents=[common, shown], help="deliver the next inject now, or your own text"
    )
    inject.add_argument("id", type=incident_id)
    which = inject.add_mutually_exclusive_group(required=True)
    which.add_argument("--next", action="store_true", help="the next scripted inject, now")
    which.add_argument("--text", metavar="TEXT", help="a free-text inject")

    for name, text in (
        ("skip", "skip the next scripted inject"),
        ("pause", "stop the drill clock"),
        ("resume", "restart the drill clock"),
        ("end", "end the drill: injects not yet delivered are dropped"),
    ):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("id", type=incident_id)

    status = actions.add_parser(
        "status", parents=[common, shown], help="the injects to come, with countdowns"
    )
    status.add_argument("id", type=incident_id)

    report = actions.add_parser(
        "report", parents=[common], help="the drill's scorecard (text, JSON or Markdown)"
    )
    report.add_argument("id", type=incident_id)
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    form.add_argument("--markdown", action="store_true", help="print it as Markdown")
    report.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead")

    actions.add_parser("scores", parents=[common, shown], help="every drill's score, oldest first")
