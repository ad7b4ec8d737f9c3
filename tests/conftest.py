"""Shared fixtures: every test runs offscreen, on its own data dir, with a fake clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

# Offscreen unless the run says otherwise: .ci/run runs tests/gui a second time under Xvfb
# with QT_QPA_PLATFORM=xcb, where focus, window activation and key bindings are real.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A Sunday afternoon in UTC; tests that care about weekdays set their own times.
START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """No test may touch the real user's data, config or log dirs."""
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("WARROOM_DATA_DIR", raising=False)
    monkeypatch.delenv("WARROOM_ACTOR", raising=False)
    return home


@pytest.fixture
def clock():
    from warroom.domain.clock import FakeClock

    return FakeClock(START)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def policy():
    from warroom.domain.policy import load_policy_file
    from warroom.system.paths import builtin_policy_file

    return load_policy_file(builtin_policy_file())
