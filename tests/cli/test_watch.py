"""`warroom watch`: each change from the change log, whoever wrote it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import warroom


def declare(run_cli, title="Checkout down"):
    code, out, err = run_cli("declare", "--title", title, "--severity", "P1")
    assert (code, err) == (0, ""), err
    return int(out)


def watched(run_cli, *extra):
    code, out, err = run_cli("watch", "--json", "--once", *extra)
    assert (code, err) == (0, ""), err
    return [json.loads(line) for line in out.splitlines()]


def test_once_from_the_start_prints_every_change_with_the_incident_now(run_cli):
    incident_id = declare(run_cli)
    assert run_cli("note", incident_id, "rolled back")[0] == 0
    assert run_cli("severity", incident_id, "P0")[0] == 0
    lines = watched(run_cli, "--since", "0")
    assert [line["incident"] for line in lines] == [incident_id] * 3
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    assert "timeline" in lines[1]["parts"]
    for line in lines:  # the incident as it is when printed
        assert (line["title"], line["severity"], line["status"]) == (
            "Checkout down",
            "P0",
            "triage",
        )
        assert line["at"].endswith("+00:00")
    # starting after the last one: nothing new
    assert watched(run_cli, "--since", lines[-1]["seq"]) == []


def test_a_deleted_incident_shows_as_deleted(run_cli):
    incident_id = declare(run_cli)
    assert run_cli("delete", incident_id, "--yes")[0] == 0
    lines = watched(run_cli, "--since", "0")
    assert lines[-1] == {**lines[-1], "incident": incident_id, "deleted": True}
    assert "title" not in lines[-1]


def test_readable_lines_without_json(run_cli):
    incident_id = declare(run_cli, title="DNS\x1b[2J flapping")
    code, out, err = run_cli("watch", "--once", "--since", "0")
    assert (code, err) == (0, "")
    assert f"#{incident_id}" in out
    assert "P1 triage" in out
    assert "\x1b" not in out


def test_a_running_watch_sees_a_note_another_process_writes_and_stops_on_sigterm(
    run_cli, data_dir, tmp_path
):
    incident_id = declare(run_cli)
    start = watched(run_cli, "--since", "0")[-1]["seq"]
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["PYTHONPATH"] = str(Path(warroom.__file__).parent.parent)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "warroom", "--data-dir", str(data_dir), "watch", "--json"]
        + ["--since", str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert run_cli("note", incident_id, "paged the DBA")[0] == 0  # this process
        assert watcher.stdout is not None
        line = json.loads(watcher.stdout.readline())  # blocks until the watcher prints it
        assert line["incident"] == incident_id
        assert line["parts"] == ["timeline"]
        assert line["seq"] > start
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=120)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0, err
    assert out == ""
