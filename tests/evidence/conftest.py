"""Fixtures for evidence preservation: tests/conftest.py's incident service and an evidence
service on a vault beside its database, on a machine in New York; an incident declared with
the evidence service listening, files to collect, and raw views of what was stored."""

from __future__ import annotations

import pytest

from tests.evidence.helpers import EVIDENCE_T0, IMPACT_STARTED
from tests.helpers import count_rows, run_sql
from warroom.adapters.vault import FileVault
from warroom.services.evidence import EvidenceService


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
def stored(db_path):
    """Row counts as committed in the file, read over a separate sqlite3 connection."""
    tables = ("evidence_artifact", "custody_entry", "evidence_link", "timeline_event")
    return lambda: dict(zip(tables, count_rows(db_path, *tables), strict=True))


@pytest.fixture
def raw_sql(db_path):
    """Runs SQL on the database file as someone going behind the app's back would."""
    return lambda *statements: run_sql(db_path, *statements)
