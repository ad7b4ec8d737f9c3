"""The incident as the rules see it: plain data, no persistence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from warroom.domain.lifecycle import Role, Status
from warroom.domain.severity import Severity


class KeyTime(StrEnum):
    """The timestamps that metrics and the post-mortem are built from; each can be edited."""

    IMPACT_STARTED = "impact_started_at"
    DETECTED = "detected_at"
    DECLARED = "declared_at"
    ACKNOWLEDGED = "acknowledged_at"
    MITIGATED = "mitigated_at"
    RESOLVED = "resolved_at"

    @property
    def label(self) -> str:
        return KEY_TIME_LABELS[self]


KEY_TIME_LABELS: dict[KeyTime, str] = {
    KeyTime.IMPACT_STARTED: "Impact started",
    KeyTime.DETECTED: "Detected",
    KeyTime.DECLARED: "Declared",
    KeyTime.ACKNOWLEDGED: "Acknowledged",
    KeyTime.MITIGATED: "Mitigated",
    KeyTime.RESOLVED: "Resolved",
}


@dataclass(frozen=True)
class Incident:
    id: int
    title: str
    severity: Severity
    status: Status
    impact: str
    declared_at: datetime
    impact_started_at: datetime
    severity_changed_at: datetime | None = None  # None until the first change
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    last_update_at: datetime | None = None
    roles: dict[Role, str] = field(default_factory=dict)
    is_drill: bool = False
    # The response deadline in force at acknowledgement (derived from the facts: the
    # declaration, the severity in force then, the acknowledgement).
    response_due_at: datetime | None = None
    is_security: bool = False  # said at declaration or later; gates changes on evidence
    service: str = ""  # the affected service, for frequency per service
    resolution_recorded_at: datetime | None = None  # when the resolution was written down
    dedupe_key: str = ""  # the alert's key when an alert hook declared it
    duplicate_of: int | None = None  # the incident this one duplicates: out of the metrics

    @property
    def commander(self) -> str:
        return self.roles.get(Role.COMMANDER, "")

    @property
    def shown_title(self) -> str:
        """The title as every screen shows it: a drill says so before anything else."""
        return f"[DRILL] {self.title}" if self.is_drill else self.title

    @property
    def severity_since(self) -> datetime:
        """When the current severity took effect: the clocks run under it from then."""
        if self.severity_changed_at is None:
            return self.declared_at
        return max(self.declared_at, self.severity_changed_at)

    def key_time(self, key: KeyTime) -> datetime | None:
        return getattr(self, key.value)


class EventKind(StrEnum):
    DECLARED = "declared"
    SEVERITY_CHANGED = "severity_changed"
    ACKNOWLEDGED = "acknowledged"
    ROLE_ASSIGNED = "role_assigned"
    STATUS_CHANGED = "status_changed"
    UPDATE_SENT = "update_sent"
    NOTE = "note"
    FIELD_EDITED = "field_edited"
    TIME_EDITED = "time_edited"
    TRIAGE = "triage"  # an answer to one of the IC's triage questions
    MITIGATION = "mitigation"  # an option applied, rejected or not applicable
    OVERRIDE = "override"  # a rule knowingly overridden, with the reason
    CHECK_BACK = "check_back"  # whether an applied mitigation worked
    VERIFIED = "verified"  # the measurement that showed recovery
    POSTMORTEM = "postmortem"  # the write-up started, sent for review or published
    EVIDENCE = "evidence"  # evidence collected, linked, not applicable, verified or exported
    REMINDER = "reminder"  # a reminder snoozed, with how long
    ALERT_REPEATED = "alert_repeated"  # an alert hook declared again with the same key
    DUPLICATE = "duplicate"  # marked as a duplicate of another incident, or found one
    LINKED = "linked"  # related to another incident
    DELETED = "deleted"  # announced only: a deleted incident has no timeline left


@dataclass(frozen=True)
class TimelineEvent:
    id: int
    incident_id: int
    kind: EventKind
    at: datetime  # when it happened (editable for notes entered after the fact)
    recorded_at: datetime  # when it was written down
    actor: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
