"""What an operation changed: which incidents, and which parts of each.

Every write produces one ChangeSet. It is appended to the change log in the same transaction
and announced to this process's windows; another process reads the same change sets from
the log. A window refreshes only what a change touches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Part(StrEnum):
    INCIDENT = "incident"  # its own fields: title, severity, stage, roles, key times
    TIMELINE = "timeline"
    DRAFTS = "drafts"  # text still being typed
    MITIGATIONS = "mitigations"  # decisions and wizard progress
    EVIDENCE = "evidence"  # checklist, artifacts, custody
    POSTMORTEM = "postmortem"  # the document and its action items
    DELETED = "deleted"  # the incident is gone


@dataclass(frozen=True)
class Change:
    incident_id: int
    parts: frozenset[Part]


@dataclass(frozen=True)
class ChangeSet:
    changes: tuple[Change, ...] = ()
    local: bool = True  # made by this process (False: read from the change log)

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, Part]], local: bool = True) -> ChangeSet:
        grouped: dict[int, set[Part]] = {}
        for incident_id, part in pairs:
            grouped.setdefault(incident_id, set()).add(part)
        return cls(
            tuple(Change(i, frozenset(parts)) for i, parts in sorted(grouped.items())), local
        )

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def incident_ids(self) -> frozenset[int]:
        return frozenset(c.incident_id for c in self.changes)

    def parts_of(self, incident_id: int) -> frozenset[Part]:
        return frozenset().union(*(c.parts for c in self.changes if c.incident_id == incident_id))

    def touches(self, incident_id: int, *parts: Part) -> bool:
        """Whether the change set touches the incident at all, or (given parts) any of them."""
        found = self.parts_of(incident_id)
        return bool(found & set(parts)) if parts else bool(found)

    def touches_any(self, *parts: Part) -> bool:
        return any(change.parts & set(parts) for change in self.changes)
