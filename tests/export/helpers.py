"""Reading rendered Markdown back the way a renderer does (markdown-it-py, CommonMark plus
GFM tables and strikethrough), and the hand-built incident the export tests share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markdown_it import MarkdownIt
from markdown_it.token import Token

from warroom.adapters.export.markdown import _LINE_BREAK
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Role, Status
from warroom.domain.safe_text import visible
from warroom.domain.severity import Severity

# Linkify (part of the "gfm-like" preset) needs an extra package; it only turns bare URLs
# into links, which changes no structure, so tables and strikethrough are enough here.
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # declared


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


# -- reading Markdown back -----------------------------------------------------------------
@dataclass
class Table:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Block:
    """A top-level block under a heading: its token type and its text as shown."""

    kind: str
    text: str


@dataclass
class Document:
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # Top-level blocks (paragraphs, lists, code, tables...) under each heading, by its text.
    sections: dict[str, list[Block]] = field(default_factory=dict)
    html: list[str] = field(default_factory=list)  # every raw HTML fragment


def shown_text(inline: Token) -> str:
    """What a reader sees of an inline token: markup dropped, <br> and breaks as newlines."""
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "html_inline":
            parts.append("\n" if child.content == "<br>" else child.content)
    return "".join(parts)


def _block_text(tokens: list[Token], index: int) -> str:
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is not None and following.type == "inline":
        return shown_text(following)
    return tokens[index].content  # code, fences, raw HTML; "" for a list or a quote


def parse(markdown: str) -> Document:
    doc = Document()
    tokens = PARSER.parse(markdown)
    current = doc.sections.setdefault("", [])
    row: list[str] = []
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            text = shown_text(tokens[index + 1])
            doc.headings.append((int(token.tag[1]), text))
            current = doc.sections.setdefault(text, [])
            continue
        if kind == "table_open":
            doc.tables.append(Table(header=[]))
        elif kind == "tr_open":
            row = []
        elif kind in ("th_open", "td_open"):
            row.append(shown_text(tokens[index + 1]))
        elif kind == "tr_close":
            table = doc.tables[-1]
            if table.header:
                table.rows.append(row)
            else:
                table.header = row
        elif kind == "html_block":
            doc.html.append(token.content)
        elif kind == "inline":
            doc.html.extend(c.content for c in token.children or [] if c.type == "html_inline")
        if token.level == 0 and token.nesting != -1:  # a top-level block starts
            current.append(Block(kind.removesuffix("_open"), _block_text(tokens, index)))
    return doc


def cells_per_line(markdown: str) -> list[list[int]]:
    """For each table in the source (consecutive lines starting with '|'), the number of cells
    on each line, counting the pipes a GFM parser splits on (any '|' not after a backslash)."""
    tables: list[list[int]] = []
    previous_was_row = False
    for line in markdown.split("\n"):
        is_row = line.startswith("|")
        if is_row:
            if not previous_was_row:
                tables.append([])
            tables[-1].append(len(re.findall(r"(?<!\\)\|", line)) - 1)
        previous_was_row = is_row
    return tables


def normalized(text: str) -> str:
    """Text as a reader compares it: runs of whitespace (including line breaks) as one space;
    a control character (NUL, ESC, BEL, a bidi override...) as the visible escape every
    export shows in its place (`\\x1b`, `\\u202e`)."""
    return " ".join(visible(_LINE_BREAK.sub(" ", text)).split())


# -- the incident the tests share ----------------------------------------------------------
def resolved_incident(title: str = "Checkout returning 500s", impact: str = "") -> Incident:
    return Incident(
        id=7,
        title=title,
        severity=Severity.P1,
        status=Status.RESOLVED,
        impact=impact or "30 % of checkout requests failed",
        declared_at=T0,
        impact_started_at=minutes(-20),
        detected_at=minutes(-8),
        acknowledged_at=minutes(4),
        mitigated_at=minutes(35),
        resolved_at=minutes(95),
        last_update_at=minutes(30),
        roles={Role.COMMANDER: "Dana Whitfield"},
    )


def event(event_id: int, kind: EventKind, at_minute: int, text: str) -> TimelineEvent:
    at = minutes(at_minute)
    return TimelineEvent(event_id, 7, kind, at, at, "dana", text)
