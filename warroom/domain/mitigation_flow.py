"""Which step of mitigation comes next: the wizard's path as plain rules.

Triage first; the security steps when triage said the incident is a breach (evidence is
preserved and systems isolated before anything changes); then the playbook's options in its
order (rollback, scale, failover, disable the feature, redirect, rate-limit), one change at a
time; a check-back after each applied change; and verification at the end. A change that
failed (no effect, made it worse, or "did not work" on older records) or only partly worked
leads on to the option after the furthest one decided; one that worked, or a mitigated
incident, ends the path. A parked change (waiting on a third party) leads on as well: the
rest of the work does not wait for it.

Kept free of Qt and storage so the wizard, the CLI and a drill runner walk the same path.
Steps are named as the wizard saves them: "triage", "security", "option:<key>",
"verify:<key>" (the check-back after that option was applied), "verify", and "done".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from warroom.domain.mitigation import Decision, Mitigation, Outcome, latest_decisions
from warroom.domain.playbook import TriageFlag

TRIAGE = "triage"
SECURITY = "security"
VERIFY = "verify"  # verify recovery, once, at the end of the playbook
DONE = "done"  # nothing more to show
OPTION_PREFIX = "option:"
CHECK_PREFIX = "verify:"


def option_step(key: str) -> str:
    """The step deciding the option `key`."""
    return f"{OPTION_PREFIX}{key}"


def check_step(key: str) -> str:
    """The check-back step that follows applying the option `key`."""
    return f"{CHECK_PREFIX}{key}"


@dataclass(frozen=True)
class FlowFacts:
    """What is known when choosing the next step."""

    options: tuple[str, ...]  # the playbook's option keys, in the order they are tried
    mitigations: tuple[Mitigation, ...] = ()  # every decision recorded, in recorded order
    flags: frozenset[TriageFlag] = field(default_factory=frozenset)  # triage answered yes
    mitigated: bool = False  # recovery is verified: nothing is left to decide
    is_security: bool = False  # the incident is a security one (the one source of that)

    @classmethod
    def of(
        cls,
        options: Iterable[str],
        mitigations: Iterable[Mitigation] = (),
        flags: Iterable[TriageFlag] = (),
        mitigated: bool = False,
        is_security: bool = False,
    ) -> FlowFacts:
        """Builds the facts from any iterables (a playbook's keys, a service's list)."""
        return cls(tuple(options), tuple(mitigations), frozenset(flags), mitigated, is_security)

    @property
    def security(self) -> bool:
        """The incident is a security one: said at declaration or later, or by triage's
        answer before it is recorded on the incident."""
        return self.is_security or TriageFlag.SECURITY in self.flags


def next_step(facts: FlowFacts, current: str, *, jumping: bool = False) -> str:
    """The step after `current`. `jumping` is the commander asking to verify recovery now,
    past the options not yet decided: impact can stop before every option is tried.

    Raises ValueError for a step that is not on this playbook's path.
    """
    if jumping and current != VERIFY:
        if current == TRIAGE and facts.security:
            return SECURITY  # a breach is preserved and isolated first, always
        return VERIFY
    if current == TRIAGE:
        return SECURITY if facts.security else _first_option(facts)
    if current == SECURITY:
        return _first_option(facts)
    if current == VERIFY or current.startswith(CHECK_PREFIX):
        _check_known(facts, current)
        return _after_check_back(facts)
    if current.startswith(OPTION_PREFIX):
        return _after_option(facts, _option_index(facts, current, OPTION_PREFIX))
    raise ValueError(f"{current!r} is not a step of the mitigation flow")


def offers_verify(current: str) -> bool:
    """Whether "Verify recovery" can be asked for from `current`: everywhere before a
    verify or check-back step, which already holds verification."""
    return current != VERIFY and not current.startswith(CHECK_PREFIX)


def last_applied(mitigations: Sequence[Mitigation]) -> Mitigation | None:
    """The change most recently applied: its outcome decides what follows a check-back."""
    applied = [m for m in mitigations if m.decision is Decision.APPLIED]
    return applied[-1] if applied else None


def option_after_last_decided(facts: FlowFacts) -> str | None:
    """The key of the option after the furthest one decided (the first when none is), or
    None when the furthest decided is the last: where a failed change leads on to."""
    decided = latest_decisions(list(facts.mitigations))
    indexes = [i for i, key in enumerate(facts.options) if key in decided]
    following = (max(indexes) + 1) if indexes else 0
    return facts.options[following] if following < len(facts.options) else None


def _first_option(facts: FlowFacts) -> str:
    return option_step(facts.options[0]) if facts.options else VERIFY


def _after_option(facts: FlowFacts, index: int) -> str:
    """A change applied and not known to have failed is checked back on before anything
    else; otherwise the next option, or verification after the last."""
    key = facts.options[index]
    decided = latest_decisions(list(facts.mitigations)).get(key)
    if (
        decided is not None
        and decided.decision is Decision.APPLIED
        and (decided.outcome is None or not decided.outcome.failed)
    ):
        return check_step(key)
    if index + 1 < len(facts.options):
        return option_step(facts.options[index + 1])
    return VERIFY


def _after_check_back(facts: FlowFacts) -> str:
    """On to the next option when the last change failed, partly worked or is parked, or
    (with a warning on that page) while it is still unverified; done once it worked or
    nothing was applied."""
    last = last_applied(facts.mitigations)
    if facts.mitigated or last is None or last.outcome is Outcome.WORKED:
        return DONE
    following = option_after_last_decided(facts)
    return DONE if following is None else option_step(following)


def _option_index(facts: FlowFacts, step: str, prefix: str) -> int:
    key = step.removeprefix(prefix)
    try:
        return facts.options.index(key)
    except ValueError:
        raise ValueError(f"{step!r} is not a step of this playbook") from None


def _check_known(facts: FlowFacts, step: str) -> None:
    if step.startswith(CHECK_PREFIX):
        _option_index(facts, step, CHECK_PREFIX)
