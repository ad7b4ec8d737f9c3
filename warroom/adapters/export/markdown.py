"""Markdown rendering: the post-mortem (GitHub-flavoured Markdown) and the three stakeholder
status messages (Markdown, and plain text for SMS or a phone bridge).

Templates are Jinja2 files: the shipped ones in templates_dir(), overridable file by file from
a user folder. User text only reaches the Markdown through the md_inline / md_cell / md_block
filters, which escape it so that it always shows literally and never changes the document's
structure (no extra heading, table column, list or code block). Times are shown in UTC, so a
document renders the same on every machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from warroom.domain.derived import entered_after_the_fact
from warroom.domain.durations import describe_duration
from warroom.domain.incident import Incident, TimelineEvent
from warroom.domain.policy import Policy
from warroom.domain.postmortem import (
    SECTIONS,
    ActionItem,
    Postmortem,
    TimelineRow,
    key_metrics,
    postmortem_due,
    timeline_rows,
)
from warroom.domain.safe_text import visible
from warroom.domain.timefmt import MISSING, utc_minute_or_missing
from warroom.services.ports.postmortems import MessageKind
from warroom.system.collector import collector_paused
from warroom.system.paths import templates_dir

__all__ = [
    "MISSING",
    "NOT_WRITTEN",
    "POSTMORTEM_TEMPLATE",
    "TRENDS",
    "ItemRow",
    "MarkdownRenderer",
    "MessageKind",
    "StatusFacts",
    "DocumentRow",
    "document_rows",
    "escape_block",
    "escape_cell",
    "escape_heading",
    "escape_inline",
    "entered_later",
    "format_duration",
    "format_utc",
    "make_environment",
    "postmortem_context",
    "render_postmortem",
    "render_postmortem_file",
    "render_status",
    "status_facts",
    "status_template",
]

POSTMORTEM_TEMPLATE = "postmortem.md.j2"
NOT_WRITTEN = "_Not written yet._"
TRENDS = ("improving", "stable", "worsening", "")

# -- escaping ------------------------------------------------------------------------------
# Everything str.splitlines() breaks on: a renderer or an editor may start a new line at any.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# Characters that make Markdown syntax wherever they appear: escapes, code spans, emphasis,
# links, raw HTML and autolinks, table cells, strikethrough, entities, ATX closing sequences.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
# Constructs that only count at the start of a line: bullets, setext underlines, ordered lists.
_INLINE_START = re.compile(r"^(?:([-+=])|([0-9]+)([.)]))")
# In a block, a line starting with ':' could also be a table's delimiter row (":--") under a
# line that holds an escaped pipe, so it is escaped there too.
_BLOCK_START = re.compile(r"^(?:([-+=:])|([0-9]+)([.)]))")


# The same characters for str.replace, the backslash first (so the backslashes the others
# gain are not escaped again).
_SPECIALS = "\\`*_[]<>|~&#"


def _escape_specials(text: str) -> str:
    """_INLINE_SPECIAL.sub(r"\\\1", text): a backslash before each special character; a
    replace per character present costs less than a regex calling back for every match."""
    for char in _SPECIALS:
        if char in text:
            text = text.replace(char, "\\" + char)
    return text


def _visible(text: str) -> str:
    """visible(text); printable ASCII, which holds no control character, as it is."""
    return text if text.isascii() and text.isprintable() else visible(text)


# Text that none of the filters below changes: printable ASCII (so no control, line break or
# tab), none of the characters that make Markdown syntax, no blank at either end. Most rows
# of a long timeline are such text: they skip the general path (same result, less work).
def _is_plain(text: str) -> bool:
    return (
        text.isascii()
        and text.isprintable()
        and text == text.strip()
        and _INLINE_SPECIAL.search(text) is None
    )


def _escape_start(line: str, pattern: re.Pattern[str]) -> str:
    match = pattern.match(line)
    if match is None:
        return line
    if match.group(1):  # a lone marker character: escape it
        return "\\" + line
    digits, marker = match.group(2), match.group(3)  # "12." -> "12\."
    return f"{digits}\\{marker}{line[match.end() :]}"


def _escape_line(line: str, start: re.Pattern[str]) -> str:
    """One stripped line with every special character escaped, and every terminal or bidi
    control shown as an escape (its backslash escaped in turn, so it reads as typed). A tab
    becomes a space: it shows as blank space either way, and linters flag hard tabs."""
    text = _visible(line.replace("\t", " ").strip())
    return _escape_start(_escape_specials(text), start)


def escape_inline(text: str, placeholder: str = "") -> str:
    """User text as one line of literal Markdown (a heading, a list item, a sentence).
    Blank text renders as the (template's) placeholder, so no line ends in a bare space."""
    if text and _is_plain(text) and _INLINE_START.match(text) is None:
        return text
    return _escape_line(_visible(_LINE_BREAK.sub(" ", text)), _INLINE_START) or placeholder


# Punctuation that markdownlint (MD026) does not want at the end of a heading.
_HEADING_END_PUNCTUATION = ".,;:!。，；：！"


def escape_heading(text: str) -> str:
    """User text at the end of a heading: as escape_inline, with a final punctuation mark
    written as a character reference, so it shows as typed ("Checkout down!") and the
    heading still passes markdownlint."""
    escaped = escape_inline(text)
    if escaped and escaped[-1] in _HEADING_END_PUNCTUATION:
        # "0." came back as "0\." (not a list item): the reference replaces the escape too,
        # or "\&#46;" would show the reference itself.
        body = escaped[:-1]
        backslashes = len(body) - len(body.rstrip("\\"))
        if backslashes % 2:  # an odd run: the last one escapes the mark itself
            body = body[:-1]
        return f"{body}&#{ord(escaped[-1])};"
    return escaped


def _lines(text: str) -> list[str]:
    """The text's lines, stripped, with runs of blank lines collapsed into one and none at
    either end."""
    # A control is shown, so it is not whitespace to strip.
    return _without_blank_runs([_visible(raw).strip() for raw in _LINE_BREAK.split(text)])


def _without_blank_runs(lines: list[str]) -> list[str]:
    """Stripped lines with runs of blank lines collapsed into one and none at either end."""
    if "" not in lines:
        return lines
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return kept


# The first characters _INLINE_START can match: other lines skip the regex.
_START_CHARACTERS = frozenset("-+=0123456789")


def _ascii_cell(text: str) -> str:
    """escape_cell for printable ASCII (so no control and no tab) whose only line break is
    a newline: a typed or pasted note. Its special characters are escaped in one pass over
    the whole text: escaping adds no blank, so it commutes with stripping the lines."""
    lines = _without_blank_runs([raw.strip() for raw in _escape_specials(text).split("\n")])
    return "<br>".join(
        [
            _escape_start(line, _INLINE_START) if line[:1] in _START_CHARACTERS else line
            for line in lines
        ]
    )


def escape_cell(text: str, placeholder: str = "") -> str:
    """User text for one GFM table cell: line breaks become <br>, every '|' is escaped.
    Blank text renders as the (template's) placeholder."""
    if text.isascii():
        if text.isprintable():  # one line: most cells
            line = _escape_specials(text.strip())
            if line[:1] in _START_CHARACTERS:
                return _escape_start(line, _INLINE_START)
            return line or placeholder
        if text.replace("\n", " ").isprintable():
            return _ascii_cell(text) or placeholder
    lines = _lines(text)
    if not lines:
        return placeholder
    return "<br>".join(_escape_line(line, _INLINE_START) for line in lines)


def escape_block(text: str, placeholder: str = NOT_WRITTEN) -> str:
    """Multi-line user text as literal paragraphs: blank lines separate paragraphs, single
    line breaks become hard breaks. Blank text renders as the (template's) placeholder."""
    lines = _lines(text)
    if not lines:
        return placeholder
    paragraphs = "\n".join(lines).split("\n\n")  # _lines left one blank line between them
    return "\n\n".join(
        # A trailing backslash makes a hard line break: the author's line breaks are kept.
        "\\\n".join(_escape_line(line, _BLOCK_START) for line in paragraph.split("\n"))
        for paragraph in paragraphs
    )


# -- filters -------------------------------------------------------------------------------
def format_duration(span: timedelta | None) -> str:
    return MISSING if span is None else describe_duration(span)


def format_utc(moment: datetime | None, zone: bool = True) -> str:
    """'2026-11-22 14:02 UTC' ('2026-11-22 14:02' with zone=False, for a UTC column); a dash
    when there is no time. A naive time raises ValueError: it would read differently on
    each machine."""
    if moment is not None and moment.tzinfo is UTC:  # most times: already in UTC
        text = "%04d-%02d-%02d %02d:%02d" % (  # noqa: UP031  # half an f-string's cost
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
        )
        return f"{text} UTC" if zone else text
    return utc_minute_or_missing(moment, zone)


def entered_later(recorded: datetime | None) -> str:
    """The mark after a timeline row written down well after it happened: ' (entered later,
    2026-11-22 14:02 UTC)'; nothing for a row written as it happened (None)."""
    return "" if recorded is None else f" (entered later, {utc_minute_or_missing(recorded)})"


def neutralise(value: Any) -> Any:
    """Every value a template prints: control characters (ESC, BEL, BS, a bare CR, C1,
    bidi overrides) become visible escapes, whichever filters were (or were not) applied.
    The plain-text messages, which escape nothing else, rely on it."""
    return _visible(value) if isinstance(value, str) else value


def make_environment(user_templates: Path | None = None) -> jinja2.Environment:
    """The one strict environment: an unknown variable or attribute raises instead of
    rendering as nothing, and every printed value goes through `neutralise`. Templates in
    `user_templates` (when it exists) win over the shipped ones, file by file."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None and user_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(user_templates))
    loaders.append(jinja2.FileSystemLoader(templates_dir()))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: the md_* filters do the escaping
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=neutralise,
    )
    env.filters.update(
        visible=visible,
        md_inline=escape_inline,
        md_heading=escape_heading,
        md_cell=escape_cell,
        md_block=escape_block,
        duration=format_duration,
        utc=format_utc,
        entered_later=entered_later,
    )
    return env


# -- the post-mortem -----------------------------------------------------------------------
@dataclass(frozen=True)
class ItemRow:
    """One action item as the document shows it: numbered from 1, flagged when overdue."""

    number: int
    item: ActionItem
    overdue: bool


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs more per row
class DocumentRow:
    """One timeline row: the domain's row (at, text, event_id, hidden: what templates have
    always been given) and its two table cells as the shipped template prints them, escaped
    and formatted here in one loop, so a long timeline costs Jinja2 no filter call per row."""

    at: datetime
    text: str
    event_id: int | None
    hidden: bool
    time_cell: str  # the time in UTC, without the zone: the column says it
    event_cell: str  # the escaped text, and when it was written down if that was later


def document_rows(
    rows: list[TimelineRow], recorded_later: dict[int, datetime]
) -> list[DocumentRow]:
    """`rows` with their cells: the same text as `row.at | utc(false)` and
    `row.text | md_cell` followed by `recorded_later.get(row.event_id) | entered_later`."""
    later = recorded_later.get
    return [
        DocumentRow(
            row.at,
            row.text,
            row.event_id,
            row.hidden,
            format_utc(row.at, False),
            escape_cell(row.text) + entered_later(later(row.event_id)),  # type: ignore[arg-type]
        )
        for row in rows
    ]


def postmortem_context(
    incident: Incident,
    postmortem: Postmortem,
    events: list[TimelineEvent],
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    """Everything a post-mortem template can use (the shipped one uses all of it)."""
    today = now.date()
    # When each row written down after the fact was written down, by event id.
    recorded_later = {e.id: e.recorded_at for e in events if entered_after_the_fact(e)}
    with collector_paused():  # two objects a row, tens of thousands on a long timeline
        rows = document_rows(timeline_rows(events, postmortem), recorded_later)
    return {
        "incident": incident,
        "postmortem": postmortem,
        "rows": rows,
        "recorded_later": recorded_later,
        "metrics": key_metrics(incident, events),
        "due": postmortem_due(incident, policy),
        "heading": dict(SECTIONS),
        "action_items": [
            ItemRow(number, item, item.is_overdue(today))
            for number, item in enumerate(postmortem.action_items, start=1)
        ],
        "started_on": incident.impact_started_at.astimezone(UTC).date().isoformat(),
        "now": now,
    }


def render_postmortem(
    env: jinja2.Environment,
    incident: Incident,
    postmortem: Postmortem,
    events: list[TimelineEvent],
    policy: Policy,
    now: datetime,
    template: str = POSTMORTEM_TEMPLATE,
) -> str:
    """The post-mortem as Markdown. `now` only decides which action items are overdue."""
    context = postmortem_context(incident, postmortem, events, policy, now)
    return env.get_template(template).render(context)


def render_postmortem_file(
    incident: Incident,
    postmortem: Postmortem,
    events: list[TimelineEvent],
    policy: Policy,
    now: datetime,
    template_path: Path,
) -> str:
    """Renders a template file of the user's choice (the CLI's --template) with the same
    filters and strictness; its folder comes first, so it can include its own neighbours."""
    if not template_path.is_file():
        # Checked here: a missing folder would otherwise fall through to a shipped template.
        raise FileNotFoundError(f"template not found: {template_path}")
    env = make_environment(template_path.parent)
    return render_postmortem(
        env, incident, postmortem, events, policy, now, template=template_path.name
    )


# -- status messages -----------------------------------------------------------------------
@dataclass(frozen=True)
class StatusFacts:
    """What a stakeholder message says (PRACTICE.md, "Communication"), as plain text."""

    severity: str
    severity_meaning: str
    title: str
    impact: str
    status: str  # the lifecycle label
    commander: str
    next_update_at: datetime | None  # None: no further updates (resolved)
    duration: timedelta | None  # impact start to resolution, or to now while open
    root_cause: str  # one line
    trend: str  # "improving", "stable", "worsening", or "" when not assessed
    eta: str  # "" means unknown
    postmortem_due_at: datetime | None
    is_drill: bool = False  # said first, so nobody takes a drill for a real outage


def _one_line(text: str) -> str:
    return " ".join(text.split())


def status_facts(
    incident: Incident,
    policy: Policy,
    now: datetime,
    root_cause_line: str = "",
    trend: str = "",
    eta: str = "",
) -> StatusFacts:
    """The facts for a message being sent at `now`: sending it restarts the update clock,
    so the next update is due one cadence from now."""
    if trend not in TRENDS:
        raise ValueError(f"unknown trend {trend!r}; use improving, stable or worsening")
    still_open = incident.status.is_open
    next_update = None
    if still_open:
        cadence = policy.for_severity(incident.severity).update_every
        next_update = cadence.deadline(now, policy.working_hours)
    ended = incident.resolved_at if incident.resolved_at and not still_open else now
    return StatusFacts(
        severity=incident.severity.value,
        severity_meaning=incident.severity.meaning,
        title=_one_line(incident.title),
        is_drill=incident.is_drill,
        impact=_one_line(incident.impact),
        status=incident.status.label,
        commander=_one_line(incident.commander),
        next_update_at=next_update,
        duration=max(ended - incident.impact_started_at, timedelta(0)),
        root_cause=_one_line(root_cause_line),
        trend=trend,
        eta=_one_line(eta),
        postmortem_due_at=postmortem_due(incident, policy),
    )


def status_template(kind: MessageKind, plain: bool = False) -> str:
    return f"status/{kind.value}.{'txt' if plain else 'md'}.j2"


def render_status(
    env: jinja2.Environment, kind: MessageKind, facts: StatusFacts, plain: bool = False
) -> str:
    """One stakeholder message; plain=True for the SMS / phone-bridge variant."""
    return env.get_template(status_template(kind, plain)).render(facts=facts, kind=kind)


# -- the renderer the services are given ---------------------------------------------------
class MarkdownRenderer:
    """services.ports.postmortems.Renderer with these templates: the shipped ones, each
    overridable by a file of the same name in `user_templates`."""

    def __init__(self, user_templates: Path | None = None) -> None:
        self._env = make_environment(user_templates)

    def postmortem(
        self,
        incident: Incident,
        postmortem: Postmortem,
        events: list[TimelineEvent],
        policy: Policy,
        now: datetime,
        template: Path | None = None,
    ) -> str:
        if template is not None:
            return render_postmortem_file(incident, postmortem, events, policy, now, template)
        return render_postmortem(self._env, incident, postmortem, events, policy, now)

    def status_message(
        self,
        kind: MessageKind,
        incident: Incident,
        policy: Policy,
        now: datetime,
        *,
        root_cause: str = "",
        trend: str = "",
        eta: str = "",
        plain: bool = False,
    ) -> str:
        facts = status_facts(incident, policy, now, root_cause, trend, eta)
        return render_status(self._env, kind, facts, plain)
