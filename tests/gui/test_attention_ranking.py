"""The strips' ranking after every change: kept write-up items must never change the
order a user sees, whatever moved (time, the list, the reminders)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.reminders import Reminder, ReminderKind
from warroom.domain.severity import Severity
from warroom.services.postmortems import PostmortemDue
from warroom.ui.attention import Ranking, Strip, Tier, collect

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def incident(number: int, severity: str, status: Status = Status.ACTIVE) -> Incident:
    return Incident(
        id=number,
        title=f"Incident {number}",
        severity=Severity(severity),
        status=status,
        impact="",
        declared_at=START,
        impact_started_at=START,
    )


def write_ups(count: int) -> list[PostmortemDue]:
    """Resolved incidents whose write-ups fall due a quarter of an hour apart."""
    return [
        PostmortemDue(
            incident(100 + n, "P0P1P2"[2 * (n % 3) : 2 * (n % 3) + 2], Status.RESOLVED),
            START + timedelta(minutes=15 * n),
            PostmortemStatus.DRAFT,
        )
        for n in range(count)
    ]


def update_due(number: int, minutes: int) -> Reminder:
    return Reminder(
        f"update:{number}",
        ReminderKind.UPDATE_DUE,
        number,
        START + timedelta(minutes=minutes),
        f"#{number} update due",
    )


def order(items) -> list[tuple[Strip, int, Tier]]:
    return [(item.strip, item.incident.id, item.tier) for item in items]


def test_the_kept_ranking_equals_a_fresh_one_as_time_and_lists_change():
    board = {n: incident(n, ("P0", "P1", "P2")[n % 3]) for n in range(1, 7)}
    due = write_ups(12)
    ranking = Ranking()
    reminders = [update_due(1, 5), update_due(4, 2)]
    for minutes in (0, 20, 20, 61, 95, 240):  # write-ups fall overdue one after another
        now = START + timedelta(minutes=minutes)
        kept = ranking.collect(reminders, [], due, board, now)
        assert order(kept) == order(collect(reminders, [], due, board, now))
    overdue = [item for item in kept if item.tier is Tier.WRITE_UP_OVERDUE]
    assert len(overdue) == 12  # four hours on, every write-up is overdue
    # A new list (one written up and gone, one new) and other reminders: still the same.
    changed = [*due[1:], *write_ups(14)[12:]]
    reminders = [update_due(6, 1)]
    now = START + timedelta(minutes=250)
    kept = ranking.collect(reminders, [], changed, board, now)
    assert order(kept) == order(collect(reminders, [], changed, board, now))
    assert kept[0].strip is Strip.REMINDER  # due now on a live incident comes first
    assert 100 not in {item.incident.id for item in kept}


def test_the_counts_and_next_change_read_off_the_ranking_equal_a_walk_of_every_item():
    """The "+N more" bar and the next re-ranking read these instead of walking thousands of
    write-ups: they must say what a walk of the whole list says."""
    board = {n: incident(n, ("P0", "P1", "P2")[n % 3]) for n in range(1, 7)}
    due = write_ups(12)
    ranking = Ranking()
    reminders = [update_due(1, 5), update_due(4, 2), update_due(101, 3)]  # 101: written up
    board[101] = due[1].incident
    for minutes in (0, 14, 15, 16, 61, 95, 240):  # on a due time, and between them
        now = START + timedelta(minutes=minutes)
        ranked = ranking.collect(reminders, [], due, board, now)
        items = list(ranked)
        assert order(items) == order(collect(reminders, [], due, board, now))
        assert ranked.top(3) == items[:3]
        assert ranked.due == sum(1 for item in items if item.tier is not Tier.WAITING)
        assert ranked.incidents == len({item.incident.id for item in items})
        upcoming = [i.at for i in items if i.tier is Tier.WAITING and i.at > now]
        assert ranked.next_change == min(upcoming, default=None)
    assert ranked.next_change is None  # four hours on, nothing waits any more
