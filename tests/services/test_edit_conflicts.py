"""Two people editing one field at once (two laptops on one war room): a save based on a
value someone else has since replaced is refused, nothing written; the editor's choice
(keep theirs, keep mine, merge) is applied and on the timeline."""

from __future__ import annotations

import pytest

from warroom.domain.edits import EditConflict, Resolution, merged_start
from warroom.domain.incident import EventKind


@pytest.fixture
def bob(open_again, clock):
    from warroom.bootstrap import build

    built = build(open_again(), clock, actor="bob")
    yield built.incidents
    built.evidence.close()


@pytest.fixture
def incident(service):
    return service.declare("Checkout 500s", "P1", impact="Checkout fails for EU users")


def _edits(service, incident_id):
    return [e for e in service.timeline(incident_id) if e.kind is EventKind.FIELD_EDITED]


def test_a_save_based_on_a_replaced_value_is_refused_and_writes_nothing(
    service, bob, incident, stored_counts
):
    shown = incident.impact  # both editors show this
    bob.edit_impact(incident.id, "Checkout fails for all users", based_on=shown)
    before = stored_counts()
    with pytest.raises(EditConflict) as conflict:
        service.edit_impact(incident.id, "Checkout fails for EU and UK users", based_on=shown)
    assert stored_counts() == before
    assert conflict.value.theirs == "Checkout fails for all users"
    assert conflict.value.mine == "Checkout fails for EU and UK users"
    assert conflict.value.base == shown
    assert "changed by someone else while you were editing" in conflict.value.message
    assert service.get(incident.id).impact == "Checkout fails for all users"


def test_keeping_theirs_keeps_their_value_and_puts_mine_on_the_timeline(service, bob, incident):
    bob.edit_title(incident.id, "Checkout 500s in eu-west", based_on=incident.title)
    with pytest.raises(EditConflict) as conflict:
        service.edit_title(incident.id, "Checkout errors", based_on=incident.title)
    service.edit_title(
        incident.id, "Checkout errors", based_on=conflict.value.theirs, resolution="theirs"
    )
    assert service.get(incident.id).title == "Checkout 500s in eu-west"
    last = _edits(service, incident.id)[-1]
    assert last.actor == "alice"
    assert last.data["resolution"] == "theirs" and last.data["not_kept"] == "Checkout errors"
    assert "kept the version saved meanwhile by someone else" in last.text


def test_keeping_mine_or_a_merge_is_written_and_says_so(service, bob, incident):
    shown = incident.impact
    bob.edit_impact(incident.id, "All users", based_on=shown)
    with pytest.raises(EditConflict) as conflict:
        service.edit_impact(incident.id, "EU and UK users", based_on=shown)
    merged = merged_start(conflict.value.theirs, conflict.value.mine)
    assert merged == "All users\n\nEU and UK users"
    service.edit_impact(incident.id, merged, based_on=conflict.value.theirs, resolution="merged")
    assert service.get(incident.id).impact == merged
    last = _edits(service, incident.id)[-1]
    assert last.data["resolution"] == "merged" and "merged with the version" in last.text
    with pytest.raises(EditConflict):  # alice's screen still shows the old value
        bob.edit_impact(incident.id, "Only EU", based_on="All users")
    bob.edit_impact(incident.id, "Only EU", based_on=merged, resolution=Resolution.MINE)
    assert service.get(incident.id).impact == "Only EU"


def test_a_third_save_while_choosing_is_caught_too(service, bob, incident):
    bob.assign_role(incident.id, "scribe", "Bob", based_on="")
    with pytest.raises(EditConflict) as first:
        service.assign_role(incident.id, "scribe", "Alice", based_on="")
    bob.assign_role(incident.id, "scribe", "Carol", based_on="Bob")  # while alice chooses
    with pytest.raises(EditConflict) as second:
        service.assign_role(
            incident.id, "scribe", "Alice", based_on=first.value.theirs, resolution="theirs"
        )
    assert second.value.theirs == "Carol"
    assert service.get(incident.id).roles["scribe"] == "Carol"


def test_saves_that_agree_or_that_nobody_raced_go_through(service, bob, incident):
    bob.set_service(incident.id, "checkout", based_on="")
    service.set_service(incident.id, "checkout", based_on="")  # the same value: no conflict
    service.set_service(incident.id, "payments", based_on="checkout")
    service.edit_title(incident.id, "No base given, as a script saves")  # based_on omitted
    incident_now = service.get(incident.id)
    assert (incident_now.service, incident_now.title) == (
        "payments",
        "No base given, as a script saves",
    )
