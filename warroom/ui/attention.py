"""What needs the IC's attention, across the three strips above the board (reminders,
check-backs, post-mortems due), ranked most urgent first and grouped per incident.

The strips show only the first few items (`STRIP_ROWS`); the reminders list shows them all,
one row per incident. Pure Python over what the strips already hold: no Qt, no queries."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING, overload

from warroom.domain.durations import compact
from warroom.domain.reminders import Reminder, ReminderKind
from warroom.domain.severity import Severity

if TYPE_CHECKING:  # the board paints before the service stack is imported
    from warroom.domain.incident import Incident
    from warroom.services.mitigation import PendingCheckBack
    from warroom.services.postmortems import PostmortemDue

_SEVERITY_RANK = {severity: severity.rank for severity in Severity}
_by_rank = attrgetter("rank")

# Rows the strips above the board show in all. Three rows (about 110 px) leave a 768 px
# laptop window with a dozen board rows, yet show what is most urgent at a glance; more
# than that and the strips, not the board, become what the IC reads.
STRIP_ROWS = 3


class Strip(StrEnum):
    REMINDER = "reminder"
    CHECK_BACK = "check_back"
    POSTMORTEM = "postmortem"


class Tier(IntEnum):
    """How pressing an item is; within a tier, higher severity first, then oldest due."""

    DUE = 0  # due now on a live incident: an update, the response, a check-back, evidence
    WRITE_UP_OVERDUE = 1  # a post-mortem past its due time (the incident is resolved)
    WAITING = 2  # counting down: a check-back not due yet, parked or snoozed; a write-up


@dataclass(slots=True)  # a few thousand made per change at scale: not frozen, for speed
class Item:
    strip: Strip
    subject: Reminder | PendingCheckBack | PostmortemDue  # what its strip row shows
    incident: Incident
    tier: Tier
    at: datetime  # when it fell or falls due
    reminder: Reminder | None = None  # the reminder to snooze, where it can be
    # Most urgent first: tier, then severity, then oldest due. Computed once, when made:
    # collect sorts thousands of items on it after every change.
    rank: tuple[int, int, datetime, int] = field(init=False)

    def __post_init__(self) -> None:
        incident = self.incident
        self.rank = (self.tier, _SEVERITY_RANK[incident.severity], self.at, incident.id)

    def phrase(self, now: datetime) -> str:
        """A few words for the incident's row in the list: "update overdue 4:00"."""
        if self.strip is Strip.REMINDER:
            return _reminder_phrase(self.subject, now)  # type: ignore[arg-type]
        if self.strip is Strip.CHECK_BACK:
            return _check_back_phrase(self, now)
        due: PostmortemDue = self.subject  # type: ignore[assignment]
        label = f"post-mortem ({due.status.label})"
        if now > due.due_at:
            return f"{label} overdue +{compact(now - due.due_at)}"
        return f"{label} due in {compact(due.due_at - now)}"


def _reminder_phrase(reminder: Reminder, now: datetime) -> str:
    late = compact(now - reminder.due_at)  # compact never goes below zero
    if reminder.kind is ReminderKind.UPDATE_DUE:
        return f"update overdue {late}"
    if reminder.kind is ReminderKind.RESPONSE_BREACHED:
        return f"not acknowledged, response target missed by {late}"
    if reminder.kind is ReminderKind.EVIDENCE_ROTATING:
        if now >= reminder.due_at:
            return "evidence rotated away"
        return f"evidence rotates in {compact(reminder.due_at - now)}"
    return reminder.kind.label


def _check_back_phrase(item: Item, now: datetime) -> str:
    pending: PendingCheckBack = item.subject  # type: ignore[assignment]
    mitigation = pending.mitigation
    subject = f"“{mitigation.subject}”"
    if mitigation.parked:
        return f"{subject} parked, waiting on a third party"
    if item.tier is Tier.DUE:
        return f"check-back due: did {subject} work?"
    if mitigation.check_back_due(now):
        return f"check-back of {subject} snoozed"
    assert mitigation.check_back_at is not None
    return f"checking {subject}, check back in {compact(mitigation.check_back_at - now)}"


@dataclass
class Group:
    """One incident's row in the reminders list."""

    incident: Incident
    items: list[Item] = field(default_factory=list)

    def text(self, now: datetime) -> str:
        incident = self.incident
        phrases = "; ".join(item.phrase(now) for item in self.items)
        return f"#{incident.id} {incident.severity.value} {incident.shown_title}: {phrases}"

    @property
    def due(self) -> bool:
        return any(item.tier is not Tier.WAITING for item in self.items)


def collect(
    reminders: Iterable[Reminder],
    pending: Iterable[PendingCheckBack],
    postmortems: Sequence[PostmortemDue],
    incidents: Mapping[int, Incident],
    now: datetime,
) -> list[Item]:
    """Every item the strips would show, most urgent first. `reminders` are those due (not
    snoozed); a due check-back's reminder comes with its check-back row, to snooze it."""
    items = _live_items(reminders, pending, incidents, now) + _write_up_items(postmortems, now)
    return sorted(items, key=_by_rank)


