"""The local file's writes share one kept connection (KeptWriter). What a user would notice if
it went wrong: another warroom locked out between writes or after a failed one, or a write
from a second thread lost or stuck instead of waiting its turn as it would for another
process.

No test here depends on timing: every wait is ended by the test itself (the waits are cut
short only to keep a refusal fast; its outcome does not depend on them)."""

from __future__ import annotations

import threading

import pytest

from tests.adapters.helpers import another_writer_gets_the_lock
from warroom.adapters.sql.sqlite import database as database_module
from warroom.domain.incident import EventKind
from warroom.services.incidents import WriteFailed


@pytest.fixture(autouse=True)
def short_waits(monkeypatch):
    monkeypatch.setattr(database_module, "WRITE_ATTEMPT_MS", 20)
    monkeypatch.setattr(database_module, "WRITE_WAIT_SECONDS", 0.3)


class Interrupted(Exception):
    pass


def interrupted_write(service, incident_id, also=lambda edit: None) -> None:
    """A write that adds a note, does `also`, then fails before it commits."""
    with pytest.raises(Interrupted), service.editing(incident_id, changes_incident=False) as edit:
        edit.event(EventKind.NOTE, "never saved")
        also(edit)
        raise Interrupted


def notes(service, incident_id) -> list[str]:
    return [e.text for e in service.timeline(incident_id) if e.kind is EventKind.NOTE]


def test_between_writes_another_warroom_can_write(service, db_path):
    incident = service.declare("Checkout 500s", "P1")
    service.add_note(incident.id, "rolled back 4812")
    service.assign_role(incident.id, "commander", "Dana")  # a write through the ORM session
    assert another_writer_gets_the_lock(db_path)


def test_a_write_that_fails_leaves_no_lock_behind_and_the_next_one_saves(service, db_path):
    incident = service.declare("Checkout 500s", "P1")
    interrupted_write(service, incident.id)
    assert another_writer_gets_the_lock(db_path)
    service.add_note(incident.id, "saved after the failure")
    assert notes(service, incident.id) == ["saved after the failure"]


def test_a_second_thread_waits_its_turn_says_so_and_loses_nothing(service):
    incident = service.declare("Checkout 500s", "P1")
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def long_write() -> None:
        try:
            with service.editing(incident.id, changes_incident=False) as edit:
                edit.event(EventKind.NOTE, "from the evidence worker")
                inside.set()
                release.wait()
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    heard: list[bool] = []

    def waiting(now_waiting: bool) -> None:
        heard.append(now_waiting)
        if now_waiting:
            release.set()  # the other write finishes while this one waits

    worker = threading.Thread(target=long_write, daemon=True)
    worker.start()
    try:
        assert inside.wait(timeout=60)
        service.when_waiting(waiting)
        service.add_note(incident.id, "typed by the commander")
    finally:
        release.set()  # however this write ended, the other one may finish
        worker.join()
    assert failures == []
    assert heard == [True, False]
    assert notes(service, incident.id) == ["from the evidence worker", "typed by the commander"]


def test_a_second_thread_that_waits_too_long_is_refused_as_busy_and_saves_nothing(service):
    incident = service.declare("Checkout 500s", "P1")
    inside, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with service.editing(incident.id, changes_incident=False) as edit:
            edit.event(EventKind.NOTE, "from the evidence worker")
            inside.set()
            release.wait()

    heard: list[bool] = []
    service.when_waiting(heard.append)
    worker = threading.Thread(target=long_write, daemon=True)
    worker.start()
    try:
        assert inside.wait(timeout=60)
        with pytest.raises(WriteFailed) as refused:
            service.add_note(incident.id, "never saved")
    finally:
        release.set()
        worker.join()
    assert heard == [True, False]
    assert "try again" in refused.value.message
    assert notes(service, incident.id) == ["from the evidence worker"]


def test_a_connection_broken_during_a_write_is_replaced_and_the_next_write_saves(service, db_path):
    incident = service.declare("Checkout 500s", "P1")

    def break_the_connection(edit) -> None:  # as a failing disk might
        edit.uow.connection().connection.driver_connection.close()

    interrupted_write(service, incident.id, break_the_connection)
    assert another_writer_gets_the_lock(db_path)
    service.add_note(incident.id, "saved on a new connection")
    assert notes(service, incident.id) == ["saved on a new connection"]
