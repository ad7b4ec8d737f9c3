"""After a change the board recomputes the strips' lists (pending check-backs, post-mortems
due, rotating evidence) for the incidents the change set names only: the whole-file queries
run at the first load and never after a change to one incident, and the lists still end up
exactly what a full recompute gives. The 1 Hz tick announces only the clock cells on screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

from tests.perf.fixtures import build_database
from warroom.bootstrap import build
from warroom.domain.clocks import update_deadline
from warroom.domain.lifecycle import Status
from warroom.ui.board_model import CLOCK_COLUMNS, Column


def apply_mitigation(services, incident_id: int) -> None:
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    playbook = load_playbook_file(builtin_playbook_file())
    services.mitigations.apply(
        incident_id, playbook.option("scale"), action="add nodes", expected_effect="p99 down"
    )


class WholeListSpy:
    """Counts the whole-file queries; `full()` runs them (uncounted) for comparison."""

    def __init__(self, services, monkeypatch) -> None:
        self.services = services
        self.calls: list[str] = []
        self.originals = {
            "pending": services.mitigations.pending_check_backs,
            "due": services.postmortems.due,
            "rotations": services.evidence.rotations,
        }
        for name, owner, method in (
            ("pending", services.mitigations, "pending_check_backs"),
            ("due", services.postmortems, "due"),
            ("rotations", services.evidence, "rotations"),
        ):
            monkeypatch.setattr(owner, method, self._counted(name))

    def _counted(self, name: str):
        def call(*args, **kwargs):
            self.calls.append(name)
            return self.originals[name](*args, **kwargs)

        return call

    def assert_lists_match(self, window) -> None:
        assert window._pending == self.originals["pending"]()
        assert window._pending_mitigations == [p.mitigation for p in window._pending]
        assert window._write_ups == self.originals["due"]()
        rotating = [
            (r.incident_id, r.item_id, r.name, r.rotates_at) for r in window._rotating_evidence()
        ]
        assert rotating == [
            (incident.id, item.id, item.name, item.rotates_at)
            for incident, item in self.originals["rotations"]()
        ]


@pytest.fixture
def busy(open_board, data_dir, clock):
    """20 open incidents and 40 closed ones (some with post-mortems due); check-backs on
    two open incidents, an evidence item about to rotate on a third."""
    build_database(data_dir, incidents=60, open_count=20, events=400, now=clock.now())
    board = open_board()
    working = (Status.TRIAGE, Status.ACTIVE)  # where a mitigation can still be applied
    open_ids = [i.id for i in board.window.model.incidents() if i.status in working]
    for incident_id in open_ids[:2]:
        apply_mitigation(board.services, incident_id)
    evidence = board.services.evidence
    item = evidence.add_item(open_ids[2], "load balancer access logs")
    evidence.set_rotates_at(item.id, clock.now() + timedelta(minutes=40))
    board.open_ids = open_ids
    return board


def test_a_change_to_one_incident_reads_only_that_incident(busy, monkeypatch, clock):
    window, service = busy.window, busy.service
    spy = WholeListSpy(busy.services, monkeypatch)
    spy.assert_lists_match(window)
    assert window._pending and window._write_ups and window._rotating_evidence()
    first, second, third, fourth = busy.open_ids[:4]
    [resolved_due] = window._write_ups[:1]

    service.add_note(fourth, "Index rebuild started")
    service.assign_role(fourth, "commander", "Dana Whitfield")
    spy.assert_lists_match(window)
    apply_mitigation(busy.services, fourth)  # a new check-back
    spy.assert_lists_match(window)
    [pending] = [p for p in window._pending if p.incident.id == first]
    busy.services.mitigations.record_outcome(pending.mitigation.id, True)  # answered
    spy.assert_lists_match(window)
    clock.advance(minutes=5)
    service.set_status(second, Status.RESOLVED, reason="recovered on its own")
    spy.assert_lists_match(window)  # its check-back is gone with its stage
    evidence = busy.services.evidence
    rotating = [r for r in window._rotating_evidence() if r.incident_id == third][-1]
    evidence.set_rotates_at(rotating.item_id, clock.now() + timedelta(minutes=5))
    spy.assert_lists_match(window)
    busy.services.postmortems.set_status(resolved_due.incident.id, "in_review")
    spy.assert_lists_match(window)
    service.delete_incident(third)  # its rotating item goes with it
    spy.assert_lists_match(window)
    assert not any(r.incident_id == third for r in window._rotating_evidence())

    assert spy.calls == []


def test_another_warroom_s_changes_are_read_for_their_incidents(
    busy, monkeypatch, clock, data_dir, policy
):
    from warroom.adapters.sql.sqlite.database import open_database

    window = busy.window
    spy = WholeListSpy(busy.services, monkeypatch)
    elsewhere_db = open_database(data_dir / "warroom.db", now=clock.now())
    try:
        elsewhere = build(elsewhere_db, clock, actor="bob", policy=policy)
        first, _second, _third, fourth = busy.open_ids[:4]
        apply_mitigation(elsewhere, fourth)
        [pending] = [p for p in window._pending if p.incident.id == first]
        elsewhere.mitigations.record_outcome(pending.mitigation.id, False)
        busy.tick()  # reads the change log; the strips wait for the file to settle
        assert window._strips_timer.isActive()
        assert window._strips_ids == {first, fourth}
        window._strips_timer.stop()
        window._strips_settled()
        spy.assert_lists_match(window)
        assert spy.calls == []
        assert any(p.incident.id == fourth for p in window._pending)
    finally:
        elsewhere_db.dispose()


def test_a_change_naming_many_incidents_is_recomputed_whole(busy, monkeypatch):
    from warroom.ui.main_window import WHOLE_RECOMPUTE_OVER

    spy = WholeListSpy(busy.services, monkeypatch)
    many = list(range(1, WHOLE_RECOMPUTE_OVER + 2))
    busy.window._after_data_change(many)
    assert sorted(spy.calls) == ["due", "pending", "rotations"]
    spy.assert_lists_match(busy.window)


def test_the_tick_announces_only_the_clock_cells_on_screen(busy, clock):
    window = busy.window
    QApplication.processEvents()
    view, model = window.board, window.model
    assert model.rowCount() == 20
    window.resize(1366, 420)  # fewer rows fit than there are
    QApplication.processEvents()
    shown = view.visible_rows()
    assert 0 < len(shown) < model.rowCount()
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _roles=(): changed.append((tl.row(), br.row(), tl.column(), br.column()))
    )

    clock.advance(seconds=1)
    busy.tick()
    clocks = (CLOCK_COLUMNS[0], CLOCK_COLUMNS[-1])
    assert changed == [(shown[0], shown[-1], *clocks)]

    changed.clear()
    view.scrollToBottom()
    QApplication.processEvents()
    bottom = view.visible_rows()
    assert bottom[-1] == model.rowCount() - 1 and bottom[0] > shown[0]
    clock.advance(seconds=1)
    busy.tick()
    assert changed == [(bottom[0], bottom[-1], *clocks)]

    # A row off screen was not announced, but shows the clocks of now when asked.
    hidden = 0
    assert hidden not in bottom
    incident = model.incidents()[hidden]
    expected = model.index(hidden, Column.ELAPSED).data()
    from warroom.domain import clocks as domain_clocks
    from warroom.domain.durations import hms

    assert expected == hms(domain_clocks.elapsed(incident, clock.now()))


def test_a_hidden_board_announces_nothing_on_the_tick(busy, clock):
    window = busy.window
    changed: list[int] = []
    window.model.dataChanged.connect(lambda *_args: changed.append(1))
    window.hide()
    clock.advance(seconds=1)
    busy.tick()
    assert changed == []


def test_after_the_first_sweep_missed_updates_are_looked_for_where_a_deadline_passed(
    busy, monkeypatch, clock
):
    window, service = busy.window, busy.service
    cadence = busy.services.cadence
    whole, among = cadence.record_missed, cadence.record_missed_among
    sweeps: list[object] = []

    def counted(now, incident_id=None):
        sweeps.append(incident_id)
        return whole(now, incident_id)

    def counted_among(now, incident_ids):
        sweeps.append(sorted(incident_ids))
        return among(now, incident_ids)

    monkeypatch.setattr(cadence, "record_missed", counted)
    monkeypatch.setattr(cadence, "record_missed_among", counted_among)
    clock.advance(minutes=1)
    busy.tick()
    assert sweeps == [None]  # the first: every incident

    fresh = service.declare("Payments time out", "P1")
    shown = window.model.incidents()[window.model.row_of(fresh.id)]
    due = update_deadline(shown, service.policy)
    sweeps.clear()
    clock.advance(minutes=1)
    busy.tick()
    assert None not in sweeps and all(fresh.id not in ids for ids in sweeps)  # still ahead

    clock.set(due)  # on the dot: not missed yet, nothing to look at
    sweeps.clear()
    busy.tick()
    assert all(fresh.id not in ids for ids in sweeps)

    clock.set(due + timedelta(minutes=1))  # the next minute's sweep: missed now
    sweeps.clear()
    busy.tick()
    assert None not in sweeps and any(fresh.id in ids for ids in sweeps)
    texts = [e.text for e in service.timeline(fresh.id)]
    assert any(t.startswith("Update cadence missed: P1") for t in texts)
    assert whole(clock.now()) == []  # a whole sweep finds nothing left to write

    clock.advance(minutes=1)  # the next sweep overlaps the last: that deadline is settled
    sweeps.clear()
    busy.tick()
    assert all(fresh.id not in ids for ids in sweeps)
