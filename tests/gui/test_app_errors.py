"""What a user sees when the data or the policy cannot be used."""

from __future__ import annotations

import sqlite3

from PySide6.QtWidgets import QApplication, QMessageBox

from tests.conftest import START
from warroom import bootstrap
from warroom.bootstrap import incident_service


def test_a_policy_problem_is_shown_naming_the_file_and_key(qtbot, board):
    from warroom.ui.errors import show_policy_warnings

    show_policy_warnings(board.window, ["The policy file /x/policy.toml has a problem at “a.b”"])
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert any("/x/policy.toml" in b.text() and "a.b" in b.text() for b in boxes)
    for box in boxes:
        box.close()


def test_a_file_that_is_not_a_database_gets_a_dialog_naming_it(qtbot, tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    data = tmp_path / "data"
    data.mkdir()
    (data / "warroom.db").write_bytes(b"not a database at all" * 50)
    shown: list[str] = []

    def record(box: QMessageBox) -> int:
        shown.append(box.text())
        return 0  # the user closes the dialog

    monkeypatch.setattr(QMessageBox, "exec", record)
    status = bootstrap.run_gui(data_dir=data)
    assert status == 2
    assert shown and str(data / "warroom.db") in shown[0]
    assert (data / "warroom.db").read_bytes() == b"not a database at all" * 50


def test_an_unhandled_exception_shows_a_dialog_with_the_details(qtbot, monkeypatch, tmp_path):
    import sys

    from warroom.ui.errors import install_exception_hook

    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_exception_hook(tmp_path / "warroom.log")
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert "RuntimeError: disk on fire" in shown[0].informativeText()
    assert "Traceback" in shown[0].detailedText()


# -- busy, damaged, foreign: the way out offered fits what was found -------------------------------
def _dialogs_while_opening(monkeypatch, data, answer=None):
    """Runs the GUI's opening of `data`; returns each dialog as (text, button labels) and
    whether it opened. `answer(box)` may click a button; otherwise the user closes it."""
    import sys

    shown: list[tuple[str, list[str]]] = []

    def record(box: QMessageBox) -> int:
        shown.append((box.text(), [b.text() for b in box.buttons()]))
        if answer is not None:
            answer(box)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", record)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    from tests.gui.helpers import open_or_ask

    database = open_or_ask(data / "warroom.db")
    if database is not None:
        database.dispose()
    return shown, database is not None


def _with_a_backup(data):
    from warroom.adapters.sql.sqlite.backup import take_backup
    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import FakeClock

    database = open_database(data / "warroom.db")
    incident_service(database, FakeClock(START)).declare("Before the trouble", "P2")
    database.dispose()
    take_backup(data / "warroom.db", data / "backups", "daily", START)


def test_a_busy_file_is_offered_try_again_never_a_restore(qtbot, tmp_path, monkeypatch):
    from tests.adapters.helpers import held_by_another_process
    from warroom.adapters.sql.sqlite import database as database_module

    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(database_module, "WRITE_ATTEMPT_MS", 20, raising=False)
    monkeypatch.setattr(database_module, "OPEN_WAIT_SECONDS", 0.2, raising=False)
    data = tmp_path / "data"
    _with_a_backup(data)
    before = (data / "warroom.db").read_bytes()
    with held_by_another_process(data / "warroom.db", "exclusive") as release:

        def the_other_window_finishes_then_try_again(box: QMessageBox) -> None:
            release()
            (retry,) = [b for b in box.buttons() if b.text() == "Try again"]
            retry.click()

        shown, opened = _dialogs_while_opening(
            monkeypatch, data, the_other_window_finishes_then_try_again
        )
    ((text, buttons),) = shown
    assert "another warroom is writing to" in text and "not damaged" in text
    assert "Try again" in buttons
    assert not any(label.startswith("Restore") for label in buttons)
    assert opened, "trying again once the other warroom is done opens the file"
    assert (data / "warroom.db").read_bytes() == before


def test_a_damaged_file_is_offered_the_latest_backup(qtbot, tmp_path, monkeypatch):
    data = tmp_path / "data"
    _with_a_backup(data)
    path = data / "warroom.db"
    with sqlite3.connect(path) as conn:  # a clean file with every page in it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damaged = path.read_bytes()
    damaged = damaged[:4096] + b"\xff" * 4096 + damaged[8192:]
    path.write_bytes(damaged)
    shown, opened = _dialogs_while_opening(monkeypatch, data)
    ((text, buttons),) = shown
    assert "is damaged" in text
    assert any(label.startswith("Restore the latest backup") for label in buttons)
    assert path.read_bytes() == damaged


def test_another_program_s_file_is_not_offered_a_restore(qtbot, tmp_path, monkeypatch):
    from tests.adapters.helpers import FOREIGN_SHAPES, folder_state

    data = tmp_path / "data"
    _with_a_backup(data)
    (data / "warroom.db").unlink()
    FOREIGN_SHAPES["photo catalogue"](data / "warroom.db")
    before = folder_state(data)
    shown, opened = _dialogs_while_opening(monkeypatch, data)
    ((text, buttons),) = shown
    assert "is not a warroom database" in text
    assert not any(label.startswith("Restore") for label in buttons)
    assert folder_state(data) == before


# -- waiting for the other window -------------------------------------------------------------
def test_a_write_waiting_for_another_window_shows_it_then_saves(qtbot, board, monkeypatch):
    from PySide6.QtGui import QGuiApplication

    from tests.adapters.helpers import held_here
    from warroom.adapters.sql.sqlite import database as database_module
    from warroom.ui.waiting import WAITING_TEXT, WaitingIndicator

    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(database_module, "WRITE_ATTEMPT_MS", 20, raising=False)
    WaitingIndicator(board.service, board.window)
    incident = board.service.declare("Checkout 500s", "P1")
    seen: list[tuple[str, bool]] = []
    with held_here(board.database.path) as release:

        def while_waiting(waiting: bool) -> None:  # subscribed after the window's own
            if waiting:
                busy = QGuiApplication.overrideCursor() is not None
                seen.append((board.window.statusBar().currentMessage(), busy))
                release()

        board.service.when_waiting(while_waiting)
        board.service.add_note(incident.id, "typed while the other window wrote")
    assert seen == [(WAITING_TEXT, True)]
    assert board.window.statusBar().currentMessage() == ""
    assert QGuiApplication.overrideCursor() is None
    assert board.service.timeline(incident.id)[-1].text == "typed while the other window wrote"


def test_a_data_folder_open_to_others_is_named_in_the_status_bar(qtbot, tmp_path, monkeypatch):
    import sys

    from warroom.ui.main_window import MainWindow

    data = tmp_path / "team"
    data.mkdir()
    data.chmod(0o2775)
    windows: list[MainWindow] = []
    real_show = MainWindow.show

    def remember_and_show(window) -> None:  # type: ignore[no-untyped-def]
        windows.append(window)
        real_show(window)

    monkeypatch.setattr(MainWindow, "show", remember_and_show)
    monkeypatch.setattr(QApplication, "exec", lambda _app: 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    assert bootstrap.run_gui(data_dir=data) == 0
    (window,) = windows
    qtbot.addWidget(window)
    assert f"{data} is open to other users (mode 2775)" in window.statusBar().currentMessage()
    assert data.stat().st_mode & 0o7777 == 0o2775
    window.ticker.stop()
