"""F1 lists every keyboard shortcut the app has, where it works, read from the same tables
the windows bind their keys from; and the README's key table keeps up with it."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

README = Path(__file__).resolve().parents[2] / "README.md"
NATIVE = QKeySequence.SequenceFormat.NativeText


def _window_of(owner: QObject) -> QWidget | None:
    parent = owner.parent()
    while parent is not None and not isinstance(parent, QWidget):
        parent = parent.parent()
    return None if parent is None else parent.window()


def bound_keys(window: QWidget) -> set[str]:
    """Every key a window's own shortcuts and actions answer to, as F1 writes keys."""
    found: set[str] = set()
    for owner in (*window.findChildren(QShortcut), *window.findChildren(QAction)):
        if _window_of(owner) is window:
            keys = owner.keys() if isinstance(owner, QShortcut) else owner.shortcuts()
            found.update(k.toString(NATIVE) for k in keys if not k.isEmpty())
    return found


def test_f1_lists_every_key_each_window_answers_to(board):
    incident = board.service.declare("Checkout 500s", "P1", impact="EU shoppers")
    main = board.window
    main.board.select_incident(incident.id)
    help_dialog = main.show_shortcuts()
    # Where F1 says a key works -> that window, opened (children of the board: they close
    # with it).
    windows = {
        "Board": main,
        "Incident": main.open_incident(incident.id),
        "Mitigation wizard": main.open_wizard(incident.id),
        "Stakeholder message": main.open_message(incident.id),
        "Post-mortem": main.open_postmortem(incident.id),
        "Evidence": main.open_evidence(incident.id),
        "Presenter": main.open_presenter(),
        "Keyboard shortcuts": help_dialog,
    }
    shown = help_dialog.shown()
    listed = {where: {keys for w, keys, _what in shown if w == where} for where in windows}
    for where, window in windows.items():
        missing = bound_keys(window) - listed[where]
        assert not missing, f"F1 does not list {sorted(missing)} of the {where} window"
    # The ones a user missed, as F1 words them.
    assert ("Incident", "Ctrl+Shift+E", "Evidence checklist and vault") in shown
    assert ("Board", "Enter", "Open the selected incident (or double-click it)") in shown
    assert ("Board", "Ctrl+Shift+M", "Metrics") in shown
    assert ("Evidence", "Ctrl+O", "Collect files") in shown


def test_the_readme_key_table_has_every_board_and_incident_key(board):
    dialog = board.window.show_shortcuts()
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| keys | action |") :].split("\n\n", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", table, re.M)  # the keys column
    documented = {
        key.strip().split(" (")[0].replace(" or double-click", "")
        for cell in cells
        for key in cell.split("/")
    }
    wanted = {keys for where, keys, _what in dialog.shown() if where in ("Board", "Incident")}
    assert wanted - documented == set()
