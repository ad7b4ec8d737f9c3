"""The evidence tables in the store, on both engines: an older database gains them (with
their triggers) on upgrade, and its incidents get a checklist with the first evidence write
(never on a read); seeding is part of the declaration, so a storage failure while seeding
leaves nothing; the unique keys of migration v7 refuse what a check could miss with two
writers."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.adapters.helpers import RawAccess
from tests.evidence.helpers import EVIDENCE_T0
from warroom.adapters.sql.evidence import SqlEvidence
from warroom.adapters.sql.migrations import migrate
from warroom.adapters.sql.postgres.database import open_shared
from warroom.adapters.sql.sqlite.database import open_database
from warroom.adapters.sql.unit_of_work import SqlStorage
from warroom.adapters.vault import FileVault
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock
from warroom.domain.evidence import HEAD_FILE, ArtifactKind, DuplicateArtifact
from warroom.services.evidence import EvidenceService
from warroom.services.ports import WriteFailed
from warroom.services.ports.evidence import AlreadyStored

TRIGGERS = {
    "sqlite": {
        "custody_entry_no_update",
        "custody_entry_no_delete",
        "evidence_artifact_no_update",
        "evidence_artifact_no_delete",
        "evidence_chunk_no_update",
        "evidence_chunk_no_delete",
    },
    "postgresql": {
        "custody_entry_guard",
        "custody_entry_no_truncate",
        "evidence_artifact_guard",
        "evidence_artifact_no_truncate",
        "evidence_chunk_guard",
        "evidence_chunk_no_truncate",
    },
}
TRIGGER_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
}


@pytest.fixture
def v5_database(engine, tmp_path, request):
    """An empty database of `engine` migrated to schema v5 (before the evidence tables),
    holding one incident; yields (where, RawAccess on it)."""
    if engine == "postgresql":
        where = request.getfixturevalue("empty_postgres")
        engine_ = create_engine(where.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        where = tmp_path / "warroom.db"
        engine_ = create_engine(f"sqlite:///{where}")
    with engine_.begin() as conn:
        migrate(conn, target=5)
        conn.execute(
            text(
                "INSERT INTO incident (id, title, severity, status, impact, impact_started_at,"
                " declared_at, commander, tech_lead, comms_lead, scribe, is_drill) VALUES"
                " (3, 'Old one', 'P2', 'active', '', '2026-11-20T08:00:00.000000+00:00',"
                " '2026-11-20T08:05:00.000000+00:00', '', '', '', '', FALSE)"
            )
        )
    engine_.dispose()
    return where, RawAccess(engine, where)


def test_a_v5_database_gains_the_evidence_tables_and_triggers(engine, v5_database, tmp_path):
    where, raw = v5_database
    if engine == "postgresql":
        database = open_shared(where, tmp_path, now=EVIDENCE_T0)
    else:
        database = open_database(where, now=EVIDENCE_T0)
    try:
        assert {r[0] for r in raw.rows(TRIGGER_NAMES[engine])} == TRIGGERS[engine]
        incidents = incident_service(database, FakeClock(EVIDENCE_T0), actor="alice")
        evidence = EvidenceService(incidents, FileVault(tmp_path / "vault"))
        assert evidence.checklist(3) == []  # a read writes nothing
        evidence.add_item(3, "Old dashboards")  # the first evidence write seeds it
        items = evidence.checklist(3)
        assert len(items) == 13 and items[0].incident_id == 3
        assert items[-1].name == "Old dashboards"
        logs = next(i for i in items if i.rotates_at is not None)
        assert logs.rotates_at.isoformat() == "2026-11-21T08:00:00+00:00"
        evidence.close()
    finally:
        database.dispose()


# A storage that refuses the checklist's rows (as a full or failing disk would), on each engine.
REFUSE_ITEMS = {
    "sqlite": (
        "CREATE TRIGGER refuse_items BEFORE INSERT ON evidence_item "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION refuse_items() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'disk I/O error'; END $$",
        "CREATE TRIGGER refuse_items BEFORE INSERT ON evidence_item "
        "FOR EACH ROW EXECUTE FUNCTION refuse_items()",
    ),
}
ACCEPT_ITEMS = {
    "sqlite": ("DROP TRIGGER refuse_items",),
    "postgresql": ("DROP TRIGGER refuse_items ON evidence_item", "DROP FUNCTION refuse_items()"),
}


def test_a_storage_failure_while_seeding_rolls_the_declaration_back(incidents, evidence, raw):
    raw.run(*REFUSE_ITEMS[raw.engine])
    with pytest.raises(WriteFailed) as refused:
        incidents.declare("Not half declared", "P1", commander="Dana")
    assert refused.value.message.startswith("Nothing was saved:")
    assert "disk I/O error" in refused.value.message
    assert incidents.list_incidents(include_closed=True) == []
    assert raw.counts("incident", "timeline_event", "evidence_item", "change_log") == (0, 0, 0, 0)

    raw.run(*ACCEPT_ITEMS[raw.engine])
    incident = incidents.declare("Declared", "P1")
    assert len(evidence.checklist(incident.id)) == 12


@pytest.fixture
def storage(db, clock):
    """A second storage on the same file, as another writer's."""
    return SqlStorage(db, clock.now)


