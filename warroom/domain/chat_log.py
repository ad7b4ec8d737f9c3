"""Chat messages read from an export, for a timeline entered after the fact.

Two kinds of input: a Slack channel export (one channel-day's JSON list of messages) and a
plain text log, one message per line ("13:05 Ana: rolled back api 4.2"). Both give
`ChatMessage`s in time order, each with a key that stays the same for the same message on
every read, so importing a file twice adds it once. Nothing here reads files: the caller
hands over the decoded JSON or text. A text log's times are wall-clock times; the day and
the zone they are in must be stated, never assumed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from warroom.domain.timefmt import utc_second
from warroom.domain.validation import ValidationError

SLACK = "slack"
TEXT = "text"


@dataclass(frozen=True)
class ChatMessage:
    at: datetime  # aware, UTC
    author: str
    text: str
    key: str  # the same message gives the same key on every read of the same file
    source: str  # SLACK or TEXT
    bot: bool = False
    thread: str | None = None  # a reply: the thread's parent message (its Slack ts)
    edited: bool = False

    @property
    def note(self) -> str:
        """The note's text: who wrote it, marked as from the chat, then what they wrote."""
        marks = ["chat"]
        marks += ["bot"] if self.bot else []
        marks += ["in thread"] if self.thread else []
        marks += ["edited"] if self.edited else []
        return f"{self.author} ({', '.join(marks)}): {self.text}"


@dataclass(frozen=True)
class ChatLog:
    messages: list[ChatMessage]  # in time order
    skipped: int  # joins, leaves and empty messages


# -- Slack ------------------------------------------------------------------------------------
SKIPPED_SUBTYPES = frozenset({"channel_join", "channel_leave", "group_join", "group_leave"})
_TS = re.compile(r"^\d{1,12}(?:\.\d{1,6})?$")
_ANGLED = re.compile(r"<([^<>]*)>")


def slack_users(data: Any) -> dict[str, str]:
    """User ids to names, from an export's users.json (a list of user objects)."""
    if not isinstance(data, list):
        raise ValidationError("users", "users.json is not a list of users.")
    names: dict[str, str] = {}
    for user in data:
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            name = _first_name(
                _mapping(user.get("profile")), user, ("real_name", "display_name", "name")
            )
            if name:
                names[user["id"]] = name
    return names


def parse_slack(data: Any, users: Mapping[str, str] | None = None, channel: str = "") -> ChatLog:
    """The messages of a Slack channel export (a list of message objects, or an object
    with such a list under "messages"). `users` maps user ids to names (from users.json);
    names on the messages themselves are used too. `channel` (the file's name) goes into
    each message's key. Raises ValidationError for anything that is not such an export."""
    messages = _slack_list(data)
    names = {**_profile_names(messages), **(users or {})}
    found: dict[str, ChatMessage] = {}
    skipped = 0
    for number, raw in enumerate(messages, start=1):
        message = _slack_message(number, raw, names, channel)
        if message is None:
            skipped += 1
        else:
            found.setdefault(message.key, message)
    return ChatLog(sorted(found.values(), key=lambda m: (m.at, m.key)), skipped)


