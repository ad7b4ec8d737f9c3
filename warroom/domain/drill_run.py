"""A drill under way, read from its incident's timeline: no state lives in a process.

Every fact of a drill is a timeline note carrying `data["drill"]` (DRILL_KEY):

| `drill`   | data                                            | written by            |
|-----------|-------------------------------------------------|-----------------------|
| started   | the scenario's script (Scenario.to_data), speed | `warroom drill start` |
| paused    |                                                 | the facilitator       |
| resumed   |                                                 | the facilitator       |
| speed     | speed                                           | `drill run --speed`   |
| inject    | inject (its key), due                           | whoever delivered it  |
| skipped   | inject (its key)                                | the facilitator       |
| ended     |                                                 | the facilitator       |

The drill clock runs at `speed` times the wall clock while not paused: an inject at "+10 min"
on a drill at speed 5 falls due 2 wall minutes after the start. Whether a conditional inject
fires is judged on the incident's record as of the moment it falls due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.drills import Condition, Inject, Scenario
from warroom.domain.incident import EventKind, Incident, TimelineEvent

DRILL_KEY = "drill"
MAX_SPEED = 3600.0


class Mark(StrEnum):
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    SPEED = "speed"
    INJECT = "inject"
    SKIPPED = "skipped"
    ENDED = "ended"


def check_speed(speed: float) -> float:
    """A drill's speed: more than 0, at most MAX_SPEED. Raises ValueError."""
    if not (0 < speed <= MAX_SPEED):  # also refuses NaN
        raise ValueError(f"The speed must be more than 0 and at most {MAX_SPEED:g}, not {speed:g}.")
    return float(speed)


def is_drill_event(event: TimelineEvent) -> bool:
    return event.kind is EventKind.NOTE and event.data.get(DRILL_KEY) in _MARKS


_MARKS = {m.value for m in Mark}


class InjectState(StrEnum):
    UPCOMING = "upcoming"  # due later (or held while the drill is paused)
    DUE = "due"  # its time has come and its condition holds: to be delivered
    DELIVERED = "delivered"
    SKIPPED = "skipped"  # the facilitator skipped it
    PASSED_OVER = "passed over"  # its time came and its condition did not hold
    DROPPED = "dropped"  # the drill ended first


@dataclass(frozen=True)
class InjectStatus:
    inject: Inject
    state: InjectState
    due_at: datetime | None  # wall time; None while paused or once the drill ended
    countdown: timedelta | None  # due_at - now, for an upcoming inject with a time
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class Drill:
    """One drill's plan and what happened to it so far."""

    incident_id: int
    scenario: Scenario
    started_at: datetime
    # (from, speed, running): the clock's segments, in order.
    segments: tuple[tuple[datetime, float, bool], ...]
    delivered: dict[str, datetime] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()
    free_injects: int = 0
    ended_at: datetime | None = None

    @property
    def speed(self) -> float:
        return self.segments[-1][1]

    @property
    def paused(self) -> bool:
        return not self.segments[-1][2] and self.ended_at is None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def elapsed(self, moment: datetime) -> timedelta:
        """Drill time from the start to `moment` (wall): pauses stop it, speed scales it."""
        total = 0.0
        for index, (begin, speed, running) in enumerate(self.segments):
            end = self.segments[index + 1][0] if index + 1 < len(self.segments) else None
            if self.ended_at is not None and (end is None or end > self.ended_at):
                end = self.ended_at
            stop = moment if end is None else min(moment, end)
            if running and stop > begin:
                total += (stop - begin).total_seconds() * speed
        return timedelta(seconds=total)

    def drill_time(self, moment: datetime) -> datetime:
        """`moment` on the drill's own clock, which starts at the wall start."""
        return self.started_at + self.elapsed(moment)

    def wall_at(self, offset: timedelta) -> datetime | None:
        """When (wall) the drill clock reaches `offset`; None if it will not as things stand
        (paused before it, or ended)."""
        target = offset.total_seconds()
        done = 0.0
        for index, (begin, speed, running) in enumerate(self.segments):
            end = self.segments[index + 1][0] if index + 1 < len(self.segments) else None
            if self.ended_at is not None and (end is None or end > self.ended_at):
                end = self.ended_at
            if not running:
                if end is None:
                    return None
                continue
            if end is None:
                return begin + timedelta(seconds=(target - done) / speed)
            span = (end - begin).total_seconds() * speed
            if done + span >= target:
                return begin + timedelta(seconds=(target - done) / speed)
            done += span
        return None

    def statuses(
        self, incident: Incident, events: list[TimelineEvent], now: datetime
    ) -> list[InjectStatus]:
        """Every scripted inject and where it stands at `now`, in offset order."""
        out: list[InjectStatus] = []
        for inject in self.scenario.injects:
            if inject.key in self.delivered:
                out.append(
                    InjectStatus(
                        inject, InjectState.DELIVERED, None, None, self.delivered[inject.key]
                    )
                )
                continue
            if inject.key in self.skipped:
                out.append(InjectStatus(inject, InjectState.SKIPPED, None, None))
                continue
            due = self.wall_at(inject.offset)
            if due is None:
                state = InjectState.DROPPED if self.ended else InjectState.UPCOMING
                out.append(InjectStatus(inject, state, None, None))
            elif due <= now:
                holds = condition_holds(inject, incident, events, due)
                state = InjectState.DUE if holds else InjectState.PASSED_OVER
                out.append(InjectStatus(inject, state, due, None))
            else:
                out.append(InjectStatus(inject, InjectState.UPCOMING, due, due - now))
        return out

    def next_pending(
        self, incident: Incident, events: list[TimelineEvent], now: datetime
    ) -> Inject | None:
        """The next inject neither delivered, skipped, passed over nor dropped."""
        for status in self.statuses(incident, events, now):
            if status.state in (InjectState.UPCOMING, InjectState.DUE):
                return status.inject
        return None


