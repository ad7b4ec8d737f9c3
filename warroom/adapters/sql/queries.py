"""services.ports.metrics' queries on SQL: what the metrics need of every timeline, summed
up per incident by the database in one pass over the events, and the incident rows read
without the ORM's identity map (the metrics only read them). The unit of work owns the
session and its transaction, so these see the same snapshot as its repositories."""

from __future__ import annotations

import json

from sqlalchemy import select, text
from sqlmodel import Session

from warroom.adapters.sql.mapping import (
    INCIDENT_COLUMNS,
    event_from_columns,
    incident_from_columns,
    parse_stored_time,
)
from warroom.adapters.sql.models import IncidentRow
from warroom.domain.cadence import CADENCE_KEY, MISSED, WITHDRAWN
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.services.ports.metrics import TimelineSummary

_INCIDENT = IncidentRow.__table__.c  # type: ignore[attr-defined]  # SQLModel sets it

# One pass over the timeline, grouped by incident. NOT INDEXED: walking the (incident_id,
# at) index in order and fetching each row from the table costs several times a plain scan
# (1.7 s against 0.25 s over 500,000 events). The JSON fields are read with SQLite's JSON1
# functions; the events that may record a missed cadence come back whole (as a JSON array
# per event, in no particular order) for the domain to read as it always has.
_SUMMARIES = text(
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
            THEN json_array(id, at, recorded_at, data) END
        )
    FROM timeline_event NOT INDEXED
    WHERE kind IN (:update, :mitigation, :check_back, :reminder)
    GROUP BY incident_id
    """
).bindparams(
    update=EventKind.UPDATE_SENT.value,
    mitigation=EventKind.MITIGATION.value,
    check_back=EventKind.CHECK_BACK.value,
    reminder=EventKind.REMINDER.value,
)


class SqlMetricsQueries:
    """services.ports.metrics.MetricsQueries on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def incidents(self) -> list[Incident]:
        query = select(*(_INCIDENT[name] for name in INCIDENT_COLUMNS)).order_by(_INCIDENT.id)
        return [
            incident_from_columns(dict(zip(INCIDENT_COLUMNS, row, strict=True)).__getitem__)
            for row in self._session.execute(query)
        ]

    def timeline_summaries(self) -> dict[int, TimelineSummary]:
        summaries: dict[int, TimelineSummary] = {}
        for incident_id, first, applied, worked, cadence in self._session.execute(_SUMMARIES):
            summaries[incident_id] = TimelineSummary(
                first_update_at=None if first is None else parse_stored_time(first),
                mitigations_applied=applied,
                mitigations_worked=worked,
                cadence_events=_cadence_events(incident_id, cadence),
            )
        return summaries


def _cadence_events(incident_id: int, found: str | None) -> tuple[TimelineEvent, ...]:
    """The events group_concat joined (JSON arrays: id, at, recorded_at, data), by id."""
    if found is None:
        return ()
    events = [
        event_from_columns(
            {
                "id": event_id,
                "incident_id": incident_id,
                "kind": EventKind.REMINDER.value,
                "at": parse_stored_time(at),
                "recorded_at": parse_stored_time(recorded_at),
                "actor": "",  # not read: the metrics never show it
                "text": "",
                "data": data,
            }.__getitem__
        )
        for event_id, at, recorded_at, data in json.loads(f"[{found}]")
    ]
    return tuple(sorted(events, key=lambda e: e.id))
