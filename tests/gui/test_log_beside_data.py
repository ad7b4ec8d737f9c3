"""The GUI started on a data folder of its own writes its log there, never in the home."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from warroom import bootstrap
from warroom.ui.main_window import MainWindow


def test_run_gui_logs_into_the_data_folder(qtbot, monkeypatch, data_dir, isolated_dirs):
    windows = []
    real_show = MainWindow.show

    def remember_and_show(window) -> None:
        windows.append(window)
        real_show(window)

    monkeypatch.setattr(MainWindow, "show", remember_and_show)
    monkeypatch.setattr(QApplication, "exec", lambda _app: QApplication.processEvents() or 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    assert bootstrap.run_gui(data_dir=data_dir) == 0
    (window,) = windows
    qtbot.addWidget(window)
    window.ticker.stop()

    assert "started on" in (data_dir / "logs" / "warroom.log").read_text(encoding="utf-8")
    assert not list(isolated_dirs.rglob("warroom.log"))
