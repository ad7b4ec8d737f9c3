"""The services' storage port on SQLAlchemy: a unit of work per transaction, its
repositories, and the change set read off the session as it flushes.

Which parts of which incidents a write changed is taken from what the session actually
inserted, updated and deleted, so no operation can forget to say what it changed."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlmodel import Session, col

from warroom.adapters.sql import repository as repo
from warroom.adapters.sql.database import ChangeWatch, ConnectionLost, StoreDatabase
from warroom.adapters.sql.mapping import EVENT_COLUMNS as EVENT_ROW_COLUMNS
from warroom.adapters.sql.mapping import parse_stored_time
from warroom.adapters.sql.models import (
    ArtifactRow,
    ChangeLogRow,
    CustodyRow,
    DraftRow,
    EventRow,
    EvidenceItemRow,
    EvidenceLinkRow,
    IncidentRow,
)
from warroom.domain.changes import ChangeSet, Part
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.domain.severity import Severity
from warroom.services.ports import (
    DedupeKeyTaken,
    EventRecord,
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


class SqlIncidents:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, incident_id: int) -> IncidentRecord:
        return repo.get_row(self._session, incident_id)

    def add(self, **fields: Any) -> IncidentRecord:
        row = IncidentRow(**fields)
        self._session.add(row)
        try:
            self._session.flush()
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
        return self._session.scalars(query.limit(1)).first()

    def delete(self, record: IncidentRecord) -> None:
        self._session.delete(record)

    def drills_not_closed(self) -> list[Incident]:
        return [repo.to_incident(r) for r in repo.drill_rows_not_closed(self._session)]

    def awaiting_write_up(self, severities: Iterable[Severity]) -> list[Incident]:
        rows = repo.awaiting_write_up_rows(self._session, [s.value for s in severities])
        return [repo.to_incident(r) for r in rows]

    def list(self, include_closed: bool) -> list[Incident]:
        return [repo.to_incident(r) for r in repo.list_rows(self._session, include_closed)]

    def to_incident(self, record: IncidentRecord) -> Incident:
        return repo.to_incident(cast(IncidentRow, record))


# A Core statement's rows are not seen by the session's flush: the repositories that write
# them say what they changed through this (the unit of work's `touch`).
Touch = Callable[[int, Part], None]
EVENT_TABLE = EventRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
DRAFT_TABLE = DraftRow.__table__  # type: ignore[attr-defined]
CHANGE_LOG_TABLE = ChangeLogRow.__table__  # type: ignore[attr-defined]
# Built once: a statement object keeps its compiled form's cache key, so executing it with
# parameters skips building and hashing a new statement on every write.
INSERT_EVENT = insert(EVENT_TABLE)
INSERT_CHANGE = insert(CHANGE_LOG_TABLE)
_CLEAR_DRAFTS: dict[int, Any] = {}  # by how many fields: no list expanded per call


def _clear_drafts(count: int) -> Any:
    statement = _CLEAR_DRAFTS.get(count)
    if statement is None:
        statement = _CLEAR_DRAFTS[count] = delete(DRAFT_TABLE).where(
            DRAFT_TABLE.c.incident_id == bindparam("incident"),
            DRAFT_TABLE.c.field.in_([bindparam(f"field{n}") for n in range(count)]),
        )
    return statement


PRUNE_CHANGES = delete(CHANGE_LOG_TABLE).where(CHANGE_LOG_TABLE.c.seq <= bindparam("upto"))

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
_KINDS: dict[str, EventKind] = {kind.value: kind for kind in EventKind}


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
    def __init__(self, session: Session, touch: Touch) -> None:
        self._session = session
        self._touch = touch

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
        row = AddedEvent(
            id=None,
            incident_id=incident_id,
            kind=kind.value,
            at=at,
            recorded_at=recorded_at,
            actor=actor,
            text=text,
            data=repo.event_data_json(data or {}),
        )
        # One Core INSERT: the ORM's unit of work would add a flush and its bookkeeping for
        # a row nothing changes afterwards. What the session holds is written first, so
        # the statements keep the order the operation made them in.
        self._session.flush()
        values = {name: getattr(row, name) for name in EVENT_COLUMNS}
        result = self._session.connection().execute(INSERT_EVENT, values)
        self._touch(incident_id, Part.TIMELINE)
        return replace(row, id=_inserted_key(result))

    def of_incident(self, incident_id: int) -> list[TimelineEvent]:
        repo.get_row(self._session, incident_id)
        # A Core select does not autoflush as an ORM query does: rows this unit of work
        # changed or removed are written first, so the read sees them.
        self._session.flush()
        rows = self._session.connection().execute(_EVENTS_OF_INCIDENT, {"incident": incident_id})
        with collector_paused():  # tens of thousands of rows and events, no cycles
            return _events(rows.all())

    def retime(self, event_id: int, at: datetime) -> None:
        row = self._session.get(EventRow, event_id)
        if row is not None:
            row.at = at

    def remove(self, event_id: int) -> None:
        row = self._session.get(EventRow, event_id)
        if row is not None:
            self._session.delete(row)

    def amend(self, event_id: int, text: str, data: dict[str, Any]) -> None:
        row = self._session.get(EventRow, event_id)
        if row is not None:
            row.text = text
            row.data = repo.event_data_json(data)

    def of_kind(self, kind: EventKind, open_only: bool = False) -> list[TimelineEvent]:
        rows = repo.events_of_kind(self._session, kind, open_only)
        return [repo.to_event(r) for r in rows]

    def to_event(self, record: EventRecord) -> TimelineEvent:
        return repo.to_event(cast(Any, record))


class SqlDrafts:
    def __init__(self, session: Session, touch: Touch) -> None:
        self._session = session
        self._touch = touch

    def store(self, incident_id: int, field: str, text: str, now: datetime) -> None:
        if not text:
            self.clear(incident_id, field)
            return
        row = self._session.get(DraftRow, (incident_id, field))
        if row is None:
            self._session.add(
                DraftRow(incident_id=incident_id, field=field, text=text, saved_at=now)
            )
        else:
            row.text, row.saved_at = text, now

    def clear(self, incident_id: int, *fields: str) -> None:
        """One DELETE, not a look-up per field: a saved note or impact summary clears its
        draft, which rarely exists by then."""
        if not fields:
            return
        session = self._session
        session.flush()  # a draft stored earlier in this unit of work is deleted too
        for field in fields:  # and the session forgets the rows it held
            held = session.identity_map.get(session.identity_key(DraftRow, (incident_id, field)))
            if held is not None:
                session.expunge(held)
        parameters: dict[str, Any] = {f"field{n}": field for n, field in enumerate(fields)}
        parameters["incident"] = incident_id
        result = session.connection().execute(_clear_drafts(len(fields)), parameters)
        if result.rowcount:
            self._touch(incident_id, Part.DRAFTS)

    def of_incident(self, incident_id: int) -> dict[str, str]:
        query = select(DraftRow).where(col(DraftRow.incident_id) == incident_id)
        return {row.field: row.text for row in self._session.scalars(query)}


class SqlUnitOfWork:
    """One transaction. Repositories are made on first use."""

    def __init__(
        self,
        session: Session,
        origin: str,
        now: Callable[[], datetime],
        announce: Callable[[Connection, int], None],
    ) -> None:
        self.session = session
        self._origin = origin
        self._now = now
        self._announce = announce
        self._touched: set[tuple[int, Part]] = set()
        self._logged: set[tuple[int, Part]] = set()
        self.incidents = SqlIncidents(session)
        self.timeline = SqlTimeline(session, self.touch)
        self.drafts = SqlDrafts(session, self.touch)
        event.listen(session, "after_flush", self._after_flush)

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
        self.session.flush()
        fresh = ChangeSet.of(self._touched - self._logged)
        if fresh:
            now = self._now()
            connection = self.session.connection()
            newest = 0
            for change in fresh.changes:
                result = connection.execute(
                    INSERT_CHANGE,
                    {
                        "origin": self._origin,
                        "incident_id": change.incident_id,
                        "parts": ",".join(sorted(change.parts)),
                        "recorded_at": now,
                    },
                )
                # AUTOINCREMENT: the row just appended carries the log's highest seq.
                newest = max(newest, _inserted_key(result))
            if newest > CHANGE_LOG_KEEP:
                connection.execute(PRUNE_CHANGES, {"upto": newest - CHANGE_LOG_KEEP})
            self._announce(connection, newest)
        self.session.commit()
        self._logged |= self._touched
        return ChangeSet.of(self._logged)


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
        try:
            with Session(self.database.writer, expire_on_commit=False) as session:
                yield SqlUnitOfWork(session, self.origin, self._now, self.database.announce)
        except DatabaseError as exc:
            raise self.database.write_failed(exc) from exc

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        with self._reachable(), Session(self.database.engine) as session:
            yield SqlUnitOfWork(session, self.origin, self._now, self.database.announce)

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
        with Session(self.database.engine) as session:
            return int(session.scalar(select(func.max(ChangeLogRow.seq))) or 0)

    def after_delete(self) -> None:
        self.database.after_delete()


def _inserted_key(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
