"""Moving a whole record between databases: this laptop's file into a shared war room
(`warroom share`), any record into a new SQLite file for an offline archive (`warroom db
copy`), and a database brought up to this warroom's schema (`warroom db upgrade`).

A copy is one transaction on the target: every custody chain is checked with the evidence
rules (domain.evidence) before anything is written, and again as the target holds the
copied rows before they are committed; a broken chain, or anything the target refuses,
leaves the target as it was.

Into a shared war room, incidents and the rows that hang off them are numbered by the room
(its own sequences), and every reference follows: foreign keys, the ids a timeline event's
data names, a post-mortem's edits of timeline events. Evidence artifacts keep their numbers:
each custody entry's hash covers its artifact's number, so a renumbered artifact would fail
its own chain. An artifact number the room already uses refuses the copy. Into a new file,
every id is kept as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from warroom.adapters.sql.database import StoreDatabase
from warroom.adapters.sql.evidence import add_chunks, has_chunks, to_artifact, to_entry
from warroom.adapters.sql.evidence import chunks as stored_chunks
from warroom.adapters.sql.migrations import LATEST_VERSION, current_version
from warroom.adapters.sql.models import (
    ActionItemRow,
    ArtifactRow,
    ChangeLogRow,
    CustodyRow,
    DraftRow,
    EventRow,
    EvidenceItemRow,
    EvidenceLinkRow,
    IncidentRow,
    MitigationRow,
    PostmortemRow,
    WizardProgressRow,
)
from warroom.adapters.vault import CHUNK, KEPT_MODE, append_heads, incident_folder, write_out
from warroom.domain.changes import Part
from warroom.domain.evidence import (
    HeadRecord,
    changed_since_collection,
    check_chain,
    collected_entry,
    head_record,
)
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.services.ports import StoreError


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


INCIDENT = _table(IncidentRow)
EVENT = _table(EventRow)
DRAFT = _table(DraftRow)
MITIGATION = _table(MitigationRow)
WIZARD = _table(WizardProgressRow)
POSTMORTEM = _table(PostmortemRow)
ACTION_ITEM = _table(ActionItemRow)
ITEM = _table(EvidenceItemRow)
ARTIFACT = _table(ArtifactRow)
LINK = _table(EvidenceLinkRow)
CUSTODY = _table(CustodyRow)
CHANGE_LOG = _table(ChangeLogRow)

# In the order they are written: each after what its foreign keys name.
TABLES = (
    INCIDENT, EVENT, DRAFT, MITIGATION, WIZARD, POSTMORTEM, ACTION_ITEM, ITEM, ARTIFACT, LINK,
    CUSTODY,
)  # fmt: skip
# A timeline event's data naming another row, by key: incidents, checklist items, mitigation
# decisions. Artifacts ("artifact", "artifacts", "results", "broken_chains") keep their ids.
EVENT_INCIDENT_KEYS = ("of", "duplicate", "linked")
EVENT_ITEM_KEYS = ("item",)
EVENT_MITIGATION_KEYS = ("mitigation",)
CHANGED_PARTS = ",".join(sorted(p.value for p in Part if p is not Part.DELETED))

Row = dict[str, Any]


@dataclass
class Record:
    """Every row of a record's tables (the change log aside), read in one transaction."""

    rows: dict[str, list[Row]]

    def of(self, table: Table) -> list[Row]:
        return self.rows[table.name]

    def count(self, table: Table) -> int:
        return len(self.rows[table.name])


@dataclass
class CopyReport:
    source: str
    target: str
    incidents: dict[int, int]  # old id -> id in the target
    counts: dict[str, int]  # rows copied, by table
    artifacts: int
    chains_verified: int
    renumbered: bool
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Upgrade:
    location: str
    before: int  # 0: a new war room, set up now
    after: int


# -- reading and checking ------------------------------------------------------------------------
def read_record(database: StoreDatabase) -> Record:
    """Every row, in id order, as one consistent snapshot."""
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            rows = {
                table.name: [
                    dict(r)
                    for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()
                ]
                for table in TABLES
            }
    return Record(rows)


