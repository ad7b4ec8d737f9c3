"""The current schema as SQLModel tables. Migrations (store/migrations.py) bring older files
up to it; tests check that a migrated file and these models agree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, Text, text
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

from warroom.adapters.sql.types import UTCDateTime

# Table rows are built from the database or by the adapters, never validated by pydantic:
# its validators are built on first use instead of for every table at import.
ROW = SQLModelConfig(defer_build=True)


def _when(nullable: bool = True) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


# One open incident per alert key, even with many alert hooks declaring at once (v9).
OPEN_DEDUPE_KEY = "dedupe_key IS NOT NULL AND status IN ('triage', 'active', 'mitigated')"
ARTIFACT_IS_FILE = "sha256 != ''"
# The events the metrics read of every timeline (v11); their query repeats this text, so
# that SQLite sees the index serves it.
METRICS_EVENT_KINDS = "kind IN ('update_sent', 'mitigation', 'check_back', 'reminder')"
# The events the update cadence replays on every edit (domain.cadence.RECONCILE_KINDS, v12):
# a handful per incident among its notes. Their query repeats this text too.
CADENCE_EVENT_KINDS = (
    "kind IN ('declared', 'severity_changed', 'update_sent', 'status_changed', 'reminder')"
)
# The partial indexes' predicates, by index name, for PostgreSQL (add_postgresql_options).
POSTGRESQL_WHERE = {
    "ix_incident_open_dedupe_key": OPEN_DEDUPE_KEY,
    "ix_evidence_artifact_incident_sha": ARTIFACT_IS_FILE,
    "ix_timeline_event_metrics": METRICS_EVENT_KINDS,
    "ix_timeline_event_cadence": CADENCE_EVENT_KINDS,
}


class IncidentRow(SQLModel, table=True):
    model_config = ROW
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status", "status"),
        Index(
            "ix_incident_open_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text(OPEN_DEDUPE_KEY),
        ),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str
    severity: str
    status: str
    impact: str = Field(default="", sa_type=Text)
    impact_started_at: datetime = Field(sa_column=_when(nullable=False))
    detected_at: datetime | None = Field(default=None, sa_column=_when())
    declared_at: datetime = Field(sa_column=_when(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_when())
    mitigated_at: datetime | None = Field(default=None, sa_column=_when())
    resolved_at: datetime | None = Field(default=None, sa_column=_when())
    # Denormalised from the timeline so the board needs no join to compute its clocks.
    severity_changed_at: datetime | None = Field(default=None, sa_column=_when())
    last_update_at: datetime | None = Field(default=None, sa_column=_when())
    commander: str = ""
    tech_lead: str = ""
    comms_lead: str = ""
    scribe: str = ""
    is_drill: bool = False
    response_due_at: datetime | None = Field(default=None, sa_column=_when())
    is_security: bool = False
    service: str = ""
    resolution_recorded_at: datetime | None = Field(default=None, sa_column=_when())
    dedupe_key: str | None = None  # the alert's key, for alert hooks declaring again
    duplicate_of: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="SET NULL")),
    )


class EventRow(SQLModel, table=True):
    model_config = ROW
    __tablename__ = "timeline_event"
    __table_args__ = (
        Index("ix_timeline_event_incident_at", "incident_id", "at"),
        # Covering on SQLite; on PostgreSQL (v11) only its first three columns.
        Index(
            "ix_timeline_event_metrics",
            "incident_id",
            "kind",
            "at",
            "id",
            "recorded_at",
            "data",
            sqlite_where=text(METRICS_EVENT_KINDS),
        ),
        # In time order (ties by id, the row id) for the cadence's facts (v12).
        Index(
            "ix_timeline_event_cadence",
            "incident_id",
            "at",
            sqlite_where=text(CADENCE_EVENT_KINDS),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str
    at: datetime = Field(sa_column=_when(nullable=False))
    recorded_at: datetime = Field(sa_column=_when(nullable=False))
    actor: str = ""
    text: str = Field(default="", sa_type=Text)
    data: str = Field(default="{}", sa_type=Text)  # JSON: old and new values, for the record


class DraftRow(SQLModel, table=True):
    model_config = ROW
    __tablename__ = "draft"

    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    )
    field: str = Field(primary_key=True)
    text: str = Field(default="", sa_type=Text)
    saved_at: datetime = Field(sa_column=_when(nullable=False))


class MitigationRow(SQLModel, table=True):
    model_config = ROW
    __tablename__ = "mitigation"
    __table_args__ = (Index("ix_mitigation_incident", "incident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    option_key: str
    option_verb: str
    decision: str
    decided_at: datetime = Field(sa_column=_when(nullable=False))
    decided_by: str = ""
    action: str = Field(default="", sa_type=Text)
    applied_by: str = ""
    expected_effect: str = Field(default="", sa_type=Text)
    reason: str = Field(default="", sa_type=Text)
    check_back_at: datetime | None = Field(default=None, sa_column=_when())
    outcome: str | None = None
    outcome_at: datetime | None = Field(default=None, sa_column=_when())
    kind: str = ""  # domain.mitigation's step kind; "" for steps from before kinds


class WizardProgressRow(SQLModel, table=True):
    """Where the IC left the mitigation wizard, so it can be resumed."""

    model_config = ROW
    __tablename__ = "wizard_progress"

    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    )
    state: str = Field(default="{}", sa_type=Text)  # JSON, see core/wizard_state.py
    saved_at: datetime = Field(sa_column=_when(nullable=False))


class PostmortemRow(SQLModel, table=True):
    """The write-up as the author left it; autosaved as they type."""

    model_config = ROW
    __tablename__ = "postmortem"

    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    )
    status: str = "draft"
    title: str = ""
    authors: str = ""
    impact: str = Field(default="", sa_type=Text)
    root_cause: str = Field(default="", sa_type=Text)
    contributing_factors: str = Field(default="", sa_type=Text)
    detection: str = Field(default="", sa_type=Text)
    detection_sooner: str = Field(default="", sa_type=Text)
    went_well: str = Field(default="", sa_type=Text)
    went_poorly: str = Field(default="", sa_type=Text)
    lessons: str = Field(default="", sa_type=Text)
    prevention: str = Field(default="", sa_type=Text)
    # JSON: {event id: {"text": str | null, "hidden": bool}} and [{"at": iso, "text": str}]
    timeline_edits: str = Field(default="{}", sa_type=Text)
    added_rows: str = Field(default="[]", sa_type=Text)
    saved_at: datetime = Field(sa_column=_when(nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=_when())


class ActionItemRow(SQLModel, table=True):
    model_config = ROW
    __tablename__ = "action_item"
    __table_args__ = (
        Index("ix_action_item_incident", "incident_id", "position"),
        Index("ix_action_item_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    action: str = Field(default="", sa_type=Text)
    owner: str = ""
    deadline: str | None = None  # ISO date: a calendar day, not an instant
    status: str = "open"
    priority: str = "medium"
    kind: str = "prevent"


def _incident_fk() -> Column[int]:
    return Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)


class EvidenceItemRow(SQLModel, table=True):
    """One line of an incident's evidence checklist."""

    model_config = ROW
    __tablename__ = "evidence_item"
    __table_args__ = (
        # One item per place in the list, even with two writers (migration v7).
        Index("ix_evidence_item_incident", "incident_id", "position", unique=True),
        Index("ix_evidence_item_rotates", "state", "rotates_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=_incident_fk())
    position: int
    name: str
    hint: str = Field(default="", sa_type=Text)
    state: str = "pending"
    reason: str = Field(default="", sa_type=Text)
    rotates_at: datetime | None = Field(default=None, sa_column=_when())
    security_only: bool = False
    added_by: str = ""  # "" for items seeded from the checklist file
    added_at: datetime = Field(sa_column=_when(nullable=False))


class ArtifactRow(SQLModel, table=True):
    """A piece of evidence in the vault. Never updated, and never deleted while its incident
    exists: triggers in migration v6 refuse it."""

    model_config = ROW
    __tablename__ = "evidence_artifact"
    __table_args__ = (
        # A file is kept once per incident, even with two writers (migration v7); links
        # (no file, empty sha256) are not files.
        Index(
            "ix_evidence_artifact_incident_sha",
            "incident_id",
            "sha256",
            unique=True,
            sqlite_where=text(ARTIFACT_IS_FILE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=_incident_fk())
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("evidence_item.id", ondelete="CASCADE")),
    )
    kind: str
    name: str
    description: str = Field(default="", sa_type=Text)
    original_path: str = Field(default="", sa_type=Text)
    host: str = ""
    # Bytes: an artifact may pass 2 GiB (BIGINT on PostgreSQL; SQLite's INTEGER is 64-bit).
    size: int = Field(default=0, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    sha256: str = ""
    stored_name: str = ""
    collector: str = ""
    collected_at: datetime = Field(sa_column=_when(nullable=False))
    local_zone: str = ""
    url: str = Field(default="", sa_type=Text)


class EvidenceLinkRow(SQLModel, table=True):
    """Which artifacts cover which checklist items (one artifact can cover several)."""

    model_config = ROW
    __tablename__ = "evidence_link"
    __table_args__ = (Index("ix_evidence_link_artifact", "artifact_id"),)

    item_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("evidence_item.id", ondelete="CASCADE"), primary_key=True
        )
    )
    artifact_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("evidence_artifact.id", ondelete="CASCADE"), primary_key=True
        )
    )
    linked_at: datetime = Field(sa_column=_when(nullable=False))


