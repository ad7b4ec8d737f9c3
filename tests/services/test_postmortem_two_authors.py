"""Two authors on one post-mortem from two laptops: each autosave merges what the other
saved meanwhile field by field; the same field changed differently by both is refused
until the author chooses, and the choice is on the timeline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from warroom.domain.edits import Resolution
from warroom.domain.incident import EventKind
from warroom.services.postmortems import PostmortemConflict


@pytest.fixture
def two_authors(services, open_again, clock):
    from warroom.bootstrap import build

    built = build(open_again(), clock, actor="bob")
    yield services.postmortems, built.postmortems
    built.evidence.close()


@pytest.fixture
def incident(services):
    return services.incidents.declare("Checkout 500s", "P1")


def test_different_sections_from_two_laptops_are_both_kept(two_authors, incident):
    alice, bob = two_authors
    base = alice.get(incident.id)  # both editors open the same (unsaved) write-up
    bob_saved = bob.save(replace(base, lessons="Canary the config too"), based_on=base)
    alice_saved = alice.save(replace(base, root_cause="A bad config push"), based_on=base)
    assert (alice_saved.root_cause, alice_saved.lessons) == (
        "A bad config push",
        "Canary the config too",
    )
    assert alice.get(incident.id) == alice_saved
    assert bob_saved.root_cause == ""  # bob's screen learns it on his next save


def test_one_section_changed_by_both_is_refused_until_the_author_chooses(
    two_authors, incident, services, stored_counts
):
    alice, bob = two_authors
    base = alice.save(replace(alice.get(incident.id), root_cause="Config push"))
    bob.save(replace(base, root_cause="Config push to eu-west"), based_on=base)
    mine = replace(base, root_cause="Config push without canary", went_well="Fast rollback")
    before = stored_counts()
    with pytest.raises(PostmortemConflict) as refused:
        alice.save(mine, based_on=base)
    assert stored_counts() == before
    [conflict] = refused.value.conflicts
    assert (conflict.field, conflict.theirs, conflict.mine) == (
        "root_cause",
        "Config push to eu-west",
        "Config push without canary",
    )
    assert refused.value.merged.went_well == "Fast rollback"  # no conflict there: merged
    final = replace(refused.value.merged, root_cause="Config push to eu-west without canary")
    saved = alice.save(
        final, based_on=refused.value.stored, resolutions={"root_cause": Resolution.MERGED}
    )
    assert saved.root_cause == "Config push to eu-west without canary"
    assert saved.went_well == "Fast rollback"
    last = services.incidents.timeline(incident.id)[-1]
    assert last.kind is EventKind.POSTMORTEM and last.actor == "alice"
    assert last.data == {
        "field": "root_cause",
        "resolution": "merged",
        "kept": "Config push to eu-west without canary",
    }


def test_a_status_moved_on_another_laptop_is_not_undone_by_an_autosave(two_authors, incident):
    alice, bob = two_authors
    base = alice.save(replace(alice.get(incident.id), root_cause="Config push"))
    bob.set_status(incident.id, "in_review")
    saved = alice.save(replace(base, lessons="Canary everything"), based_on=base)
    assert saved.status.value == "in_review" and saved.lessons == "Canary everything"