def chain_problems(artifacts: list[Row], custody: list[Row]) -> list[str]:
    """What is wrong with each artifact's custody log (domain.evidence.check_chain), and
    with an artifact row that no longer says what its "collected" entry recorded."""
    by_artifact: dict[int, list[Row]] = defaultdict(list)
    for row in custody:
        by_artifact[row["artifact_id"]].append(row)
    problems: list[str] = []
    for row in artifacts:
        artifact_id = row["id"]
        try:
            entries = [to_entry(CustodyRow(**r)) for r in by_artifact.get(artifact_id, [])]
            artifact = to_artifact(ArtifactRow(**row))
        except (ValueError, TypeError) as exc:  # an action or details no warroom wrote
            problems.append(f"evidence #{artifact_id}: its custody log cannot be read ({exc})")
            continue
        found = check_chain(entries)
        collected = collected_entry(entries)
        if collected is not None:
            changed = changed_since_collection(artifact, collected)
            if changed:
                found.append(
                    f"its record was changed after collection ({', '.join(changed)} no longer "
                    "match the collected custody entry)"
                )
        problems += [f"evidence #{artifact_id} ({row['name']}): {p}" for p in found]
    orphans = sorted(set(by_artifact) - {row["id"] for row in artifacts})
    problems += [f"custody entries name evidence #{a}, which is not there" for a in orphans]
    return problems


def _refuse_broken(problems: list[str], where: str, target: str) -> None:
    if problems:
        listed = "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else "")
        raise StoreError(
            where,
            f"The chain of custody is broken in {where}: {listed}. Nothing was copied to "
            f"{target}. Run `warroom evidence verify` on it to see every problem.",
            StoreError.DAMAGED,
        )


# -- writing -------------------------------------------------------------------------------------
def _remap_event_data(data_text: str, maps: Mapping[str, Mapping[int, int]]) -> str:
    """The event's JSON data with the ids it names renumbered."""
    try:
        data = json.loads(data_text)
    except ValueError:
        return data_text
    if not isinstance(data, dict):
        return data_text
    changed = False
    for keys, mapping in (
        (EVENT_INCIDENT_KEYS, maps["incident"]),
        (EVENT_ITEM_KEYS, maps["item"]),
        (EVENT_MITIGATION_KEYS, maps["mitigation"]),
    ):
        for key in keys:
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value in mapping:
                data[key] = mapping[value]
                changed = True
    return json.dumps(data, ensure_ascii=False) if changed else data_text


def _remap_event_text(kind: str, text_: str, data_text: str, incidents: Mapping[int, int]) -> str:
    """The words warroom itself wrote about another incident's number, renumbered (a note's
    own words are left as they were written)."""
    try:
        data = json.loads(data_text)
    except ValueError:
        return text_
    if not isinstance(data, dict):
        return text_
    patterns = {
        "linked": ("linked", "Linked to #{}"),
        "duplicate": ("of", "Marked as a duplicate of #{}"),
    }
    found = patterns.get(kind)
    candidates = [found] if found else []
    if kind == "duplicate":
        candidates.append(("duplicate", "#{} marked as a duplicate of this incident"))
    for key, pattern in candidates:
        old = data.get(key)
        if isinstance(old, int) and old in incidents and text_ == pattern.format(old):
            return pattern.format(incidents[old])
    return text_


def _remap_edits(edits_text: str, events: Mapping[int, int]) -> str:
    """A post-mortem's edits, keyed by timeline event id, keyed by the new ids."""
    try:
        edits = json.loads(edits_text)
    except ValueError:
        return edits_text
    if not isinstance(edits, dict):
        return edits_text
    renumbered = {}
    for key, value in edits.items():
        try:
            renumbered[str(events.get(int(key), int(key)))] = value
        except ValueError:
            renumbered[key] = value
    return json.dumps(renumbered, ensure_ascii=False)


def _insert(conn: Connection, table: Table, row: Row, keep_id: bool) -> int | None:
    values = dict(row)
    if not keep_id and "id" in values:
        del values["id"]
    result = conn.execute(table.insert().values(**values))
    if "id" not in table.c:
        return None
    key = result.inserted_primary_key
    return int(key[0]) if key and key[0] is not None else None


