"""Mitigation playbooks: the triage questions and the ordered options, as data.

A playbook is a TOML file (resources/playbooks/, or a team's own in the config dir). A
malformed file raises PlaybookError naming the file and the key, so the built-in playbook can
go on working beside it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class PlaybookError(ValueError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


# The triage question "What changed recently?": a time written in its answer ("deploy 4812
# at 13:58") is offered as the roll-back's "made at".
CHANGED_QUESTION = "changed"


class AnswerKind(StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"


class TriageFlag(StrEnum):
    """A yes to a flagged question changes the path through the wizard."""

    SECURITY = "security"  # preserve evidence and isolate before changing anything
    DATA_CORRUPTION = "data_corruption"  # stop the bleeding first


@dataclass(frozen=True)
class TriageQuestion:
    key: str
    question: str
    kind: AnswerKind = AnswerKind.TEXT
    hint: str = ""
    flag: TriageFlag | None = None


@dataclass(frozen=True)
class MitigationOption:
    key: str
    title: str  # "Roll back"
    verb: str  # "roll back", for sentences: "Rejected roll back: ..."
    question: str  # the deciding question
    facts: tuple[str, ...] = ()  # what to check before deciding
    hint: str = ""
    steps: tuple[str, ...] = ()  # runbook steps
    asks_for_change: bool = False  # ask which change, and when (for rollbacks)


@dataclass(frozen=True)
class Playbook:
    name: str
    description: str
    triage: tuple[TriageQuestion, ...]
    options: tuple[MitigationOption, ...]
    security_steps: tuple[str, ...]
    source: str

    def option(self, key: str) -> MitigationOption:
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)

    def flagged(self, flag: TriageFlag) -> TriageQuestion | None:
        return next((q for q in self.triage if q.flag is flag), None)


YES = "yes"
NO = "no"


def load_playbook_file(path: Path, fallback: Playbook | None = None) -> Playbook:
    """Reads one playbook. Triage questions and security steps missing from the file are
    taken from `fallback` (the built-in playbook), so a team file can hold only its options."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlaybookError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PlaybookError(source, "(file)", "is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(source, "(syntax)", str(exc)) from exc
    return parse_playbook(data, source, fallback)


def parse_playbook(data: dict[str, Any], source: str, fallback: Playbook | None = None) -> Playbook:
    reader = _Reader(source)
    name = reader.text(data, "name", required=True)
    description = reader.text(data, "description")
    if "triage" in data or fallback is None:
        triage = tuple(
            _question(reader, entry, f"triage[{n}]")
            for n, entry in enumerate(reader.tables(data, "triage"), start=1)
        )
    else:
        triage = fallback.triage
    if "security" in data or fallback is None:
        security = reader.table(data, "security")
        steps = reader.texts(security, "security.steps", required=True)
    else:
        steps = fallback.security_steps
    options = tuple(
        _option(reader, entry, f"option[{n}]")
        for n, entry in enumerate(reader.tables(data, "option"), start=1)
    )
    _unique(reader, [q.key for q in triage], "triage")
    _unique(reader, [o.key for o in options], "option")
    return Playbook(name, description, triage, options, steps, source)


def _question(reader: _Reader, entry: dict[str, Any], key: str) -> TriageQuestion:
    kind_text = reader.text(entry, f"{key}.kind") or AnswerKind.TEXT.value
    flag_text = reader.text(entry, f"{key}.flag")
    kind = reader.choice(AnswerKind, kind_text, f"{key}.kind")
    flag = reader.choice(TriageFlag, flag_text, f"{key}.flag") if flag_text else None
    if flag is not None and kind is not AnswerKind.YES_NO:
        raise PlaybookError(reader.source, f"{key}.flag", 'needs kind = "yes_no"')
    return TriageQuestion(
        key=reader.text(entry, f"{key}.key", required=True),
        question=reader.text(entry, f"{key}.question", required=True),
        kind=kind,
        hint=reader.text(entry, f"{key}.hint"),
        flag=flag,
    )


def _option(reader: _Reader, entry: dict[str, Any], key: str) -> MitigationOption:
    title = reader.text(entry, f"{key}.title", required=True)
    asks = entry.get("asks_for_change", False)
    if not isinstance(asks, bool):
        raise PlaybookError(reader.source, f"{key}.asks_for_change", "must be true or false")
    return MitigationOption(
        key=reader.text(entry, f"{key}.key", required=True),
        title=title,
        verb=reader.text(entry, f"{key}.verb") or title.lower(),
        question=reader.text(entry, f"{key}.question", required=True),
        facts=reader.texts(entry, f"{key}.facts"),
        hint=reader.text(entry, f"{key}.hint"),
        steps=reader.texts(entry, f"{key}.steps"),
        asks_for_change=asks,
    )


def _unique(reader: _Reader, keys: list[str], table: str) -> None:
    seen: set[str] = set()
    for n, key in enumerate(keys, start=1):
        if key in seen:
            raise PlaybookError(reader.source, f"{table}[{n}].key", f"{key!r} is used twice")
        seen.add(key)


class _Reader:
    """Typed reads from parsed TOML; every problem names the file and the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def text(self, table: dict[str, Any], key: str, required: bool = False) -> str:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise PlaybookError(self.source, key, "missing")
            return ""
        if not isinstance(value, str):
            raise PlaybookError(self.source, key, "must be text")
        value = value.strip()
        if required and not value:
            raise PlaybookError(self.source, key, "must not be empty")
        return value

    def texts(self, table: dict[str, Any], key: str, required: bool = False) -> tuple[str, ...]:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise PlaybookError(self.source, key, "missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PlaybookError(self.source, key, "must be a list of text")
        if required and not value:
            raise PlaybookError(self.source, key, "must not be empty")
        return tuple(v.strip() for v in value)

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise PlaybookError(self.source, key, "missing table")
        return value

    def tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if isinstance(value, dict):
            raise PlaybookError(self.source, key, f"must be written as [[{key}]] tables")
        if not isinstance(value, list) or not value:
            raise PlaybookError(self.source, key, f"needs at least one [[{key}]] entry")
        if not all(isinstance(v, dict) for v in value):
            raise PlaybookError(self.source, key, f"must be written as [[{key}]] tables")
        return value

    def choice(self, enum: type[StrEnum], value: str, key: str) -> Any:
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(f'"{e.value}"' for e in enum)
            raise PlaybookError(self.source, key, f"{value!r} is not one of {allowed}") from None
