"""The evidence tables in the store: an older database gains them (with their triggers) on
upgrade, and its incidents get a checklist on first read; a failed seeding at declaration
does not fail the declaration."""

from __future__ import annotations

import contextlib
import sqlite3

from sqlalchemy import create_engine, text

from tests.evidence.helpers import EVIDENCE_T0
from warroom.adapters.sql import evidence as store
from warroom.adapters.sql.migrations import migrate
from warroom.adapters.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock
from warroom.services.evidence import EvidenceService

TRIGGERS = {
    "custody_entry_no_update",
    "custody_entry_no_delete",
    "evidence_artifact_no_update",
    "evidence_artifact_no_delete",
}


def test_a_v5_database_gains_the_evidence_tables_and_triggers(tmp_path):
    path = tmp_path / "warroom.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrate(conn, target=5)
        conn.execute(
            text(
                "INSERT INTO incident (id, title, severity, status, impact, impact_started_at,"
                " declared_at, commander, tech_lead, comms_lead, scribe, is_drill) VALUES"
                " (3, 'Old one', 'P2', 'active', '', '2026-11-20T08:00:00.000000+00:00',"
                " '2026-11-20T08:05:00.000000+00:00', '', '', '', '', 0)"
            )
        )
    engine.dispose()

    database = open_database(path, now=EVIDENCE_T0)
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            found = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
            }
        assert found == TRIGGERS
        incidents = incident_service(database, FakeClock(EVIDENCE_T0), actor="alice")
        evidence = EvidenceService(incidents, tmp_path / "vault")
        items = evidence.checklist(3)  # seeded on first read
        assert items and items[0].incident_id == 3
        logs = next(i for i in items if i.rotates_at is not None)
        assert logs.rotates_at.isoformat() == "2026-11-21T08:00:00+00:00"
        evidence.close()
    finally:
        database.dispose()


def test_a_failed_seeding_does_not_fail_the_declaration(incidents, evidence, monkeypatch):
    real_seed, calls = store.seed, []

    def broken_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OSError("disk trouble")
        real_seed(*args, **kwargs)

    monkeypatch.setattr(store, "seed", broken_once)
    incident = incidents.declare("Still declared", "P1")
    assert len(calls) == 1 and incidents.get(incident.id).title == "Still declared"
    assert len(evidence.checklist(incident.id)) == 12  # seeded on the first read instead
    assert len(calls) == 2
