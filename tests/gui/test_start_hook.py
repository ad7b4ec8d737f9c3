"""The shipped program, started as users start it (`python -m warroom`, a fresh process),
says when its board is painted, when its actions work and when the rest of its start is
shown, through the hook the start-up benchmark uses (WARROOM_EXIT_AFTER), then quits: on a
new data folder (the database made on first start) and on an existing one (the board
painted from the quick read, then live)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def start(data_dir, home, wanted: str) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WARROOM_EXIT_AFTER=wanted)
    env["HOME"] = str(home)
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(home / variable.lower())
    env["WARROOM_ACTOR"] = "Dana Reyes"  # else the first start asks for a name
    done = subprocess.run(
        [sys.executable, "-m", "warroom", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("warroom: ")]


@pytest.mark.parametrize("existing", [False, True], ids=["first start", "existing data"])
def test_the_program_says_painted_then_usable(tmp_path, existing):
    data = tmp_path / "data"
    if existing:
        assert start(data, tmp_path / "home", "usable")  # makes the database
    assert start(data, tmp_path / "home", "usable") == ["warroom: painted", "warroom: usable"]
    assert start(data, tmp_path / "home", "painted") == ["warroom: painted"]
    assert start(data, tmp_path / "home", "settled") == [
        "warroom: painted",
        "warroom: usable",
        "warroom: settled",
    ]
    assert (data / "warroom.db").exists()
