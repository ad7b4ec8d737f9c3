"""A drill's scorecard as Markdown, from templates/drill_scorecard.md.j2 through the same
strict Jinja2 environment, filters and escaping as the post-mortem (adapters.export.markdown);
a `drill_scorecard.md.j2` in the user's templates folder replaces the shipped one."""

from __future__ import annotations

from pathlib import Path

from warroom.adapters.export.markdown import make_environment
from warroom.domain.drill_score import Scorecard

SCORECARD_TEMPLATE = "drill_scorecard.md.j2"


class ScorecardMarkdown:
    """services.drills.ScorecardRenderer with the shipped (or the user's) template."""

    def __init__(self, user_templates: Path | None = None) -> None:
        self._env = make_environment(user_templates)

    def scorecard(self, card: Scorecard) -> str:
        return self._env.get_template(SCORECARD_TEMPLATE).render(card=card)
