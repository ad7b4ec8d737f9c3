"""Queries and row <-> domain conversion. Callers own the session and its transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from warroom.core.incident import EventKind, Incident, TimelineEvent
from warroom.core.lifecycle import Role, Status
from warroom.core.severity import Severity
from warroom.store.models import EventRow, IncidentRow

OPEN_STATUSES = tuple(s.value for s in Status if s.is_open)
ROLE_COLUMNS: dict[Role, str] = {
    Role.COMMANDER: "commander",
    Role.TECH_LEAD: "tech_lead",
    Role.COMMS_LEAD: "comms_lead",
    Role.SCRIBE: "scribe",
}


class IncidentNotFound(LookupError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"There is no incident #{incident_id}.")
        self.incident_id = incident_id


def to_incident(row: IncidentRow) -> Incident:
    assert row.id is not None
    roles = {role: getattr(row, column) for role, column in ROLE_COLUMNS.items()}
    return Incident(
        id=row.id,
        title=row.title,
        severity=Severity(row.severity),
        status=Status(row.status),
        impact=row.impact,
        declared_at=row.declared_at,
        impact_started_at=row.impact_started_at,
        severity_changed_at=row.severity_changed_at,
        detected_at=row.detected_at,
        acknowledged_at=row.acknowledged_at,
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        last_update_at=row.last_update_at,
        roles={role: name for role, name in roles.items() if name},
        is_drill=bool(row.is_drill),
        response_due_at=row.response_due_at,
    )


def to_event(row: EventRow) -> TimelineEvent:
    assert row.id is not None
    return TimelineEvent(
        id=row.id,
        incident_id=row.incident_id,
        kind=EventKind(row.kind),
        at=row.at,
        recorded_at=row.recorded_at,
        actor=row.actor,
        text=row.text,
        data=json.loads(row.data or "{}"),
    )


def get_row(session: Session, incident_id: int) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise IncidentNotFound(incident_id)
    return row


def list_rows(session: Session, include_closed: bool) -> list[IncidentRow]:
    query = select(IncidentRow)
    if not include_closed:
        query = query.where(IncidentRow.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
    return list(session.scalars(query.order_by(IncidentRow.id)))  # type: ignore[arg-type]


def event_rows(session: Session, incident_id: int) -> list[EventRow]:
    query = (
        select(EventRow)
        .where(EventRow.incident_id == incident_id)
        .order_by(EventRow.at, EventRow.id)  # type: ignore[arg-type]
    )
    return list(session.scalars(query))


def add_event(
    session: Session,
    incident_id: int,
    kind: EventKind,
    *,
    at: datetime,
    recorded_at: datetime,
    actor: str,
    text: str,
    data: dict[str, Any] | None = None,
) -> EventRow:
    row = EventRow(
        incident_id=incident_id,
        kind=kind.value,
        at=at,
        recorded_at=recorded_at,
        actor=actor,
        text=text,
        data=json.dumps(data or {}, ensure_ascii=False, default=_json_default),
    )
    session.add(row)
    return row


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in event data")