def _write(conn: Connection, record: Record, renumber: bool) -> dict[str, dict[int, int]]:
    """Inserts the record; returns the old -> new ids by kind."""
    maps: dict[str, dict[int, int]] = {
        "incident": {},
        "event": {},
        "item": {},
        "mitigation": {},
        "action_item": {},
    }
    keep = not renumber
    incidents = maps["incident"]
    for row in record.of(INCIDENT):
        new = _insert(conn, INCIDENT, {**row, "duplicate_of": None}, keep)
        incidents[row["id"]] = row["id"] if keep else int(new or 0)
    for row in record.of(INCIDENT):  # after all of them: one can name a later one
        if row["duplicate_of"] is not None and row["duplicate_of"] in incidents:
            conn.execute(
                update(INCIDENT)
                .where(INCIDENT.c.id == incidents[row["id"]])
                .values(duplicate_of=incidents[row["duplicate_of"]])
            )

    def owned(row: Row) -> Row:
        return {**row, "incident_id": incidents[row["incident_id"]]}

    for table, kind in ((MITIGATION, "mitigation"), (ITEM, "item"), (ACTION_ITEM, "action_item")):
        for row in record.of(table):
            new = _insert(conn, table, owned(row), keep)
            maps[kind][row["id"]] = row["id"] if keep else int(new or 0)
    for row in record.of(EVENT):
        moved = owned(row)
        if renumber:
            moved["text"] = _remap_event_text(row["kind"], row["text"], row["data"], incidents)
            moved["data"] = _remap_event_data(row["data"], maps)
        new = _insert(conn, EVENT, moved, keep)
        maps["event"][row["id"]] = row["id"] if keep else int(new or 0)
    for table in (DRAFT, WIZARD):
        for row in record.of(table):
            _insert(conn, table, owned(row), keep)
    for row in record.of(POSTMORTEM):
        moved = owned(row)
        if renumber:
            moved["timeline_edits"] = _remap_edits(row["timeline_edits"], maps["event"])
        _insert(conn, POSTMORTEM, moved, keep)
    items = maps["item"]
    for row in record.of(ARTIFACT):  # always with its own id: the custody hashes cover it
        item_id = row["item_id"]
        _insert(conn, ARTIFACT, {**owned(row), "item_id": items.get(item_id, item_id)}, True)
    for row in record.of(LINK):
        _insert(conn, LINK, {**row, "item_id": items[row["item_id"]]}, keep)
    for row in record.of(CUSTODY):
        _insert(conn, CUSTODY, row, keep)
    return maps


def _check_arrived(conn: Connection, record: Record, target: str) -> None:
    """The chains as the target holds them, inside the copy's transaction."""
    ids = [row["id"] for row in record.of(ARTIFACT)]
    if not ids:
        return
    artifacts = [
        dict(r) for r in conn.execute(select(ARTIFACT).where(ARTIFACT.c.id.in_(ids))).mappings()
    ]
    custody = [
        dict(r)
        for r in conn.execute(
            select(CUSTODY).where(CUSTODY.c.artifact_id.in_(ids)).order_by(CUSTODY.c.id)
        ).mappings()
    ]
    _refuse_broken(chain_problems(artifacts, custody), f"the copy in {target}", target)


def _advance_sequences(conn: Connection) -> None:
    """PostgreSQL: the artifact ids inserted as they were must not be handed out again."""
    sequence = conn.execute(text("SELECT pg_get_serial_sequence('evidence_artifact', 'id')"))
    name = sequence.scalar()
    if name:
        conn.execute(
            text(
                "SELECT setval(CAST(:seq AS regclass), GREATEST((SELECT COALESCE(MAX(id), 0) "
                "FROM evidence_artifact), (SELECT last_value FROM " + str(name) + ")), true)"
            ),
            {"seq": name},
        )


def _refuse_taken_artifacts(conn: Connection, record: Record, target: str) -> None:
    ids = [row["id"] for row in record.of(ARTIFACT)]
    if not ids:
        return
    taken = sorted(
        int(i) for i in conn.scalars(select(ARTIFACT.c.id).where(ARTIFACT.c.id.in_(ids)))
    )
    if taken:
        listed = ", ".join(f"#{i}" for i in taken[:10]) + (" …" if len(taken) > 10 else "")
        raise StoreError(
            target,
            f"{target} already holds evidence numbered {listed}, as this laptop's evidence "
            "is. An artifact's number is part of every custody entry's hash, so it cannot be "
            "renumbered without breaking its chain of custody. Nothing was copied.",
            StoreError.UNWRITABLE,
        )


