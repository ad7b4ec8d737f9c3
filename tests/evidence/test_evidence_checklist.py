"""The evidence checklist: seeded from the data file at declaration (or on first read), in
its order; custom items; not applicable needs a reason; the rotation clock; a team's file."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from tests.evidence.helpers import EVIDENCE_T0, IMPACT_STARTED, evidence_events
from warroom.adapters.vault import FileVault
from warroom.domain.evidence import (
    ChecklistError,
    ItemState,
    load_checklist_file,
    parse_checklist,
)
from warroom.domain.validation import ValidationError
from warroom.services.evidence import EvidenceService, builtin_checklist_file
from warroom.system.paths import AppPaths


def builtin_names():
    data = tomllib.loads(builtin_checklist_file().read_text(encoding="utf-8"))
    return [entry["name"] for entry in data["item"]]


def test_seeded_at_declaration_in_the_data_files_order(incident, evidence, raw):
    # Seeded by the DECLARED announcement, before anything reads the checklist.
    names = [r[0] for r in raw.rows("SELECT name FROM evidence_item ORDER BY position")]
    assert names == builtin_names()
    items = evidence.checklist(incident.id)
    assert [i.name for i in items] == builtin_names()
    assert [i.position for i in items] == list(range(1, len(items) + 1))
    assert all(i.state is ItemState.PENDING and i.artifact_ids == () for i in items)
    # Most volatile first (RFC 3227): memory and process state leads, for security incidents.
    first = items[0]
    assert first.name == "Process and memory state" and first.security_only
    assert [i.name for i in items if i.security_only] == ["Process and memory state"]
    assert items[-1].name == "External status pages"
    assert all(i.hint for i in items)


def test_logs_rotate_24h_after_impact_started(incident, evidence):
    by_name = {i.name: i for i in evidence.checklist(incident.id)}
    logs = by_name["Application logs around the start"]
    assert logs.rotates_at == IMPACT_STARTED + timedelta(hours=24)
    assert by_name["Traffic patterns"].rotates_at is None


def test_reading_never_seeds_the_first_evidence_write_does(incidents, vault_root, raw):
    # Declared with no evidence service listening: it has no checklist yet.
    incident = incidents.declare("DNS outage", "P0")
    service = EvidenceService(incidents, FileVault(vault_root))

    def stored_items():
        return raw.counts("evidence_item")[0]

    try:
        assert service.checklist(incident.id) == []  # a read writes nothing
        assert service.pending(incident.id) == []
        assert stored_items() == 0
        added = service.add_item(incident.id, "Resolver logs")
        names = [i.name for i in service.checklist(incident.id)]
        assert names == [*builtin_names(), "Resolver logs"]  # seeded once, in that write
        assert added.position == len(names)
        assert stored_items() == len(names)
    finally:
        service.close()


def test_seeding_is_not_a_timeline_event(incident, incidents):
    assert evidence_events(incidents, incident.id) == []


def test_add_a_custom_item(incident, evidence, incidents):
    item = evidence.add_item(incident.id, "  Kafka   consumer lag ")
    assert item.name == "Kafka consumer lag"
    assert item.state is ItemState.PENDING
    assert not item.security_only
    items = evidence.checklist(incident.id)
    assert items[-1] == item
    assert item.position == len(builtin_names()) + 1
    assert evidence_events(incidents, incident.id) == ["Evidence item added: Kafka consumer lag"]
    with pytest.raises(ValidationError, match="already has"):
        evidence.add_item(incident.id, "kafka consumer LAG")
    with pytest.raises(ValidationError, match="Say what to collect"):
        evidence.add_item(incident.id, "   ")


def test_not_applicable_needs_a_reason_and_can_be_reopened(incident, evidence, incidents):
    item = evidence.checklist(incident.id)[0]
    with pytest.raises(ValidationError, match="Say why") as caught:
        evidence.mark_not_applicable(item.id, "  ")
    assert caught.value.field == "reason"
    assert evidence.checklist(incident.id)[0].state is ItemState.PENDING
    done = evidence.mark_not_applicable(item.id, "not a security incident")
    assert (done.state, done.reason) == (ItemState.NOT_APPLICABLE, "not a security incident")
    reopened = evidence.reopen_item(item.id)
    assert (reopened.state, reopened.reason) == (ItemState.PENDING, "")
    assert evidence_events(incidents, incident.id) == [
        "Evidence not applicable: Process and memory state: not a security incident",
        "Evidence item reopened: Process and memory state (was not applicable)",
    ]
    assert evidence.checklist(incident.id)[0].state is ItemState.PENDING
    # Asked only of a security incident, which triage has not said this is: not pending here.
    assert item.security_only and item.id not in [i.id for i in evidence.pending(incident.id)]


def test_at_risk_within_the_hour_before_rotation(incident, evidence, clock):
    logs = next(i for i in evidence.checklist(incident.id) if i.rotates_at is not None)
    rotates = logs.rotates_at
    assert not logs.at_risk(rotates - timedelta(hours=1, seconds=1))
    assert logs.at_risk(rotates - timedelta(hours=1))
    assert logs.at_risk(rotates + timedelta(hours=5))  # already past: still flagged
    assert logs.rotates_in(rotates - timedelta(minutes=20)) == timedelta(minutes=20)
    assert evidence.at_risk(rotates - timedelta(hours=2)) == []
    [(found_incident, found_item)] = evidence.at_risk(rotates - timedelta(minutes=59))
    assert (found_incident.id, found_item.id) == (incident.id, logs.id)
    assert found_item.at_risk(rotates - timedelta(minutes=59))


def test_collected_or_closed_is_not_at_risk(incident, evidence, incidents, make_file):
    logs = next(i for i in evidence.checklist(incident.id) if i.rotates_at is not None)
    later = logs.rotates_at - timedelta(minutes=10)
    other = incidents.declare("Search slow", "P2", impact_started_at=IMPACT_STARTED)
    evidence.collect_file(incident.id, make_file(data=b"log lines\n"), item_id=logs.id)
    assert [i.id for _, i in evidence.at_risk(later)] == [
        next(i for i in evidence.checklist(other.id) if i.rotates_at is not None).id
    ]
    assert [i.id for _, i in evidence.rotations()] == [i.id for _, i in evidence.at_risk(later)]
    incidents.set_status(other.id, "resolved", "recovered on its own")
    assert evidence.at_risk(later) == []
    assert evidence.rotations() == []


def test_rotations_lists_every_pending_rotation_time_ahead(incident, evidence):
    [(found_incident, item)] = evidence.rotations()
    assert found_incident.id == incident.id
    assert item.name == "Application logs around the start"
    assert evidence.at_risk(EVIDENCE_T0) == []  # 23.5 h ahead: not at risk yet


def test_rotation_time_can_be_edited_and_cleared(incident, evidence, incidents):
    logs = next(i for i in evidence.checklist(incident.id) if i.rotates_at is not None)
    new = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert evidence.set_rotates_at(logs.id, new).rotates_at == new
    assert evidence.set_rotates_at(logs.id, None).rotates_at is None
    with pytest.raises(ValidationError, match="time zone"):
        evidence.set_rotates_at(logs.id, datetime(2026, 11, 22, 20, 0))
    texts = evidence_events(incidents, incident.id)
    assert texts[0].startswith(
        "Evidence item “Application logs around the start” rotates at 2026-11-22 20:00 UTC (was "
    )
    assert texts[1].startswith(
        "Evidence item “Application logs around the start”: rotation time cleared"
    )


def test_a_teams_checklist_from_the_config_dir_replaces_the_builtin(tmp_path, incidents):
    paths = AppPaths(tmp_path / "data", tmp_path / "config", tmp_path / "logs")
    assert paths.vault == tmp_path / "data" / "vault"
    assert paths.user_checklist == tmp_path / "config" / "checklists" / "evidence.toml"
    paths.user_checklist.parent.mkdir(parents=True)
    paths.user_checklist.write_text(
        '[[item]]\nname = "Kubernetes events"\nrotates_after = "1h"\n\n'
        '[[item]]\nname = "Audit log"\nsecurity_only = true\n',
        encoding="utf-8",
    )
    service = EvidenceService(incidents, FileVault(paths.vault), paths.user_checklist)
    try:
        assert service.warnings == []
        incident = incidents.declare("Pods evicted", "P2", impact_started_at=IMPACT_STARTED)
        items = service.checklist(incident.id)
        assert [(i.name, i.security_only) for i in items] == [
            ("Kubernetes events", False),
            ("Audit log", True),
        ]
        assert items[0].rotates_at == IMPACT_STARTED + timedelta(hours=1)
    finally:
        service.close()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[[item]]\nname = "Logs"\nrotates_after = "soon"\n', "item[1].rotates_after"),
        ('[[item]]\nname = "Logs"\nrotate_after = "24h"\n', "item[1].rotate_after"),
        ('[[item]]\nhint = "no name"\n', "item[1].name"),
        ('[[item]]\nname = "A"\n[[item]]\nname = "a"\n', "item[2].name"),
        ('[[item]]\nname = "A"\nsecurity_only = "yes"\n', "item[1].security_only"),
        ("title = 'no items'\n", "item"),
        ("[[item]\nname = 1", "(syntax)"),
    ],
)
@pytest.mark.parametrize("engine", ["sqlite"])  # about the file; the storage is not
def test_a_malformed_override_warns_naming_file_and_key(tmp_path, incidents, text, key):
    override = tmp_path / "config" / "checklists" / "evidence.toml"
    override.parent.mkdir(parents=True)
    override.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(override)
    assert (caught.value.source, caught.value.key) == (str(override), key)
    service = EvidenceService(incidents, FileVault(tmp_path / "vault"), override)
    try:
        [warning] = service.warnings
        assert str(override) in warning and f"“{key}”" in warning
        assert "built-in checklist is used" in warning
        incident = incidents.declare("Anything", "P3")
        assert [i.name for i in service.checklist(incident.id)] == builtin_names()
    finally:
        service.close()


def test_parse_checklist_reads_durations_and_flags():
    template = parse_checklist(
        {"item": [{"name": " Logs ", "rotates_after": "1h30m", "hint": " where "}]}, "t.toml"
    )
    [item] = template.items
    assert (item.name, item.hint, item.rotates_after) == ("Logs", "where", timedelta(minutes=90))
    assert template.seeded_rotation(item, IMPACT_STARTED) == IMPACT_STARTED + timedelta(minutes=90)
