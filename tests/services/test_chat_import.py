"""A chat log onto an incident's timeline: each message a backdated note by its author, all in
one unit of work, and never twice. The clock reads 2026-11-22 14:00 UTC (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.chat_log import ChatLog, parse_text_log
from warroom.domain.incident import EventKind
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.chat_import import ChatImportService

DAY = datetime(2026, 11, 22, tzinfo=UTC).date()
LOG = """\
13:01 Ana Lima: checkout p99 above 4s
13:04:30 Ben Okafor: rolling back api 4.2
13:04:30 Ben Okafor:
13:12 Ana Lima: errors down
"""


def at(hms: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-22T{hms}+00:00")


@pytest.fixture
def incident(service):
    return service.declare(
        "Checkout down", "P1", impact_started_at=at("12:55:00"), declared_at=at("13:10:00")
    ).id


@pytest.fixture
def importer(service):
    return ChatImportService(service)


def notes(service, incident_id):
    return [
        (e.at, e.actor, e.text, e.data)
        for e in service.timeline(incident_id)
        if e.kind is EventKind.NOTE
    ]


def log(text: str = LOG) -> ChatLog:
    return parse_text_log(text, DAY, UTC)


def test_each_message_is_a_note_at_its_time_by_whoever_imports(service, importer, incident):
    done = importer.add(incident, log())
    assert (len(done.new), done.already, done.skipped) == (3, 0, 1)
    rows = notes(service, incident)
    assert [(when, actor, text) for when, actor, text, _ in rows] == [
        (at("13:01:00"), "alice", "Ana Lima (chat): checkout p99 above 4s"),
        (at("13:04:30"), "alice", "Ben Okafor (chat): rolling back api 4.2"),
        (at("13:12:00"), "alice", "Ana Lima (chat): errors down"),
    ]
    data = rows[1][3]
    assert data == {
        "author": "Ben Okafor",
        "source": "text",
        "imported": True,
        "chat_key": log().messages[1].key,
        "backdated": True,
    }
    noted = [e.id for e in service.timeline(incident) if e.kind is EventKind.NOTE]
    assert [e.id for e in done.notes] == noted


def test_a_second_import_adds_nothing(service, importer, incident, stored_counts):
    importer.add(incident, log())
    before = stored_counts()
    again = importer.add(incident, log())
    assert (again.new, again.already, again.skipped, again.notes) == ([], 3, 1, [])
    assert stored_counts() == before


def test_a_longer_log_later_adds_only_what_is_new(service, importer, incident):
    importer.add(incident, log())
    more = importer.add(incident, log(LOG + "13:20 Chloé: monitoring\n"))
    assert [m.text for m in more.new] == ["monitoring"]
    assert more.already == 3


def test_a_preview_says_what_would_be_added_and_adds_nothing(
    service, importer, incident, stored_counts
):
    before = stored_counts()
    preview = importer.preview(incident, log())
    assert [m.note for m in preview.new] == [
        "Ana Lima (chat): checkout p99 above 4s",
        "Ben Okafor (chat): rolling back api 4.2",
        "Ana Lima (chat): errors down",
    ]
    assert (preview.already, preview.skipped, preview.notes) == (0, 1, [])
    assert stored_counts() == before
    importer.add(incident, log())
    assert importer.preview(incident, log()).already == 3


def test_a_message_far_before_the_incident_needs_confirming_and_then_all_of_it_goes_in(
    service, importer, incident, stored_counts
):
    early = log("--- 2026-11-20 ---\n13:01 Ana Lima: deploy 4.2 staged\n--- 2026-11-22 ---\n" + LOG)
    before = stored_counts()
    for attempt in (importer.preview, importer.add):
        with pytest.raises(NeedsConfirmation, match="The message from Ana Lima"):
            attempt(incident, early)
    assert stored_counts() == before  # not even the messages that were fine
    importer.add(incident, early, confirmed=True)
    assert notes(service, incident)[0][0] == at("13:01:00") - timedelta(days=2)


def test_a_message_in_the_future_is_refused(service, importer, incident, stored_counts):
    before = stored_counts()
    with pytest.raises(ValidationError, match="is in the future"):
        importer.add(incident, log(LOG + "14:30 Ana Lima: all clear\n"))
    assert stored_counts() == before


def test_a_closed_incident_takes_no_import(service, importer, stored_counts):
    incident = service.declare("Slow search", "P3", declared_at=at("13:10:00")).id
    service.set_status(incident, "closed", reason="fixed itself")
    before = stored_counts()
    for attempt in (importer.preview, importer.add):
        with pytest.raises(ValidationError, match="is closed"):
            attempt(incident, log())
    assert stored_counts() == before
