"""Queries and row <-> domain conversion. Callers own the session and its transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, select, text
from sqlmodel import Session, col

from warroom.adapters.sql.mapping import (
    INCIDENT_COLUMNS,
    ROLE_COLUMNS,
    event_from_columns,
    incident_from_columns,
)
from warroom.adapters.sql.models import METRICS_EVENT_KINDS, EventRow, IncidentRow, PostmortemRow
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.services.ports import IncidentNotFound

__all__ = [
    "OPEN_STATUSES",
    "ROLE_COLUMNS",
    "IncidentNotFound",
    "get_row",
    "list_incidents",
    "to_event",
]


def to_incident(row: IncidentRow) -> Incident:
    assert row.id is not None
    return incident_from_columns(partial(getattr, row))


def to_event(row: EventRow) -> TimelineEvent:
    assert row.id is not None
    return event_from_columns(lambda name: getattr(row, name))


# Built once, so its cache key is computed once: loading the row an operation works on
# this way costs about a third less than Session.get, which builds its query every time.
_BY_ID = select(IncidentRow).where(col(IncidentRow.id) == bindparam("id"))


def get_row(session: Session, incident_id: int) -> IncidentRow:
    if session.identity_key(IncidentRow, incident_id) in session.identity_map:
        row = session.get(IncidentRow, incident_id)  # held already: no query
    else:
        row = session.scalars(_BY_ID, {"id": incident_id}).first()
    if row is None:
        raise IncidentNotFound(incident_id)
    return row


# Lists of incidents are read with Core, as tuples of the mapping's columns (the column
# types convert the times): no ORM rows are made for what becomes domain Incidents at once.
# About half the cost of an ORM load, which matters for the thousands of resolved
# incidents the post-mortem due clocks read at start.
_INCIDENT_TABLE = IncidentRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
_INCIDENT_LIST = select(*(_INCIDENT_TABLE.c[name] for name in INCIDENT_COLUMNS))
_POSITION = {name: index for index, name in enumerate(INCIDENT_COLUMNS)}


def _incidents(connection: Connection, query: Select[Any]) -> list[Incident]:
    rows = connection.execute(query.order_by(_INCIDENT_TABLE.c.id)).all()
    return [incident_from_columns(_column_of(row)) for row in rows]


def _column_of(row: Row[Any]) -> Callable[[str], Any]:
    return lambda name: row[_POSITION[name]]


def list_incidents(connection: Connection, include_closed: bool) -> list[Incident]:
    query = _INCIDENT_LIST
    if not include_closed:
        query = query.where(_INCIDENT_TABLE.c.status.in_(OPEN_STATUSES))
    return _incidents(connection, query)


def drills_not_closed(connection: Connection) -> list[Incident]:
    table = _INCIDENT_TABLE
    return _incidents(
        connection, _INCIDENT_LIST.where(table.c.is_drill.is_(True), table.c.status != "closed")
    )


def awaiting_write_up(connection: Connection, severities: list[str]) -> list[Incident]:
    # Here, not at the top: a note from the command line never loads the post-mortem rules.
    from warroom.domain.postmortem import PostmortemStatus

    published = select(col(PostmortemRow.incident_id)).where(
        col(PostmortemRow.status) == PostmortemStatus.PUBLISHED.value
    )
    table = _INCIDENT_TABLE
    query = _INCIDENT_LIST.where(
        table.c.severity.in_(severities),
        table.c.resolved_at.is_not(None),
        table.c.status.not_in(OPEN_STATUSES),
        table.c.id.not_in(published),
    )
    return _incidents(connection, query)


def event_rows(session: Session, incident_id: int) -> list[EventRow]:
    query = (
        select(EventRow)
        .where(col(EventRow.incident_id) == incident_id)
        .order_by(col(EventRow.at), col(EventRow.id))
    )
    return list(session.scalars(query))


# The kinds the partial index ix_timeline_event_metrics holds. SQLite uses a partial index
# only when the query repeats its predicate: `kind = 'reminder'` alone does not, and the
# open incidents' reminders were then found by reading every event they have.
_METRICS_KINDS = frozenset(
    (EventKind.UPDATE_SENT, EventKind.MITIGATION, EventKind.CHECK_BACK, EventKind.REMINDER)
)
assert all(f"'{kind.value}'" in METRICS_EVENT_KINDS for kind in _METRICS_KINDS)


def events_of_kind(session: Session, kind: EventKind, open_only: bool = False) -> list[EventRow]:
    query = select(EventRow).where(col(EventRow.kind) == kind.value)
    if kind in _METRICS_KINDS:
        query = query.where(text(METRICS_EVENT_KINDS))
    if open_only:
        open_ids = select(col(IncidentRow.id)).where(col(IncidentRow.status).in_(OPEN_STATUSES))
        query = query.where(col(EventRow.incident_id).in_(open_ids))
    return list(session.scalars(query.order_by(col(EventRow.id))))


def event_data_json(data: dict[str, Any]) -> str:
    return _EVENT_DATA.encode(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in event data")


# Made once: json.dumps with options builds a new encoder on every call (every event).
_EVENT_DATA = json.JSONEncoder(ensure_ascii=False, default=_json_default)
