"""A wizard, post-mortem editor, incident window or evidence panel that was closed hears no
more about its incident: the next change to it is shown on the board, and nothing tries to
redraw the closed window (which has deleted itself)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication


@pytest.mark.parametrize("kind", ["wizard", "postmortem", "incident", "evidence"])
def test_a_change_after_closing_a_window_reaches_only_the_board(qtbot, board, kind):
    incident = board.service.declare("Checkout 500s", "P1")
    window = getattr(board.window, f"open_{kind}")(incident.id)
    window.close()
    QApplication.sendPostedEvents(None, 0)  # the deferred delete of the closed window
    board.service.acknowledge(incident.id)
    board.service.add_note(incident.id, "rolled back deploy 4812")
    QApplication.sendPostedEvents(None, 0)
    again = getattr(board.window, f"open_{kind}")(incident.id)
    assert again is not window  # a new window, not the closed one brought back
    [shown] = [i for i in board.window.model.incidents() if i.id == incident.id]
    assert shown.acknowledged_at is not None
