"""The drill scorecard as Markdown: the shipped template through the same strict environment
as the post-mortem, passing the same linter, with hostile scenario text shown literally."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.export.test_markdownlint import lint
from warroom.adapters.export.scorecard import ScorecardMarkdown
from warroom.domain.drills import parse_scenario
from warroom.services.drills import DrillService
from warroom.system.paths import resolve_paths
from warroom.system.settings import load_drills


@pytest.fixture
def drills(services, data_dir):
    scenarios, _ = load_drills(resolve_paths(data_dir))
    return DrillService(services.incidents, scenarios, ScorecardMarkdown())


def test_a_scorecard_in_markdown(drills, services, clock):
    incident = drills.start("bad-deploy", speed=60)
    clock.advance(seconds=2)
    services.incidents.acknowledge(incident.id)
    clock.advance(seconds=10)
    markdown = drills.markdown(incident.id)
    assert lint(markdown) == []
    lines = markdown.splitlines()
    assert lines[0] == "# [DRILL] Scorecard: Checkout returns 500s after the afternoon deploy"
    assert "| Speed | 60× faster than real time |" in lines
    assert "| Drill clock | 12 min |" in lines
    assert "| Score | 2 of 4 checks passed |" in lines  # two are not due yet
    assert (
        "| Time to first update | pending | — | 34 min | no stakeholder update sent yet |" in lines
    )
    assert (
        "| Time to acknowledge | pass | 2 min | 30 min | 2 min, within the 30 min target |" in lines
    )
    assert (
        "| Rollback considered first | miss | — | — | no mitigation option was decided |" in lines
    )
    assert "| One change at a time | n/a | — | — | no change applied |" in lines


def test_hostile_scenario_text_shows_literally(drills, clock):
    text = (
        'title = "# not a heading | pipe `tick` <b>x</b>"\nseverity = "P2"\n'
        '[[inject]]\nat = "+1 min"\ntext = "a"\n'
    )
    scenario = parse_scenario(text, "hostile.toml", "hostile|name")
    incident = drills.start(scenario, speed=1)
    clock.advance(timedelta(minutes=2))
    markdown = drills.markdown(incident.id)
    assert lint(markdown) == []
    assert markdown.splitlines()[0].startswith("# [DRILL] Scorecard: \\# not a heading \\| pipe")
