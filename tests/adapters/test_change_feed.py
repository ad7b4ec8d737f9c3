"""The change log as another process reads it: the typed changes of other writers, never its
own; and, when the log was pruned past what a reader last saw, everything as changed rather
than a window left stale. On both engines: the SQLite file and a shared PostgreSQL server."""

from __future__ import annotations

import time

import pytest

from tests.adapters.conftest import BOTH_ENGINES
from warroom.adapters.sql import unit_of_work
from warroom.bootstrap import incident_service
from warroom.domain.changes import Part


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def news(service, within=30.0):
    """What the next poll brings, once it brings anything: another writer's commit shows in
    the file's counter at once, while the server's NOTIFY arrives just after the commit (a
    poll before it finds nothing yet, and the next one finds it)."""
    deadline = time.monotonic() + within
    while not (seen := service.poll_elsewhere()) and time.monotonic() < deadline:
        time.sleep(0.005)
    return seen


def test_a_reader_gets_the_others_changes_typed_and_not_its_own(db, open_again, clock):
    mine = incident_service(db, clock, actor="alice")
    other = incident_service(open_again(), clock, actor="bob")
    incident = other.declare("Cart errors", "P1")
    mine.add_note(incident.id, "mine: nobody else needs telling")
    seen = news(mine)
    assert seen.parts_of(incident.id) == {Part.INCIDENT, Part.TIMELINE}
    other.add_note(incident.id, "bob: cache flushed")
    assert news(mine).parts_of(incident.id) == {Part.TIMELINE}
    assert not mine.poll_elsewhere()  # nothing new: one cheap look, nothing announced


def test_a_reader_behind_a_pruned_log_is_told_everything_changed(
    db, open_again, clock, monkeypatch
):
    monkeypatch.setattr(unit_of_work, "CHANGE_LOG_KEEP", 3)
    mine = incident_service(db, clock, actor="alice")
    other = incident_service(open_again(), clock, actor="bob")
    first = other.declare("Cart errors", "P1")
    second = other.declare("Search slow", "P3")
    assert news(mine).incident_ids == {first.id, second.id}
    for n in range(8):  # more than the log keeps
        other.add_note(first.id, f"note {n}")
    seen = news(mine)
    assert seen.incident_ids == {first.id, second.id}
    assert Part.INCIDENT in seen.parts_of(second.id)
