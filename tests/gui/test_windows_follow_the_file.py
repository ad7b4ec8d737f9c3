"""Windows that belong to one incident follow what another warroom does to the same file:
an incident deleted elsewhere closes its wizard, post-mortem and evidence windows at the
next tick, with nothing raised and nothing written."""

from __future__ import annotations

from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock


def test_an_incident_deleted_by_another_warroom_closes_its_windows(board, data_dir, clock):
    incident = board.service.declare("Checkout returns 500", "P1", commander="Priya Raman")
    window = board.window
    wizard = window.open_wizard(incident.id)
    editor = window.open_postmortem(incident.id)
    panel = window.open_evidence(incident.id)
    detail = window.open_incident(incident.id)
    for opened in (wizard, editor, panel, detail):
        assert opened.isVisible()

    other = open_database(data_dir / "warroom.db")
    try:
        incident_service(other, FakeClock(clock.now()), actor="bob").delete_incident(incident.id)
    finally:
        other.dispose()
    board.tick()  # another warroom's change is seen at the next tick

    assert window.wizards == {} and window.editors == {} and window.evidence_panels == {}
    assert window.incident_windows == {}
    assert window.model.rowCount() == 0
