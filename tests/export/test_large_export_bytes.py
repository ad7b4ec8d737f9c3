"""The post-mortem export of a very long timeline is rendered faster (fast paths for text
that needs no escaping, times already in UTC), and must still be the same bytes: the whole
document of a 20,000-event incident full of hostile text is compared with its digest written
by the renderer before those fast paths, and each filter with a copy of it as it was, on
thousands of awkward strings."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.adapters.export import markdown
from warroom.adapters.export.markdown import make_environment, render_postmortem
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Role, Status
from warroom.domain.policy import load_policy_file
from warroom.domain.postmortem import (
    ActionItem,
    AddedRow,
    ItemPriority,
    ItemStatus,
    Postmortem,
    TimelineEdit,
)
from warroom.domain.safe_text import visible
from warroom.domain.severity import Severity
from warroom.system.paths import builtin_policy_file

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Written by the renderer before its fast paths (commit d4ca479), for document(20_000).
GOLDEN_SHA256 = "fcfc58e98295742180ead4dca7e1663588860351d0e830475d90ac4965c1c4b1"

PIECES = (
    "rolled back checkout-api",
    "error rate 5 %",
    "| pipe",
    "`code`",
    "*stars*",
    "_under_",
    "[link](x)",
    "<b>html</b>",
    "&amp;",
    "# hash",
    "~strike~",
    "back\\slash",
    "- bullet",
    "+ plus",
    "= setext",
    "12. ordered",
    "3) ordered",
    ": colon",
    "  spaced  ",
    "\ttab",
    "line\nbreak",
    "crlf\r\nline",
    "\x1b[2J escape",
    "bell\x07",
    "\u202eevil",
    "\u2028sep",
    "\x85nel",
    "café",
    "日本語",
    "emoji 🔥",
    "",
    " ",
    "\n\n",
    "trailing.",
    "0.",
    "a\u00a0nbsp",
    "\x7fdel",
    "\udcffsurrogate",
)
ZONES = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))


def _text(rng: random.Random) -> str:
    if rng.random() < 0.5:  # most rows are plain, as in real timelines
        return f"Step {rng.randint(0, 99999)}: checked the dashboards, error rate now low"
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))


def document(events: int, seed: int = 7) -> tuple[Incident, Postmortem, list[TimelineEvent]]:
    rng = random.Random(seed)
    incident = Incident(
        id=1,
        title="Checkout | payments returning 500s!",
        severity=Severity.P1,
        status=Status.RESOLVED,
        impact="30 % of checkout requests failed\n# not a heading",
        declared_at=T0,
        impact_started_at=T0 - timedelta(minutes=20),
        detected_at=T0 - timedelta(minutes=8),
        acknowledged_at=T0 + timedelta(minutes=4),
        mitigated_at=T0 + timedelta(minutes=35),
        resolved_at=T0 + timedelta(hours=30),
        roles={Role.COMMANDER: "Dana Whitfield"},
    )
    kinds = list(EventKind)
    timeline: list[TimelineEvent] = []
    edits: dict[int, TimelineEdit] = {}
    for event_id in range(1, events + 1):
        at = (T0 + timedelta(seconds=rng.randint(-3600, 40 * 3600))).astimezone(rng.choice(ZONES))
        late = rng.random() < 0.1
        recorded = at + timedelta(hours=rng.randint(1, 30)) if late else at
        kind = rng.choice(kinds)
        data = {}
        if kind is EventKind.REMINDER and rng.random() < 0.5:
            data = {"cadence": "missed", "due": at.isoformat(), "severity": "P1"}
        timeline.append(TimelineEvent(event_id, 1, kind, at, recorded, "dana", _text(rng), data))
        roll = rng.random()
        if roll < 0.02:
            edits[event_id] = TimelineEdit(hidden=True)
        elif roll < 0.1:
            edits[event_id] = TimelineEdit(text=_text(rng))
    timeline.sort(key=lambda e: (e.at, e.id))
    added = tuple(
        AddedRow(T0 + timedelta(seconds=rng.randint(0, 40 * 3600)), _text(rng))
        for _ in range(events // 50)
    )
    items = tuple(
        ActionItem(
            action=_text(rng),
            owner=rng.choice(("Sam Chen", "", "| pipe")),
            deadline=rng.choice((None, NOW.date() + timedelta(days=rng.randint(-9, 9)))),
            status=rng.choice(tuple(ItemStatus)),
            priority=rng.choice(tuple(ItemPriority)),
        )
        for _ in range(200)
    )
    paragraph = "The pool shrank to 5.\n# not a heading\n\n> not a quote | nor a table"
    postmortem = Postmortem(
        incident_id=1,
        title=incident.title,
        authors="Dana Whitfield, Sam Chen",
        impact=incident.impact,
        root_cause=paragraph,
        lessons="".join(PIECES),
        timeline_edits=edits,
        added_rows=added,
        action_items=items,
    )
    return incident, postmortem, timeline


def _render(events: int) -> str:
    incident, postmortem, timeline = document(events)
    policy = load_policy_file(builtin_policy_file())
    return render_postmortem(make_environment(), incident, postmortem, timeline, policy, NOW)


def test_a_20000_event_export_is_the_same_bytes_as_before():
    output = _render(20_000)
    assert output.count("\n| ") > 13_000
    assert hashlib.sha256(output.encode("utf-8")).hexdigest() == GOLDEN_SHA256


def _awkward(rng: random.Random) -> str:
    alphabet = "".join(PIECES) + "abc XYZ 019.)-+=:#|"
    if rng.random() < 0.3:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


# The filters as they were before the fast paths, for reference.
def _old_escape_line(line: str, start) -> str:
    text = visible(line.replace("\t", " ").strip())
    return markdown._escape_start(markdown._INLINE_SPECIAL.sub(r"\\\1", text), start)


def _old_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in markdown._LINE_BREAK.split(text):
        line = visible(raw).strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _old_escape_cell(text: str, placeholder: str = "") -> str:
    lines = _old_lines(text)
    if not lines:
        return placeholder
    return "<br>".join(_old_escape_line(line, markdown._INLINE_START) for line in lines)


def _old_escape_inline(text: str, placeholder: str = "") -> str:
    line = visible(markdown._LINE_BREAK.sub(" ", text))
    return _old_escape_line(line, markdown._INLINE_START) or placeholder


def _old_escape_block(text: str) -> str:
    lines = _old_lines(text)
    if not lines:
        return markdown.NOT_WRITTEN
    paragraphs = "\n".join(lines).split("\n\n")
    return "\n\n".join(
        "\\\n".join(_old_escape_line(line, markdown._BLOCK_START) for line in p.split("\n"))
        for p in paragraphs
    )


@pytest.mark.parametrize("seed", range(5))
def test_the_filters_give_what_they_gave_before(seed):
    rng = random.Random(seed)
    texts = [_awkward(rng) for _ in range(3000)] + list(PIECES)
    texts += ["1", "1.", "12", "-", "a-", "x ", " x", "plain words", "Step 4: done", "a\\"]
    for text in texts:
        assert markdown.escape_cell(text) == _old_escape_cell(text), repr(text)
        assert markdown.escape_cell(text, "—") == _old_escape_cell(text, "—"), repr(text)
        assert markdown.escape_inline(text) == _old_escape_inline(text), repr(text)
        assert markdown.escape_inline(text, "x") == _old_escape_inline(text, "x"), repr(text)
        assert markdown.escape_block(text) == _old_escape_block(text), repr(text)
        assert markdown.neutralise(text) == visible(text), repr(text)
    assert markdown.neutralise(5) == 5 and markdown.neutralise(None) is None


def test_the_utc_filter_fast_path(monkeypatch):
    from warroom.domain.timefmt import utc_minute_or_missing

    rng = random.Random(3)
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        *(
            (T0 + timedelta(seconds=rng.randint(-(10**9), 10**9))).astimezone(rng.choice(ZONES))
            for _ in range(2000)
        ),
    ]
    for moment in moments:
        for zone in (True, False):
            assert markdown.format_utc(moment, zone) == utc_minute_or_missing(moment, zone)
    assert markdown.format_utc(None) == "—"
    with pytest.raises(ValueError):
        markdown.format_utc(datetime(2026, 1, 1))  # naive
