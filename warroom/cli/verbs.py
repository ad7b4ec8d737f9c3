"""The verbs that record what happened to an incident, live or entered afterwards with --at:
ack, severity, role, update, time, status (resolve, close, reopen), security and service.

Each goes through IncidentService, as the GUI does. A refusal changes nothing: a lifecycle
rule's exits 3 with its reason (and "(add --reason TEXT)" when a reason would let the move
through); an unknown incident exits 4; any other bad value exits 1 with its message."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from warroom.cli.exits import fail
from warroom.cli.main import EXIT_INVALID, EXIT_OK, EXIT_STORE, print_incident_json
from warroom.cli.times import parse_when
from warroom.domain.clock import Clock
from warroom.domain.incident import Incident, KeyTime
from warroom.domain.lifecycle import Role, Status
from warroom.domain.policy import Policy
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.incidents import IncidentService, RelationRefused, StageRefused

ENTRY_VERBS = frozenset(
    {"ack", "severity", "role", "update", "time", "status", "resolve", "close", "reopen"}
    | {"security", "service"}
)

RELATION_VERBS = frozenset({"mark-duplicate", "link"})

ROLES: dict[str, Role] = {
    "commander": Role.COMMANDER,
    "tech-lead": Role.TECH_LEAD,
    "comms-lead": Role.COMMS_LEAD,
    "scribe": Role.SCRIBE,
}

KEY_TIMES: dict[str, KeyTime] = {
    "impact-started": KeyTime.IMPACT_STARTED,
    "detected": KeyTime.DETECTED,
    "declared": KeyTime.DECLARED,
    "acknowledged": KeyTime.ACKNOWLEDGED,
    "mitigated": KeyTime.MITIGATED,
    "resolved": KeyTime.RESOLVED,
}

SUMMARY_MOST = 200  # the timeline line of an update given as a file: its first line, cut


def run_entry_verb(
    args: argparse.Namespace, service: IncidentService, policy: Policy, clock: Clock
) -> int:
    """Runs one entry verb; prints the incident (the `show --json` shape) with --json, and
    nothing otherwise. IncidentNotFound (exit 4) and ValidationError (exit 1) go up to the
    caller."""
    try:
        incident = _apply(args, service)
    except StageRefused as exc:
        hint = " (add --reason TEXT)" if exc.reason_would_do else ""
        return fail(args, EXIT_STORE, f"{exc.message}{hint}")
    except NeedsConfirmation as exc:
        return fail(
            args,
            EXIT_INVALID,
            f"{exc} Nothing was recorded; add --force to record it at that time.",
        )
    if args.json:
        print_incident_json(service, incident.id, policy, clock.now())
    return EXIT_OK


def run_relation_verb(args: argparse.Namespace, service: IncidentService) -> int:
    """mark-duplicate and link: recorded on both incidents' timelines. A rule's refusal (the
    other is itself a duplicate) exits 3; itself exits 1 and an unknown incident 4 upstream."""
    try:
        if args.verb == "mark-duplicate":
            service.mark_duplicate(args.id, args.of)
        elif not service.link(args.id, args.other):
            print(f"warroom: #{args.id} and #{args.other} were linked already", file=sys.stderr)
    except RelationRefused as exc:
        return fail(args, EXIT_STORE, exc.message)
    return EXIT_OK


def _apply(args: argparse.Namespace, service: IncidentService) -> Incident:
    verb, incident_id = args.verb, args.id
    if verb == "time":
        value = None if args.value.strip().lower() == "none" else when_typed(args.value)
        return service.set_key_time(incident_id, KEY_TIMES[args.key], value, confirmed=args.force)
    if verb == "security":
        return service.set_security(incident_id, args.on == "on", reason=args.reason)
    if verb == "service":
        return service.set_service(incident_id, args.name)
    at = None if args.at is None else when_typed(args.at)
    sure = args.force
    if verb == "ack":
        return service.acknowledge(incident_id, at=at, confirmed=sure)
    if verb == "severity":
        return service.change_severity(
            incident_id, args.level, reason=args.reason, at=at, confirmed=sure
        )
    if verb == "role":
        return service.assign_role(incident_id, ROLES[args.role], args.name, at=at, confirmed=sure)
    if verb == "update":
        summary, message = _what_was_said(args)
        return service.mark_update_sent(
            incident_id,
            summary,
            message,
            at=at,
            audiences=tuple(args.audience),
            elsewhere=args.elsewhere or "",
            confirmed=sure,
        )
    if verb == "reopen":
        stage = _stage(args.to)
        current = service.get(incident_id).status
        if stage.order >= current.order:
            raise ValidationError(
                "status",
                f"Reopening moves #{incident_id} back to an earlier stage; it is "
                f"{current.label}, and {stage.label} is not before it. To move it on, use "
                "warroom status.",
            )
        return service.set_status(incident_id, stage, reason=args.reason, at=at, confirmed=sure)
    stage = {"resolve": Status.RESOLVED, "close": Status.CLOSED}.get(verb) or _stage(args.stage)
    return service.set_status(incident_id, stage, reason=args.reason, at=at, confirmed=sure)


def when_typed(text: str) -> datetime:
    try:
        return parse_when(text)
    except argparse.ArgumentTypeError as exc:
        raise ValidationError("at", f"{exc}. Nothing was recorded.") from None


def _stage(text: str) -> Status:
    try:
        return Status.parse(text)
    except ValueError as exc:
        text = str(exc)
        raise ValidationError("status", f"{text[:1].upper()}{text[1:]}.") from None


def _what_was_said(args: argparse.Namespace) -> tuple[str, str]:
    """(summary, message): --text is the summary; --file is the message that went out, and
    its first line is the summary the timeline shows."""
    if args.file is None:
        return args.text or "", ""
    message = read_text(args.file)
    first = next((" ".join(line.split()) for line in message.splitlines() if line.strip()), "")
    if len(first) > SUMMARY_MOST:
        first = first[: SUMMARY_MOST - 1].rstrip() + "…"
    return first, message


def read_text(name: str) -> str:
    where = "standard input" if name == "-" else f"the file {name}"
    try:
        if name == "-":
            stream = getattr(sys.stdin, "buffer", None)
            data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        else:
            data = Path(name).read_bytes()
    except OSError as exc:
        raise ValidationError("file", f"Cannot read {where}: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            "file", f"{where[:1].upper()}{where[1:]} is not UTF-8 text; nothing was recorded."
        ) from None
