"""On a shared war room the board shows another laptop's change as soon as its notice
arrives: the window watches the notice socket, not the tick. These windows' tickers never
tick unless a test says so, so whatever shows up came through the socket."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer

from tests.gui.helpers import row_titled
from warroom.bootstrap import build

SHARED = pytest.mark.parametrize("engine", ["postgresql"])


@pytest.fixture
def shared_window(qtbot, db, clock, policy):
    """The board on the shared war room `db`, with a ticker that never ticks by itself;
    returns (window, the ticks it made)."""
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    services = build(db, clock, actor="alice", policy=policy)
    ticker = Ticker(clock, running=False)
    ticks: list[object] = []
    ticker.ticked.connect(ticks.append)
    window = MainWindow(services, policy, clock, ticker, db.location)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    yield window, ticks
    # Nothing of this window may run once the test's database is dropped: no notifier, and
    # no timer still pending (another warroom's changes settle before the strips re-read).
    window.live_notices.stop()
    for timer in window.findChildren(QTimer):
        timer.stop()
    window.close()
    services.evidence.close()


@pytest.fixture
def other_laptop(open_again, clock, policy):
    """Another warroom on the same shared war room, over its own connections."""
    services = build(open_again(), clock, actor="bob", policy=policy)
    yield services.incidents
    services.evidence.close()


def timeline_texts(detail) -> list[str]:
    table = detail.timeline_table
    return [table.item(row, 2).text() for row in range(table.rowCount())]


@SHARED
def test_another_laptops_declare_and_note_show_without_a_tick(qtbot, shared_window, other_laptop):
    window, ticks = shared_window
    assert window.live_notices.socket is not None

    incident = other_laptop.declare("Checkout returns 500", "P1", commander="Priya Raman")
    qtbot.waitUntil(lambda: window.model.row_of(incident.id) is not None, timeout=60_000)
    row_titled(window, "Checkout returns 500")

    detail = window.open_incident(incident.id)
    other_laptop.add_note(incident.id, "Rolled back the 14:02 deploy")
    qtbot.waitUntil(
        lambda: any("Rolled back the 14:02 deploy" in text for text in timeline_texts(detail)),
        timeout=60_000,
    )
    assert ticks == []


@SHARED
def test_the_watch_is_followed_after_it_reconnects(
    qtbot, shared_window, other_laptop, postgres_server, postgres_url
):
    window, ticks = shared_window
    live = window.live_notices
    database = postgres_url.rsplit("/", 1)[1]

    # The server drops the connections listening for notices (a restart, a laptop asleep).
    postgres_server.admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND query LIKE 'LISTEN%'"
    )
    qtbot.waitUntil(lambda: live.socket is None, timeout=60_000)  # its end read, then let go

    window.ticker.tick()  # the tick's poll reconnects; the notifier follows the new socket
    assert live.socket is not None
    assert len(ticks) == 1

    incident = other_laptop.declare("Search is slow", "P2", commander="Priya Raman")
    qtbot.waitUntil(lambda: window.model.row_of(incident.id) is not None, timeout=60_000)
    assert len(ticks) == 1


def test_a_local_file_has_no_socket_to_watch(board):
    assert board.window.live_notices.socket is None


@SHARED
def test_a_note_from_another_process_shows_on_the_board_without_a_tick(
    qtbot, shared_window, postgres_url, tmp_path
):
    import os
    import subprocess
    import sys

    window, ticks = shared_window
    command = [sys.executable, "-m", "warroom", "--database", postgres_url]
    command += ["--data-dir", str(tmp_path / "bobs-laptop"), "--actor", "Bob"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def run(*args: str) -> str:
        done = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    incident = int(run("declare", "--title", "Search times out", "--severity", "P2"))
    qtbot.waitUntil(lambda: window.model.row_of(incident) is not None, timeout=60_000)
    detail = window.open_incident(incident)
    run("note", str(incident), "Failed over to the replica")
    qtbot.waitUntil(
        lambda: any("Failed over to the replica" in text for text in timeline_texts(detail)),
        timeout=60_000,
    )
    assert ticks == []  # it came through the notice socket
