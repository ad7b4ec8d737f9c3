"""A drill's scorecard: how the team did against the severity's targets and the practice.

Everything is judged on the drill's own clock (domain.drill_run: a drill at speed 10 plays a
30-minute target in 3 wall minutes, and a pause stops the clock), with the same spans the
post-mortem and the metrics use (domain.spans) and the same missed-cadence rule as the board
(domain.cadence). The checks:

| check            | passes when                                                              |
|------------------|--------------------------------------------------------------------------|
| acknowledge      | acknowledged − declared within the severity's response target            |
| first update     | first update − impact started within the lead plus the update cadence   |
| mitigate         | mitigated − impact started within the scenario's `mitigate_within`       |
| rollback first   | the first mitigation option decided (applied, skipped, n/a) is rollback  |
| one change       | no change applied while another was unverified (no one-change override); |
|                  | n/a when no change was applied                                           |
| evidence first   | security scenarios: evidence collected before the first change, and no   |
|                  | "preserve before change" override                                        |
| update cadence   | no update deadline missed while the drill was open                       |
| post-mortem      | the post-mortem is published                                             |
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.cadence import missed_updates
from warroom.domain.drill_run import Drill, InjectState, is_change, is_collection, is_drill_event
from warroom.domain.durations import describe_duration
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.policy import Policy, Target, TargetKind
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.spans import Measure, first_update_at, spans


class CheckKey(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    FIRST_UPDATE = "first_update"
    MITIGATE = "mitigate"
    ROLLBACK_FIRST = "rollback_first"
    ONE_CHANGE = "one_change"
    EVIDENCE_FIRST = "evidence_first"
    CADENCE = "cadence"
    POSTMORTEM = "postmortem"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    CheckKey.ACKNOWLEDGE: "Time to acknowledge",
    CheckKey.FIRST_UPDATE: "Time to first update",
    CheckKey.MITIGATE: "Time to mitigate",
    CheckKey.ROLLBACK_FIRST: "Rollback considered first",
    CheckKey.ONE_CHANGE: "One change at a time",
    CheckKey.EVIDENCE_FIRST: "Evidence preserved before any change",
    CheckKey.CADENCE: "Update cadence kept",
    CheckKey.POSTMORTEM: "Post-mortem written",
}


@dataclass(frozen=True)
class Check:
    key: CheckKey
    passed: bool | None  # None: does not apply to this scenario
    detail: str  # one line: what was measured or found
    measured: timedelta | None = None
    target: timedelta | None = None
    pending: bool = False  # not done yet, and its target has not passed: not judged yet

    @property
    def label(self) -> str:
        return self.key.label

    @property
    def verdict(self) -> str:
        if self.pending:
            return "pending"
        return {True: "pass", False: "miss", None: "n/a"}[self.passed]


@dataclass(frozen=True)
class Scorecard:
    incident_id: int
    scenario: str
    title: str
    severity: str
    security: bool
    started_at: datetime
    speed: float
    as_of: datetime  # wall time the card was computed at
    drill_elapsed: timedelta  # drill time from the start to `as_of`
    checks: tuple[Check, ...]
    injects_delivered: int
    injects_skipped: int
    injects_passed_over: int
    injects_pending: int
    ended: bool

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.checks if c.passed is not None)

    @property
    def score_text(self) -> str:
        return f"{self.passed}/{self.applicable}"

    def check(self, key: CheckKey | str) -> Check:
        return next(c for c in self.checks if c.key == key)


def on_drill_clock(
    drill: Drill, incident: Incident, events: list[TimelineEvent]
) -> tuple[Incident, list[TimelineEvent]]:
    """The incident and its team's events with every time moved to the drill's clock."""
    to = drill.drill_time

    def maybe(moment: datetime | None) -> datetime | None:
        return None if moment is None else to(moment)

    moved = replace(
        incident,
        declared_at=to(incident.declared_at),
        impact_started_at=drill.started_at - drill.scenario.impact_lead,
        severity_changed_at=maybe(incident.severity_changed_at),
        detected_at=maybe(incident.detected_at),
        acknowledged_at=maybe(incident.acknowledged_at),
        mitigated_at=maybe(incident.mitigated_at),
        resolved_at=maybe(incident.resolved_at),
        last_update_at=maybe(incident.last_update_at),
        response_due_at=None,
    )
    team = [replace(e, at=to(e.at)) for e in events if not is_drill_event(e)]
    return moved, team


def score(
    drill: Drill,
    incident: Incident,
    events: list[TimelineEvent],
    postmortem_status: PostmortemStatus | None,
    policy: Policy,
    now: datetime,
) -> Scorecard:
    """The scorecard of `drill` as of `now` (wall time)."""
    moved, team = on_drill_clock(drill, incident, events)
    scenario = drill.scenario
    level = policy.for_severity(scenario.severity)
    measures = spans(moved, first_update_at(team))
    lead = scenario.impact_lead
    # Drill time so far, from declaring: a target not reached yet is not missed yet.
    so_far = None if drill.ended or not incident.status.is_open else drill.elapsed(now)

    checks = [
        _timed(
            CheckKey.ACKNOWLEDGE, measures[Measure.ACKNOWLEDGE], _span(level.respond_within),
            "not acknowledged", so_far,
        ),
        _timed(
            CheckKey.FIRST_UPDATE, measures[Measure.FIRST_UPDATE],
            _plus(lead, _span(level.update_every)),
            "no stakeholder update sent", _plus(lead, so_far),
        ),
        _timed(
            CheckKey.MITIGATE, measures[Measure.MITIGATE], scenario.mitigate_within,
            "not mitigated (no recovery verified)", _plus(lead, so_far),
        ),
        _rollback_first(team),
        _one_change(team),
        _evidence_first(team) if scenario.security else Check(
            CheckKey.EVIDENCE_FIRST, None, "not a security scenario"
        ),
        _cadence(moved, team, policy, drill.drill_time(now)),
        _postmortem(postmortem_status),
    ]  # fmt: skip
    statuses = drill.statuses(incident, events, now)
    count = lambda *states: sum(1 for s in statuses if s.state in states)  # noqa: E731
    return Scorecard(
        incident_id=incident.id,
        scenario=scenario.name,
        title=scenario.title,
        severity=scenario.severity.value,
        security=scenario.security,
        started_at=drill.started_at,
        speed=drill.speed,
        as_of=now,
        drill_elapsed=drill.elapsed(now),
        checks=tuple(checks),
        injects_delivered=count(InjectState.DELIVERED),
        injects_skipped=count(InjectState.SKIPPED),
        injects_passed_over=count(InjectState.PASSED_OVER),
        injects_pending=count(InjectState.UPCOMING, InjectState.DUE),
        ended=drill.ended,
    )


def _plus(lead: timedelta, span: timedelta | None) -> timedelta | None:
    return None if span is None else lead + span


def _span(target: Target) -> timedelta | None:
    return target.span if target.kind is TargetKind.DURATION else None


def _minutes(span: timedelta) -> str:
    return (
        describe_duration(span)
        if span >= timedelta(minutes=1)
        else f"{int(span.total_seconds())} s"
    )


def _timed(
    key: CheckKey,
    measured: timedelta | None,
    target: timedelta | None,
    missing: str,
    so_far: timedelta | None = None,
) -> Check:
    """`so_far`: how long the measure has been running in a drill still going (None once
    it ended): while that is within the target, a missing measure is pending, not missed."""
    if measured is None:
        if so_far is not None and (target is None or so_far < target):
            return Check(key, None, f"{missing} yet", None, target, pending=True)
        return Check(key, False, missing, None, target)
    if target is None:
        return Check(key, True, f"{_minutes(measured)} (no target)", measured, None)
    passed = measured <= target
    word = "within" if passed else "over"
    return Check(
        key, passed, f"{_minutes(measured)}, {word} the {_minutes(target)} target", measured, target
    )


def _decisions(team: list[TimelineEvent]) -> list[TimelineEvent]:
    decided = ("applied", "skipped", "not_applicable")
    return sorted(
        (e for e in team if e.kind is EventKind.MITIGATION and e.data.get("decision") in decided),
        key=lambda e: (e.at, e.id),
    )


def _rollback_first(team: list[TimelineEvent]) -> Check:
    decisions = _decisions(team)
    if not decisions:
        return Check(CheckKey.ROLLBACK_FIRST, False, "no mitigation option was decided")
    first = decisions[0]
    option = str(first.data.get("option", ""))
    decision = str(first.data.get("decision", "")).replace("_", " ")
    if option == "rollback":
        return Check(CheckKey.ROLLBACK_FIRST, True, f"rollback {decision} first")
    return Check(
        CheckKey.ROLLBACK_FIRST,
        False,
        f"{option.replace('_', ' ')} {decision} before any rollback decision",
    )


def _one_change(team: list[TimelineEvent]) -> Check:
    overrides = [
        e
        for e in team
        if e.kind is EventKind.OVERRIDE and e.data.get("rule") == "one_change_at_a_time"
    ]
    changes = sum(1 for e in team if is_change(e))
    if overrides:
        times = "once" if len(overrides) == 1 else f"{len(overrides)} times"
        return Check(
            CheckKey.ONE_CHANGE, False,
            f"a change applied while another was unverified, {times}",
        )  # fmt: skip
    if not changes:
        return Check(CheckKey.ONE_CHANGE, None, "no change applied")
    return Check(
        CheckKey.ONE_CHANGE, True, f"{changes} change{'s' * (changes != 1)}, one at a time"
    )


def _evidence_first(team: list[TimelineEvent]) -> Check:
    overrides = [
        e
        for e in team
        if e.kind is EventKind.OVERRIDE and e.data.get("rule") == "preserve_before_change"
    ]
    collected = [e.at for e in team if is_collection(e)]
    changes = [e.at for e in team if is_change(e)]
    if overrides:
        return Check(CheckKey.EVIDENCE_FIRST, False, "changed systems with evidence still pending")
    if not collected:
        return Check(CheckKey.EVIDENCE_FIRST, False, "no evidence collected")
    first_change = min(changes, default=None)
    if first_change is not None and min(collected) > first_change:
        return Check(CheckKey.EVIDENCE_FIRST, False, "the first change came before any evidence")
    before = sum(1 for at in collected if first_change is None or at <= first_change)
    return Check(
        CheckKey.EVIDENCE_FIRST, True,
        f"{before} piece{'s' * (before != 1)} of evidence before the first change",
    )  # fmt: skip


def _cadence(moved: Incident, team: list[TimelineEvent], policy: Policy, until: datetime) -> Check:
    misses = missed_updates(moved, team, policy, until)
    if not misses:
        return Check(CheckKey.CADENCE, True, "no update deadline missed")
    first = misses[0]
    return Check(
        CheckKey.CADENCE, False,
        f"{len(misses)} update deadline{'s' * (len(misses) != 1)} missed (the first "
        f"{_minutes(first.due - moved.declared_at)} after the declaration)",
    )  # fmt: skip


def _postmortem(status: PostmortemStatus | None) -> Check:
    if status is PostmortemStatus.PUBLISHED:
        return Check(CheckKey.POSTMORTEM, True, "published")
    if status is None:
        return Check(CheckKey.POSTMORTEM, False, "not started")
    return Check(CheckKey.POSTMORTEM, False, f"{status.label}, not published")
