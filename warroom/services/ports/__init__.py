"""What the services need from storage, as Protocols. The SQL adapter provides them; the
services never see a session, a query or a row class.

A unit of work is one transaction: `Storage.writing()` opens one for writing (committed by
`commit()`, rolled back if the block raises), `Storage.reading()` one for reading. Each area
of the record has its repository on the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.severity import Severity
from warroom.domain.validation import ValidationError

if TYPE_CHECKING:  # the unit of work's other repositories: loaded by what uses them
    from warroom.services.ports.evidence import EvidenceRepository
    from warroom.services.ports.metrics import MetricsQueries
    from warroom.services.ports.mitigation import MitigationRepository
    from warroom.services.ports.postmortems import PostmortemRepository

Waiting = Callable[[bool], None]  # True: waiting for another writer; False: done


class StoreError(RuntimeError):
    """A record that cannot be opened; the message names where it is and what to do."""

    UNWRITABLE = "unwritable"
    NOT_A_DATABASE = "not a database"
    DAMAGED = "damaged"  # an integrity check ran and failed: only then is a restore offered
    UNREADABLE = "unreadable"
    BUSY = "busy"
    NEWER = "newer"
    NETWORK = "network filesystem"

    def __init__(self, path: Path | str, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


class StorageUnavailable(RuntimeError):
    """The record cannot be reached just now (a shared war room's server went away); the
    message says where. Reads and writes resume once it is back."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackupFailed(RuntimeError):
    """A backup could not be taken or restored; the message says why."""


class WriteFailed(ValidationError):
    """Nothing was saved because the storage refused the write; the message says why.
    Raised as WriteFailed("storage", message)."""


# A reopened incident's alert key taken meanwhile by another open incident.
DEDUPE_KEY_TAKEN = (
    "Nothing was saved: another open incident already carries this incident's alert "
    "key. Mark one a duplicate of the other (warroom mark-duplicate), then reopen."
)


class IncidentNotFound(LookupError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"There is no incident #{incident_id}.")
        self.incident_id = incident_id


@dataclass(frozen=True)
class LoggedChange:
    """One change-log entry: what one write changed of one incident, and when."""

    seq: int  # increasing; later writes have larger numbers
    incident_id: int
    parts: frozenset[Part]
    at: datetime  # when it was committed (UTC)
    local: bool  # written by this storage's own process


class DedupeKeyTaken(RuntimeError):
    """Another open incident already carries this alert key: a concurrent declare won.
    The write is rolled back."""

    def __init__(self, key: str) -> None:
        super().__init__(f"An open incident already carries the alert key {key!r}.")
        self.key = key


class IncidentRecord(Protocol):
    """One stored incident, changed in place inside a unit of work."""

    id: int | None
    title: str
    severity: str
    status: str
    impact: str
    impact_started_at: datetime
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    severity_changed_at: datetime | None
    last_update_at: datetime | None
    commander: str
    tech_lead: str
    comms_lead: str
    scribe: str
    is_drill: bool
    response_due_at: datetime | None
    is_security: bool
    service: str
    resolution_recorded_at: datetime | None
    dedupe_key: str | None
    duplicate_of: int | None


class EventRecord(Protocol):
    id: int | None
    incident_id: int
    kind: str
    at: datetime


class IncidentRepository(Protocol):
    def get(self, incident_id: int) -> IncidentRecord:
        """Raises IncidentNotFound."""
        ...

    def read(self, incident_id: int) -> IncidentRecord:
        """The incident as stored, for an operation that does not change the incident's
        own row: a read-only copy (setting an attribute raises), cheaper than `get`.
        Raises IncidentNotFound."""
        ...

    def add(self, **fields: Any) -> IncidentRecord:
        """A new incident, numbered at once (ids are never reused). Raises DedupeKeyTaken
        when an open incident already carries its `dedupe_key`."""
        ...

    def open_with_key(self, dedupe_key: str) -> IncidentRecord | None:
        """The open incident carrying this alert key, if any."""
        ...

    def delete(self, record: IncidentRecord) -> None: ...

    def drills_not_closed(self) -> list[Incident]:
        """The drill incidents not closed, by id: the only ones a drill can be running on."""
        ...

    def awaiting_write_up(self, severities: Iterable[Severity]) -> list[Incident]:
        """Resolved incidents of these severities whose post-mortem is not published (or
        not begun): the only ones a write-up can be due on, so the board's due clocks never
        read the rest."""
        ...

    def list(self, include_closed: bool) -> list[Incident]: ...

    def to_incident(self, record: IncidentRecord) -> Incident: ...


class TimelineRepository(Protocol):
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
    ) -> EventRecord: ...

    def of_incident(
        self,
        incident_id: int,
        kinds: Collection[EventKind] | None = None,
        *,
        data_key: str | None = None,
    ) -> list[TimelineEvent]:
        """The incident's timeline, in order; with `kinds`, only its events of those kinds
        (what a rule over a few kinds reads of a timeline of thousands of notes); with
        `data_key`, only events whose data holds that key (a drill's marks)."""
        ...

    def retime(self, event_id: int, at: datetime) -> None:
        """Moves an event to when it really happened (a corrected key time)."""
        ...

    def remove(self, event_id: int) -> None:
        """Removes a row the app derived and the facts no longer support (never one a
        user wrote)."""
        ...

    def amend(self, event_id: int, text: str, data: dict[str, Any]) -> None:
        """Rewrites what a derived row says (a severity change's "from" level, once an
        earlier change is entered after it); what the user typed is never amended."""
        ...

    def of_kind(self, kind: EventKind, open_only: bool = False) -> list[TimelineEvent]:
        """Every event of a kind, oldest first; `open_only`: on open incidents only."""
        ...

    def to_event(self, record: EventRecord) -> TimelineEvent: ...


