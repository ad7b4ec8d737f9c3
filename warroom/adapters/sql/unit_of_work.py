"""The services' storage port on SQLAlchemy: a unit of work per transaction, its
repositories, and the change set read off the session as it flushes.

Which parts of which incidents a write changed is taken from what the session actually
inserted, updated and deleted, so no operation can forget to say what it changed.

A unit of work starts on a Core connection; its ORM session is made only when a repository
needs one (a note, say, is written with Core statements alone and never makes one)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, make_dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy import text as sql_text  # `text` is an event's text here
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlmodel import Session, col

from warroom.adapters.sql import driver_statement
from warroom.adapters.sql import repository as repo
from warroom.adapters.sql.database import ChangeWatch, ConnectionLost, StoreDatabase
from warroom.adapters.sql.driver_statement import DriverStatement
from warroom.adapters.sql.mapping import EVENT_COLUMNS as EVENT_ROW_COLUMNS
from warroom.adapters.sql.mapping import parse_stored_time
from warroom.adapters.sql.models import (
    CADENCE_EVENT_KINDS,
    ArtifactRow,
    ChangeLogRow,
    CustodyRow,
    DraftRow,
    EventRow,
    EvidenceItemRow,
    EvidenceLinkRow,
    IncidentRow,
)
from warroom.domain.cadence import RECONCILE_KINDS
from warroom.domain.changes import ChangeSet, Part
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.domain.severity import Severity
from warroom.services.ports import (
    DedupeKeyTaken,
    EventRecord,
    IncidentNotFound,
    IncidentRecord,
    LoggedChange,
    StorageUnavailable,
    UnitOfWork,
    Waiting,
)
from warroom.system.collector import collector_paused

log = logging.getLogger("warroom.store")

EVENT_COLUMNS = ("incident_id", "kind", "at", "recorded_at", "actor", "text", "data")

# Which part of an incident each table holds.
PARTS: dict[str, Part] = {
    "incident": Part.INCIDENT,
    "timeline_event": Part.TIMELINE,
    "draft": Part.DRAFTS,
    "mitigation": Part.MITIGATIONS,
    "wizard_progress": Part.MITIGATIONS,
    "postmortem": Part.POSTMORTEM,
    "action_item": Part.POSTMORTEM,
    "evidence_item": Part.EVIDENCE,
    "evidence_artifact": Part.EVIDENCE,
    "evidence_link": Part.EVIDENCE,
    "custody_entry": Part.EVIDENCE,
}
# The log is for catching up between processes, not history: the timeline is the history.
CHANGE_LOG_KEEP = 10_000


class UnitSession(Session):
    """The session of one unit of work: each flush tells the unit what it wrote."""

    unit: SqlUnitOfWork


# An incident's row as stored, read with one Core select, for an edit that leaves the
# incident's own row alone (`SqlIncidents.read`): the port's IncidentRecord, field for field
# and in its order, frozen, so such an edit cannot change the incident without the session
# seeing it.
StoredIncident = make_dataclass(
    "StoredIncident", list(IncidentRecord.__annotations__.items()), frozen=True, slots=True
)
INCIDENT_TABLE = IncidentRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
_STORED_FIELDS = tuple(f.name for f in fields(StoredIncident))
# Built once, in StoredIncident's field order, so a row becomes one with a positional call;
# the columns' types convert the values as the ORM's would (times, booleans).
_INCIDENT_BY_ID = DriverStatement(
    select(*(INCIDENT_TABLE.c[name] for name in _STORED_FIELDS)).where(
        INCIDENT_TABLE.c.id == bindparam("id")
    )
)
_INCIDENT_EXISTS = DriverStatement(
    select(INCIDENT_TABLE.c.id).where(INCIDENT_TABLE.c.id == bindparam("id"))
)


class SqlIncidents:
    def __init__(self, unit: SqlUnitOfWork) -> None:
        self._unit = unit

    def get(self, incident_id: int) -> IncidentRecord:
        return repo.get_row(self._unit.session, incident_id)

    def read(self, incident_id: int) -> IncidentRecord:
        session = self._unit.held_session
        if session is not None:
            session.flush()  # a Core select does not autoflush: what is pending goes first
            held = session.identity_map.get(session.identity_key(IncidentRow, incident_id))
            if held is not None:  # with changes this unit made: copy the session's row
                return _read_only(StoredIncident(*(getattr(held, n) for n in _STORED_FIELDS)))
        found = _INCIDENT_BY_ID.first(self._unit.connection(), {"id": incident_id})
        if found is None:
            raise IncidentNotFound(incident_id)
        self._unit.read_ids.add(incident_id)
        return _read_only(StoredIncident(*found))

    def add(self, **fields: Any) -> IncidentRecord:
        row = IncidentRow(**fields)
        session = self._unit.session
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            key = fields.get("dedupe_key")
            if key and "dedupe_key" in str(exc.orig):
                raise DedupeKeyTaken(key) from exc
            raise
        return row

    def open_with_key(self, dedupe_key: str) -> IncidentRecord | None:
        query = select(IncidentRow).where(
            col(IncidentRow.dedupe_key) == dedupe_key,
            col(IncidentRow.status).in_(OPEN_STATUSES),
        )
        return self._unit.session.scalars(query.limit(1)).first()

    def delete(self, record: IncidentRecord) -> None:
        self._unit.session.delete(record)

    def drills_not_closed(self) -> list[Incident]:
        return repo.drills_not_closed(self._unit.read_connection())

    def awaiting_write_up(self, severities: Iterable[Severity]) -> list[Incident]:
        wanted = [s.value for s in severities]
        return repo.awaiting_write_up(self._unit.read_connection(), wanted)

    def list(self, include_closed: bool) -> list[Incident]:
        return repo.list_incidents(self._unit.read_connection(), include_closed)

    def to_incident(self, record: IncidentRecord) -> Incident:
        return repo.to_incident(cast(IncidentRow, record))


def _read_only(stored: Any) -> IncidentRecord:
    # The port's record type has settable attributes; this one refuses them at run time.
    return cast(IncidentRecord, stored)


EVENT_TABLE = EventRow.__table__  # type: ignore[attr-defined]
DRAFT_TABLE = DraftRow.__table__  # type: ignore[attr-defined]
CHANGE_LOG_TABLE = ChangeLogRow.__table__  # type: ignore[attr-defined]
# The statements every edit runs, built once (and compiled once for SQLite's cursor).
INSERT_EVENT = DriverStatement(insert(EVENT_TABLE), EVENT_COLUMNS)
CHANGE_COLUMNS = ("origin", "incident_id", "parts", "recorded_at")
INSERT_CHANGE = DriverStatement(insert(CHANGE_LOG_TABLE), CHANGE_COLUMNS)
_CLEAR_DRAFTS: dict[int, DriverStatement] = {}  # by how many fields: no list expanded per call


def _clear_drafts(count: int) -> DriverStatement:
    statement = _CLEAR_DRAFTS.get(count)
    if statement is None:
        statement = _CLEAR_DRAFTS[count] = DriverStatement(
            delete(DRAFT_TABLE).where(
                DRAFT_TABLE.c.incident_id == bindparam("incident"),
                DRAFT_TABLE.c.field.in_([bindparam(f"field{n}") for n in range(count)]),
            )
        )
    return statement


PRUNE_CHANGES = delete(CHANGE_LOG_TABLE).where(CHANGE_LOG_TABLE.c.seq <= bindparam("upto"))
_NEWEST_SEQ = select(func.max(CHANGE_LOG_TABLE.c.seq))

_TIMES = ("at", "recorded_at")  # the event columns that hold times
# An incident's timeline as plain rows, in the ORM query's order (repo.event_rows): loading
# 20,000 ORM objects only to copy them into domain events cost most of a large export. The
# times come back as the driver gives them (stored text on SQLite, a datetime on PostgreSQL)
# and parse_stored_time parses them, as the column type would.
_EVENTS_OF_INCIDENT = (
    select(
        *(
            type_coerce(EVENT_TABLE.c[name], String) if name in _TIMES else EVENT_TABLE.c[name]
            for name in EVENT_ROW_COLUMNS
        )
    )
    .where(EVENT_TABLE.c.incident_id == bindparam("incident"))
    .order_by(EVENT_TABLE.c.at, EVENT_TABLE.c.id)
)
_EVENTS_OF_INCIDENT_KINDS = _EVENTS_OF_INCIDENT.where(
    EVENT_TABLE.c.kind.in_(bindparam("kinds", expanding=True))
)
# Kinds among the cadence's: the select with the partial index's predicate in its own words,
# so that the database sees the index serves it (v12): the facts, not every note. A few
# rows: fewer kinds than all five are picked after the read.
_EVENTS_OF_INCIDENT_CADENCE = DriverStatement(
    _EVENTS_OF_INCIDENT.where(sql_text(CADENCE_EVENT_KINDS))
)
assert all(f"'{kind.value}'" in CADENCE_EVENT_KINDS for kind in RECONCILE_KINDS)
# The same, narrowed in SQL to events whose stored data mentions a key (checked exactly
# after the read): a drill's marks among an incident's thousands of notes.
_EVENTS_OF_INCIDENT_KINDS_KEYED = _EVENTS_OF_INCIDENT_KINDS.where(
    EVENT_TABLE.c.data.like(bindparam("pattern"))
)
_KINDS: dict[str, EventKind] = {kind.value: kind for kind in EventKind}
_KIND_AT = EVENT_ROW_COLUMNS.index("kind")  # where a timeline row holds its kind


def _events(rows: Iterable[Sequence[Any]]) -> list[TimelineEvent]:
    """mapping.event_from_columns for a whole timeline: the same events, with the per-row
    look-ups (the kind, an empty data object) done without a call each."""
    kinds = _KINDS
    loads = json.loads
    return [
        TimelineEvent(
            event_id,
            incident_id,
            kinds.get(kind) or EventKind(kind),
            parse_stored_time(at),
            parse_stored_time(recorded_at),
            actor,
            text,
            {} if data == "{}" or not data else loads(data),
        )
        for event_id, incident_id, kind, at, recorded_at, actor, text, data in rows
    ]


@dataclass(slots=True)
class AddedEvent:
    """A timeline row as written: what `SqlTimeline.add` returns (a copy: changing it
    writes nothing; `retime` and `amend` do)."""

    id: int | None
    incident_id: int
    kind: str
    at: datetime
    recorded_at: datetime
    actor: str
    text: str
    data: str


class SqlTimeline:
    def __init__(self, unit: SqlUnitOfWork) -> None:
        self._unit = unit

    def add(
        self,
        incident_id: int,
        kind: EventKind,
        *,
        at: datetime,
        recorded_at: datetime,
        actor: str,
        text: str,
        data: dict[str, Any] | None = None,
    ) -> EventRecord:
        stored = repo.event_data_json(data or {})
        # One INSERT on the driver's cursor: the ORM's unit of work would add a flush and
        # its bookkeeping for a row nothing changes afterwards. What the session holds is
        # written first, so the statements keep the order the operation made them in.
        unit = self._unit
        unit.flush()
        values = {
            "incident_id": incident_id,
            "kind": kind.value,
            "at": at,
            "recorded_at": recorded_at,
            "actor": actor,
            "text": text,
            "data": stored,
        }
        written = INSERT_EVENT.write(unit.connection(), values)
        unit.touch(incident_id, Part.TIMELINE)
        key = written.inserted_key
        return AddedEvent(key, incident_id, kind.value, at, recorded_at, actor, text, stored)

    def of_incident(
        self,
        incident_id: int,
        kinds: Collection[EventKind] | None = None,
        *,
        data_key: str | None = None,
    ) -> list[TimelineEvent]:
        session = self._unit.held_session
        if session is not None:
            repo.get_row(session, incident_id)  # no query when the session holds it
            # A Core select does not autoflush as an ORM query does: rows this unit of work
            # changed or removed are written first, so the read sees them.
            session.flush()
            connection = session.connection()
        else:  # nothing pending: no session is made only to check the incident exists
            connection = self._unit.connection()
            # Read in this transaction, and only the session deletes: it still exists.
            known = incident_id in self._unit.read_ids
            if not known and _INCIDENT_EXISTS.first(connection, {"id": incident_id}) is None:
                raise IncidentNotFound(incident_id)
        if kinds is not None and data_key is None and RECONCILE_KINDS.issuperset(kinds):
            found = _EVENTS_OF_INCIDENT_CADENCE.all(connection, {"incident": incident_id})
            wanted = {kind.value for kind in kinds}
            return _events(row for row in found if row[_KIND_AT] in wanted)
        if kinds is None and data_key is None:
            rows = connection.execute(_EVENTS_OF_INCIDENT, {"incident": incident_id})
        else:
            chosen = list(EventKind) if kinds is None else kinds
            parameters = {"incident": incident_id, "kinds": sorted(k.value for k in chosen)}
            statement = _EVENTS_OF_INCIDENT_KINDS
            if data_key is not None:
                assert data_key.isidentifier(), data_key  # no LIKE wildcards in it
                parameters["pattern"] = f'%"{data_key}"%'
                statement = _EVENTS_OF_INCIDENT_KINDS_KEYED
            rows = connection.execute(statement, parameters)
        with collector_paused():  # tens of thousands of rows and events, no cycles
            events = _events(rows.all())
        if data_key is not None:
            events = [event for event in events if data_key in event.data]
        return events

    def retime(self, event_id: int, at: datetime) -> None:
        row = self._unit.session.get(EventRow, event_id)
        if row is not None:
            row.at = at

    def remove(self, event_id: int) -> None:
        session = self._unit.session
        row = session.get(EventRow, event_id)
        if row is not None:
            session.delete(row)

    def amend(self, event_id: int, text: str, data: dict[str, Any]) -> None:
        row = self._unit.session.get(EventRow, event_id)
        if row is not None:
            row.text = text
            row.data = repo.event_data_json(data)

    def of_kind(self, kind: EventKind, open_only: bool = False) -> list[TimelineEvent]:
        rows = repo.events_of_kind(self._unit.session, kind, open_only)
        return [repo.to_event(r) for r in rows]

    def to_event(self, record: EventRecord) -> TimelineEvent:
        if isinstance(record, AddedEvent):  # as written: no column look-ups by name
            assert record.id is not None
            kind = _KINDS.get(record.kind) or EventKind(record.kind)
            data = record.data
            return TimelineEvent(
                record.id, record.incident_id, kind, record.at, record.recorded_at,
                record.actor, record.text, {} if data == "{}" else json.loads(data),
            )  # fmt: skip
        return repo.to_event(cast(Any, record))


class SqlDrafts:
    def __init__(self, unit: SqlUnitOfWork) -> None:
        self._unit = unit

    def store(self, incident_id: int, field: str, text: str, now: datetime) -> None:
        if not text:
            self.clear(incident_id, field)
            return
        session = self._unit.session
        row = session.get(DraftRow, (incident_id, field))
        if row is None:
            session.add(DraftRow(incident_id=incident_id, field=field, text=text, saved_at=now))
        else:
            row.text, row.saved_at = text, now

    def clear(self, incident_id: int, *fields: str) -> None:
        """One DELETE, not a look-up per field: a saved note or impact summary clears its
        draft, which rarely exists by then."""
        if not fields:
            return
        session = self._unit.held_session
        if session is not None:
            session.flush()  # a draft stored earlier in this unit of work is deleted too
            for field in fields:  # and the session forgets the rows it held
                key = session.identity_key(DraftRow, (incident_id, field))
                held = session.identity_map.get(key)
                if held is not None:
                    session.expunge(held)
        parameters: dict[str, Any] = {f"field{n}": field for n, field in enumerate(fields)}
        parameters["incident"] = incident_id
        written = _clear_drafts(len(fields)).write(self._unit.connection(), parameters)
        if written.rowcount:
            self._unit.touch(incident_id, Part.DRAFTS)

    def of_incident(self, incident_id: int) -> dict[str, str]:
        query = select(DraftRow).where(col(DraftRow.incident_id) == incident_id)
        return {row.field: row.text for row in self._unit.session.scalars(query)}


class SqlUnitOfWork:
    """One transaction, on `connection`. The ORM session is made on first use, bound to
    that connection and in charge of its transaction from then on; until then Core
    statements run on the connection itself. Either way one transaction holds it all."""

    def __init__(
        self,
        connection: Connection,
        origin: str,
        now: Callable[[], datetime],
        announce: Callable[[Connection, int], None],
    ) -> None:
        self._connection = connection
        self._session: UnitSession | None = None
        self._origin = origin
        self._now = now
        self._announce = announce
        self._touched: set[tuple[int, Part]] = set()
        self._logged: set[tuple[int, Part]] = set()
        # Incidents this transaction read before it had a session (SqlIncidents.read): they
        # exist until it commits or makes the session, the only way it deletes.
        self.read_ids: set[int] = set()
        self.incidents = SqlIncidents(self)
        self.timeline = SqlTimeline(self)
        self.drafts = SqlDrafts(self)

    @property
    def session(self) -> Session:
        """The ORM session, made on first use."""
        session = self._session
        if session is None:
            session = UnitSession(
                bind=self._connection,
                # The session commits and rolls back the connection's transaction: whatever
                # Core statements ran before it was made are in the same transaction.
                join_transaction_mode="control_fully",
                expire_on_commit=False,
            )
            session.unit = self
            session.connection()  # joins the transaction now, or begins it
            self._session = session
        return session

    @property
    def held_session(self) -> Session | None:
        """The ORM session if one was made: a repository that can do without it asks here."""
        return self._session

    def connection(self) -> Connection:
        """Where a Core statement runs: through the session once there is one, so that it
        is in the session's transaction (which it begins again after a commit)."""
        session = self._session
        return self._connection if session is None else session.connection()

    def read_connection(self) -> Connection:
        """Where a Core select runs: what the session holds is written first, as an ORM
        query's autoflush would, so the select sees this unit's own changes."""
        self.flush()
        return self.connection()

    def flush(self) -> None:
        """Writes what the session holds (if there is one) before a Core statement."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        """Ends the unit: what was not committed is rolled back (closing the connection
        then rolls back what ran before the session was made, or without one)."""
        if self._session is not None:
            self._session.close()

    @property
    def mitigations(self) -> Any:
        from warroom.adapters.sql.mitigations import SqlMitigations

        return SqlMitigations(self.session)

    @property
    def evidence(self) -> Any:
        from warroom.adapters.sql.evidence import SqlEvidence

        return SqlEvidence(self.session)

    @property
    def postmortems(self) -> Any:
        from warroom.adapters.sql.postmortems import SqlPostmortems

        return SqlPostmortems(self.session)

    @property
    def metrics(self) -> Any:
        from warroom.adapters.sql.queries import SqlMetricsQueries

        return SqlMetricsQueries(self.session)

    def touch(self, incident_id: int, part: Part) -> None:
        # A Core statement's rows are not seen by the session's flush: the repositories
        # that write them say here what they changed.
        self._touched.add((incident_id, part))

    def _after_flush(self, session: Session, _context: object) -> None:
        for obj in session.new:
            self._note(obj)
        for obj in session.dirty:
            if session.is_modified(obj, include_collections=False):
                self._note(obj)
        for obj in session.deleted:
            if isinstance(obj, IncidentRow) and obj.id is not None:
                self._touched.add((obj.id, Part.DELETED))
            else:
                self._note(obj)

    def _note(self, obj: object) -> None:
        part = PARTS.get(getattr(obj, "__tablename__", ""))
        incident_id = self._incident_of(obj)
        if part is not None and incident_id is not None:
            self._touched.add((incident_id, part))

    def _incident_of(self, obj: object) -> int | None:
        if isinstance(obj, IncidentRow):
            return obj.id
        if isinstance(obj, CustodyRow):
            artifact = self.session.get(ArtifactRow, obj.artifact_id)
            return artifact.incident_id if artifact else None
        if isinstance(obj, EvidenceLinkRow):
            item = self.session.get(EvidenceItemRow, obj.item_id)
            return item.incident_id if item else None
        return cast(int | None, getattr(obj, "incident_id", None))

    def commit(self) -> ChangeSet:
        """Commits; returns everything this unit of work changed (a second commit in the
        same unit of work logs only what is new, and returns the whole)."""
        session = self._session
        if session is not None:
            session.flush()
        fresh = ChangeSet.of(self._touched - self._logged)
        if fresh:
            now = self._now()
            connection = self.connection()
            newest = 0
            for change in fresh.changes:
                written = INSERT_CHANGE.write(
                    connection,
                    {
                        "origin": self._origin,
                        "incident_id": change.incident_id,
                        "parts": ",".join(sorted(change.parts)),
                        "recorded_at": now,
                    },
                )
                # AUTOINCREMENT: the row just appended carries the log's highest seq.
                assert written.inserted_key is not None
                newest = max(newest, written.inserted_key)
            if newest > CHANGE_LOG_KEEP:
                connection.execute(PRUNE_CHANGES, {"upto": newest - CHANGE_LOG_KEEP})
            self._announce(connection, newest)
        if session is not None:
            session.commit()
        else:
            driver_statement.commit(self._connection)
        self.read_ids.clear()  # another process may delete one before the next transaction
        first = not self._logged
        self._logged |= self._touched
        return fresh if first else ChangeSet.of(self._logged)


def _flushed(session: UnitSession, context: object) -> None:
    session.unit._after_flush(session, context)


# Once for every unit's session: adding a listener to each new session cost about five
# times as much as making the session.
event.listen(UnitSession, "after_flush", _flushed)


class SqlStorage:
    """The storage port over one database. `origin` tells this process's own changes
    from others' in the change log."""

    def __init__(self, database: StoreDatabase, now: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.origin = uuid.uuid4().hex
        self._now = now or (lambda: datetime.now(UTC))
        # What was in the log when this storage opened: only later changes are news.
        self._watch = database.watch()
        self._watch.changed()
        self._last_seq = self._newest_seq()
        # logged_after's own watch (changes_elsewhere's is the one above), and (seq) read
        self._log_watch: ChangeWatch | None = None  # the database closes both
        self._log_seen: int | None = None

    @property
    def location(self) -> str:
        return self.database.location

    @contextmanager
    def writing(self) -> Iterator[UnitOfWork]:
        # The writer's "begin" takes the write lock (BEGIN IMMEDIATE on SQLite, the advisory
        # lock on PostgreSQL) when the connection's transaction begins, before any read.
        try:
            with self.database.write_connection() as connection:
                unit = SqlUnitOfWork(connection, self.origin, self._now, self.database.announce)
                try:
                    yield unit
                finally:
                    unit.close()
        except DatabaseError as exc:
            raise self.database.write_failed(exc) from exc

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        with self._reachable(), self.database.engine.connect() as connection:
            unit = SqlUnitOfWork(connection, self.origin, self._now, self.database.announce)
            try:
                yield unit
            finally:
                unit.close()

    def when_waiting(self, listener: Waiting) -> Callable[[], None]:
        return self.database.when_waiting(listener)

    def changes_elsewhere(self) -> ChangeSet:
        with self._reachable():
            return self._changes_elsewhere()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """A shared war room's server that went away: StorageUnavailable, saying where."""
        try:
            yield
        except ConnectionLost as exc:
            raise StorageUnavailable(self._unreachable()) from exc
        except OperationalError as exc:
            if not self.database.shared:
                raise
            raise StorageUnavailable(self._unreachable()) from exc

    def _unreachable(self) -> str:
        return f"The shared war room at {self.location} cannot be reached."

    def _changes_elsewhere(self) -> ChangeSet:
        if not self._watch.changed():
            return ChangeSet(local=False)
        with Session(self.database.engine) as session:
            rows = session.execute(
                select(
                    col(ChangeLogRow.seq),
                    col(ChangeLogRow.origin),
                    col(ChangeLogRow.incident_id),
                    col(ChangeLogRow.parts),
                )
                .where(col(ChangeLogRow.seq) > self._last_seq)
                .order_by(col(ChangeLogRow.seq))
            ).all()
        pairs: list[tuple[int, Part]] = []
        if rows and (rows[0][0] or 0) > self._last_seq + 1 and self._last_seq:
            # The log was pruned past what this process last read (it slept through more
            # than CHANGE_LOG_KEEP writes): everything may have changed.
            with Session(self.database.engine) as session:
                ids = session.scalars(select(col(IncidentRow.id))).all()
            pairs.extend(
                (i, p) for i in ids if i is not None for p in Part if p is not Part.DELETED
            )
        for seq, origin, incident_id, parts in rows:
            self._last_seq = max(self._last_seq, seq or 0)
            if origin != self.origin:
                pairs.extend((incident_id, Part(p)) for p in parts.split(",") if p)
        return ChangeSet.of(pairs, local=False)

    def notice_socket(self) -> int | None:
        return self._watch.notice_socket()

    def newest_logged(self) -> int:
        return self._newest_seq()

    def logged_after(self, seq: int) -> list[LoggedChange]:
        with self._reachable():
            return self._logged_after(seq)

    def _logged_after(self, seq: int) -> list[LoggedChange]:
        if self._log_watch is None:
            self._log_watch = self.database.watch()
        changed = self._log_watch.changed()
        if not changed and self._log_seen is not None and seq >= self._log_seen:
            return []  # nothing committed elsewhere since the last read
        with Session(self.database.engine) as session:
            rows = session.scalars(
                select(ChangeLogRow)
                .where(col(ChangeLogRow.seq) > seq)
                .order_by(col(ChangeLogRow.seq))
            ).all()
        entries = [
            LoggedChange(
                seq=row.seq or 0,
                incident_id=row.incident_id,
                parts=frozenset(Part(p) for p in row.parts.split(",") if p),
                at=row.recorded_at,
                local=row.origin == self.origin,
            )
            for row in rows
        ]
        self._log_seen = max([seq, *(e.seq for e in entries)])
        return entries

    def _newest_seq(self) -> int:
        with self.database.engine.connect() as connection:
            return int(connection.execute(_NEWEST_SEQ).scalar() or 0)

    def after_delete(self) -> None:
        self.database.after_delete()
