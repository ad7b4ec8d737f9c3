-- Who may do what on a shared war room (PostgreSQL 12 or later).
--
-- Run by the server's administrator, once the war room's tables exist (the administrator's
-- own first join created them), and again after each warroom upgrade that changed the
-- schema. Safe to run any number of times:
--
--     psql -v ON_ERROR_STOP=1 -d warroom -f setup.sql
--
-- Group roles (no login of their own; each person gets a login role in one of them):
--   warroom_responder  reads and writes every warroom table
--   warroom_viewer     reads only: the big screen
--   warroom_security   sees what security incidents keep from everyone else
--
-- Row-level security: for an incident marked as a security incident, every row hanging off
-- it (timeline events and notes, drafts, mitigations, the wizard's progress, the
-- post-mortem, its action items, evidence checklist items, artifacts, their links and
-- custody logs) is visible only to members of warroom_security. Everyone sees the incident
-- row itself (title, severity, status, roles, impact summary, clocks), so the board shows
-- that there is one. Only members of warroom_security may declare a security incident,
-- change it, mark an incident as one or unmark it, or delete it: warroom refuses such a
-- write from anyone else and saves nothing.
--
-- The table owner (the administrator) and superusers are not subject to row-level security:
-- people must join with their own login role, never the owner's.

\set QUIET on

DO $setup$
DECLARE
    schema_name text;
    group_name text;
    owner_name text;
BEGIN
    SELECT n.nspname INTO schema_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = to_regclass('warroom_schema');
    IF schema_name IS NULL THEN
        RAISE EXCEPTION 'no warroom tables in database %', current_database()
            USING HINT = 'Let warroom create them first, as the administrator: '
                'warroom --database postgresql://ADMIN@HOST/DATABASE list';
    END IF;

    FOREACH group_name IN ARRAY ARRAY['warroom_responder', 'warroom_viewer', 'warroom_security']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = group_name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', group_name);
        END IF;
    END LOOP;

    -- Tables made by a person's own login (their laptop joined first) would let that person
    -- switch row-level security off: the administrator must own them.
    SELECT r.rolname INTO owner_name
    FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
    WHERE c.relnamespace = schema_name::regnamespace AND c.relkind IN ('r', 'S')
        AND NOT r.rolsuper  -- superusers are members of every role
        AND EXISTS (
            SELECT 1 FROM pg_roles g
            WHERE g.rolname IN ('warroom_responder', 'warroom_viewer', 'warroom_security')
                AND pg_has_role(r.oid, g.oid, 'MEMBER'))
    LIMIT 1;
    IF owner_name IS NOT NULL THEN
        RAISE EXCEPTION 'warroom tables are owned by %, a member of a warroom group', owner_name
            USING HINT = format('Give them to the administrator first: REASSIGN OWNED BY %I TO %I;',
                owner_name, current_user);
    END IF;

    -- Only the warroom groups (and the administrator) connect; nobody else creates objects.
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO warroom_responder, warroom_viewer, '
        'warroom_security', current_database());
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', schema_name);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO warroom_responder, warroom_viewer, '
        'warroom_security', schema_name);

    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO warroom_viewer', schema_name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I '
        'TO warroom_responder', schema_name);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I '
        'TO warroom_responder', schema_name);
    EXECUTE format('GRANT SELECT ON ALL SEQUENCES IN SCHEMA %I TO warroom_viewer', schema_name);
    -- Tables a later warroom adds while the administrator upgrades: granted as they are made
    -- (run this script again all the same, for their row-level security).
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES '
        'TO warroom_viewer', schema_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE '
        'ON TABLES TO warroom_responder', schema_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE '
        'ON SEQUENCES TO warroom_responder', schema_name);
END
$setup$;

-- The incident row: everyone reads it; only warroom_security writes a security incident's.
-- An UPDATE's check sees the row as it was before the statement too, so nobody outside
-- warroom_security can unmark a security incident to read what it keeps.
ALTER TABLE incident ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS warroom_read ON incident;
DROP POLICY IF EXISTS warroom_declare ON incident;
DROP POLICY IF EXISTS warroom_change ON incident;
DROP POLICY IF EXISTS warroom_delete ON incident;
CREATE POLICY warroom_read ON incident FOR SELECT USING (true);
CREATE POLICY warroom_declare ON incident FOR INSERT
    WITH CHECK (NOT is_security OR pg_has_role('warroom_security', 'MEMBER'));
