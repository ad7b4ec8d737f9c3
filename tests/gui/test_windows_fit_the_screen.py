"""Every window fits the screen it opens on. On a 1366x768 laptop, each top-level window
opens inside the screen's available area, with room left for the title bar the window
manager adds: nothing opens with its bottom (and its buttons) off the screen.

The windows are opened in a separate process whose (offscreen) screen is that laptop's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCREEN = (1366, 768)
TITLE_BAR = 30  # px: drawn by the window manager above the window's own frame

OPEN_EVERY_WINDOW = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from warroom.bootstrap import build, prepare_demo
from warroom.domain.clock import SystemClock
from warroom.domain.policy import load_policy_file
from warroom.system.paths import builtin_policy_file
from warroom.adapters.sql.sqlite.database import open_database
from warroom.ui.main_window import MainWindow
from warroom.ui.ticker import Ticker

folder = prepare_demo(Path(sys.argv[1]))
clock = SystemClock()
policy = load_policy_file(builtin_policy_file())
database = open_database(folder / "warroom.db")
services = build(database, clock, policy=policy, actor="Dana Whitfield")
service = services.incidents
window = MainWindow(services, policy, clock, Ticker(clock, running=False), database.path)
window.show()
first = window.model.incidents()[0].id
opened = {
    "board": window,
    "incident": window.open_incident(first),
    "post-mortem": window.open_postmortem(first),
    "evidence": window.open_evidence(first),
    "mitigation wizard": window.open_wizard(first),
    "stakeholder message": window.open_message(first),
    "keyboard shortcuts": window.show_shortcuts(),
    "metrics": window.show_metrics(),
    "action items": window.show_action_items(),
    "presenter": window.open_presenter(),
    "declare": window.declare_incident(),
}
app.processEvents()
area = app.primaryScreen().availableGeometry()
print(json.dumps({
    "area": [area.x(), area.y(), area.width(), area.height()],
    "windows": {
        name: [w.frameGeometry().x(), w.frameGeometry().y(), w.frameGeometry().width(),
               w.frameGeometry().height()]
        for name, w in opened.items()
    },
}))
database.dispose()
"""


def test_every_window_fits_a_1366x768_laptop(tmp_path: Path) -> None:
    width, height = SCREEN
    config = tmp_path / "screen.json"
    screen = {"name": "laptop", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [screen | {"logicalDpi": 96, "dpr": 1}]}))
    env = os.environ | {"QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run(
        [sys.executable, "-c", OPEN_EVERY_WINDOW, str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["area"] == [0, 0, width, height]
    for name, (x, y, w, h) in shown["windows"].items():
        assert w <= width and h <= height - TITLE_BAR, (name, w, h)
        assert 0 <= x <= width - w and 0 <= y <= height - h, (name, x, y, w, h)
