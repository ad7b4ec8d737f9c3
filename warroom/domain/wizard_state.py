"""Where the IC is in the mitigation wizard, and what they have typed but not yet decided.

Decisions themselves are stored as mitigations the moment they are made; this keeps the rest
(the page, triage answers, half-typed fields) so a closed wizard resumes where it was left.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class WizardProgress:
    playbook: str = ""  # the playbook's name
    page: str = ""  # "triage", "security", "option:<key>" or "verify"
    answers: dict[str, str] = field(default_factory=dict)  # triage question key -> answer
    flags: list[str] = field(default_factory=list)  # triage flags answered yes ("security")
    # Per page: field name -> text typed there but not yet recorded.
    fields: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> WizardProgress:
        """Tolerates a damaged or older record: what cannot be read starts afresh."""
        try:
            data: Any = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        progress = cls(
            playbook=_text(data.get("playbook")),
            page=_text(data.get("page")),
            answers=_texts(data.get("answers")),
            flags=[f for f in data.get("flags", []) if isinstance(f, str)]
            if isinstance(data.get("flags"), list)
            else [],
        )
        pages = data.get("fields")
        if isinstance(pages, dict):
            progress.fields = {str(k): _texts(v) for k, v in pages.items()}
        return progress


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
