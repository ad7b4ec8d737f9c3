"""A timeline read for a few kinds (the cadence rules read five of twenty, on incidents with
thousands of notes) returns exactly those events of the whole timeline, in its order, on
both engines; what the unit of work changed before the read is in it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adapters.conftest import BOTH_ENGINES
from warroom.domain.cadence import RECONCILE_KINDS
from warroom.domain.incident import EventKind


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def test_the_kinds_asked_for_in_the_timelines_order(service, clock):
    incident = service.declare("Checkout errors", "P1")
    other = service.declare("Search slow", "P2")
    for n in range(3):
        clock.advance(minutes=2)
        service.add_note(incident.id, f"Note {n}")
        service.add_note(other.id, f"Elsewhere {n}")
    service.mark_update_sent(incident.id, "Investigating")
    service.add_note(
        incident.id, "Seen first at 09:00", at=clock.now() - timedelta(minutes=30)
    )  # entered late, earlier in the timeline
    service.change_severity(incident.id, "P0", "Spreading")
    whole = service.timeline(incident.id)
    with service.reading() as uow:
        chosen = uow.timeline.of_incident(incident.id, RECONCILE_KINDS)
        notes = uow.timeline.of_incident(incident.id, {EventKind.NOTE})
        none = uow.timeline.of_incident(incident.id, set())
    assert chosen == [e for e in whole if e.kind in RECONCILE_KINDS]
    assert {e.kind for e in chosen} >= {EventKind.DECLARED, EventKind.UPDATE_SENT}
    assert [e.text for e in notes] == [e.text for e in whole if e.kind is EventKind.NOTE]
    assert len(notes) == 4 and none == []


def test_what_the_unit_of_work_changed_is_read(service):
    incident = service.declare("Checkout errors", "P1")
    with service.writing() as write:
        write.uow.incidents.get(incident.id)  # the ORM session holds the row
        write.uow.timeline.add(
            incident.id,
            EventKind.UPDATE_SENT,
            at=incident.declared_at,
            recorded_at=incident.declared_at,
            actor="alice",
            text="Investigating",
        )
        read = write.uow.timeline.of_incident(incident.id, {EventKind.UPDATE_SENT})
    assert [e.text for e in read] == ["Investigating"]


def test_events_whose_data_holds_a_key(service):
    """A drill's marks among an incident's notes: only the notes whose data has the key,
    not one whose text or whose values mention it."""
    from warroom.domain.drill_run import DRILL_KEY

    incident = service.declare("Game day", "P2", is_drill=True)
    service.add_note(incident.id, 'The "drill" starts at ten')  # the text, not the data
    with service.editing(incident.id) as edit:
        edit.event(EventKind.NOTE, "Drill started", **{DRILL_KEY: "started"})
        edit.event(EventKind.NOTE, "About the drill", topic=DRILL_KEY)  # a value, not a key
        edit.event(EventKind.UPDATE_SENT, "Sent", **{DRILL_KEY: "inject"})  # another kind
    with service.reading() as uow:
        marks = uow.timeline.of_incident(incident.id, {EventKind.NOTE}, data_key=DRILL_KEY)
        any_kind = uow.timeline.of_incident(incident.id, data_key=DRILL_KEY)
    assert [e.text for e in marks] == ["Drill started"]
    assert [e.text for e in any_kind] == ["Drill started", "Sent"]
