"""Tabletop drill scenarios: what a scenario file says, checked.

A scenario is data (resources/drills/*.toml, and a team's own in the config folder's
`drills`): the incident to declare (title, severity, starting impact, security or not) and a
script of injects at offsets from the drill's start, each possibly conditional on what the
team did by then. The header comment of each shipped file documents the format; the
condition vocabulary is `CONDITIONS` below.

Parsing is pure: it is given the text and a name for it (the file), and a mistake raises
ScenarioError naming the file, the line and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from warroom.domain.durations import describe_duration
from warroom.domain.severity import Severity

MAX_INJECTS = 200
MAX_TEXT = 10_000
MAX_TITLE = 200
MAX_OFFSET = timedelta(days=1)


class Condition(StrEnum):
    """What an inject's `if` / `unless` can ask about the incident's record, as of the
    moment the inject falls due."""

    ACKNOWLEDGED = "acknowledged"  # an IC acknowledged the incident
    UPDATE_SENT = "update_sent"  # a stakeholder update was sent
    CHANGE_APPLIED = "change_applied"  # a mitigation change was applied
    ROLLBACK_APPLIED = "rollback_applied"  # a rollback was applied
    EVIDENCE_PRESERVED = "evidence_preserved"  # evidence was collected
    MITIGATED = "mitigated"  # recovery was verified (the incident is mitigated)

    @property
    def phrase(self) -> str:
        return _PHRASES[self]


_PHRASES = {
    Condition.ACKNOWLEDGED: "acknowledged",
    Condition.UPDATE_SENT: "an update sent",
    Condition.CHANGE_APPLIED: "a change applied",
    Condition.ROLLBACK_APPLIED: "a rollback applied",
    Condition.EVIDENCE_PRESERVED: "evidence preserved",
    Condition.MITIGATED: "mitigated",
}

CONDITIONS = tuple(c.value for c in Condition)


class ScenarioError(ValueError):
    """A scenario file that cannot be used: `source:line: problem`."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Inject:
    """One event the facilitator's script delivers: `text` at `offset` after the start,
    when `if_` holds (or is None) and `unless` does not (or is None)."""

    key: str  # stable within the scenario: delivery is recorded under it
    offset: timedelta
    text: str
    if_: Condition | None = None
    unless: Condition | None = None

    @property
    def offset_text(self) -> str:
        return offset_text(self.offset)

    @property
    def condition_text(self) -> str:
        """'' / 'unless acknowledged' / 'if a rollback applied'."""
        parts = []
        if self.if_ is not None:
            parts.append(f"if {self.if_.phrase}")
        if self.unless is not None:
            parts.append(f"unless {self.unless.phrase}")
        return " and ".join(parts)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "offset_s": int(self.offset.total_seconds()),
            "text": self.text,
        }
        if self.if_ is not None:
            data["if"] = self.if_.value
        if self.unless is not None:
            data["unless"] = self.unless.value
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Inject:
        return cls(
            key=str(data["key"]),
            offset=timedelta(seconds=int(data["offset_s"])),
            text=str(data["text"]),
            if_=Condition(data["if"]) if data.get("if") else None,
            unless=Condition(data["unless"]) if data.get("unless") else None,
        )


@dataclass(frozen=True)
class Scenario:
    name: str  # the file's stem: what `warroom drill start NAME` takes
    title: str
    severity: Severity
    impact: str
    injects: tuple[Inject, ...]
    summary: str = ""  # for the facilitator: what the drill practises
    security: bool = False
    service: str = ""
    impact_lead: timedelta = timedelta(0)  # how long impact ran before the drill's start
    mitigate_within: timedelta | None = None  # the drill's goal for customer impact
    source: str = ""

    @property
    def length(self) -> timedelta:
        """The offset of the last inject."""
        return max((i.offset for i in self.injects), default=timedelta(0))

    def to_data(self) -> dict[str, Any]:
        """What a drill's start records, so every process delivers the same script even
        if the file changes or is not on its disk."""
        data: dict[str, Any] = {
            "scenario": self.name,
            "title": self.title,
            "severity": self.severity.value,
            "impact": self.impact,
            "summary": self.summary,
            "security": self.security,
            "service": self.service,
            "impact_lead_s": int(self.impact_lead.total_seconds()),
            "injects": [i.to_data() for i in self.injects],
        }
        if self.mitigate_within is not None:
            data["mitigate_within_s"] = int(self.mitigate_within.total_seconds())
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Scenario:
        within = data.get("mitigate_within_s")
        return cls(
            name=str(data["scenario"]),
            title=str(data["title"]),
            severity=Severity(data["severity"]),
            impact=str(data.get("impact", "")),
            injects=tuple(Inject.from_data(i) for i in data.get("injects", [])),
            summary=str(data.get("summary", "")),
            security=bool(data.get("security", False)),
            service=str(data.get("service", "")),
            impact_lead=timedelta(seconds=int(data.get("impact_lead_s", 0))),
            mitigate_within=None if within is None else timedelta(seconds=int(within)),
        )


