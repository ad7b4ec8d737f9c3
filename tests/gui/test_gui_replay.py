"""The outage of tests/cli/test_cli_replay.py typed in through the GUI's own
dialogs and fields, days later: the declare dialog, the update dialog, the key-time fields
(each time typed with its own zone), and the Stage control. What the window shows, the
measures and the exported post-mortem must equal the values computed by hand.

By hand (all UTC):
  impact started 2026-11-13 22:50 America/Los_Angeles = 11-14 06:50; detected 23:02 = 07:02
  declared 08:15 (Europe/London); acknowledged 09:21 Europe/Paris = 08:21
  updates 14:00 Asia/Kolkata = 08:30 and 09:10 UTC; severity raised to P0 at 08:40
  mitigated 02:05 America/Los_Angeles = 10:05;
  resolved 11-15 01:30 America/Los_Angeles = 11-15 09:30
  measures: detect 12 min, acknowledge 1 h 19 min, first update 1 h 40 min,
            customer impact 3 h 15 min, resolve 1 d 2 h 40 min
  response: due 08:15 + 30 min = 08:45, acknowledged after 6 min: "acked in 6:00"
  cadence: P1 every 30 min from 08:15 -> 08:45; the 08:30 update -> 09:00; P0 from 08:40
  every 15 min -> 08:55 (missed: next update 09:10); 09:10 -> 09:25 (missed: mitigated only
  at 10:05) -> two P0 misses."""

from __future__ import annotations

from PySide6.QtCore import Qt

from warroom.domain.incident import KeyTime
from warroom.domain.severity import Severity
from warroom.domain.spans import Measure, first_update_at, span


def type_time(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert not field.error_text(), field.error_text()


def declare_from_the_chat_log(qtbot, board) -> int:
    dialog = board.window.declare_incident()
    qtbot.keyClicks(dialog.title_edit, "Payments API returns 502")
    dialog.severity_buttons[Severity.P1].setChecked(True)
    qtbot.keyClicks(dialog.impact_edit, "Card payments fail in EU and US")
    for field, text in (
        (dialog.started_edit, "2026-11-13 22:50 America/Los_Angeles"),
        (dialog.detected_edit, "2026-11-13 23:02 America/Los_Angeles"),
        (dialog.declared_edit, "2026-11-14 08:15 Europe/London"),
    ):
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, text)
    qtbot.keyClicks(dialog.service_edit, "payments")
    dialog.accept()
    assert dialog.declared is not None, dialog.error.text()
    return dialog.declared.id


def send_update(qtbot, window, text: str, when: str) -> None:
    dialog = window.mark_update_sent()
    qtbot.keyClicks(dialog.summary_edit, text)
    type_time(qtbot, dialog.when_edit, when)
    if dialog.isVisible():
        dialog.accept()
    assert dialog.recorded is not None, dialog.error.text()


def move_to(qtbot, window, stage: str) -> None:
    window.status_combo.setCurrentIndex(window.status_combo.findData(stage))
    qtbot.mouseClick(window.move_button, Qt.MouseButton.LeftButton)


def test_a_chat_log_typed_into_the_windows_gives_the_hand_computed_record(qtbot, board):
    incident_id = declare_from_the_chat_log(qtbot, board)
    window = board.window.open_incident(incident_id)
    # Out of order, as the scribe scrolls the chat log.
    send_update(qtbot, window, "Failover under way", "2026-11-14 09:10 UTC")
    type_time(qtbot, window.time_edits[KeyTime.ACKNOWLEDGED], "2026-11-14 09:21 Europe/Paris")
    send_update(qtbot, window, "Investigating 502s on payments", "2026-11-14 14:00 Asia/Kolkata")
    window.severity_combo.setCurrentIndex(window.severity_combo.findData("P0"))
    qtbot.keyClicks(window.severity_reason, "all regions")
    window.severity_when.setFocus()
    qtbot.keyClicks(window.severity_when, "2026-11-14 08:40 UTC")
    qtbot.mouseClick(window.severity_button, Qt.MouseButton.LeftButton)
    # The stage moves are made now (mitigated through the wizard's verification) and their
    # times corrected in the key-time fields.
    move_to(qtbot, window, "mitigated")
    wizard = board.window.wizards[incident_id]
    wizard.verify.check_kind.setCurrentIndex(wizard.verify.check_kind.findData("error_rate"))
    wizard.verify.detail.setText("error rate at baseline (chat log)")
    qtbot.mouseClick(wizard.verify.mitigated_button, Qt.MouseButton.LeftButton)
    move_to(qtbot, window, "resolved")
    type_time(qtbot, window.time_edits[KeyTime.MITIGATED], "2026-11-14 02:05 America/Los_Angeles")
    type_time(qtbot, window.time_edits[KeyTime.RESOLVED], "2026-11-15 01:30 America/Los_Angeles")

    service = board.service
    incident = service.get(incident_id)
    events = service.timeline(incident_id)
    utc = {k: incident.key_time(k).strftime("%m-%d %H:%M") for k in KeyTime}
    assert utc == {
        KeyTime.IMPACT_STARTED: "11-14 06:50",
        KeyTime.DETECTED: "11-14 07:02",
        KeyTime.DECLARED: "11-14 08:15",
        KeyTime.ACKNOWLEDGED: "11-14 08:21",
        KeyTime.MITIGATED: "11-14 10:05",
        KeyTime.RESOLVED: "11-15 09:30",
    }
    minutes = {m: span(incident, first_update_at(events), m) for m in Measure}
    assert {m: int(v.total_seconds() // 60) for m, v in minutes.items() if v} == {
        Measure.DETECT: 12,
        Measure.ACKNOWLEDGE: 79,
        Measure.FIRST_UPDATE: 100,
        Measure.MITIGATE: 195,  # customer impact
        Measure.RESOLVE: 24 * 60 + 160,
    }
    assert window.response_tile.value.text() == "acked in 6:00"
    assert (incident.severity, incident.severity_since.strftime("%H:%M")) == (Severity.P0, "08:40")

    # The window's timeline, by when things happened; the corrections are rows of today,
    # after them.
    table = window.timeline_table
    shown = [
        (table.item(r, 0).text().split("\n")[0], table.item(r, 2).text())
        for r in range(table.rowCount())
    ]
    assert [text for _when, text in shown[:10]] == [
        "Declared P1: Payments API returns 502",
        "Acknowledged by alice; alice is now incident commander",
        "Stakeholder update sent: Investigating 502s on payments",
        "Severity raised P1 → P0: all regions",
        "Update cadence missed: P0 update due 08:55 UTC",
        "Stakeholder update sent: Failover under way",
        "Update cadence missed: P0 update due 09:25 UTC",
        "Recovery verified (error rate back to baseline): error rate at baseline (chat log)",
        "Status changed: triage → mitigated",
        "Status changed: mitigated → resolved",
    ], shown
    assert all(when.startswith("Sun 22 Nov") for when, _text in shown[10:])

    markdown = board.services.postmortems.markdown(incident_id)
    for line in (
        "| Customer impact | 3 h 15 min (impact started to mitigated) |",
        "| Time to resolve | 1 d 2 h 40 min (impact started to resolved) |",
        "| Time to detect | detected − impact started | 12 min |",
        "| Time to first stakeholder update | first update sent − impact started | 1 h 40 min |",
        "| 2026-11-14 10:05 | Status changed: triage → mitigated (entered later, "
        "2026-11-22 14:00 UTC) |",
    ):
        assert line in markdown, line
