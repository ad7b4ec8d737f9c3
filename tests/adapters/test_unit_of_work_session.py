"""A unit of work begins on a Core connection and makes its ORM session only when a
repository needs one: a note is written without one. Either way one transaction holds all
of the unit's statements (under the write lock from the first), the change set says what it
changed, and a failure leaves nothing. On both engines."""

from __future__ import annotations

import dataclasses

import pytest

from tests.adapters.conftest import BOTH_ENGINES
from tests.adapters.helpers import another_writer_gets_the_lock
from warroom.adapters.sql import unit_of_work as unit_module
from warroom.adapters.sql.models import IncidentRow
from warroom.adapters.sql.unit_of_work import SqlStorage, StoredIncident
from warroom.domain.changes import Part
from warroom.domain.incident import EventKind
from warroom.domain.validation import ValidationError
from warroom.services.ports import IncidentNotFound


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def sessions_made(monkeypatch) -> list[object]:
    """Every ORM session a unit of work makes from now on."""
    made: list[object] = []
    original = unit_module.UnitSession.__init__

    def counting(self, *args, **kwargs) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(unit_module.UnitSession, "__init__", counting)
    return made


def _log(raw) -> list[tuple[int, str]]:
    return raw.rows("SELECT incident_id, parts FROM change_log ORDER BY seq")


def _texts(service, incident_id: int) -> list[str]:
    return [e.text for e in service.timeline(incident_id)]


def _recording(service) -> list:
    seen: list = []
    service.subscribe(seen.append)
    return seen


def test_a_note_and_a_snooze_are_written_without_an_orm_session(service, raw, sessions_made):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "note", "Rolled back")
    seen = _recording(service)
    before = len(sessions_made)
    event = service.add_note(incident.id, "Rolled back the deploy", sensitive=True)
    service.snooze_reminder(incident.id, "update", "Stakeholder update", 5)
    assert len(sessions_made) == before
    assert [c.parts_of(incident.id) for c in seen] == [
        {Part.TIMELINE, Part.DRAFTS},
        {Part.TIMELINE},
    ]
    assert _log(raw)[-2:] == [(incident.id, "drafts,timeline"), (incident.id, "timeline")]
    assert service.timeline(incident.id)[-2] == event
    assert event.data == {"backdated": False, "sensitive": True}
    assert service.drafts(incident.id) == {}


def test_an_edit_that_changes_the_incident_gets_the_orm_row(service, raw, sessions_made):
    incident = service.declare("Cart errors", "P1")
    service.add_note(incident.id, "First note")
    seen = _recording(service)
    before = len(sessions_made)
    changed = service.edit_title(incident.id, "Checkout errors")
    assert len(sessions_made) == before + 1
    assert changed.title == service.get(incident.id).title == "Checkout errors"
    assert seen[-1].parts_of(incident.id) == {Part.INCIDENT, Part.TIMELINE}
    assert _log(raw)[-1] == (incident.id, "incident,timeline")


def test_the_read_only_copy_holds_what_the_orm_row_holds(service, clock):
    incident = service.declare(
        "Cart errors", "P1", impact="Checkout fails", commander="Ana", is_security=True,
        service="checkout", dedupe_key="cart-5xx",
    )  # fmt: skip
    clock.advance(minutes=3)
    service.acknowledge(incident.id)
    service.assign_role(incident.id, "scribe", "Bo")
    duplicate = service.declare("Cart errors again", "P1")
    service.mark_duplicate(duplicate.id, incident.id)
    columns = set(IncidentRow.__table__.columns.keys())  # type: ignore[attr-defined]
    assert {f.name for f in dataclasses.fields(StoredIncident)} == columns
    for incident_id in (incident.id, duplicate.id):
        with service.writing() as write:
            copy = write.uow.incidents.read(incident_id)
            row = write.uow.incidents.get(incident_id)
            assert {name: getattr(copy, name) for name in columns} == {
                name: getattr(row, name) for name in columns
            }
            assert write.uow.incidents.to_incident(copy) == service.get(incident_id)
            with pytest.raises(dataclasses.FrozenInstanceError):
                copy.title = "changed"  # type: ignore[misc]
    assert service.get(duplicate.id).duplicate_of == incident.id


def test_an_edit_opened_to_read_the_incident_cannot_change_it(service, raw):
    incident = service.declare("Cart errors", "P1")
    before = _log(raw)
    with service.editing(incident.id, changes_incident=False) as edit:
        with pytest.raises(dataclasses.FrozenInstanceError):
            edit.row.title = "Renamed"
        assert edit.incident() == service.get(incident.id)
    assert service.get(incident.id).title == "Cart errors"
    assert _log(raw) == before