class CustodyRow(SQLModel, table=True):
    """One hash-chained entry of an artifact's custody log. Append-only: triggers refuse
    UPDATE, and DELETE while the artifact exists (so deleting the incident still cascades)."""

    model_config = ROW
    __tablename__ = "custody_entry"
    __table_args__ = (Index("ix_custody_entry_artifact_seq", "artifact_id", "seq", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    artifact_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("evidence_artifact.id", ondelete="CASCADE"), nullable=False
        )
    )
    seq: int
    action: str
    actor: str = ""
    at: datetime = Field(sa_column=_when(nullable=False))
    reason: str = Field(default="", sa_type=Text)
    details: str = Field(default="{}", sa_type=Text)  # canonical JSON, part of the hash
    prev_hash: str
    entry_hash: str


class EvidenceChunkRow(SQLModel, table=True):
    """Up to 1 MiB of an artifact's bytes, in order by seq, stored with its record in a
    shared war room so that any laptop can verify and export it (migration v10). Never
    updated, and never deleted while its artifact exists: triggers refuse it."""

    model_config = ROW
    __tablename__ = "evidence_chunk"

    artifact_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("evidence_artifact.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ChangeLogRow(SQLModel, table=True):
    """What each write changed, one row per incident touched, appended in the write's own
    transaction. Other processes read it to refresh only what changed."""

    model_config = ROW
    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: int | None = Field(default=None, primary_key=True)
    origin: str  # the writing process's token: its own changes were announced already
    incident_id: int  # no foreign key: a deletion is logged too
    parts: str  # comma-separated domain.changes.Part values
    recorded_at: datetime = Field(sa_column=_when(nullable=False))


def add_postgresql_options() -> None:
    """Gives the partial indexes their PostgreSQL predicate, for DDL made for PostgreSQL.
    Not declared on the tables: declaring a `postgresql_*` option loads SQLAlchemy's
    PostgreSQL dialect, a large part of the start of every process that maps the tables
    (each write from the command line), and SQLite never reads it."""
    for table in SQLModel.metadata.tables.values():
        for index in table.indexes:
            where = POSTGRESQL_WHERE.get(str(index.name))
            if where is not None:
                index.dialect_options["postgresql"]["where"] = text(where)
