"""Builds the one object graph: storage, services and their collaborators, for the GUI, the
CLI, the demo and the tests. The only module that imports the adapters and the services
together."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.adapters.sql.sqlite.quick_read import read_board, read_start_board
from warroom.domain.clock import Clock, FakeClock
from warroom.system.paths import AppPaths, builtin_policy_file, resolve_paths

# The GUI paints its board from a standard-library read before SQLAlchemy, the services
# and the SQL adapter are imported: those are imported where the graph is built.
if TYPE_CHECKING:
    from warroom.adapters.export.markdown import MarkdownRenderer
    from warroom.adapters.export.scorecard import ScorecardMarkdown
    from warroom.adapters.sql.database import StoreDatabase
    from warroom.domain.incident import Incident
    from warroom.domain.policy import Policy
    from warroom.services.drills import DrillService
    from warroom.services.graph import Services
    from warroom.services.incidents import IncidentService
    from warroom.services.metrics import MetricsService
    from warroom.services.mitigation import MitigationService
    from warroom.services.postmortems import PostmortemService

__all__ = ["LocalBackend", "Opened", "build", "incident_service", "open_services", "run_gui"]


def incident_service(
    database: StoreDatabase,
    clock: Clock,
    actor: str | None = None,
    policy: Policy | None = None,
) -> IncidentService:
    """The incident service alone over `database` (its siblings are built by `build`)."""
    from warroom.adapters.sql.unit_of_work import SqlStorage
    from warroom.domain.policy import load_policy_file
    from warroom.services.incidents import IncidentService
    from warroom.system.settings import login_actor

    storage = SqlStorage(database, clock.now)
    return IncidentService(
        storage,
        clock,
        actor=actor or login_actor(),
        policy=policy or load_policy_file(builtin_policy_file()),
    )


def build(
    database: StoreDatabase,
    clock: Clock,
    actor: str | None = None,
    policy: Policy | None = None,
    *,
    vault: Path | None = None,
    user_checklist: Path | None = None,
    user_templates: Path | None = None,
    user_drills: Path | None = None,
) -> Services:
    """Every service over `database`. The vault defaults to the folder beside the file.
    The mitigations, post-mortems and metrics (and what they import: Jinja2 among it) are
    built when first used."""
    from warroom.adapters.vault import FileVault, SharedVault
    from warroom.services.cadence import CadenceService
    from warroom.services.evidence import EvidenceService
    from warroom.services.graph import Services

    incidents = incident_service(database, clock, actor, policy)
    cadence = CadenceService(incidents)
    incidents.on_declare.append(cadence.on_declare)  # one declared in the past: its misses
    incidents.after_edit.append(cadence.after_edit)  # every later fact settles them
    # In a shared war room the artifacts' bytes go into the database with their records.
    vault_type = SharedVault if database.shared else FileVault
    evidence = EvidenceService(
        incidents, vault_type(vault or database.local_folder / "vault"), user_checklist
    )

    def mitigations() -> MitigationService:
        from warroom.services.mitigation import MitigationService

        # The checklist in force (a team's own, when valid) says which items are volatile.
        return MitigationService(incidents, evidence.template)

    def postmortems() -> PostmortemService:
        from warroom.services.postmortems import PostmortemService

        def renderer() -> MarkdownRenderer:
            from warroom.adapters.export.markdown import MarkdownRenderer

            return MarkdownRenderer(user_templates)

        return PostmortemService(incidents, make_renderer=renderer)

    def metrics(postmortems: PostmortemService) -> MetricsService:
        from warroom.services.metrics import MetricsService

        return MetricsService(incidents, postmortems)

    def drills() -> DrillService:
        from warroom.services.drills import DrillService
        from warroom.system.settings import drill_scenarios

        def renderer() -> ScorecardMarkdown:
            from warroom.adapters.export.scorecard import ScorecardMarkdown

            return ScorecardMarkdown(user_templates)

        scenarios, _warnings = drill_scenarios(user_drills)  # `drill list` shows warnings
        return DrillService(incidents, scenarios, make_renderer=renderer)

    return Services(incidents, evidence, cadence, mitigations, postmortems, metrics, drills)


@dataclass
class Opened:
    database: StoreDatabase
    services: Services

    @property
    def location(self) -> str:
        return self.database.location

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.database.warnings

    def dispose(self) -> None:
        self.database.dispose()


def open_services(
    path: Path,
    clock: Clock,
    actor: str | None = None,
    policy: Policy | None = None,
    **places: Path | None,
) -> Opened:
    """Opens (creating or migrating) the database at `path` and builds the services on it."""
    from warroom.adapters.sql.sqlite.recognise import check_ahead

    # The file's quick check runs on a thread of its own while SQLAlchemy loads: the open
    # then finds it done.
    check_ahead(path)
    from warroom.adapters.sql.sqlite.database import open_database

    database = open_database(path, now=clock.now())
    return Opened(database, build(database, clock, actor, policy, **places))


class LocalBackend:
    """Storage on this machine for the GUI and the CLI: one SQLite file, its backups
    beside it."""

    shared = False

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths

    def quick_board(self, path: Path) -> tuple[list[Incident], int] | None:
        return read_start_board(path)

    def open(self, path: Path, clock: Clock, actor: str, policy: Policy) -> Opened:
        return open_services(
            path,
            clock,
            actor,
            policy,
            vault=path.parent / "vault",
            user_checklist=self._paths.user_checklist,
            user_templates=self._paths.user_templates,
            user_drills=self._paths.user_drills,
        )

    def backups(self, path: Path) -> list[Path]:
        from warroom.adapters.sql.sqlite.backup import list_backups

        return list_backups(path.parent / "backups")

    def restore(self, path: Path, backup: Path, now: datetime) -> Path | None:
        from warroom.adapters.sql.sqlite.backup import restore_backup

        return restore_backup(path, backup, now)

    def backup(self, database: Path, output: Path | None, now: datetime) -> Path:
        import sqlite3

        from warroom.adapters.sql.sqlite.backup import backup_database, take_backup
        from warroom.adapters.sql.sqlite.recognise import NotWarroom, recognise
        from warroom.services.ports import BackupFailed

        try:
            recognise(database)  # another program's file has no place among backups
            if output is not None:
                return backup_database(database, output)
            return take_backup(database, database.parent / "backups", "manual", now)
        except NotWarroom as exc:
            raise BackupFailed(
                f"{database} is not a warroom database ({exc}). It was left untouched, and "
                "nothing was backed up."
            ) from exc
        except sqlite3.Error as exc:
            raise BackupFailed(str(exc)) from exc

    def daily_backup(self, path: Path, now: datetime) -> None:
        from warroom.adapters.sql.sqlite.backup import daily_backup

        daily_backup(path, now)

    def check_shared(self, url: str) -> None:
        check_shared(url, self._paths.data_dir)


class SharedBackend:
    """A shared war room on a PostgreSQL server for the GUI and the CLI. What stays on this
    laptop (the evidence vault) is in the local data folder."""

    shared = True

    def __init__(self, paths: AppPaths, url: str) -> None:
        self._paths = paths
        self.url = url

    def quick_board(self, path: Path) -> tuple[list[Incident], int] | None:
        return None  # the server is asked once the stack is up

    def open(self, path: Path, clock: Clock, actor: str, policy: Policy) -> Opened:
        from warroom.adapters.sql.postgres.database import open_shared

        del path  # the server holds the record
        database = open_shared(self.url, self._paths.data_dir, now=clock.now())
        # On a war room set up with roles (resources/postgres/setup.sql) the name on the
        # timeline is the role the person connected as: nobody writes as someone else.
        actor = database.role() or actor
        services = build(
            database,
            clock,
            actor,
            policy,
            vault=self._paths.data_dir / "vault",
            user_checklist=self._paths.user_checklist,
            user_templates=self._paths.user_templates,
            user_drills=self._paths.user_drills,
        )
        return Opened(database, services)

    def backups(self, path: Path) -> list[Path]:
        return []  # a server's backups are pg_dump's, not files beside a database file

    def restore(self, path: Path, backup: Path, now: datetime) -> Path | None:
        from warroom.adapters.sql.postgres.dump import refuse_restore

        refuse_restore(self.url)
        return None

    def backup(self, database: Path, output: Path | None, now: datetime) -> Path:
        from warroom.adapters.sql.postgres.dump import dump

        return dump(self.url, output, self._paths.data_dir / "backups", now)

    def daily_backup(self, path: Path, now: datetime) -> None:
        """Nothing: the server's own backups keep a shared war room (see README)."""

    def check_shared(self, url: str) -> None:
        check_shared(url, self._paths.data_dir)


