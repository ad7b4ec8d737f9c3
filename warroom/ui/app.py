"""Composition root: builds clock, policy, store, service, ticker and the main window.

Start-up paints the board first: when the database is already at this build's schema, a
standard-library read fills the board, and the heavier stack (SQLAlchemy, SQLModel, the
service) is imported and attached right after the first paint.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from warroom import __version__
from warroom.adapters.sqlite.backup import daily_backup
from warroom.domain.clock import Clock, SystemClock
from warroom.system.logs import setup_logging
from warroom.system.paths import resolve_paths
from warroom.system.settings import load_policy, resolve_actor

if TYPE_CHECKING:
    from warroom.adapters.sqlite.database import Database
    from warroom.domain.policy import Policy
    from warroom.ui.main_window import MainWindow

log = logging.getLogger("warroom.ui.app")


def load_stylesheet(theme: str = "light") -> str:
    """The stylesheet filled from a theme's palette; Qt's defaults if it cannot be read."""
    from warroom.ui.theme import ThemeError, load_theme, stylesheet

    try:
        return stylesheet(load_theme(theme))
    except (OSError, ThemeError) as exc:
        log.warning("stylesheet unusable (%s); using Qt defaults", exc)
        return ""


def apply_saved_theme(app):  # type: ignore[no-untyped-def]
    """The theme chosen in View → Theme (default: follow the system), kept in QSettings."""
    from PySide6.QtCore import QSettings

    from warroom.ui.theme import SYSTEM, ThemeError, apply_theme

    choice = str(QSettings().value("view/theme", SYSTEM))
    try:
        return apply_theme(app, choice)
    except (OSError, ThemeError) as exc:
        log.warning("theme %s unusable (%s); using Qt defaults", choice, exc)
        return None


def open_database_or_ask(path: Path) -> Database | None:
    """Opens the database. On a problem the dialog names the file and offers a way out:
    try again (a file another warroom kept busy), restore the latest backup (only for a
    file an integrity check found damaged; that file is kept), or open another data
    folder. None: the user gave up."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from warroom.adapters.sqlite.backup import BackupError, list_backups, restore_backup
    from warroom.adapters.sqlite.database import StoreError, open_database

    while True:
        try:
            database = open_database(path)
        except StoreError as exc:
            log.error("cannot open %s: %s", path, exc)
            busy = exc.kind == StoreError.BUSY
            icon = QMessageBox.Icon.Warning if busy else QMessageBox.Icon.Critical
            box = QMessageBox(icon, "warroom: cannot open the data", str(exc))
            backups = list_backups(path.parent / "backups")
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
                    kept = restore_backup(path, backups[0], SystemClock().now())
                    log.warning(
                        "restored %s from %s; previous file kept as %s", path, backups[0], kept
                    )
                except (BackupError, OSError) as restore_error:
                    QMessageBox.critical(None, "warroom: restore failed", str(restore_error))
                continue
            if clicked is not other:
                return None
            chosen = QFileDialog.getExistingDirectory(None, "Choose a data folder")
            if not chosen:
                return None
            path = Path(chosen) / path.name
            continue
        daily_backup(database.path, SystemClock().now())
        return database


def _show_storage_warnings(window: MainWindow, database: Database) -> None:
    """What the user should know about the data folder (it is open to others), in the
    status bar: nothing stops, nothing is changed."""
    if database.warnings:
        window.statusBar().showMessage(" ".join(database.warnings), 60_000)


def _watch_for_waits(window: MainWindow, service) -> None:  # type: ignore[no-untyped-def]
    from warroom.ui.waiting import WaitingIndicator

    WaitingIndicator(service, window)


def _make_service(database: Database, clock: Clock, policy: Policy, actor: str):  # type: ignore[no-untyped-def]
    from warroom.services.incidents import IncidentService

    return IncidentService(database, clock, actor=actor, policy=policy)


def run_gui(
    data_dir: str | Path | None = None,
    title_suffix: str | None = None,
    actor: str | None = None,
) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from warroom.adapters.sqlite.quick_read import read_board
    from warroom.ui.errors import install_exception_hook, route_qt_messages, show_policy_warnings
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName("warroom")
    app.setApplicationName("warroom")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("warroom")
    paths = resolve_paths(data_dir)
    log_file = setup_logging(paths.log_dir)
    route_qt_messages()
    install_exception_hook(log_file)
    theme = apply_saved_theme(app)
    policy, warnings = load_policy(paths)
    who = resolve_actor(actor, paths.settings_file)  # asked for in the window when unset
    clock = SystemClock()
    ticker = Ticker(clock)
    opened: list[Database] = []

    def build_window(database_path: Path, service, incidents) -> MainWindow:  # type: ignore[no-untyped-def]
        window = MainWindow(
            service,
            policy,
            clock,
            ticker,
            database_path,
            title_suffix,
            incidents,
            user_templates=paths.user_templates,
            actor=who,
        )
        if theme is not None:
            window.use_icons(theme)
        window.show()
        show_policy_warnings(window, warnings)
        return window

    early = read_board(paths.database)
    if early is not None:
        window = build_window(paths.database, None, early)

        def go_live() -> None:
            database = open_database_or_ask(paths.database)
            if database is None:
                app.exit(2)
                return
            opened.append(database)
            service = _make_service(database, clock, policy, who.name)
            window.attach_service(service)
            _watch_for_waits(window, service)
            _show_storage_warnings(window, database)

        QTimer.singleShot(0, go_live)
    else:
        database = open_database_or_ask(paths.database)
        if database is None:
            return 2
        opened.append(database)
        service = _make_service(database, clock, policy, who.name)
        window = build_window(database.path, service, None)
        _watch_for_waits(window, service)
        _show_storage_warnings(window, database)
    log.info("warroom %s started on %s", __version__, paths.database)
    try:
        return app.exec()
    finally:
        for database in opened:
            database.dispose()
