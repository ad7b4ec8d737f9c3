"""Who acted: asked on first start, kept in the settings, changed from the menu, and written
on every timeline row; acknowledging makes that name the incident commander."""

from __future__ import annotations

import getpass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from warroom.system.paths import resolve_paths
from warroom.system.settings import Actor, ActorSource, load_display_name, resolve_actor
from warroom.ui.your_name import YourNameDialog

LOGIN = Actor(f"{getpass.getuser()} (OS login)", ActorSource.LOGIN)


def name_dialog(qtbot, window) -> YourNameDialog:
    """The name dialog `window` shows, once it shows."""

    def shown() -> YourNameDialog | None:
        for dialog in window.findChildren(YourNameDialog):
            if dialog.isVisible():
                return dialog
        return None

    qtbot.waitUntil(lambda: shown() is not None, timeout=30_000)
    dialog = shown()
    assert dialog is not None
    return dialog


def press(qtbot, dialog: YourNameDialog, which: QDialogButtonBox.StandardButton) -> None:
    [buttons] = dialog.findChildren(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(which), Qt.MouseButton.LeftButton)


def who_column(window) -> list[str]:
    table = window.timeline_table
    return [table.item(row, 1).text() for row in range(table.rowCount())]


def test_first_start_asks_and_the_name_is_the_ic_on_acknowledging(qtbot, open_board):
    board = open_board(actor=LOGIN)
    dialog = name_dialog(qtbot, board.window)
    assert dialog.name_edit.text() == ""  # the login is not offered as a name
    qtbot.keyClicks(dialog.name_edit, "Dana Whitfield")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    assert not dialog.isVisible()
    assert load_display_name(resolve_paths().settings_file) == "Dana Whitfield"

    incident = board.service.declare("Checkout 500s", "P1")
    detail = board.window.open_incident(incident.id)
    qtbot.mouseClick(detail.ack_button, Qt.MouseButton.LeftButton)
    assert board.service.get(incident.id).commander == "Dana Whitfield"
    assert "IC: Dana Whitfield" in detail.status_label.text()
    assert who_column(detail) == ["Dana Whitfield", "Dana Whitfield"]
    assert detail.timeline_table.item(1, 2).text() == (
        "Acknowledged by Dana Whitfield; Dana Whitfield is now incident commander"
    )
    # The next start knows the name and does not ask again.
    assert resolve_actor(None, resolve_paths().settings_file) == Actor(
        "Dana Whitfield", ActorSource.SETTINGS
    )


def test_a_name_already_given_is_not_asked_for(qtbot, open_board):
    board = open_board(actor=Actor("Noor Haddad", ActorSource.ENV))
    qtbot.wait(50)
    assert board.window.findChildren(YourNameDialog) == []
    incident = board.service.declare("DNS", "P0")
    assert [e.actor for e in board.service.timeline(incident.id)] == ["Noor Haddad"]


def test_not_now_keeps_the_login_marked_as_such(qtbot, open_board):
    board = open_board(actor=LOGIN)
    press(qtbot, name_dialog(qtbot, board.window), QDialogButtonBox.StandardButton.Cancel)
    incident = board.service.declare("Checkout 500s", "P1")
    board.service.acknowledge(incident.id)
    assert board.service.get(incident.id).commander == LOGIN.name
    assert LOGIN.name.endswith(" (OS login)")
    assert load_display_name(resolve_paths().settings_file) == ""


def test_the_name_can_be_changed_from_the_menu(qtbot, board):
    incident = board.service.declare("Checkout 500s", "P1")
    board.window.name_action.trigger()
    dialog = name_dialog(qtbot, board.window)
    dialog.name_edit.clear()
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    assert dialog.isVisible() and "Type the name" in dialog.error.text()  # empty: refused
    qtbot.keyClicks(dialog.name_edit, "Lee Chen")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    detail = board.window.open_incident(incident.id)
    detail.note_edit.setText("Paged the database team")
    qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert who_column(detail) == ["alice", "Lee Chen"]
