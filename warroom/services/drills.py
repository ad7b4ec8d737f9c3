"""Tabletop drills: start a scenario as a drill incident, deliver its injects on the drill
clock, let the facilitator steer (inject now, skip, pause, resume, speed, end), and score the
team at the end.

Nothing is kept in this object between calls: a drill's plan and every step of it are
timeline notes of its incident (see domain.drill_run), so any process on the same database
(the app, `warroom drill run`, another laptop) delivers the same injects, and each inject at
most once: `deliver_due` reads what is due and writes it inside one write transaction, which
the storage serialises between processes, so a second deliverer finds it already there.

The facilitator view (a GUI) polls `status(incident_id)` on its tick and calls
`deliver_due()` (or relies on a running `warroom drill run`); its buttons map to
`inject_now`, `skip_next`, `pause`, `resume`, `set_speed` and `end`; the scorecard is
`scorecard(incident_id)` and `markdown(incident_id)`; the drills page is `scores()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from warroom.domain.drill_run import (
    DRILL_KEY,
    Drill,
    InjectState,
    InjectStatus,
    Mark,
    check_speed,
    is_drill_event,
    read_drill,
)
from warroom.domain.drill_score import Scorecard, score
from warroom.domain.drills import Inject, Scenario
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.validation import ValidationError, clean_text
from warroom.services.incidents import Edit, IncidentNotFound, IncidentService
from warroom.services.ports import UnitOfWork

log = logging.getLogger("warroom.services.drills")

__all__ = [
    "DrillService",
    "DrillStatus",
    "NotADrill",
    "ScenarioNotFound",
    "ScorecardRenderer",
]


class ScenarioNotFound(LookupError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"There is no drill scenario “{name}” (known: {listed}).")
        self.name = name


class NotADrill(ValidationError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(
            "drill", f"Incident #{incident_id} is not a drill started from a scenario."
        )


class ScorecardRenderer(Protocol):
    """Turns a scorecard into Markdown (adapters.export.scorecard)."""

    def scorecard(self, card: Scorecard) -> str: ...


@dataclass(frozen=True)
class DrillStatus:
    """What the facilitator view shows: the drill, its injects with countdowns, and what
    the team did so far (the timeline without the drill's own notes)."""

    incident: Incident
    drill: Drill
    injects: tuple[InjectStatus, ...]
    elapsed: timedelta  # on the drill clock
    team: tuple[TimelineEvent, ...]
    now: datetime

    @property
    def upcoming(self) -> tuple[InjectStatus, ...]:
        return tuple(s for s in self.injects if s.state in (InjectState.UPCOMING, InjectState.DUE))

    @property
    def finished(self) -> bool:
        """Nothing left to deliver: every inject delivered, skipped or passed over, or the
        drill ended."""
        return self.drill.ended or not self.upcoming


class DrillService:
    def __init__(
        self,
        incidents: IncidentService,
        scenarios: Sequence[Scenario] = (),
        renderer: ScorecardRenderer | None = None,
        make_renderer: Callable[[], ScorecardRenderer] | None = None,
    ) -> None:
        """`make_renderer` makes the scorecard renderer when a scorecard is first written:
        delivering a running drill's injects never loads the templates."""
        self.incidents = incidents
        self._scenarios = list(scenarios)
        self._renderer = renderer
        self._make_renderer = make_renderer

    # -- scenarios -------------------------------------------------------------------------------
    def scenarios(self) -> list[Scenario]:
        return list(self._scenarios)

    def scenario(self, name: str) -> Scenario:
        for scenario in self._scenarios:
            if scenario.name == name:
                return scenario
        raise ScenarioNotFound(name, [s.name for s in self._scenarios])

    # -- starting ----------------------------------------------------------------------------
    def start(self, scenario: Scenario | str, speed: float = 1.0, commander: str = "") -> Incident:
        """Declares the scenario's incident as a drill, now, with its plan on the timeline
        in the same transaction. Impact started `impact_lead` before (on the drill clock);
        the alert that detected it fired at the start."""
        chosen = self.scenario(scenario) if isinstance(scenario, str) else scenario
        try:
            speed = check_speed(speed)
        except ValueError as exc:
            raise ValidationError("speed", str(exc)) from None
        now = self.incidents.now()

        def plan(edit: Edit) -> None:
            edit.event(
                EventKind.NOTE,
                f"Drill started: scenario “{chosen.name}”"
                + ("" if speed == 1 else f" at {speed:g}× speed"),
                at=now,
                **_marked(Mark.STARTED, speed=speed),
                **chosen.to_data(),
            )

        self.incidents.on_declare.append(plan)
        try:
            incident = self.incidents.declare(
                chosen.title,
                chosen.severity,
                impact=chosen.impact,
                impact_started_at=now - chosen.impact_lead / speed,
                commander=commander,
                is_drill=True,
                declared_at=now,
                detected_at=now,
                is_security=chosen.security,
                service=chosen.service,
            )
        finally:
            self.incidents.on_declare.remove(plan)
        log.info("drill %r started as incident #%d", chosen.name, incident.id)
        return incident

    # -- reading -----------------------------------------------------------------------------
    def drill(self, incident_id: int) -> Drill:
        found = read_drill(self.incidents.timeline(incident_id))
        if found is None:
            raise NotADrill(incident_id)
        return found

    def status(self, incident_id: int, now: datetime | None = None) -> DrillStatus:
        now = now or self.incidents.now()
        with self.incidents.reading() as uow:
            incident, events, drill = _read(uow, incident_id)
        return DrillStatus(
            incident=incident,
            drill=drill,
            injects=tuple(drill.statuses(incident, events, now)),
            elapsed=drill.elapsed(now),
            team=tuple(e for e in events if not is_drill_event(e)),
            now=now,
        )

    def upcoming(self, incident_id: int, now: datetime | None = None) -> list[InjectStatus]:
        """The injects still to come, with their wall time and countdown (None while the
        drill is paused), in offset order."""
        return list(self.status(incident_id, now).upcoming)

    def running(self) -> list[int]:
        """The drills started from a scenario that have not ended and whose incident is not
        closed (a resolved one still takes its remaining injects), by id."""
        with self.incidents.reading() as uow:
            found = []
            for incident in uow.incidents.drills_not_closed():  # never every incident
                marks = uow.timeline.of_incident(incident.id, {EventKind.NOTE}, data_key=DRILL_KEY)
                drill = read_drill(marks)
                if drill is not None and not drill.ended:
                    found.append(incident.id)
            return found

    def next_due_at(
        self,
        now: datetime | None = None,
        incident_id: int | None = None,
        running: list[int] | None = None,
    ) -> datetime | None:
        """The earliest wall time an inject falls due (of one drill, or of every running
        one: `running`, when the caller has just read it); None when nothing is scheduled
        (all done, or paused). What a deliverer sleeps until."""
        now = now or self.incidents.now()
        if incident_id is not None:
            chosen = [incident_id]
        else:
            chosen = self.running() if running is None else running
        times = [
            s.due_at
            for found in chosen
            for s in self.status(found, now).upcoming
            if s.due_at is not None
        ]
        return min(times, default=None)

    # -- delivering --------------------------------------------------------------------------
    def deliver_due(
        self, now: datetime | None = None, incident_id: int | None = None
    ) -> list[TimelineEvent]:
        """Delivers every inject due by `now` whose condition holds (of one drill, or of
        every running one) as timeline notes. Idempotent, across processes too: what is due
        is decided again inside the write, so each inject is delivered once."""
        now = now or self.incidents.now()
        chosen = [incident_id] if incident_id is not None else self.running()
        delivered: list[TimelineEvent] = []
        for found in chosen:
            try:
                status = self.status(found, now)
            except (IncidentNotFound, NotADrill):
                continue
            if not any(s.state is InjectState.DUE for s in status.injects):
                continue  # nothing to write: no write transaction at all
            if status.incident.status is Status.CLOSED:
                continue  # a closed incident takes no more entries
            with self.incidents.editing(found) as edit:
                incident, events, drill = _read(edit.uow, found)
                for item in drill.statuses(incident, events, now):
                    if item.state is InjectState.DUE:
                        assert item.due_at is not None
                        delivered.append(_deliver(edit, item.inject, item.due_at))
        return delivered

    def inject_now(self, incident_id: int, text: str | None = None) -> TimelineEvent:
        """The next scripted inject, now, whatever its time and condition; or, with `text`,
        a free-text inject of the facilitator's own."""
        if text is not None:
            clean = " ".join(clean_text("text", text, "The inject").split())
            if not clean:
                raise ValidationError("text", "The inject is empty.")
        with self.incidents.editing(incident_id) as edit:
            incident, events, drill = _read(edit.uow, incident_id)
            if text is not None:
                key = f"free-{drill.free_injects + 1}"
                return edit.uow.timeline.to_event(
                    edit.event(
                        EventKind.NOTE,
                        f"Drill inject: {clean}",
                        **_marked(Mark.INJECT, inject=key, free=True),
                    )
                )
            _refuse_if_ended(drill)
            inject = drill.next_pending(incident, events, edit.now)
            if inject is None:
                raise ValidationError("inject", "Every scripted inject is delivered or skipped.")
            return _deliver(edit, inject, None)

    def skip_next(self, incident_id: int) -> Inject:
        """Skips the next scripted inject: it will not be delivered."""
        with self.incidents.editing(incident_id) as edit:
            incident, events, drill = _read(edit.uow, incident_id)
            _refuse_if_ended(drill)
            inject = drill.next_pending(incident, events, edit.now)
            if inject is None:
                raise ValidationError("inject", "Every scripted inject is delivered or skipped.")
            edit.event(
                EventKind.NOTE,
                f"Drill inject skipped by the facilitator ({inject.offset_text})",
                **_marked(Mark.SKIPPED, inject=inject.key),
            )
            return inject

    def pause(self, incident_id: int) -> Drill:
        """Stops the drill clock: nothing falls due until `resume`."""
        return self._mark(incident_id, Mark.PAUSED, "Drill clock paused by the facilitator")

    def resume(self, incident_id: int) -> Drill:
        return self._mark(incident_id, Mark.RESUMED, "Drill clock resumed")

    def set_speed(self, incident_id: int, speed: float) -> Drill:
        """The drill clock runs `speed` times the wall clock from now on."""
        try:
            speed = check_speed(speed)
        except ValueError as exc:
            raise ValidationError("speed", str(exc)) from None
        return self._mark(
            incident_id, Mark.SPEED, f"Drill clock set to {speed:g}× speed", speed=speed
        )

    def end(self, incident_id: int) -> Drill:
        """Ends the drill: injects not yet delivered are dropped."""
        return self._mark(incident_id, Mark.ENDED, "Drill ended by the facilitator")

    def _mark(self, incident_id: int, mark: Mark, text: str, **data: Any) -> Drill:
        with self.incidents.editing(incident_id) as edit:
            _, events, drill = _read(edit.uow, incident_id)
            _refuse_if_ended(drill)
            if mark is Mark.PAUSED and drill.paused:
                return drill  # already: nothing new to say
            if mark is Mark.RESUMED and not drill.paused:
                return drill
            if mark is Mark.SPEED and drill.speed == data.get("speed"):
                return drill
            edit.event(EventKind.NOTE, text, **_marked(mark, **data))
            found = read_drill(edit.uow.timeline.of_incident(incident_id))
            assert found is not None
            return found

    # -- scoring -----------------------------------------------------------------------------
    def scorecard(self, incident_id: int, now: datetime | None = None) -> Scorecard:
        """How the team did, as of `now` (final once the drill is over)."""
        now = now or self.incidents.now()
        with self.incidents.reading() as uow:
            incident, events, drill = _read(uow, incident_id)
            postmortem = uow.postmortems.load(incident_id)
        status = None if postmortem is None else postmortem.status
        return score(drill, incident, events, status, self.incidents.policy, now)

    def markdown(self, incident_id: int, now: datetime | None = None) -> str:
        if self._renderer is None and self._make_renderer is not None:
            self._renderer = self._make_renderer()
        if self._renderer is None:
            raise RuntimeError("DrillService was built without a scorecard renderer")
        return self._renderer.scorecard(self.scorecard(incident_id, now))

    @property
    def can_render(self) -> bool:
        return self._renderer is not None or self._make_renderer is not None

    def scores(self, now: datetime | None = None) -> list[Scorecard]:
        """Every drill started from a scenario, closed ones too, oldest first: scores over
        time."""
        now = now or self.incidents.now()
        cards = []
        for incident in self.incidents.list_incidents(include_closed=True):
            if incident.is_drill:
                try:
                    cards.append(self.scorecard(incident.id, now))
                except (NotADrill, IncidentNotFound):
                    continue
        return sorted(cards, key=lambda c: (c.started_at, c.incident_id))


def _read(uow: UnitOfWork, incident_id: int) -> tuple[Incident, list[TimelineEvent], Drill]:
    incident = uow.incidents.to_incident(uow.incidents.get(incident_id))
    events = uow.timeline.of_incident(incident_id)
    drill = read_drill(events)
    if drill is None:
        raise NotADrill(incident_id)
    return incident, events, drill


def _marked(mark: Mark, **data: Any) -> dict[str, Any]:
    """A drill note's data: which step of the drill it is, and its details."""
    return {DRILL_KEY: mark.value, **data}


def _refuse_if_ended(drill: Drill) -> None:
    if drill.ended:
        raise ValidationError("drill", f"The drill on incident #{drill.incident_id} has ended.")


def _deliver(edit: Edit, inject: Inject, due: datetime | None) -> TimelineEvent:
    data: dict[str, Any] = {DRILL_KEY: Mark.INJECT.value, "inject": inject.key}
    if due is not None:
        data["due"] = due.isoformat()
    else:
        data["forced"] = True  # the facilitator's "inject now"
    record = edit.event(
        EventKind.NOTE, f"Drill inject ({inject.offset_text}): {inject.text}", **data
    )
    return edit.uow.timeline.to_event(record)