class Ranked(Sequence[Item]):
    """What `Ranking.collect` found: every item, most urgent first, and what the strips'
    "+N more" bar and the next re-ranking need, worked out without walking the thousands
    of write-ups. The whole list is merged only when something reads it (the reminders
    list, when open)."""

    def __init__(
        self,
        live: list[Item],
        write_ups: list[Item],
        *,
        due: int,
        incidents: int,
        next_change: datetime | None,
    ) -> None:
        self._live = live  # both sorted most urgent first
        self._write_ups = write_ups
        self._all: list[Item] | None = None
        self.due = due  # items due or overdue now (not waiting)
        self.incidents = incidents  # how many incidents they concern
        self.next_change = next_change  # when an item next changes tier on its own

    def top(self, count: int) -> list[Item]:
        """The `count` most urgent items."""
        if self._all is not None:
            return self._all[:count]
        return list(islice(heapq.merge(self._live, self._write_ups, key=_by_rank), count))

    def _items(self) -> list[Item]:
        if self._all is None:  # two sorted runs, merged as `sorted` would order them
            self._all = list(heapq.merge(self._live, self._write_ups, key=_by_rank))
        return self._all

    def __len__(self) -> int:
        return len(self._live) + len(self._write_ups)

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        return self._items()[index]

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items())


@dataclass(frozen=True)
class _KeptWriteUps:
    """One list of write-ups' items, ranked, with what later calls read off it."""

    postmortems: Sequence[PostmortemDue]
    due_ats: list[datetime]  # sorted
    overdue: int
    ranked: list[Item]
    incident_ids: frozenset[int]


class Ranking:
    """`collect` for a window that asks again after every change. The write-ups' items
    (thousands at scale) change only when their list does or one of them falls overdue,
    so they are kept, sorted, between calls; only the live items are made anew."""

    def __init__(self) -> None:
        self._kept: _KeptWriteUps | None = None

    def write_up_incidents(self, postmortems: Sequence[PostmortemDue]) -> frozenset[int]:
        """The incidents of `postmortems`: kept with its items when it is the list ranked
        last (thousands at scale: not gathered again after every change)."""
        kept = self._kept
        if kept is not None and kept.postmortems is postmortems:
            return kept.incident_ids
        return frozenset(write_up.incident.id for write_up in postmortems)

    def collect(
        self,
        reminders: Iterable[Reminder],
        pending: Iterable[PendingCheckBack],
        postmortems: Sequence[PostmortemDue],
        incidents: Mapping[int, Incident],
        now: datetime,
    ) -> Ranked:
        kept = self._kept
        if kept is None or kept.postmortems is not postmortems:
            due_ats = sorted(write_up.due_at for write_up in postmortems)
        else:
            due_ats = kept.due_ats
        # Which write-ups are overdue follows from how many are (past due: before now).
        overdue = bisect_left(due_ats, now)
        if kept is None or kept.postmortems is not postmortems or kept.overdue != overdue:
            ranked = sorted(_write_up_items(postmortems, now), key=_by_rank)
            ids = self.write_up_incidents(postmortems)
            kept = self._kept = _KeptWriteUps(postmortems, due_ats, overdue, ranked, ids)
        live = sorted(_live_items(reminders, pending, incidents, now), key=_by_rank)
        waiting = bisect_right(due_ats, now)  # the first write-up still counting down
        later = [item.at for item in live if item.tier is Tier.WAITING and item.at > now]
        if waiting < len(due_ats):
            later.append(due_ats[waiting])
        live_ids = {item.incident.id for item in live}
        return Ranked(
            live,
            kept.ranked,
            due=sum(1 for item in live if item.tier is not Tier.WAITING) + overdue,
            incidents=len(kept.incident_ids) + len(live_ids - kept.incident_ids),
            next_change=min(later, default=None),
        )


def _live_items(
    reminders: Iterable[Reminder],
    pending: Iterable[PendingCheckBack],
    incidents: Mapping[int, Incident],
    now: datetime,
) -> list[Item]:
    reminders = list(reminders)
    check_back_reminders = {r.key: r for r in reminders if r.kind is ReminderKind.CHECK_BACK_DUE}
    items: list[Item] = []
    for reminder in reminders:
        incident = incidents.get(reminder.incident_id)
        if reminder.kind is ReminderKind.CHECK_BACK_DUE or incident is None:
            continue  # a check-back is asked in its own row
        items.append(Item(Strip.REMINDER, reminder, incident, Tier.DUE, reminder.due_at, reminder))
    for each in pending:
        mitigation = each.mitigation
        due = check_back_reminders.get(f"check_back:{mitigation.id}")
        tier = Tier.DUE if due is not None and not mitigation.parked else Tier.WAITING
        at = mitigation.check_back_at or now
        items.append(Item(Strip.CHECK_BACK, each, each.incident, tier, at, due))
    return items


def _write_up_items(postmortems: Iterable[PostmortemDue], now: datetime) -> list[Item]:
    items: list[Item] = []
    for write_up in postmortems:
        tier = Tier.WRITE_UP_OVERDUE if now > write_up.due_at else Tier.WAITING
        items.append(Item(Strip.POSTMORTEM, write_up, write_up.incident, tier, write_up.due_at))
    return items


def group(items: Iterable[Item]) -> list[Group]:
    """One group per incident, in the order of each incident's most urgent item."""
    groups: dict[int, Group] = {}
    for item in items:
        groups.setdefault(item.incident.id, Group(item.incident)).items.append(item)
    return list(groups.values())


def due_now(reminders: Iterable[Reminder]) -> dict[int, list[str]]:
    """Per incident, what is due on it now, in words, for its board row."""
    reasons: dict[int, list[str]] = {}
    for reminder in reminders:
        labels = reasons.setdefault(reminder.incident_id, [])
        if reminder.kind.label not in labels:
            labels.append(reminder.kind.label)
    return reasons
