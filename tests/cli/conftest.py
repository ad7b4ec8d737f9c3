"""Fixtures for the headless CLI: run main(argv) in-process on a temporary data dir, with
"now" pinned so clocks and --started times are deterministic."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

import pytest

from warroom.__main__ import main
from warroom.domain.clock import FakeClock

CLI_NOW = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cli_clock(monkeypatch, tmp_path):
    """The CLI's clock, and no user config: the built-in policy applies."""
    clock = FakeClock(CLI_NOW)
    monkeypatch.setattr("warroom.cli.main.SystemClock", lambda: clock)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # A CLI verb must never reach for the GUI: make importing it fail loudly.
    monkeypatch.setitem(sys.modules, "warroom.ui.app", None)
    return clock


@pytest.fixture(autouse=True)
def machine_zone_not_utc():
    """The machine runs on New York time, so any local time leaking into output shows."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield "America/New_York"
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def cli_data(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def run_cli(cli_data, capsys):
    """Runs `warroom --data-dir DATA ARGS...` (or with --data-dir after the verb);
    returns (exit code, stdout, stderr)."""

    def run(*args, data_dir_after_verb=False):
        argv = [str(a) for a in args]
        if data_dir_after_verb:
            argv[1:1] = ["--data-dir", str(cli_data)]
        else:
            argv[:0] = ["--data-dir", str(cli_data)]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run
