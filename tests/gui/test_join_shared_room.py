"""Incident → Join a shared war room… against a real PostgreSQL server: what is tried, what is
kept (never the password in the settings), and the way back to this laptop's own file."""

from __future__ import annotations

import stat
from urllib.parse import urlsplit

import pytest
from PySide6.QtWidgets import QMessageBox

from warroom.bootstrap import check_shared
from warroom.system.paths import resolve_paths
from warroom.system.settings import resolve_shared_database, save_shared_database
from warroom.ui.join_dialog import JoinRoomDialog


@pytest.fixture
def server_address(postgres_url):
    parts = urlsplit(postgres_url)
    return parts.hostname, parts.port, parts.path.lstrip("/"), parts.username


def _fill(dialog, host, port, database, user, *, tls="disable", password=""):
    dialog.host_edit.setText(host)
    dialog.port_spin.setValue(port)
    dialog.database_edit.setText(database)
    dialog.user_edit.setText(user)
    dialog.password_edit.setText(password)
    dialog.tls_combo.setCurrentIndex(dialog.tls_combo.findData(tls))


def _dialog(qtbot, tmp_path):
    dialog = JoinRoomDialog(lambda url: check_shared(url, tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    joined = []
    dialog.joined.connect(lambda url, password: joined.append((url, password)))
    return dialog, joined


def test_joining_tries_the_room_and_keeps_the_password_only_in_pgpass(
    qtbot, tmp_path, monkeypatch, server_address
):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    dialog, joined = _dialog(qtbot, tmp_path)
    host, port, database, user = server_address
    _fill(dialog, host, port, database, user, password="s3cret:x")
    dialog.remember_box.setChecked(True)
    assert "s3cret" not in dialog.preview.text()
    dialog.join()
    assert joined == [(f"postgresql://{user}@{host}:{port}/{database}?sslmode=disable", "")]
    pgpass = tmp_path / "pgpass"
    assert pgpass.read_text() == f"{host}:{port}:{database}:{user}:s3cret\\:x\n"
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600  # libpq reads nothing looser


def test_a_password_not_remembered_is_handed_to_this_start_only(
    qtbot, tmp_path, monkeypatch, server_address
):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    dialog, joined = _dialog(qtbot, tmp_path)
    _fill(dialog, *server_address, password="s3cret")
    dialog.join()
    assert joined[0][1] == "s3cret"
    assert not (tmp_path / "pgpass").exists()


def test_a_room_that_refuses_says_why_and_keeps_every_field(qtbot, tmp_path, server_address):
    dialog, joined = _dialog(qtbot, tmp_path)
    host, port, database, user = server_address
    _fill(dialog, host, port, database, user, tls="verify-full")  # the test server has no TLS
    dialog.join()
    assert joined == []
    assert dialog.error.isVisible()
    assert "Cannot open the shared war room" in dialog.error.text()
    assert dialog.host_edit.text() == host and dialog.user_edit.text() == user
    _fill(dialog, host, port, "no_such_room", user)
    dialog.join()
    assert joined == [] and "no_such_room" in dialog.error.text()


def test_missing_fields_are_named_before_anything_is_tried(qtbot):
    tried = []
    dialog = JoinRoomDialog(tried.append)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.join()
    assert tried == [] and dialog.error.text() == "Type the server."
    dialog.host_edit.setText("db.example")
    dialog.database_edit.clear()
    dialog.join()
    assert tried == [] and dialog.error.text() == "Type the database."


class _Backend:
    def __init__(self, shared: bool, folder) -> None:
        self.shared = shared
        self._folder = folder

    def check_shared(self, url: str) -> None:
        check_shared(url, self._folder)


def _room_actions(window):
    actions = {a.text(): a for a in window.incident_menu.actions()}
    return actions["&Join a shared war room…"], actions["&Leave the shared war room"]


def test_joining_from_the_menu_remembers_the_room_and_starts_again_on_it(
    qtbot, board, tmp_path, server_address
):
    from warroom.ui.app import _add_room_actions

    window = board.window
    _add_room_actions(window, _Backend(False, tmp_path), "the local file")
    join, leave = _room_actions(window)
    assert not leave.isEnabled()  # nothing to leave on this laptop's own file
    join.trigger()
    qtbot.waitUntil(lambda: window.findChild(JoinRoomDialog) is not None)
    dialog = window.findChild(JoinRoomDialog)
    _fill(dialog, *server_address, password="typed-now")
    dialog.join()
    host, port, database, user = server_address
    kept = resolve_shared_database(None, resolve_paths().settings_file)
    assert kept == f"postgresql://{user}@{host}:{port}/{database}?sslmode=disable"
    assert "typed-now" not in resolve_paths().settings_file.read_text()
    assert window.restart_requested == {"PGPASSWORD": "typed-now"}
    assert not window.isVisible()


def test_leaving_asks_first_then_forgets_the_room(qtbot, board, tmp_path, monkeypatch):
    from warroom.ui.app import _add_room_actions

    settings = resolve_paths().settings_file
    save_shared_database(settings, "postgresql://alice@db.example/warroom")
    window = board.window
    _add_room_actions(window, _Backend(True, tmp_path), "postgresql://alice@db.example/warroom")
    _, leave = _room_actions(window)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: answers.pop(0))
    leave.trigger()
    assert resolve_shared_database(None, settings) == "postgresql://alice@db.example/warroom"
    assert window.restart_requested is None and window.isVisible()
    leave.trigger()
    assert resolve_shared_database(None, settings) is None
    assert window.restart_requested == {} and not window.isVisible()
