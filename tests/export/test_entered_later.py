"""A timeline row written down well after it happened says so in the exported post-mortem,
with when it was written down; the document still passes markdownlint."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.export.helpers import event, minutes, resolved_incident
from tests.export.test_hostile_text import ENV, POLICY
from tests.export.test_markdownlint import lint
from tests.export.test_postmortem_markdown import EVENTS, NOW, full_postmortem
from warroom.adapters.export.markdown import entered_later, render_postmortem
from warroom.domain.incident import EventKind


def test_a_row_entered_later_is_marked_with_when_it_was_written_down():
    typed_later = replace(
        event(40, EventKind.NOTE, 10, "Canary 77 went out"),
        recorded_at=minutes(10) + timedelta(days=2),
    )
    markdown = render_postmortem(
        ENV, resolved_incident(), full_postmortem(), [*EVENTS, typed_later], POLICY, NOW
    )
    (row,) = [line for line in markdown.splitlines() if "Canary 77" in line]
    assert row == (
        "| 2026-11-22 14:10 | Canary 77 went out (entered later, 2026-11-24 14:10 UTC) |"
    )
    # Rows written as they happened carry no mark.
    assert markdown.count("entered later") == 1
    assert lint(markdown) == []


def test_a_row_written_a_minute_late_is_not_marked():
    late_by_a_minute = replace(
        event(41, EventKind.NOTE, 10, "Rolled back"), recorded_at=minutes(11)
    )
    markdown = render_postmortem(
        ENV, resolved_incident(), full_postmortem(), [*EVENTS, late_by_a_minute], POLICY, NOW
    )
    assert "entered later" not in markdown


def test_the_filter_writes_nothing_for_no_time():
    assert entered_later(None) == ""
    assert entered_later(minutes(0)) == " (entered later, 2026-11-22 14:00 UTC)"
