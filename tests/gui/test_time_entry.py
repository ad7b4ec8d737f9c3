"""Times typed in the GUI carry their zone: the time field shows the zone and its UTC offset,
reads a time typed in another zone, and refuses what is not a time inline, saving nothing.
Incidents entered after the fact show the year and mark the rows written down later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from warroom.domain.incident import EventKind, KeyTime
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import postmortem_due
from warroom.ui.qtime import ENTERED_LATER, timeline_text
from warroom.ui.time_field import TimeField

PARIS = ZoneInfo("Europe/Paris")
IN_2019 = datetime(2019, 6, 3, 9, 15, tzinfo=UTC)


# -- the field on its own ------------------------------------------------------------------
def test_the_field_shows_the_zone_with_its_offset(qtbot):
    field = TimeField(zone=PARIS, near=datetime(2026, 11, 22, 13, 5, tzinfo=UTC))
    qtbot.addWidget(field)
    field.set_value(datetime(2026, 11, 22, 13, 5, tzinfo=UTC))
    assert field.text() == "2026-11-22 14:05  UTC+01:00 (Europe/Paris)"
    field.set_value(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert field.text() == "2026-07-01 14:00  UTC+02:00 (Europe/Paris)"  # summer time


def test_the_machine_zone_is_the_default(qtbot, machine_in_new_york):
    field = TimeField()
    qtbot.addWidget(field)
    field.set_value(datetime(2026, 11, 22, 14, 0, tzinfo=UTC))
    assert field.text() == "2026-11-22 09:00  UTC-05:00 (America/New_York)"


def test_a_time_typed_across_a_dst_change_gets_that_days_offset(qtbot):
    field = TimeField(zone=PARIS, near=datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    qtbot.addWidget(field)
    field.setText("2026-03-29 01:30")
    assert field.value() == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert field.text() == "2026-03-29 01:30  UTC+01:00 (Europe/Paris)"
    field.setText("2026-03-29 03:30")
    assert field.value() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert field.text() == "2026-03-29 03:30  UTC+02:00 (Europe/Paris)"


def test_an_explicit_offset_wins_and_the_field_reads_back_in_it(qtbot):
    field = TimeField(zone=UTC, near=datetime(2026, 11, 22, 18, 0, tzinfo=UTC))
    qtbot.addWidget(field)
    qtbot.keyClicks(field, "9:37 AM PST")
    assert field.value() == datetime(2026, 11, 22, 17, 37, tzinfo=UTC)  # not 09:37 UTC
    assert field.text() == "2026-11-22 09:37  UTC-08:00"
    field.setText("2026-11-22 14:05 +05:30")
    assert field.value() == datetime(2026, 11, 22, 8, 35, tzinfo=UTC)


def test_a_picked_zone_shows_the_same_moment(qtbot, monkeypatch):
    field = TimeField(zone=UTC)
    qtbot.addWidget(field)
    moment = datetime(2026, 11, 22, 13, 5, tzinfo=UTC)
    field.set_value(moment)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *args: ("UTC+09:00 (Asia/Tokyo)", True))
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert field.text() == "2026-11-22 22:05  UTC+09:00 (Asia/Tokyo)"
    assert field.value() == moment
    monkeypatch.setattr(QInputDialog, "getItem", lambda *args: ("-03:30", True))
    field.choose_zone()
    assert field.zone().utcoffset(None) == -timedelta(hours=3, minutes=30)
    assert field.value() == moment


def test_a_bad_entry_gets_a_message_and_no_value(qtbot):
    field = TimeField(zone=UTC)
    qtbot.addWidget(field)
    with qtbot.waitSignal(field.invalid) as said:
        field.setText("13:61")
        assert field.value() is None
    assert "is not a time" in said.args[0]
    assert field.message.text().endswith("Nothing saved.")
    assert not field.message.isHidden()
    qtbot.keyClicks(field, "x")  # typing again clears the message
    assert field.message.isHidden()


# -- the incident window --------------------------------------------------------------------
@pytest.fixture
def detail(qtbot, board):
    incident = board.service.declare("Cart errors", "P1", impact="EU shoppers")
    return board.window.open_incident(incident.id)


def test_a_key_time_typed_with_its_zone_is_saved_as_that_moment(qtbot, board, clock, detail):
    board.service.set_key_time(
        detail.incident_id, KeyTime.IMPACT_STARTED, clock.now() - timedelta(minutes=30)
    )
    edit = detail.time_edits[KeyTime.DETECTED]
    edit.setFocus()
    edit.clear()
    qtbot.keyClicks(edit, "2026-11-22 14:55 Europe/Paris")  # 13:55 UTC
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    detected = board.service.get(detail.incident_id).detected_at
    assert detected == datetime(2026, 11, 22, 13, 55, tzinfo=UTC)


def test_a_bad_key_time_is_refused_inline_and_nothing_is_saved(qtbot, board, detail):
    edit = detail.time_edits[KeyTime.DETECTED]
    before = board.service.timeline(detail.incident_id)
    edit.setFocus()
    qtbot.keyClicks(edit, "yesterday-ish")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "is not a time" in edit.message.text()
    assert edit.message.isVisible()
    assert board.service.get(detail.incident_id).detected_at is None
    assert board.service.timeline(detail.incident_id) == before


def test_a_note_time_typed_in_another_zone(qtbot, board, clock, detail):
    detail.note_time.setFocus()
    detail.note_time.clear()
    qtbot.keyClicks(detail.note_time, "08:40 -05:00")  # 13:40 UTC
    qtbot.keyClicks(detail.note_edit, "Deploy 4812 went out")
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    (note,) = [e for e in board.service.timeline(detail.incident_id) if e.kind is EventKind.NOTE]
    assert note.at == datetime(2026, 11, 22, 13, 40, tzinfo=UTC)


def test_tab_goes_from_key_time_to_key_time(qtbot, detail):
    first = detail.time_edits[KeyTime.IMPACT_STARTED]
    first.setFocus()
    order = [first]
    for _ in range(len(KeyTime) - 1):
        order.append(order[-1].nextInFocusChain())
        while not isinstance(order[-1], TimeField):
            order[-1] = order[-1].nextInFocusChain()
    assert order == list(detail.time_edits.values())


# -- incidents entered after the fact --------------------------------------------------------
@pytest.fixture
def back_entered(board, clock):
    """An incident of 2019, typed in today from the chat log."""
    service = board.service
    incident = service.declare(
        "Payments double-charged",
        "P1",
        impact="Some cards charged twice",
        impact_started_at=IN_2019 - timedelta(minutes=20),
        detected_at=IN_2019 - timedelta(minutes=5),
        declared_at=IN_2019,
    )
    service.add_note(
        incident.id, "Rolled back the payments release", at=IN_2019 + timedelta(minutes=30)
    )
    return incident


def test_an_incident_of_another_year_shows_the_year_and_marks_rows_entered_later(
    qtbot, board, clock, back_entered
):
    detail = board.window.open_incident(back_entered.id)
    table = detail.timeline_table
    first = table.item(0, 0)
    shown = IN_2019.astimezone()
    assert first.text().splitlines() == [f"{shown:%d %b} 2019 {shown:%H:%M}", ENTERED_LATER]
    assert "written down" in first.toolTip()
    assert timeline_text(clock.now(), clock.now()).startswith("Sun 22 Nov")


def test_the_presenter_and_post_mortem_show_the_year_and_the_mark(
    qtbot, board, clock, back_entered
):
    presenter = board.window.open_presenter()
    presenter.focus(back_entered.id)
    presenter.on_tick(clock.now())
    lines = presenter.events.text().splitlines()
    assert any("2019" in line and line.endswith("(entered later)") for line in lines)

    editor = board.window.open_postmortem(back_entered.id)
    when = editor.timeline_table.item(0, 1)
    assert when.text().splitlines() == ["03 Jun 2019 09:15", ENTERED_LATER]


def test_a_live_note_is_not_marked(qtbot, board, detail):
    board.service.add_note(detail.incident_id, "Looking at the dashboards")
    assert all(
        ENTERED_LATER not in detail.timeline_table.item(row, 0).text()
        for row in range(detail.timeline_table.rowCount())
    )


def test_a_back_entered_resolution_is_not_overdue_at_once(qtbot, board, clock, back_entered):
    service = board.service
    for status in (Status.MITIGATED, Status.RESOLVED):
        service.set_status(
            back_entered.id, status, "from the chat log", at=IN_2019 + timedelta(hours=2)
        )
    incident = service.get(back_entered.id)
    assert incident.resolved_at.year == 2019
    due_at = postmortem_due(incident, board.window.policy)
    assert due_at is not None and due_at > clock.now()
