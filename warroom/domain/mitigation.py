"""Mitigation decisions and their rules: one change at a time, time-boxed, verified.

The rules, as the service enforces them:
- Each step has a kind (`StepKind`): containment, rollback, scale, failover, feature flag,
  redirect, rate limit, remediation. The playbook's option key gives it where obvious.
- One change at a time: a new step waits for the unverified ones before it, so the record
  shows which change fixed it (`blocking_changes`). Containment steps are the exception
  among themselves: a second containment may follow one still unverified (isolating more
  hosts or blocking more sources does not muddy which fix worked); any other kind waits.
- A check-back says how it went: worked, partly, no effect, or made it worse. Rows written
  before these four said "did not work", which still reads as a failed step.
- A step waiting on a third party can be parked: recorded, no longer unverified, so it
  neither blocks "mitigated" nor another change; it can still be answered later.
- Containment still in force after mitigation is removed by a recorded step of its own.

Plain data and pure functions; the service stores and announces, the wizard asks.
Timeline wording lives here too, so every screen and the post-mortem read the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.durations import describe_duration

DEFAULT_CHECK_BACK = timedelta(minutes=10)
MAX_CHECK_BACK = timedelta(hours=4)


class Decision(StrEnum):
    APPLIED = "applied"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"
    REMOVED = "removed"  # a containment step taken back after mitigation


class StepKind(StrEnum):
    """What kind of change a step is."""

    UNSPECIFIED = ""  # steps recorded before kinds existed
    CONTAINMENT = "containment"
    ROLLBACK = "rollback"
    SCALE = "scale"
    FAILOVER = "failover"
    FEATURE_FLAG = "feature_flag"
    REDIRECT = "redirect"
    RATE_LIMIT = "rate_limit"
    REMEDIATION = "remediation"

    @property
    def label(self) -> str:
        return STEP_KIND_LABELS[self]


STEP_KIND_LABELS = {
    StepKind.UNSPECIFIED: "change",
    StepKind.CONTAINMENT: "containment",
    StepKind.ROLLBACK: "rollback",
    StepKind.SCALE: "scale",
    StepKind.FAILOVER: "failover",
    StepKind.FEATURE_FLAG: "feature flag",
    StepKind.REDIRECT: "redirect",
    StepKind.RATE_LIMIT: "rate limit",
    StepKind.REMEDIATION: "remediation",
}

# The playbook option keys whose kind is plain from the key.
OPTION_KINDS = {
    "rollback": StepKind.ROLLBACK,
    "roll_back": StepKind.ROLLBACK,
    "scale": StepKind.SCALE,
    "failover": StepKind.FAILOVER,
    "fail_over": StepKind.FAILOVER,
    "disable_feature": StepKind.FEATURE_FLAG,
    "feature_flag": StepKind.FEATURE_FLAG,
    "redirect": StepKind.REDIRECT,
    "rate_limit": StepKind.RATE_LIMIT,
    "contain": StepKind.CONTAINMENT,
    "containment": StepKind.CONTAINMENT,
    "isolate": StepKind.CONTAINMENT,
    "block": StepKind.CONTAINMENT,
    "remediate": StepKind.REMEDIATION,
    "remediation": StepKind.REMEDIATION,
    "fix": StepKind.REMEDIATION,
}


def kind_of_option(option_key: str) -> StepKind:
    """The kind a playbook option's key says, or UNSPECIFIED when it says none."""
    return OPTION_KINDS.get(option_key.strip().lower(), StepKind.UNSPECIFIED)


def step_kind(value: StepKind | str) -> StepKind:
    """A kind from its stored or typed value; raises ValueError for an unknown one."""
    try:
        return StepKind(value)
    except ValueError:
        known = ", ".join(k.value for k in StepKind if k.value)
        raise ValueError(f"unknown kind of step {value!r} (use {known})") from None


