"""The export reads an incident's timeline with one Core select instead of loading ORM rows:
the events must be the same as the ORM's (same order, times, kinds, data), on both engines,
including what the same unit of work added, retimed, amended or removed before reading."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from tests.adapters.conftest import BOTH_ENGINES
from warroom.adapters.sql import repository as repo
from warroom.domain.incident import EventKind


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def _orm_events(uow, incident_id):
    """What SqlTimeline.of_incident gave before: ORM rows mapped one by one."""
    return [repo.to_event(row) for row in repo.event_rows(uow.session, incident_id)]


def test_the_timeline_read_gives_what_the_orm_gave(service, clock):
    incident = service.declare("Checkout | errors", "P1")
    other = service.declare("Search slow", "P3")
    service.add_note(other.id, "Not this incident's")
    start = clock.now()
    india = timezone(timedelta(hours=5, minutes=30))
    with service.writing() as write:
        timeline = write.uow.timeline
        added = []
        for n, kind in enumerate(EventKind):
            at = (start - timedelta(minutes=n % 7, microseconds=n)).astimezone(india)
            data = {"n": n, "why": "a “quoted” café"} if n % 2 else None
            added.append(
                timeline.add(
                    incident.id,
                    kind,
                    at=at,
                    recorded_at=at + timedelta(hours=n % 3),
                    actor=f"actor {n}",
                    text=f"row {n}\n| with *marks*",
                    data=data,
                )
            )
        # Changes the session holds and has not written yet: the read must see them (the
        # incident is held, so checking that it exists runs no query, which would autoflush).
        held = write.uow.incidents.get(incident.id)
        timeline.retime(added[3].id, start - timedelta(hours=2))
        timeline.amend(added[4].id, "reworded", {"edited": True})
        timeline.remove(added[5].id)
        events = timeline.of_incident(incident.id)
        assert events == _orm_events(write.uow, incident.id)
        assert held is not None
    assert [e.id for e in events][0] == added[3].id  # retimed to the front
    assert added[5].id not in {e.id for e in events}
    assert {e.incident_id for e in events} == {incident.id}
    with service.reading() as uow:
        again = uow.timeline.of_incident(incident.id)
        assert again == events == _orm_events(uow, incident.id)
    for event in again:
        assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
        assert isinstance(event.kind, EventKind)
    amended = next(e for e in again if e.id == added[4].id)
    assert (amended.text, amended.data) == ("reworded", {"edited": True})
    assert next(e for e in again if e.id == added[1].id).data == {"n": 1, "why": "a “quoted” café"}


def test_a_new_incidents_timeline_and_an_unknown_incident(service):
    from warroom.services.ports import IncidentNotFound

    incident = service.declare("Quiet", "P3")
    with service.reading() as uow:
        assert uow.timeline.of_incident(incident.id) == _orm_events(uow, incident.id)
        with pytest.raises(IncidentNotFound):
            uow.timeline.of_incident(incident.id + 1000)