def _slack_list(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        data = data["messages"]
    if not isinstance(data, list) or not all(isinstance(m, dict) for m in data):
        raise ValidationError("file", "It is not a Slack channel export (a list of messages).")
    if data and all("ts" not in m and "id" in m for m in data):
        raise ValidationError(
            "file",
            "It is a Slack export's list of users, not a channel's messages: give the "
            "channel's day file (for example incident-4821/2026-11-22.json).",
        )
    return data


def _profile_names(messages: Iterable[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for raw in messages:
        profile = raw.get("user_profile")
        if isinstance(raw.get("user"), str) and isinstance(profile, dict):
            name = _first_name(profile, raw, ("real_name", "display_name", "name"))
            if name:
                names.setdefault(raw["user"], name)
    return names


def _first_name(first: Mapping[str, Any], then: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for source in (first, then):
        for key in keys:
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
    return ""


def _slack_message(
    number: int, raw: dict[str, Any], names: Mapping[str, str], channel: str
) -> ChatMessage | None:
    """One message, or None for one that is skipped (a join, a leave, nothing said)."""
    ts = raw.get("ts")
    if not isinstance(ts, str) or not _TS.match(ts):
        raise ValidationError("file", f"Message {number} has no valid Slack timestamp (ts).")
    subtype = raw.get("subtype")
    if subtype in SKIPPED_SUBTYPES:
        return None
    text = _slack_text(raw, names)
    if not text:
        return None
    bot = subtype == "bot_message" or ("bot_id" in raw and "user" not in raw)
    thread = raw.get("thread_ts")
    return ChatMessage(
        at=_from_ts(number, ts),
        author=_bot_name(raw) if bot else _author(raw, names),
        text=text,
        key=f"{SLACK}:{channel}:{ts}",
        source=SLACK,
        bot=bot,
        thread=thread if isinstance(thread, str) and thread != ts else None,
        edited=isinstance(raw.get("edited"), dict),
    )


def _from_ts(number: int, ts: str) -> datetime:
    seconds, _, fraction = ts.partition(".")
    try:
        moment = datetime.fromtimestamp(int(seconds), UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationError("file", f"Message {number}'s time ({ts}) is not a date.") from None
    return moment + timedelta(microseconds=int(fraction.ljust(6, "0") or 0))


def _author(raw: dict[str, Any], names: Mapping[str, str]) -> str:
    user = raw.get("user")
    if isinstance(user, str) and user in names:
        return names[user]
    profile = _mapping(raw.get("user_profile"))
    name = _first_name(profile, raw, ("real_name", "display_name", "user_name", "username"))
    return name or (user if isinstance(user, str) and user else "unknown")


def _bot_name(raw: dict[str, Any]) -> str:
    return _first_name(raw, _mapping(raw.get("bot_profile")), ("username", "name")) or "bot"


def _slack_text(raw: dict[str, Any], names: Mapping[str, str]) -> str:
    """The message as a person reads it in Slack: mentions and links spelled out, entities
    decoded, with any attachment's text (what bots post) and the names of shared files."""
    parts = [raw.get("text")]
    if not (isinstance(parts[0], str) and parts[0].strip()):
        parts = [_attachment_text(a) for a in _dicts(raw.get("attachments"))]
    text = "\n".join(_readable(p, names) for p in parts if isinstance(p, str) and p.strip())
    files = [f.get("title") or f.get("name") for f in _dicts(raw.get("files"))]
    shared = " ".join(f"[file: {name}]" for name in files if isinstance(name, str) and name)
    return " ".join(part for part in (text.strip(), shared) if part)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _attachment_text(attachment: dict[str, Any]) -> str:
    for key in ("fallback", "text", "pretext", "title"):
        value = attachment.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _readable(text: str, names: Mapping[str, str]) -> str:
    spelled = _ANGLED.sub(lambda found: _spell(found.group(1), names), text)
    # Slack escapes exactly these three; &amp; last, so "&amp;lt;" stays "&lt;".
    return spelled.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _spell(inner: str, names: Mapping[str, str]) -> str:
    """One <...> token: <@U123>, <#C123|general>, <!here>, <https://x|label>."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if label and label != target.removeprefix("mailto:"):
        return f"{label} ({target})"
    return target.removeprefix("mailto:")


# -- plain text ---------------------------------------------------------------------------------
_LINE = re.compile(
    r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+"
    r"(?P<author>[^:\s][^:]{0,199}?):(?:\s+(?P<text>.*))?$"
)
_TIMED = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?\s")  # a new message, whatever follows
_DAY_LINE = re.compile(r"^-*\s*(?P<day>\d{4}-\d{2}-\d{2})\s*-*$")


@dataclass
class _Open:
    """A message being read: its first line, and the lines that continue it."""

    line: int
    at: datetime
    wall: str
    author: str
    lines: list[str]


def parse_text_log(text: str, day: date | None, zone: tzinfo) -> ChatLog:
    """The messages of a plain text log: "HH:MM name: text" (or HH:MM:SS) on each line, in
    `zone`, on `day` until a line holding only a date ("--- 2026-11-23 ---") sets another.
    A line without a time continues the message above it. A time earlier than the one
    before it is refused (a log that crosses midnight says so with a date line). Raises
    ValidationError naming the line; with field "date" when a message comes before any day
    is known."""
    opened: list[_Open] = []
    previous: _Open | None = None
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        stated = _DAY_LINE.match(line.strip())
        if stated is not None:
            day = _day(number, stated["day"])
            continue
        found = _LINE.match(line.strip())
        if found is None:
            if previous is None or _TIMED.match(line.strip()):
                if line.strip():
                    raise ValidationError("file", _not_a_message(number, line))
                continue
            previous.lines.append(line.strip())
            continue
        if day is None:
            raise ValidationError("date", f"Line {number} has a time but no day is given.")
        previous = _open(number, found, day, zone, previous)
        opened.append(previous)
    if not opened:
        raise ValidationError("file", "It is not a chat log: no line reads “HH:MM name: text”.")
    return _text_log(opened)


def _not_a_message(number: int, line: str) -> str:
    shown = line.strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    return f"Line {number} (“{shown}”) is not a message like “13:05 Ana: rolled back api 4.2”."


def _day(number: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("file", f"Line {number}: {text} is not a date.") from None


def _open(
    number: int, found: re.Match[str], day: date, zone: tzinfo, previous: _Open | None
) -> _Open:
    hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        stamp = found.group(0).split()[0]
        raise ValidationError("file", f"Line {number}: {stamp} is not a time.")
    wall = datetime.combine(day, time(hour, minute, second))
    at = _in_zone(number, wall, zone, previous)
    text = found["text"] or ""
    return _Open(number, at, f"{wall:%H:%M:%S}", found["author"].strip(), [text.rstrip()])


def _in_zone(number: int, wall: datetime, zone: tzinfo, previous: _Open | None) -> datetime:
    """The wall-clock time in `zone` as UTC; not before the message above it. When clocks
    go back, the repeated hour reads as its second pass if the first would go backwards."""
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationError(
            "file", f"Line {number}: {wall:%Y-%m-%d %H:%M} does not exist in that zone "
            "(the clocks went forward over it).",
        )  # fmt: skip
    if previous is None or first >= previous.at:
        return first
    second_pass = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second_pass >= previous.at:
        return second_pass
    raise ValidationError(
        "file",
        f"Line {number} ({wall:%H:%M:%S}) is earlier than line {previous.line} "
        f"({previous.wall}): if the log crossed midnight, put the new day on a line of its "
        f"own before it, like “--- {wall.date() + timedelta(days=1)} ---”.",
    )


def _text_log(opened: list[_Open]) -> ChatLog:
    messages: list[ChatMessage] = []
    seen: Counter[tuple[str, str, str]] = Counter()
    skipped = 0
    for message in opened:
        text = "\n".join(message.lines).strip()
        if not text:
            skipped += 1
            continue
        moment = message.at.isoformat()
        occurrence = seen[(moment, message.author, text)]
        seen[(moment, message.author, text)] += 1
        digest = hashlib.sha256(
            "\x1f".join((moment, message.author, text, str(occurrence))).encode("utf-8")
        ).hexdigest()
        messages.append(ChatMessage(message.at, message.author, text, f"{TEXT}:{digest}", TEXT))
    return ChatLog(messages, skipped)


def moment_text(moment: datetime) -> str:
    """A message's time as the import shows it: '2026-11-22 13:02:05 UTC'."""
    return f"{utc_second(moment)} UTC"
