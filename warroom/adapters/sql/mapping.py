"""Stored incident and event columns -> the domain Incident and TimelineEvent. Free of
SQLAlchemy, so the quick reads (sqlite/quick_read.py: the board at start-up, the CLI's JSON)
and the ORM path share one mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Role, Status
from warroom.domain.severity import Severity

ROLE_COLUMNS: dict[Role, str] = {
    Role.COMMANDER: "commander",
    Role.TECH_LEAD: "tech_lead",
    Role.COMMS_LEAD: "comms_lead",
    Role.SCRIBE: "scribe",
}
TIME_COLUMNS = (
    "impact_started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "severity_changed_at",
    "last_update_at",
    "response_due_at",
    "resolution_recorded_at",
)
INCIDENT_COLUMNS = (
    "id",
    "title",
    "severity",
    "status",
    "impact",
    "is_drill",
    "is_security",
    "service",
    "dedupe_key",
    "duplicate_of",
    *ROLE_COLUMNS.values(),
    *TIME_COLUMNS,
)
EVENT_COLUMNS = ("id", "incident_id", "kind", "at", "recorded_at", "actor", "text", "data")


def format_stored_time(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601, so stored times also sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stored_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is UTC:  # the stored form: nothing to convert (most times, read in bulk)
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# Stored values to members by a dict look-up: calling the enum costs several times more, on
# every incident every screen reads.
_SEVERITY_OF = {level.value: level for level in Severity}
_STATUS_OF = {status.value: status for status in Status}


def incident_from_columns(column: Callable[[str], Any]) -> Incident:
    """Builds an Incident from a column getter; time columns must already be datetimes."""
    roles = {role: column(name) for role, name in ROLE_COLUMNS.items()}
    severity, status = column("severity"), column("status")
    return Incident(
        id=column("id"),
        title=column("title"),
        severity=_SEVERITY_OF.get(severity) or Severity(severity),
        status=_STATUS_OF.get(status) or Status(status),
        impact=column("impact"),
        declared_at=column("declared_at"),
        impact_started_at=column("impact_started_at"),
        severity_changed_at=column("severity_changed_at"),
        detected_at=column("detected_at"),
        acknowledged_at=column("acknowledged_at"),
        mitigated_at=column("mitigated_at"),
        resolved_at=column("resolved_at"),
        last_update_at=column("last_update_at"),
        roles={role: name for role, name in roles.items() if name},
        is_drill=bool(column("is_drill")),
        response_due_at=column("response_due_at"),
        is_security=bool(column("is_security")),
        service=column("service") or "",
        resolution_recorded_at=column("resolution_recorded_at"),
        dedupe_key=column("dedupe_key") or "",
        duplicate_of=column("duplicate_of"),
    )


def event_from_columns(column: Callable[[str], Any]) -> TimelineEvent:
    """Builds a TimelineEvent from a column getter; `at` and `recorded_at` must already be
    datetimes, `data` is the stored JSON text."""
    return TimelineEvent(
        id=column("id"),
        incident_id=column("incident_id"),
        kind=EventKind(column("kind")),
        at=column("at"),
        recorded_at=column("recorded_at"),
        actor=column("actor"),
        text=column("text"),
        data=json.loads(column("data") or "{}"),
    )