def check_shared(url: str, folder: Path) -> None:
    """Connects to the shared war room at `url` and lets go (the first laptop to join a new
    one sets up its schema). Raises StoreError saying why it cannot be used."""
    from warroom.adapters.sql.postgres.database import open_shared

    open_shared(url, folder).dispose()


def backend_for(paths: AppPaths, database: str | None) -> LocalBackend | SharedBackend:
    """The shared war room named by `database` ($WARROOM_DATABASE_URL, the one joined in the
    app), else the local file."""
    from warroom.system.settings import resolve_shared_database

    url = resolve_shared_database(database, paths.settings_file)
    return SharedBackend(paths, url) if url else LocalBackend(paths)


def run_cli(args: argparse.Namespace) -> int:
    paths = resolve_paths(args.data_dir)
    backend = backend_for(paths, getattr(args, "database", None))
    if args.verb in ("share", "db"):  # the whole record: warroom.cli.db
        from warroom.adapters.sql.copy import RecordCopier
        from warroom.cli import heap
        from warroom.cli.db import run_record_verb

        heap.resume()  # a whole record's copy: collected as usual
        url = backend.url if isinstance(backend, SharedBackend) else None
        return run_record_verb(args, RecordCopier(paths.database, paths.data_dir, url))
    if backend.shared:
        from warroom.cli.main import run

        return run(args, backend)
    if args.verb in QUICK_READ_VERBS and getattr(args, "json", False):
        code = quick_read_verb(args, paths)
        if code is not None:
            return code
    from warroom.cli.main import run

    return run(args, backend)