class DraftRepository(Protocol):
    def store(self, incident_id: int, field: str, text: str, now: datetime) -> None:
        """Keeps `text` as the draft of `field`; empty text removes it."""
        ...

    def clear(self, incident_id: int, *fields: str) -> None:
        """Removes the drafts of `fields` (those there are), in one statement."""
        ...

    def of_incident(self, incident_id: int) -> dict[str, str]: ...


class UnitOfWork(Protocol):
    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def timeline(self) -> TimelineRepository: ...

    @property
    def drafts(self) -> DraftRepository: ...

    @property
    def mitigations(self) -> MitigationRepository: ...

    @property
    def evidence(self) -> EvidenceRepository: ...

    @property
    def postmortems(self) -> PostmortemRepository: ...

    @property
    def metrics(self) -> MetricsQueries:
        """Read-only aggregates across incidents, for the metrics."""
        ...

    def touch(self, incident_id: int, part: Part) -> None:
        """Marks a part as changed that the storage cannot see changing by itself."""
        ...

    def commit(self) -> ChangeSet:
        """Commits, with the change set appended to the change log in the same
        transaction; returns the change set."""
        ...


class Storage(Protocol):
    @property
    def location(self) -> str:
        """Where the record lives, for people: a file's path or a shared server's address."""
        ...

    def writing(self) -> AbstractContextManager[UnitOfWork]:
        """One write transaction, waiting (bounded) while another writer holds the lock.
        A storage failure rolls it back whole and raises WriteFailed."""
        ...

    def reading(self) -> AbstractContextManager[UnitOfWork]: ...

    def when_waiting(self, listener: Waiting) -> Callable[[], None]: ...

    def changes_elsewhere(self) -> ChangeSet:
        """What other processes (or other connections) changed since the last call, read
        from the change log; empty when nothing did. Cheap enough for every tick."""
        ...

    def notice_socket(self) -> int | None:
        """A socket (file descriptor) that becomes readable when another process may have
        changed something, so a caller can wait on it and then call `changes_elsewhere`;
        None when the storage has none (then poll). It may change after `changes_elsewhere`
        (a reconnect): ask again after each call."""
        ...

    def newest_logged(self) -> int:
        """The change log's newest sequence number (0 when it is empty)."""
        ...

    def logged_after(self, seq: int) -> list[LoggedChange]:
        """The change log's entries after `seq`, oldest first, whoever wrote them. Cheap
        when nothing was committed since the previous call (one counter read)."""
        ...

    def after_delete(self) -> None:
        """Leaves nothing of deleted rows readable where the engine can promise that."""
        ...
