"""Fixtures for evidence preservation: a database and a vault in tmp_path, a fake clock, an
incident declared with an evidence service listening, and raw views of what was stored."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time

import pytest

from tests.evidence.helpers import EVIDENCE_T0, IMPACT_STARTED
from warroom.adapters.sqlite.database import open_database
from warroom.adapters.vault import FileVault
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock
from warroom.services.evidence import EvidenceService


@pytest.fixture(autouse=True)
def machine_zone():
    """The collector's machine runs on New York time: the zone must be recorded as such."""
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
def fake_clock():
    return FakeClock(EVIDENCE_T0)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def db_path(data_dir):
    return data_dir / "warroom.db"


@pytest.fixture
def vault_root(data_dir):
    return data_dir / "vault"


@pytest.fixture
def db(db_path):
    database = open_database(db_path, now=EVIDENCE_T0)
    yield database
    database.dispose()


@pytest.fixture
def incidents(db, fake_clock):
    return incident_service(db, fake_clock, actor="alice")


@pytest.fixture
def evidence(incidents, vault_root):
    service = EvidenceService(incidents, FileVault(vault_root))
    yield service
    service.close()


@pytest.fixture
def incident(incidents, evidence):
    return incidents.declare(
        "Checkout returns 500s", "P1", impact="EU card payments", impact_started_at=IMPACT_STARTED
    )


@pytest.fixture
def originals(tmp_path):
    """A folder outside the data dir holding the files to collect."""
    folder = tmp_path / "originals"
    folder.mkdir()
    return folder


@pytest.fixture
def make_file(originals):
    def make(name="app.log", data=b"", size=None):
        path = originals / name
        if size is not None:
            data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        path.write_bytes(data)
        return path

    return make


@pytest.fixture
def stored(db_path):
    """Row counts as committed in the file, read over a separate sqlite3 connection."""

    def count(table):
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def counts():
        tables = ("evidence_artifact", "custody_entry", "evidence_link", "timeline_event")
        return {table: count(table) for table in tables}

    return counts


@pytest.fixture
def raw_sql(db_path):
    """Runs SQL on the database file as someone going behind the app's back would."""

    def run(*statements):
        with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
            for statement in statements:
                conn.execute(statement)

    return run


@pytest.fixture
def run_cli(data_dir, capsys, monkeypatch, fake_clock, tmp_path):
    """`warroom --data-dir DATA ARGS...` in-process on the fake clock; (code, out, err)."""
    from warroom.__main__ import main

    monkeypatch.setattr("warroom.cli.main.SystemClock", lambda: fake_clock)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setitem(sys.modules, "warroom.ui.app", None)  # a CLI verb never loads the GUI

    def run(*args):
        code = main(["--data-dir", str(data_dir), *(str(a) for a in args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run
