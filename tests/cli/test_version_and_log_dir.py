"""`--version` prints pyproject.toml's version; a data folder given on the command line keeps
the log beside it, not in the user's home."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from warroom.__main__ import main

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_is_pyprojects(capsys):
    expected = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"warroom {expected}\n"


def test_a_given_data_folder_keeps_its_log_beside_it(capsys, tmp_path, isolated_dirs):
    assert main(["--data-dir", str(tmp_path / "data"), "paths"]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines()[:3])
    assert Path(lines["logs"].strip()) == tmp_path / "data" / "logs"


def test_the_default_data_folder_logs_in_the_user_log_folder(capsys, isolated_dirs):
    assert main(["paths"]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines()[:3])
    assert Path(lines["logs"].strip()).is_relative_to(isolated_dirs / "xdg_state_home")


def test_paths_names_every_folder_a_team_fills(capsys, isolated_dirs):
    assert main(["paths"]) == 0
    out = capsys.readouterr().out
    shown = {}
    for label in ("team playbooks", "team drills", "team templates"):
        [line] = [line for line in out.splitlines() if line.startswith(label)]
        shown[label] = Path(line.split(":", 1)[1].strip())
    assert shown["team drills"] == shown["team playbooks"].parent / "drills"
    assert shown["team templates"].parent == shown["team playbooks"].parent
    setup = out.splitlines()[-1]  # what a shared room's administrator runs once
    assert setup.startswith("shared war room server set-up: ")
    assert Path(setup.split(": ", 1)[1]).is_file()
