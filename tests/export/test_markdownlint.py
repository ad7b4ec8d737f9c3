"""Every Markdown document warroom writes passes markdownlint's default rules (as PyMarkdown
implements them), except MD013 (line length: a table row is as long as its text), with <br>
the one HTML element allowed, inside table cells. Ordinary data and hostile user text alike.

MD051 (link fragments) is off too: the exports make no links, and PyMarkdown's MD051 crashes
on some headings of hostile text (an assertion inside the plugin) instead of reporting."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pymarkdown.api import PyMarkdownApi

from tests.domain.test_metrics import NOW as METRICS_NOW
from tests.domain.test_metrics import RECORDS, SINCE, UNTIL
from tests.export.helpers import parse, resolved_incident
from tests.export.test_hostile_text import ENV, FUZZ, POLICY, hostile_text, postmortems
from tests.export.test_postmortem_markdown import EVENTS, NOW, full_postmortem
from tests.export.test_status_messages import FACTS
from warroom.adapters.export.markdown import MessageKind, render_postmortem, render_status
from warroom.domain.metrics import compute_metrics
from warroom.domain.postmortem import new_postmortem
from warroom.services.metrics import to_markdown

# No shrinking: the linter is slow on large documents, and a failing document is readable as
# it is (it is printed with the rules it breaks).
LINT = settings(FUZZ, max_examples=30, phases=[Phase.explicit, Phase.generate])

# A table's separator row: markdownlint's MD060 wants one column style per table, and the rows
# are padded ("| a | b |"), so the separators are too ("| --- | --- |", not "|---|---|").
SEPARATOR = re.compile(r"^\|[ :|-]*-[ :|-]*\|$")
COMPACT_SEPARATOR = re.compile(r"^\|( :?-{3,}:? \|)+$")


def lint(markdown: str) -> list[str]:
    api = (
        PyMarkdownApi()
        .disable_rule_by_identifier("md013")
        .disable_rule_by_identifier("md051")
        .set_string_property("plugins.md033.allowed_elements", "br")
    )
    failures = api.scan_string(markdown).scan_failures
    found = [
        f"{f.line_number}:{f.column_number} {f.rule_id} {f.rule_description} "
        f"{f.extra_error_information}".rstrip()
        for f in failures
    ]
    found += [
        f"{number}: MD060 separator not in the rows' compact style: {line!r}"
        for number, line in enumerate(markdown.splitlines(), start=1)
        if SEPARATOR.match(line) and not COMPACT_SEPARATOR.match(line)
    ]
    return found


def test_the_linter_catches_what_it_is_here_to_catch():
    assert lint("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")  # MD060
    assert lint("# T\n\nText <b>bold</b>\n")  # MD033
    assert lint("**Title**\n\n- item\n")  # MD041
    assert lint("# T\n\n| a | b |\n| --- | --- |\n| 1<br>2 | 3 |\n") == []


def test_an_ordinary_postmortem():
    markdown = render_postmortem(ENV, resolved_incident(), full_postmortem(), EVENTS, POLICY, NOW)
    assert lint(markdown) == []


def test_an_empty_postmortem():
    incident = replace(resolved_incident(), detected_at=None)
    markdown = render_postmortem(ENV, incident, new_postmortem(incident), [], POLICY, NOW)
    assert lint(markdown) == []


@LINT
@given(case=postmortems(), incident_impact=hostile_text)
def test_a_postmortem_of_hostile_text(case, incident_impact):
    postmortem, events = case
    incident = resolved_incident(impact=incident_impact)
    markdown = render_postmortem(ENV, incident, postmortem, events, POLICY, NOW)
    assert lint(markdown) == [], markdown


@pytest.mark.parametrize("kind", list(MessageKind))
def test_an_ordinary_status_message(kind):
    assert lint(render_status(ENV, kind, FACTS)) == []


@LINT
@given(
    kind=st.sampled_from(MessageKind),
    title=hostile_text.map(lambda text: " ".join(text.split()) or "t"),
    texts=st.lists(hostile_text, min_size=5, max_size=5),
)
def test_a_status_message_of_hostile_text(kind, title, texts):
    impact, commander, root_cause, trend, eta = texts
    facts = replace(
        FACTS,
        title=title,
        impact=impact,
        commander=commander,
        root_cause=root_cause,
        trend=trend,
        eta=eta,
    )
    markdown = render_status(ENV, kind, facts)
    assert lint(markdown) == [], markdown


def test_the_metrics_export():
    report = compute_metrics(RECORDS, POLICY, SINCE, UNTIL, METRICS_NOW)
    assert lint(to_markdown(report)) == []


def test_a_title_ending_in_punctuation_reads_as_typed_and_lints_clean():
    postmortem = replace(full_postmortem(), title="Checkout down!")
    markdown = render_postmortem(ENV, resolved_incident(), postmortem, EVENTS, POLICY, NOW)
    assert markdown.startswith("# Post-mortem: Checkout down&#33;\n")
    assert parse(markdown).headings[0] == (1, "Post-mortem: Checkout down!")
    assert lint(markdown) == []
