"""Colours the board uses. Severity and clock state always carry text too, never colour alone."""

from __future__ import annotations

from PySide6.QtGui import QColor

from warroom.domain.clocks import ClockState
from warroom.domain.severity import Severity

# Chosen for contrast with their text colour (WCAG AA or better), also on a washed-out projector.
SEVERITY_COLOURS: dict[Severity, tuple[str, str]] = {
    Severity.P0: ("#B3141B", "#FFFFFF"),
    Severity.P1: ("#C2410C", "#FFFFFF"),
    Severity.P2: ("#F2B705", "#1A1A1A"),
    Severity.P3: ("#2458A6", "#FFFFFF"),
}

# (background or None, text). Filled backgrounds read the same in every theme; text drawn
# straight on the window (LATE) takes the theme's alert colour.
_CLOCK_FILLS: dict[ClockState, tuple[str | None, str]] = {
    ClockState.WARNING: ("#F5B700", "#1A1A1A"),
    ClockState.OVERDUE: ("#C8102E", "#FFFFFF"),
}

# Text colours on the window or base colour, set by the active theme (ui/theme.py).
_theme_text = {"alert_text": "#B3141B", "muted": "#6B6B6B"}


def use_theme(colours: dict[str, str]) -> None:
    _theme_text.update({k: colours[k] for k in _theme_text if k in colours})


def alert_text() -> str:
    """ "No IC", late acknowledgements, overdue items: always with words too."""
    return _theme_text["alert_text"]


def muted_text() -> str:
    return _theme_text["muted"]


def clock_colours(state: ClockState | None) -> tuple[str | None, str] | None:
    if state is ClockState.LATE:
        return (None, alert_text())
    return _CLOCK_FILLS.get(state) if state is not None else None


def severity_colours(severity: Severity) -> tuple[QColor, QColor]:
    background, text = SEVERITY_COLOURS[severity]
    return QColor(background), QColor(text)