# Read by scripts and alert-hook loops, so they answer without SQLAlchemy when they can.
QUICK_READ_VERBS = frozenset({"list", "show"})


def quick_read_verb(args: argparse.Namespace, paths: AppPaths) -> int | None:
    """`list --json` and `show ID --json` from the standard-library read: byte for byte
    what warroom.cli.main prints, with none of SQLAlchemy, SQLModel or the services
    imported. None when the normal path must answer: a file it would create, migrate,
    refuse or warn about, a policy or checklist it would warn about, an incident that is
    not there (it says so, with its exit code)."""
    from warroom.adapters.sql.sqlite.quick_read import opens_as_is, read_incident
    from warroom.domain import snapshot
    from warroom.domain.policy import PolicyError, load_policy_file
    from warroom.system.settings import resolve_actor

    try:  # as system.settings.load_policy chooses
        override = paths.user_policy
        policy = load_policy_file(override if override.exists() else builtin_policy_file())
    except PolicyError:
        return None  # the normal path warns, then uses the built-in one
    if paths.user_checklist.exists():  # as services.evidence.load_checklist chooses
        from warroom.domain.evidence import ChecklistError, load_checklist_file

        try:
            load_checklist_file(paths.user_checklist)
        except ChecklistError:
            return None
    if not opens_as_is(paths.database):
        return None
    clock = _cli_clock()
    value: object
    if args.verb == "list":
        incidents = read_board(paths.database, include_closed=args.all)
        if incidents is None:
            return None
        now = clock.now()
        board = snapshot.board_order(incidents, policy, now)
        value = [snapshot.incident_snapshot(i, policy, now) for i in board]
    else:
        found = read_incident(paths.database, args.id)
        if found is None:
            return None
        value = snapshot.incident_with_timeline(*found, policy, clock.now())
    resolve_actor(args.actor, paths.settings_file)  # a bad name is warned about all the same
    try:
        sys.stdout.write(snapshot.json_text(value))
    except BrokenPipeError:  # `warroom list --json | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _cli_clock() -> Clock:
    """The verbs' clock: warroom.cli.main's SystemClock (where tests pin it) once that module
    is loaded; the quick reads never load it themselves."""
    from warroom.domain.clock import SystemClock

    main = sys.modules.get("warroom.cli.main")
    clock: Clock = getattr(main, "SystemClock", SystemClock)()
    return clock


def run_gui(
    data_dir: str | Path | None = None,
    title_suffix: str | None = None,
    actor: str | None = None,
    database: str | None = None,
    local_only: bool = False,
) -> int:
    """The window on the local file, or on a shared war room (`database`, or as
    backend_for finds one) unless `local_only` (the demo)."""
    from warroom.ui.app import run_gui as start

    paths = resolve_paths(data_dir)
    backend = LocalBackend(paths) if local_only else backend_for(paths, database)
    return start(backend, data_dir, title_suffix, actor)


@contextmanager
def _services_at(path: Path, clock: FakeClock, actor: str) -> Iterator[Services]:
    opened = open_services(path, clock, actor)
    try:
        yield opened.services
    finally:
        opened.dispose()


def prepare_demo(target: str | Path | None = None, clock: Clock | None = None) -> Path:
    """`warroom demo`'s data dir, emptied and refilled (services.demo says what with)."""
    from warroom.services.demo import prepare_demo_dir

    return prepare_demo_dir(_services_at, target, clock)
