"""The headless verbs scripts and alert hooks use: declare, note, list, show."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import warroom
from warroom.__main__ import main
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock

NOW = datetime.fromisoformat("2026-11-22T14:05:00+00:00")  # the pinned CLI clock


def declare(run_cli, *extra, title="Checkout down", severity="P1"):
    code, out, err = run_cli("declare", "--title", title, "--severity", severity, *extra)
    assert (code, err) == (0, ""), err
    return int(out)


def json_of(run_cli, *args):
    code, out, err = run_cli(*args, "--json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def assert_utc_text(value):
    assert isinstance(value, str)
    assert re.search(r"\+00:00$", value), value
    assert datetime.fromisoformat(value).utcoffset() == timedelta(0)


# -- declare ---------------------------------------------------------------------------------


def test_declare_prints_only_the_new_id(run_cli):
    """A script can capture the id with $(warroom declare ...)."""
    assert run_cli("declare", "--title", "Checkout down", "--severity", "P1") == (0, "1\n", "")
    code, out, err = run_cli(
        "declare", "--title", "DNS", "--severity", "p0", data_dir_after_verb=True
    )
    assert (code, out, err) == (0, "2\n", "")


def test_declare_with_every_option(run_cli):
    incident_id = declare(
        run_cli,
        "--impact",
        "EU card payments fail",
        "--started",
        "2026-11-22T14:02:00Z",
        "--commander",
        "Dana Whitfield",
        "--drill",
    )
    shown = json_of(run_cli, "show", incident_id)
    assert shown["impact_started_at"] == "2026-11-22T14:02:00+00:00"
    assert shown["declared_at"] == NOW.isoformat()
    assert shown["impact"] == "EU card payments fail"
    assert shown["roles"]["commander"] == "Dana Whitfield"
    assert shown["is_drill"] is True
    assert shown["severity"] == "P1"
    assert shown["status"] == "triage"


def test_an_incident_entered_afterwards_carries_its_own_times(run_cli):
    """From a chat log of 2019: declared and detected as they happened, not now, so it is
    filed under its own month and its measures are the real ones."""
    incident_id = declare(
        run_cli,
        "--started",
        "2019-03-04T21:50:00-08:00",
        "--detected",
        "2019-03-04T22:02:00-08:00",
        "--declared",
        "2019-03-05T06:10:00Z",
        "--security",
        "--service",
        "checkout",
    )
    shown = json_of(run_cli, "show", incident_id)
    assert shown["impact_started_at"] == "2019-03-05T05:50:00+00:00"
    assert shown["detected_at"] == "2019-03-05T06:02:00+00:00"
    assert shown["declared_at"] == "2019-03-05T06:10:00+00:00"
    code, out, _err = run_cli("metrics", "--since", "2019-03-01", "--json")
    report = json.loads(out)
    assert code == 0 and report["all"]["count"] == 1
    assert report["months"][0] == {
        "month": "2019-03",
        "count": 1,
        "resolved": 0,
        "median_resolve_s": None,
    }


def test_a_detection_after_the_declaration_is_refused(run_cli):
    code, out, err = run_cli(
        "declare", "--title", "Backwards", "--severity", "P2",
        "--declared", "2026-11-22T13:00:00Z", "--detected", "2026-11-22T13:30:00Z",
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert "Detected cannot be after the incident was declared." in err


def test_declare_started_with_an_offset_is_stored_in_utc(run_cli):
    incident_id = declare(run_cli, "--started", "2026-11-22T19:30:00+05:30")
    assert json_of(run_cli, "show", incident_id)["impact_started_at"] == (
        "2026-11-22T14:00:00+00:00"
    )


def test_naive_started_time_is_a_usage_error(run_cli, data_dir, capsys):
    """A time without an offset is refused before anything is written, saying how to fix it."""
    with pytest.raises(SystemExit) as caught:
        run_cli("declare", "--title", "x", "--severity", "P1", "--started", "2026-11-22T14:02:00")
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "no UTC offset" in err
    assert "add one" in err
    assert "2026-11-22T14:02:00+00:00" in err
    assert not data_dir.exists()


def test_invalid_input_exits_1_with_the_reason(run_cli):
    code, out, err = run_cli("declare", "--title", "   ", "--severity", "P1")
    assert (code, out) == (1, "")
    assert "title is required" in err
    code, out, err = run_cli("declare", "--title", "x", "--severity", "P7")
    assert code == 1
    assert "'P7'; use one of P0, P1, P2, P3" in err


def test_impact_start_in_the_future_exits_1(run_cli):
    code, _, err = run_cli(
        "declare", "--title", "x", "--severity", "P1", "--started", "2026-11-22T15:00:00Z"
    )
    assert code == 1
    assert "future" in err


# -- list -------------------------------------------------------------------------------------


def test_list_json_gives_clocks_with_utc_deadlines(run_cli):
    p3 = declare(run_cli, title="Typo on the status page", severity="P3")
    p0 = declare(run_cli, title="Everything is down", severity="P0")
    p1 = declare(run_cli, title="Checkout slow", severity="P1")
    rows = json_of(run_cli, "list")
    assert [r["id"] for r in rows] == [p0, p1, p3]  # most severe first
    for row in rows:
        assert row["severity"] in {"P0", "P1", "P3"}
        assert row["status"] == "triage"
        assert_utc_text(row["response"]["deadline"])
        assert_utc_text(row["next_update"]["deadline"])
        assert_utc_text(row["as_of"])
    by_id = {r["id"]: r for r in rows}
    assert by_id[p0]["response"]["deadline"] == (NOW + timedelta(minutes=15)).isoformat()
    assert by_id[p0]["response"]["state"] == "running"
    assert by_id[p0]["response"]["remaining_seconds"] == 15 * 60
    assert by_id[p1]["next_update"]["deadline"] == (NOW + timedelta(minutes=30)).isoformat()


def test_list_hides_resolved_incidents_unless_all(run_cli, data_dir):
    open_id = declare(run_cli, title="Still burning")
    done_id = declare(run_cli, title="Fixed already")
    db = open_database(data_dir / "warroom.db")
    try:
        incident_service(db, FakeClock(NOW), actor="ops").set_status(
            done_id, "resolved", "recovered on its own"
        )
    finally:
        db.dispose()
    assert [r["id"] for r in json_of(run_cli, "list")] == [open_id]
    everything = json_of(run_cli, "list", "--all")
    assert sorted(r["id"] for r in everything) == [open_id, done_id]
    resolved = next(r for r in everything if r["id"] == done_id)
    assert resolved["status"] == "resolved"
    assert resolved["next_update"]["state"] == "stopped"
    assert resolved["next_update"]["deadline"] is None


def test_list_table_for_people(run_cli, cli_clock):
    assert run_cli("list") == (0, "No open incidents.\n", "")
    declare(run_cli, title="Everything is down", severity="P0")
    cli_clock.advance(minutes=16)
    code, out, err = run_cli("list")
    assert (code, err) == (0, "")
    header, row = out.splitlines()
    assert header.split()[:3] == ["ID", "SEV", "STATUS"]
    assert "NO IC" in row
    assert "OVERDUE +1:00" in row
    assert "0:16:00" in row
    assert row.endswith("Everything is down")
    code, out, err = run_cli(
        "declare", "--title", "Tabletop", "--severity", "P3", "--drill"
    )  # fmt: skip
    assert out.strip() in run_cli("list")[1]
    rows = run_cli("list")[1].splitlines()[1:]
    assert rows[-1].endswith("[DRILL] Tabletop")  # said first, as on the board


# -- note and show ---------------------------------------------------------------------------------


def test_show_json_includes_the_timeline_with_a_backdated_note(run_cli, cli_clock):
    incident_id = declare(run_cli)
    cli_clock.advance(minutes=10)
    code, out, err = run_cli(
        "note", incident_id, "Rolled back deploy 4812", "--at", "2026-11-22T14:07:00+00:00"
    )
    assert (code, err) == (0, "")
    note_id = int(out)
    shown = json_of(run_cli, "show", incident_id)
    assert shown["id"] == incident_id
    timeline = shown["timeline"]
    assert [e["kind"] for e in timeline] == ["declared", "note"]
    declared, note = timeline
    assert declared["text"] == "Declared P1: Checkout down"
    assert note["id"] == note_id
    assert note["text"] == "Rolled back deploy 4812"
    assert note["at"] == "2026-11-22T14:07:00+00:00"
    assert note["recorded_at"] == "2026-11-22T14:15:00+00:00"
    assert note["data"] == {"backdated": True}
    for event in timeline:
        assert_utc_text(event["at"])


def test_show_text_lists_the_timeline(run_cli):
    incident_id = declare(run_cli, "--commander", "Dana")
    code, out, err = run_cli("show", incident_id)
    assert (code, err) == (0, "")
    assert out.startswith(f"#{incident_id} P1 Checkout down\n")
    assert "IC: Dana" in out
    assert "2026-11-22 14:05:00Z" in out
    assert "Declared P1: Checkout down" in out


def test_show_missing_incident_exits_4(run_cli):
    declare(run_cli)
    code, out, err = run_cli("show", "99")
    assert (code, out) == (4, "")
    assert "no incident #99" in err


def test_note_on_missing_incident_exits_4(run_cli):
    code, out, err = run_cli("note", "5", "hello")
    assert (code, out) == (4, "")
    assert "no incident #5" in err


# -- an unusable data file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--json"],
        ["show", "1"],
        ["declare", "--title", "x", "--severity", "P1"],
        ["note", "1", "hello"],
    ],
)
def test_non_sqlite_database_exits_3_and_is_left_untouched(run_cli, data_dir, args):
    data_dir.mkdir()
    database = data_dir / "warroom.db"
    database.write_bytes(b"hello world" * 100)
    code, out, err = run_cli(*args)
    assert code == 3
    if "--json" in args:  # the error as JSON on stdout too
        assert json.loads(out)["error"]["code"] == 3
    else:
        assert out == ""
    assert str(database) in err
    assert database.read_bytes() == b"hello world" * 100
    assert [p.name for p in data_dir.iterdir()] == ["warroom.db"]


def test_broken_policy_override_warns_but_the_command_works(run_cli, tmp_path):
    config = tmp_path / "xdg-config" / "warroom"
    config.mkdir(parents=True)
    (config / "policy.toml").write_text("[severity\n")
    code, out, err = run_cli("declare", "--title", "x", "--severity", "P1")
    assert (code, out) == (0, "1\n")
    assert "warning" in err
    assert str(config / "policy.toml") in err


# -- headless, as a separate process ---------------------------------------------------------------

# Makes PySide6 unimportable in the child process.
BLOCK_QT = "import sys; sys.modules['PySide6'] = None; "
# `python -m warroom ARGS`, with PySide6 blocked.
WITHOUT_QT = (
    BLOCK_QT + "import runpy; runpy.run_module('warroom', run_name='__main__', alter_sys=True)"
)


def test_cli_runs_headless_without_pyside6(tmp_path):
    """The verbs work with no display and without Qt: `PySide6` is blocked in the child, so any
    attempt to import it would fail the command."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env["PYTHONPATH"] = str(Path(warroom.__file__).parent.parent)  # the warroom under test
    data = tmp_path / "headless"

    def run(*command):
        return subprocess.run(
            [sys.executable, *command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    declared = run(
        "-m",
        "warroom",
        "--data-dir",
        str(data),
        "declare",
        "--title",
        "Headless",
        "--severity",
        "P2",
    )
    assert (declared.returncode, declared.stdout, declared.stderr) == (0, "1\n", "")

    listed = run("-c", WITHOUT_QT, "list", "--json", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == ""
    [row] = json.loads(listed.stdout)
    assert (row["id"], row["title"], row["severity"]) == (1, "Headless", "P2")
    assert_utc_text(row["next_update"]["deadline"])

    blocked = run("-c", BLOCK_QT + "import PySide6")
    assert blocked.returncode != 0  # the block really does stop a Qt import


def test_main_without_a_verb_goes_for_the_gui():
    """Sanity check of the in-process guard used above: the GUI path does import warroom.ui.app."""
    with pytest.raises(ImportError):
        main(["--data-dir", "unused"])
