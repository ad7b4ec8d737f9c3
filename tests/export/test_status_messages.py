"""Stakeholder status messages (PRACTICE.md, "Communication"): each kind, in Markdown and in
plain text for SMS or a phone bridge, says what it must; user templates override the shipped
ones; the environment is strict."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jinja2
import pytest

from tests.export.helpers import T0, minutes, parse, resolved_incident
from warroom.adapters.export.markdown import (
    MessageKind,
    StatusFacts,
    make_environment,
    render_status,
    status_facts,
)
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity

FACTS = StatusFacts(
    severity="P1",
    severity_meaning="Major degradation: core feature broken, many users hit",
    title="Checkout returning 500s",
    impact="30 % of checkout requests failing",
    status="active",
    commander="Dana Whitfield",
    next_update_at=minutes(30),
    duration=timedelta(minutes=40),
    root_cause="A config push shrank the DB connection pool",
    trend="worsening",
    eta="15:30 UTC",
    postmortem_due_at=datetime(2026, 11, 24, 15, 35, tzinfo=UTC),
)
NEXT_UPDATE = "2026-11-22 14:30 UTC"

# What each kind must say (PRACTICE.md, "Communication"), as shown in both variants.
MUST_SAY = {
    MessageKind.INITIAL: [
        "P1", "Checkout returning 500s", "30 % of checkout requests failing", "active",
        "Dana Whitfield", NEXT_UPDATE,
    ],
    MessageKind.UPDATE: ["P1", "Checkout returning 500s", "active", "worsening", "15:30 UTC",
                         NEXT_UPDATE],
    MessageKind.RESOLUTION: [
        "P1", "Checkout returning 500s", "40 min", "30 % of checkout requests failing",
        "A config push shrank the DB connection pool", "2026-11-24 15:35 UTC",
    ],
}  # fmt: skip


@pytest.fixture
def env():
    return make_environment()


@pytest.mark.parametrize("plain", [False, True], ids=["markdown", "plain"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_each_kind_says_what_it_must(env, kind, plain):
    text = render_status(env, kind, FACTS, plain=plain)
    for fact in MUST_SAY[kind]:
        assert fact in text, (fact, text)
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.mark.parametrize("kind", list(MessageKind))
def test_plain_text_is_short_and_has_no_markup(env, kind):
    text = render_status(env, kind, FACTS, plain=True)
    assert not any(mark in text for mark in ("|", "#", "*", "`", "_", "\\")), text
    assert len(text) < 300, len(text)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_markdown_escapes_the_facts_and_plain_text_keeps_them(env, kind):
    facts = replace(FACTS, title="Checkout *and* <cart> | 500s")
    markdown = render_status(env, kind, facts)
    assert "Checkout \\*and\\* \\<cart\\> \\| 500s" in markdown
    assert parse(markdown).html == []
    assert "Checkout *and* <cart> | 500s" in render_status(env, kind, facts, plain=True)


@pytest.mark.parametrize("plain", [False, True], ids=["markdown", "plain"])
def test_unknowns_are_said_plainly(env, plain):
    facts = replace(
        FACTS, commander="", eta="", trend="", root_cause="", next_update_at=None,
        postmortem_due_at=None,
    )  # fmt: skip
    initial = render_status(env, MessageKind.INITIAL, facts, plain=plain)
    update = render_status(env, MessageKind.UPDATE, facts, plain=plain)
    resolution = render_status(env, MessageKind.RESOLUTION, facts, plain=plain)
    assert "not assigned yet" in initial and "none scheduled" in initial
    assert "ETA: unknown" in update and "trend not assessed" in update
    assert "under investigation" in resolution and "ost-mortem" not in resolution


# -- the facts -----------------------------------------------------------------------------
def test_facts_of_an_open_incident(policy):
    incident = replace(
        resolved_incident(title="Checkout\nreturning  500s"),
        status=Status.ACTIVE,
        resolved_at=None,
    )
    now = minutes(12)
    facts = status_facts(incident, policy, now, trend="improving", eta="about 30 min")
    assert facts.title == "Checkout returning 500s"
    assert facts.status == "active" and facts.commander == "Dana Whitfield"
    assert facts.next_update_at == now + timedelta(minutes=30)  # P1 cadence, from sending
    assert facts.duration == timedelta(minutes=32)  # impact start (13:40) to now
    assert facts.postmortem_due_at is None
    assert (facts.trend, facts.eta) == ("improving", "about 30 min")


def test_facts_of_a_resolved_incident(policy):
    facts = status_facts(
        resolved_incident(), policy, minutes(200), root_cause_line="Pool shrunk\nby a deploy"
    )
    assert facts.next_update_at is None
    assert facts.duration == timedelta(minutes=115)  # to resolution, not to now
    assert facts.root_cause == "Pool shrunk by a deploy"
    assert facts.postmortem_due_at == minutes(95) + timedelta(hours=48)
    text = render_status(make_environment(), MessageKind.RESOLUTION, facts, plain=True)
    assert "1 h 55 min" in text and "2026-11-24 15:35 UTC" in text


def test_a_business_hours_cadence_sets_the_next_update(policy):
    hours = replace(policy.working_hours, timezone="UTC")
    utc_policy = replace(policy, working_hours=hours)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    incident = replace(
        resolved_incident(), severity=Severity.P3, status=Status.ACTIVE, resolved_at=None
    )
    facts = status_facts(incident, utc_policy, monday)
    assert facts.next_update_at == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # end of day


def test_an_unknown_trend_is_refused(policy):
    with pytest.raises(ValueError, match="trend"):
        status_facts(resolved_incident(), policy, T0, trend="better")


# -- templates -----------------------------------------------------------------------------
def test_a_user_template_overrides_the_shipped_one(tmp_path):
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "initial.md.j2").write_text(
        "OURS {{ facts.severity }} {{ facts.title | md_inline }}\n", encoding="utf-8"
    )
    env = make_environment(tmp_path)
    assert render_status(env, MessageKind.INITIAL, FACTS) == "OURS P1 Checkout returning 500s\n"
    shipped = make_environment()
    for kind, plain in [(MessageKind.INITIAL, True), (MessageKind.UPDATE, False)]:
        assert render_status(env, kind, FACTS, plain) == render_status(shipped, kind, FACTS, plain)


def test_a_missing_user_folder_falls_back_to_the_shipped_templates(tmp_path):
    env = make_environment(tmp_path / "not-there")
    assert render_status(env, MessageKind.INITIAL, FACTS).startswith("# P1 incident:")


@pytest.mark.parametrize("source", ["{{ facts.titel }}\n", "{{ commander }}\n"])
def test_a_template_with_an_unknown_name_raises(tmp_path, source):
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "update.txt.j2").write_text(source, encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render_status(make_environment(tmp_path), MessageKind.UPDATE, FACTS, plain=True)


@pytest.mark.parametrize("kind", [MessageKind.INITIAL, MessageKind.RESOLUTION])
def test_plain_text_shows_the_impact_as_typed(env, kind):
    facts = replace(FACTS, impact="failing for ~30% of orders (EU_*, \\ and # too)")
    plain = render_status(env, kind, facts, plain=True)
    assert "failing for ~30% of orders (EU_*, \\ and # too)" in plain
    assert "\\~" not in plain and "\\_" not in plain


@pytest.mark.parametrize("plain", [False, True], ids=["markdown", "plain"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_a_drill_says_so_before_anything_else(env, kind, plain):
    drill = render_status(env, kind, replace(FACTS, is_drill=True), plain=plain)
    real = render_status(env, kind, FACTS, plain=plain)
    first = drill.splitlines()[0]
    assert first.removeprefix("# ").startswith("[DRILL] "), first
    assert "[DRILL]" not in real
    assert drill.replace("[DRILL] ", "", 1) == real


def test_the_facts_of_a_drill_say_it_is_one(policy):
    drill = replace(resolved_incident(), is_drill=True)
    assert status_facts(drill, policy, minutes(50)).is_drill
    assert not status_facts(resolved_incident(), policy, minutes(50)).is_drill