def _refuse_taken_alert_keys(conn: Connection, record: Record, target: str) -> None:
    open_statuses = list(OPEN_STATUSES)
    keys = {
        row["dedupe_key"]: row["id"]
        for row in record.of(INCIDENT)
        if row["dedupe_key"] is not None and row["status"] in open_statuses
    }
    if not keys:
        return
    clash = conn.execute(
        select(INCIDENT.c.id, INCIDENT.c.dedupe_key).where(
            INCIDENT.c.dedupe_key.in_(list(keys)), INCIDENT.c.status.in_(open_statuses)
        )
    ).all()
    if clash:
        theirs, key = clash[0]
        raise StoreError(
            target,
            f"Open incident #{keys[key]} carries the alert key {key!r}, as {target}'s open "
            f"incident #{theirs} does: resolve one of them or mark it a duplicate (warroom "
            "mark-duplicate), then try again. Nothing was copied.",
            StoreError.UNWRITABLE,
        )


def _log_changes(conn: Connection, target: StoreDatabase, incidents: list[int]) -> None:
    """Tells the room's open windows about the incidents that arrived."""
    if not incidents:
        return
    origin = uuid.uuid4().hex
    now = datetime.now(UTC)
    newest = 0
    for incident_id in incidents:
        result = conn.execute(
            CHANGE_LOG.insert().values(
                origin=origin, incident_id=incident_id, parts=CHANGED_PARTS, recorded_at=now
            )
        )
        key = result.inserted_primary_key
        newest = max(newest, int(key[0] or 0) if key else 0)
    target.announce(conn, newest)


def _pieces_of(source: StoreDatabase, artifact: Row, vault: Path | None) -> Iterator[bytes] | None:
    """An artifact's bytes in order: the source's stored chunks, or where it has none (a
    laptop's own file keeps them in its vault) the vault's file; None when neither holds
    them."""
    with Session(source.engine) as session:
        stored = has_chunks(session, artifact["id"])
    if stored:

        def from_database() -> Iterator[bytes]:
            with Session(source.engine) as session:
                yield from stored_chunks(session, artifact["id"])

        return from_database()
    if vault is None:
        return None
    path = vault / str(artifact["incident_id"]) / artifact["stored_name"]
    if not path.is_file():
        return None

    def from_file() -> Iterator[bytes]:
        with path.open("rb") as file:
            while piece := file.read(CHUNK):
                yield piece

    return from_file()


def _copy_bytes(
    conn: Connection, source: StoreDatabase, record: Record, vault: Path | None, target: str
) -> list[int]:
    """Each collected file's bytes into the target as chunks, the SHA-256 recomputed as they
    pass: bytes that do not match their record refuse the whole copy. Returns the artifacts
    whose bytes were found nowhere (the copy says so; verify will say they are missing)."""
    missing = []
    for artifact in record.of(ARTIFACT):
        if not artifact["sha256"]:
            continue  # a link: no bytes
        pieces = _pieces_of(source, artifact, vault)
        if pieces is None:
            missing.append(artifact["id"])
            continue
        digest = hashlib.sha256()
        add_chunks(conn, artifact["id"], _hashed(pieces, digest))
        _refuse_changed(artifact, digest.hexdigest(), target)
    return missing


def _refuse_changed(artifact: Row, found: str, target: str) -> None:
    if found != artifact["sha256"]:
        raise StoreError(
            target,
            f"Artifact #{artifact['id']} ({artifact['name']}) no longer matches the SHA-256 "
            f"recorded when it was collected ({artifact['sha256'][:12]}…, now {found[:12]}…): "
            "its bytes were changed. Nothing was copied; `warroom evidence verify` names what "
            "changed.",
            StoreError.UNWRITABLE,
        )


def _write_vault(
    source: StoreDatabase, record: Record, vault: Path | None, into: Path, target: str
) -> list[int]:
    """An archive's own vault, as a laptop's file keeps it: each collected file's bytes in
    its incident's folder (read-only, its SHA-256 checked) and each incident's custody head
    file written from the chains just verified. Returns the artifacts whose bytes were found
    nowhere."""
    missing = []
    for artifact in record.of(ARTIFACT):
        if not artifact["sha256"]:
            continue
        pieces = _pieces_of(source, artifact, vault)
        if pieces is None:
            missing.append(artifact["id"])
            continue
        destination = incident_folder(into, artifact["incident_id"]) / artifact["stored_name"]
        _refuse_changed(artifact, write_out(pieces, destination), target)
        destination.chmod(KEPT_MODE)
    incident_of = {a["id"]: a["incident_id"] for a in record.of(ARTIFACT)}
    heads: dict[int, list[HeadRecord]] = defaultdict(list)
    for row in record.of(CUSTODY):
        entry = to_entry(CustodyRow(**row))
        heads[incident_of[row["artifact_id"]]].append(head_record(entry))
    for incident_id, records in heads.items():
        append_heads(incident_folder(into, incident_id), records)
    return missing


