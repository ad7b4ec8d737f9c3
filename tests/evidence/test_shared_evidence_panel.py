"""The evidence panel says where the artifacts' bytes are: in a shared war room, stored there
for any laptop to verify and export; in a local room, on this laptop only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.evidence.helpers import IMPACT_STARTED
from warroom.bootstrap import build


@pytest.fixture
def built(db, clock, tmp_path):
    services = build(db, clock, actor="alice", vault=tmp_path / "vault")
    yield services
    services.evidence.close()


def open_panel(qtbot, built, clock, make_file):
    from warroom.ui.evidence_panel import EvidencePanel

    incident = built.incidents.declare(
        "Checkout returns 500s", "P1", impact="EU card payments", impact_started_at=IMPACT_STARTED
    )
    built.evidence.collect_file(incident.id, make_file("app.log", b"ERROR timeout\n" * 50))
    panel = EvidencePanel(incident.id, built.evidence, clock)  # deleted when closed
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def keep_screenshot(panel, tmp_path: Path, name: str) -> None:
    """Into WARROOM_SCREENSHOTS when set (to look at), else the test's own folder."""
    folder = Path(os.environ.get("WARROOM_SCREENSHOTS") or tmp_path)
    assert panel.grab().save(str(folder / name))


@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_shared_room_says_any_laptop_can_verify_and_export(
    qtbot, built, clock, make_file, tmp_path
):
    panel = open_panel(qtbot, built, clock, make_file)
    text = panel.where.text()
    assert text.startswith("Stored in the shared war room: any laptop in the room can verify")
    assert str(tmp_path / "vault") in text and "custody head file" in text
    assert panel.where.isVisible()
    keep_screenshot(panel, tmp_path, "evidence-panel-shared.png")
    panel.close()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_local_room_says_the_files_stay_on_this_laptop(qtbot, built, clock, make_file, tmp_path):
    panel = open_panel(qtbot, built, clock, make_file)
    text = panel.where.text()
    assert text.startswith(f"Files stay on this laptop, in {tmp_path / 'vault'}")
    assert "no other computer can verify or export them" in text
    keep_screenshot(panel, tmp_path, "evidence-panel-local.png")
    panel.close()
