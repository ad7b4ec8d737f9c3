"""Cost of one 1 Hz tick on the board: 200 open incidents, window at 1366x768, offscreen.

    python tests/perf/bench_tick.py [--ticks 200] [--profile] [--scale 10]

`--scale 10` runs on the 10x data set (10,000 incidents, 500 open, 500,000 events) instead
of the 1x one (1,000 incidents, 200 open, 20,000 events).

Per tick: advance a FakeClock by 1 s, then time ticker.tick() (the model emits dataChanged
for the three clock columns) plus a synchronous board.viewport().repaint() of the whole
viewport: the figure of record. Posted events are drained outside the timed span; their
cost is reported on a separate line. A second figure times the path the running app takes:
tick, then processEvents() until the event loop has painted the region dataChanged dirtied
(only the clock columns' cells).

Baseline for comparison: a plain QTableView over a QStandardItemModel, 200 rows x 7 columns,
where 3 columns' text changes each tick (600 setData calls) followed by the same repaint.

Goal: tick + repaint <= 8 ms (median and p95). The app's stylesheet is applied, as in run_gui.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fixtures import (
    Summary,
    add_scale_argument,
    build_scaled,
    fmt_ms,
    header,
    machine_line,
    quiet_qt_warnings,
)

from warroom.bootstrap import build

GOAL_MS = 8.0
WIDTH, HEIGHT = 1366, 768
WARM_UP_TICKS = 10


def visible_rows(view: object) -> int:
    viewport = view.viewport()  # type: ignore[attr-defined]
    first = view.rowAt(0)  # type: ignore[attr-defined]
    last = view.rowAt(viewport.height() - 1)  # type: ignore[attr-defined]
    if last < 0:
        last = view.model().rowCount() - 1  # type: ignore[attr-defined]
    return last - first + 1


def measure(
    app: object, step: Callable[[], None], repaint: Callable[[], None], ticks: int
) -> dict[str, list[float]]:
    """Runs `ticks` ticks; returns per-tick times in ms: the step (model update), the
    synchronous repaint, their sum, and the posted events drained afterwards."""
    times: dict[str, list[float]] = {"step": [], "repaint": [], "total": [], "drained": []}
    for n in range(WARM_UP_TICKS + ticks):
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        repaint()
        t2 = time.perf_counter()
        app.processEvents()  # type: ignore[attr-defined]
        t3 = time.perf_counter()
        if n >= WARM_UP_TICKS:
            times["step"].append((t1 - t0) * 1000)
            times["repaint"].append((t2 - t1) * 1000)
            times["total"].append((t2 - t0) * 1000)
            times["drained"].append((t3 - t2) * 1000)
    return times


def measure_event_loop(
    app: object, step: Callable[[], None], viewport: object, ticks: int
) -> list[float]:
    """The path the running app takes: the step, then the event loop paints only the region
    that dataChanged marked dirty. Times step + processEvents until that paint is done."""
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    counter = PaintCounter()
    viewport.installEventFilter(counter)  # type: ignore[attr-defined]
    times: list[float] = []
    for n in range(WARM_UP_TICKS + ticks):
        before = counter.count
        t0 = time.perf_counter()
        step()
        deadline = time.perf_counter() + 1.0  # a slow step still gets its paint
        while counter.count == before and time.perf_counter() < deadline:
            app.processEvents()  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        if counter.count == before:
            raise RuntimeError("the tick did not cause a paint within 1 s")
        if n >= WARM_UP_TICKS:
            times.append((t1 - t0) * 1000)
    viewport.removeEventFilter(counter)  # type: ignore[attr-defined]
    return times


def print_row(name: str, values: list[float], goal: float | None = None) -> None:
    s = Summary.of(values)
    line = (
        f"  {name:<46} median {fmt_ms(s.median, 6)}  p95 {fmt_ms(s.p95, 6)}"
        f"  max {fmt_ms(s.maximum, 6)}  min {fmt_ms(s.minimum, 6)}"
    )
    if goal is not None:
        ok = s.median <= goal and s.p95 <= goal
        line += f"   goal <= {goal:g} ms: {'meets' if ok else 'MISSES'}"
    print(line)


def bench_board(data_dir: Path, ticks: int, profile: bool, scale: int = 1) -> None:
    from PySide6.QtWidgets import QApplication

    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import FakeClock
    from warroom.system.paths import resolve_paths
    from warroom.system.settings import load_policy
    from warroom.ui.app import load_stylesheet
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    built = build_scaled(data_dir, scale)
    print(
        f"{scale}x: {built.incidents} incidents, {built.open_incidents} open, {built.events} events"
    )
    app = QApplication.instance() or QApplication([])
    quiet_qt_warnings()
    app.setStyleSheet(load_stylesheet())
    paths = resolve_paths(data_dir)
    database = open_database(paths.database)
    policy, _ = load_policy(paths)
    clock = FakeClock(built.now)
    ticker = Ticker(clock, running=False)
    window = MainWindow(build(database, clock), policy, clock, ticker, database.path)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.grab()
    app.processEvents()
    board = window.board
    print(
        f"platform: {app.platformName()}; "
        f"board: {window.model.rowCount()} rows, {visible_rows(board)} visible, "
        f"viewport {board.viewport().width()}x{board.viewport().height()}"
    )

    def step() -> None:
        clock.advance(seconds=1)
        ticker.tick()

    times = measure(app, step, board.viewport().repaint, ticks)
    header(f"warroom board: one tick ({ticks} ticks after {WARM_UP_TICKS} warm-up)")
    print_row("tick + viewport repaint", times["total"], GOAL_MS)
    print_row("  of which ticker.tick() (dataChanged)", times["step"])
    print_row("  of which viewport().repaint()", times["repaint"])
    print_row("posted events drained after (not in the above)", times["drained"])
    loop = measure_event_loop(app, step, board.viewport(), ticks)
    print_row("event-loop path: tick + paint of dirty region", loop)

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            step()
            board.viewport().repaint()
        profiler.disable()
        header("cProfile of 50 ticks (tottime)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)

    window.close()
    database.dispose()


def bench_baseline(ticks: int) -> None:
    from datetime import timedelta

    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication.instance() or QApplication([])
    model = QStandardItemModel(200, 7)
    for row in range(200):
        for column in range(7):
            model.setItem(row, column, QStandardItem(f"r{row} c{column}"))
    view = QTableView()
    view.setModel(model)
    window = QMainWindow()
    window.setCentralWidget(view)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.grab()
    app.processEvents()
    print(f"\nbaseline: 200 rows, {visible_rows(view)} visible (default font and row height)")
    second = [0]

    def step() -> None:
        second[0] += 1
        for row in range(200):
            elapsed = timedelta(seconds=second[0] + row * 60)
            for column, text in (
                (4, str(elapsed)),
                (5, f"{(900 - second[0]) % 900} s left"),
                (6, f"OVERDUE +{second[0]} s"),
            ):
                model.item(row, column).setText(text)

    times = measure(app, step, view.viewport().repaint, ticks)
    header("baseline: QTableView + QStandardItemModel, 600 setText + repaint")
    print_row("600 setData + viewport repaint", times["total"])
    print_row("  of which 600 setText", times["step"])
    print_row("  of which viewport().repaint()", times["repaint"])
    print_row("posted events drained after (not in the above)", times["drained"])
    loop = measure_event_loop(app, step, view.viewport(), ticks)
    print_row("event-loop path: setData + paint of dirty region", loop)
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="also cProfile 50 board ticks")
    add_scale_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        # Keep the user's real config (a policy override) and logs out of the measurement.
        os.environ["XDG_CONFIG_HOME"] = str(root / "config")
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        print("warroom tick —", machine_line())
        bench_board(root / "data", args.ticks, args.profile, args.scale)
        bench_baseline(args.ticks)


if __name__ == "__main__":
    main()
