"""The status bar never draws two texts over each other: a reminder announced while the
window was still opening hides the incident summary under it, as one announced later does."""

from __future__ import annotations


def test_a_reminder_announced_before_the_window_shows_does_not_overlap_the_summary(
    open_board, clock
):
    first = open_board()
    first.service.declare("Payments down", "P0")
    first.window.close()
    clock.advance(minutes=20)  # nobody acknowledged the P0 within 15 min: a reminder at start
    board = open_board()
    bar = board.window.statusBar()
    assert "response target breached" in bar.currentMessage()
    assert not board.window.summary.isVisible()
    bar.clearMessage()
    assert board.window.summary.isVisible()
    assert board.window.summary.text() == "1 open incident · 1 without a commander"
