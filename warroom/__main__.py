"""Command line: the GUI by default; headless verbs for scripts. Qt loads only for the GUI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from warroom.cli.completion import DIRECTORY, SHELLS
from warroom.cli.db_parsers import add_record_verbs
from warroom.cli.drill_parsers import add_drill_verbs
from warroom.cli.exits import EXIT_USAGE, error_json
from warroom.cli.exits import TABLE as EXIT_TABLE
from warroom.cli.times import parse_when
from warroom.cli.work_parsers import add_work_verbs

if TYPE_CHECKING:
    from warroom.system.paths import AppPaths


_usage_errors: list[str] = []  # what argparse said, for a --json usage error


class _Parser(argparse.ArgumentParser):
    """argparse's parser, keeping its usage error's message (subcommands use it too)."""

    def error(self, message: str) -> NoReturn:
        _usage_errors.append(message)
        super().error(message)


class _PrintVersion(argparse.Action):
    """--version: looks the version up only when asked (argparse's own takes it eagerly)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from warroom import version

        print(f"warroom {version()}")
        parser.exit()


MAX_ID = 2**63 - 1  # the largest id SQLite can store


def incident_id(text: str) -> int:
    """An incident's id: a whole number from 1 to SQLite's largest integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an incident id (a number)") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not an incident id (1 or more)")
    return value


def log_seq(text: str) -> int:
    """A change number: 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a change number") from None
    if not 0 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not a change number (0 or more)")
    return value


# Every command, as build_parser() adds them (tests/cli/test_parser_speed.py keeps it true).
VERB_NAMES = frozenset(
    {
        "demo", "paths", "declare", "note", "ack", "severity", "role", "update", "time",
        "status", "resolve", "close", "reopen", "security", "service", "mitigation", "verify",
        "action", "postmortem", "message", "drill", "import-chat", "mark-duplicate", "link",
        "list", "show", "delete", "export", "evidence", "watch", "metrics", "completion",
        "examples", "backup", "restore", "share", "db",
    }
)  # fmt: skip


class _Skipped:
    """Stands in for the parser of a command that was not asked for: every call on it does
    nothing. Building every command's parser (and their subcommands') costs a hook its time."""

    def __getattr__(self, name: str) -> _Skipped:
        return self

    def __call__(self, *args: object, **kwargs: object) -> _Skipped:
        return self


class _OnlyVerb:
    """The subparsers action, building only `verb`'s parser."""

    def __init__(self, verbs: argparse._SubParsersAction, verb: str) -> None:
        self._verbs = verbs
        self._verb = verb

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser | _Skipped:
        return self._verbs.add_parser(name, **kwargs) if name == self._verb else _Skipped()


def chosen_verb(argv: Sequence[str]) -> str | None:
    """The command `argv` names when it can be told without parsing (the first word that is
    not an option or a global option's value); "" when it names none (the window opens:
    no command's parser is built); else None: then every parser is built."""
    words = iter(argv)
    for word in words:
        if word in ("--data-dir", "--actor", "--database"):
            next(words, None)
        elif word.startswith("-"):
            if word in ("-h", "--help", "--version", "--"):
                return None
        else:
            return word if word in VERB_NAMES else None
    return ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only`, the one command that will be parsed (the
    usage and errors of that command are the same either way)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="folder holding warroom.db (default: the user data dir, or $WARROOM_DATA_DIR)",
    ).complete = DIRECTORY  # type: ignore[attr-defined]  # read by shtab
    common.add_argument(
        "--database",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="a shared war room: postgresql://user@host/db (default: $WARROOM_DATABASE_URL, "
        "else the one joined in the app, else the local file in the data dir)",
    )
    common.add_argument(
        "--actor",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help="your name on the timeline (default: $WARROOM_ACTOR, else the name set in the "
        "app, else the OS login, marked as such)",
    )
    parser: argparse.ArgumentParser = _Parser(
        prog="warroom",
        description="The incident commander's board. With no command, opens the window.",
        epilog="Times are ISO 8601 with a UTC offset (2026-11-22T14:02:00Z); --at records\n"
        "when something happened, for an incident entered afterwards.\n"
        "'warroom COMMAND --help' for each; 'warroom examples' for an alert hook.\n\n" + EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action=_PrintVersion, help="print the version and exit")
    verbs: Any = parser.add_subparsers(dest="verb", metavar="COMMAND")
    if only is not None:
        verbs = _OnlyVerb(verbs, only)

    verbs.add_parser("demo", parents=[common], help="open the app on a fresh demo data dir")
    verbs.add_parser("paths", parents=[common], help="print where data, config and logs live")

    declare = verbs.add_parser("declare", parents=[common], help="declare an incident; prints id")
    declare.add_argument("--title", required=True)
    declare.add_argument("--severity", required=True, help="P0, P1, P2 or P3")
    declare.add_argument("--impact", default="", help="who is affected, and how")
    declare.add_argument("--started", type=parse_when, help="impact start, ISO 8601 with offset")
    declare.add_argument("--commander", default="", help="incident commander's name")
    declare.add_argument("--drill", action="store_true", help="a drill or exercise")
    declare.add_argument(
        "--declared",
        type=parse_when,
        help="when it was declared (default now), ISO 8601 with offset",
    )
    declare.add_argument(
        "--detected", type=parse_when, help="first alert, ISO 8601 with offset (default unknown)"
    )
    declare.add_argument("--security", action="store_true", help="a security incident")
    declare.add_argument("--service", default="", help="the affected service")
    declare.add_argument(
        "--dedupe-key",
        default="",
        metavar="KEY",
        help="the alert's key: if an open incident carries it, record the repeat on it and "
        "print its id instead of declaring",
    )

    note = verbs.add_parser("note", parents=[common], help="add a timeline note")
    note.add_argument("id", type=incident_id)
    note.add_argument("text")
    note.add_argument("--at", type=parse_when, help="when it happened, ISO 8601 with offset")
    note.add_argument(
        "--force",
        action="store_true",
        help="record a time more than a day before the incident (refused without it)",
    )

    _add_entry_verbs(verbs, common)
    add_work_verbs(verbs, common, incident_id)
    add_drill_verbs(verbs, common, incident_id)

    chat = verbs.add_parser(
        "import-chat",
        parents=[common],
        help="add a chat export's messages to the timeline as backdated notes",
    )
    chat.add_argument("id", type=incident_id)
    chat.add_argument(
        "file", metavar="FILE", help="a Slack channel export (JSON) or a plain text log"
    )
    chat.add_argument(
        "--date", metavar="YYYY-MM-DD", help="plain text log: the day its HH:MM times are on"
    )
    chat.add_argument(
        "--zone",
        metavar="ZONE",
        help="plain text log: the zone its times are in (Europe/Berlin, UTC, +01:00)",
    )
    chat.add_argument(
        "--dry-run", action="store_true", help="print what would be added; add nothing"
    )
    chat.add_argument("--json", action="store_true", help="print what was (or would be) added")
    chat.add_argument("--force", action="store_true", help=FORCE_HELP)

    duplicate = verbs.add_parser(
        "mark-duplicate",
        parents=[common],
        help="mark an incident as a duplicate of another (left out of the metrics)",
    )
    duplicate.add_argument("id", type=incident_id)
    duplicate.add_argument("--of", required=True, type=incident_id, metavar="OTHER")
    link = verbs.add_parser("link", parents=[common], help="record that two incidents are related")
    link.add_argument("id", type=incident_id)
    link.add_argument("other", type=incident_id, metavar="OTHER")

    listing = verbs.add_parser("list", parents=[common], help="open incidents and their clocks")
    listing.add_argument("--all", action="store_true", help="include resolved and closed")
    listing.add_argument("--json", action="store_true")

    show = verbs.add_parser("show", parents=[common], help="one incident with its timeline")
    show.add_argument("id", type=incident_id)
    show.add_argument("--json", action="store_true")
    delete = verbs.add_parser(
        "delete", parents=[common], help="delete an incident and its timeline for good"
    )
    delete.add_argument("id", type=incident_id)
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")

    export = verbs.add_parser(
        "export", parents=[common], help="the incident's post-mortem as Markdown"
    )
    export.add_argument("id", type=incident_id)
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.add_argument("--template", help="a Jinja2 template file to render instead")

    _add_evidence_verbs(verbs, common)

    watch = verbs.add_parser(
        "watch", parents=[common], help="print each change as it is made, until interrupted"
    )
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument(
        "--since",
        type=log_seq,
        metavar="SEQ",
        help="start after this change number (a line's seq; default: from now)",
    )
    watch.add_argument(
        "--once", action="store_true", help="print what is there (see --since) and exit"
    )

    metrics = verbs.add_parser(
        "metrics", parents=[common], help="response times and post-mortem completion by severity"
    )
    metrics.add_argument("--since", help="incidents declared from this day (YYYY-MM-DD, UTC)")
    metrics_format = metrics.add_mutually_exclusive_group()
    metrics_format.add_argument("--json", dest="output", action="store_const", const="json")
    metrics_format.add_argument("--csv", dest="output", action="store_const", const="csv")
    metrics.set_defaults(output="table")

    completion = verbs.add_parser(
        "completion", help="print a shell completion script (bash or zsh)"
    )
    completion.add_argument("shell", choices=SHELLS)
    verbs.add_parser("examples", help="print a worked alert-hook script")

    backup = verbs.add_parser("backup", parents=[common], help="take a backup now")
    backup.add_argument("-o", "--output", help="where to write it (default: the backups folder)")
    restore = verbs.add_parser(
        "restore", parents=[common], help="replace the database with a backup (kept first)"
    )
    restore.add_argument("file", help="a backup file, e.g. from the backups folder")
    add_record_verbs(verbs, common)
    return parser


AT_HELP = "when it happened, ISO 8601 with offset (default now)"
FORCE_HELP = "record a time more than a day before the incident (refused without it)"
ROLE_NAMES = ("commander", "tech-lead", "comms-lead", "scribe")
KEY_TIME_NAMES = (
    "impact-started", "detected", "declared", "acknowledged", "mitigated", "resolved",
)  # fmt: skip
STAGE_NAMES = "triage, active, mitigated, resolved, postmortem or closed"


def _add_entry_verbs(verbs, common: argparse.ArgumentParser) -> None:
    """What happened to an incident, live or entered afterwards with --at. Times stay text
    here: warroom.cli.verbs reads them, so a bad one is refused (exit 1) like any bad value."""
    timed = argparse.ArgumentParser(add_help=False)
    timed.add_argument("--at", metavar="T", help=AT_HELP)
    timed.add_argument("--force", action="store_true", help=FORCE_HELP)
    shown = argparse.ArgumentParser(add_help=False)
    shown.add_argument("--json", action="store_true", help="print the incident afterwards")
    both = [common, timed, shown]

    ack = verbs.add_parser("ack", parents=both, help="acknowledge an incident")
    ack.add_argument("id", type=incident_id)

    severity = verbs.add_parser("severity", parents=both, help="change the severity")
    severity.add_argument("id", type=incident_id)
    severity.add_argument("level", metavar="LEVEL", help="P0, P1, P2 or P3")
    severity.add_argument("--reason", default="", metavar="TEXT", help="why it changed")

    role = verbs.add_parser("role", parents=both, help="assign a role (an empty NAME unassigns it)")
    role.add_argument("id", type=incident_id)
    role.add_argument("role", choices=ROLE_NAMES)
    role.add_argument("name", metavar="NAME", help='who holds it; "" unassigns')

    update = verbs.add_parser("update", parents=both, help="record a stakeholder update sent")
    update.add_argument("id", type=incident_id)
    said = update.add_mutually_exclusive_group(required=True)
    said.add_argument("--text", metavar="TEXT", help="what the update said")
    said.add_argument(
        "--file", metavar="F", help="the message that went out, UTF-8 text ('-': stdin)"
    )
    said.add_argument(
        "--elsewhere", metavar="WHERE", help='where it was posted, e.g. "status page"'
    )
    update.add_argument(
        "--audience",
        action="append",
        default=[],
        metavar="A",
        help="who it went to (repeat for several)",
    )

    key_time = verbs.add_parser(
        "time", parents=[common, shown], help="correct one of the incident's key times"
    )
    key_time.add_argument("id", type=incident_id)
    key_time.add_argument("key", choices=KEY_TIME_NAMES)
    key_time.add_argument(
        "value", metavar="T", help="ISO 8601 with offset, or none to clear (where allowed)"
    )
    key_time.add_argument("--force", action="store_true", help=FORCE_HELP)

    status = verbs.add_parser("status", parents=both, help="move the incident to another stage")
    status.add_argument("id", type=incident_id)
    status.add_argument("stage", metavar="STAGE", help=STAGE_NAMES)
    status.add_argument("--reason", default="", metavar="TEXT", help="why (some moves need one)")
    for name, what in (("resolve", "move it to resolved"), ("close", "move it to closed")):
        shortcut = verbs.add_parser(name, parents=both, help=what)
        shortcut.add_argument("id", type=incident_id)
        shortcut.add_argument(
            "--reason", default="", metavar="TEXT", help="why (some moves need one)"
        )
    reopen = verbs.add_parser(
        "reopen", parents=both, help="move it back to an earlier stage (needs a reason)"
    )
    reopen.add_argument("id", type=incident_id)
    reopen.add_argument("--to", required=True, metavar="STAGE", help=STAGE_NAMES)
    reopen.add_argument("--reason", default="", metavar="TEXT", help="what changed")

    security = verbs.add_parser(
        "security", parents=[common, shown], help="mark it a security incident, or not"
    )
    security.add_argument("id", type=incident_id)
    security.add_argument("on", choices=("on", "off"))
    security.add_argument("--reason", default="", metavar="TEXT", help="who said so, and why")

    service = verbs.add_parser(
        "service", parents=[common, shown], help='set the affected service ("" clears it)'
    )
    service.add_argument("id", type=incident_id)
    service.add_argument("name", metavar="NAME")


def _add_evidence_verbs(verbs, common: argparse.ArgumentParser) -> None:
    evidence = verbs.add_parser(
        "evidence", parents=[common], help="collect, verify and export an incident's evidence"
    )
    actions = evidence.add_subparsers(dest="evidence_verb", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", parents=[common], help="copy files into the vault; prints id and sha256 of each"
    )
    add.add_argument("id", type=incident_id)
    add.add_argument("files", nargs="+", metavar="FILE")
    add.add_argument("--item", help="the checklist item it covers (its name, any case)")
    add.add_argument("--note", default="", help="what it is, where it came from")
    checklist = actions.add_parser(
        "checklist", parents=[common], help="the incident's evidence checklist"
    )
    checklist.add_argument("id", type=incident_id)
    verify = actions.add_parser(
        "verify",
        parents=[common],
        help="re-hash every artifact and check every custody log; exit 1 on any problem",
    )
    verify.add_argument("id", type=incident_id, nargs="?", help="one incident (default: all)")
    export = actions.add_parser(
        "export", parents=[common], help="a zip of the evidence with manifests and SHA256SUMS"
    )
    export.add_argument("id", type=incident_id)
    export.add_argument("-o", "--output", required=True, help="the zip file to write")
    export.add_argument("--reason", default="", help="why, and for whom (custody log)")


def main(argv: Sequence[str] | None = None) -> int:
    from warroom.domain.safe_text import shown_safely

    own_process = argv is None  # the program itself, not a test calling main(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    with shown_safely():  # a usage error quotes the arguments: made visible too
        try:
            args = build_parser(chosen_verb(argv)).parse_args(argv)
        except SystemExit as exc:
            if exc.code == EXIT_USAGE and "--json" in argv and _usage_errors:
                print(error_json(EXIT_USAGE, _usage_errors[-1]))
            raise
    args.data_dir = getattr(args, "data_dir", None)
    args.actor = getattr(args, "actor", None)
    args.database = getattr(args, "database", None)
    if args.verb is None:
        from warroom.bootstrap import run_gui

        return run_gui(data_dir=args.data_dir, actor=args.actor, database=args.database)
    if args.verb == "demo":
        from warroom.bootstrap import prepare_demo, run_gui
        from warroom.services.demo import NotADemoDir

        try:
            demo_dir = prepare_demo(args.data_dir)
        except NotADemoDir as exc:
            print(f"warroom: {exc}", file=sys.stderr)
            return 2
        return run_gui(data_dir=demo_dir, title_suffix="demo", actor=args.actor, local_only=True)
    if args.verb == "completion":
        from warroom.cli.completion import completion_script

        sys.stdout.write(completion_script(build_parser(), args.shell))
        return 0
    if args.verb == "examples":
        from warroom.cli.examples import TEXT

        sys.stdout.write(TEXT)
        return 0
    if args.verb == "paths":
        from warroom.system.paths import resolve_paths

        with shown_safely():
            return _print_paths(resolve_paths(args.data_dir))
    if own_process:  # see warroom.cli.heap: the start-up heap is not collected
        from warroom.cli import heap

        heap.hold()
    from warroom.bootstrap import run_cli

    # Every character a headless verb prints passes through here: a title or note holding
    # ESC[2J, an OSC sequence, a bare CR or a bidi override shows as an escape, never acts.
    with shown_safely():
        return run_cli(args)


def _print_paths(paths: AppPaths) -> int:
    print(f"data:   {paths.data_dir}\nconfig: {paths.config_dir}\nlogs:   {paths.log_dir}")
    print(f"policy override: {paths.user_policy}")
    print(f"team playbooks:  {paths.user_playbooks}")
    print(f"team drills:     {paths.user_drills}")
    print(f"team templates:  {paths.user_templates}")
    print(f"evidence vault:  {paths.vault}")
    print(f"team checklist:  {paths.user_checklist}")
    print(f"your settings:   {paths.settings_file}")
    from warroom.system.paths import resources_dir

    print(f"shared war room server set-up: {resources_dir() / 'postgres' / 'setup.sql'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
