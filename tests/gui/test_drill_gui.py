"""A tabletop drill from start to scorecard through the app's own windows, on a fake clock
with the ticker ticked by hand: Incident → Start a drill…, injects delivered on the board's
tick (once each, onto the incident window's timeline, announced), pause holding them, the
facilitator's inject now / skip / free text, the team acting in the incident window, the
end of the drill, and a scorecard showing what services.drills.scorecard() says; then the
drills page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from warroom.domain.playbook import load_playbook_file
from warroom.system.paths import builtin_playbook_file
from warroom.ui.drill_start_dialog import DrillStartDialog
from warroom.ui.drills_page import DrillsPage
from warroom.ui.facilitator_view import FacilitatorView

SCENARIO = "bad-deploy"
SPEED = 60.0  # a drill minute is a wall second


def injects(board, incident_id: int) -> list:
    return [e for e in board.service.timeline(incident_id) if e.data.get("drill") == "inject"]


def keys(board, incident_id: int) -> list[str]:
    return [str(e.data["inject"]) for e in injects(board, incident_id)]


def timeline_texts(window) -> list[str]:
    table = window.timeline_table
    return [table.item(row, 2).text() for row in range(table.rowCount())]


def start_from_menu(qtbot, board) -> FacilitatorView:
    window = board.window
    window.start_drill_action.trigger()
    dialog = window.findChild(DrillStartDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.speed.currentData() == 1.0  # real time unless chosen
    assert dialog.selected() is not None  # a scenario is chosen already
    dialog.select(SCENARIO)
    dialog.set_speed(SPEED)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.started_id is not None
    return window.facilitators[dialog.started_id]


def test_a_drill_from_the_menu_to_the_scorecard(qtbot, board, clock, monkeypatch):
    window = board.window
    drills = board.services.drills
    view = start_from_menu(qtbot, board)
    drill_id = view.incident_id
    incident = board.service.get(drill_id)
    assert incident.is_drill and window.board.selected_incident_id() == drill_id
    assert "[DRILL]" in view.heading.text()
    incident_window = window.open_incident(drill_id)

    # +0 falls due at the start: the first tick delivers it, once, and announces it.
    board.tick()
    board.tick()
    assert len(keys(board, drill_id)) == 1
    first = injects(board, drill_id)[0]
    assert any(first.text in text for text in timeline_texts(incident_window))
    assert "drill #" in window.statusBar().currentMessage()
    assert "delivered" in view.injects.item(0, 2).text()

    # The countdown turns with the clock; at +3 min (3 s) the next one arrives.
    clock.advance(seconds=1)
    board.tick()
    assert view.injects.item(1, 1).text() == "in 0:02"
    assert view.clock_label.text() == "+1:00"
    clock.advance(seconds=2)
    board.tick()
    assert len(injects(board, drill_id)) == 2

    # The team acknowledges in the incident window: the VP's "+5 min unless acknowledged"
    # is passed over when its time comes.
    qtbot.mouseClick(incident_window.ack_button, Qt.MouseButton.LeftButton)
    assert board.service.get(drill_id).acknowledged_at is not None

    # Paused, nothing falls due however long the clock runs.
    qtbot.mouseClick(view.pause_button, Qt.MouseButton.LeftButton)
    assert view.status.drill.paused and view.pause_button.text() == "&Resume"
    for _ in range(3):
        clock.advance(seconds=20)
        board.tick()
    assert len(injects(board, drill_id)) == 2
    assert view.injects.item(2, 1).text() == "held"
    qtbot.mouseClick(view.pause_button, Qt.MouseButton.LeftButton)
    assert not view.status.drill.paused

    clock.advance(seconds=2)  # +5 min: passed over (acknowledged)
    board.tick()
    assert len(injects(board, drill_id)) == 2
    assert "passed over" in view.injects.item(2, 2).text()

    # Inject now: the next scripted one (+8 min) at once; skip: the +10 min one.
    qtbot.mouseClick(view.inject_now_button, Qt.MouseButton.LeftButton)
    assert len(injects(board, drill_id)) == 3
    qtbot.mouseClick(view.skip_button, Qt.MouseButton.LeftButton)
    assert "skipped" in view.injects.item(4, 2).text()

    # A free-text inject, typed and sent with Enter; an empty one is refused in words.
    qtbot.keyClicks(view.free_edit, "The CFO joins the bridge")
    qtbot.keyClick(view.free_edit, Qt.Key.Key_Return)
    assert view.free_edit.text() == ""
    assert injects(board, drill_id)[-1].text.endswith("The CFO joins the bridge")
    assert any("The CFO joins the bridge" in t for t in timeline_texts(incident_window))
    qtbot.mouseClick(view.send_button, Qt.MouseButton.LeftButton)
    assert view.error.isVisible() and "empty" in view.error.text()

    # The team keeps working: an update, a rollback. The facilitator sees it.
    board.service.mark_update_sent(drill_id, "Checkout degraded; rolling back")
    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.apply(
        drill_id,
        playbook.option("rollback"),
        action="revert checkout-api to 4811",
        expected_effect="5xx back under 0.1 %",
    )
    team = [view.team.item(row, 2).text() for row in range(view.team.rowCount())]
    assert any("rolling back" in text for text in team)
    assert not any(text.startswith("Drill") for text in team)

    # The rest arrive on ticks, each once, however many ticks there are.
    for _ in range(20):
        clock.advance(seconds=1)
        board.tick()
        board.tick()
    delivered = keys(board, drill_id)
    assert len(delivered) == len(set(delivered))
    assert any("rollback to 4811 is complete" in e.text for e in injects(board, drill_id))

    # End the drill (it asks first); the scorecard tab shows what the service computes.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(view.end_button, Qt.MouseButton.LeftButton)
    assert view.status.drill.ended and not view.inject_now_button.isEnabled()
    assert view.tabs.currentWidget() is view.scorecard
    card = drills.scorecard(drill_id)
    assert view.scorecard.verdicts() == {c.label: c.verdict for c in card.checks}
    assert view.scorecard.score.text() == card.score_text
    assert view.scorecard.card == card and card.ended
    assert view.scorecard.provisional.isHidden()

    # Ended: the tick delivers nothing more.
    before = len(injects(board, drill_id))
    clock.advance(minutes=5)
    board.tick()
    assert len(injects(board, drill_id)) == before

    # The drills page lists it with its score; Enter opens its scorecard.
    window.drills_page_action.trigger()
    page = window.findChild(DrillsPage)
    assert page is not None and page.table.rowCount() == 1
    assert page.table.item(0, 4).text() == card.score_text
    view.close()
    page.table.setCurrentCell(0, 0)
    page.table.cellActivated.emit(0, 0)
    reopened = window.facilitators[drill_id]
    assert reopened.tabs.currentWidget() is reopened.scorecard


def test_the_markdown_export_writes_the_services_scorecard(qtbot, board, clock, tmp_path):
    drills = board.services.drills
    incident = drills.start(SCENARIO, SPEED)
    board.tick()
    view = board.window.open_facilitator(incident.id)
    assert view is not None
    scorecard = view.show_scorecard()
    assert scorecard.provisional.isVisible()  # still running: the card so far
    target = tmp_path / "card.md"
    assert scorecard.export(target)
    assert target.read_text(encoding="utf-8") == drills.markdown(incident.id)


def test_a_running_drills_scorecard_says_pending_for_a_target_not_reached_yet(qtbot, board, clock):
    view = start_from_menu(qtbot, board)
    scorecard = view.show_scorecard()
    shown = scorecard.verdicts()
    assert shown["Time to acknowledge"] == "pending"  # not acknowledged, target not reached
    assert shown["Evidence preserved before any change"] == "n/a"
    assert scorecard.score.text() == board.services.drills.scorecard(view.incident_id).score_text


def test_no_read_per_tick_when_no_drill_runs(board, clock, monkeypatch):
    drills = board.services.drills
    board.tick()  # the first tick reads once
    calls: list[str] = []
    for name in ("running", "next_due_at", "deliver_due", "status"):
        real = getattr(drills, name)
        monkeypatch.setattr(
            drills, name, lambda *a, _n=name, _r=real, **k: calls.append(_n) or _r(*a, **k)
        )
    for _ in range(30):
        clock.advance(seconds=1)
        board.tick()
    assert calls == []
    board.service.declare("Disk full on db-3", "P3")  # a change: read again, once
    board.tick()
    board.tick()
    assert calls.count("running") == 1  # next_due_at() is handed what running() read


def test_a_paused_drill_is_not_read_on_the_tick(board, clock, monkeypatch):
    drills = board.services.drills
    incident = drills.start(SCENARIO, SPEED)
    board.tick()
    drills.pause(incident.id)
    board.tick()
    assert board.window.drill_delivery.next_due is None
    calls: list[str] = []
    real = drills.deliver_due
    monkeypatch.setattr(drills, "deliver_due", lambda *a, **k: calls.append("d") or real(*a, **k))
    for _ in range(10):
        clock.advance(seconds=30)
        board.tick()
    assert calls == []
    drills.resume(incident.id)
    board.tick()
    assert board.window.drill_delivery.next_due is not None


def test_facilitate_asks_for_a_drill(board):
    incident = board.service.declare("Checkout slow", "P2")
    board.window.board.select_incident(incident.id)
    board.window.facilitate_action.trigger()
    assert board.window.facilitators == {}
    assert "Select a drill" in board.window.statusBar().currentMessage()


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_the_start_dialog_starts_at_the_chosen_speed(qtbot, board, speed):
    dialog = board.window.start_drill()
    dialog.select("ransomware")
    dialog.set_speed(speed)
    dialog.start()
    assert dialog.started_id is not None
    drill = board.services.drills.drill(dialog.started_id)
    assert drill.speed == speed
    assert board.window.facilitators[dialog.started_id].isVisible()


def test_closed_drill_windows_take_no_more_changes(qtbot, board, clock):
    from PySide6.QtCore import QCoreApplication, QEvent

    drills = board.services.drills
    incident = drills.start(SCENARIO, SPEED)
    page = board.window.show_drills()
    view = board.window.open_facilitator(incident.id)
    assert page.table.rowCount() == 1 and view is not None
    page.close()
    view.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert board.window.facilitators == {}
    drills.pause(incident.id)  # announced to every window still open: none of these
    board.tick()


def test_the_start_dialog_by_keyboard_alone(qtbot, board):
    dialog = board.window.start_drill()
    assert dialog.table.hasFocus() or dialog.focusWidget() is dialog.table
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    second = dialog.scenarios[1]
    assert dialog.selected() == second
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    drills = [i for i in board.service.list_incidents(include_closed=True) if i.is_drill]
    assert [i.title for i in drills] == [second.title]  # started once, at real time
    assert board.services.drills.drill(drills[0].id).speed == 1.0


def test_no_scenario_says_what_to_do(qtbot, board, monkeypatch):
    monkeypatch.setattr(board.services.drills, "scenarios", lambda: [])
    dialog = board.window.start_drill()
    assert dialog.error.isVisible() and "No drill scenario" in dialog.error.text()
    assert not dialog.start_button.isEnabled()