# -- offsets ------------------------------------------------------------------------------------
_OFFSET_PART = re.compile(r"(\d+)\s*(h|min|m|s)(?![a-z])", re.IGNORECASE)
_OFFSET_UNITS = {"h": 3600, "min": 60, "m": 60, "s": 1}


def parse_offset(text: str, *, signed: str = "+") -> timedelta:
    """'+3 min', '+1 h 30 min', '+90 s', '+0'. `signed` is the sign it must start with."""
    if not isinstance(text, str):
        raise ValueError(f"expected text such as “{signed}3 min”")
    cleaned = text.strip()
    if not cleaned.startswith(signed):
        raise ValueError(f"“{text}” must start with “{signed}”, such as “{signed}3 min”")
    body = cleaned[1:].strip()
    if body == "0":
        return timedelta(0)
    if not body or _OFFSET_PART.sub("", body).strip():
        raise ValueError(
            f"“{text}” is not an offset such as “{signed}3 min” or “{signed}1 h 30 min”"
        )
    seconds = sum(int(n) * _OFFSET_UNITS[unit.lower()] for n, unit in _OFFSET_PART.findall(body))
    return timedelta(seconds=seconds)


def offset_text(offset: timedelta) -> str:
    """'+3 min', '+0 min', '+1 h 30 min', '+45 s'."""
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return "+0 min"
    if seconds % 60:
        minutes, rest = divmod(seconds, 60)
        return f"+{minutes} min {rest} s" if minutes else f"+{rest} s"
    return "+" + describe_duration(offset)


