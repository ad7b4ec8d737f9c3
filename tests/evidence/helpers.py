"""Shared constants and helpers for the evidence tests (fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.domain.evidence import HEAD_FILE
from warroom.domain.incident import EventKind

EVIDENCE_T0 = datetime(2026, 11, 22, 14, 0, 0, 250000, tzinfo=UTC)
IMPACT_STARTED = EVIDENCE_T0 - timedelta(minutes=30)


def vault_files(root):
    """Every file under the vault, temporary ones (dot files) included; not the custody head
    files, which only grow (tests/evidence/test_evidence_forgery.py reads them)."""
    if not root.exists():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != HEAD_FILE
    )


def evidence_events(incidents, incident_id):
    return [e.text for e in incidents.timeline(incident_id) if e.kind is EventKind.EVIDENCE]
