"""Drill scenario files: what they say, and each mistake named with its file and line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.drill_run import read_drill
from warroom.domain.drills import (
    Condition,
    Scenario,
    ScenarioError,
    offset_text,
    parse_offset,
    parse_scenario,
)
from warroom.domain.incident import EventKind, TimelineEvent
from warroom.domain.severity import Severity
from warroom.system.paths import builtin_drills_dir

GOOD = """\
# a comment
title = "Checkout 500s"
severity = "P1"
impact = "EU checkout fails"
impact_started = "-4 min"
mitigate_within = "+30 min"

[[inject]]
at = "+3 min"
text = "error rate on checkout 40 %"

[[inject]]
at = "+0"
text = "the alert fires"

[[inject]]
at = "+1 h 5 min"
text = "the VP asks for an update"
unless = "update_sent"
key = "vp"
"""


def test_a_good_file_reads_into_a_scenario_with_its_injects_in_time_order():
    scenario = parse_scenario(GOOD, "good.toml", "good")
    assert (scenario.name, scenario.title, scenario.severity) == (
        "good",
        "Checkout 500s",
        Severity.P1,
    )
    assert scenario.impact_lead == timedelta(minutes=4)
    assert scenario.mitigate_within == timedelta(minutes=30)
    assert [(i.key, i.offset_text, i.condition_text) for i in scenario.injects] == [
        ("inject-2", "+0 min", ""),
        ("inject-1", "+3 min", ""),
        ("vp", "+1 h 5 min", "unless an update sent"),
    ]
    assert scenario.injects[-1].unless is Condition.UPDATE_SENT
    assert Scenario.from_data(scenario.to_data()) == replace(scenario, source="")


@pytest.mark.parametrize(
    ("text", "offset"),
    [("+0", 0), ("+3 min", 180), ("+3m", 180), ("+90 s", 90), ("+1 h 30 min", 5400), ("+2h", 7200)],
)
def test_offsets(text, offset):
    assert parse_offset(text) == timedelta(seconds=offset)


def test_offsets_read_back():
    assert offset_text(timedelta(seconds=90)) == "+1 min 30 s"
    assert offset_text(timedelta(hours=1, minutes=5)) == "+1 h 5 min"


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "drills/x.toml", "x")
    return str(raised.value)


HEAD = 'title = "T"\nseverity = "P1"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'title = "T\nseverity = "P1"\n',
            "drills/x.toml:1: not valid TOML: Illegal character '\\n'",
        ),
        ('severity = "P1"\n', "drills/x.toml: “title” is missing"),
        ('title = "T"\n', "drills/x.toml: “severity” is missing (P0, P1, P2 or P3)"),
        (
            'title = "T"\n\nseverity = "P7"\n',
            "drills/x.toml:3: “severity” must be P0, P1, P2 or P3, not “P7”",
        ),
        (
            HEAD + 'colour = "red"\n',
            "drills/x.toml:3: unknown key “colour” (known: impact, impact_started, inject, "
            "mitigate_within, security, service, severity, summary, title)",
        ),
        (HEAD + 'security = "yes"\n', "drills/x.toml:3: “security” must be true or false"),
        (
            HEAD + 'impact_started = "+4 min"\n',
            "drills/x.toml:3: “impact_started”: “+4 min” must start with “-”, such as “-3 min”",
        ),
        (HEAD, "drills/x.toml: there are no injects: add [[inject]] tables with “at” and “text”"),
        (
            HEAD + '\n[[inject]]\nat = "+1 min"\ntext = "a"\n\n[[inject]]\ntext = "b"\n',
            "drills/x.toml:8: inject 2: “at” is missing (such as “+3 min”)",
        ),
        (
            HEAD + '\n[[inject]]\nat = "3 min"\ntext = "a"\n',
            "drills/x.toml:5: inject 1: “at”: “3 min” must start with “+”, such as “+3 min”",
        ),
        (
            HEAD + '\n[[inject]]\nat = "+3 weeks"\ntext = "a"\n',
            "drills/x.toml:5: inject 1: “at”: “+3 weeks” is not an offset such as “+3 min” "
            "or “+1 h 30 min”",
        ),
        (
            HEAD + '\n[[inject]]\nat = "+1 min"\n',
            "drills/x.toml:4: inject 1: “text” is missing",
        ),
        (
            HEAD + '\n[[inject]]\nat = "+1 min"\ntext = "a"\nunless = "acked"\n',
            "drills/x.toml:7: inject 1: “unless” must be one of acknowledged, update_sent, "
            "change_applied, rollback_applied, evidence_preserved, mitigated, not “acked”",
        ),
        (
            HEAD + '\n[[inject]]\nat = "+1 min"\ntext = "a"\nwhen = "later"\n',
            "drills/x.toml:7: inject 1: unknown key “when” (known: at, if, key, text, unless)",
        ),
        (
            HEAD + '[[inject]]\nat = "+1 min"\ntext = "a"\nkey = "k"\n'
            '[[inject]]\nat = "+2 min"\ntext = "b"\nkey = "k"\n',
            "drills/x.toml:10: inject 2: the key “k” is used twice",
        ),
    ],
)
def test_each_mistake_names_the_file_the_line_and_what_is_wrong(text, message):
    assert error(text) == message


def test_every_shipped_scenario_reads_and_is_drawn_from_the_practice():
    files = sorted(builtin_drills_dir().glob("*.toml"))
    scenarios = {
        p.stem: parse_scenario(p.read_text(encoding="utf-8"), str(p), p.stem) for p in files
    }
    assert sorted(scenarios) == [
        "bad-deploy", "certificate-expiry", "control-plane-upgrade", "data-corruption",
        "ransomware", "throttled-dependency",
    ]  # fmt: skip
    assert [n for n, s in scenarios.items() if s.security] == ["ransomware"]
    for scenario in scenarios.values():
        assert scenario.mitigate_within is not None and scenario.injects
        assert any(i.if_ or i.unless for i in scenario.injects)  # each reacts to the team


START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def note(event_id: int, minutes: float, **data) -> TimelineEvent:
    at = START + timedelta(minutes=minutes)
    return TimelineEvent(event_id, 1, EventKind.NOTE, at, at, "facilitator", "", data)


def test_the_drill_clock_follows_speed_and_pauses():
    scenario = parse_scenario(GOOD, "good.toml", "good")
    events = [
        note(1, 0, drill="started", speed=10, **scenario.to_data()),
        note(2, 1, drill="paused"),  # 10 drill minutes ran
        note(3, 6, drill="resumed"),
        note(4, 7, drill="speed", speed=1),  # 10 more
    ]
    drill = read_drill(events)
    assert drill is not None and drill.speed == 1
    assert drill.elapsed(START + timedelta(minutes=3)) == timedelta(minutes=10)
    assert drill.elapsed(START + timedelta(minutes=10)) == timedelta(minutes=23)
    assert drill.wall_at(timedelta(minutes=3)) == START + timedelta(seconds=18)
    assert drill.wall_at(timedelta(minutes=65)) == START + timedelta(minutes=52)