def test_the_unique_key_refuses_a_second_copy_a_check_missed(incident, evidence, storage):
    """Two writers each checked, found no copy, and insert: the second is refused by the
    storage, as the same DuplicateArtifact the check gives."""
    fields = dict(
        item_id=None,
        kind=ArtifactKind.FILE,
        name="app.log",
        description="",
        original_path="/var/log/app.log",
        host="web-1",
        size=10,
        sha256="ab" * 32,
        stored_name="abababab-app.log",
        collector="alice",
        collected_at=EVIDENCE_T0,
        local_zone="UTC",
        url="",
    )
    with storage.writing() as uow:
        first = uow.evidence.add_artifact(incident_id=incident.id, **fields)
        with pytest.raises(AlreadyStored) as refused:
            uow.evidence.add_artifact(incident_id=incident.id, **{**fields, "name": "again.log"})
        assert refused.value.existing == first
        # The refusal left the transaction usable: the first one still commits.
        uow.commit()
    assert [a.name for a in evidence.artifacts(incident.id)] == ["app.log"]
    # A reference (no file, no hash) is never a duplicate.
    with storage.writing() as uow:
        for _ in range(2):
            uow.evidence.add_artifact(
                incident_id=incident.id, **{**fields, "sha256": "", "stored_name": ""}
            )
        uow.commit()
    assert len(evidence.artifacts(incident.id)) == 3


def test_a_collection_racing_past_the_check_is_refused_as_a_duplicate(
    incident, evidence, make_file, monkeypatch, stored, vault_root
):
    """The service's own check misses the other writer's copy (it committed in between): the
    storage's unique key refuses it, and the user hears the usual "already in the vault"."""
    path = make_file("app.log", b"the same bytes")
    first = evidence.collect_file(incident.id, path)
    before = stored()
    real, looks = SqlEvidence.artifact_by_sha, []

    def missed_by_the_check(self, incident_id, sha256):
        # The service's check sees nothing; the look after the refusal sees what is there.
        looks.append(sha256)
        return None if len(looks) == 1 else real(self, incident_id, sha256)

    monkeypatch.setattr(SqlEvidence, "artifact_by_sha", missed_by_the_check)
    with pytest.raises(DuplicateArtifact) as refused:
        evidence.collect_file(incident.id, make_file("copy.log", b"the same bytes"))
    assert refused.value.existing == first
    assert "already in the vault as evidence #" in str(refused.value)
    assert stored() == before
    assert sorted(p.name for p in (vault_root / str(incident.id)).iterdir()) == sorted(
        [first.stored_name, HEAD_FILE]
    )