def _missing_note(missing: list[int], where: str) -> str:
    numbers = ", ".join(f"#{n}" for n in missing)
    return (
        f"The bytes of artifact {numbers} were found neither in {where} nor in this "
        "laptop's vault: their records were copied, and verify reports them missing."
    )


def _hashed(pieces: Iterator[bytes], digest: Any) -> Iterator[bytes]:
    for piece in pieces:
        digest.update(piece)
        yield piece


def copy_record(
    source: StoreDatabase, target: StoreDatabase, *, renumber: bool, vault: Path | None = None
) -> CopyReport:
    """Copies every row of `source` into `target` in one write transaction (StoreError,
    nothing written, when a custody chain is broken, an artifact's bytes do not match their
    record, or the target refuses). Artifacts' bytes come from the source's stored chunks,
    or from the files in `vault` where it keeps them as files."""
    record = read_record(source)
    where, there = source.location, target.location
    _refuse_broken(chain_problems(record.of(ARTIFACT), record.of(CUSTODY)), where, there)
    try:
        with target.writer.begin() as conn:
            if renumber:
                _refuse_taken_artifacts(conn, record, there)
                _refuse_taken_alert_keys(conn, record, there)
            maps = _write(conn, record, renumber)
            _check_arrived(conn, record, there)
            # Into a shared room the bytes go with their records; a file's vault is
            # written beside it by the caller (RecordCopier.copy_to).
            missing = _copy_bytes(conn, source, record, vault, there) if target.shared else []
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn)
            if target.shared:
                _log_changes(conn, target, sorted(maps["incident"].values()))
    except (IntegrityError, DBAPIError) as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StoreError(
            there,
            f"{there} refused the copy ({detail}). Nothing was copied.",
            StoreError.UNWRITABLE,
        ) from exc
    counts = {table.name: record.count(table) for table in TABLES}
    report = CopyReport(
        source=where,
        target=there,
        incidents=maps["incident"],
        counts=counts,
        artifacts=record.count(ARTIFACT),
        chains_verified=record.count(ARTIFACT),
        renumbered=renumber,
    )
    if missing:
        report.notes.append(_missing_note(missing, where))
    return report


# -- what the CLI asks for -----------------------------------------------------------------------
def _no_local_file(path: Path) -> StoreError:
    return StoreError(path, f"there is no database at {path} yet", StoreError.UNREADABLE)


@contextlib.contextmanager
def _opened_local(path: Path) -> Iterator[StoreDatabase]:
    from warroom.adapters.sql.sqlite.database import open_database

    if not path.exists():
        raise _no_local_file(path)
    database = open_database(path)
    try:
        yield database
    finally:
        database.dispose()


@contextlib.contextmanager
def _opened_shared(url: str, folder: Path) -> Iterator[StoreDatabase]:
    from warroom.adapters.sql.postgres.database import open_shared

    database = open_shared(url, folder)
    try:
        yield database
    finally:
        database.dispose()


def _vault_note(report: CopyReport) -> str:
    if not report.artifacts:
        return ""
    return (
        "The evidence files' bytes were copied with their records, each checked against its "
        "SHA-256: any laptop in the room can verify and export them. The files in this "
        "laptop's vault stay as they were."
    )


