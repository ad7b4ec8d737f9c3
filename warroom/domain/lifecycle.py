"""The incident lifecycle: triage -> active -> mitigated -> resolved -> postmortem -> closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    TRIAGE = "triage"
    ACTIVE = "active"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"

    _order: int  # its place in LIFECYCLE, set once below
    _open: bool  # is_open, set once below

    @property
    def order(self) -> int:
        return self._order

    @property
    def label(self) -> str:
        return "post-mortem" if self is Status.POSTMORTEM else self.value

    @property
    def is_open(self) -> bool:
        """Open incidents still have users hurting or responders working: the board shows them."""
        return self._open

    @classmethod
    def parse(cls, text: str) -> Status:
        cleaned = str(text).strip().lower().replace("-", "").replace(" ", "")
        try:
            return cls(cleaned)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown status {text!r}; use one of {allowed}") from None


LIFECYCLE: tuple[Status, ...] = tuple(Status)
# Asked on every board paint and reminder pass: an attribute, not a search of LIFECYCLE.
for _place, _status in enumerate(LIFECYCLE):
    _status._order = _place
for _status in LIFECYCLE:  # before resolution: still open
    _status._open = _status._order < Status.RESOLVED._order


def is_backwards(old: Status, new: Status) -> bool:
    """Going back (a mitigation failed, impact returned) is allowed but worth saying so."""
    return new.order < old.order


class Role(StrEnum):
    COMMANDER = "commander"
    TECH_LEAD = "tech_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.COMMANDER: "Incident commander",
    Role.TECH_LEAD: "Technical lead",
    Role.COMMS_LEAD: "Communications lead",
    Role.SCRIBE: "Scribe",
}


# -- moving between stages: the one way any caller changes an incident's stage ---------------


class MoveRefused(ValueError):
    """A stage move a rule does not allow; the message says why in one sentence.
    `reason_would_do` tells a caller that stating a reason lets the move through."""

    def __init__(self, message: str, reason_would_do: bool) -> None:
        super().__init__(message)
        self.message = message
        self.reason_would_do = reason_would_do


@dataclass(frozen=True)
class StageFacts:
    """What the rules look at; the service reads them from the record."""

    status: Status
    verified: bool  # a recovery verification is on the timeline
    mitigated_at: datetime | None
    resolved_at: datetime | None
    impact_started_at: datetime
    postmortem_published: bool
    postmortem_required: bool  # the policy requires one at the incident's severity


@dataclass(frozen=True)
class StageMove:
    old: Status
    new: Status
    reason: str
    stamps: dict[str, datetime]  # key times the move sets because they were not set yet
    overridden: tuple[str, ...]  # the rules the stated reason stood in for

    @property
    def text(self) -> str:
        verb = "moved back" if is_backwards(self.old, self.new) else "changed"
        if self.old is Status.CLOSED:
            verb = "reopened"
        suffix = f": {self.reason}" if self.reason else ""
        return f"Status {verb}: {self.old.label} → {self.new.label}{suffix}"


def move_stage(facts: StageFacts, new: Status, reason: str, now: datetime) -> StageMove | None:
    """The move from the incident's stage to `new`, or None when it is there already.
    Raises MoveRefused, changing nothing, when a rule says no. Times already recorded are
    never erased or replaced: a move only sets those not set yet."""
    old = facts.status
    if new is old:
        return None
    reason = " ".join(reason.split())
    overridden: list[str] = []
    if is_backwards(old, new):
        if not reason:
            what = "Reopening" if old is Status.CLOSED else "Moving back"
            raise MoveRefused(
                f"{what} from {old.label} to {new.label} needs a reason: say what changed "
                "(the recorded times stay on the timeline).",
                reason_would_do=True,
            )
        return StageMove(old, new, reason, {}, ())
    crosses = {s for s in LIFECYCLE if old.order < s.order <= new.order}
    skips_mitigation = Status.RESOLVED in crosses and old.order < Status.MITIGATED.order
    if skips_mitigation and not reason:
        raise MoveRefused(
            f"Resolved needs the incident mitigated first; it is {old.label}. Mitigate it, "
            "or state why not (for example “recovered on its own”).",
            reason_would_do=True,
        )
    if Status.MITIGATED in crosses and not facts.verified:
        if not reason:
            raise MoveRefused(
                "Mitigated needs a recorded verification (the measurement that showed "
                "recovery, in the mitigation wizard) or a stated reason to skip it.",
                reason_would_do=True,
            )
        overridden.append("verification")
    if skips_mitigation:
        overridden.append("mitigated first")
    if Status.CLOSED in crosses and not facts.postmortem_published:
        if facts.postmortem_required:
            raise MoveRefused(
                "Closed needs the post-mortem published first: the policy requires one at "
                "this severity.",
                reason_would_do=False,
            )
        if not reason:
            raise MoveRefused(
                "Closed needs a published post-mortem, or a stated reason why none is "
                "written (the policy does not require one at this severity).",
                reason_would_do=True,
            )
        overridden.append("post-mortem")
    stamp = max(now, facts.impact_started_at)  # an impact start slightly ahead (clock skew)
    stamps: dict[str, datetime] = {}
    # Only the stage moved to is stamped: a skipped stage gets no invented time.
    # Never a stamp that contradicts a recorded time: a mitigation after a recorded
    # resolution (reopened, then mitigated again) leaves the resolution to be corrected.
    contradicts = facts.resolved_at is not None and stamp > facts.resolved_at
    if new is Status.MITIGATED and facts.mitigated_at is None and not contradicts:
        stamps["mitigated_at"] = stamp
    if new.order >= Status.RESOLVED.order and facts.resolved_at is None:
        stamps["resolved_at"] = max(stamp, facts.mitigated_at or stamp)
    return StageMove(old, new, reason, stamps, tuple(overridden))


# The stages an incident is still being worked in, as stored: the board's default filter.
OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.is_open)
