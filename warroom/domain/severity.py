"""Severity levels P0-P3 and what each one means."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def rank(self) -> int:
        """0 is the most severe; sorts the board."""
        return int(self.value[1])

    @property
    def meaning(self) -> str:
        return SEVERITY_MEANINGS[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accepts 'P1', 'p1' or '1'; raises ValueError with the allowed values otherwise."""
        cleaned = str(text).strip().upper()
        if cleaned.isdigit():
            cleaned = "P" + cleaned
        try:
            return cls(cleaned)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; use one of {allowed}") from None


SEVERITY_MEANINGS: dict[Severity, str] = {
    Severity.P0: "Total outage: service down or data being lost",
    Severity.P1: "Major degradation: core feature broken, many users hit",
    Severity.P2: "Partial impact: a feature degraded, a workaround exists",
    Severity.P3: "Minor: an edge case, few users",
}

WHEN_UNSURE_HINT = "When unsure, pick the higher severity."
