"""Fixtures for evidence preservation: tests/conftest.py's incident service and an evidence
service on a vault beside its database, on a machine in New York; an incident declared with
the evidence service listening, files to collect, and raw views of what was stored.

Every test that uses the database runs on both engines: the local SQLite file and a shared
PostgreSQL server. The CLI's tests (test_evidence_cli.py) and the few about the SQLite file
itself stay on the file."""

from __future__ import annotations

import itertools

import pytest

from tests.adapters.helpers import empty_postgres_database, raw_access
from tests.evidence.helpers import EVIDENCE_T0, IMPACT_STARTED
from warroom.adapters.vault import FileVault
from warroom.services.evidence import EvidenceService


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.param


@pytest.fixture
def start():
    return EVIDENCE_T0


@pytest.fixture(autouse=True)
def machine_in_new_york(machine_in_new_york):
    """The collector's machine runs on New York time: the zone must be recorded as such."""
    return machine_in_new_york


@pytest.fixture
def vault_root(data_dir):
    """Beside the database file, where bootstrap puts the vault."""
    return data_dir / "vault"


@pytest.fixture
def incidents(service):
    """The incident service alone: a test may set its own evidence service listening."""
    return service


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
def raw(engine, db, db_path, request):
    """SQL straight on the database, as someone going behind the app's back would: the file
    with sqlite3, or the server with psycopg as its superuser (RawAccess)."""
    return raw_access(engine, db_path, request)


@pytest.fixture
def stored(raw):
    """Row counts as committed, read over a separate connection."""
    tables = ("evidence_artifact", "custody_entry", "evidence_link", "timeline_event")
    return lambda: dict(zip(tables, raw.counts(*tables), strict=True))


@pytest.fixture
def raw_sql(raw):
    """Runs SQL on the database as someone going behind the app's back would."""
    return raw.run


_empty = itertools.count(1)


@pytest.fixture
def empty_postgres(postgres_server):
    """The URL of a database with no tables yet on the run's server, for migrations."""
    with empty_postgres_database(postgres_server, f"evidence_empty_{next(_empty)}") as url:
        yield url
