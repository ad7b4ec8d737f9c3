"""Versioned schema migrations, from the very first release on.

Each step is a function that takes a connection inside the migration's transaction. The
schema version lives in the `warroom_schema` table; a file newer than this app is refused.
Step 1 keeps a frozen copy of the first schema, so later model changes never alter it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

from warroom.adapters.sql.schema_version import SCHEMA_VERSION
from warroom.adapters.sql.sqlite.recognise import APPLICATION_ID
from warroom.adapters.sql.types import UTCDateTime


def _v1_create_schema(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "incident",
        meta,
        Column("id", Integer, primary_key=True),
        Column("title", String, nullable=False),
        Column("severity", String, nullable=False),
        Column("status", String, nullable=False),
        Column("impact", Text, nullable=False),
        Column("impact_started_at", UTCDateTime(), nullable=False),
        Column("detected_at", UTCDateTime()),
        Column("declared_at", UTCDateTime(), nullable=False),
        Column("acknowledged_at", UTCDateTime()),
        Column("mitigated_at", UTCDateTime()),
        Column("resolved_at", UTCDateTime()),
        Column("severity_changed_at", UTCDateTime()),
        Column("last_update_at", UTCDateTime()),
        Column("commander", String, nullable=False),
        Column("tech_lead", String, nullable=False),
        Column("comms_lead", String, nullable=False),
        Column("scribe", String, nullable=False),
        Index("ix_incident_status", "status"),
        # Numbers are never reused after a delete: "#12" in a chat log or a post-mortem
        # must keep meaning the same incident.
        sqlite_autoincrement=True,
    )
    Table(
        "timeline_event",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "incident_id",
            Integer,
            ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("kind", String, nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("recorded_at", UTCDateTime(), nullable=False),
        Column("actor", String, nullable=False),
        Column("text", Text, nullable=False),
        Column("data", Text, nullable=False),
        Index("ix_timeline_event_incident_at", "incident_id", "at"),
    )
    meta.create_all(conn)


def _time_type(conn: Connection) -> str:
    """A stored time's column type as the models' UTCDateTime makes it on each engine."""
    return "TIMESTAMP WITH TIME ZONE" if _is_postgresql(conn) else "VARCHAR(32)"


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _v2_drill_flag_and_response_due(conn: Connection) -> None:
    # Drills and exercises are real rehearsals but must stay out of the metrics.
    conn.execute(text("ALTER TABLE incident ADD COLUMN is_drill BOOLEAN NOT NULL DEFAULT FALSE"))
    # The response deadline in force when acknowledged, so a later severity change cannot
    # turn a late acknowledgement into an on-time one.
    conn.execute(text(f"ALTER TABLE incident ADD COLUMN response_due_at {_time_type(conn)}"))


def _v3_drafts(conn: Connection) -> None:
    # Text being typed (a note not yet added, an impact summary being rewritten), saved
    # as it is typed so a crash loses at most the debounce window.
    meta = MetaData()
    Table("incident", meta, Column("id", Integer, primary_key=True))  # exists: the FK target
    draft = Table(
        "draft",
        meta,
        Column(
            "incident_id",
            Integer,
            ForeignKey("incident.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("field", String, primary_key=True),
        Column("text", Text, nullable=False),
        Column("saved_at", UTCDateTime(), nullable=False),
    )
    meta.create_all(conn, tables=[draft])


def _v4_mitigations(conn: Connection) -> None:
    # Every mitigation decision (applied, skipped, not applicable) with its check-back, and
    # where the IC left the mitigation wizard.
    meta = MetaData()
    Table("incident", meta, Column("id", Integer, primary_key=True))  # exists: the FK target

    def incident_fk(primary_key: bool = False) -> Column[int]:
        return Column(
            "incident_id",
            Integer,
            ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
            primary_key=primary_key,
        )

    mitigation = Table(
        "mitigation",
        meta,
        Column("id", Integer, primary_key=True),
        incident_fk(),
        Column("option_key", String, nullable=False),
        Column("option_verb", String, nullable=False),
        Column("decision", String, nullable=False),
        Column("decided_at", UTCDateTime(), nullable=False),
        Column("decided_by", String, nullable=False),
        Column("action", Text, nullable=False),
        Column("applied_by", String, nullable=False),
        Column("expected_effect", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("check_back_at", UTCDateTime()),
        Column("outcome", String),
        Column("outcome_at", UTCDateTime()),
        Index("ix_mitigation_incident", "incident_id"),
    )
    progress = Table(
        "wizard_progress",
        meta,
        incident_fk(primary_key=True),
        Column("state", Text, nullable=False),
        Column("saved_at", UTCDateTime(), nullable=False),
    )
    meta.create_all(conn, tables=[mitigation, progress])


def _v5_postmortems(conn: Connection) -> None:
    # The post-mortem write-up per incident, and its action items (queried across incidents
    # for the "open action items" view).
    meta = MetaData()
    Table("incident", meta, Column("id", Integer, primary_key=True))  # exists: the FK target
    texts = (
        "impact",
        "root_cause",
        "contributing_factors",
        "detection",
        "detection_sooner",
        "went_well",
        "went_poorly",
        "lessons",
        "prevention",
        "timeline_edits",
        "added_rows",
    )
    postmortem = Table(
        "postmortem",
        meta,
        Column(
            "incident_id",
            Integer,
            ForeignKey("incident.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("status", String, nullable=False),
        Column("title", String, nullable=False),
        Column("authors", String, nullable=False),
        *(Column(name, Text, nullable=False) for name in texts),
        Column("saved_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime()),
    )
    action_item = Table(
        "action_item",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "incident_id",
            Integer,
            ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("position", Integer, nullable=False),
        Column("action", Text, nullable=False),
        Column("owner", String, nullable=False),
        Column("deadline", String),
        Column("status", String, nullable=False),
        Column("priority", String, nullable=False),
        Column("kind", String, nullable=False),
        Index("ix_action_item_incident", "incident_id", "position"),
        Index("ix_action_item_status", "status"),
    )
    meta.create_all(conn, tables=[postmortem, action_item])


# Custody entries are append-only and artifacts immutable. A DELETE is let through only once
# the parent row is gone, which is what ON DELETE CASCADE does when a whole incident is
# deleted (SQLite removes the parent row before cascading to its children).
_V6_TRIGGERS = (
    """CREATE TRIGGER custody_entry_no_update BEFORE UPDATE ON custody_entry
    BEGIN SELECT RAISE(ABORT, 'custody entries are append-only: an entry cannot be changed');
    END""",
    """CREATE TRIGGER custody_entry_no_delete BEFORE DELETE ON custody_entry
    WHEN EXISTS (SELECT 1 FROM evidence_artifact WHERE id = OLD.artifact_id)
    BEGIN SELECT RAISE(ABORT, 'custody entries are append-only: an entry cannot be deleted');
    END""",
    """CREATE TRIGGER evidence_artifact_no_update BEFORE UPDATE ON evidence_artifact
    BEGIN SELECT RAISE(ABORT, 'evidence artifacts cannot be changed once collected');
    END""",
    """CREATE TRIGGER evidence_artifact_no_delete BEFORE DELETE ON evidence_artifact
    WHEN EXISTS (SELECT 1 FROM incident WHERE id = OLD.incident_id)
    BEGIN SELECT RAISE(ABORT, 'evidence artifacts cannot be deleted (delete the incident)');
    END""",
)


# The same rules in PL/pgSQL: a trigger's WHEN cannot hold a subquery there, so the
# functions look for the parent row themselves. A cascade from a deleted incident runs
# after the parent row is gone, as on SQLite. TRUNCATE, which skips row triggers, is refused.
_V6_POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION warroom_custody_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'custody entries are append-only: an entry cannot be changed';
        END IF;
        IF TG_OP = 'TRUNCATE'
                OR EXISTS (SELECT 1 FROM evidence_artifact WHERE id = OLD.artifact_id) THEN
            RAISE EXCEPTION 'custody entries are append-only: an entry cannot be deleted';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE FUNCTION warroom_evidence_artifact_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'evidence artifacts cannot be changed once collected';
        END IF;
        IF TG_OP = 'TRUNCATE' OR EXISTS (SELECT 1 FROM incident WHERE id = OLD.incident_id) THEN
            RAISE EXCEPTION 'evidence artifacts cannot be deleted (delete the incident)';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER custody_entry_guard BEFORE UPDATE OR DELETE ON custody_entry
    FOR EACH ROW EXECUTE FUNCTION warroom_custody_entry_guard()""",
    """CREATE TRIGGER custody_entry_no_truncate BEFORE TRUNCATE ON custody_entry
    FOR EACH STATEMENT EXECUTE FUNCTION warroom_custody_entry_guard()""",
    """CREATE TRIGGER evidence_artifact_guard BEFORE UPDATE OR DELETE ON evidence_artifact
    FOR EACH ROW EXECUTE FUNCTION warroom_evidence_artifact_guard()""",
    """CREATE TRIGGER evidence_artifact_no_truncate BEFORE TRUNCATE ON evidence_artifact
    FOR EACH STATEMENT EXECUTE FUNCTION warroom_evidence_artifact_guard()""",
)


