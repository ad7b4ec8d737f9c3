"""The post-mortem as Markdown: read back with a real parser, its headings, tables and rows are
the ones PRACTICE.md asks for; user text is escaped so that it shows literally."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest

from tests.export.helpers import event, minutes, parse, resolved_incident
from warroom.adapters.export.markdown import (
    NOT_WRITTEN,
    escape_block,
    escape_cell,
    escape_inline,
    format_utc,
    make_environment,
    render_postmortem,
    render_postmortem_file,
)
from warroom.domain.incident import EventKind
from warroom.domain.postmortem import (
    ActionItem,
    AddedRow,
    ItemKind,
    ItemPriority,
    ItemStatus,
    Postmortem,
    PostmortemStatus,
    TimelineEdit,
    new_postmortem,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # decides which action items are overdue

EXPECTED_HEADINGS = [
    (1, "Post-mortem: Checkout returning 500s"),
    (2, "Summary"),
    (2, "Key metrics"),
    (2, "Timeline"),
    (2, "Root cause"),
    (2, "Contributing factors"),
    (2, "Detection"),
    (3, "How it was detected"),
    (3, "Could it have been detected sooner?"),
    (2, "What went well"),
    (2, "What went poorly"),
    (2, "Action items"),
    (2, "Lessons learned"),
    (2, "Prevention"),
]
ACTION_HEADER = ["#", "Action", "Owner", "Deadline", "Status", "Priority", "Type"]

EVENTS = [
    event(1, EventKind.DECLARED, 0, "Declared P1: checkout returning 500s"),
    event(2, EventKind.FIELD_EDITED, 1, "Title edited"),  # not a timeline kind
    event(3, EventKind.ACKNOWLEDGED, 4, "Acknowledged by Dana Whitfield"),
    event(4, EventKind.NOTE, 10, "Paged the wrong team"),  # hidden by the author
    event(5, EventKind.MITIGATION, 20, "Rolled back"),  # reworded by the author
    event(6, EventKind.UPDATE_SENT, 30, "Stakeholder update sent"),
    event(7, EventKind.STATUS_CHANGED, 35, "Status: active -> mitigated"),
    event(8, EventKind.VERIFIED, 95, "Error rate at baseline for 30 min"),
]


def full_postmortem() -> Postmortem:
    return Postmortem(
        incident_id=7,
        title="Checkout returning 500s",
        authors="Dana Whitfield, Sam Chen",
        status=PostmortemStatus.IN_REVIEW,
        impact="30 % of checkout requests failed\nfor 55 min",
        root_cause="Deploy 4812 shrank the DB connection pool to 5.",
        contributing_factors="No canary stage.\n\nThe pool size is not alerted on.",
        detection="Customer support tickets.",
        detection_sooner="Yes: a 5xx-rate alert on checkout.",
        went_well="The rollback took 3 min.",
        went_poorly="Paging took 12 min.",
        lessons="Config changes need the same review as code.",
        prevention="Validate pool sizes in CI.",
        timeline_edits={
            4: TimelineEdit(hidden=True),
            5: TimelineEdit(text="Rolled back deploy 4812 (checkout-api v2.31 to v2.30)"),
        },
        added_rows=(
            AddedRow(minutes(-20), "Deploy 4812 reached 100 % of hosts"),
            AddedRow(minutes(15), "Found the pool size change in the deploy diff"),
        ),
        action_items=(
            ActionItem(
                "Alert on the checkout 5xx rate",
                owner="Sam Chen",
                deadline=date(2026, 12, 5),
                status=ItemStatus.IN_PROGRESS,
                priority=ItemPriority.HIGH,
                kind=ItemKind.MITIGATE,
            ),
            ActionItem(
                "Canary stage for checkout-api",
                owner="Alex Novak",
                deadline=date(2026, 11, 28),  # before NOW and still open: overdue
                priority=ItemPriority.HIGH,
            ),
            ActionItem(
                "Rollback runbook",
                owner="Jo Martins",
                deadline=date(2026, 11, 20),  # past, but done: not overdue
                status=ItemStatus.DONE,
                priority=ItemPriority.LOW,
                kind=ItemKind.PROCESS,
            ),
        ),
    )


@pytest.fixture
def env():
    return make_environment()


@pytest.fixture
def markdown(env, policy):
    return render_postmortem(env, resolved_incident(), full_postmortem(), EVENTS, policy, NOW)


# -- structure -----------------------------------------------------------------------------
def test_headings_in_order(markdown):
    assert parse(markdown).headings == EXPECTED_HEADINGS


def test_tables_have_their_headers_rows_and_columns(markdown):
    tables = parse(markdown).tables
    shapes = [(table.header, len(table.rows)) for table in tables]
    assert shapes == [
        (["Field", "Value"], 9),
        (["Metric", "Formula", "Value"], 5),
        (["Time (UTC)", "Event"], 8),
        (ACTION_HEADER, 3),
    ]
    for table in tables:
        assert all(len(row) == len(table.header) for row in table.rows)


def test_summary_and_key_metrics(markdown):
    summary, metrics = parse(markdown).tables[:2]
    assert dict(summary.rows) == {
        "Date": "2026-11-22",
        "Customer impact": "55 min (impact started to mitigated)",
        "Time to resolve": "1 h 55 min (impact started to resolved)",
        "Severity": "P1 (Major degradation: core feature broken, many users hit)",
        "Status": "resolved",
        "Impact": "30 % of checkout requests failed\nfor 55 min",  # <br> kept the break
        "Authors": "Dana Whitfield, Sam Chen",
        "Post-mortem status": "in review",
        "Due": "2026-11-24 15:35 UTC",  # resolved 15:35, P1 due within 48 h
    }
    # By hand: impact started 13:40, detected 13:52, declared 14:00, acknowledged 14:04,
    # first update 14:30, mitigated 14:35, resolved 15:35.
    assert [(name, value) for name, _formula, value in metrics.rows] == [
        ("Time to detect", "12 min"),
        ("Time to acknowledge", "12 min"),  # from detection, not declaration
        ("Customer impact (time to mitigate)", "55 min"),
        ("Time to resolve", "1 h 55 min"),
        ("Time to first stakeholder update", "50 min"),  # from impact start
    ]
    assert [formula for _name, formula, _value in metrics.rows] == [
        "detected − impact started",
        "acknowledged − detected (declared when there was no alert)",
        "mitigated − impact started",
        "resolved − impact started",
        "first update sent − impact started",
    ]


def test_timeline_shows_the_authors_edits_in_time_order(markdown):
    timeline = parse(markdown).tables[2]
    assert timeline.rows == [
        ["2026-11-22 13:40", "Deploy 4812 reached 100 % of hosts"],  # added, before declared
        ["2026-11-22 14:00", "Declared P1: checkout returning 500s"],
        ["2026-11-22 14:04", "Acknowledged by Dana Whitfield"],
        ["2026-11-22 14:15", "Found the pool size change in the deploy diff"],  # added
        ["2026-11-22 14:20", "Rolled back deploy 4812 (checkout-api v2.31 to v2.30)"],
        ["2026-11-22 14:30", "Stakeholder update sent"],
        ["2026-11-22 14:35", "Status: active -> mitigated"],
        ["2026-11-22 15:35", "Error rate at baseline for 30 min"],
    ]
    assert "Paged the wrong team" not in markdown  # hidden
    assert "Title edited" not in markdown  # not a timeline kind


def test_action_items_flag_the_overdue_one(markdown):
    items = parse(markdown).tables[3]
    assert items.rows == [
        ["1", "Alert on the checkout 5xx rate", "Sam Chen", "2026-12-05", "in progress",
         "high", "mitigate"],
        ["2", "Canary stage for checkout-api", "Alex Novak", "2026-11-28", "open ⚠ overdue",
         "high", "prevent"],
        ["3", "Rollback runbook", "Jo Martins", "2026-11-20", "done", "low", "process"],
    ]  # fmt: skip


def test_sections_hold_the_authors_text(markdown):
    sections = parse(markdown).sections
    assert [(b.kind, b.text) for b in sections["Contributing factors"]] == [
        ("paragraph", "No canary stage."),
        ("paragraph", "The pool size is not alerted on."),
    ]
    assert [b.text for b in sections["Detection"]] == [
        "Detection gap: 12 min, from impact start (2026-11-22 13:40 UTC) "
        "to detection (2026-11-22 13:52 UTC)."
    ]
    assert [b.text for b in sections["Could it have been detected sooner?"]] == [
        "Yes: a 5xx-rate alert on checkout."
    ]
    assert [b.text for b in sections["Prevention"]] == ["Validate pool sizes in CI."]


def test_layout_blank_lines_around_tables_and_headings_and_one_final_newline(markdown):
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
    lines = markdown.split("\n")[:-1]
    for i, line in enumerate(lines):
        is_row = line.startswith("|")
        starts = line.startswith("#") or (is_row and not lines[i - 1].startswith("|"))
        ends = line.startswith("#") or (is_row and not lines[i + 1].startswith("|"))
        if starts and i > 0:
            assert lines[i - 1] == "", f"no blank line before line {i + 1}: {line!r}"
        if ends:
            assert lines[i + 1] == "", f"no blank line after line {i + 1}: {line!r}"


def test_an_empty_postmortem_keeps_every_heading_and_table(env, policy):
    incident = replace(resolved_incident(), detected_at=None)
    markdown = render_postmortem(env, incident, new_postmortem(incident), [], policy, NOW)
    doc = parse(markdown)
    assert doc.headings == EXPECTED_HEADINGS
    timeline, items = doc.tables[2], doc.tables[3]
    assert timeline.rows == [["—", "—"]]
    assert items.rows == [["—"] * len(ACTION_HEADER)]
    assert [b.text for b in doc.sections["Root cause"]] == ["Not written yet."]
    assert [b.text for b in doc.sections["Detection"]] == [
        "Detection gap: unknown (the detection time was not recorded)."
    ]
    assert {name: value for name, _formula, value in doc.tables[1].rows}[
        "Time to first stakeholder update"
    ] == "—"
    assert markdown.endswith("_Not written yet._\n")


def test_output_is_the_same_whatever_the_zone_of_the_times(env, policy):
    tokyo = ZoneInfo("Asia/Tokyo")
    incident = resolved_incident()
    moved = replace(
        incident,
        **{
            name: getattr(incident, name).astimezone(tokyo)
            for name in ("declared_at", "impact_started_at", "detected_at", "resolved_at")
        },
    )
    events = [replace(e, at=e.at.astimezone(tokyo)) for e in EVENTS]
    utc_doc = render_postmortem(env, incident, full_postmortem(), EVENTS, policy, NOW)
    tokyo_doc = render_postmortem(env, moved, full_postmortem(), events, policy, NOW)
    assert tokyo_doc == utc_doc


# -- other templates -----------------------------------------------------------------------
def test_a_template_file_of_the_users_choice(tmp_path, policy):
    (tmp_path / "part.j2").write_text("{{ rows | length }} rows\n", encoding="utf-8")
    chosen = tmp_path / "short.md.j2"
    chosen.write_text(
        "# {{ postmortem.title | md_inline }}\n{% include 'part.j2' %}", encoding="utf-8"
    )
    pm = replace(full_postmortem(), title="A *bold* claim")
    out = render_postmortem_file(resolved_incident(), pm, EVENTS, policy, NOW, chosen)
    assert out == "# A \\*bold\\* claim\n8 rows\n"


def test_a_missing_template_file_is_an_error_not_the_builtin(tmp_path, policy):
    missing = tmp_path / "nowhere" / "postmortem.md.j2"
    with pytest.raises(FileNotFoundError):
        render_postmortem_file(resolved_incident(), full_postmortem(), EVENTS, policy, NOW, missing)


def test_a_template_using_an_unknown_name_raises(tmp_path, policy):
    chosen = tmp_path / "typo.md.j2"
    chosen.write_text("{{ postmortem.titel }}\n", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render_postmortem_file(resolved_incident(), full_postmortem(), EVENTS, policy, NOW, chosen)


def test_naive_times_are_refused_rather_than_read_in_the_machines_zone():
    assert format_utc(datetime(2026, 11, 22, 14, 2, tzinfo=UTC)) == "2026-11-22 14:02 UTC"
    assert format_utc(None) == "—"
    with pytest.raises(ValueError):
        format_utc(datetime(2026, 11, 22, 14, 2))


def test_the_domain_does_not_import_jinja2():
    core = Path(__file__).resolve().parents[2] / "warroom" / "core"
    for source in core.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "jinja2" for n in names), source.name


# -- escaping ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text, v1.2 (beta) - ok!", "plain text, v1.2 (beta) - ok!"),
        ("a|b", "a\\|b"),
        ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
        ("`rm -rf` *now* _x_ ~~y~~", "\\`rm -rf\\` \\*now\\* \\_x\\_ \\~\\~y\\~\\~"),
        ("[x](y) & &amp; #1 \\", "\\[x\\](y) \\& \\&amp; \\#1 \\\\"),
        ("- item", "\\- item"),
        ("+1", "\\+1"),
        ("===", "\\==="),
        ("1. first", "1\\. first"),
        ("12) twelfth", "12\\) twelfth"),
        ("v1. not a list", "v1. not a list"),
        ("Title #", "Title \\#"),
        ("line\r\nbreak\nand\u2028more\u2029x\x85y\rz", "line break and more x y z"),
        ("  padded\t", "padded"),
    ],
)
def test_escape_inline(text, expected):
    assert escape_inline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b\nc", "a\\|b<br>c"),
        ("one\n\n\ntwo\n", "one<br><br>two"),
        ("<br>", "\\<br\\>"),
        ("- x\r\n1. y", "\\- x<br>1\\. y"),
        ("", ""),
    ],
)
def test_escape_cell(text, expected):
    assert escape_cell(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", NOT_WRITTEN),
        (" \n\t\n", NOT_WRITTEN),
        ("# Title\n    indented code\n> quote", "\\# Title\\\nindented code\\\n\\> quote"),
        (
            "First paragraph\nsecond line\n\n\n\n  Next paragraph  \n\n",
            "First paragraph\\\nsecond line\n\nNext paragraph",
        ),
        (
            "- a\n+ b\n* c\n1. d\n2) e\n===\n---\n:--\n```\n~~~",
            "\\- a\\\n\\+ b\\\n\\* c\\\n1\\. d\\\n2\\) e\\\n\\===\\\n\\---\\\n\\:--\\\n"
            "\\`\\`\\`\\\n\\~\\~\\~",
        ),
        ("C:\\temp\nnext", "C:\\\\temp\\\nnext"),
        ("<details>\n| a | b |", "\\<details\\>\\\n\\| a \\| b \\|"),
    ],
)
def test_escape_block(text, expected):
    assert escape_block(text) == expected


def test_escape_block_placeholder_is_the_templates_choice():
    assert escape_block("  ", placeholder="_None._") == "_None._"


def test_a_drills_post_mortem_says_so_in_its_title(env, policy, markdown):
    drill = replace(resolved_incident(), is_drill=True)
    text = render_postmortem(env, drill, full_postmortem(), EVENTS, policy, NOW)
    assert text.splitlines()[0] == "# [DRILL] Post-mortem: Checkout returning 500s"
    assert markdown.splitlines()[0] == "# Post-mortem: Checkout returning 500s"
