"""What the IC does in the mitigation wizard: triage answers, decisions on each option,
check-backs (parked when a step waits on a third party), the verification that ends the
impact, and taking containment back afterwards. Each is validated, committed in one
transaction with its timeline events, and announced, through the incident service.

On a security incident (`Incident.is_security`, the one source; triage's "yes" sets it
through IncidentService.set_security) a change waits for the evidence checklist's volatile
items (`before_change` in the checklist file) to be collected or marked not applicable, or
for a stated reason, recorded as an OVERRIDE event. Other items never hold a change up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warroom.domain import mitigation as rules
from warroom.domain.evidence import ChecklistTemplate, blocking_change, load_checklist_file
from warroom.domain.incident import EventKind, Incident
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import Decision, Mitigation, Outcome, RecoveryCheck, StepKind
from warroom.domain.playbook import YES, AnswerKind, MitigationOption, Playbook, TriageFlag
from warroom.domain.timefmt import utc_minute
from warroom.domain.validation import ValidationError, aware_utc, clean_text, not_in_future
from warroom.domain.wizard_state import WizardProgress
from warroom.services.evidence import builtin_checklist_file
from warroom.services.incidents import IncidentService, move_status
from warroom.services.ports import IncidentNotFound, UnitOfWork
from warroom.services.ports.mitigation import MitigationNotFound

__all__ = [
    "ChangePending",
    "MitigationNotFound",
    "MitigationService",
    "PendingCheckBack",
    "PreserveFirst",
    "StepKind",
]


class ChangePending(ValidationError):
    """Another applied change is still unverified: applying one more needs a stated reason."""

    def __init__(self, pending: list[Mitigation]) -> None:
        names = ", ".join(f"“{m.subject}”" for m in pending)
        super().__init__(
            "override_reason",
            f"{names} is still unverified. If you apply another change now, you won't be able "
            "to tell which change fixed it. Check back first, or give a reason to go ahead.",
        )
        self.pending = pending


class PreserveFirst(ValidationError):
    """A security incident with volatile evidence still pending: a change can destroy it."""

    def __init__(self, pending: list[str]) -> None:
        super().__init__(
            "preserve_reason",
            "Preserve before you change: this is a security incident and volatile evidence "
            f"is still pending ({', '.join(pending)}). A change now can destroy it. Collect "
            "it or mark it not applicable first, or give the reason to go ahead.",
        )
        self.pending = pending


@dataclass(frozen=True)
class PendingCheckBack:
    incident: Incident
    mitigation: Mitigation


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def check_back_order(pending: PendingCheckBack) -> tuple[bool, datetime, int]:
    """The order of `pending_check_backs`: soonest check-back first (one without a time
    before any other, as SQL sorts NULL first), then by mitigation."""
    at = pending.mitigation.check_back_at
    return (at is not None, at or _NO_TIME, pending.mitigation.id)


@dataclass(frozen=True)
class ChangeFacts:
    """For a rollback: which change lines up with the start of impact."""

    change: str
    changed_at: datetime | None


def answer_note_key(question_key: str) -> str:
    return f"{question_key}.note"


class MitigationService:
    def __init__(
        self, incidents: IncidentService, checklist: ChecklistTemplate | None = None
    ) -> None:
        """`checklist` says which evidence items are volatile (to collect before any change
        on a security incident); the built-in one when not given."""
        self.incidents = incidents
        self.checklist = checklist or load_checklist_file(builtin_checklist_file())

    # -- queries ---------------------------------------------------------------------------
    def mitigations(self, incident_id: int) -> list[Mitigation]:
        with self.incidents.reading() as uow:
            uow.incidents.read(incident_id)
            return uow.mitigations.of_incident(incident_id)

    def pending_check_backs(self) -> list[PendingCheckBack]:
        with self.incidents.reading() as uow:
            pending = uow.mitigations.pending_on_open_incidents()
            incidents = {
                incident_id: uow.incidents.to_incident(uow.incidents.read(incident_id))
                for incident_id in {m.incident_id for m in pending}
            }
        return [PendingCheckBack(incidents[m.incident_id], m) for m in pending]

    def pending_check_backs_for(self, incident_ids: Iterable[int]) -> list[PendingCheckBack]:
        """`pending_check_backs` restricted to these incidents (a deleted one has none), in
        the same order: what a change to a few incidents needs, without reading the rest."""
        found: list[PendingCheckBack] = []
        with self.incidents.reading() as uow:
            for incident_id in sorted(set(incident_ids)):
                try:
                    record = uow.incidents.read(incident_id)
                except IncidentNotFound:
                    continue
                incident = uow.incidents.to_incident(record)
                if not incident.status.is_open:
                    continue
                found.extend(
                    PendingCheckBack(incident, m)
                    for m in uow.mitigations.of_incident(incident_id)
                    if m.outcome is Outcome.PENDING
                )
        return sorted(found, key=check_back_order)

    def unpreserved_evidence(self, incident_id: int) -> list[str]:
        """Volatile evidence still pending on a security incident: applying a change is
        refused without a reason."""
        with self.incidents.reading() as uow:
            return _unpreserved_evidence(uow, incident_id, self.checklist)

    def progress(self, incident_id: int) -> WizardProgress | None:
        with self.incidents.reading() as uow:
            return uow.mitigations.progress(incident_id)

    def save_progress(self, incident_id: int, progress: WizardProgress) -> None:
        """Where the wizard is and what is typed there; not a timeline event."""
        for page in progress.fields.values():
            for name, text in page.items():
                page[name] = clean_text(name, text, "The text")
        with self.incidents.writing() as write:
            write.uow.incidents.get(incident_id)
            write.uow.mitigations.store_progress(incident_id, progress, self.incidents.now())

    # -- triage ------------------------------------------------------------------------------
    def record_triage(
        self, incident_id: int, playbook: Playbook, answers: dict[str, str]
    ) -> set[TriageFlag]:
        """Records each new or changed answer on the timeline and keeps them for the wizard.
        Returns the flags answered yes (security, data corruption)."""
        cleaned = {k: clean_text(k, v, "The answer") for k, v in answers.items()}
        with self.incidents.editing(incident_id) as edit:
            progress = edit.uow.mitigations.progress(incident_id) or WizardProgress()
            before = progress.answers
            flags: set[TriageFlag] = set()
            for question in playbook.triage:
                answer, note = _answer_text(question.kind, question.key, cleaned)
                if question.flag and cleaned.get(question.key) == YES:
                    flags.add(question.flag)
                if _answer_text(question.kind, question.key, before) == (answer, note):
                    continue
                if not answer and not note:
                    continue
                shown = " — ".join(part for part in (answer, note) if part)
                edit.event(
                    EventKind.TRIAGE,
                    f"Triage: {question.question} {shown}",
                    question=question.key,
                    answer=cleaned.get(question.key, ""),
                    note=note,
                )
                if question.flag is TriageFlag.SECURITY and TriageFlag.SECURITY in flags:
                    edit.event(
                        EventKind.TRIAGE,
                        "Security path: preserve evidence and isolate before changing anything",
                        flag=TriageFlag.SECURITY.value,
                    )
                if question.flag is TriageFlag.DATA_CORRUPTION and question.flag in flags:
                    edit.event(
                        EventKind.TRIAGE,
                        "Data is being corrupted: stop the bleeding before anything else",
                        flag=TriageFlag.DATA_CORRUPTION.value,
                    )
            progress.playbook = playbook.name
            progress.answers = cleaned
            progress.flags = sorted(flag.value for flag in flags)
            edit.uow.mitigations.store_progress(incident_id, progress, edit.now)
            already_security = edit.incident().is_security
        if TriageFlag.SECURITY in flags and not already_security:
            question = next(q for q in playbook.triage if q.flag is TriageFlag.SECURITY)
            answer, note = _answer_text(question.kind, question.key, cleaned)
            said = " — ".join(part for part in (answer, note) if part)
            self.incidents.set_security(incident_id, True, f"triage: {question.question} {said}")
        return flags

    def record_security_steps(
        self, incident_id: int, steps: tuple[str, ...], done: list[str], reason: str
    ) -> None:
        """The security path: what was done before changing systems, or why not."""
        reason = clean_text("reason", reason, "The reason")
        missing = [step for step in steps if step not in done]
        if missing and not reason:
            raise ValidationError(
                "reason",
                "Changing systems before evidence is preserved can destroy it. Tick what is "
                "done, or say why you are going ahead without it.",
            )
        with self.incidents.editing(incident_id) as edit:
            if done:
                edit.event(EventKind.TRIAGE, "Security path done: " + "; ".join(done), done=done)
            if missing:
                edit.event(
                    EventKind.OVERRIDE,
                    "Security path: went ahead before " + "; ".join(missing) + f": {reason}",
                    missing=missing,
                    reason=reason,
                )

    # -- decisions ---------------------------------------------------------------------------
    def apply(
        self,
        incident_id: int,
        option: MitigationOption,
        *,
        action: str,
        expected_effect: str,
        applied_by: str = "",
        check_back_minutes: int = int(rules.DEFAULT_CHECK_BACK.total_seconds() // 60),
        change: ChangeFacts | None = None,
        override_reason: str = "",
        preserve_reason: str = "",
        kind: StepKind | str | None = None,
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Mitigation:
        """Records a change applied (`at`: when it was made, for a step entered afterwards;
        its check-back falls due from then). Its kind defaults to what the option's key says.
        Refused without a reason while another (non-containment, for a containment step)
        change is unverified, and on a security incident while volatile evidence is pending."""
        try:
            step = rules.kind_of_option(option.key) if kind is None else rules.step_kind(kind)
        except ValueError as exc:
            raise ValidationError("kind", str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        action = " ".join(clean_text("action", action, "The action").split()) or option.verb
        expected = clean_text("expected_effect", expected_effect, "The expected effect")
        if not expected:
            raise ValidationError(
                "expected_effect",
                "Say what you expect to see if it works (e.g. 5xx back under 0.1 %): "
                "that is what the check-back will look for.",
            )
        who = " ".join(clean_text("applied_by", applied_by, "The name").split())
        override_reason = clean_text("override_reason", override_reason, "The reason")
        preserve_reason = clean_text("preserve_reason", preserve_reason, "The reason")
        try:
            span = rules.check_back_span(check_back_minutes)
        except ValueError as exc:
            raise ValidationError("check_back", str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        with self.incidents.editing(incident_id) as edit:
            when = edit.effective("at", "The change's time", at, confirmed)
            incident = edit.incident()
            _refuse_unless_working(incident, "apply a mitigation")
            unpreserved = _unpreserved_evidence(edit.uow, incident_id, self.checklist)
            if unpreserved and not preserve_reason:
                raise PreserveFirst(unpreserved)
            if unpreserved:
                edit.event(
                    EventKind.OVERRIDE,
                    "Changed systems before evidence was preserved (still pending: "
                    f"{', '.join(unpreserved)}): {preserve_reason}",
                    at=when,
                    rule="preserve_before_change",
                    pending=unpreserved,
                    reason=preserve_reason,
                )
            pending = rules.blocking_changes(edit.uow.mitigations.of_incident(incident_id), step)
            if pending and not override_reason:
                raise ChangePending(pending)
            if pending:
                edit.event(
                    EventKind.OVERRIDE,
                    rules.override_text(pending, override_reason),
                    at=when,
                    rule="one_change_at_a_time",
                    pending=[m.id for m in pending],
                    reason=override_reason,
                )
            who = who or edit.actor
            text = rules.applied_text(option.verb, action, who, expected, span)
            facts = _change_facts(change, incident, edit.now)
            if facts:
                text += f"; {facts}"
            applied = edit.uow.mitigations.add(
                incident_id=incident_id,
                option_key=option.key,
                option_verb=option.verb,
                decision=Decision.APPLIED,
                decided_at=when,
                decided_by=edit.actor,
                action=action,
                applied_by=who,
                expected_effect=expected,
                check_back_at=when + span,
                outcome=Outcome.PENDING,
                kind=step,
            )
            edit.event(
                EventKind.MITIGATION,
                text,
                at=when,
                option=option.key,
                step_kind=step.value,
                decision=Decision.APPLIED.value,
                mitigation=applied.id,
                check_back_at=applied.check_back_at,
                change=change.change if change else "",
                changed_at=change.changed_at if change else None,
            )
            if edit.row.status == Status.TRIAGE.value:
                move_status(
                    edit, Status.ACTIVE, "mitigation under way", None if at is None else when
                )
        return applied

    def reject(
        self,
        incident_id: int,
        option: MitigationOption,
        reason: str,
        *,
        not_applicable: bool,
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Mitigation:
        """Skips an option (a reason is required) or marks it not applicable; `at`: when it
        was decided, for a decision entered afterwards."""
        reason = " ".join(clean_text("reason", reason, "The reason").split())
        if not reason and not not_applicable:
            raise ValidationError(
                "reason",
                f"Say why you are not going to {option.verb}: the post-mortem will ask.",
            )
        decision = Decision.NOT_APPLICABLE if not_applicable else Decision.SKIPPED
        with self.incidents.editing(incident_id) as edit:
            when = edit.effective("at", "The decision's time", at, confirmed)
            _refuse_unless_working(edit.incident(), "record a decision")
            decided = edit.uow.mitigations.add(
                incident_id=incident_id,
                option_key=option.key,
                option_verb=option.verb,
                decision=decision,
                decided_at=when,
                decided_by=edit.actor,
                reason=reason,
                kind=rules.kind_of_option(option.key),
            )
            text = (
                rules.not_applicable_text(option.verb, reason)
                if not_applicable
                else rules.skipped_text(option.verb, reason)
            )
            edit.event(
                EventKind.MITIGATION,
                text,
                at=when,
                option=option.key,
                decision=decision.value,
                mitigation=decided.id,
                reason=reason,
            )
        return decided

    def record_outcome(
        self,
        mitigation_id: int,
        worked: Outcome | bool | str,
        note: str = "",
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Mitigation:
        """The check-back's answer: worked, partly, no effect or made it worse (a bool from a
        caller that knows only worked / did not work: False is "did not work"). A parked step
        can be answered too."""
        try:
            outcome = rules.answer_outcome(worked)
        except ValueError as exc:
            raise ValidationError("outcome", str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        note = " ".join(clean_text("note", note, "The note").split())
        with self.incidents.reading() as uow:
            incident_id = uow.mitigations.get(mitigation_id).incident_id
        with self.incidents.editing(incident_id) as edit:
            when = edit.effective("at", "The check-back's time", at, confirmed)
            mitigation = edit.uow.mitigations.get(mitigation_id)
            if not mitigation.answerable:
                raise ValidationError(
                    "outcome",
                    f"“{mitigation.subject}” was already checked.",
                )
            _not_before_the_change(mitigation, when, "The check-back")
            checked = edit.uow.mitigations.record_outcome(mitigation_id, outcome, when)
            edit.event(
                EventKind.CHECK_BACK,
                rules.outcome_text(mitigation, outcome, note),
                at=when,
                mitigation=mitigation_id,
                outcome=outcome.value,
                note=note,
            )
        return checked

    def park(
        self,
        mitigation_id: int,
        waiting_on: str,
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Mitigation:
        """A step waiting on a third party (a vendor, another team): recorded as parked, it
        no longer blocks "mitigated" or another change; a check-back can still answer it."""
        waiting_on = " ".join(clean_text("waiting_on", waiting_on, "The text").split())
        if not waiting_on:
            raise ValidationError(
                "waiting_on",
                "Say who or what the step waits on (e.g. the CDN vendor's ticket 5521).",
            )
        with self.incidents.reading() as uow:
            incident_id = uow.mitigations.get(mitigation_id).incident_id
        with self.incidents.editing(incident_id) as edit:
            when = edit.effective("at", "The time it was parked", at, confirmed)
            mitigation = edit.uow.mitigations.get(mitigation_id)
            if not mitigation.unverified:
                state = "parked" if mitigation.parked else "checked"
                raise ValidationError("waiting_on", f"“{mitigation.subject}” is already {state}.")
            _not_before_the_change(mitigation, when, "Parking it")
            parked = edit.uow.mitigations.record_outcome(mitigation_id, Outcome.PARKED, when)
            edit.event(
                EventKind.CHECK_BACK,
                rules.parked_text(mitigation, waiting_on),
                at=when,
                mitigation=mitigation_id,
                outcome=Outcome.PARKED.value,
                waiting_on=waiting_on,
            )
        return parked

    def remove_containment(self, mitigation_id: int, reason: str = "") -> Mitigation:
        """Takes back a containment step (IPs unblocked, a host back on the network) once
        the incident is mitigated: a recorded step of its own, on the timeline."""
        reason = " ".join(clean_text("reason", reason, "The reason").split())
        with self.incidents.reading() as uow:
            incident_id = uow.mitigations.get(mitigation_id).incident_id
        with self.incidents.editing(incident_id) as edit:
            incident = edit.incident()
            if incident.status.order < Status.MITIGATED.order:
                raise ValidationError(
                    "status",
                    f"Incident #{incident_id} is {incident.status.label}: containment stays "
                    "until impact is mitigated.",
                )
            mitigation = edit.uow.mitigations.get(mitigation_id)
            in_force = rules.containment_in_force(edit.uow.mitigations.of_incident(incident_id))
            if mitigation.id not in {m.id for m in in_force}:
                raise ValidationError(
                    "mitigation",
                    f"“{mitigation.subject}” is not a containment step in force.",
                )
            removed = edit.uow.mitigations.add(
                incident_id=incident_id,
                option_key=mitigation.option_key,
                option_verb=mitigation.option_verb,
                decision=Decision.REMOVED,
                decided_at=edit.now,
                decided_by=edit.actor,
                action=mitigation.subject,
                reason=reason,
                kind=StepKind.CONTAINMENT,
            )
            edit.event(
                EventKind.MITIGATION,
                rules.removed_text(mitigation, reason),
                option=mitigation.option_key,
                step_kind=StepKind.CONTAINMENT.value,
                decision=Decision.REMOVED.value,
                mitigation=removed.id,
                removes=mitigation.id,
                reason=reason,
            )
        return removed

    def mark_mitigated(
        self,
        incident_id: int,
        check: RecoveryCheck | str,
        detail: str,
        link: str = "",
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Incident:
        """Impact has stopped, and this measurement shows it. Refused without one. `at`:
        when it was measured (now when not given); the incident is mitigated from then."""
        detail = " ".join(clean_text("detail", detail, "The verification").split())
        link = clean_text("link", link, "The link")
        if not detail:
            raise ValidationError(
                "detail",
                "Not marked mitigated: say which check showed recovery (a health check "
                "passing, the error rate back to baseline, or a key metric recovered). "
                "Without a measurement, “mitigated” is a guess.",
            )
        if not check:  # the record says what the user saw, never a default
            raise ValidationError(
                "check",
                "Not marked mitigated: choose how recovery was measured (a health check "
                "passing, the error rate back to baseline, or a key metric recovered).",
            )
        try:
            check = RecoveryCheck(check)
        except ValueError:
            raise ValidationError("check", f"Unknown kind of check {check!r}.") from None
        with self.incidents.editing(incident_id) as edit:
            when = edit.effective("at", "The verification's time", at, confirmed)
            incident = edit.incident()
            if not incident.status.is_open or incident.status is Status.MITIGATED:
                raise ValidationError(
                    "status", f"Incident #{incident_id} is already {incident.status.label}."
                )
            pending = rules.unverified(edit.uow.mitigations.of_incident(incident_id))
            if pending:
                names = ", ".join(f"“{m.subject}”" for m in pending)
                raise ValidationError(
                    "detail",
                    f"Not marked mitigated: {names} is still unverified. Say whether it worked "
                    "first, so the record shows which change fixed it.",
                )
            parked = rules.parked(edit.uow.mitigations.of_incident(incident_id))
            extra: dict[str, Any] = {"parked": [m.id for m in parked]} if parked else {}
            edit.event(
                EventKind.VERIFIED,
                rules.verified_text(check, detail, link),
                at=when,
                check=check.value,
                detail=detail,
                link=link,
                **extra,
            )
            move_status(edit, Status.MITIGATED, "", None if at is None else when)
            return edit.incident()


def _unpreserved_evidence(
    uow: UnitOfWork, incident_id: int, checklist: ChecklistTemplate
) -> list[str]:
    """On a security incident, the volatile evidence items still pending (the checklist in
    force marks them `before_change`); an incident with no checklist at all has preserved
    nothing. Nothing on an incident that is not a security one."""
    if not uow.mitigations.security_incident(incident_id):
        return []
    items = uow.evidence.items(incident_id)
    if not items:
        return ["nothing collected yet"]
    return [item.name for item in blocking_change(checklist.marked(items), True)]


def _answer_text(kind: AnswerKind, key: str, answers: dict[str, str]) -> tuple[str, str]:
    note = answers.get(answer_note_key(key), "") if kind is AnswerKind.YES_NO else ""
    answer = answers.get(key, "")
    if kind is AnswerKind.YES_NO:
        answer = answer.capitalize()
    return answer, note


def _not_before_the_change(mitigation: Mitigation, when: datetime, what: str) -> None:
    """A step is answered after it was made: an earlier time is a typing slip."""
    if when < mitigation.decided_at:
        raise ValidationError(
            "at",
            f"{what} at {utc_minute(when)} would be before “{mitigation.subject}” was made "
            f"({utc_minute(mitigation.decided_at)}). Nothing was recorded.",
        )


def _refuse_unless_working(incident: Incident, what: str) -> None:
    if incident.status.order >= Status.MITIGATED.order:
        raise ValidationError(
            "status",
            f"Incident #{incident.id} is {incident.status.label}. Move it back to active to "
            f"{what}.",
        )


def _change_facts(change: ChangeFacts | None, incident: Incident, now: datetime) -> str:
    if change is None or (not change.change and change.changed_at is None):
        return ""
    if change.changed_at is None:
        return f"suspected change: {change.change}"
    when = aware_utc("changed_at", change.changed_at)
    not_in_future("changed_at", "The change's time", when, now)
    return rules.change_gap_text(change.change, when, incident.impact_started_at)
