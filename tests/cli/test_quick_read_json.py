"""`list --json` and `show ID --json` answer from the standard-library read (no SQLAlchemy):
byte for byte what the ORM path prints, on the benchmarks' realistic database (1,000
incidents, 200 open, 20,000 events) with awkward text mixed in; and the normal path answers
whenever the file, the folder or the config is anything but ordinary."""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from warroom import bootstrap
from warroom.domain.clock import FakeClock
from warroom.system.paths import resolve_paths

PERF = Path(__file__).resolve().parents[1] / "perf"
sys.path.insert(0, str(PERF))
from fixtures import build_database  # noqa: E402  (tests/perf is not a package)

AWKWARD = (
    "Checkout \x1b[2J down \u202egnp.exe",
    "DEL\x7f and C1\x85 in a title, “quotes” and \\ backslash",
    "emoji 🔥 and CJK 障害",
)


@pytest.fixture
def realistic(tmp_path: Path, start) -> Path:
    """The 1x set, plus incidents with every field set and text the output must escape."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    built = build_database(data, now=start)
    clock = FakeClock(start - timedelta(minutes=30))
    from warroom.adapters.sql.sqlite.database import open_database

    database = open_database(built.path, now=start)
    try:
        service = bootstrap.incident_service(database, clock, actor="Dana \u202e Whitfield")
        ids = []
        for n, title in enumerate(AWKWARD):
            incident = service.declare(
                title,
                ("P0", "P2", "P3")[n],
                impact=f"line one\nline two\t{title}",
                commander="Sam Chen",
                is_security=n == 0,
                service="payments" if n else "",
                dedupe_key=f"alert-{n}",
                impact_started_at=clock.now() - timedelta(minutes=9),
                detected_at=clock.now() - timedelta(minutes=5),
            )
            ids.append(incident.id)
            clock.advance(minutes=2)
            service.add_note(incident.id, f"note with {title}\r\nand a CR")
            service.assign_role(incident.id, "scribe", "Jo Martins")
            service.change_severity(incident.id, "P1", f"because {title}")
        service.acknowledge(ids[0])
        service.mark_update_sent(ids[0], "Investigating \x1b]0;pwned\x07")
        service.mark_duplicate(ids[2], of=ids[1])
        service.link(ids[0], ids[1])
        service.set_status(ids[1], "resolved", "recovered")
    finally:
        database.dispose()
    return data


def _args(data: Path, verb: str, **extra: object) -> argparse.Namespace:
    return argparse.Namespace(verb=verb, data_dir=str(data), actor="Bench", json=True, **extra)


def _orm(args: argparse.Namespace, capsys) -> tuple[int, str, str]:
    from warroom.cli.main import run

    paths = resolve_paths(args.data_dir)
    code = run(args, bootstrap.LocalBackend(paths))
    out, err = capsys.readouterr()
    return code, out, err


def _quick(args: argparse.Namespace, capsys) -> tuple[int | None, str, str]:
    code = bootstrap.quick_read_verb(args, resolve_paths(args.data_dir))
    out, err = capsys.readouterr()
    return code, out, err


def _ids(data: Path) -> list[int]:
    """Every 20th incident, every incident with awkward text, and the longest timeline."""
    with sqlite3.connect(data / "warroom.db") as conn:
        every = [r[0] for r in conn.execute("SELECT id FROM incident WHERE id % 20 = 1")]
        last = [r[0] for r in conn.execute("SELECT id FROM incident ORDER BY id DESC LIMIT 3")]
        longest = conn.execute(
            "SELECT incident_id FROM timeline_event GROUP BY incident_id "
            "ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]
    conn.close()
    return sorted({*every, *last, longest})


def test_list_json_is_byte_identical_to_the_orm_path(realistic, capsys):
    for everything in (False, True):
        args = _args(realistic, "list", all=everything)
        expected = _orm(args, capsys)
        assert expected[0] == 0 and expected[1].startswith("[")
        assert _quick(args, capsys) == expected


def test_show_json_is_byte_identical_to_the_orm_path(realistic, capsys):
    ids = _ids(realistic)
    assert len(ids) > 50
    for incident_id in ids:
        args = _args(realistic, "show", id=incident_id)
        expected = _orm(args, capsys)
        assert expected[0] == 0 and '"timeline"' in expected[1]
        assert _quick(args, capsys) == expected, incident_id


def test_run_cli_takes_the_quick_read_and_gives_the_same_bytes(realistic, capsys):
    args = _args(realistic, "show", id=_ids(realistic)[-1])
    expected = _orm(args, capsys)
    assert bootstrap.run_cli(args) == 0
    assert capsys.readouterr() == expected[1:]


def test_the_quick_read_imports_no_sqlalchemy(realistic):
    code = (
        "import argparse, sys\n"
        "from warroom.bootstrap import run_cli\n"
        f"args = argparse.Namespace(verb='list', data_dir={str(realistic)!r}, actor='Bench',"
        " json=True, all=False)\n"
        "assert run_cli(args) == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sqlalchemy', 'sqlmodel', 'pydantic', 'jinja2'))\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(realistic.parent / "config")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[\n  {")


def test_a_missing_incident_is_left_to_the_normal_path(realistic, capsys):
    args = _args(realistic, "show", id=999_999)
    assert _quick(args, capsys) == (None, "", "")
    code, out, err = _orm(args, capsys)
    assert code != 0 and "999999" in err and '"error"' in out


def test_a_folder_open_to_others_is_left_to_the_normal_path_and_its_warning(realistic, capsys):
    os.chmod(realistic, 0o755)
    args = _args(realistic, "list", all=False)
    assert _quick(args, capsys) == (None, "", "")
    code, _, err = _orm(args, capsys)
    assert code == 0 and "open to other users" in err


def test_a_file_at_another_schema_or_wider_mode_is_left_to_the_normal_path(realistic, capsys):
    db = realistic / "warroom.db"
    os.chmod(db, 0o644)
    assert _quick(_args(realistic, "list", all=False), capsys)[0] is None
    os.chmod(db, 0o600)
    assert _quick(_args(realistic, "list", all=False), capsys)[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE warroom_schema SET version = version - 1")
    conn.close()
    assert _quick(_args(realistic, "list", all=False), capsys)[0] is None


def test_a_bad_policy_or_checklist_is_left_to_the_normal_path(realistic, capsys):
    paths = resolve_paths(str(realistic))
    paths.user_policy.parent.mkdir(parents=True, exist_ok=True)
    paths.user_policy.write_text("[severity.P0\n", encoding="utf-8")
    assert _quick(_args(realistic, "list", all=False), capsys) == (None, "", "")
    paths.user_policy.unlink()
    paths.user_checklist.parent.mkdir(parents=True, exist_ok=True)
    paths.user_checklist.write_text("not = [toml\n", encoding="utf-8")
    assert _quick(_args(realistic, "list", all=False), capsys) == (None, "", "")
