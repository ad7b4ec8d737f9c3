"""Child process for bench_cold_start.py and bench_idle_cpu.py. Not meant to be run by hand.

    python _app_child.py floor                 bare QMainWindow + import sqlmodel, painted
    python _app_child.py warroom DATA_DIR      run_gui's path up to the board painted
    python _app_child.py idle DATA_DIR         the same with a running ticker, then app.exec()

It imports only builtins before its first timestamp so that its own imports are not
measured. The parent passes time.time_ns() taken just before spawning in BENCH_SPAWN_NS;
the child prints one line `BENCH {json}` with phase durations in ms and, under
"painted_since_spawn_ms", the time from spawn to the window painted.
"""

import os
import sys
import time

T_START_NS = time.time_ns()
T_START = time.perf_counter()


class Phases:
    def __init__(self) -> None:
        self.last = T_START
        self.ms: dict[str, float] = {}
        self.overhead_ms = 0.0  # the benchmark's own work, left out of every figure

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = self.ms.get(name, 0.0) + (now - self.last) * 1000
        self.last = now

    def exclude(self) -> None:
        now = time.perf_counter()
        self.overhead_ms += (now - self.last) * 1000
        self.last = now


def report(phases: Phases, painted_ns: int | None = None, **extra: object) -> None:
    import json

    painted_ns = painted_ns or time.time_ns()
    spawn_ns = int(os.environ.get("BENCH_SPAWN_NS", T_START_NS))
    record = {
        "phases": phases.ms,
        "interpreter_ms": (T_START_NS - spawn_ns) / 1e6,
        "painted_since_spawn_ms": (painted_ns - spawn_ns) / 1e6 - phases.overhead_ms,
        "bench_overhead_ms": phases.overhead_ms,
        **extra,
    }
    print("BENCH " + json.dumps(record), flush=True)


def paint(app: object, window: object, target: object, phases: Phases) -> str:
    """show(), then process events until `target` (the widget that matters: the board's
    viewport) has been painted once, as the event loop would. If the platform never paints,
    fall back to grab(), which paints every child synchronously. Returns how it painted."""
    from PySide6.QtCore import QEvent, QObject

    class PaintSpy(QObject):
        painted = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    spy = PaintSpy()
    target.installEventFilter(spy)  # type: ignore[attr-defined]
    phases.exclude()
    window.show()  # type: ignore[attr-defined]
    phases.mark("show")
    deadline = time.perf_counter() + 2.0
    while not spy.painted and time.perf_counter() < deadline:
        app.processEvents()  # type: ignore[attr-defined]  # returns once the paint is done
    if spy.painted:
        phases.mark("events until first paint")
        how = "first Paint event"
    else:
        window.grab()  # type: ignore[attr-defined]
        phases.mark("events + grab() (no Paint seen)")
        how = "grab()"
    target.removeEventFilter(spy)  # type: ignore[attr-defined]
    return how


def floor() -> None:
    phases = Phases()
    from PySide6.QtWidgets import QApplication, QMainWindow

    phases.mark("import PySide6")
    import sqlmodel  # noqa: F401

    phases.mark("import sqlmodel")
    app = QApplication(sys.argv)
    phases.mark("QApplication")
    window = QMainWindow()
    window.setWindowTitle("floor")
    window.resize(1280, 720)
    phases.mark("window construction")
    how = paint(app, window, window, phases)
    report(phases, painted_by=how)


def warroom(data_dir: str, running_ticker: bool) -> None:
    """run_gui's path: the board is filled by a standard-library read and painted before
    SQLAlchemy/SQLModel load; then the service is attached (reported as "live")."""
    phases = Phases()
    from PySide6.QtWidgets import QApplication

    phases.mark("import PySide6")
    # What `warroom` imports on its way to run_gui, then run_gui's own imports.
    from warroom.__main__ import build_parser

    args = build_parser().parse_args(["--data-dir", data_dir])
    from warroom import __version__
    from warroom.adapters.sql.sqlite.quick_read import read_board
    from warroom.bootstrap import LocalBackend
    from warroom.domain.clock import SystemClock
    from warroom.system.logs import setup_logging
    from warroom.system.paths import resolve_paths
    from warroom.system.settings import load_policy
    from warroom.ui.app import load_stylesheet, open_or_ask
    from warroom.ui.errors import install_exception_hook, route_qt_messages, show_policy_warnings
    from warroom.ui.gui_thread_gc import GuiThreadCollector
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    phases.mark("import warroom + parse argv")
    app = QApplication(sys.argv)
    GuiThreadCollector(app)
    app.setApplicationName("warroom")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("warroom")
    phases.mark("QApplication")
    paths = resolve_paths(args.data_dir)
    log_file = setup_logging(paths.log_dir)
    route_qt_messages()
    install_exception_hook(log_file)
    app.setStyleSheet(load_stylesheet())
    policy, warnings = load_policy(paths)
    phases.mark("paths, logging, stylesheet, policy")
    early = read_board(paths.database)
    assert early is not None, "the benchmark database should take the quick path"
    phases.mark("quick board read (sqlite3)")
    clock = SystemClock()
    ticker = Ticker(clock, running=running_ticker)
    window = MainWindow(None, policy, clock, ticker, paths.database, None, early)
    phases.mark("window construction")
    how = paint(app, window, window.board.viewport(), phases)
    painted_ns = time.time_ns()
    show_policy_warnings(window, warnings)
    painted_phases = dict(phases.ms)

    # After the first paint: the rest of the stack, then the live service.
    import sqlmodel  # noqa: F401

    phases.mark("after paint: import sqlmodel")
    record = open_or_ask(LocalBackend(paths), paths.database, clock, "bench", policy)
    assert record is not None
    phases.mark("after paint: open database")
    window.attach(record.services)
    phases.mark("after paint: attach service + reload")
    live_ms = (time.time_ns() - int(os.environ.get("BENCH_SPAWN_NS", T_START_NS))) / 1e6
    rows = window.model.rowCount()
    on_board = window.stack.currentWidget() is window.board
    after = {k: v for k, v in phases.ms.items() if k not in painted_phases}
    phases.ms = painted_phases
    report(
        phases,
        painted_ns=painted_ns,
        painted_by=how,
        rows=rows,
        board_shown=on_board,
        live_since_spawn_ms=live_ms - phases.overhead_ms,
        after_paint=after,
    )
    if running_ticker:
        try:
            app.exec()
        finally:
            record.dispose()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "floor":
        floor()
    elif mode in ("warroom", "idle"):
        warroom(sys.argv[2], running_ticker=mode == "idle")
    else:
        raise SystemExit(f"unknown mode {mode!r}")
