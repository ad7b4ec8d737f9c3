"""How the clocks read, in words: shared by the board, the detail view and the CLI."""

from __future__ import annotations

from warroom.domain.clocks import ClockState, Countdown
from warroom.domain.durations import compact

NOT_APPLICABLE = "—"


def overdue_text(countdown: Countdown) -> str:
    return f"OVERDUE +{compact(countdown.overdue_by)}"


def response_text(countdown: Countdown) -> str:
    if countdown.state is ClockState.MET and countdown.took is not None:
        return f"acked in {compact(countdown.took)}"
    if countdown.state is ClockState.LATE and countdown.took is not None:
        return f"acked late, {compact(countdown.took)}"
    return _running_text(countdown)


def update_text(countdown: Countdown) -> str:
    return _running_text(countdown)


def _running_text(countdown: Countdown) -> str:
    if countdown.state is ClockState.OVERDUE:
        return overdue_text(countdown)
    if countdown.state in (ClockState.RUNNING, ClockState.WARNING):
        assert countdown.remaining is not None
        return f"{compact(countdown.remaining)} left"
    return NOT_APPLICABLE
