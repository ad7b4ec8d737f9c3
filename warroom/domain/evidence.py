"""Evidence preservation: the checklist against the clock, the artifacts in the vault and
their chain of custody. Plain data and rules: no Qt, no SQL, no file system beyond reading
the checklist data file.

The checklist is data (resources/checklists/evidence.toml, which a team can override from its
config dir). A malformed file raises ChecklistError naming the file and the key.

Custody entries are hash-chained: each entry's hash covers its own fields and the previous
entry's hash, so an edited entry, a deleted one or a reordering shows up in check_chain.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from warroom.domain.durations import parse_duration
from warroom.domain.timefmt import utc_day_minute
from warroom.domain.validation import ValidationError

GENESIS_HASH = "0" * 64  # the prev_hash of a chain's first entry
RISK_WINDOW = timedelta(hours=1)  # a pending item rotating within this is at risk


class ItemState(StrEnum):
    PENDING = "pending"
    COLLECTED = "collected"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return ITEM_STATE_LABELS[self]


ITEM_STATE_LABELS = {
    ItemState.PENDING: "Pending",
    ItemState.COLLECTED: "Collected",
    ItemState.NOT_APPLICABLE: "Not applicable",
}


class ArtifactKind(StrEnum):
    FILE = "file"
    SNIPPET = "snippet"  # pasted text, stored as a file in the vault
    REFERENCE = "reference"  # a URL or ticket for what cannot be copied


class CustodyAction(StrEnum):
    COLLECTED = "collected"
    VIEWED = "viewed"
    EXPORTED = "exported"
    VERIFIED = "verified"
    COPIED_OUT = "copied_out"
    LINKED = "linked"


class IntegrityState(StrEnum):
    INTACT = "intact"
    MODIFIED = "modified"
    MISSING = "missing"


# -- errors ------------------------------------------------------------------------------------
class CollectError(ValidationError):
    """Nothing was collected: the message says why. The original is untouched."""

    def __init__(self, message: str, field: str = "evidence") -> None:
        super().__init__(field, message)


class DuplicateArtifact(CollectError):
    """The same bytes are already in this incident's vault; the new copy was discarded.
    `existing` can be linked to another checklist item instead."""

    def __init__(self, existing: Artifact) -> None:
        super().__init__(
            f"{existing.name} is already in the vault as evidence #{existing.id} "
            f"(sha256 {short_hash(existing.sha256)}, collected by {existing.collector}). "
            "Link that one instead of collecting it twice."
        )
        self.existing = existing


class CollectCancelled(Exception):
    """The user cancelled a collection; nothing was kept or recorded."""


class ChecklistError(ValueError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


# -- the domain objects ------------------------------------------------------------------------
@dataclass(frozen=True)
class ChecklistItem:
    id: int
    incident_id: int
    position: int
    name: str
    state: ItemState
    reason: str  # why not applicable
    rotates_at: datetime | None  # when the source rotates it away (logs, metrics)
    security_only: bool  # worth collecting for security incidents
    artifact_ids: tuple[int, ...]
    hint: str = ""  # what to collect, and how
    before_change: bool = False  # volatile: on a security incident, collect before any change

    def rotates_in(self, now: datetime) -> timedelta | None:
        return None if self.rotates_at is None else self.rotates_at - now

    def at_risk(self, now: datetime) -> bool:
        """Still pending, and about to rotate away (or already past its rotation)."""
        left = self.rotates_in(now)
        return self.state is ItemState.PENDING and left is not None and left <= RISK_WINDOW

    def asked_of(self, security_incident: bool) -> bool:
        """Whether this incident needs the item: one worth collecting only in a security
        incident is not asked of another, so it is neither pending nor at risk there."""
        return security_incident or not self.security_only

    def blocks_change(self, security_incident: bool) -> bool:
        """On a security incident, a volatile item still pending holds up every change."""
        return (
            security_incident
            and self.before_change
            and self.state is ItemState.PENDING
            and self.asked_of(security_incident)
        )


def blocking_change(items: list[ChecklistItem], security_incident: bool) -> list[ChecklistItem]:
    """The preserve-before-change rule: on a security incident, the items marked volatile
    (`before_change`) that are still pending; collected or not applicable, they no longer
    block. Items not so marked (status pages, deploy history) never block a change. Nothing
    on an incident that is not a security one."""
    return [item for item in items if item.blocks_change(security_incident)]


@dataclass(frozen=True)
class Artifact:
    id: int
    incident_id: int
    item_id: int | None  # the checklist item it was collected for
    kind: ArtifactKind
    name: str
    description: str
    original_path: str  # where it came from ("" for snippets and references)
    host: str
    size: int
    sha256: str  # "" for a reference without a screenshot
    stored_name: str  # file name in the incident's vault folder; "" when there is no file
    collector: str
    collected_at: datetime  # UTC
    local_zone: str  # the collector's zone then, e.g. "CET +01:00"
    url: str  # the reference (URL or ticket), for references

    @property
    def has_file(self) -> bool:
        return bool(self.stored_name)


@dataclass(frozen=True)
class CustodyEntry:
    id: int
    artifact_id: int
    seq: int  # 1, 2, 3... per artifact
    action: CustodyAction
    actor: str
    at: datetime
    reason: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class VerifyResult:
    artifact: Artifact
    state: IntegrityState
    chain_ok: bool
    problems: tuple[str, ...]  # chain problems, and what was found instead

    @property
    def ok(self) -> bool:
        return self.state is IntegrityState.INTACT and self.chain_ok


# -- the custody chain -------------------------------------------------------------------------
def iso_utc(moment: datetime) -> str:
    """The one text form of a time inside a hash: UTC, microseconds, explicit offset."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    artifact_id: int,
    seq: int,
    action: CustodyAction | str,
    actor: str,
    at: datetime,
    reason: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """sha256 over a canonical JSON (sorted keys, no spaces, UTF-8) of the entry's fields."""
    canonical = {
        "artifact_id": artifact_id,
        "seq": seq,
        "action": str(action),
        "actor": actor,
        "at": iso_utc(at),
        "reason": reason,
        "details": details,
        "prev_hash": prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of(entry: CustodyEntry) -> str:
    return entry_hash(
        entry.artifact_id,
        entry.seq,
        entry.action,
        entry.actor,
        entry.at,
        entry.reason,
        entry.details,
        entry.prev_hash,
    )


def check_chain(entries: list[CustodyEntry]) -> list[str]:
    """What is wrong with one artifact's custody log, in words; empty when it is whole.
    An edited entry no longer matches its hash; a deleted one leaves a gap in seq and breaks
    the next entry's prev_hash."""
    if not entries:
        return ["the custody log is empty (its entries were deleted)"]
    problems: list[str] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.seq > expected_seq:
            missing = _seq_range(expected_seq, entry.seq - 1)
            problems.append(f"custody {missing} missing (deleted)")
        elif entry.seq < expected_seq:
            problems.append(f"custody entry {entry.seq} appears twice")
        if hash_of(entry) != entry.entry_hash:
            problems.append(f"custody entry {entry.seq} ({entry.action}) was altered")
        elif entry.prev_hash != expected_prev and entry.seq == expected_seq:
            problems.append(f"custody entry {entry.seq} does not follow the entry before it")
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
    return problems


def _seq_range(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first}-{last} are"


# -- the head file: the chain's head kept outside the database ---------------------------------
# Anyone who can write the database file can drop the triggers and rewrite rows: delete the
# last custody entries, or an artifact with its whole log, and the chain left behind is still
# whole. So each entry's (artifact, seq, hash) is also appended to a head file in the vault,
# after its commit. Verify checks every recorded line against the database: a log shorter
# than the head file, or an entry that differs from it, is found, whatever the database says.
HEAD_FILE = "custody-head.jsonl"


@dataclass(frozen=True)
class HeadRecord:
    """One line of the head file: an entry that was committed."""

    artifact_id: int
    seq: int
    entry_hash: str
    action: str
    sha256: str = ""  # for the "collected" entry: the hash the artifact was collected with
    name: str = ""  # for the "collected" entry: the artifact's name
    stored_name: str = ""  # for the "collected" entry: its file in the vault

    def line(self) -> str:
        data: dict[str, Any] = {
            "artifact": self.artifact_id,
            "seq": self.seq,
            "action": self.action,
            "entry_hash": self.entry_hash,
        }
        if self.action == CustodyAction.COLLECTED.value:
            data.update(sha256=self.sha256, name=self.name, stored_name=self.stored_name)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def head_record(entry: CustodyEntry) -> HeadRecord:
    collected = entry.action is CustodyAction.COLLECTED
    details = entry.details if collected else {}
    return HeadRecord(
        artifact_id=entry.artifact_id,
        seq=entry.seq,
        entry_hash=entry.entry_hash,
        action=entry.action.value,
        sha256=str(details.get("sha256", "")),
        name=str(details.get("name", "")),
        stored_name=str(details.get("stored_name", "")),
    )


def parse_head_line(line: str) -> HeadRecord | None:
    """A line of the head file, or None when it is not one (damaged or forged)."""
    try:
        data = json.loads(line)
        record = HeadRecord(
            artifact_id=data["artifact"],
            seq=data["seq"],
            entry_hash=data["entry_hash"],
            action=data["action"],
            sha256=data.get("sha256", ""),
            name=data.get("name", ""),
            stored_name=data.get("stored_name", ""),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    fields_ok = (
        isinstance(record.artifact_id, int)
        and isinstance(record.seq, int)
        and record.seq >= 1
        and all(
            isinstance(v, str)
            for v in (record.entry_hash, record.action, record.sha256, record.name)
        )
        and isinstance(record.stored_name, str)
    )
    return record if fields_ok else None


@dataclass(frozen=True)
class HeadFile:
    """What the head file of one incident's vault folder holds."""

    exists: bool
    records: tuple[HeadRecord, ...] = ()
    unreadable: tuple[int, ...] = ()  # line numbers that are not head records

    def of(self, artifact_id: int) -> list[HeadRecord]:
        return [r for r in self.records if r.artifact_id == artifact_id]

    def artifact_ids(self) -> list[int]:
        return sorted({r.artifact_id for r in self.records})


def check_head(entries: list[CustodyEntry], heads: list[HeadRecord]) -> list[str]:
    """What the head file knows that the database's log contradicts: entries missing from
    its end (a truncation), an entry that differs from the one committed, or two different
    entries committed under one number (entries removed, then new ones appended)."""
    problems: list[str] = []
    stored = {e.seq: e for e in entries}
    last_stored = max(stored, default=0)
    recorded: dict[int, set[str]] = {}
    for head in heads:
        recorded.setdefault(head.seq, set()).add(head.entry_hash)
    twice = sorted(seq for seq, hashes in recorded.items() if len(hashes) > 1)
    for seq in twice:
        problems.append(
            f"the vault's head file records two different custody entries {seq} "
            "(entries were removed and others appended in their place)"
        )
    for seq in sorted(recorded):
        entry = stored.get(seq)
        if entry is not None and seq not in twice and entry.entry_hash not in recorded[seq]:
            problems.append(
                f"custody entry {seq} is not the one the vault's head file recorded "
                "(the log was rewritten)"
            )
    last_recorded = max(recorded, default=0)
    if last_recorded > last_stored:
        missing = _seq_range(last_stored + 1, last_recorded)
        problems.append(
            f"custody {missing} missing: the vault's head file records {last_recorded} "
            f"entr{'y' if last_recorded == 1 else 'ies'} (deleted from the database, or it "
            "was restored from an older backup)"
        )
    return problems


def collected_record(artifact: Artifact) -> dict[str, Any]:
    """What the "collected" custody entry records of an artifact (and hashes into the
    chain); its row must still say the same later."""
    return {
        "kind": artifact.kind.value,
        "name": artifact.name,
        "sha256": artifact.sha256,
        "size": artifact.size,
        "original_path": artifact.original_path,
        "host": artifact.host,
        "stored_name": artifact.stored_name,
        "local_zone": artifact.local_zone,
        "url": artifact.url,
    }


def collected_entry(entries: list[CustodyEntry]) -> CustodyEntry | None:
    first = next((e for e in entries if e.seq == 1), None)
    return first if first is not None and first.action is CustodyAction.COLLECTED else None


def changed_since_collection(artifact: Artifact, collected: CustodyEntry) -> list[str]:
    """The fields of the artifact's row that no longer say what was recorded (and hashed
    into the chain) when it was collected."""
    row, details = collected_record(artifact), collected.details
    return [f for f in row if f in details and details[f] != row[f]]


@dataclass(frozen=True)
class FileFinding:
    """What the vault holds for an artifact now: the sha256 of its bytes, or why not."""

    digest: str | None = None
    problem: str = ""  # the file is gone or cannot be read (digest is None)


def assess(
    artifact: Artifact,
    found: FileFinding,
    entries: list[CustodyEntry],
    head: HeadFile,
    timeline_sha256: str | None,
    head_path: str = "",
) -> VerifyResult:
    """One artifact judged against every record of it: the bytes against the hash in its
    "collected" custody entry (which the chain and the head file protect), not only against
    its row; its row against that entry; its log against the chain and the head file; and
    its collection against the timeline. `timeline_sha256` is the sha256 the timeline's
    "collected" event names (None: there is no such event)."""
    record: list[str] = []  # the records disagree: the database was edited
    chain = check_chain(entries)
    if head.exists:
        chain += check_head(entries, head.of(artifact.id))
    elif entries:
        chain.append(
            f"the vault's custody head file is missing ({head_path or HEAD_FILE}): a shortened "
            "log could not be told apart"
        )
    collected = collected_entry(entries)
    expected = artifact.sha256
    if collected is not None:
        expected = str(collected.details.get("sha256", artifact.sha256))
        changed = changed_since_collection(artifact, collected)
        if changed:
            record.append(
                f"its record was changed after collection ({', '.join(changed)} no longer "
                "match the collected custody entry)"
            )
    if timeline_sha256 is None:
        record.append("the timeline has no record of its collection (the event was deleted)")
    elif timeline_sha256 != expected:
        record.append(
            f"the timeline recorded sha256 {short_hash(timeline_sha256)} at collection, not "
            f"{short_hash(expected)}"
        )
    state, finding = IntegrityState.INTACT, ""
    has_file = artifact.has_file or bool(expected)
    if has_file and found.digest is None:
        state = IntegrityState.MISSING
        finding = found.problem or "the file is gone from the vault"
    elif has_file and found.digest != expected:
        state = IntegrityState.MODIFIED
        finding = (
            f"the file's sha256 is now {short_hash(found.digest or '')}, recorded "
            f"{short_hash(expected)} at collection"
        )
    problems = tuple(([finding] if finding else []) + chain + record)
    return VerifyResult(artifact, state, not (chain or record), problems)


def vanished(
    artifact_id: int,
    incident_id: int,
    heads: list[HeadRecord],
    timeline: tuple[str, datetime] | None,
    file_left: bool | None,
) -> VerifyResult:
    """An artifact the head file or the timeline knows of, with no row in the database: its
    rows were deleted (with the triggers dropped)."""
    collected = next((h for h in heads if h.action == CustodyAction.COLLECTED.value), None)
    name = (collected.name if collected else "") or f"evidence #{artifact_id}"
    sha256 = (collected.sha256 if collected else "") or (timeline[0] if timeline else "")
    placeholder = Artifact(
        id=artifact_id,
        incident_id=incident_id,
        item_id=None,
        kind=ArtifactKind.FILE,
        name=name,
        description="",
        original_path="",
        host="",
        size=0,
        sha256=sha256,
        stored_name="",
        collector="",
        collected_at=timeline[1] if timeline else datetime.min.replace(tzinfo=UTC),
        local_zone="",
        url="",
    )
    known = []
    if heads:
        last = max(h.seq for h in heads)
        entries = "entry" if last == 1 else "entries"
        known.append(f"the vault's head file records {last} custody {entries}")
    if timeline is not None:
        known.append(f"the timeline its collection (sha256 {short_hash(timeline[0])})")
    problem = f"evidence #{artifact_id} is gone from the database, but " + " and ".join(known)
    if file_left is True:
        problem += "; its file is still in the vault"
    elif file_left is False:
        problem += "; its file is gone from the vault too"
    return VerifyResult(placeholder, IntegrityState.MISSING, False, (problem,))


# -- wording for the timeline ------------------------------------------------------------------
def short_hash(sha256: str) -> str:
    return f"{sha256[:8]}…" if sha256 else "no file"


def zone_label(local: datetime) -> str:
    """'CET +01:00' for an aware local time: the zone the collector's clock was in."""
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local.tzname() or 'local'} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def collected_text(artifact: Artifact, item: ChecklistItem | None) -> str:
    target = f" for {item.name}" if item else ""
    if artifact.kind is ArtifactKind.REFERENCE:
        shot = (
            f" with a screenshot (sha256 {short_hash(artifact.sha256)})" if artifact.sha256 else ""
        )
        return f"Evidence recorded by reference: {artifact.url}{shot}{target}"
    what = "snippet " if artifact.kind is ArtifactKind.SNIPPET else ""
    return (
        f"Evidence collected: {what}{artifact.name} (sha256 {short_hash(artifact.sha256)}){target}"
    )


def deleted_text(files: int) -> str:
    """What goes with a deleted incident besides its timeline, as the end of a sentence:
    ' and its 3 evidence files in the vault' (or ' and its evidence records' without any)."""
    if not files:
        return " and its evidence records"
    return f" and its {files:,} evidence file{'s' * (files != 1)} in the vault"


def linked_text(artifact: Artifact, item: ChecklistItem, note: str) -> str:
    suffix = f": {note}" if note else ""
    return f"Evidence linked: {artifact.name} (#{artifact.id}) also covers {item.name}{suffix}"


def verify_summary(results: list[VerifyResult]) -> str:
    """'Evidence verified: 3 intact' or the problems, named: for the timeline and the CLI."""
    counts = {state: [r for r in results if r.state is state] for state in IntegrityState}
    parts = [f"{len(counts[IntegrityState.INTACT])} intact"]
    for state in (IntegrityState.MODIFIED, IntegrityState.MISSING):
        if counts[state]:
            names = ", ".join(r.artifact.name for r in counts[state])
            parts.append(f"{len(counts[state])} {state.value} ({names})")
    broken = [r.artifact.name for r in results if not r.chain_ok]
    if broken:
        parts.append(f"custody log broken for {', '.join(broken)}")
    verdict = "verified" if all(r.ok for r in results) else "verification FAILED"
    return f"Evidence {verdict}: " + "; ".join(parts)


def custody_details(entry: CustodyEntry) -> str:
    """What one custody entry says beyond its action, in words: where from or to, what was
    found, and why (its reason)."""
    details = entry.details
    parts: list[str] = []
    if entry.action is CustodyAction.COLLECTED:
        if details.get("original_path"):
            parts.append(f"from {details.get('host') or 'this host'}:{details['original_path']}")
        elif details.get("kind") == ArtifactKind.SNIPPET.value:
            parts.append("pasted as a snippet")
        elif details.get("url"):
            parts.append(f"by reference: {details['url']}")
        if details.get("sha256"):
            parts.append(f"sha256 {short_hash(details['sha256'])}")
        if details.get("item"):
            parts.append(f"for “{details['item']}”")
    elif entry.action is CustodyAction.VERIFIED:
        found = list(details.get("problems") or [])
        if details.get("result") == IntegrityState.INTACT.value and details.get("chain_ok"):
            parts.append("the file matched its sha256 and the chain held")
        else:
            parts.append("found: " + ("; ".join(found) or str(details.get("result", "?"))))
    elif entry.action is CustodyAction.COPIED_OUT and details.get("to"):
        parts.append(f"to {details['to']}")
    elif entry.action is CustodyAction.EXPORTED and details.get("bundle"):
        parts.append(f"in the bundle {details['bundle']}")
    elif entry.action is CustodyAction.LINKED and details.get("item"):
        parts.append(f"also covers “{details['item']}”")
    if entry.action in (CustodyAction.VIEWED, CustodyAction.COPIED_OUT) and details.get("host"):
        parts.append(f"on {details['host']}")
    if entry.reason and entry.action is CustodyAction.COLLECTED:
        parts.insert(0, f"“{entry.reason}”")  # what the collector said it is
    elif entry.reason:
        parts.append(f"why: {entry.reason}")
    return " · ".join(parts)


def custody_summary(entries: list[CustodyEntry]) -> str:
    """One artifact's chain of custody in a sentence: 'Chain intact — 3 entries, last
    verified 22 Nov 14:05 UTC by Dana', or what is wrong with it."""
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    problems = check_chain(entries)
    if problems:
        return f"⚠ Chain BROKEN — {count}: " + "; ".join(problems)
    checks = [e for e in entries if e.action is CustodyAction.VERIFIED]
    if not checks:
        return f"Chain intact — {count}, not verified yet"
    last = max(checks, key=lambda e: e.seq)
    when, who = utc_day_minute(last.at), last.actor
    found_ok = last.details.get("result") == IntegrityState.INTACT.value
    if not (found_ok and last.details.get("chain_ok")):
        return f"⚠ Chain intact — {count}; the last verification ({when} by {who}) found a problem"
    return f"Chain intact — {count}, last verified {when} by {who}"


# -- the checklist data file -------------------------------------------------------------------
@dataclass(frozen=True)
class ItemTemplate:
    name: str
    hint: str = ""
    security_only: bool = False
    rotates_after: timedelta | None = None  # from impact start: when the source rotates it
    before_change: bool = False  # volatile: a security incident collects it before changing


@dataclass(frozen=True)
class ChecklistTemplate:
    items: tuple[ItemTemplate, ...]
    source: str

    def before_change_names(self) -> frozenset[str]:
        """The volatile items' names, casefolded."""
        return frozenset(item.name.casefold() for item in self.items if item.before_change)

    def marked(self, items: list[ChecklistItem]) -> list[ChecklistItem]:
        """`items` with `before_change` as this checklist says for an item of that name;
        items added by hand, or not in it, are as they were."""
        names = self.before_change_names()
        return [
            replace(item, before_change=True)
            if not item.before_change and item.name.casefold() in names
            else item
            for item in items
        ]

    def seeded_rotation(self, item: ItemTemplate, impact_started_at: datetime) -> datetime | None:
        return None if item.rotates_after is None else impact_started_at + item.rotates_after


ITEM_KEYS = ("name", "hint", "security_only", "rotates_after", "before_change")


def load_checklist_file(path: Path) -> ChecklistTemplate:
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ChecklistError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ChecklistError(source, "(file)", "is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistError(source, "(syntax)", str(exc)) from exc
    return parse_checklist(data, source)


def parse_checklist(data: dict[str, Any], source: str) -> ChecklistTemplate:
    entries = data.get("item")
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) for e in entries)
    ):
        raise ChecklistError(source, "item", "needs at least one [[item]] table")
    items = tuple(_item(entry, source, f"item[{n}]") for n, entry in enumerate(entries, start=1))
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if item.name.casefold() in seen:
            raise ChecklistError(source, f"item[{n}].name", f"{item.name!r} is used twice")
        seen.add(item.name.casefold())
    return ChecklistTemplate(items, source)


