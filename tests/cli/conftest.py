"""Fixtures for the headless CLI: main(argv) runs in-process on a temporary data dir
(tests/conftest.py's run_cli), with "now" pinned so clocks and --started times are
deterministic, on a machine whose zone is not UTC."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

CLI_NOW = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


@pytest.fixture
def start():
    return CLI_NOW


@pytest.fixture(autouse=True)
def cli_clock(cli_clock):
    """Every test here: the CLI on the fake clock, no user config, no GUI."""
    return cli_clock


@pytest.fixture(autouse=True)
def machine_in_new_york(machine_in_new_york):
    return machine_in_new_york


@pytest.fixture
def in_process(capsys):
    """Runs `warroom ARGV...` in this process, as the program would (global options given
    in ARGV): a CompletedProcess with its exit code and output. Much cheaper than starting
    Python for each command; tests about separate processes start real ones."""
    from warroom.__main__ import main

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        args = [str(a) for a in argv]
        code = main(args)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run
