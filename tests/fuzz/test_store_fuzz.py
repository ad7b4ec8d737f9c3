"""Hypothesis drives opening with files that are not warroom's, and with warroom files that
another writer holds.

Foreign shapes: random bytes; an SQLite magic followed by random bytes; another program's
SQLite file with a random schema (random table and column names, `incident` and
`warroom_schema` among them), a random application id, user version and journal mode.
Through `open_database` and through the CLI (`warroom list`, `warroom declare`), each is
refused with a message naming the file (exit 3, no traceback), and the folder is byte for
byte as it was: content, mtime and mode of every file, nothing added.

Busy shapes: a warroom file (current, or from before the application id at any released
schema version) held by another connection, either mid-write or locked even against
readers. Opening and listing succeed when no write is needed; otherwise the refusal says
busy, never damaged, and the file is unchanged.

WARROOM_FUZZ_EXAMPLES sets the examples per test (default below, sized for CI).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from tests.adapters.conftest import STORE_T0
from tests.adapters.helpers import folder_state
from tests.fuzz.reporting import report_cases
from warroom.__main__ import main
from warroom.adapters.sql.migrations import LATEST_VERSION, migrate
from warroom.adapters.sql.sqlite import database as database_module
from warroom.adapters.sql.sqlite.database import StoreError, open_database
from warroom.adapters.sql.sqlite.recognise import APPLICATION_ID, SQLITE_MAGIC
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock

EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CASES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def fuzz_report(request):
    yield
    report_cases(request, "foreign and busy files", CASES)


@pytest.fixture(autouse=True)
def short_waits(monkeypatch):
    """A refusal for busy comes at once; no outcome depends on these (no lock is released
    while a test waits)."""
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 5)
    monkeypatch.setattr(database_module, "WRITE_ATTEMPT_MS", 5, raising=False)
    monkeypatch.setattr(database_module, "OPEN_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(database_module, "WRITE_WAIT_SECONDS", 0.05)


@contextlib.contextmanager
def data_folder():
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "data"
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)
        yield folder


# -- foreign files ------------------------------------------------------------------------------
NAMES = st.one_of(
    st.sampled_from(
        ["incident", "warroom_schema", "timeline_event", "draft", "photo", "version", "x"]
    ),
    st.text(
        st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1
    ).filter(lambda name: not name.casefold().startswith("sqlite_")),  # SQLite's own names
)
COLUMNS = st.lists(NAMES, min_size=1, max_size=4, unique_by=str.casefold)
SCHEMAS = st.lists(st.tuples(NAMES, COLUMNS), max_size=5, unique_by=lambda t: t[0].casefold())
FOREIGN_IDS = st.integers(-(2**31), 2**31 - 1).filter(lambda n: n != APPLICATION_ID)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@st.composite
def foreign_sqlite(draw):  # type: ignore[no-untyped-def]
    schema = draw(SCHEMAS)
    tables = {name.casefold(): [c.casefold() for c in columns] for name, columns in schema}
    app_id = draw(st.one_of(st.just(0), FOREIGN_IDS))
    # warroom's own shape from before the id is warroom's by definition: not foreign.
    assume(
        not (
            app_id == 0
            and "incident" in tables
            and tables.get("warroom_schema") == ["version"]
            and [n for n, _ in schema if n.casefold() == "warroom_schema"] == ["warroom_schema"]
        )
    )
    rows = draw(st.lists(st.binary(max_size=64), max_size=3))
    wal = draw(st.booleans())
    user_version = draw(st.integers(0, 2**31 - 1))

    def write(path: Path) -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            if wal:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA application_id={app_id}")
            conn.execute(f"PRAGMA user_version={user_version}")
            for name, columns in schema:
                conn.execute(
                    f"CREATE TABLE {_quoted(name)} ({', '.join(_quoted(c) for c in columns)})"
                )
                for row in rows:
                    marks = ", ".join("?" * len(columns))
                    conn.execute(
                        f"INSERT INTO {_quoted(name)} VALUES ({marks})", [row] * len(columns)
                    )

    return ("foreign SQLite schema", write)


def _bytes_shape(label: str, data: bytes):  # type: ignore[no-untyped-def]
    return (label, lambda path: path.write_bytes(data))


FOREIGN = st.one_of(
    st.binary(min_size=1, max_size=8192).map(lambda b: _bytes_shape("random bytes", b)),
    st.binary(max_size=8192).map(lambda b: _bytes_shape("SQLite magic + random", SQLITE_MAGIC + b)),
    foreign_sqlite(),
)


@FUZZ
@given(
    shape=FOREIGN, verb=st.sampled_from([["list"], ["declare", "--title", "t", "--severity", "P2"]])
)
def test_a_foreign_file_is_refused_and_never_modified(shape, verb, capsys):
    label, write = shape
    CASES[f"foreign: {label}"] += 1
    with data_folder() as folder:
        path = folder / "warroom.db"
        write(path)
        before = folder_state(folder)
        with pytest.raises(StoreError) as refused:
            open_database(path)
        assert refused.value.kind in (StoreError.NOT_A_DATABASE, StoreError.DAMAGED)
        assert str(path) in str(refused.value) and "left untouched" in str(refused.value)
        assert folder_state(folder) == before
        capsys.readouterr()
        assert main(["--data-dir", str(folder), *verb]) == 3
        out, err = capsys.readouterr()
        assert out == "" and str(path) in err and "Traceback" not in err
        assert folder_state(folder) == before


# -- busy files ---------------------------------------------------------------------------------
def _warroom_file(path: Path, version: int, stamped: bool, incidents: int) -> None:
    if stamped and version == LATEST_VERSION:
        database = open_database(path, now=STORE_T0)
        service = incident_service(database, FakeClock(STORE_T0), actor="fuzz")
        for n in range(incidents):
            service.declare(f"Incident {n}", "P2")
        database.dispose()
        return
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as conn:
        migrate(conn, target=version)
        conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID if stamped else 0}")
    engine.dispose()


@contextlib.contextmanager
def _held(path: Path, how: str):
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        if how == "exclusive":
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
        else:
            conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE warroom_schema SET version = version")
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


@FUZZ
@given(
    version=st.integers(1, LATEST_VERSION),
    stamped=st.booleans(),
    incidents=st.integers(0, 3),
    how=st.sampled_from(["write", "exclusive"]),
)
def test_a_busy_file_is_busy_never_damaged_and_never_modified(
    version, stamped, incidents, how, capsys
):
    needs_write = version < LATEST_VERSION or not stamped
    CASES[f"busy: {how}, {'needs a write' if needs_write else 'read only'}"] += 1
    with data_folder() as folder:
        path = folder / "warroom.db"
        _warroom_file(path, version, stamped, incidents)
        with _held(path, how):
            before = path.read_bytes()
            capsys.readouterr()
            code = main(["--data-dir", str(folder), "list"])
            out, err = capsys.readouterr()
            if how == "write" and not needs_write:
                assert (code, err) == (0, "")
                assert out.count("Incident ") == incidents
            else:
                assert code == 3 and "Traceback" not in err
                assert f"another warroom is writing to {path}" in err
                assert "is damaged" not in err
                assert path.read_bytes() == before
                assert not (folder / "backups").exists() or not list((folder / "backups").iterdir())
