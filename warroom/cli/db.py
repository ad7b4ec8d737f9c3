"""`warroom share --to URL` and `warroom db copy|upgrade`: a whole record moved between this
laptop's file and a shared war room, an offline archive, a schema brought up to date.
The work is done by the storage (warroom.bootstrap hands it over); this says what happened."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Protocol

from warroom.cli.exits import EXIT_OK, EXIT_REFUSED, fail
from warroom.domain.snapshot import json_text
from warroom.services.ports import StoreError

RECORD_VERBS = frozenset({"share", "db"})

# What a report's row counts are called, in the order they are shown.
SHOWN_TABLES = (
    ("incident", "incidents"),
    ("timeline_event", "timeline events"),
    ("draft", "drafts"),
    ("mitigation", "mitigation decisions"),
    ("wizard_progress", "wizard progress"),
    ("postmortem", "post-mortems"),
    ("action_item", "action items"),
    ("evidence_item", "checklist items"),
    ("evidence_artifact", "evidence artifacts"),
    ("evidence_link", "evidence links"),
    ("custody_entry", "custody entries"),
)


class CopyReport(Protocol):
    """What was copied: where from and to, incident numbers old -> new, rows by table."""

    @property
    def source(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def incidents(self) -> dict[int, int]: ...

    @property
    def counts(self) -> dict[str, int]: ...

    @property
    def chains_verified(self) -> int: ...

    @property
    def renumbered(self) -> bool: ...

    @property
    def notes(self) -> list[str]: ...


class Upgrade(Protocol):
    """A schema brought up to date: from `before` (0: nothing there yet) to `after`."""

    @property
    def location(self) -> str: ...

    @property
    def before(self) -> int: ...

    @property
    def after(self) -> int: ...


class RecordTools(Protocol):
    """What the verbs need of the storage (warroom.adapters.sql.copy.RecordCopier). Each
    raises services.ports.StoreError, having written nothing, when it cannot be done."""

    def share(self, url: str) -> CopyReport: ...

    def copy_to(self, output: Path) -> CopyReport: ...

    def upgrade(self) -> Upgrade: ...


def run_record_verb(args: argparse.Namespace, tools: RecordTools) -> int:
    try:
        if args.verb == "share":
            report = tools.share(args.to)
        elif args.db_verb == "copy":
            report = tools.copy_to(Path(args.to))
        else:
            return _print_upgrade(tools.upgrade())
    except StoreError as exc:
        return fail(args, EXIT_REFUSED, exc)
    if getattr(args, "json", False):
        sys.stdout.write(json_text(_report_json(report)))
    else:
        _print_report(report)
    return EXIT_OK


def _print_upgrade(upgrade: Upgrade) -> int:
    where = upgrade.location
    if upgrade.before == upgrade.after:
        print(f"{where}: already at schema v{upgrade.after}, this warroom's; nothing to do")
    elif upgrade.before == 0:
        print(f"{where}: set up at schema v{upgrade.after} (it was empty)")
    else:
        print(f"{where}: upgraded from schema v{upgrade.before} to v{upgrade.after}")
    return EXIT_OK


def _report_json(report: CopyReport) -> dict[str, object]:
    return {
        "source": report.source,
        "target": report.target,
        "renumbered": report.renumbered,
        "incidents": {str(old): new for old, new in report.incidents.items()},
        "copied": report.counts,
        "custody_chains_verified": report.chains_verified,
        "notes": report.notes,
    }


def _print_report(report: CopyReport) -> None:
    copied = ", ".join(
        f"{report.counts.get(table, 0)} {name}"
        for table, name in SHOWN_TABLES
        if report.counts.get(table, 0) or table == "incident"
    )
    print(f"copied {report.source} into {report.target}: {copied}")
    chains = report.chains_verified
    print(
        f"custody: {chains} chain{'s' * (chains != 1)} verified as copied"
        if chains
        else "custody: no evidence to verify"
    )
    if report.renumbered and report.incidents:
        print("incident numbers (here -> there):")
        for old, new in report.incidents.items():
            print(f"  #{old} -> #{new}")
    elif report.incidents:
        print("every number was kept")
    for note in report.notes:
        print(note)
