"""The five spans of an incident, as PRACTICE.md ("Metrics") defines them, in one place: the
metrics across incidents, the post-mortem's key metrics and the exports all read them here, so
a measure means the same wherever it is shown, with its formula beside it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.domain.incident import EventKind, Incident, TimelineEvent


class Measure(StrEnum):
    DETECT = "detect"
    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    FIRST_UPDATE = "first_update"

    @property
    def abbreviation(self) -> str:
        return _ABBREVIATIONS[self]

    @property
    def name_text(self) -> str:
        """'time to detect'."""
        return _NAMES[self]

    @property
    def short_name(self) -> str:
        """'detect', 'customer impact': where the formula is a tooltip away."""
        return _SHORT_NAMES[self]

    @property
    def label(self) -> str:
        """'time to detect = detected − impact started'."""
        return f"{_NAMES[self]} = {self.formula}"

    @property
    def formula(self) -> str:
        return _FORMULAS[self]


_ABBREVIATIONS = {
    Measure.DETECT: "MTTD",
    Measure.ACKNOWLEDGE: "MTTA",
    Measure.MITIGATE: "MTTM",
    Measure.RESOLVE: "MTTR",
    Measure.FIRST_UPDATE: "First update",
}
_NAMES = {
    Measure.DETECT: "time to detect",
    Measure.ACKNOWLEDGE: "time to acknowledge",
    Measure.MITIGATE: "customer impact (time to mitigate)",
    Measure.RESOLVE: "time to resolve",
    Measure.FIRST_UPDATE: "time to first stakeholder update",
}
_SHORT_NAMES = {
    Measure.DETECT: "detect",
    Measure.ACKNOWLEDGE: "acknowledge",
    Measure.MITIGATE: "customer impact",
    Measure.RESOLVE: "resolve",
    Measure.FIRST_UPDATE: "first update",
}
_FORMULAS = {
    Measure.DETECT: "detected − impact started",
    Measure.ACKNOWLEDGE: "acknowledged − detected (declared when there was no alert)",
    Measure.MITIGATE: "mitigated − impact started",
    Measure.RESOLVE: "resolved − impact started",
    Measure.FIRST_UPDATE: "first update sent − impact started",
}


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    # Clamped at zero: a time edited after the fact may run slightly backwards.
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))


def _ends(
    incident: Incident, first_update_at: datetime | None
) -> tuple[tuple[datetime | None, datetime | None], ...]:
    """Each measure's two ends, in Measure's order: the one definition of the five spans."""
    started = incident.impact_started_at
    detected = incident.detected_at
    return (
        (started, detected),
        (detected or incident.declared_at, incident.acknowledged_at),
        (started, incident.mitigated_at),
        (started, incident.resolved_at),
        (started, first_update_at),
    )


_PLACE = {measure: place for place, measure in enumerate(Measure)}


def span(
    incident: Incident, first_update_at: datetime | None, measure: Measure
) -> timedelta | None:
    """One measure of one incident; None while either end is unknown."""
    return _between(*_ends(incident, first_update_at)[_PLACE[measure]])


def spans(incident: Incident, first_update_at: datetime | None) -> dict[Measure, timedelta | None]:
    return {measure: span(incident, first_update_at, measure) for measure in Measure}


_ZERO = timedelta(0)


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    # _between(...).total_seconds(): the same clamp, the same float.
    if start is None or end is None:
        return None
    gap = end - start
    return gap.total_seconds() if gap > _ZERO else 0.0


def span_seconds(incident: Incident, first_update_at: datetime | None) -> tuple[float | None, ...]:
    """Every measure of one incident in seconds, in Measure's order, in one call (the
    metrics work out tens of thousands at once); each is span(...).total_seconds(), None
    where span is None."""
    return tuple([_seconds_between(start, end) for start, end in _ends(incident, first_update_at)])


def first_updates(events: Iterable[TimelineEvent]) -> dict[int, datetime]:
    """When each incident's first stakeholder update went out (the earliest UPDATE_SENT
    event), by incident id; an incident that sent none is absent."""
    first: dict[int, datetime] = {}
    for event in events:
        if event.kind is EventKind.UPDATE_SENT:
            known = first.get(event.incident_id)
            if known is None or event.at < known:
                first[event.incident_id] = event.at
    return first


def first_update_at(events: Iterable[TimelineEvent]) -> datetime | None:
    """The first stakeholder update among one incident's events; None when none was sent."""
    return min((e.at for e in events if e.kind is EventKind.UPDATE_SENT), default=None)


def mitigation_steps(events: Iterable[TimelineEvent]) -> dict[int, tuple[int, int]]:
    """(steps applied, steps that worked) by incident id, from the MITIGATION events that
    applied a step and the CHECK_BACK events that said it worked; an incident with neither
    is absent."""
    applied: dict[int, int] = {}
    worked: dict[int, int] = {}
    for event in events:
        if event.kind is EventKind.MITIGATION and event.data.get("decision") == "applied":
            applied[event.incident_id] = applied.get(event.incident_id, 0) + 1
        elif event.kind is EventKind.CHECK_BACK and event.data.get("outcome") == "worked":
            worked[event.incident_id] = worked.get(event.incident_id, 0) + 1
    return {i: (applied.get(i, 0), worked.get(i, 0)) for i in applied.keys() | worked.keys()}
