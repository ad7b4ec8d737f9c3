"""Hostile user text cannot change the post-mortem's structure: whatever goes into a field,
the headings, the tables' columns and the rows stay the template's, and the text reads back
literally (markup characters shown, not obeyed; no raw HTML but our own <br>)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.export.helpers import (
    cells_per_line,
    event,
    minutes,
    normalized,
    parse,
    resolved_incident,
)
from warroom.adapters.export.markdown import (
    escape_block,
    escape_cell,
    escape_inline,
    make_environment,
    render_postmortem,
)
from warroom.domain.incident import EventKind, TimelineEvent
from warroom.domain.policy import load_policy_file
from warroom.domain.postmortem import (
    ActionItem,
    AddedRow,
    ItemStatus,
    Postmortem,
    TimelineEdit,
    timeline_rows,
)
from warroom.system.paths import builtin_policy_file

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Module-level, not fixtures: Hypothesis runs many examples per test function call.
ENV = make_environment()
POLICY = load_policy_file(builtin_policy_file())

HOSTILE = (
    "|", "\n", "\r\n", "`", "```", "# ", "<b>", "</table>", "- ", "1. ", "> ", "===", "---",
    "\\", "&amp;", "[x](y)", "    code", "\t", ":--", "~~~", "<br>", "*", "_", "\u2028", "\0",
)  # fmt: skip
hostile_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE)), max_size=8).map(
    "".join
)
one_line_title = hostile_text.map(lambda text: " ".join(text.split()) or "t")

FUZZ = settings(
    deadline=None,
    database=None,  # no example database written into the repository
    suppress_health_check=[HealthCheck.too_slow],
)

SECTION_HEADINGS = {
    "root_cause": "Root cause",
    "contributing_factors": "Contributing factors",
    "detection": "How it was detected",
    "detection_sooner": "Could it have been detected sooner?",
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lessons": "Lessons learned",
    "prevention": "Prevention",
}
STRUCTURE = [
    (2, "Summary"),
    (2, "Key metrics"),
    (2, "Timeline"),
    (2, "Root cause"),
    (2, "Contributing factors"),
    (2, "Detection"),
    (3, "How it was detected"),
    (3, "Could it have been detected sooner?"),
    (2, "What went well"),
    (2, "What went poorly"),
    (2, "Action items"),
    (2, "Lessons learned"),
    (2, "Prevention"),
]


@st.composite
def postmortems(draw: st.DrawFn) -> tuple[Postmortem, list[TimelineEvent]]:
    """A post-mortem with hostile text in every field a user writes, and hostile events."""
    notes = draw(st.lists(hostile_text, min_size=1, max_size=4))
    events = [event(i, EventKind.NOTE, 5 * i, text) for i, text in enumerate(notes, start=1)]
    edits = {1: TimelineEdit(text=draw(hostile_text))}
    if len(events) > 1:
        edits[2] = TimelineEdit(hidden=True)
    added = tuple(
        AddedRow(minutes(draw(st.integers(-30, 30))), text)
        for text in draw(st.lists(hostile_text, max_size=3))
    )
    items = tuple(
        ActionItem(
            action=draw(hostile_text),
            owner=draw(hostile_text),
            deadline=draw(st.none() | st.just(date(2026, 11, 1))),
            status=draw(st.sampled_from(ItemStatus)),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    sections = {name: draw(hostile_text) for name in SECTION_HEADINGS}
    postmortem = Postmortem(
        incident_id=7,
        title=draw(one_line_title),
        authors=draw(hostile_text),
        impact=draw(hostile_text),
        timeline_edits=edits,
        added_rows=added,
        action_items=items,
        **sections,
    )
    return postmortem, events


@settings(FUZZ, max_examples=150)
@given(case=postmortems(), incident_impact=hostile_text)
def test_user_text_never_changes_the_structure(case, incident_impact):
    postmortem, events = case
    incident = resolved_incident(impact=incident_impact)
    markdown = render_postmortem(ENV, incident, postmortem, events, POLICY, NOW)
    doc = parse(markdown)
    rows = timeline_rows(events, postmortem)

    assert doc.headings == [(1, f"Post-mortem: {normalized(postmortem.title)}"), *STRUCTURE]
    assert [len(t.header) for t in doc.tables] == [2, 3, 2, 7]
    assert [len(t.rows) for t in doc.tables[2:]] == [
        max(len(rows), 1),
        max(len(postmortem.action_items), 1),
    ]
    # The source itself: every table line splits into exactly the header's cells.
    assert [set(counts) for counts in cells_per_line(markdown)] == [{2}, {3}, {2}, {7}]
    assert [h for h in doc.html if h != "<br>"] == []

    # The text reads back literally.
    summary, timeline, items = doc.tables[0], doc.tables[2], doc.tables[3]
    shown_summary = {field: normalized(value) for field, value in summary.rows}
    impact = postmortem.impact or incident.impact
    assert shown_summary["Impact"] == (normalized(impact) or "—")
    assert shown_summary["Authors"] == (normalized(postmortem.authors) or "—")
    if rows:
        assert [normalized(cell) for _, cell in timeline.rows] == [
            normalized(row.text) for row in rows
        ]
    for shown, item in zip(items.rows, postmortem.action_items, strict=False):
        assert normalized(shown[1]) == normalized(item.action)
        assert normalized(shown[2]) == (normalized(item.owner) or "—")
    for name, heading in SECTION_HEADINGS.items():
        blocks = doc.sections[heading]
        assert {block.kind for block in blocks} == {"paragraph"}, (heading, blocks)
        shown = normalized(" ".join(block.text for block in blocks))
        assert shown == (normalized(getattr(postmortem, name)) or "Not written yet.")


@settings(FUZZ, max_examples=50)
@given(text=hostile_text)
def test_each_escape_reads_back_literally(text):
    expected = normalized(text)

    inline = parse(f"Before {escape_inline(text)} after\n")
    assert [b.kind for b in inline.sections[""]] == ["paragraph"]
    assert normalized(inline.sections[""][0].text) == normalized(f"Before {text} after")

    cell = parse(f"| a | b |\n|---|---|\n| {escape_cell(text)} | x |\n")
    assert cell.tables[0].rows == [[cell.tables[0].rows[0][0], "x"]]
    assert normalized(cell.tables[0].rows[0][0]) == expected

    block = parse(escape_block(text))
    assert {b.kind for b in block.sections[""]} == {"paragraph"}
    shown = normalized(" ".join(b.text for b in block.sections[""]))
    assert shown == (expected or "Not written yet.")


@pytest.mark.parametrize(
    "title", ["0.", "12.", "3.14.", "Checkout down!", "a\\.", "a\\\\.", "1)", "# 1."]
)
def test_a_title_reads_back_as_typed_in_the_heading(title):
    """A final mark becomes a character reference (markdownlint wants no punctuation ending a
    heading); one the escaping already guarded ("0." is no list item) must not show the
    reference itself."""
    postmortem = Postmortem(incident_id=7, title=title)
    markdown = render_postmortem(ENV, resolved_incident(), postmortem, [], POLICY, NOW)
    assert parse(markdown).headings[0] == (1, f"Post-mortem: {title}")
