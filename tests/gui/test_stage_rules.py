"""Each lifecycle rule through the GUI's own Stage control and through the service: both are
refused with the same sentence and nothing changes; where a stated reason lets the move
through, the window asks for it and the reason is on the timeline."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from warroom.domain.lifecycle import Status
from warroom.services.incidents import StageRefused


def _resolved(service, incident_id):
    service.set_status(incident_id, "resolved", "recovered on its own")


# (severity, how to get there, target stage, does a reason let it through)
RULES = {
    "resolved needs mitigated first": (
        "P2",
        lambda s, i: s.set_status(i, "active"),
        "resolved",
        True,
    ),
    "closed needs the post-mortem the policy requires": ("P1", _resolved, "closed", False),
    "closed without a required post-mortem needs a reason": ("P3", _resolved, "closed", True),
    "moving back needs a reason": ("P2", _resolved, "active", True),
    "reopening needs a reason": (
        "P3",
        lambda s, i: (_resolved(s, i), s.set_status(i, "closed", "nothing to learn")),
        "active",
        True,
    ),
}


def _service_refusal(service, severity, setup, target) -> StageRefused:
    twin = service.declare("Same facts, through the service", severity)
    setup(service, twin.id)
    with pytest.raises(StageRefused) as caught:
        service.set_status(twin.id, target)
    return caught.value


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_the_stage_control_is_refused_as_the_service_is(qtbot, board, monkeypatch, rule):
    severity, setup, target, reason_would_do = rule
    service = board.service
    said = _service_refusal(service, severity, setup, target)
    assert said.reason_would_do is reason_would_do

    incident = service.declare("Through the window", severity)
    setup(service, incident.id)
    before = (service.get(incident.id), service.timeline(incident.id))
    asked: list[str] = []

    def cancel(_parent, _title, label, *args, **kwargs):
        asked.append(label)
        return ("", False)  # the user cancels: nothing changes

    monkeypatch.setattr(QInputDialog, "getText", cancel)
    window = board.window.open_incident(incident.id)
    window.status_combo.setCurrentIndex(window.status_combo.findData(target))
    qtbot.mouseClick(window.move_button, Qt.MouseButton.LeftButton)

    assert window.error.text() == said.message  # the same sentence, shown in the window
    assert asked == (
        [f"{said.message}\n\nReason (kept on the timeline):"] if reason_would_do else []
    )
    assert (service.get(incident.id), service.timeline(incident.id)) == before
    assert window.status_combo.currentData() == before[0].status.value  # the control reverts


@pytest.mark.parametrize(
    "rule", [r for r in RULES.values() if r[3]], ids=[k for k, r in RULES.items() if r[3]]
)
def test_a_stated_reason_lets_the_move_through_and_is_recorded(qtbot, board, monkeypatch, rule):
    severity, setup, target, _ = rule
    incident = board.service.declare("With a reason", severity)
    setup(board.service, incident.id)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("stated plainly", True))
    window = board.window.open_incident(incident.id)
    window.status_combo.setCurrentIndex(window.status_combo.findData(target))
    qtbot.mouseClick(window.move_button, Qt.MouseButton.LeftButton)
    assert board.service.get(incident.id).status is Status(target)
    last = board.service.timeline(incident.id)[-1]
    assert last.text.endswith(": stated plainly") and last.data["reason"] == "stated plainly"


def test_mitigated_through_the_stage_control_asks_for_the_measurement(qtbot, board):
    """The Stage control never marks mitigated on its own: it opens the verify page, and
    the service refuses a bare move the same way."""
    incident = board.service.declare("Checkout 500s", "P1")
    board.service.set_status(incident.id, "active")
    window = board.window.open_incident(incident.id)
    window.status_combo.setCurrentIndex(window.status_combo.findData("mitigated"))
    qtbot.mouseClick(window.move_button, Qt.MouseButton.LeftButton)
    wizard = board.window.wizards[incident.id]
    assert wizard.currentPage() is wizard.verify
    assert board.service.get(incident.id).status is Status.ACTIVE
    with pytest.raises(StageRefused, match="Mitigated needs a recorded verification"):
        board.service.set_status(incident.id, "mitigated")
