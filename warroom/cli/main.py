"""Headless verbs for scripts and alert hooks. Nothing here imports Qt."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from warroom.cli import heap
from warroom.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, fail
from warroom.domain import clocks
from warroom.domain.clock import Clock, SystemClock
from warroom.domain.clock_text import response_text, update_text
from warroom.domain.durations import hms
from warroom.domain.evidence import CollectCancelled, CollectError, IntegrityState, deleted_text
from warroom.domain.policy import Policy
from warroom.domain.safe_text import visible_line
from warroom.domain.snapshot import (
    board_order,
    incident_snapshot,
    incident_with_timeline,
    json_text,
)
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.incidents import IncidentNotFound, IncidentService, WriteFailed
from warroom.services.ports import BackupFailed, StoreError
from warroom.services.ports.evidence import ArtifactNotFound, ItemNotFound
from warroom.system import atomic
from warroom.system.paths import AppPaths, resolve_paths
from warroom.system.settings import load_policy, resolve_actor

# Annotations only: a note or an ack never loads the post-mortems (bootstrap builds the
# services a verb uses, when it uses them).
if TYPE_CHECKING:
    from warroom.services.evidence import EvidenceService
    from warroom.services.graph import OpenRecord, Services
    from warroom.services.postmortems import PostmortemService

WORK_VERBS = frozenset({"mitigation", "verify", "action", "postmortem", "message"})
EXIT_STORE = EXIT_REFUSED  # the table is warroom.cli.exits


class CliBackend(Protocol):
    """What the verbs need from storage, provided by warroom.bootstrap."""

    shared: bool  # a shared war room on a server, not the local file

    def open(self, path: Path, clock: Clock, actor: str, policy: Policy) -> OpenRecord:
        """Raises services.ports.StoreError when the record cannot be used."""
        ...

    def backup(self, database: Path, output: Path | None, now: datetime) -> Path:
        """A checked copy, at `output` or among the rolling backups. Raises BackupFailed
        (another program's file, a copy that failed) or OSError."""
        ...

    def restore(self, path: Path, backup: Path, now: datetime) -> Path | None:
        """Puts `backup` in place; returns where the previous file was kept."""
        ...


def run(args: argparse.Namespace, backend: CliBackend) -> int:
    paths = resolve_paths(args.data_dir)
    if args.verb in ("backup", "restore"):
        heap.resume()
        return _backups(args, paths, backend)
    if args.verb == "drill" and args.drill_verb in ("list", "check"):  # no database needed
        from warroom.cli.drill import run_drill_offline

        heap.resume()
        return run_drill_offline(args, paths)
    policy, warnings = load_policy(paths)
    for warning in warnings:
        print(f"warroom: warning: {warning}", file=sys.stderr)
    clock = SystemClock()
    actor = resolve_actor(args.actor, paths.settings_file)
    try:
        record = backend.open(paths.database, clock, actor.name, policy)
    except StoreError as exc:
        return fail(args, EXIT_STORE, exc)
    heap.resume()  # the stack is up: the verb's own work is collected as usual
    for warning in record.warnings:
        print(f"warroom: warning: {warning}", file=sys.stderr)
    evidence = record.services.evidence
    for warning in evidence.warnings:
        print(f"warroom: warning: {warning}", file=sys.stderr)
    try:
        if args.verb == "evidence":
            return _evidence(args, evidence)
        if args.verb == "delete":
            return _delete(args, evidence)
        return _dispatch(args, record.services, policy, clock)
    except WriteFailed as exc:
        return fail(args, EXIT_STORE, exc)
    except (IncidentNotFound, ItemNotFound, ArtifactNotFound, ItemNamedNotFound) as exc:
        return fail(args, EXIT_NOT_FOUND, exc)
    except ValidationError as exc:
        return fail(args, EXIT_INVALID, exc)
    except BrokenPipeError:  # `warroom list | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        record.dispose()


def _dispatch(args: argparse.Namespace, services: Services, policy: Policy, clock: Clock) -> int:
    from warroom.cli.verbs import ENTRY_VERBS, RELATION_VERBS, run_entry_verb, run_relation_verb

    service = services.incidents
    if args.verb in ENTRY_VERBS:
        return run_entry_verb(args, service, policy, clock)
    if args.verb in RELATION_VERBS:
        return run_relation_verb(args, service)
    if args.verb == "import-chat":
        from warroom.cli.import_chat import run_import_chat

        return run_import_chat(args, services)
    if args.verb == "drill":
        from warroom.cli.drill import run_drill

        return run_drill(args, services, resolve_paths(args.data_dir), clock)
    if args.verb in WORK_VERBS:
        from warroom.cli.work import run_work_verb

        return run_work_verb(args, services, policy, clock)
    if args.verb == "declare":
        incident = service.declare_or_repeat(
            args.title,
            args.severity,
            impact=args.impact,
            impact_started_at=args.started,
            commander=args.commander,
            is_drill=args.drill,
            declared_at=args.declared,
            detected_at=args.detected,
            is_security=args.security,
            service=args.service,
            dedupe_key=args.dedupe_key,
        ).incident
        print(incident.id)
    elif args.verb == "note":
        try:
            event = service.add_note(args.id, args.text, at=args.at, confirmed=args.force)
        except NeedsConfirmation as exc:
            print(
                f"warroom: {exc} Nothing was recorded; add --force to record it at that time.",
                file=sys.stderr,
            )
            return EXIT_INVALID
        print(event.id)
    elif args.verb == "list":
        incidents = service.list_incidents(include_closed=args.all)
        now = clock.now()
        incidents = board_order(incidents, policy, now)
        if args.json:
            print_json([incident_snapshot(i, policy, now) for i in incidents])
        else:
            _print_table(incidents, policy, now)
    elif args.verb == "metrics":
        from warroom.cli.metrics import run_metrics

        return run_metrics(services.metrics, args.since, args.output)
    elif args.verb == "export":
        return _export(args, services.postmortems)
    elif args.verb == "watch":
        from warroom.cli.watch import run_watch

        return run_watch(args, service)
    elif args.verb == "show":
        if args.json:
            print_incident_json(service, args.id, policy, clock.now())
        else:
            now = clock.now()
            _print_incident(service.get(args.id), service.timeline(args.id), policy, now)
    return EXIT_OK


def print_incident_json(
    service: IncidentService, incident_id: int, policy: Policy, now: datetime
) -> None:
    """`show --json`: the incident, its clocks at `now` and its timeline."""
    incident = service.get(incident_id)
    print_json(incident_with_timeline(incident, service.timeline(incident_id), policy, now))


def _delete(args: argparse.Namespace, evidence: EvidenceService) -> int:
    """The incident, its timeline and its evidence records, and its vault folder."""
    incident = evidence.incidents.get(args.id)
    what = deleted_text(evidence.vault_file_count(args.id))
    if not args.yes:
        print(
            f"warroom: deleting #{incident.id} “{incident.title}”, its timeline{what} cannot "
            "be undone; add --yes to confirm",
            file=sys.stderr,
        )
        return EXIT_INVALID
    removed = evidence.delete_incident(args.id)
    print(f"deleted #{incident.id}, its timeline{deleted_text(removed)}", file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace, postmortems: PostmortemService) -> int:
    """Byte for byte what the GUI's export writes."""
    from jinja2 import TemplateError

    template = Path(args.template).absolute() if args.template else None
    try:
        text = postmortems.markdown(args.id, template)
    except (TemplateError, OSError, UnicodeDecodeError) as exc:
        where = f" ({template})" if template else ""
        why = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc
        print(f"warroom: the template cannot be used{where}: {why}", file=sys.stderr)
        return EXIT_INVALID
    if args.output:
        try:  # a private file, put in place whole: a failure leaves the old one as it was
            atomic.write_bytes(Path(args.output), text.encode("utf-8"))
        except OSError as exc:
            print(
                f"warroom: cannot write {args.output}: {atomic.why(exc)}; nothing was changed",
                file=sys.stderr,
            )
            return EXIT_INVALID
        print(args.output, file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _evidence(args: argparse.Namespace, evidence: EvidenceService) -> int:
    """The same operations, and so the same custody entries and timeline, as the GUI's."""
    if args.evidence_verb == "add":
        return _evidence_add(args, evidence)
    if args.evidence_verb == "checklist":
        for item in evidence.checklist(args.id):
            rotates = f"  (rotates {item.rotates_at:%Y-%m-%d %H:%M} UTC)" if item.rotates_at else ""
            reason = f": {item.reason}" if item.reason else ""
            print(f"{item.state.value:<15} {item.name}{reason}{rotates}")
        return EXIT_OK
    if args.evidence_verb == "verify":
        return _evidence_verify(args, evidence)
    out = evidence.export_bundle(args.id, Path(args.output), reason=args.reason)
    print(out)
    return EXIT_OK


def _evidence_add(args: argparse.Namespace, evidence: EvidenceService) -> int:
    item_id = _item_named(evidence, args.id, args.item) if args.item else None
    failed = False
    for name in args.files:
        try:
            artifact = evidence.collect_file(args.id, Path(name), item_id=item_id, note=args.note)
        except CollectError as exc:  # this file only: the others are still worth keeping
            print(f"warroom: {exc}", file=sys.stderr)
            failed = True
            continue
        except (KeyboardInterrupt, CollectCancelled):
            print(f"warroom: cancelled; nothing was kept of {name}", file=sys.stderr)
            return 130
        print(f"{artifact.id} {artifact.sha256}")
    return EXIT_INVALID if failed else EXIT_OK


def _item_named(evidence: EvidenceService, incident_id: int, name: str) -> int:
    items = evidence.checklist(incident_id)
    wanted = " ".join(name.split()).casefold()
    for item in items:
        if item.name.casefold() == wanted:
            return item.id
    names = "; ".join(i.name for i in items)
    raise ItemNamedNotFound(
        f"#{incident_id} has no checklist item named “{name}”. Its items: {names}"
    )


class ItemNamedNotFound(LookupError):
    """evidence add --item NAME: the incident has no checklist item of that name."""


def _evidence_verify(args: argparse.Namespace, evidence: EvidenceService) -> int:
    results = evidence.verify(args.id)
    if not results:
        print("No evidence to verify.")
    for result in results:
        artifact = result.artifact
        verdict = result.state.value
        if result.state is not IntegrityState.INTACT:
            verdict = verdict.upper()
        if not result.chain_ok:
            verdict += ", custody log BROKEN"
        detail = f" — {'; '.join(result.problems)}" if result.problems else ""
        print(
            f"#{artifact.id} {artifact.name} (incident #{artifact.incident_id}): {verdict}{detail}"
        )
    return EXIT_OK if all(r.ok for r in results) else EXIT_INVALID


def _backups(args: argparse.Namespace, paths: AppPaths, backend: CliBackend) -> int:
    """Backup and restore work on the file, so a damaged database can still be replaced."""
    now = SystemClock().now()
    try:
        if args.verb == "backup":
            if not backend.shared and not paths.database.exists():
                print(f"warroom: there is no database at {paths.database} yet", file=sys.stderr)
                return EXIT_STORE
            output = Path(args.output).absolute() if args.output else None
            print(backend.backup(paths.database, output, now))
        else:
            kept = backend.restore(paths.database, Path(args.file).absolute(), now)
            if kept is not None:
                print(f"the previous database was kept as {kept}", file=sys.stderr)
            print(paths.database)
    except BackupFailed as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_STORE
    except OSError as exc:
        print(f"warroom: {exc.filename or paths.database}: {atomic.why(exc)}", file=sys.stderr)
        return EXIT_STORE
    return EXIT_OK


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(value))  # exact: see domain.snapshot.json_text


def _clock_cells(incident, policy, now) -> tuple[str, str, str]:
    return (
        hms(clocks.elapsed(incident, now)),
        response_text(clocks.response_clock(incident, policy, now)),
        update_text(clocks.update_clock(incident, policy, now)),
    )


def _print_table(incidents, policy, now) -> None:
    if not incidents:
        print("No open incidents.")
        return
    header = ("ID", "SEV", "STATUS", "IC", "SINCE DECLARED", "RESPONSE", "NEXT UPDATE", "TITLE")
    rows = [header]
    for incident in incidents:
        elapsed, response, update = _clock_cells(incident, policy, now)
        rows.append(
            (
                str(incident.id),
                incident.severity.value,
                incident.status.label,
                visible_line(incident.commander or "NO IC"),
                elapsed,
                response,
                update,
                visible_line(incident.shown_title),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])


def _print_incident(incident, timeline, policy, now) -> None:
    elapsed, response, update = _clock_cells(incident, policy, now)
    print(f"#{incident.id} {incident.severity.value} {incident.title}")
    print(f"  status: {incident.status.label}    IC: {incident.commander or 'NONE ASSIGNED'}")
    print(f"  since declared: {elapsed}   response: {response}   next update: {update}")
    if incident.impact:
        print(f"  impact: {incident.impact}")
    print("  timeline:")
    for event in timeline:
        print(f"    {event.at:%Y-%m-%d %H:%M:%S}Z  {event.actor}: {event.text}")
