"""services.ports.metrics' queries on SQL: what the metrics need of every timeline, summed
up per incident by the database in one pass over the events, and the incident rows read
without the ORM (the metrics only read them). The unit of work owns the
session and its transaction, so these see the same snapshot as its repositories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from warroom.adapters.sql.mapping import (
    INCIDENT_COLUMNS,
    ROLE_COLUMNS,
    TIME_COLUMNS,
    parse_stored_time,
)
from warroom.adapters.sql.models import METRICS_EVENT_KINDS
from warroom.domain.cadence import CADENCE_KEY, MISSED, WITHDRAWN
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.services.ports.metrics import TimelineSummary

# The stored columns as text (as the standard-library quick read takes them), the times
# parsed here: the same values the ORM's column types would give, for less work. The
# columns come in the order _incident unpacks them (checked against mapping's below).
_INCIDENTS = text(f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incident ORDER BY id")
assert (
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
) == INCIDENT_COLUMNS, "queries._incident unpacks the columns in this order"
_ROLES = tuple(ROLE_COLUMNS)
_SEVERITIES = {level.value: level for level in Severity}
_STATUSES = {status.value: status for status in Status}


def _utc(value: Any) -> datetime:
    """parse_stored_time, quicker for the stored form: ISO 8601 in UTC."""
    moment = datetime.fromisoformat(value) if value.__class__ is str else value
    return moment if moment.tzinfo is UTC else parse_stored_time(moment)


def _incident(row: Sequence[Any]) -> Incident:
    """mapping.incident_from_columns on one row of _INCIDENTS, without a getter call and a
    dict per column."""
    (
        incident_id,
        title,
        severity,
        status,
        impact,
        is_drill,
        is_security,
        service,
        dedupe_key,
        duplicate_of,
        *role_names,
    ) = row[:14]
    (
        impact_started_at,
        detected_at,
        declared_at,
        acknowledged_at,
        mitigated_at,
        resolved_at,
        severity_changed_at,
        last_update_at,
        response_due_at,
        resolution_recorded_at,
    ) = [None if value is None else _utc(value) for value in row[14:]]
    return Incident(
        id=incident_id,
        title=title,
        severity=_SEVERITIES.get(severity) or Severity(severity),
        status=_STATUSES.get(status) or Status(status),
        impact=impact,
        declared_at=declared_at,
        impact_started_at=impact_started_at,
        severity_changed_at=severity_changed_at,
        detected_at=detected_at,
        acknowledged_at=acknowledged_at,
        mitigated_at=mitigated_at,
        resolved_at=resolved_at,
        last_update_at=last_update_at,
        roles={role: name for role, name in zip(_ROLES, role_names, strict=True) if name},
        is_drill=bool(is_drill),
        response_due_at=response_due_at,
        is_security=bool(is_security),
        service=service or "",
        resolution_recorded_at=resolution_recorded_at,
        dedupe_key=dedupe_key or "",
        duplicate_of=duplicate_of,
    )


# One pass over the timeline, grouped by incident, in the order of the partial index made for
# it (ix_timeline_event_metrics, v11), which on SQLite holds every column read here: the
# table itself is never touched. Its predicate is repeated word for word (not as bound
# parameters), or SQLite could not tell that the index serves the query; without it the
# planner would walk the (incident_id, at) index, several times a plain scan's cost. The JSON
# fields are read with SQLite's JSON1 functions; the events that may record a missed cadence
# come back whole (as a JSON array per event, in no particular order) for the domain to read
# as it always has; a missed cadence's data is valid JSON (json_extract read it), so json()
# embeds it as an object.
_SQLITE_SUMMARIES = text(
    f"""
    SELECT incident_id,
        min(CASE WHEN kind = :update THEN at END),
        sum(CASE WHEN kind = :mitigation
            AND json_extract(data, '$.decision') = 'applied' THEN 1 ELSE 0 END),
        sum(CASE WHEN kind = :check_back
            AND json_extract(data, '$.outcome') = 'worked' THEN 1 ELSE 0 END),
        group_concat(
            CASE WHEN kind = :reminder
                AND json_extract(data, '$.{CADENCE_KEY}') IN ('{MISSED}', '{WITHDRAWN}')
            THEN json_array(id, at, recorded_at, json(data)) END
        )
    FROM timeline_event
    WHERE {METRICS_EVENT_KINDS}
    GROUP BY incident_id
    """
)
# The same on PostgreSQL: its JSON operators on the stored text, string_agg for group_concat.
_POSTGRESQL_SUMMARIES = text(
    f"""
    SELECT incident_id,
        min(CASE WHEN kind = :update THEN at END),
        sum(CASE WHEN kind = :mitigation
            AND CAST(data AS jsonb) ->> 'decision' = 'applied' THEN 1 ELSE 0 END),
        sum(CASE WHEN kind = :check_back
            AND CAST(data AS jsonb) ->> 'outcome' = 'worked' THEN 1 ELSE 0 END),
        string_agg(
            CASE WHEN kind = :reminder
                AND CAST(data AS jsonb) ->> '{CADENCE_KEY}' IN ('{MISSED}', '{WITHDRAWN}')
            THEN CAST(json_build_array(id, at, recorded_at, CAST(data AS json)) AS text) END,
            ','
        )
    FROM timeline_event
    WHERE {METRICS_EVENT_KINDS}
    GROUP BY incident_id
    """
)
_KINDS = {
    "update": EventKind.UPDATE_SENT.value,
    "mitigation": EventKind.MITIGATION.value,
    "check_back": EventKind.CHECK_BACK.value,
    "reminder": EventKind.REMINDER.value,
}
assert f"kind IN ({', '.join(repr(k) for k in _KINDS.values())})" == METRICS_EVENT_KINDS


class SqlMetricsQueries:
    """services.ports.metrics.MetricsQueries on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def incidents(self) -> list[Incident]:
        return [_incident(row) for row in self._session.execute(_INCIDENTS).all()]

    def timeline_summaries(self) -> dict[int, TimelineSummary]:
        summaries: dict[int, TimelineSummary] = {}
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        query = _POSTGRESQL_SUMMARIES if postgresql else _SQLITE_SUMMARIES
        rows = self._session.execute(query, _KINDS).all()  # fetched at once, not row by row
        for incident_id, first, applied, worked, cadence in rows:
            summaries[incident_id] = TimelineSummary(
                first_update_at=None if first is None else _utc(first),
                mitigations_applied=applied,
                mitigations_worked=worked,
                cadence_events=() if cadence is None else _cadence_events(incident_id, cadence),
            )
        return summaries


def _cadence_events(incident_id: int, found: str) -> tuple[TimelineEvent, ...]:
    """The events group_concat joined (JSON arrays: id, at, recorded_at, and the data object
    itself, so one decoding reads them all), by id; made as mapping.event_from_columns makes
    them, with no actor and no text (the metrics never show them)."""
    events = [
        TimelineEvent(
            event_id, incident_id, EventKind.REMINDER, _utc(at), _utc(recorded_at), "", "", data
        )
        for event_id, at, recorded_at, data in json.loads(f"[{found}]")
    ]
    if len(events) > 1:
        events.sort(key=lambda e: e.id)
    return tuple(events)
