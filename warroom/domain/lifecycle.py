"""The incident lifecycle: triage -> active -> mitigated -> resolved -> postmortem -> closed."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    TRIAGE = "triage"
    ACTIVE = "active"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"

    @property
    def order(self) -> int:
        return LIFECYCLE.index(self)

    @property
    def label(self) -> str:
        return "post-mortem" if self is Status.POSTMORTEM else self.value

    @property
    def is_open(self) -> bool:
        """Open incidents still have users hurting or responders working: the board shows them."""
        return self.order < Status.RESOLVED.order

    @classmethod
    def parse(cls, text: str) -> Status:
        cleaned = str(text).strip().lower().replace("-", "").replace(" ", "")
        try:
            return cls(cleaned)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown status {text!r}; use one of {allowed}") from None


LIFECYCLE: tuple[Status, ...] = tuple(Status)


def is_backwards(old: Status, new: Status) -> bool:
    """Going back (a mitigation failed, impact returned) is allowed but worth saying so."""
    return new.order < old.order


class Role(StrEnum):
    COMMANDER = "commander"
    TECH_LEAD = "tech_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.COMMANDER: "Incident commander",
    Role.TECH_LEAD: "Technical lead",
    Role.COMMS_LEAD: "Communications lead",
    Role.SCRIBE: "Scribe",
}
