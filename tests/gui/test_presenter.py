"""Presenter mode on the shared screen: the focused incident's values as rendered, the grid
of open incidents, readable sizes, privacy, and blinking that respects reduced motion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QFontMetrics

from warroom.domain.playbook import load_playbook_file
from warroom.services.mitigation import MitigationService
from warroom.system.paths import builtin_playbook_file
from warroom.ui.presenter import HIDDEN_NOTE, OVERDUE_BG


@pytest.fixture
def incident(board, clock):
    service = board.service
    incident = service.declare(
        "Checkout returns 500",
        "P0",
        impact="EU checkouts fail",
        impact_started_at=clock.now() - timedelta(minutes=5),
        commander="Priya Raman",
    )
    service.assign_role(incident.id, "tech_lead", "Sam Okafor")
    service.add_note(incident.id, "Merchant ACME escalated to their CEO", sensitive=True)
    service.add_note(incident.id, "Error rate 31 %")
    playbook = load_playbook_file(builtin_playbook_file())
    MitigationService(service).apply(
        incident.id,
        playbook.option("rollback"),
        action="revert 4812",
        expected_effect="errors stop",
    )
    return service.get(incident.id)


def rendered_text(presenter) -> str:
    """Everything the presenter's visible labels show, as a viewer reads it."""
    from PySide6.QtWidgets import QLabel

    return "\n".join(
        label.text() for label in presenter.findChildren(QLabel) if label.isVisibleTo(presenter)
    )


def test_the_presenter_shows_the_focused_incidents_values(board, incident, clock, qtbot):
    board.window.board.select_incident(incident.id)
    presenter = board.window.open_presenter()
    presenter.resize(1920, 1080)
    clock.advance(minutes=3, seconds=20)
    board.tick()
    assert presenter.badge.text() == "P0"
    assert presenter.title.text() == "Checkout returns 500"
    assert presenter.status.text() == "ACTIVE"
    assert presenter.elapsed.value.text() == "0:03:20"
    assert presenter.next_update.value.text() == "11:40 left"
    assert presenter.response.value.text() == "11:40 left"
    assert "Incident commander: Priya Raman" in presenter.roles.text()
    assert "Technical lead: Sam Okafor" in presenter.roles.text()
    assert presenter.mitigation.text() == (
        "Mitigation in progress: revert 4812: check back in 6:40"
    )
    latest = presenter.events.text().splitlines()
    assert len(latest) == 5 and latest[0].endswith(
        "Status changed: triage → active: mitigation under way"
    )


def test_with_nothing_focused_it_shows_every_open_incident(board, incident, clock):
    other = board.service.declare("Search slow", "P2")
    board.window.board.clearSelection()
    presenter = board.window.open_presenter()
    assert presenter.stack.currentWidget() is presenter.grid_page
    assert [i.id for i, _tile in presenter.grid_tiles] == [incident.id, other.id]
    # Selecting an incident on the board focuses it; stepping moves on.
    board.window.step_selection(1)
    assert presenter.focused_id == incident.id
    board.window.step_selection(1)
    assert presenter.focused_id == other.id
    assert presenter.title.text() == "Search slow"


def test_privacy_hides_sensitive_text_on_the_shared_screen(board, incident):
    board.window.board.select_incident(incident.id)
    presenter = board.window.open_presenter()
    assert presenter.private  # the shared screen starts safe
    shown = rendered_text(presenter)
    assert "ACME" not in shown
    assert HIDDEN_NOTE in shown
    assert "Error rate 31 %" in shown
    presenter.toggle_privacy()
    assert "Merchant ACME escalated to their CEO" in rendered_text(presenter)


@pytest.mark.parametrize(("height", "at_least"), [(1080, 48), (720, 32)])
def test_severity_and_clocks_are_large_and_scale_with_the_window(board, incident, height, at_least):
    board.window.board.select_incident(incident.id)
    presenter = board.window.open_presenter()
    presenter.resize(height * 16 // 9, height)
    board.tick()
    for label in (presenter.badge, presenter.elapsed.value, presenter.next_update.value):
        glyphs = QFontMetrics(label.font()).capHeight() / 0.72  # cap height ≈ 72 % of the em
        assert label.font().pixelSize() >= at_least, label.text()
        assert glyphs >= at_least * 0.9
        assert label.width() >= QFontMetrics(label.font()).horizontalAdvance(label.text())


def test_overdue_clocks_blink_or_stay_steady_with_reduced_motion(board, incident, clock):
    board.window.board.select_incident(incident.id)
    presenter = board.window.open_presenter()
    clock.advance(minutes=16)
    backgrounds = []
    for _ in range(2):
        clock.advance(seconds=1)
        board.tick()
        backgrounds.append(presenter.next_update.background())
    assert presenter.next_update.value.text().startswith("OVERDUE")
    assert set(backgrounds) == {OVERDUE_BG, "#0B0C0E"}  # on, off: it blinks

    board.window.reduced_motion_action.setChecked(True)
    steady = []
    for _ in range(2):
        clock.advance(seconds=1)
        board.tick()
        steady.append(presenter.next_update.background())
    assert steady == [OVERDUE_BG, OVERDUE_BG]


def test_the_grid_marks_drills_and_fits_each_title_to_its_tile(board, incident):
    service = board.service
    title = "Kubernetes control-plane upgrade broke pod scheduling across every production region"
    long = service.declare(title, "P1", commander="Dana Whitfield")
    drill = service.declare("Primary database failover", "P2", is_drill=True)
    service.declare("Search slow", "P3", commander="Noor Haddad-Lindqvist")
    board.window.board.clearSelection()
    presenter = board.window.open_presenter()
    presenter.resize(1366, 768)
    board.tick()
    tiles = {shown.id: tile for shown, tile in presenter.grid_tiles}

    # As read on the screen: the drill says so, like on the board and the focused view.
    assert tiles[drill.id].title.text().replace("\n", " ") == "[DRILL] Primary database failover"
    shown = tiles[long.id].title.text()
    assert shown.endswith("…")
    kept = shown.removesuffix("…").replace("\n", " ")
    assert title.startswith(kept) and title[len(kept)] == " "  # cut between two words
    for tile in tiles.values():
        label = tile.title
        lines = label.text().split("\n")
        metrics = QFontMetrics(label.font())
        assert all(metrics.horizontalAdvance(line) <= label.width() for line in lines)
        assert label.height() >= len(lines) * metrics.lineSpacing()  # descenders included
        # The stage and IC line keeps clear of the tile's border on both sides.
        detail = tile.detail.geometry()
        assert detail.left() >= 12 and tile.width() - detail.right() >= 12
        assert detail.bottom() < tile.clock.geometry().top()


def test_a_shrunk_clock_value_sits_level_with_its_neighbours(board, incident, clock):
    board.service.acknowledge(incident.id)
    board.window.board.select_incident(incident.id)
    presenter = board.window.open_presenter()
    presenter.resize(1366, 768)
    clock.advance(minutes=1)
    board.tick()
    tiles = (presenter.elapsed, presenter.next_update, presenter.response)
    assert presenter.response.value.text().startswith("acked in")
    assert presenter.response.value.font().pixelSize() < presenter.elapsed.value.font().pixelSize()
    assert len({tile.caption.geometry().top() for tile in tiles}) == 1
    assert len({tile.value.geometry().center().y() for tile in tiles}) == 1