def test_the_copy_carries_what_the_unit_changed_before_reading(service):
    incident = service.declare("Cart errors", "P1")
    with service.writing() as write:
        write.uow.incidents.get(incident.id).title = "Renamed"
        assert write.uow.incidents.read(incident.id).title == "Renamed"
    assert write.changes.parts_of(incident.id) == {Part.INCIDENT}


def test_an_unknown_or_closed_incident_takes_no_note(service, raw):
    incident = service.declare("Search slow", "P3")  # no post-mortem needed to close it
    with pytest.raises(IncidentNotFound):
        service.add_note(incident.id + 1000, "Nowhere")
    with service.writing() as write, pytest.raises(IncidentNotFound):
        write.uow.incidents.read(incident.id + 1000)
    service.set_status(incident.id, "closed", "fixed itself")
    before = _log(raw)
    with pytest.raises(ValidationError):
        service.add_note(incident.id, "Too late")
    assert _log(raw) == before


def test_core_statements_and_a_session_made_later_commit_as_one(service, raw, sessions_made):
    incident = service.declare("Cart errors", "P1")
    other = service.declare("Search slow", "P3")
    service.save_draft(incident.id, "note", "typed")
    before = len(sessions_made)
    with service.editing(incident.id, changes_incident=False) as edit:
        edit.event(EventKind.NOTE, "Core first")
        edit.uow.drafts.clear(incident.id, "note")
        assert len(sessions_made) == before
        edit.uow.incidents.get(other.id).title = "Search very slow"  # the session, now
        edit.event(EventKind.NOTE, "after the session")
        assert len(sessions_made) == before + 1
    assert sorted(_log(raw)[-2:]) == [
        (incident.id, "drafts,timeline"),
        (other.id, "incident"),
    ]
    assert _texts(service, incident.id)[-2:] == ["Core first", "after the session"]
    assert service.get(other.id).title == "Search very slow"
    assert service.drafts(incident.id) == {}


@pytest.mark.parametrize("session_first", [False, True])
def test_a_failure_leaves_nothing_with_or_without_a_session(service, raw, session_first):
    incident = service.declare("Cart errors", "P1")
    service.save_draft(incident.id, "note", "typed")
    before = (_log(raw), _texts(service, incident.id))
    with pytest.raises(RuntimeError), service.writing() as write:
        uow = write.uow
        if session_first:
            uow.incidents.get(incident.id).title = "Renamed"
        uow.timeline.add(
            incident.id, EventKind.NOTE, at=service.now(), recorded_at=service.now(),
            actor="alice", text="half-written",
        )  # fmt: skip
        uow.drafts.clear(incident.id, "note")
        if not session_first:
            uow.incidents.get(incident.id).title = "Renamed"
        uow.drafts.store(incident.id, "impact", "also typed", service.now())
        raise RuntimeError("the operation fails after writing")
    assert (_log(raw), _texts(service, incident.id)) == before
    assert service.get(incident.id).title == "Cart errors"
    assert service.drafts(incident.id) == {"note": "typed"}


def test_a_second_commit_begins_again_and_logs_only_what_is_new(db, service, raw, clock):
    incident = service.declare("Cart errors", "P1")
    storage = SqlStorage(db, clock.now)
    stamp = {"at": clock.now(), "recorded_at": clock.now(), "actor": "alice"}
    with storage.writing() as uow:
        uow.timeline.add(incident.id, EventKind.NOTE, text="one", **stamp)  # Core alone
        first = uow.commit()
        uow.incidents.get(incident.id).title = "Renamed"  # a session after the commit
        second = uow.commit()
        uow.timeline.add(incident.id, EventKind.NOTE, text="two", **stamp)  # in a third
        third = uow.commit()
    assert first.parts_of(incident.id) == {Part.TIMELINE}
    assert second.parts_of(incident.id) == {Part.TIMELINE, Part.INCIDENT}
    assert third == second
    assert _log(raw)[-2:] == [(incident.id, "timeline"), (incident.id, "incident")]
    assert _texts(service, incident.id)[-2:] == ["one", "two"]
    assert service.get(incident.id).title == "Renamed"


def test_the_write_lock_is_held_from_the_first_read(service, engine, db_path, raw):
    incident = service.declare("Cart errors", "P1")
    with service.editing(incident.id, changes_incident=False) as edit:
        assert edit.row.title == "Cart errors"
        assert not _another_writer_gets_the_lock(engine, db_path, raw)
    assert _another_writer_gets_the_lock(engine, db_path, raw)


def _another_writer_gets_the_lock(engine: str, db_path, raw) -> bool:
    if engine == "postgresql":
        from warroom.adapters.sql.postgres.database import WRITE_LOCK

        # Autocommit: a lock it gets is released at once.
        return bool(raw.rows(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})")[0][0])
    return another_writer_gets_the_lock(db_path)
