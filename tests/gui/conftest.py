"""GUI fixtures: a main window on a fresh data dir with a fake clock and a manual ticker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from warroom.adapters.sql.sqlite.database import Database, open_database
from warroom.bootstrap import build
from warroom.domain.clock import FakeClock
from warroom.domain.policy import Policy
from warroom.services.graph import Services
from warroom.services.incidents import IncidentService


@dataclass
class Board:
    window: object
    service: IncidentService
    database: Database
    ticker: object
    services: Services

    def tick(self) -> None:
        self.ticker.tick()


@pytest.fixture
def open_board(qtbot, clock: FakeClock, policy: Policy, data_dir: Path):
    """Opens a main window on `data_dir`; call again to simulate a restart. The user is
    "alice" unless `actor` (a settings.Actor) says who it is, as the app resolves it."""
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    opened: list[Board] = []

    def open_(actor=None) -> Board:
        database = open_database(data_dir / "warroom.db", now=clock.now())
        name = actor.name if actor is not None else "alice"
        services = build(database, clock, actor=name, policy=policy)
        service = services.incidents
        ticker = Ticker(clock, running=False)
        window = MainWindow(services, policy, clock, ticker, database.path, actor=actor)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        board = Board(window, service, database, ticker, services)
        opened.append(board)
        return board

    yield open_
    for board in opened:
        board.database.dispose()


@pytest.fixture
def board(open_board) -> Board:
    return open_board()


@pytest.fixture(autouse=True)
def collected_on_the_gui_thread(qapp):
    """As in the app (warroom.ui.app.run_gui): cycles are collected on the GUI thread only,
    never by a worker thread that happens to allocate (a Qt object destroyed there crashes
    the event loop later). What the test left is collected here, on this thread, before
    the next test, whatever its threads, runs."""
    import gc

    from warroom.ui.gui_thread_gc import GuiThreadCollector

    collector = GuiThreadCollector(qapp)
    yield collector
    collector.stop()
    collector.deleteLater()
    # What outlived the test (the session's modules, Qt, caches) is out of the next
    # collections' sight, as the app freezes its heap once live: each test's collection
    # then walks only what that test made.
    gc.freeze()


@pytest.fixture(autouse=True)
def no_unexpected_reason_dialog(monkeypatch):
    """A modal question nobody answers would hang the run: a test that expects one
    replaces this with its answer."""
    from PySide6.QtWidgets import QInputDialog

    def unexpected(*args, **kwargs):
        raise AssertionError(f"an unexpected dialog asked: {args[2] if len(args) > 2 else args}")

    monkeypatch.setattr(QInputDialog, "getText", unexpected)
