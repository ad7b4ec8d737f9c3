"""The command line of the whole record: `warroom share --to URL` (this laptop's file into a
shared war room), `warroom db copy --to FILE` (an offline archive) and `warroom db upgrade`.
warroom.cli.db runs them."""

from __future__ import annotations

import argparse


def add_record_verbs(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    share = verbs.add_parser(
        "share",
        parents=[common],
        help="copy this laptop's incidents, post-mortems and evidence records into a shared "
        "war room (renumbered there; prints old -> new)",
    )
    share.add_argument(
        "--to", required=True, metavar="URL", help="the shared war room: postgresql://..."
    )
    share.add_argument("--json", action="store_true", help="print what was copied as JSON")

    db = verbs.add_parser(
        "db", parents=[common], help="copy the record to a new file, or upgrade its schema"
    )
    actions = db.add_subparsers(dest="db_verb", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        parents=[common],
        help="copy the record (the shared war room, else the local file) into a new SQLite "
        "file, every number kept",
    )
    copy.add_argument(
        "--to", required=True, metavar="FILE", help="the file to create (never overwritten)"
    )
    copy.add_argument("--json", action="store_true", help="print what was copied as JSON")
    actions.add_parser(
        "upgrade",
        parents=[common],
        help="migrate the database (the shared war room, else the local file) to this "
        "warroom's schema",
    )
