"""Colours the board uses. Severity and clock state always carry text too, never colour alone."""

from __future__ import annotations

from PySide6.QtGui import QColor

from warroom.core.clocks import ClockState
from warroom.core.severity import Severity

# Chosen for contrast with their text colour (WCAG AA or better), also on a washed-out projector.
SEVERITY_COLOURS: dict[Severity, tuple[str, str]] = {
    Severity.P0: ("#B3141B", "#FFFFFF"),
    Severity.P1: ("#C2410C", "#FFFFFF"),
    Severity.P2: ("#F2B705", "#1A1A1A"),
    Severity.P3: ("#2458A6", "#FFFFFF"),
}

# (background or None, text)
CLOCK_COLOURS: dict[ClockState, tuple[str | None, str]] = {
    ClockState.WARNING: ("#F5B700", "#1A1A1A"),
    ClockState.OVERDUE: ("#C8102E", "#FFFFFF"),
    ClockState.LATE: (None, "#B3141B"),
}

NO_IC_COLOUR = "#B3141B"
MUTED = "#6B6B6B"


def severity_colours(severity: Severity) -> tuple[QColor, QColor]:
    background, text = SEVERITY_COLOURS[severity]
    return QColor(background), QColor(text)
