"""The command line of the work on an incident after it is declared: the mitigation wizard's
steps, the verification that ends the impact, the post-mortem and its action items, and the
stakeholder messages. warroom.cli.work runs them. Times stay text here, read by the verb, so a
bad one is refused (exit 1) like any bad value."""

from __future__ import annotations

import argparse
from collections.abc import Callable

AT_HELP = "when it happened, ISO 8601 with offset (default now)"
FORCE_HELP = "record a time more than a day before the incident (refused without it)"
OUTCOME_NAMES = ("worked", "partly", "no-effect", "made-worse")
CHECK_NAMES = ("health-check", "error-rate", "key-metric")
POSTMORTEM_FIELDS = (
    "title", "authors", "impact", "root-cause", "contributing-factors", "detection",
    "detection-sooner", "went-well", "went-poorly", "lessons", "prevention",
)  # fmt: skip
MESSAGE_KINDS = ("initial", "update", "resolution")


def add_work_verbs(
    verbs: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    incident_id: Callable[[str], int],
) -> None:
    timed = argparse.ArgumentParser(add_help=False)
    timed.add_argument("--at", metavar="T", help=AT_HELP)
    timed.add_argument("--force", action="store_true", help=FORCE_HELP)
    shown = argparse.ArgumentParser(add_help=False)
    shown.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_mitigation(verbs, [common, shown], [common, timed, shown], incident_id)

    verify = verbs.add_parser(
        "verify",
        parents=[common, timed, shown],
        help="record the measurement that shows recovery, and move it to mitigated",
    )
    verify.add_argument("id", type=incident_id)
    verify.add_argument(
        "--measurement", required=True, metavar="TEXT", help="what was measured, and its value"
    )
    verify.add_argument("--check", choices=CHECK_NAMES, help="how recovery was measured")
    verify.add_argument("--link", default="", metavar="URL", help="a dashboard or query")

    _add_actions(verbs, [common, shown], incident_id)
    _add_postmortem(verbs, [common, shown], incident_id)

    message = verbs.add_parser(
        "message", parents=[common, shown], help="print a stakeholder message for the incident"
    )
    message.add_argument("id", type=incident_id)
    message.add_argument("kind", choices=MESSAGE_KINDS)
    message.add_argument("--plain", action="store_true", help="plain text, not Markdown")
    message.add_argument("--trend", default="", metavar="TEXT", help="improving, stable…")
    message.add_argument("--eta", default="", metavar="TEXT", help="when the next step is due")
    message.add_argument(
        "--sent",
        action="store_true",
        help="record it as the update sent (restarts the update clock)",
    )


def _add_mitigation(verbs, plain, timed, incident_id) -> None:
    mitigation = verbs.add_parser(
        "mitigation",
        parents=plain,
        help="the wizard's steps: triage, apply, outcome, skip, park, remove",
        description="With no ACTION: the steps decided so far and the next one.",
    )
    mitigation.add_argument("id", type=incident_id)
    steps = mitigation.add_subparsers(dest="step_verb", metavar="ACTION")

    steps.add_parser("show", parents=plain, help="the steps decided so far and the next one")

    triage = steps.add_parser("triage", parents=plain, help="record triage answers")
    triage.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="KEY=TEXT",
        help="one answer (repeat); yes/no questions take yes or no",
    )
    triage.add_argument("--playbook", metavar="NAME", help="the playbook to follow")

    apply = steps.add_parser("apply", parents=timed, help="record a change applied")
    apply.add_argument("option", metavar="OPTION", help="the playbook option, e.g. rollback")
    apply.add_argument("--action", default="", metavar="TEXT", help="what exactly was done")
    apply.add_argument(
        "--expect", required=True, metavar="TEXT", help="what you expect to see if it works"
    )
    apply.add_argument("--by", default="", metavar="NAME", help="who made the change")
    apply.add_argument(
        "--check-back", type=int, default=10, metavar="MIN", help="minutes to the check-back"
    )
    apply.add_argument("--kind", metavar="KIND", help="the kind of step, when not the option's")
    apply.add_argument("--change", default="", metavar="TEXT", help="the change rolled back")
    apply.add_argument("--changed-at", metavar="T", help="when that change was made")
    apply.add_argument(
        "--override-reason",
        default="",
        metavar="TEXT",
        help="why another change goes ahead while one is unverified",
    )
    apply.add_argument(
        "--preserve-reason",
        default="",
        metavar="TEXT",
        help="why a change goes ahead before volatile evidence is preserved",
    )

    outcome = steps.add_parser("outcome", parents=timed, help="answer a change's check-back")
    outcome.add_argument("outcome", choices=OUTCOME_NAMES)
    outcome.add_argument("--step", type=int, metavar="N", help="the step (default: the one open)")
    outcome.add_argument("--note", default="", metavar="TEXT", help="what was seen")

    skip = steps.add_parser("skip", parents=timed, help="decide against an option (say why)")
    skip.add_argument("option", metavar="OPTION")
    skip.add_argument("--reason", default="", metavar="TEXT", help="why not")
    skip.add_argument(
        "--not-applicable", action="store_true", help="the option does not apply here"
    )

    park = steps.add_parser("park", parents=timed, help="a change waiting on a third party")
    park.add_argument("--waiting-on", required=True, metavar="TEXT", help="who or what")
    park.add_argument("--step", type=int, metavar="N", help="the step (default: the one open)")

    remove = steps.add_parser(
        "remove", parents=plain, help="take back a containment step once mitigated"
    )
    remove.add_argument("--step", type=int, required=True, metavar="N")
    remove.add_argument("--reason", default="", metavar="TEXT")


def _add_actions(verbs, plain, incident_id) -> None:
    action = verbs.add_parser("action", parents=plain, help="the post-mortem's action items")
    action.add_argument("id", type=incident_id)
    items = action.add_subparsers(dest="item_verb", metavar="ACTION", required=True)
    items.add_parser("list", parents=plain, help="the action items, numbered")
    add = items.add_parser("add", parents=plain, help="add an action item; prints its number")
    add.add_argument("text", metavar="TEXT")
    add.add_argument("--owner", default="", metavar="NAME")
    add.add_argument("--due", metavar="YYYY-MM-DD")
    add.add_argument("--priority", choices=("high", "medium", "low"), default="medium")
    add.add_argument("--kind", choices=("mitigate", "prevent", "process"), default="prevent")
    done = items.add_parser("done", parents=plain, help="mark an action item done")
    done.add_argument("number", type=int, metavar="N")
    done.add_argument("--wont-do", action="store_true", help="closed without doing it")


def _add_postmortem(verbs, plain, incident_id) -> None:
    postmortem = verbs.add_parser(
        "postmortem", parents=plain, help="write and publish the post-mortem"
    )
    postmortem.add_argument("id", type=incident_id)
    parts = postmortem.add_subparsers(dest="pm_verb", metavar="ACTION", required=True)
    set_field = parts.add_parser("set", parents=plain, help="set one section's text")
    set_field.add_argument(
        "field", choices=POSTMORTEM_FIELDS, metavar="FIELD", help=", ".join(POSTMORTEM_FIELDS)
    )
    said = set_field.add_mutually_exclusive_group(required=True)
    said.add_argument("--text", metavar="TEXT")
    said.add_argument("--file", metavar="F", help="UTF-8 text ('-': stdin)")
    parts.add_parser("publish", parents=plain, help="publish it (refused while unfinished)")
    parts.add_parser("review", parents=plain, help="move it to review")
    parts.add_parser("draft", parents=plain, help="move it back to draft")
