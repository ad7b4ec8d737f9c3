"""`warroom import-chat ID FILE`: a chat log's messages onto an incident's timeline, as
backdated notes. FILE is a Slack channel export (one channel-day's JSON file; a users.json
beside it names the people) or a plain text log ("13:05 Ana: rolled back api 4.2"), whose
day and zone are given with --date and --zone."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from warroom.cli.exits import EXIT_INVALID, EXIT_OK, fail
from warroom.cli.verbs import read_text
from warroom.domain.chat_log import (
    ChatLog,
    ChatMessage,
    moment_text,
    parse_slack,
    parse_text_log,
    slack_users,
)
from warroom.domain.safe_text import json_safe, visible_line
from warroom.domain.snapshot import iso
from warroom.domain.typed_time import zone_from_text
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.chat_import import ChatImport, ChatImportService
from warroom.services.graph import Services

SKIPPED = "skipped (joins, leaves, empty)"


class BadInput(Exception):
    """The file or an option cannot be used; the message is the one sentence to show."""


def run_import_chat(args: argparse.Namespace, services: Services) -> int:
    services.incidents.get(args.id)  # an unknown incident is said first (exit 4)
    try:
        log = _read_log(args)
    except BadInput as exc:
        return fail(args, EXIT_INVALID, exc)
    importer = ChatImportService(services.incidents)
    try:
        if args.dry_run:
            result = importer.preview(args.id, log, confirmed=args.force)
        else:
            result = importer.add(args.id, log, confirmed=args.force)
    except NeedsConfirmation as exc:
        return fail(
            args, EXIT_INVALID, f"{exc} Nothing was imported; add --force to import it anyway."
        )
    _report(args, result)
    return EXIT_OK


# -- reading the file ---------------------------------------------------------------------
def _read_log(args: argparse.Namespace) -> ChatLog:
    name = str(args.file)
    try:
        text = read_text(name).removeprefix("\ufeff")
    except ValidationError as exc:
        raise BadInput(exc.message) from None
    try:
        if text.lstrip()[:1] in ("[", "{"):
            return _slack_log(args, name, text)
        return _text_log(args, name, text)
    except ValidationError as exc:
        if exc.field == "date":
            raise BadInput(
                f"{name} is a plain text log that does not say which day its times are on "
                f"({_lower(exc.message)[:-1]}): add --date YYYY-MM-DD, or put the day on a "
                "line of its own before the first message."
            ) from None
        raise BadInput(f"Cannot import {name}: {_lower(exc.message)}") from None


def _slack_log(args: argparse.Namespace, name: str, text: str) -> ChatLog:
    log = parse_slack(_json(name, text), _users_beside(name), channel=Path(name).name)
    if args.date is not None or args.zone is not None:
        print(
            "warroom: warning: --date and --zone are for plain text logs; a Slack export's "
            "times are exact and are used as they are.",
            file=sys.stderr,
        )
    return log


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"Cannot import {name}: it is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg})."
        ) from None


def _users_beside(name: str) -> dict[str, str]:
    """The names in the export's users.json: beside the channel file, or one folder up (an
    unzipped export keeps each channel's days in a folder of its own)."""
    if name == "-":
        return {}
    file = Path(name).resolve()
    for users in (file.parent / "users.json", file.parent.parent / "users.json"):
        if users.is_file() and users != file:
            try:
                return slack_users(_json(str(users), read_text(str(users)).removeprefix("\ufeff")))
            except ValidationError as exc:
                raise BadInput(f"Cannot use {users}: {_lower(exc.message)}") from None
    return {}


def _text_log(args: argparse.Namespace, name: str, text: str) -> ChatLog:
    if args.zone is None:
        missing = "--date YYYY-MM-DD and --zone ZONE" if args.date is None else "--zone ZONE"
        raise BadInput(
            f"{name} is a plain text log whose times carry no zone: add {missing} (the zone "
            "they were written in, like Europe/Berlin, UTC or +01:00)."
        )
    return parse_text_log(text, _day(args.date), _zone(args.zone))


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"--date {text} is not a day: write it as YYYY-MM-DD.") from None


def _zone(text: str) -> tzinfo:
    try:
        return zone_from_text(text)
    except ValueError as exc:
        raise BadInput(f"--zone: {exc}.") from None


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


# -- what was done ------------------------------------------------------------------------
def _report(args: argparse.Namespace, result: ChatImport) -> None:
    if args.json:
        _print_json(args, result)
        return
    if args.dry_run:
        for message in result.new:
            print(f"{moment_text(message.at)}  {visible_line(message.note)}")
    print(_summary(args.dry_run, result))


def _summary(dry_run: bool, result: ChatImport) -> str:
    count = len(result.new)
    notes = f"{count} note" + ("" if count == 1 else "s")
    done = f"would add {notes}" if dry_run else f"added {notes}"
    return f"{done}; {result.already} already on the timeline; {result.skipped} {SKIPPED}"


def _print_json(args: argparse.Namespace, result: ChatImport) -> None:
    if args.dry_run:
        listed = [_message_json(m) for m in result.new]
    else:
        listed = [
            {"id": note.id, **_message_json(m)}
            for note, m in zip(result.notes, result.new, strict=True)
        ]
    body = {
        "would_add" if args.dry_run else "added": listed,
        "already": result.already,
        "skipped": result.skipped,
    }
    sys.stdout.write(json_safe(json.dumps(body, indent=2, ensure_ascii=False)) + "\n")


def _message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "at": iso(message.at),
        "author": message.author,
        "text": message.note,
        "source": message.source,
        "chat_key": message.key,
        "bot": message.bot,
        "thread": message.thread,
        "edited": message.edited,
    }
