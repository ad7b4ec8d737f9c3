"""Gentle hints against blame in a post-mortem: phrases that point at people rather than at
systems and decisions. Hints only; they never block saving or publishing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\b[\w.-]+['’]s fault\b", "Say which system or decision failed, not whose fault it was."),
    (r"\bhuman error\b", "Ask what made the error easy to make, and what would catch it."),
    (r"\bshould(?: not|n['’]t)? have\b", "Hindsight: describe what was known at the time."),
    (r"\bcareless(?:ly|ness)?\b", "Describe the conditions, not a person's care."),
    (r"\b(?:negligen(?:t|ce)|incompeten(?:t|ce))\b", "Describe the conditions, not a person."),
    (r"\bblame[ds]?\b", "A blameless review names causes, not culprits."),
)
_PATTERNS = tuple((re.compile(p, re.IGNORECASE), why) for p, why in _PHRASES)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True)
class Hint:
    start: int
    end: int
    phrase: str
    why: str


def blame_hints(text: str, responders: Sequence[str] = (), root_cause: bool = False) -> list[Hint]:
    """Blame phrasing in `text`. In a root-cause section, a responder named as the subject
    of a sentence (its first words) is a hint too."""
    hints = [
        Hint(m.start(), m.end(), m.group(0), why) for p, why in _PATTERNS for m in p.finditer(text)
    ]
    if root_cause:
        hints.extend(_named_subjects(text, responders))
    return sorted(hints, key=lambda h: h.start)


def _named_subjects(text: str, responders: Sequence[str]) -> list[Hint]:
    names = {n for person in responders if person.strip() for n in _name_forms(person)}
    found = []
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group(0)
        lead = len(body) - len(body.lstrip())
        for name in sorted(names, key=len, reverse=True):
            if re.match(rf"{re.escape(name)}\b", body[lead:], re.IGNORECASE):
                start = sentence.start() + lead
                found.append(
                    Hint(
                        start,
                        start + len(name),
                        body[lead : lead + len(name)],
                        "A person as the subject of the root cause: name the system or "
                        "decision instead.",
                    )
                )
                break
    return found


def _name_forms(person: str) -> list[str]:
    """'Priya Raman' -> ['Priya Raman', 'Priya']: people are often called by first name."""
    full = " ".join(person.split())
    first = full.split(" ", 1)[0]
    return [full, first] if len(first) > 2 else [full]
