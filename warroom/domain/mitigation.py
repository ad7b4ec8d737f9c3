"""Mitigation decisions and their rules: one change at a time, time-boxed, verified.

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


class Outcome(StrEnum):
    PENDING = "pending"  # applied, not yet checked
    WORKED = "worked"
    DID_NOT_WORK = "did_not_work"


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

    @property
    def unverified(self) -> bool:
        return self.decision is Decision.APPLIED and self.outcome is Outcome.PENDING

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


def outcome_text(mitigation: Mitigation, worked: bool, note: str) -> str:
    subject = mitigation.subject
    verdict = "worked" if worked else "did not work"
    text = f"Check-back: {subject} {verdict}"
    return text + (f": {note}" if note else "")


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
