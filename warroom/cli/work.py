"""The work on an incident from a terminal: the mitigation wizard's steps (triage, apply,
outcome, skip, park, remove), `verify`, the post-mortem and its action items, and the
stakeholder messages. Each goes through the same services as the GUI, so the same rules hold
and the timeline reads the same; a rule's refusal exits 3 with its reason and the option that
would let it through, and changes nothing."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from warroom.cli.exits import EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, fail
from warroom.cli.main import EXIT_INVALID, print_incident_json, print_json
from warroom.cli.verbs import read_text, when_typed
from warroom.domain import mitigation_flow as flow
from warroom.domain.clock import Clock
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import Mitigation, Outcome, RecoveryCheck
from warroom.domain.playbook import AnswerKind, MitigationOption, Playbook, TriageFlag
from warroom.domain.policy import Policy
from warroom.domain.postmortem import ActionItem, ItemKind, ItemPriority, ItemStatus
from warroom.domain.timefmt import utc_minute
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.graph import Services
from warroom.services.incidents import StageRefused
from warroom.services.mitigation import (
    ChangeFacts,
    ChangePending,
    MitigationNotFound,
    MitigationService,
    PreserveFirst,
)
from warroom.services.ports.postmortems import MessageKind
from warroom.system.paths import resolve_paths
from warroom.system.settings import load_playbooks

OUTCOMES = {
    "worked": Outcome.WORKED,
    "partly": Outcome.PARTLY,
    "no-effect": Outcome.NO_EFFECT,
    "made-worse": Outcome.MADE_WORSE,
}
CHECKS = {
    "health-check": RecoveryCheck.HEALTH_CHECK,
    "error-rate": RecoveryCheck.ERROR_RATE,
    "key-metric": RecoveryCheck.KEY_METRIC,
}


def run_work_verb(
    args: argparse.Namespace, services: Services, policy: Policy, clock: Clock
) -> int:
    try:
        if args.verb == "mitigation":
            return _mitigation(args, services.mitigations)
        if args.verb == "verify":
            return _verify(args, services, policy, clock)
        if args.verb == "action":
            return _action(args, services)
        if args.verb == "postmortem":
            return _postmortem(args, services)
        return _message(args, services)
    except StageRefused as exc:
        hint = " (add --reason TEXT)" if exc.reason_would_do else ""
        return fail(args, EXIT_REFUSED, f"{exc.message}{hint}")
    except ChangePending as exc:
        return fail(args, EXIT_REFUSED, f"{exc.message} (add --override-reason TEXT)")
    except PreserveFirst as exc:
        return fail(args, EXIT_REFUSED, f"{exc.message} (add --preserve-reason TEXT)")
    except NeedsConfirmation as exc:
        message = f"{exc} Nothing was recorded; add --force to record it at that time."
        return fail(args, EXIT_INVALID, message)
    except (MitigationNotFound, StepNotFound) as exc:
        return fail(args, EXIT_NOT_FOUND, exc)


# -- the mitigation wizard's steps ----------------------------------------------------------
def _mitigation(args: argparse.Namespace, mitigation: MitigationService) -> int:
    verb, incident_id = args.step_verb or "show", args.id
    if verb == "show":
        return _show_steps(args, mitigation)
    if verb == "triage":
        return _triage(args, mitigation)
    at = _at(args)
    sure = getattr(args, "force", False)
    if verb == "apply":
        option = _option(args, mitigation)
        changed_at = when_typed(args.changed_at) if args.changed_at else None
        step = mitigation.apply(
            incident_id,
            option,
            action=args.action,
            expected_effect=args.expect,
            applied_by=args.by,
            check_back_minutes=args.check_back,
            change=ChangeFacts(args.change, changed_at) if args.change or changed_at else None,
            override_reason=args.override_reason,
            preserve_reason=args.preserve_reason,
            kind=args.kind.replace("-", "_") if args.kind else None,
            at=at,
            confirmed=sure,
        )
    elif verb == "skip":
        option = _option(args, mitigation)
        step = mitigation.reject(
            incident_id,
            option,
            args.reason,
            not_applicable=args.not_applicable,
            at=at,
            confirmed=sure,
        )
    elif verb == "outcome":
        chosen = _open_step(mitigation, incident_id, args.step)
        step = mitigation.record_outcome(
            chosen, OUTCOMES[args.outcome], args.note, at=at, confirmed=sure
        )
    elif verb == "park":
        chosen = _open_step(mitigation, incident_id, args.step, parking=True)
        step = mitigation.park(chosen, args.waiting_on, at=at, confirmed=sure)
    else:
        _step_of(mitigation, incident_id, args.step)
        step = mitigation.remove_containment(args.step, args.reason)
    if args.json:
        print_json(_step_snapshot(step))
    else:
        print(step.id)
    return EXIT_OK


def _option(args: argparse.Namespace, mitigation: MitigationService) -> MitigationOption:
    """The option `args.option` names in the playbook the incident follows."""
    playbook = _chosen_playbook(args, mitigation, None)
    wanted = args.option.strip().lower().replace("-", "_")
    for option in playbook.options:
        if option.key.lower() == wanted:
            return option
    keys = ", ".join(o.key for o in playbook.options)
    raise ValidationError(
        "option",
        f"“{playbook.name}” has no option {args.option!r}. Its options, in order: {keys}.",
    )


def _chosen_playbook(
    args: argparse.Namespace, mitigation: MitigationService, name: str | None
) -> Playbook:
    """`name` when given; else the one the incident's wizard follows; else the built-in."""
    playbooks, _warnings = load_playbooks(resolve_paths(args.data_dir))
    if name is None:
        progress = mitigation.progress(args.id)
        name = progress.playbook if progress is not None and progress.playbook else None
        return next((p for p in playbooks if p.name == name), playbooks[0])
    for playbook in playbooks:
        if playbook.name.casefold() == name.strip().casefold():
            return playbook
    names = "; ".join(p.name for p in playbooks)
    raise ValidationError("playbook", f"There is no playbook named {name!r}. Playbooks: {names}.")


