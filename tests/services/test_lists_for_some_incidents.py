"""The strips' lists for a few incidents (`due_for`, `pending_check_backs_for`,
`rotations_for`) are exactly the whole lists' entries for those incidents, in the same
order; a deleted or unknown incident has none."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.perf.fixtures import build_database
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import build
from warroom.domain.lifecycle import Status
from warroom.domain.playbook import load_playbook_file
from warroom.system.paths import builtin_playbook_file


def test_each_list_for_some_incidents_is_the_whole_list_filtered(data_dir, clock, policy):
    build_database(data_dir, incidents=80, open_count=20, events=400, now=clock.now())
    database = open_database(data_dir / "warroom.db", now=clock.now())
    try:
        services = build(database, clock, actor="alice", policy=policy)
        incidents = services.incidents.list_incidents(include_closed=True)
        working = [i.id for i in incidents if i.status in (Status.TRIAGE, Status.ACTIVE)]
        playbook = load_playbook_file(builtin_playbook_file())
        for n, incident_id in enumerate(working[:4]):
            services.mitigations.apply(
                incident_id, playbook.option("scale"), action="add nodes", expected_effect="ok"
            )
            item = services.evidence.add_item(incident_id, "load balancer access logs")
            services.evidence.set_rotates_at(item.id, clock.now() + timedelta(minutes=50 - n))
            clock.advance(minutes=1)
        services.incidents.set_status(working[0], Status.RESOLVED, reason="recovered")
        services.incidents.delete_incident(working[1])
        first_due, second_due = [d.incident.id for d in services.postmortems.due()[:2]]
        services.postmortems.set_status(first_due, "in_review")
        written = services.postmortems.get(second_due)
        services.postmortems.save(
            replace(written, root_cause="A config push without a canary", authors="alice")
        )
        services.postmortems.set_status(second_due, "published")  # no longer due
        assert second_due not in [d.incident.id for d in services.postmortems.due()]

        every_id = [i.id for i in incidents] + [10_000]
        for chosen in (every_id, every_id[::7], working[:3], [working[1]], []):
            ids = set(chosen)
            assert services.postmortems.due_for(chosen) == [
                d for d in services.postmortems.due() if d.incident.id in ids
            ]
            assert services.mitigations.pending_check_backs_for(chosen) == [
                p for p in services.mitigations.pending_check_backs() if p.incident.id in ids
            ]
            assert services.evidence.rotations_for(chosen) == [
                (i, item) for i, item in services.evidence.rotations() if i.id in ids
            ]
        assert services.postmortems.due()  # the data set has some of each
        assert any(d.status.value == "in_review" for d in services.postmortems.due())
        assert len(services.mitigations.pending_check_backs()) == 2
        assert services.evidence.rotations()
    finally:
        database.dispose()