class RecordCopier:
    """`warroom share` and `warroom db ...` for one profile: its data folder's file, and the
    shared war room chosen (--database, $WARROOM_DATABASE_URL, the one joined), if any."""

    def __init__(self, database: Path, data_dir: Path, shared_url: str | None) -> None:
        self.database = database
        self.data_dir = data_dir
        self.shared_url = shared_url
        self.vault = database.parent / "vault"  # where this laptop's file keeps its bytes

    def share(self, url: str) -> CopyReport:
        """This profile's file into the shared war room at `url`, renumbered by the room."""
        with _opened_local(self.database) as source, _opened_shared(url, self.data_dir) as room:
            report = copy_record(source, room, renumber=True, vault=self.vault)
        note = _vault_note(report)
        report.notes += [note] if note else []
        return report

    def copy_to(self, output: Path) -> CopyReport:
        """The chosen record into a new SQLite file at `output` (never over another)."""
        from warroom.adapters.sql.sqlite.database import open_database

        output = output.absolute()
        if output.exists() or output.is_symlink():
            raise StoreError(
                output,
                f"{output} already exists; warroom does not overwrite it. Choose a new name.",
                StoreError.UNWRITABLE,
            )
        vault = output.parent / "vault"
        if vault.exists() and any(vault.iterdir()):
            raise StoreError(
                output,
                f"{vault} already holds files, and the archive's evidence goes there; "
                "warroom does not mix two vaults. Choose an empty folder for the archive.",
                StoreError.UNWRITABLE,
            )
        partial = output.with_name(f".{output.name}.partial-{uuid.uuid4().hex[:8]}")
        partial_vault = output.with_name(f".vault.partial-{uuid.uuid4().hex[:8]}")
        source_cm = (
            _opened_shared(self.shared_url, self.data_dir)
            if self.shared_url
            else _opened_local(self.database)
        )
        try:
            with source_cm as source:
                target = open_database(partial)
                try:
                    report = copy_record(source, target, renumber=False)
                    target.checkpoint()
                finally:
                    target.dispose()
                missing = _write_vault(
                    source,
                    read_record(source),
                    None if self.shared_url else self.vault,
                    partial_vault,
                    str(output),
                )
            _put_in_place(partial, output)
            if partial_vault.exists():
                with contextlib.suppress(FileNotFoundError):
                    vault.rmdir()  # an empty one, checked above
                os.rename(partial_vault, vault)
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{partial}{suffix}")
            shutil.rmtree(partial_vault, ignore_errors=True)
        if missing:
            report.notes.append(_missing_note(missing, report.source))
        report.target = str(output)
        return report

    def upgrade(self) -> Upgrade:
        """Migrates the chosen record to this warroom's schema; StoreError (kind NEWER) for
        one newer than this warroom, left untouched."""
        if self.shared_url:
            before = _shared_version(self.shared_url)
            with _opened_shared(self.shared_url, self.data_dir) as room:
                with room.engine.connect() as conn:
                    after = current_version(conn)
                return Upgrade(room.location, before or 0, after)
        path = self.database
        if not path.exists():
            raise _no_local_file(path)
        before = _file_version(path)
        if before is not None and before > LATEST_VERSION:
            raise _newer(str(path), before)
        with _opened_local(path) as database, database.engine.connect() as conn:
            after = current_version(conn)
        return Upgrade(str(path), before or 0, after)


def _put_in_place(partial: Path, output: Path) -> None:
    """Gives the finished copy its name; never replaces a file made there meanwhile."""
    try:
        os.link(partial, output)
    except FileExistsError as exc:
        raise StoreError(
            output,
            f"{output} appeared while the copy was written; warroom does not overwrite it. "
            "Choose a new name.",
            StoreError.UNWRITABLE,
        ) from exc
    except OSError as exc:
        raise StoreError(
            output, f"cannot write {output}: {exc.strerror or exc}", StoreError.UNWRITABLE
        ) from exc


def _newer(where: str, found: int) -> StoreError:
    return StoreError(
        where,
        f"{where} has schema version {found}, newer than this warroom understands (up to "
        f"{LATEST_VERSION}): it cannot be upgraded by this warroom, and it was left untouched. "
        "Upgrade warroom itself to use it.",
        StoreError.NEWER,
    )


def _file_version(path: Path) -> int | None:
    """The file's schema version, read without changing it; None when it cannot be read
    (opening it then says why)."""
    try:
        uri = f"{path.absolute().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'warroom_schema'"
            ).fetchone()
            if not has_table:
                return 0
            return int(conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0] or 0)
    except (sqlite3.Error, OSError, ValueError, TypeError):
        return None


def _shared_version(url: str) -> int | None:
    """The war room's schema version before opening it (which migrates); None when it
    cannot be asked (opening it then says why). StoreError for one newer than this warroom."""
    from warroom.adapters.sql.postgres.database import (
        CONNECT_TIMEOUT_SECONDS,
        database_url,
        display,
    )

    try:
        parsed = database_url(url)
    except ValueError:
        return None
    engine = create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as conn:
            found = current_version(conn)
    except DBAPIError:
        return None
    finally:
        engine.dispose()
    if found > LATEST_VERSION:
        raise _newer(f"The shared war room at {display(parsed)}", found)
    return found


def count_rows(database: StoreDatabase) -> dict[str, int]:
    """Rows per copied table (for tests and reports)."""
    with database.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in TABLES
        }
