"""Composition root: builds clock, policy, store, service, ticker and the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from warroom import __version__
from warroom.core.clock import SystemClock
from warroom.logs import setup_logging
from warroom.paths import resolve_paths, resources_dir
from warroom.settings import load_policy
from warroom.store.database import Database, StoreError, open_database

log = logging.getLogger("warroom.app")


def load_stylesheet() -> str:
    path = resources_dir() / "themes" / "base.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s missing; using Qt defaults", path)
        return ""


def run_gui(data_dir: str | Path | None = None, title_suffix: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

    from warroom.service import IncidentService
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
    app.setStyleSheet(load_stylesheet())

    database: Database | None = None
    database_path = paths.database
    while database is None:
        try:
            database = open_database(database_path)
        except StoreError as exc:
            log.error("cannot open %s: %s", database_path, exc)
            box = QMessageBox(QMessageBox.Icon.Critical, "warroom: cannot open the data", str(exc))
            other = box.addButton("Open another data folder…", QMessageBox.ButtonRole.ActionRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            if box.clickedButton() is not other:
                return 2
            chosen = QFileDialog.getExistingDirectory(None, "Choose a data folder")
            if not chosen:
                return 2
            database_path = Path(chosen) / paths.database.name

    policy, warnings = load_policy(paths)
    clock = SystemClock()
    service = IncidentService(database, clock, policy=policy)
    ticker = Ticker(clock)
    window = MainWindow(service, policy, clock, ticker, database_path, title_suffix)
    window.show()
    show_policy_warnings(window, warnings)
    log.info("warroom %s started on %s", __version__, database_path)
    try:
        return app.exec()
    finally:
        database.dispose()
