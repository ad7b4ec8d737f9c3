"""The blameless post-mortem: its sections, its timeline built from the incident's record,
its action items, the key metrics and the due clock. Plain data; no Qt, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from warroom.domain.cadence import is_cadence_event
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.policy import Policy
from warroom.domain.spans import Measure, first_update_at, spans


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def label(self) -> str:
        return {"wont_do": "won't do", "in_progress": "in progress"}.get(self.value, self.value)

    @property
    def is_closed(self) -> bool:
        return self in (ItemStatus.DONE, ItemStatus.WONT_DO)


class ItemPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ItemKind(StrEnum):
    MITIGATE = "mitigate"
    PREVENT = "prevent"
    PROCESS = "process"


@dataclass(frozen=True)
class ActionItem:
    action: str
    owner: str = ""
    deadline: date | None = None
    status: ItemStatus = ItemStatus.OPEN
    priority: ItemPriority = ItemPriority.MEDIUM
    kind: ItemKind = ItemKind.PREVENT

    def is_overdue(self, today: date) -> bool:
        return not self.status.is_closed and self.deadline is not None and self.deadline < today


@dataclass(frozen=True)
class TimelineEdit:
    """The author's change to one captured event; the incident's own record is untouched."""

    text: str | None = None  # reworded; None keeps the captured text
    hidden: bool = False


@dataclass(frozen=True)
class AddedRow:
    at: datetime
    text: str


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    text: str
    event_id: int | None = None  # None for a row the author added
    hidden: bool = False


# The free-text parts a user writes: (field name, heading), in document order. The
# document also has a header, a timeline, detection (with its computed gap) and action items.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("contributing_factors", "Contributing factors"),
    ("detection", "How it was detected"),
    ("detection_sooner", "Could it have been detected sooner?"),
    ("went_well", "What went well"),
    ("went_poorly", "What went poorly"),
    ("lessons", "Lessons learned"),
    ("prevention", "Prevention"),
)


@dataclass(frozen=True)
class Postmortem:
    incident_id: int
    title: str
    authors: str = ""
    status: PostmortemStatus = PostmortemStatus.DRAFT
    impact: str = ""
    root_cause: str = ""
    contributing_factors: str = ""
    detection: str = ""
    detection_sooner: str = ""
    went_well: str = ""
    went_poorly: str = ""
    lessons: str = ""
    prevention: str = ""
    timeline_edits: dict[int, TimelineEdit] = field(default_factory=dict)
    added_rows: tuple[AddedRow, ...] = ()
    action_items: tuple[ActionItem, ...] = ()

    def root_cause_line(self) -> str:
        """The root cause in one sentence, for the resolution message."""
        first = " ".join(self.root_cause.split())
        for end in (". ", "! ", "? "):
            if end in first:
                first = first.split(end, 1)[0] + end.strip()
                break
        return first


def new_postmortem(incident: Incident) -> Postmortem:
    return Postmortem(incident_id=incident.id, title=incident.title, impact=incident.impact)


# Kinds of captured events worth a row in the post-mortem's timeline: state changes,
# decisions, updates sent, evidence and notes; not edits of titles or typo fixes.
TIMELINE_KINDS = frozenset(
    {
        EventKind.DECLARED,
        EventKind.SEVERITY_CHANGED,
        EventKind.ACKNOWLEDGED,
        EventKind.ROLE_ASSIGNED,
        EventKind.STATUS_CHANGED,
        EventKind.UPDATE_SENT,
        EventKind.NOTE,
        EventKind.TRIAGE,
        EventKind.MITIGATION,
        EventKind.OVERRIDE,
        EventKind.CHECK_BACK,
        EventKind.VERIFIED,
        EventKind.EVIDENCE,
    }
)


_NO_EDIT = TimelineEdit()  # one shared: most events have no edit (it is frozen)


def timeline_rows(
    events: list[TimelineEvent], postmortem: Postmortem, include_hidden: bool = False
) -> list[TimelineRow]:
    """The captured events as the author has shaped them, with added rows, in time order."""
    rows: list[TimelineRow] = []
    for event in events:
        if event.kind not in TIMELINE_KINDS and not is_cadence_event(event):
            continue  # a missed update cadence is worth a row; a snoozed reminder is not
        edit = postmortem.timeline_edits.get(event.id, _NO_EDIT)
        if edit.hidden and not include_hidden:
            continue
        text = event.text if edit.text is None else edit.text
        rows.append(TimelineRow(event.at, text, event.id, edit.hidden))
    rows.extend(TimelineRow(row.at, row.text) for row in postmortem.added_rows)
    rows.sort(key=lambda row: row.at)  # stable: captured order kept for equal times
    return rows


@dataclass(frozen=True)
class KeyMetrics:
    """The five spans of one incident (core.spans), keyed for a table with formulas; the
    named properties are the same values, for templates."""

    by_measure: dict[Measure, timedelta | None]

    @property
    def time_to_detect(self) -> timedelta | None:
        return self.by_measure[Measure.DETECT]

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self.by_measure[Measure.ACKNOWLEDGE]

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self.by_measure[Measure.MITIGATE]

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.by_measure[Measure.RESOLVE]

    @property
    def time_to_first_update(self) -> timedelta | None:
        return self.by_measure[Measure.FIRST_UPDATE]


def key_metrics(incident: Incident, events: list[TimelineEvent]) -> KeyMetrics:
    """From the incident's own timestamps, as the metrics define them (core.spans)."""
    return KeyMetrics(by_measure=spans(incident, first_update_at(events)))


def postmortem_due(incident: Incident, policy: Policy) -> datetime | None:
    """When the write-up is due: the severity's span after the resolution was recorded
    (not after its effective time: an incident entered today that was resolved in 2019 is
    due from today); rows from before that was kept count from the resolution itself. None
    when no post-mortem is required or the incident is not resolved yet."""
    span = policy.for_severity(incident.severity).postmortem_due
    if span is None or incident.resolved_at is None or incident.status.is_open:
        return None
    recorded = incident.resolution_recorded_at
    return (recorded if recorded is not None else incident.resolved_at) + span