def _item(entry: dict[str, Any], source: str, key: str) -> ItemTemplate:
    # A typo such as "rotate_after" would silently drop a rotation clock: refuse it.
    for given in entry:
        if given not in ITEM_KEYS:
            raise ChecklistError(
                source, f"{key}.{given}", f"unknown key (use {', '.join(ITEM_KEYS)})"
            )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ChecklistError(source, f"{key}.name", "missing" if name is None else "must be text")
    hint = entry.get("hint", "")
    if not isinstance(hint, str):
        raise ChecklistError(source, f"{key}.hint", "must be text")
    security = entry.get("security_only", False)
    if not isinstance(security, bool):
        raise ChecklistError(source, f"{key}.security_only", "must be true or false")
    before_change = entry.get("before_change", False)
    if not isinstance(before_change, bool):
        raise ChecklistError(source, f"{key}.before_change", "must be true or false")
    return ItemTemplate(
        name=" ".join(name.split()),
        hint=hint.strip(),
        security_only=security,
        before_change=before_change,
        rotates_after=_duration(entry.get("rotates_after"), source, f"{key}.rotates_after"),
    )


def _duration(value: Any, source: str, key: str) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChecklistError(source, key, 'must be a duration such as "24h"')
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ChecklistError(source, key, str(exc)) from None