def read_drill(events: Iterable[TimelineEvent]) -> Drill | None:
    """The drill recorded on one incident's timeline; None when it has no drill started."""
    marks = sorted((e for e in events if is_drill_event(e)), key=lambda e: (e.at, e.id))
    started = next((e for e in marks if e.data[DRILL_KEY] == Mark.STARTED.value), None)
    if started is None:
        return None
    scenario = Scenario.from_data(started.data)
    speed = float(started.data.get("speed", 1.0))
    segments: list[tuple[datetime, float, bool]] = [(started.at, speed, True)]
    delivered: dict[str, datetime] = {}
    skipped: set[str] = set()
    free = 0
    ended_at: datetime | None = None
    for event in marks:
        mark = event.data[DRILL_KEY]
        _, speed, running = segments[-1]
        if event.id == started.id:
            continue
        if mark == Mark.INJECT.value:  # delivered is delivered, whenever it was
            key = str(event.data.get("inject", ""))
            delivered.setdefault(key, event.at)
            free += 1 if event.data.get("free") else 0
            continue
        if event.at < started.at or ended_at is not None:
            continue
        if mark == Mark.PAUSED.value and running:
            segments.append((event.at, speed, False))
        elif mark == Mark.RESUMED.value and not running:
            segments.append((event.at, speed, True))
        elif mark == Mark.SPEED.value:
            segments.append((event.at, float(event.data.get("speed", speed)), running))
        elif mark == Mark.SKIPPED.value:
            skipped.add(str(event.data.get("inject", "")))
        elif mark == Mark.ENDED.value:
            ended_at = event.at
    assert started.incident_id is not None
    return Drill(
        incident_id=started.incident_id,
        scenario=scenario,
        started_at=started.at,
        segments=tuple(segments),
        delivered=delivered,
        skipped=frozenset(skipped),
        free_injects=free,
        ended_at=ended_at,
    )


# -- conditions ---------------------------------------------------------------------------------
def condition_holds(
    inject: Inject, incident: Incident, events: list[TimelineEvent], moment: datetime
) -> bool:
    """Whether `inject` fires at `moment`: its `if` holds and its `unless` does not, judged
    on the record as of then."""
    if inject.if_ is not None and not happened(inject.if_, incident, events, moment):
        return False
    return inject.unless is None or not happened(inject.unless, incident, events, moment)


def happened(
    condition: Condition, incident: Incident, events: list[TimelineEvent], moment: datetime
) -> bool:
    """Whether the team had done `condition` at or before `moment` (effective times)."""
    if condition is Condition.ACKNOWLEDGED:
        return incident.acknowledged_at is not None and incident.acknowledged_at <= moment
    if condition is Condition.MITIGATED:
        return incident.mitigated_at is not None and incident.mitigated_at <= moment
    return any(e.at <= moment and _is(condition, e) for e in events)


def _is(condition: Condition, event: TimelineEvent) -> bool:
    if condition is Condition.UPDATE_SENT:
        return event.kind is EventKind.UPDATE_SENT
    if condition is Condition.CHANGE_APPLIED:
        return is_change(event)
    if condition is Condition.ROLLBACK_APPLIED:
        return is_change(event) and event.data.get("option") == "rollback"
    if condition is Condition.EVIDENCE_PRESERVED:
        return is_collection(event)
    return False


def is_change(event: TimelineEvent) -> bool:
    """A mitigation change applied."""
    return event.kind is EventKind.MITIGATION and event.data.get("decision") == "applied"


def is_collection(event: TimelineEvent) -> bool:
    """Evidence collected (a file, snippet or reference hashed into the vault) or linked."""
    data = event.data
    return event.kind is EventKind.EVIDENCE and (
        "sha256" in data or ("artifact" in data and "item" in data)
    )
