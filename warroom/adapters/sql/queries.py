"""services.ports.metrics' queries on SQL: what the metrics need of every timeline, summed
up per incident by the database in one pass over the events, and the incident rows read
without the ORM (the metrics only read them). The unit of work owns the
session and its transaction, so these see the same snapshot as its repositories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from warroom.adapters.sql.mapping import (
    INCIDENT_COLUMNS,
    ROLE_COLUMNS,
    parse_stored_time,
)
from warroom.adapters.sql.models import METRICS_EVENT_KINDS
from warroom.domain.cadence import CADENCE_KEY, MISSED, WITHDRAWN
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.services.ports.metrics import TimelineSummary

# The stored columns as text (as the standard-library quick read takes them), the times
# parsed here: the same values the ORM's column types would give, for less work. _incident
# unpacks them in mapping's INCIDENT_COLUMNS order; tests/services/test_metrics_sql_equality
# compares every incident read here with the one the ORM reads.
_INCIDENTS = text(f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incident ORDER BY id")
_ROLES = tuple(ROLE_COLUMNS)
_SEVERITIES = {level.value: level for level in Severity}
_STATUSES = {status.value: status for status in Status}


def _times(rows: Sequence[Sequence[Any]]) -> list[list[datetime | None]]:
    """parse_stored_time of each row's time columns (from the 15th on), the rows taken
    together: the stored text (SQLite's) parsed with no call per value, then every zone
    checked at once; anything but UTC text (PostgreSQL's datetimes, another zone, none)
    value by value."""
    parse = datetime.fromisoformat
    try:
        times = [[v if v is None else parse(v) for v in row[14:]] for row in rows]
    except TypeError:  # not text
        return [[None if v is None else parse_stored_time(v) for v in row[14:]] for row in rows]
    if {t.tzinfo for found in times for t in found if t is not None} - {UTC}:
        times = [[None if t is None else parse_stored_time(t) for t in found] for found in times]
    return times


# Incident's fields in the order _incident passes them (positionally: a keyword per field
# costs a microsecond per incident).
assert tuple(f.name for f in fields(Incident)) == (
    "id",
    "title",
    "severity",
    "status",
    "impact",
    "declared_at",
    "impact_started_at",
    "severity_changed_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "last_update_at",
    "roles",
    "is_drill",
    "response_due_at",
    "is_security",
    "service",
    "resolution_recorded_at",
    "dedupe_key",
    "duplicate_of",
), "queries._incident passes Incident's fields in this order"
_COMMANDER, _TECH_LEAD, _COMMS_LEAD, _SCRIBE = _ROLES


def _incident(row: Sequence[Any], times: Sequence[Any]) -> Incident:
    """mapping.incident_from_columns on one row of _INCIDENTS (its times already parsed by
    _times), without a getter call and a dict per column."""
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
        commander,
        tech_lead,
        comms_lead,
        scribe,
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
    ) = times
    roles = {}
    if commander:
        roles[_COMMANDER] = commander
    if tech_lead:
        roles[_TECH_LEAD] = tech_lead
    if comms_lead:
        roles[_COMMS_LEAD] = comms_lead
    if scribe:
        roles[_SCRIBE] = scribe
    return Incident(
        incident_id,
        title,
        _SEVERITIES.get(severity) or Severity(severity),
        _STATUSES.get(status) or Status(status),
        impact,
        declared_at,
        impact_started_at,
        severity_changed_at,
        detected_at,
        acknowledged_at,
        mitigated_at,
        resolved_at,
        last_update_at,
        roles,
        bool(is_drill),
        response_due_at,
        bool(is_security),
        service or "",
        resolution_recorded_at,
        dedupe_key or "",
        duplicate_of,
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
        rows = self._session.execute(_INCIDENTS).all()
        return [_incident(row, times) for row, times in zip(rows, _times(rows), strict=True)]

    def timeline_summaries(self) -> dict[int, TimelineSummary]:
        summaries: dict[int, TimelineSummary] = {}
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        query = _POSTGRESQL_SUMMARIES if postgresql else _SQLITE_SUMMARIES
        rows = self._session.execute(query, _KINDS).all()  # fetched at once, not row by row
        cadence = _cadence_events([(row[0], row[4]) for row in rows if row[4] is not None])
        nothing = ()
        for incident_id, first, applied, worked, _found in rows:
            summaries[incident_id] = TimelineSummary(
                first_update_at=None if first is None else parse_stored_time(first),
                mitigations_applied=applied,
                mitigations_worked=worked,
                cadence_events=cadence.get(incident_id, nothing),
            )
        return summaries


def _cadence_events(found: list[tuple[int, str]]) -> dict[int, tuple[TimelineEvent, ...]]:
    """By incident id, the events group_concat joined (JSON arrays: id, at, recorded_at, and
    the data object itself), by id; every incident's in one decoding. Made as
    mapping.event_from_columns makes them, with no actor and no text (the metrics never show
    them)."""
    if not found:
        return {}
    decoded = json.loads("[[" + "],[".join([text for _, text in found]) + "]]")
    reminder, parse, utc = EventKind.REMINDER, datetime.fromisoformat, UTC
    events_by_incident: dict[int, tuple[TimelineEvent, ...]] = {}
    for (incident_id, _), arrays in zip(found, decoded, strict=True):
        events = []
        for event_id, at, recorded_at, data in arrays:
            moment, recorded = parse(at), parse(recorded_at)
            if moment.tzinfo is not utc or recorded.tzinfo is not utc:
                moment, recorded = parse_stored_time(at), parse_stored_time(recorded_at)
            events.append(
                TimelineEvent(event_id, incident_id, reminder, moment, recorded, "", "", data)
            )
        if len(events) > 1:
            events.sort(key=_by_id)
        events_by_incident[incident_id] = tuple(events)
    return events_by_incident


def _by_id(event: TimelineEvent) -> int:
    return event.id