# -- parsing ------------------------------------------------------------------------------------
_TOP_KEYS = {
    "title", "severity", "impact", "summary", "security", "service", "impact_started",
    "mitigate_within", "inject",
}  # fmt: skip
_INJECT_KEYS = {"at", "text", "if", "unless", "key"}
_SYNTAX_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def parse_scenario(text: str, source: str, name: str) -> Scenario:
    """The scenario in `text` (a TOML file's content); `source` names it in errors and
    `name` is what the drill is started by. Raises ScenarioError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _SYNTAX_LINE.search(message)
        line = int(found.group(1)) if found else None
        problem = _SYNTAX_LINE.sub("", message).strip()
        raise ScenarioError(source, line, f"not valid TOML: {problem}") from None
    lines = _Lines(text)

    def fail(key: str, problem: str, inject: int | None = None) -> ScenarioError:
        return ScenarioError(source, lines.find(key, inject), problem)

    for key in data:
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise fail(key, f"unknown key “{key}” (known: {known})")
    if "title" not in data:
        raise ScenarioError(source, None, "“title” is missing")
    title = _text(data, "title", fail, required=True, limit=MAX_TITLE)
    raw_severity = data.get("severity")
    if raw_severity is None:
        raise ScenarioError(source, None, "“severity” is missing (P0, P1, P2 or P3)")
    try:
        severity = Severity.parse(str(raw_severity))
    except ValueError:
        raise fail(
            "severity", f"“severity” must be P0, P1, P2 or P3, not “{raw_severity}”"
        ) from None
    impact = _text(data, "impact", fail, limit=MAX_TEXT)
    summary = _text(data, "summary", fail, limit=MAX_TEXT)
    service = _text(data, "service", fail, limit=MAX_TITLE)
    security = data.get("security", False)
    if not isinstance(security, bool):
        raise fail("security", "“security” must be true or false")
    lead = timedelta(0)
    if "impact_started" in data:
        try:
            lead = parse_offset(data["impact_started"], signed="-")
        except ValueError as exc:
            raise fail("impact_started", f"“impact_started”: {exc}") from None
    within = None
    if "mitigate_within" in data:
        try:
            within = parse_offset(data["mitigate_within"])
        except ValueError as exc:
            raise fail("mitigate_within", f"“mitigate_within”: {exc}") from None
        if within <= timedelta(0):
            raise fail("mitigate_within", "“mitigate_within” must be longer than zero")
    raw_injects = data.get("inject")
    if not isinstance(raw_injects, list) or not raw_injects:
        line = lines.find("inject") if "inject" in data else None
        raise ScenarioError(
            source, line, "there are no injects: add [[inject]] tables with “at” and “text”"
        )
    if len(raw_injects) > MAX_INJECTS:
        raise ScenarioError(source, None, f"at most {MAX_INJECTS} injects, not {len(raw_injects)}")
    injects: list[Inject] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_injects, start=1):
        if not isinstance(raw, dict):
            raise ScenarioError(source, None, f"inject {number} must be a table ([[inject]])")
        injects.append(_inject(raw, number, fail, lines, source))
        if injects[-1].key in seen:
            raise fail("key", f"inject {number}: the key “{injects[-1].key}” is used twice", number)
        seen.add(injects[-1].key)
    ordered = tuple(sorted(injects, key=lambda i: i.offset))  # stable: file order for ties
    return Scenario(
        name=name,
        title=title,
        severity=severity,
        impact=impact,
        injects=ordered,
        summary=summary,
        security=security,
        service=service,
        impact_lead=lead,
        mitigate_within=within,
        source=source,
    )


def _text(data: dict[str, Any], key: str, fail, *, required: bool = False, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise fail(key, f"“{key}” must be text in quotes")
    value = value.strip()
    if required and not value:
        raise fail(key, f"“{key}” is empty")
    if len(value) > limit:
        raise fail(key, f"“{key}” can be at most {limit:,} characters; this one has {len(value):,}")
    return value


def _inject(raw: dict[str, Any], number: int, fail, lines: _Lines, source: str) -> Inject:
    for key in raw:
        if key not in _INJECT_KEYS:
            known = ", ".join(sorted(_INJECT_KEYS))
            raise fail(key, f"inject {number}: unknown key “{key}” (known: {known})", number)
    if "at" not in raw:
        line = lines.table_line(number)
        raise ScenarioError(source, line, f"inject {number}: “at” is missing (such as “+3 min”)")
    try:
        offset = parse_offset(raw["at"])
    except ValueError as exc:
        raise fail("at", f"inject {number}: “at”: {exc}", number) from None
    if offset > MAX_OFFSET:
        raise fail("at", f"inject {number}: “at” is more than a day after the start", number)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        if "text" not in raw:
            line = lines.table_line(number)
            raise ScenarioError(source, line, f"inject {number}: “text” is missing")
        raise fail("text", f"inject {number}: “text” must be text that says what happens", number)
    if len(text) > MAX_TEXT:
        raise fail(
            "text", f"inject {number}: “text” can be at most {MAX_TEXT:,} characters", number
        )
    conditions: dict[str, Condition | None] = {}
    for word in ("if", "unless"):
        value = raw.get(word)
        if value is None:
            conditions[word] = None
            continue
        try:
            conditions[word] = Condition(value)
        except ValueError:
            raise fail(
                word,
                f"inject {number}: “{word}” must be one of {', '.join(CONDITIONS)}, not “{value}”",
                number,
            ) from None
    key = raw.get("key", f"inject-{number}")
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", key):
        raise fail(
            "key", f"inject {number}: “key” must be letters, digits, “-”, “_” or “.”", number
        )
    return Inject(key, offset, " ".join(text.split()), conditions["if"], conditions["unless"])


class _Lines:
    """Finds where a key is written: top-level keys before the first table, an inject's
    keys inside its own [[inject]] table."""

    _HEADER = re.compile(r"^\s*\[\[\s*inject\s*\]\]\s*(#.*)?$")
    _ANY_TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table_line(self, number: int) -> int | None:
        count = 0
        for index, line in enumerate(self.lines, start=1):
            if self._HEADER.match(line):
                count += 1
                if count == number:
                    return index
        return None

    def find(self, key: str, inject: int | None = None) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        if key == "inject" and inject is None:
            return self.table_line(1) or self._first(pattern, 0, len(self.lines))
        if inject is None:
            end = next(
                (i for i, line in enumerate(self.lines) if self._ANY_TABLE.match(line)),
                len(self.lines),
            )
            return self._first(pattern, 0, end)
        start = self.table_line(inject)
        if start is None:
            return None
        end = next(
            (i for i in range(start, len(self.lines)) if self._ANY_TABLE.match(self.lines[i])),
            len(self.lines),
        )
        return self._first(pattern, start, end) or start

    def _first(self, pattern: re.Pattern[str], start: int, end: int) -> int | None:
        for index in range(start, end):
            if pattern.match(self.lines[index]):
                return index + 1
        return None
