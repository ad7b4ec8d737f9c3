"""The collector in a command's own process (warroom.cli.heap): held while the stack starts,
back on for the verb's work; a test's own process is left as it was."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

# Prints the collector's state as the verb's work begins, then runs the program as the
# console script does (main() with no argv).
CHILD = """
import gc, sys
import warroom.cli.main as cli

real = cli.heap.resume
def resume():
    real()
    print(f"gc enabled={gc.isenabled()} frozen={gc.get_freeze_count() > 0}", file=sys.stderr)
cli.heap.resume = resume

from warroom.__main__ import main
sys.argv = ["warroom", *sys.argv[1:]]
sys.exit(main())
"""


def test_main_with_argv_leaves_this_process_collector_alone(in_process):
    frozen = gc.get_freeze_count()
    done = in_process("declare", "--title", "Checkout down", "--severity", "P1")
    assert done.returncode == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_the_program_collects_again_once_the_record_is_open(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WARROOM_"))}
    env.update(WARROOM_ACTOR="Dana", HOME=str(tmp_path))  # no user config, no shared room
    data = ["--data-dir", str(tmp_path / "data")]

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", CHILD, *argv, *data], capture_output=True, text=True, env=env
        )

    declared = run("declare", "--title", "Checkout down", "--severity", "P1")
    assert declared.returncode == 0, declared.stderr
    assert "gc enabled=True frozen=True" in declared.stderr
    noted = run("note", declared.stdout.strip(), "Rolled back")
    assert noted.returncode == 0, noted.stderr
    assert (tmp_path / "data" / "warroom.db").exists()
    assert not (tmp_path / "data" / "warroom.db-wal").exists()  # closed cleanly at exit
