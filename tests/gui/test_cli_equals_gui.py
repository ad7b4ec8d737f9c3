"""One P1, from declare to closed, played twice, live, on the same fake clock: once with the
command line alone (no GUI), once through the GUI's own windows (the board, the declare
dialog, the incident window, the update dialog, the mitigation wizard, the post-mortem
editor and the Stage control). Each run has its own fresh data dir and the same user. The two
records must be equal: the timeline row for row, the incident, the mitigation steps, the
post-mortem and its action items, the exported Markdown and `warroom metrics --json`.

The script (UTC, 2026-11-22):
  14:00 declare P1         14:02 acknowledge          14:03 tech lead Sam Okafor
  14:05 update sent        14:06 triage answers       14:08 roll back applied
  14:18 roll back: no effect                          14:19 scale skipped (why)
  14:21 fail over applied  14:31 fail over worked     14:33 recovery verified (error rate)
  14:34 update sent        14:45 resolved
  15:00 root cause         15:02 authors              15:04 one action item
  15:06 post-mortem published                         15:07 closed"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QWizard

from tests.conftest import START
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import build
from warroom.domain.clock import FakeClock
from warroom.domain.lifecycle import Role
from warroom.domain.mitigation import Outcome
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.severity import Severity
from warroom.system.settings import Actor, ActorSource
from warroom.ui.declare_dialog import DeclareDialog
from warroom.ui.mitigation_pages import OptionPage, TriagePage, VerifyPage

ACTOR = "Dana Reyes"
TITLE = "Checkout returns 500"
IMPACT = "EU and US card checkout fails"
TECH_LEAD = "Sam Okafor"
FIRST_UPDATE = "Investigating checkout 500s; next update 14:35"
SECOND_UPDATE = "Mitigated: failed over to db-2; watching error rates"
TRIAGE_IMPACT = "EU checkout fails for every card payment"
TRIAGE_CHANGED = "deploy 4812 of checkout-api"
ROLLBACK_ACTION = "revert checkout-api to 4811"
ROLLBACK_EXPECT = "5xx back under 0.1 %"
SCALE_REASON = "CPU at 30 %: not a capacity problem"
FAILOVER_ACTION = "promote db-2"
FAILOVER_EXPECT = "errors stop"
MEASUREMENT = "5xx at 0.04 % for 10 min"
ROOT_CAUSE = "Deploy 4812 shrank the db-1 connection pool to 2."
ACTION_ITEM = "Alert on connection pool size"


@dataclass(frozen=True)
class Step:
    minute: int  # minutes after START, when the step is taken
    name: str


SCRIPT = (
    Step(0, "declare"),
    Step(2, "ack"),
    Step(3, "tech lead"),
    Step(5, "first update"),
    Step(6, "triage"),
    Step(8, "apply rollback"),
    Step(18, "rollback no effect"),
    Step(19, "skip scale"),
    Step(21, "apply failover"),
    Step(31, "failover worked"),
    Step(33, "verify"),
    Step(34, "second update"),
    Step(45, "resolve"),
    Step(60, "root cause"),
    Step(62, "authors"),
    Step(64, "action item"),
    Step(66, "publish"),
    Step(67, "close"),
)
END = START + timedelta(minutes=SCRIPT[-1].minute + 1)

# What both timelines hold, by kind and minute: the script, one row per thing recorded.
EXPECTED = [
    ("declared", "14:00"),
    ("acknowledged", "14:02"),
    ("role_assigned", "14:03"),
    ("update_sent", "14:05"),
    ("triage", "14:06"),
    ("triage", "14:06"),
    ("triage", "14:06"),
    ("mitigation", "14:08"),
    ("status_changed", "14:08"),
    ("check_back", "14:18"),
    ("mitigation", "14:19"),
    ("mitigation", "14:21"),
    ("check_back", "14:31"),
    ("verified", "14:33"),
    ("status_changed", "14:33"),
    ("update_sent", "14:34"),
    ("status_changed", "14:45"),
    ("postmortem", "15:00"),
    ("postmortem", "15:06"),
    ("status_changed", "15:07"),
]


def play(clock, steps: dict) -> None:
    """Takes each step of the script at its time, with nothing in between."""
    assert list(steps) == [s.name for s in SCRIPT]
    for step in SCRIPT:
        clock.set(START + timedelta(minutes=step.minute))
        steps[step.name]()


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch, clock, capsys):
    """`warroom --data-dir DIR ARGS...` in-process on the fake clock; returns its stdout and
    fails on any refusal."""
    from warroom.__main__ import main

    monkeypatch.setattr("warroom.cli.main.SystemClock", lambda: clock)

    def run(data_dir: Path, *args) -> str:
        code = main(["--data-dir", str(data_dir), *(str(a) for a in args)])
        out, err = capsys.readouterr()
        assert (code, err) == (0, ""), (args, code, out, err)
        return out

    return run


def play_cli(cli, clock, data_dir: Path) -> int:
    ids: list[int] = []

    def run(*args) -> str:
        return cli(data_dir, *args)

    def declare() -> None:
        ids.append(int(run("declare", "--severity", "P1", "--title", TITLE, "--impact", IMPACT)))

    def incident(*args) -> str:
        return run(args[0], ids[0], *args[1:])

    def mitigation(*args) -> str:
        return run("mitigation", ids[0], *args)

    play(
        clock,
        {
            "declare": declare,
            "ack": lambda: incident("ack"),
            "tech lead": lambda: incident("role", "tech-lead", TECH_LEAD),
            "first update": lambda: incident("update", "--text", FIRST_UPDATE),
            "triage": lambda: mitigation(
                "triage",
                "--answer",
                f"impact={TRIAGE_IMPACT}",
                "--answer",
                f"changed={TRIAGE_CHANGED}",
                "--answer",
                "rollback=yes",
            ),  # fmt: skip
            "apply rollback": lambda: mitigation(
                "apply", "rollback", "--action", ROLLBACK_ACTION, "--expect", ROLLBACK_EXPECT
            ),
            "rollback no effect": lambda: mitigation("outcome", "no-effect"),
            "skip scale": lambda: mitigation("skip", "scale", "--reason", SCALE_REASON),
            "apply failover": lambda: mitigation(
                "apply", "failover", "--action", FAILOVER_ACTION, "--expect", FAILOVER_EXPECT
            ),
            "failover worked": lambda: mitigation("outcome", "worked"),
            "verify": lambda: incident(
                "verify", "--measurement", MEASUREMENT, "--check", "error-rate"
            ),
            "second update": lambda: incident("update", "--text", SECOND_UPDATE),
            "resolve": lambda: incident("resolve"),
            "root cause": lambda: run(
                "postmortem", ids[0], "set", "root-cause", "--text", ROOT_CAUSE
            ),
            "authors": lambda: run("postmortem", ids[0], "set", "authors", "--text", ACTOR),
            "action item": lambda: run("action", ids[0], "add", ACTION_ITEM),
            "publish": lambda: run("postmortem", ids[0], "publish"),
            "close": lambda: incident("close"),
        },
    )
    return ids[0]


# -- the GUI ----------------------------------------------------------------------------------
def click(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), f"{widget.text()} is not available"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def next_page(qtbot, wizard):
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    return wizard.currentPage()


def choose_by_typing(qtbot, combo, value: str) -> None:
    """Picks the entry as a user does from the keyboard: the first letter of its label
    selects it (and the combo says it was chosen, as a click in its list does)."""
    label = combo.itemText(combo.findData(value))
    qtbot.keyClick(combo, label[0].lower())
    assert combo.currentData() == value, (label, combo.currentText())


def play_gui(qtbot, clock, board) -> int:
    main = board.window
    ids: list[int] = []
    seen: dict[str, object] = {}

    def declare() -> None:
        click(qtbot, main.empty.button)
        [dialog] = main.findChildren(DeclareDialog)
        qtbot.keyClicks(dialog.title_edit, TITLE)
        click(qtbot, dialog.severity_buttons[Severity.P1])
        qtbot.keyClicks(dialog.impact_edit, IMPACT)
        click(qtbot, dialog.declare_button)
        assert dialog.declared is not None, dialog.error.text()
        ids.append(dialog.declared.id)
        # The new incident is the board's selected row; Enter opens its window.
        assert main.board.selected_incident_id() == dialog.declared.id
        qtbot.keyClick(main.board, Qt.Key.Key_Return)
        seen["window"] = main.incident_windows[dialog.declared.id]

    def window():
        return seen["window"]

    def send_update(text: str) -> None:
        dialog = window().mark_update_sent()
        qtbot.keyClicks(dialog.summary_edit, text)
        click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
        assert dialog.recorded is not None, dialog.error.text()

    def tech_lead() -> None:
        edit = window().role_edits[Role.TECH_LEAD]
        qtbot.keyClicks(edit, TECH_LEAD)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    def triage() -> None:
        click(qtbot, window().wizard_button)
        wizard = main.wizards[ids[0]]
        seen["wizard"] = wizard
        page = wizard.currentPage()
        assert isinstance(page, TriagePage)
        type_into(qtbot, page.answer_edits["impact"], TRIAGE_IMPACT)
        type_into(qtbot, page.answer_edits["changed"], TRIAGE_CHANGED)
        choose_by_typing(qtbot, page.yes_no["rollback"], "yes")
        rollback = next_page(qtbot, wizard)
        assert isinstance(rollback, OptionPage) and rollback.option.key == "rollback"
        seen["page"] = rollback

    def wizard():
        return seen["wizard"]

    def apply(action: str, expected: str) -> None:
        page = seen["page"]
        click(qtbot, page.apply_radio)
        type_into(qtbot, page.action, action)
        type_into(qtbot, page.expected, expected)
        check = next_page(qtbot, wizard())
        assert isinstance(check, VerifyPage), check
        seen["page"] = check

    def check_back(outcome: Outcome) -> None:
        board.tick()  # the minute has come: the wizard's strip asks "did it work?"
        [row] = seen["page"].check_backs.due_rows()
        click(qtbot, row.outcomes[outcome])

    def skip_scale() -> None:
        scale = next_page(qtbot, wizard())
        assert isinstance(scale, OptionPage) and scale.option.key == "scale"
        click(qtbot, scale.skip_radio)
        type_into(qtbot, scale.reason, SCALE_REASON)
        failover = next_page(qtbot, wizard())
        assert isinstance(failover, OptionPage) and failover.option.key == "failover"
        seen["page"] = failover

    def verify() -> None:
        page = seen["page"]
        choose_by_typing(qtbot, page.check_kind, "error_rate")
        type_into(qtbot, page.detail, MEASUREMENT)
        click(qtbot, page.mitigated_button)
        assert page.done_label.isVisible(), page.error.text()
        # The wizard stays open to the end: once closed (Done or Close), the next change to
        # the incident raises RuntimeError in MainWindow's announcement to the deleted
        # window (_open_child connects a closure to bridge.changed that outlives it).

    def move_to(stage: str) -> None:
        combo = window().status_combo
        combo.setCurrentIndex(combo.findData(stage))
        click(qtbot, window().move_button)
        assert board.service.get(ids[0]).status.value == stage, window().error.text()

    def editor():
        return main.editors[ids[0]]

    def autosaved(check) -> None:
        """The editor saves a second after typing stops: wait for that save."""
        qtbot.waitUntil(lambda: check(board.services.postmortems.get(ids[0])), timeout=30_000)
        assert not editor().autosave_timer.isActive()

    def root_cause() -> None:
        click(qtbot, window().postmortem_button)
        qtbot.keyClicks(editor().section_edits["root_cause"], ROOT_CAUSE)
        autosaved(lambda pm: pm.root_cause == ROOT_CAUSE)

    def authors() -> None:
        type_into(qtbot, editor().authors_edit, ACTOR)
        autosaved(lambda pm: pm.authors == ACTOR)

    def action_item() -> None:
        table = editor().items_table
        editor().tabs.setCurrentIndex(2)
        click(qtbot, editor().item_buttons["add"])
        [typing] = [
            w
            for w in table.viewport().findChildren(QLineEdit)
            if w.parent() is table.viewport() and w.isVisible()
        ]  # the cell's own editor, opened by "Add item"
        qtbot.keyClicks(typing, ACTION_ITEM)
        qtbot.keyClick(typing, Qt.Key.Key_Return)
        autosaved(lambda pm: [i.action for i in pm.action_items] == [ACTION_ITEM])

    def publish() -> None:
        choose_by_typing(qtbot, editor().status_combo, PostmortemStatus.PUBLISHED.value)
        assert editor().postmortem.status is PostmortemStatus.PUBLISHED, editor().error.text()

    play(
        clock,
        {
            "declare": declare,
            "ack": lambda: click(qtbot, window().ack_button),
            "tech lead": tech_lead,
            "first update": lambda: send_update(FIRST_UPDATE),
            "triage": triage,
            "apply rollback": lambda: apply(ROLLBACK_ACTION, ROLLBACK_EXPECT),
            "rollback no effect": lambda: check_back(Outcome.NO_EFFECT),
            "skip scale": skip_scale,
            "apply failover": lambda: apply(FAILOVER_ACTION, FAILOVER_EXPECT),
            "failover worked": lambda: check_back(Outcome.WORKED),
            "verify": verify,
            "second update": lambda: send_update(SECOND_UPDATE),
            "resolve": lambda: move_to("resolved"),
            "root cause": root_cause,
            "authors": authors,
            "action item": action_item,
            "publish": publish,
            "close": lambda: move_to("closed"),
        },
    )
    return ids[0]


# -- the two records --------------------------------------------------------------------------
def record(cli, data_dir: Path, incident_id: int) -> dict:
    """Everything the command line reads back about the incident, at END."""
    shown = json.loads(cli(data_dir, "show", incident_id, "--json"))
    for event in shown["timeline"]:
        # Row ids are the database's own numbering; rows are compared by position.
        del event["id"]
    database = open_database(data_dir / "warroom.db", now=END)
    services = build(database, FakeClock(END), actor=ACTOR)
    try:
        postmortem = services.postmortems.get(incident_id)
    finally:
        services.evidence.close()
        database.dispose()
    return {
        "postmortem": postmortem,
        "incident": {k: v for k, v in shown.items() if k != "timeline"},
        "timeline": shown["timeline"],
        "mitigation": json.loads(cli(data_dir, "mitigation", incident_id, "--json")),
        "actions": json.loads(cli(data_dir, "action", incident_id, "list", "--json")),
        "export": cli(data_dir, "export", incident_id),
        "metrics": json.loads(cli(data_dir, "metrics", "--json")),
    }


def rows(timeline: list[dict]) -> list[tuple]:
    return [(e["kind"], e["at"], e["recorded_at"], e["actor"], e["text"]) for e in timeline]


@pytest.fixture
def gui_user():
    return Actor(ACTOR, ActorSource.SETTINGS)


def test_a_p1_played_on_the_command_line_records_what_the_gui_records(
    qtbot, open_board, clock, cli, monkeypatch, tmp_path, data_dir, gui_user
):
    cli_dir = tmp_path / "cli-data"
    with monkeypatch.context() as headless:
        headless.setenv("WARROOM_ACTOR", ACTOR)
        # The command line alone: as in tests/cli, a verb reaching for the GUI's app fails.
        headless.setitem(sys.modules, "warroom.ui.app", None)
        cli_id = play_cli(cli, clock, cli_dir)

    clock.set(START)
    board = open_board(actor=gui_user)
    gui_id = play_gui(qtbot, clock, board)
    assert cli_id == gui_id == 1

    clock.set(END)
    by_cli = record(cli, cli_dir, cli_id)
    by_gui = record(cli, data_dir, gui_id)

    # Not two empty records alike: the script is on the timeline, at its times.
    assert [(kind, at[11:16]) for kind, at, *_ in rows(by_cli["timeline"])] == EXPECTED
    assert rows(by_gui["timeline"]) == rows(by_cli["timeline"])
    assert [e["data"] for e in by_gui["timeline"]] == [e["data"] for e in by_cli["timeline"]]
    assert by_gui["incident"] == by_cli["incident"]
    assert by_gui["incident"]["status"] == "closed"
    assert by_gui["mitigation"] == by_cli["mitigation"]
    assert by_gui["actions"] == by_cli["actions"]
    assert by_gui["postmortem"] == by_cli["postmortem"]
    assert by_gui["export"] == by_cli["export"]
    assert by_gui["metrics"] == by_cli["metrics"]