def _triage(args: argparse.Namespace, mitigation: MitigationService) -> int:
    playbook = _chosen_playbook(args, mitigation, args.playbook)
    progress = mitigation.progress(args.id)
    answers = dict(progress.answers) if progress is not None else {}
    questions = {q.key: q for q in playbook.triage}
    for given in args.answer:
        key, sep, text = given.partition("=")
        key = key.strip()
        base = key.removesuffix(".note")
        if not sep or base not in questions:
            keys = ", ".join(questions)
            raise ValidationError(
                "answer",
                f"{given!r} is not KEY=TEXT for a triage question of “{playbook.name}”. "
                f"Its keys: {keys} (KEY.note=TEXT adds a note to a yes/no answer).",
            )
        question = questions[base]
        if question.kind is AnswerKind.YES_NO and key == base:
            text = text.strip().lower()
            if text not in ("yes", "no"):
                raise ValidationError(
                    "answer", f"“{question.question}” is answered yes or no, not {text!r}."
                )
        answers[key] = text
    flags = mitigation.record_triage(args.id, playbook, answers)
    if args.json:
        print_json({"playbook": playbook.name, "answers": answers, "flags": sorted(flags)})
    elif TriageFlag.SECURITY in flags:
        print("Security path: preserve evidence and isolate before changing anything.")
    return EXIT_OK


def _open_step(
    mitigation: MitigationService, incident_id: int, step: int | None, parking: bool = False
) -> int:
    """The step a check-back answers: the one given, else the one still open."""
    if step is not None:
        return _step_of(mitigation, incident_id, step).id
    steps = mitigation.mitigations(incident_id)
    open_steps = [m for m in steps if m.unverified] or (
        [] if parking else [m for m in steps if m.parked]
    )
    if len(open_steps) == 1:
        return open_steps[0].id
    if not open_steps:
        raise ValidationError("step", f"#{incident_id} has no change waiting for a check-back.")
    listed = "; ".join(f"{m.id}: {m.subject}" for m in open_steps)
    raise ValidationError("step", f"Several changes are open; say which with --step ({listed}).")


