"""Start-up: the board paints from a quick read, then becomes live."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from tests.gui.helpers import rows
from warroom import bootstrap
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.ui.gui_thread_gc import GuiThreadCollector


def test_the_board_opens_read_only_then_goes_live(qtbot, clock, policy, data_dir):
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    database = open_database(data_dir / "warroom.db", now=clock.now())
    services = bootstrap.build(database, clock, actor="alice", policy=policy)
    service = services.incidents
    service.declare("Known before start", "P1")
    early = service.list_incidents()
    window = MainWindow(
        None, policy, clock, Ticker(clock, running=False), database.path, None, early
    )
    qtbot.addWidget(window)
    assert [r["title"] for r in rows(window)] == ["Known before start"]
    assert not window.declare_action.isEnabled()
    assert window.summary.text() == "Opening the database…"

    service.declare("Declared meanwhile", "P0")
    window.attach(services)
    assert window.declare_action.isEnabled()
    assert [r["title"] for r in rows(window)] == ["Declared meanwhile", "Known before start"]
    database.dispose()


def _early_window(qtbot, policy, clock, database, early):
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    incidents, logged = early
    window = MainWindow(
        None,
        policy,
        clock,
        Ticker(clock, running=False),
        database.path,
        None,
        incidents,
        initial_logged=logged,
    )
    qtbot.addWidget(window)
    return window


def test_going_live_keeps_the_quick_read_when_nothing_was_logged_since(
    qtbot, clock, policy, data_dir, monkeypatch
):
    from warroom.adapters.sql.sqlite.quick_read import read_start_board

    database = open_database(data_dir / "warroom.db", now=clock.now())
    services = bootstrap.build(database, clock, actor="alice", policy=policy)
    services.incidents.declare("Known before start", "P1")
    window = _early_window(qtbot, policy, clock, database, read_start_board(database.path))
    listed: list[bool] = []
    real_list = services.incidents.list_incidents
    monkeypatch.setattr(
        services.incidents, "list_incidents", lambda c=False: listed.append(c) or real_list(c)
    )
    window.attach(services)
    assert listed == []  # the board already holds what a re-read would find
    assert [r["title"] for r in rows(window)] == ["Known before start"]
    # Live: the status bar no longer says the database is being opened.
    assert window.summary.text() == "1 open incident · 1 without a commander"
    database.dispose()


def test_going_live_reads_again_what_was_logged_after_the_quick_read(
    qtbot, clock, policy, data_dir
):
    from warroom.adapters.sql.sqlite.quick_read import read_start_board

    database = open_database(data_dir / "warroom.db", now=clock.now())
    services = bootstrap.build(database, clock, actor="alice", policy=policy)
    service = services.incidents
    known = service.declare("Known before start", "P1")
    early = read_start_board(database.path)
    assert early is not None and early[1] == service.newest_logged()
    window = _early_window(qtbot, policy, clock, database, early)
    service.declare("Declared meanwhile", "P0")  # by another warroom, or the CLI
    service.edit_title(known.id, "Renamed meanwhile")
    window.attach(services)
    assert [r["title"] for r in rows(window)] == ["Declared meanwhile", "Renamed meanwhile"]
    database.dispose()


def test_the_post_mortem_due_clocks_follow_once_the_start_is_usable(qtbot, clock, policy, data_dir):
    """At start the write-ups (a read of every resolved incident) come from the event loop
    just after the actions are on; a change meanwhile is not lost when they arrive."""
    database = open_database(data_dir / "warroom.db", now=clock.now())
    services = bootstrap.build(database, clock, actor="alice", policy=policy)
    service = services.incidents
    for title in ("Checkout returns 500", "Search down"):
        done = service.declare(title, "P1")
        service.set_status(done.id, "resolved", reason="recovered on its own")
    window = _early_window(qtbot, policy, clock, database, ([], None))
    window.attach(services, write_ups_after=True)
    assert window.declare_action.isEnabled()
    assert window.due_bar.texts() == []
    late = service.declare("Login slow", "P1")  # changed before the due clocks are read
    service.set_status(late.id, "resolved", reason="recovered on its own")
    qtbot.waitUntil(lambda: len(window.due_bar.texts()) == 3)
    assert sorted(t.split(" — ")[0] for t in window.due_bar.texts()) == [
        "✎ #1 Checkout returns 500",
        "✎ #2 Search down",
        "✎ #3 Login slow",
    ]
    database.dispose()


def test_run_gui_takes_the_quick_path_on_an_existing_database(qtbot, monkeypatch, data_dir, clock):

    database = open_database(data_dir / "warroom.db", now=clock.now())
    incident_service(database, clock).declare("Survives a restart", "P2")
    database.dispose()
    from warroom.ui.main_window import MainWindow

    windows = []
    real_show = MainWindow.show

    def remember_and_show(window) -> None:
        windows.append(window)
        real_show(window)

    def run_event_loop_until_live(_app) -> int:
        # Going live waits for the board's first paint, then runs from the event loop.
        qtbot.waitUntil(lambda: bool(windows) and windows[0].service is not None)
        return 0

    monkeypatch.setattr(MainWindow, "show", remember_and_show)
    monkeypatch.setattr(QApplication, "exec", run_event_loop_until_live)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    app = QApplication.instance()
    collectors_before = app.findChildren(GuiThreadCollector)
    assert bootstrap.run_gui(data_dir=data_dir) == 0
    (collector,) = [c for c in app.findChildren(GuiThreadCollector) if c not in collectors_before]
    collector.stop()  # the app's own, collecting on the GUI thread
    collector.deleteLater()
    (window,) = windows
    qtbot.addWidget(window)
    assert window.service is not None
    assert window.declare_action.isEnabled()
    assert [r["title"] for r in rows(window)] == ["Survives a restart"]
    window.ticker.stop()


def test_the_days_first_backup_is_taken_while_the_board_goes_live(qtbot, tmp_path, clock, policy):
    """Opening does not wait for the daily backup (most of a second on a large file): it is
    written on a thread of its own, checked and moved into place when done."""
    import threading

    from warroom.bootstrap import LocalBackend
    from warroom.system.paths import resolve_paths
    from warroom.ui import app

    paths = resolve_paths(tmp_path / "data")
    backend = LocalBackend(paths)
    started, release = threading.Event(), threading.Event()
    take = backend.daily_backup

    def slow_backup(path, now) -> None:
        started.set()
        assert release.wait(60)
        take(path, now)

    backend.daily_backup = slow_backup
    record = app.open_or_ask(backend, paths.database, clock, "Dana Reyes", policy)
    assert record is not None  # returned while the backup still waits
    assert started.wait(60)

    def dailies() -> list:
        return sorted(paths.backups.glob("*-daily.db"))

    assert dailies() == []
    record.services.incidents.declare("Written meanwhile", "P2")
    release.set()
    (thread,) = [t for t in threading.enumerate() if t.name == "warroom-daily-backup"]
    thread.join(60)
    assert len(dailies()) == 1
    record.dispose()


def test_a_restart_waits_for_the_days_backup_to_finish(monkeypatch):
    """Joining or leaving a shared war room starts warroom again in this process: the day's
    backup, still being written, is finished first, not cut off by the new program."""
    import logging
    import os
    import threading
    import time

    from warroom.ui import app

    finished: list[bool] = []

    def backup() -> None:
        time.sleep(0.2)
        finished.append(True)

    thread = threading.Thread(target=backup, name=app.DAILY_BACKUP_THREAD)
    thread.start()
    started_again: list[bool] = []
    monkeypatch.setattr(os, "execve", lambda *_args: started_again.append(bool(finished)))
    monkeypatch.setattr(logging, "shutdown", lambda: None)
    app.restart_app()
    assert started_again == [True]