class Outcome(StrEnum):
    PENDING = "pending"  # applied, not yet checked
    PARKED = "parked"  # waiting on a third party: recorded, not blocking
    WORKED = "worked"
    PARTLY = "partly"  # impact reduced, not gone
    NO_EFFECT = "no_effect"
    MADE_WORSE = "made_worse"
    DID_NOT_WORK = "did_not_work"  # the one failure rows before the four outcomes could say

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def failed(self) -> bool:
        """Nothing gained: the next option is the way on."""
        return self in FAILED_OUTCOMES

    @property
    def checked(self) -> bool:
        """A check-back answered it (parked and pending are not answers)."""
        return self not in (Outcome.PENDING, Outcome.PARKED)


FAILED_OUTCOMES = frozenset({Outcome.NO_EFFECT, Outcome.MADE_WORSE, Outcome.DID_NOT_WORK})
# What a check-back can answer, in the order the buttons show.
ANSWERS = (Outcome.WORKED, Outcome.PARTLY, Outcome.NO_EFFECT, Outcome.MADE_WORSE)

OUTCOME_LABELS = {
    Outcome.PENDING: "waiting for its check-back",
    Outcome.PARKED: "parked: waiting on a third party",
    Outcome.WORKED: "worked",
    Outcome.PARTLY: "partly worked",
    Outcome.NO_EFFECT: "had no effect",
    Outcome.MADE_WORSE: "made it worse",
    Outcome.DID_NOT_WORK: "did not work",
}


def answer_outcome(answer: Outcome | bool | str) -> Outcome:
    """A check-back's answer as an outcome: one of ANSWERS, or a bool from a caller that
    only knows worked / did not work (False is recorded as just that, DID_NOT_WORK).

    Raises ValueError for anything else."""
    if isinstance(answer, bool):
        return Outcome.WORKED if answer else Outcome.DID_NOT_WORK
    try:
        outcome = Outcome(answer)
    except ValueError:
        outcome = None
    if outcome not in ANSWERS:
        known = ", ".join(o.value for o in ANSWERS)
        raise ValueError(f"a check-back answers one of {known}, not {answer!r}")
    assert outcome is not None
    return outcome


class RecoveryCheck(StrEnum):
    """What showed that users are no longer hurting."""

    HEALTH_CHECK = "health_check"
    ERROR_RATE = "error_rate"
    KEY_METRIC = "key_metric"

    @property
    def label(self) -> str:
        return RECOVERY_LABELS[self]


RECOVERY_LABELS = {
    RecoveryCheck.HEALTH_CHECK: "health check passing",
    RecoveryCheck.ERROR_RATE: "error rate back to baseline",
    RecoveryCheck.KEY_METRIC: "key metric recovered",
}


@dataclass(frozen=True)
class Mitigation:
    """One decision on one option of the playbook."""

    id: int
    incident_id: int
    option_key: str
    option_verb: str
    decision: Decision
    decided_at: datetime
    decided_by: str
    action: str = ""  # what exactly was done: "revert deploy 4812"
    applied_by: str = ""
    expected_effect: str = ""
    reason: str = ""  # why skipped or not applicable
    check_back_at: datetime | None = None
    outcome: Outcome | None = None  # None unless applied
    outcome_at: datetime | None = None
    kind: StepKind = StepKind.UNSPECIFIED

    @property
    def unverified(self) -> bool:
        """Applied and waiting for its check-back (a parked step is not: it waits on
        someone else, and says so on the record)."""
        return self.decision is Decision.APPLIED and self.outcome is Outcome.PENDING

    @property
    def parked(self) -> bool:
        return self.decision is Decision.APPLIED and self.outcome is Outcome.PARKED

    @property
    def answerable(self) -> bool:
        """A check-back can still answer it: pending or parked."""
        return self.unverified or self.parked

    @property
    def containment(self) -> bool:
        return self.kind is StepKind.CONTAINMENT

    def check_back_due(self, now: datetime) -> bool:
        return self.unverified and self.check_back_at is not None and now >= self.check_back_at

    @property
    def subject(self) -> str:
        """What was done, in words: the action typed, or the option's verb."""
        return self.action or self.option_verb

    @property
    def question(self) -> str:
        return f"Did “{self.subject}” work?"


def unverified(mitigations: list[Mitigation]) -> list[Mitigation]:
    return [m for m in mitigations if m.unverified]


