"""The shared war room's server goes away mid-incident (stopped as a crash would stop it):
the board says so at once, every action is refused with a clear message while what was
typed stays in its field, and once the server is back the board reconnects by itself and
what was typed can be saved."""

from __future__ import annotations

import pytest

from warroom.adapters.sql.postgres.database import open_shared
from warroom.bootstrap import build


@pytest.fixture
def server(own_postgres_server):
    return own_postgres_server  # stopped and started by the test


@pytest.fixture
def shared_board(qtbot, server, clock, policy, tmp_path):
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    database = open_shared(server.url("room"), tmp_path)
    services = build(database, clock, actor="alice", policy=policy)
    ticker = Ticker(clock, running=False)
    window = MainWindow(services, policy, clock, ticker, database.location)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    yield window, services, ticker
    window.close()
    services.evidence.close()
    database.dispose()


def test_a_server_gone_is_said_at_once_and_nothing_typed_is_lost(qtbot, server, shared_board):
    window, services, ticker = shared_board
    incident = services.incidents.declare("Checkout 500s", "P1")
    detail = window.open_incident(incident.id)
    assert window.unreachable_banner.isHidden()

    server.stop("immediate")
    # No tick: the closed notices' connection wakes the board by itself.
    qtbot.waitUntil(lambda: not window.unreachable_banner.isHidden(), timeout=60_000)
    banner = window.unreachable_banner.text()
    assert "cannot be reached" in banner and "what you type stays in its field" in banner

    detail.note_edit.setText("Rolled back 4.2 at 14:05")
    detail.add_note()
    assert "Nothing was saved" in detail.error.text()
    assert "cannot be reached" in detail.error.text()
    assert detail.note_edit.text() == "Rolled back 4.2 at 14:05"  # still there
    detail.title_edit.setText("Checkout 500s in eu-west")
    detail._save_title()
    assert detail.title_edit.text() == "Checkout 500s in eu-west"  # not reverted

    server.start()

    def reconnected() -> bool:
        ticker.tick()  # the tick's poll retries the connection every few seconds
        return window.unreachable_banner.isHidden()

    qtbot.waitUntil(reconnected, timeout=60_000)
    detail.add_note()
    assert detail.note_edit.text() == ""
    texts = [e.text for e in services.incidents.timeline(incident.id)]
    assert "Rolled back 4.2 at 14:05" in texts


def test_a_read_that_finds_the_server_gone_tells_the_banner_not_an_error_dialog(monkeypatch, qtbot):
    import sys

    from PySide6.QtWidgets import QMessageBox

    from warroom.services.ports import StorageUnavailable
    from warroom.ui.errors import install_exception_hook, when_storage_unavailable

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(QMessageBox, "exec", lambda self: pytest.fail(self.informativeText()))
    install_exception_hook("warroom.log")
    told: list[str] = []
    unsubscribe = when_storage_unavailable(told.append)
    try:
        gone = StorageUnavailable("The shared war room at postgresql://db/room cannot be reached.")
        sys.excepthook(StorageUnavailable, gone, None)
    finally:
        unsubscribe()
    assert told == ["The shared war room at postgresql://db/room cannot be reached."]