def _step_of(mitigation: MitigationService, incident_id: int, step: int) -> Mitigation:
    """A step of this incident (a step of another one is not found here)."""
    for candidate in mitigation.mitigations(incident_id):
        if candidate.id == step:
            return candidate
    raise StepNotFound(f"#{incident_id} has no mitigation step {step}.")


class StepNotFound(LookupError):
    """--step N names no step of this incident."""


def _show_steps(args: argparse.Namespace, mitigation: MitigationService) -> int:
    steps = mitigation.mitigations(args.id)
    playbook = _chosen_playbook(args, mitigation, None)
    incident = mitigation.incidents.get(args.id)
    progress = mitigation.progress(args.id)
    flags = {TriageFlag(f) for f in progress.flags} if progress is not None else set()
    facts = flow.FlowFacts.of(
        (o.key for o in playbook.options),
        steps,
        flags,
        mitigated=incident.status.order >= Status.MITIGATED.order,
        is_security=incident.is_security,
    )
    following = _next_step(facts, playbook)
    if args.json:
        print_json(
            {
                "playbook": playbook.name,
                "steps": [_step_snapshot(m) for m in steps],
                "next": following,
            }
        )
        return EXIT_OK
    print(f"#{args.id} follows “{playbook.name}”")
    for m in steps:
        print(f"  {_step_line(m)}")
    if not steps:
        print("  no step decided yet")
    print(f"next: {following}")
    return EXIT_OK


def _next_step(facts: flow.FlowFacts, playbook: Playbook) -> str:
    if facts.mitigated:
        return "nothing: impact is mitigated"
    waiting = [m for m in facts.mitigations if m.unverified]
    if waiting:
        return f"check back on step {waiting[-1].id} ({waiting[-1].question})"
    last = flow.last_applied(facts.mitigations)
    worked = last is not None and last.outcome is Outcome.WORKED
    key = None if worked else flow.option_after_last_decided(facts)
    if key is None:
        return "verify recovery (warroom verify ID --measurement TEXT --check KIND)"
    option = playbook.option(key)
    return f"decide “{option.title}” ({option.key}): {option.question}"


def _step_line(m: Mitigation) -> str:
    when = utc_minute(m.decided_at)
    if m.decision.value == "applied":
        state = m.outcome.label if m.outcome is not None else ""
        return f"{m.id}: {when}  applied {m.option_key}: {m.subject} — {state}"
    said = f": {m.reason}" if m.reason else ""
    return f"{m.id}: {when}  {m.decision.value.replace('_', ' ')} {m.option_key}{said}"


def _step_snapshot(m: Mitigation) -> dict[str, Any]:
    return {
        "id": m.id,
        "incident": m.incident_id,
        "option": m.option_key,
        "kind": m.kind.value,
        "decision": m.decision.value,
        "decided_at": m.decided_at.isoformat(),
        "decided_by": m.decided_by,
        "action": m.action,
        "applied_by": m.applied_by,
        "expected_effect": m.expected_effect,
        "reason": m.reason,
        "check_back_at": m.check_back_at.isoformat() if m.check_back_at else None,
        "outcome": m.outcome.value if m.outcome is not None else None,
        "outcome_at": m.outcome_at.isoformat() if m.outcome_at else None,
    }


# -- verification ----------------------------------------------------------------------------
def _verify(args: argparse.Namespace, services: Services, policy: Policy, clock: Clock) -> int:
    if args.check is None:  # the record says how recovery was measured, never a default
        return fail(
            args,
            EXIT_INVALID,
            "Not marked mitigated: say how recovery was measured with --check "
            "health-check, error-rate or key-metric. Nothing was recorded.",
        )
    incident = services.mitigations.mark_mitigated(
        args.id,
        CHECKS[args.check],
        args.measurement,
        link=args.link,
        at=_at(args),
        confirmed=args.force,
    )
    if args.json:
        print_incident_json(services.incidents, incident.id, policy, clock.now())
    return EXIT_OK