CREATE POLICY warroom_change ON incident FOR UPDATE
    USING (true)
    WITH CHECK (
        pg_has_role('warroom_security', 'MEMBER')
        OR NOT (is_security OR EXISTS (
            SELECT 1 FROM incident AS was WHERE was.id = incident.id AND was.is_security)));
-- A DELETE that row-level security filtered out would delete nothing and say nothing: the
-- row stays visible to DELETE, and a trigger refuses it in so many words instead.
CREATE POLICY warroom_delete ON incident FOR DELETE USING (true);
CREATE OR REPLACE FUNCTION warroom_security_delete_guard() RETURNS trigger
LANGUAGE plpgsql AS $guard$
BEGIN
    IF OLD.is_security AND NOT pg_has_role('warroom_security', 'MEMBER')
            AND NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
    THEN
        RAISE EXCEPTION 'only members of warroom_security may delete security incident %',
            OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$guard$;
DROP TRIGGER IF EXISTS warroom_security_delete_guard ON incident;
CREATE TRIGGER warroom_security_delete_guard BEFORE DELETE ON incident
    FOR EACH ROW EXECUTE FUNCTION warroom_security_delete_guard();

-- Every other table whose rows belong to one incident: directly (an incident_id column; the
-- change log excepted, which says only which incident changed and which part of it), through
-- an artifact (an artifact_id column: custody logs, links, stored bytes) or through a
-- checklist item (an item_id column). Tables a later warroom adds are covered by the same
-- rules when this script runs again. A row is shown when its parent is one the reader can
-- see and belongs to no security incident: the parent's own row-level security applies in
-- the check, so a hidden artifact's custody log is hidden with it.
DO $rows$
DECLARE
    schema_name text := (
        SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass('warroom_schema'));
    found record;
    shown text;
BEGIN
    FOR found IN
        SELECT c.relname AS name,
            bool_or(a.attname = 'incident_id') AS by_incident,
            bool_or(a.attname = 'artifact_id') AS by_artifact
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = schema_name::regnamespace AND c.relkind = 'r'
            AND a.attname IN ('incident_id', 'artifact_id', 'item_id') AND NOT a.attisdropped
            AND c.relname NOT IN ('incident', 'change_log')
        GROUP BY c.relname
        ORDER BY c.relname
    LOOP
        IF found.by_incident THEN
            shown := format('SELECT 1 FROM %1$I.incident AS i '
                'WHERE i.id = %2$I.incident_id AND NOT i.is_security', schema_name, found.name);
        ELSIF found.by_artifact THEN
            shown := format('SELECT 1 FROM %1$I.evidence_artifact AS a '
                'JOIN %1$I.incident AS i ON i.id = a.incident_id '
                'WHERE a.id = %2$I.artifact_id AND NOT i.is_security', schema_name, found.name);
        ELSE
            shown := format('SELECT 1 FROM %1$I.evidence_item AS it '
                'JOIN %1$I.incident AS i ON i.id = it.incident_id '
                'WHERE it.id = %2$I.item_id AND NOT i.is_security', schema_name, found.name);
        END IF;
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', schema_name, found.name);
        EXECUTE format('DROP POLICY IF EXISTS warroom_security_rows ON %I.%I',
            schema_name, found.name);
        EXECUTE format('CREATE POLICY warroom_security_rows ON %1$I.%2$I '
            'USING (pg_has_role(''warroom_security'', ''MEMBER'') OR EXISTS (%3$s)) '
            'WITH CHECK (pg_has_role(''warroom_security'', ''MEMBER'') OR EXISTS (%3$s))',
            schema_name, found.name, shown);
    END LOOP;
END
$rows$;

\set QUIET off
\echo 'warroom: roles warroom_responder, warroom_viewer, warroom_security and row-level security are set up.'
