"""Starting the GUI: clock, policy, ticker and the main window, on a record opened through
the backend warroom.bootstrap hands in (the ui never imports the adapters).

Start-up paints the board first: when the database is already at this build's schema, a
standard-library read fills the board, and the heavier stack (SQLAlchemy, SQLModel, the
service) is imported and attached right after the first paint.

WARROOM_EXIT_AFTER=painted (or usable, or settled) makes the app print "warroom: painted"
when the board's first paint is done, "warroom: usable" once its actions work and
"warroom: settled" once the rest of the start (the post-mortem due clocks) is shown, on
standard output, up to the moment named, then quit: how tests/perf/bench_start_real.py
times the shipped program.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from warroom import __version__
from warroom.domain.clock import Clock, SystemClock
from warroom.system.collector import collector_paused
from warroom.system.logs import setup_logging
from warroom.system.paths import resolve_paths
from warroom.system.settings import (
    DATABASE_URL_ENV,
    load_policy,
    resolve_actor,
    save_shared_database,
)

if TYPE_CHECKING:
    from warroom.domain.incident import Incident
    from warroom.domain.policy import Policy
    from warroom.services.graph import OpenRecord, Services
    from warroom.ui.main_window import MainWindow


class Backend(Protocol):
    """What the GUI needs from storage, provided by warroom.bootstrap."""

    def quick_board(self, path: Path) -> tuple[list[Incident], int] | None:
        """The board read without the heavy stack, with the change log's newest entry then
        (`IncidentService.newest_logged`), or None when that cannot be done."""
        ...

    def open(self, path: Path, clock: Clock, actor: str, policy: Policy) -> OpenRecord:
        """Raises services.ports.StoreError when the record cannot be used."""
        ...

    def backups(self, path: Path) -> list[Path]:
        """The backups of the record at `path`, newest first."""
        ...

    def restore(self, path: Path, backup: Path, now: datetime) -> Path | None:
        """Puts `backup` in place; returns where the previous file was kept. Raises
        services.ports.BackupFailed or OSError."""
        ...

    def daily_backup(self, path: Path, now: datetime) -> None: ...

    shared: bool  # a shared war room on a server, not this laptop's file

    def check_shared(self, url: str) -> None:
        """Connects to the shared war room at `url` (setting up its schema when it is new);
        raises services.ports.StoreError saying why it cannot be used."""
        ...


log = logging.getLogger("warroom.ui.app")

EXIT_AFTER_ENV = "WARROOM_EXIT_AFTER"
# Going live waits for the board's first paint; a window that is never painted (started
# hidden, say) goes live after this long anyway.
GO_LIVE_FALLBACK_MS = 1000


def load_stylesheet(theme: str = "light") -> str:
    """The stylesheet filled from a theme's palette; Qt's defaults if it cannot be read."""
    from warroom.ui.theme import ThemeError, load_theme, stylesheet

    try:
        return stylesheet(load_theme(theme))
    except (OSError, ThemeError) as exc:
        log.warning("stylesheet unusable (%s); using Qt defaults", exc)
        return ""


def apply_saved_theme(app):
    """The theme chosen in View → Theme (default: follow the system), kept in QSettings."""
    from PySide6.QtCore import QSettings

    from warroom.ui.theme import SYSTEM, ThemeError, apply_theme

    choice = str(QSettings().value("view/theme", SYSTEM))
    try:
        return apply_theme(app, choice)
    except (OSError, ThemeError) as exc:
        log.warning("theme %s unusable (%s); using Qt defaults", choice, exc)
        return None


def open_or_ask(
    backend: Backend, path: Path, clock: Clock, actor: str, policy: Policy
) -> OpenRecord | None:
    """Opens the database. On a problem the dialog names the file and offers a way out:
    try again (a file another warroom kept busy), restore the latest backup (only for a
    file an integrity check found damaged; that file is kept), or open another data
    folder. None: the user gave up."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from warroom.services.ports import BackupFailed, StoreError

    while True:
        try:
            record = backend.open(path, clock, actor, policy)
        except StoreError as exc:
            log.error("cannot open %s: %s", path, exc)
            if backend.shared:
                if _ask_about_shared_room(str(exc)):
                    continue
                return None
            busy = exc.kind == StoreError.BUSY
            icon = QMessageBox.Icon.Warning if busy else QMessageBox.Icon.Critical
            box = QMessageBox(icon, "warroom: cannot open the data", str(exc))
            backups = backend.backups(path)
            retry = restore = None
            if busy:
                retry = box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole)
            if backups and exc.kind == StoreError.DAMAGED:
                restore = box.addButton(
                    f"Restore the latest backup ({backups[0].name})",
                    QMessageBox.ButtonRole.ActionRole,
                )
            other = box.addButton("Open another data folder…", QMessageBox.ButtonRole.ActionRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            clicked = box.clickedButton()
            if retry is not None and clicked is retry:
                continue
            if restore is not None and clicked is restore:
                try:
                    kept = backend.restore(path, backups[0], SystemClock().now())
                    log.warning(
                        "restored %s from %s; previous file kept as %s", path, backups[0], kept
                    )
                except (BackupFailed, OSError) as restore_error:
                    QMessageBox.critical(None, "warroom: restore failed", str(restore_error))
                continue
            if clicked is not other:
                return None
            chosen = QFileDialog.getExistingDirectory(None, "Choose a data folder")
            if not chosen:
                return None
            path = Path(chosen) / path.name
            continue
        _daily_backup_meanwhile(backend, path)
        return record


DAILY_BACKUP_THREAD = "warroom-daily-backup"


def _daily_backup_meanwhile(backend: Backend, path: Path) -> None:
    """The day's first backup (a copy of the file and its integrity check, most of a second
    on a large file) on a thread of its own, while the board goes live: SQLite's backup
    and check run without Python's lock. The copy is consistent whatever is written
    meanwhile, and moved into place only once checked; quitting waits for it to finish."""
    thread = threading.Thread(
        target=backend.daily_backup,
        args=(path, SystemClock().now()),
        name=DAILY_BACKUP_THREAD,
        daemon=False,
    )
    thread.start()


def _ask_about_shared_room(message: str) -> bool:
    """The shared war room cannot be used: True to try again. The user may instead go back
    to this laptop's own file (warroom restarts on it) or close."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "warroom: cannot join the war room", message)
    retry = box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole)
    local = box.addButton("Use this laptop's own file", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is local:
        save_shared_database(resolve_paths().settings_file, None)
        restart_app()
    return box.clickedButton() is retry


def restart_app(environment: dict[str, str] | None = None) -> None:
    """Starts warroom again in this process (after joining or leaving a shared war room),
    with the room the settings name: a --database on the command line and
    $WARROOM_DATABASE_URL no longer decide. `environment` adds variables (a password typed
    for this start only)."""
    argv = list(sys.argv[1:])
    while "--database" in argv:
        at = argv.index("--database")
        del argv[at : at + 2]
    argv = [a for a in argv if not a.startswith("--database=")]
    env = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    env.update(environment or {})
    program = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "warroom"]
    )
    log.info("restarting warroom: %s", " ".join(program + argv))
    for thread in threading.enumerate():
        if thread.name == DAILY_BACKUP_THREAD:
            thread.join()  # the new process must not find half a backup beside the file
    logging.shutdown()
    os.execve(program[0], program + argv, env)


def _add_room_actions(window: MainWindow, backend: Backend, location: str) -> None:
    """Incident → Join a shared war room… / Leave the shared war room."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMessageBox

    from warroom.ui.join_dialog import JoinRoomDialog

    settings = resolve_paths().settings_file
    join = QAction("&Join a shared war room…", window)
    join.setToolTip("Share one incident record with the other laptops, on a PostgreSQL server")
    leave = QAction("&Leave the shared war room", window)
    leave.setToolTip("Go back to this laptop's own file; nothing on the server changes")
    leave.setEnabled(backend.shared)

    def restart_with(environment: dict[str, str]) -> None:
        window.restart_requested = environment
        if not window.close():  # an editor's text could not be saved: stay
            window.restart_requested = None

    def joined(url: str, password: str) -> None:
        save_shared_database(settings, url)
        restart_with({"PGPASSWORD": password} if password else {})

    def ask_to_join() -> None:
        dialog = JoinRoomDialog(backend.check_shared, window)
        dialog.joined.connect(joined)
        dialog.open()

    def ask_to_leave() -> None:
        answer = QMessageBox.question(
            window,
            "Leave the shared war room",
            f"Leave the shared war room at {location}? warroom restarts on this laptop's "
            "own file. Nothing on the server changes, and you can join again later.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            save_shared_database(settings, None)
            restart_with({})

    join.triggered.connect(ask_to_join)
    leave.triggered.connect(ask_to_leave)
    window.incident_menu.insertActions(window.name_action, [join, leave])
    window.incident_menu.insertSeparator(window.name_action)


def _show_storage_warnings(window: MainWindow, record: OpenRecord) -> None:
    """What the user should know about the data folder (it is open to others), in the
    status bar: nothing stops, nothing is changed."""
    if record.warnings:
        window.statusBar().showMessage(" ".join(record.warnings), 60_000)


def _watch_for_waits(window: MainWindow, service) -> None:
    from warroom.ui.waiting import WaitingIndicator

    WaitingIndicator(service, window)


def _after_first_paint(window: MainWindow, painted, then) -> None:
    """`painted` right after the board's first paint (or the empty state's), then `then`
    from the event loop (or `then` after GO_LIVE_FALLBACK_MS if nothing is painted by then)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    done = False

    def run_once() -> None:
        nonlocal done
        if not done:
            done = True
            then()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802  (Qt's name)
            if event.type() == QEvent.Type.Paint:
                for shown in painters:
                    shown.removeEventFilter(self)
                # After this paint returns: the frame is drawn before the heavy work.
                QTimer.singleShot(0, painted)
                QTimer.singleShot(0, run_once)
            return False

    watcher = FirstPaint(window)
    # The board, or the empty state in its place while there is no open incident.
    painters = (window.board.viewport(), window.empty)
    for shown in painters:
        shown.installEventFilter(watcher)
    QTimer.singleShot(GO_LIVE_FALLBACK_MS, run_once)


class _StartHook:
    """The start-up benchmark's hook (EXIT_AFTER_ENV): says each moment as it comes, and
    quits once the one it waits for has come (saying nothing after that)."""

    def __init__(self, wanted: str, app) -> None:
        self.wanted = wanted if wanted in ("painted", "usable", "settled") else ""
        self.app = app

    def say(self, moment: str) -> None:
        if not self.wanted:
            return
        print(f"warroom: {moment}", flush=True)
        if moment == self.wanted:
            self.wanted = ""
            self.app.exit(0)


def run_gui(
    backend: Backend,
    data_dir: str | Path | None = None,
    title_suffix: str | None = None,
    actor: str | None = None,
) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from warroom.ui import pyside_source_check

    pyside_source_check.install()  # before the window's and the database's modules load
    from warroom.ui.errors import install_exception_hook, route_qt_messages, show_policy_warnings
    from warroom.ui.gui_thread_gc import GuiThreadCollector
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    app = QApplication.instance() or QApplication(sys.argv)
    # Before the first thread that runs Python (the file's check, the day's backup) starts.
    GuiThreadCollector(app)
    app.setOrganizationName("warroom")
    app.setApplicationName("warroom")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("warroom")  # type: ignore[attr-defined]  # a QGuiApplication; the stubs type instance() as QCoreApplication
    paths = resolve_paths(data_dir)
    log_file = setup_logging(paths.log_dir)
    route_qt_messages()
    install_exception_hook(log_file)
    theme = apply_saved_theme(app)
    policy, warnings = load_policy(paths)
    who = resolve_actor(actor, paths.settings_file)  # asked for in the window when unset
    clock = SystemClock()
    ticker = Ticker(clock)
    opened: list[OpenRecord] = []

    def build_window(
        location: str,
        services: Services | None,
        incidents: list[Incident] | None,
        logged: int | None = None,
    ) -> MainWindow:
        window = MainWindow(
            services,
            policy,
            clock,
            ticker,
            location,
            title_suffix,
            incidents,
            actor=who,
            initial_logged=logged,
        )
        if theme is not None:
            window.use_icons(theme)
        _add_room_actions(window, backend, location)
        window.show()
        show_policy_warnings(window, warnings)
        return window

    hook = _StartHook(os.environ.get(EXIT_AFTER_ENV, ""), app)
    early = backend.quick_board(paths.database)
    if early is not None:
        incidents, logged = early
        window = build_window(str(paths.database), None, incidents, logged)

        def go_live() -> None:
            # SQLAlchemy, the services and the opened record: a heap as long-lived as the
            # window, in which the collector's passes found nothing to free.
            with collector_paused(freeze=True):
                record = open_or_ask(backend, paths.database, clock, who.name, policy)
                if record is None:
                    app.exit(2)
                    return
                opened.append(record)
                window.attach(record.services, write_ups_after=True)
            _watch_for_waits(window, record.services.incidents)
            _show_storage_warnings(window, record)
            hook.say("usable")
            QTimer.singleShot(0, lambda: hook.say("settled"))  # after the due clocks' read

        # The board shows first; the heavy stack is imported once it is on screen.
        _after_first_paint(window, lambda: hook.say("painted"), go_live)
    else:
        record = open_or_ask(backend, paths.database, clock, who.name, policy)
        if record is None:
            return 2
        opened.append(record)
        window = build_window(record.location, record.services, None)
        _watch_for_waits(window, record.services.incidents)
        _show_storage_warnings(window, record)

        def live() -> None:
            hook.say("usable")
            hook.say("settled")

        _after_first_paint(window, lambda: hook.say("painted"), live)
    log.info("warroom %s started on %s", __version__, paths.database)
    try:
        code = app.exec()
    finally:
        for record in opened:
            record.dispose()
    if window.restart_requested is not None:  # joined or left a shared war room
        restart_app(window.restart_requested)
    return code