# -- the post-mortem and its action items --------------------------------------------------
def _action(args: argparse.Namespace, services: Services) -> int:
    postmortems = services.postmortems
    document = postmortems.get(args.id)
    items = list(document.action_items)
    if args.item_verb == "list":
        if args.json:
            print_json([_item_snapshot(n, item) for n, item in enumerate(items, 1)])
            return EXIT_OK
        if not items:
            print(f"#{args.id} has no action items.")
        for n, item in enumerate(items, 1):
            print(_item_line(n, item))
        return EXIT_OK
    if args.item_verb == "add":
        item = ActionItem(
            action=args.text,
            owner=args.owner,
            deadline=_day(args.due) if args.due else None,
            priority=ItemPriority(args.priority),
            kind=ItemKind(args.kind),
        )
        if not item.action.strip():
            raise ValidationError("action", "The action item is empty: say what is to be done.")
        items.append(item)
        number = len(items)
    else:
        number = args.number
        if not 1 <= number <= len(items):
            has = f"items 1 to {len(items)}" if items else "no action items"
            raise ValidationError("number", f"#{args.id} has {has}, not item {number}.")
        status = ItemStatus.WONT_DO if args.wont_do else ItemStatus.DONE
        items[number - 1] = replace(items[number - 1], status=status)
    postmortems.save(replace(document, action_items=tuple(items)))
    if args.json:
        print_json(_item_snapshot(number, items[number - 1]))
    elif args.item_verb == "add":
        print(number)
    return EXIT_OK


def _item_line(number: int, item: ActionItem) -> str:
    details = [f"owner {item.owner}" if item.owner else "no owner"]
    if item.deadline is not None:
        details.append(f"due {item.deadline.isoformat()}")
    state = f"[{item.status.label}]"
    where = ", ".join(details)
    columns = f"{state:<13} {item.priority.value:<6} {item.kind.value:<8}"
    return f"{number}. {columns} {item.action} ({where})"


def _item_snapshot(number: int, item: ActionItem) -> dict[str, Any]:
    snapshot = asdict(item)
    snapshot["deadline"] = item.deadline.isoformat() if item.deadline else None
    return {"number": number, **{k: str(v) if v is not None else None for k, v in snapshot.items()}}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("due", f"{text!r} is not a day such as 2026-12-31.") from None


def _postmortem(args: argparse.Namespace, services: Services) -> int:
    postmortems = services.postmortems
    if args.pm_verb == "set":
        text = args.text if args.file is None else read_text(args.file)
        document = postmortems.get(args.id)
        section: dict[str, Any] = {args.field.replace("-", "_"): text}
        document = postmortems.save(replace(document, **section))
    else:
        status = {"publish": "published", "review": "in_review", "draft": "draft"}[args.pm_verb]
        try:
            document = postmortems.set_status(args.id, status)
        except ValidationError as exc:  # publishing an unfinished write-up: a rule says no
            return fail(args, EXIT_REFUSED, exc.message)
    if args.json:
        print_json({"incident": args.id, "status": document.status.value})
    return EXIT_OK


# -- stakeholder messages --------------------------------------------------------------------
def _message(args: argparse.Namespace, services: Services) -> int:
    kind = MessageKind(args.kind)
    text = services.postmortems.status_message(
        args.id, kind, plain=args.plain, trend=args.trend, eta=args.eta
    )
    if args.sent:
        services.postmortems.mark_message_sent(args.id, kind, text)
    if args.json:
        print_json({"incident": args.id, "kind": kind.value, "text": text, "sent": args.sent})
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK


def _at(args: argparse.Namespace) -> datetime | None:
    given = getattr(args, "at", None)
    return None if given is None else when_typed(given)