def parked(mitigations: list[Mitigation]) -> list[Mitigation]:
    return [m for m in mitigations if m.parked]


def blocking_changes(mitigations: list[Mitigation], kind: StepKind) -> list[Mitigation]:
    """The unverified steps a new step of `kind` must wait for (one change at a time).
    Containment steps do not wait for each other: a second one may follow a first still
    unverified. Parked steps never block."""
    pending = unverified(mitigations)
    if kind is StepKind.CONTAINMENT:
        return [m for m in pending if not m.containment]
    return pending


def containment_in_force(mitigations: list[Mitigation]) -> list[Mitigation]:
    """Containment steps applied (and not failed) and not yet removed, oldest first. A
    REMOVED row takes back the earliest one in force with the same option and action."""
    in_force: list[Mitigation] = []
    for m in sorted(mitigations, key=lambda m: (m.decided_at, m.id)):
        if m.decision is Decision.APPLIED and m.containment:
            if m.outcome is None or not m.outcome.failed:
                in_force.append(m)
        elif m.decision is Decision.REMOVED:
            for held in in_force:
                if (held.option_key, held.subject) == (m.option_key, m.subject):
                    in_force.remove(held)
                    break
    return in_force


def latest_decisions(mitigations: list[Mitigation]) -> dict[str, Mitigation]:
    """The decision in force for each option: a later one replaces an earlier one."""
    latest: dict[str, Mitigation] = {}
    for mitigation in sorted(mitigations, key=lambda m: (m.decided_at, m.id)):
        latest[mitigation.option_key] = mitigation
    return latest


def check_back_span(minutes: int) -> timedelta:
    span = timedelta(minutes=minutes)
    if span <= timedelta(0) or span > MAX_CHECK_BACK:
        raise ValueError(
            f"the check-back time must be between 1 min and {describe_duration(MAX_CHECK_BACK)}"
        )
    return span


# -- how decisions read on the timeline ---------------------------------------------------
def applied_text(verb: str, action: str, applied_by: str, expected: str, span: timedelta) -> str:
    what = f"{verb}: {action}" if action and action.lower() != verb.lower() else verb
    return (
        f"Applied {what} (by {applied_by}); expected: {expected}; "
        f"check back in {describe_duration(span)}"
    )


def skipped_text(verb: str, reason: str) -> str:
    return f"Rejected {verb}: {reason}"


def not_applicable_text(verb: str, reason: str) -> str:
    return f"Not applicable: {verb}" + (f" ({reason})" if reason else "")


def outcome_text(mitigation: Mitigation, outcome: Outcome | bool, note: str) -> str:
    subject = mitigation.subject
    if isinstance(outcome, bool):
        outcome = Outcome.WORKED if outcome else Outcome.DID_NOT_WORK
    text = f"Check-back: {subject} {outcome.label}"
    return text + (f": {note}" if note else "")


def parked_text(mitigation: Mitigation, waiting_on: str) -> str:
    return f"Parked {mitigation.subject}: waiting on {waiting_on}"


def removed_text(mitigation: Mitigation, reason: str) -> str:
    return f"Containment removed: {mitigation.subject}" + (f" ({reason})" if reason else "")


def override_text(pending: list[Mitigation], reason: str) -> str:
    names = ", ".join(m.subject for m in pending)
    return f"Second change while {names} is unverified, on purpose: {reason}"


def verified_text(check: RecoveryCheck, detail: str, link: str) -> str:
    return f"Recovery verified ({check.label}): {detail}" + (f" <{link}>" if link else "")


def change_gap_text(change: str, changed_at: datetime, impact_started_at: datetime) -> str:
    """How a change lines up with the start of impact: the rollback's deciding fact."""
    gap = impact_started_at - changed_at
    if gap < timedelta(0):
        return (
            f"{change or 'The change'} came {describe_duration(-gap)} after impact started: "
            "it cannot have started it"
        )
    if gap == timedelta(0):
        return f"{change or 'The change'} came exactly when impact started"
    return f"{change or 'The change'} came {describe_duration(gap)} before impact started"
