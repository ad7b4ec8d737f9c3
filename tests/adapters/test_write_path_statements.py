"""The write path's direct statements (timeline rows, cleared drafts, the change log) say
what they changed exactly as rows the session flushes do: the change set, the change log
and the drafts come out the same, on both engines."""

from __future__ import annotations

import pytest

from tests.adapters.conftest import BOTH_ENGINES
from warroom.domain.changes import Part
from warroom.domain.incident import EventKind


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def _log(raw) -> list[tuple[int, str]]:
    return raw.rows("SELECT incident_id, parts FROM change_log ORDER BY seq")


def _drafts(raw) -> list[tuple[int, str]]:
    return raw.rows("SELECT incident_id, field FROM draft ORDER BY field")


def _recording(service) -> list:
    seen: list = []
    service.subscribe(seen.append)
    return seen


def test_a_note_without_drafts_changes_only_the_timeline(service, raw):
    incident = service.declare("Cart errors", "P1")
    seen = _recording(service)
    event = service.add_note(incident.id, "Rolled back the deploy")
    assert seen[-1].parts_of(incident.id) == {Part.TIMELINE}
    assert _log(raw)[-1] == (incident.id, "timeline")
    assert service.timeline(incident.id)[-1] == event
    assert event.id is not None and event.text == "Rolled back the deploy"


def test_a_saved_note_clears_both_note_drafts_in_its_transaction(service, raw):
    incident = service.declare("Cart errors", "P1")
    other = service.declare("Search slow", "P3")
    service.save_draft(incident.id, "note", "Rolled back")
    service.save_draft(incident.id, "note_sensitive", "Customer: ACME")
    service.save_draft(incident.id, "impact", "Checkout fails for 5 %")
    service.save_draft(other.id, "note", "Someone else's note")
    seen = _recording(service)
    service.add_note(incident.id, "Rolled back the deploy")
    assert seen[-1].parts_of(incident.id) == {Part.TIMELINE, Part.DRAFTS}
    assert seen[-1].incident_ids == {incident.id}
    assert _log(raw)[-1] == (incident.id, "drafts,timeline")
    assert service.drafts(incident.id) == {"impact": "Checkout fails for 5 %"}
    assert service.drafts(other.id) == {"note": "Someone else's note"}


def test_a_saved_impact_clears_its_draft_only(service, raw):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "impact", "Checkout fails")
    service.save_draft(incident.id, "note", "Still typing")
    seen = _recording(service)
    service.edit_impact(incident.id, "Checkout fails for 5 % of users")
    assert seen[-1].parts_of(incident.id) == {Part.INCIDENT, Part.TIMELINE, Part.DRAFTS}
    assert service.drafts(incident.id) == {"note": "Still typing"}
    # Saving the same text again changes nothing but the (absent) draft: nothing to log.
    before = _log(raw)
    service.edit_impact(incident.id, "Checkout fails for 5 % of users")
    assert _log(raw) == before


def test_a_draft_stored_and_cleared_in_one_unit_of_work_is_gone(service, raw):
    incident = service.declare("Cart errors", "P1")
    with service.writing() as write:
        write.uow.drafts.store(incident.id, "note", "typed", service.now())
        write.uow.drafts.store(incident.id, "impact", "kept", service.now())
        write.uow.drafts.clear(incident.id, "note", "note_sensitive")
        assert write.uow.drafts.of_incident(incident.id) == {"impact": "kept"}
    assert write.changes.parts_of(incident.id) == {Part.DRAFTS}
    assert _drafts(raw) == [(incident.id, "impact")]


def test_a_draft_loaded_then_cleared_is_not_written_back(service, raw):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "note", "typed")
    with service.writing() as write:
        write.uow.drafts.store(incident.id, "note", "typed more", service.now())  # loads it
        write.uow.drafts.clear(incident.id, "note")
    assert _drafts(raw) == []
    assert write.changes.parts_of(incident.id) == {Part.DRAFTS}


def test_a_failed_write_leaves_no_event_no_log_and_the_drafts(service, raw):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "note", "typed")
    before = _log(raw)
    try:
        with service.editing(incident.id) as edit:
            edit.event(EventKind.NOTE, "half-written")
            edit.uow.drafts.clear(incident.id, "note")
            raise RuntimeError("the operation fails after writing")
    except RuntimeError:
        pass
    assert _log(raw) == before
    assert [e.text for e in service.timeline(incident.id)].count("half-written") == 0
    assert service.drafts(incident.id) == {"note": "typed"}


def test_an_emptied_draft_is_removed_and_only_an_existing_one_is_a_change(service, raw):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "note", "typed")
    seen = _recording(service)
    service.save_draft(incident.id, "note", "")
    assert seen[-1].parts_of(incident.id) == {Part.DRAFTS}
    assert _drafts(raw) == []
    before = _log(raw)
    service.save_draft(incident.id, "note", "")  # nothing there: nothing changed
    assert _log(raw) == before