def _v6_evidence(conn: Connection) -> None:
    # The evidence checklist per incident, the artifacts in the vault, which items they
    # cover, and each artifact's hash-chained custody log.
    meta = MetaData()
    Table("incident", meta, Column("id", Integer, primary_key=True))  # exists: the FK target

    def fk(target: str) -> ForeignKey:
        return ForeignKey(target, ondelete="CASCADE")

    item = Table(
        "evidence_item",
        meta,
        Column("id", Integer, primary_key=True),
        Column("incident_id", Integer, fk("incident.id"), nullable=False),
        Column("position", Integer, nullable=False),
        Column("name", String, nullable=False),
        Column("hint", Text, nullable=False),
        Column("state", String, nullable=False),
        Column("reason", Text, nullable=False),
        Column("rotates_at", UTCDateTime()),
        Column("security_only", Boolean, nullable=False),
        Column("added_by", String, nullable=False),
        Column("added_at", UTCDateTime(), nullable=False),
        Index("ix_evidence_item_incident", "incident_id", "position"),
        Index("ix_evidence_item_rotates", "state", "rotates_at"),
    )
    artifact = Table(
        "evidence_artifact",
        meta,
        Column("id", Integer, primary_key=True),
        Column("incident_id", Integer, fk("incident.id"), nullable=False),
        Column("item_id", Integer, fk("evidence_item.id")),
        Column("kind", String, nullable=False),
        Column("name", String, nullable=False),
        Column("description", Text, nullable=False),
        Column("original_path", Text, nullable=False),
        Column("host", String, nullable=False),
        Column("size", Integer, nullable=False),
        Column("sha256", String, nullable=False),
        Column("stored_name", String, nullable=False),
        Column("collector", String, nullable=False),
        Column("collected_at", UTCDateTime(), nullable=False),
        Column("local_zone", String, nullable=False),
        Column("url", Text, nullable=False),
        Index("ix_evidence_artifact_incident_sha", "incident_id", "sha256"),
    )
    link = Table(
        "evidence_link",
        meta,
        Column("item_id", Integer, fk("evidence_item.id"), primary_key=True),
        Column("artifact_id", Integer, fk("evidence_artifact.id"), primary_key=True),
        Column("linked_at", UTCDateTime(), nullable=False),
        Index("ix_evidence_link_artifact", "artifact_id"),
    )
    custody = Table(
        "custody_entry",
        meta,
        Column("id", Integer, primary_key=True),
        Column("artifact_id", Integer, fk("evidence_artifact.id"), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("action", String, nullable=False),
        Column("actor", String, nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("reason", Text, nullable=False),
        Column("details", Text, nullable=False),
        Column("prev_hash", String, nullable=False),
        Column("entry_hash", String, nullable=False),
        Index("ix_custody_entry_artifact_seq", "artifact_id", "seq", unique=True),
    )
    meta.create_all(conn, tables=[item, artifact, link, custody])
    for trigger in _V6_POSTGRESQL_TRIGGERS if _is_postgresql(conn) else _V6_TRIGGERS:
        conn.execute(text(trigger))


def _v7_change_log_and_constraints(conn: Connection) -> None:
    # The change log other processes refresh from, and unique keys where two writers could
    # both pass a check-then-insert: checklist positions and stored files per incident.
    meta = MetaData()
    Table(
        "change_log",
        meta,
        Column("seq", Integer, primary_key=True),
        Column("origin", String, nullable=False),
        Column("incident_id", Integer, nullable=False),
        Column("parts", String, nullable=False),
        Column("recorded_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)
    # Positions were only ever unique by convention: renumber any clash before the index.
    conn.execute(
        text(
            "UPDATE evidence_item SET position = 1 + (SELECT COUNT(*) FROM evidence_item AS o "
            "WHERE o.incident_id = evidence_item.incident_id AND (o.position < "
            "evidence_item.position OR (o.position = evidence_item.position AND o.id < "
            "evidence_item.id))) WHERE incident_id IN (SELECT incident_id FROM evidence_item "
            "GROUP BY incident_id, position HAVING COUNT(*) > 1)"
        )
    )
    conn.execute(text("DROP INDEX ix_evidence_item_incident"))
    conn.execute(
        text(
            "CREATE UNIQUE INDEX ix_evidence_item_incident ON evidence_item (incident_id, position)"
        )
    )
    conn.execute(text("DROP INDEX ix_evidence_artifact_incident_sha"))
    conn.execute(
        text(
            "CREATE UNIQUE INDEX ix_evidence_artifact_incident_sha ON evidence_artifact "
            "(incident_id, sha256) WHERE sha256 != ''"
        )
    )


def _v8_security_service_and_kinds(conn: Connection) -> None:
    # A security incident is said at declaration (or any time later), not inferred from a
    # wizard answer; the affected service, for frequency per service; when the resolution
    # was written down (the post-mortem's due clock runs from then, not from a resolution
    # back-entered from years ago); each mitigation step's kind (containment, rollback, ...).
    for statement in (
        "ALTER TABLE incident ADD COLUMN is_security BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE incident ADD COLUMN service VARCHAR NOT NULL DEFAULT ''",
        f"ALTER TABLE incident ADD COLUMN resolution_recorded_at {_time_type(conn)}",
        "ALTER TABLE mitigation ADD COLUMN kind VARCHAR NOT NULL DEFAULT ''",
    ):
        conn.execute(text(statement))
    # Incidents a wizard answer marked as security keep that mark.
    flagged = (
        "jsonb_exists(CAST(wizard_progress.state AS jsonb) -> 'flags', 'security')"
        if _is_postgresql(conn)
        else "EXISTS (SELECT 1 FROM json_each(wizard_progress.state, '$.flags') "
        "WHERE value = 'security')"
    )
    conn.execute(
        text(
            "UPDATE incident SET is_security = TRUE WHERE id IN (SELECT incident_id FROM "
            f"wizard_progress WHERE {flagged})"
        )
    )
    conn.execute(
        text(
            "UPDATE incident SET resolution_recorded_at = resolved_at WHERE resolved_at IS NOT NULL"
        )
    )


def _v9_alert_keys_and_duplicates(conn: Connection) -> None:
    # The alert's dedupe key, unique among open incidents so that an alert storm (many hooks
    # declaring at once) gives one incident; and which incident one duplicates, so it stays
    # out of the metrics. Its statuses are domain.lifecycle's open ones as of v9.
    for statement in (
        "ALTER TABLE incident ADD COLUMN dedupe_key VARCHAR",
        "ALTER TABLE incident ADD COLUMN duplicate_of INTEGER "
        "REFERENCES incident (id) ON DELETE SET NULL",
        "CREATE UNIQUE INDEX ix_incident_open_dedupe_key ON incident (dedupe_key) "
        "WHERE dedupe_key IS NOT NULL AND status IN ('triage', 'active', 'mitigated')",
    ):
        conn.execute(text(statement))


# An artifact's bytes are as immutable as its row: the same guards, on the chunks.
_V10_TRIGGERS = (
    """CREATE TRIGGER evidence_chunk_no_update BEFORE UPDATE ON evidence_chunk
    BEGIN SELECT RAISE(ABORT, 'evidence bytes cannot be changed once collected');
    END""",
    """CREATE TRIGGER evidence_chunk_no_delete BEFORE DELETE ON evidence_chunk
    WHEN EXISTS (SELECT 1 FROM evidence_artifact WHERE id = OLD.artifact_id)
    BEGIN SELECT RAISE(ABORT, 'evidence bytes cannot be deleted (delete the incident)');
    END""",
)
_V10_POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION warroom_evidence_chunk_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'evidence bytes cannot be changed once collected';
        END IF;
        IF TG_OP = 'TRUNCATE'
                OR EXISTS (SELECT 1 FROM evidence_artifact WHERE id = OLD.artifact_id) THEN
            RAISE EXCEPTION 'evidence bytes cannot be deleted (delete the incident)';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER evidence_chunk_guard BEFORE UPDATE OR DELETE ON evidence_chunk
    FOR EACH ROW EXECUTE FUNCTION warroom_evidence_chunk_guard()""",
    """CREATE TRIGGER evidence_chunk_no_truncate BEFORE TRUNCATE ON evidence_chunk
    FOR EACH STATEMENT EXECUTE FUNCTION warroom_evidence_chunk_guard()""",
)


def _v10_evidence_chunks(conn: Connection) -> None:
    # In a shared war room an artifact's bytes are stored with its record, in pieces of up to
    # 1 MiB, so that any laptop can verify and export it (not only the one that collected it).
    meta = MetaData()
    Table("evidence_artifact", meta, Column("id", Integer, primary_key=True))  # the FK target
    chunk = Table(
        "evidence_chunk",
        meta,
        Column(
            "artifact_id",
            Integer,
            ForeignKey("evidence_artifact.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("data", LargeBinary, nullable=False),
    )
    meta.create_all(conn, tables=[chunk])
    for trigger in _V10_POSTGRESQL_TRIGGERS if _is_postgresql(conn) else _V10_TRIGGERS:
        conn.execute(text(trigger))
    if _is_postgresql(conn):  # an artifact over 2 GiB (SQLite's INTEGER is 64-bit already)
        conn.execute(text("ALTER TABLE evidence_artifact ALTER COLUMN size TYPE BIGINT"))


def _v11_metrics_index(conn: Connection) -> None:
    # The metrics' one pass over every timeline (adapters/sql/queries.py) reads only these
    # four kinds of event, grouped by incident. On SQLite the index holds every column that
    # pass reads, so it never touches the table (a third of a plain scan's time at 500,000
    # events). PostgreSQL refuses index rows over about 2.7 kB, which an update's message
    # can reach: there it holds the keys only.
    kinds = "kind IN ('update_sent', 'mitigation', 'check_back', 'reminder')"
    columns = "incident_id, kind, at"
    if not _is_postgresql(conn):
        columns += ", id, recorded_at, data"
    conn.execute(
        text(f"CREATE INDEX ix_timeline_event_metrics ON timeline_event ({columns}) WHERE {kinds}")
    )


def _v12_cadence_index(conn: Connection) -> None:
    # Every edit of an open incident replays its update cadence from these five kinds of
    # event (domain.cadence.RECONCILE_KINDS): a few among what can be thousands of notes.
    # In time order, so the read needs no sort (ties go by the row id, which every index
    # holds on SQLite and which PostgreSQL sorts in the few rows found).
    kinds = "kind IN ('declared', 'severity_changed', 'update_sent', 'status_changed', 'reminder')"
    columns = "timeline_event (incident_id, at)"
    conn.execute(text(f"CREATE INDEX ix_timeline_event_cadence ON {columns} WHERE {kinds}"))


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _v1_create_schema,
    _v2_drill_flag_and_response_due,
    _v3_drafts,
    _v4_mitigations,
    _v5_postmortems,
    _v6_evidence,
    _v7_change_log_and_constraints,
    _v8_security_service_and_kinds,
    _v9_alert_keys_and_duplicates,
    _v10_evidence_chunks,
    _v11_metrics_index,
    _v12_cadence_index,
)
LATEST_VERSION = SCHEMA_VERSION
assert len(MIGRATIONS) == LATEST_VERSION, "a migration step is missing for SCHEMA_VERSION"


# pg_advisory_xact_lock keys: one migration at a time on a shared server.
MIGRATION_LOCK = 0x7761_7201


class NewerSchemaError(RuntimeError):
    pass


def _version_table(conn: Connection) -> Table:
    meta = MetaData()
    table = Table("warroom_schema", meta, Column("version", Integer, nullable=False))
    meta.create_all(conn)
    return table


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("warroom_schema"):
        return 0
    value = conn.execute(text("SELECT MAX(version) FROM warroom_schema")).scalar()
    return int(value or 0)


def migrate(conn: Connection, target: int = LATEST_VERSION) -> tuple[int, int]:
    """Brings the schema up to `target` within the caller's transaction, and stamps warroom's
    application id in the file's header (files from before the id get it here); returns
    (from, to)."""
    if _is_postgresql(conn):  # two laptops joining a new war room at once: one migrates
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    found = current_version(conn)
    if found > LATEST_VERSION:
        raise NewerSchemaError(
            f"schema version {found} was written by a newer warroom "
            f"(this one understands up to {LATEST_VERSION})"
        )
    table = _version_table(conn)
    for step in range(found, target):
        MIGRATIONS[step](conn)
    if target > found:
        conn.execute(table.delete())
        conn.execute(table.insert().values(version=target))
    if _is_postgresql(conn):
        return found, target
    if conn.execute(text("PRAGMA application_id")).scalar() != APPLICATION_ID:
        conn.execute(text(f"PRAGMA application_id={APPLICATION_ID}"))
    return found, target
