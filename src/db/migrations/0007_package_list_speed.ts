// What the web frontend's package lists need to answer from an index (bench:web, issue #12):
//
// * base_package.any_running / any_failing / any_tracked: the unified view's flags (a build is
//   running, the package fails or is unresolvable, it is tracked and not blocked, in some
//   collection), kept by the trigger that already keeps all_blocked, so that a page of the
//   unified view over every collection is an index scan instead of aggregating every package
//   row (84 ms with 30,000 base packages in two collections → under 1 ms).
// * package.last_build_started: the start of the package's last build, so that sorting a
//   collection by current priority reads no build row (25,000 primary key probes, 230 ms).
// * ix_package_collection_view carries the columns its expressions read, so that deep pages
//   of the collection view are index-only scans (page 200: 27 ms → 2.5 ms).
// * package_data_version: a counter every statement changing packages, builds or collections
//   advances, so that the API can tell that an answer over every package (1–2 s to compute)
//   is still right without computing it again. A sequence never blocks concurrent writers.
export const sql = `
ALTER TABLE base_package
    ADD COLUMN any_running boolean NOT NULL DEFAULT false,
    ADD COLUMN any_failing boolean NOT NULL DEFAULT false,
    ADD COLUMN any_tracked boolean NOT NULL DEFAULT false;

-- Recomputes all_blocked and the any_* flags of the given base packages from their package
-- rows. A base package left without package rows keeps all_blocked (as before) and has no
-- flag set, as the unified view's aggregate over no rows gives.
CREATE FUNCTION refresh_base_package_flags(affected integer[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE base_package b
        SET all_blocked = coalesce(f.all_blocked, b.all_blocked),
            any_running = f.any_running,
            any_failing = f.any_failing,
            any_tracked = f.any_tracked
        FROM (SELECT a.base_id,
                     bool_and(p.blocked) AS all_blocked,
                     coalesce(bool_or(p.last_build_id IS DISTINCT FROM p.last_complete_build_id),
                              false) AS any_running,
                     coalesce(bool_or(p.last_complete_build_state = 5 OR p.resolved IS FALSE),
                              false) AS any_failing,
                     coalesce(bool_or(p.tracked AND NOT p.blocked), false) AS any_tracked
                  FROM unnest(affected) AS a (base_id)
                  LEFT JOIN package p ON p.base_id = a.base_id
                  GROUP BY a.base_id) f
        WHERE b.id = f.base_id
          AND (b.all_blocked, b.any_running, b.any_failing, b.any_tracked)
              IS DISTINCT FROM (coalesce(f.all_blocked, b.all_blocked), f.any_running,
                                f.any_failing, f.any_tracked);
$$;

-- Only the base packages the statement touched are recomputed (transition tables); an update
-- touches them only when a column the flags read changed.
CREATE FUNCTION update_base_package_flags() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    affected integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        affected := ARRAY(SELECT DISTINCT base_id FROM new_packages);
    ELSIF TG_OP = 'DELETE' THEN
        affected := ARRAY(SELECT DISTINCT base_id FROM old_packages);
    ELSE
        affected := ARRAY(
            SELECT DISTINCT unnest(ARRAY[n.base_id, o.base_id])
                FROM new_packages n JOIN old_packages o ON o.id = n.id
                WHERE (n.base_id, n.blocked, n.tracked, n.resolved, n.last_build_id,
                       n.last_complete_build_id, n.last_complete_build_state)
                      IS DISTINCT FROM
                      (o.base_id, o.blocked, o.tracked, o.resolved, o.last_build_id,
                       o.last_complete_build_id, o.last_complete_build_state));
    END IF;
    IF cardinality(affected) > 0 THEN
        PERFORM refresh_base_package_flags(affected);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER update_all_blocked_trigger_ins ON package;
DROP TRIGGER update_all_blocked_trigger_del ON package;
DROP TRIGGER update_all_blocked_trigger_up ON package;
DROP FUNCTION update_all_blocked();

CREATE TRIGGER update_base_package_flags_ins
    AFTER INSERT ON package REFERENCING NEW TABLE AS new_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_base_package_flags();
CREATE TRIGGER update_base_package_flags_del
    AFTER DELETE ON package REFERENCING OLD TABLE AS old_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_base_package_flags();
CREATE TRIGGER update_base_package_flags_up
    AFTER UPDATE ON package REFERENCING OLD TABLE AS old_packages NEW TABLE AS new_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_base_package_flags();

SELECT refresh_base_package_flags(ARRAY(SELECT DISTINCT base_id FROM package));

-- The unified view's default order (running, failing, name) over the base packages it lists.
CREATE INDEX ix_base_package_list ON base_package (any_running DESC, any_failing DESC, name, id)
    INCLUDE (any_tracked) WHERE NOT all_blocked;

ALTER TABLE package ADD COLUMN last_build_started timestamptz;
UPDATE package p SET last_build_started = b.started FROM build b WHERE b.id = p.last_build_id;

-- Whoever sets last_build_id (the build triggers, a foreign key clearing it, a copy), the
-- start time follows it.
CREATE FUNCTION set_last_build_started() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_build_started := (SELECT started FROM build WHERE id = NEW.last_build_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER set_last_build_started_trigger
    BEFORE INSERT OR UPDATE OF last_build_id, last_build_started ON package
    FOR EACH ROW EXECUTE FUNCTION set_last_build_started();

-- A build whose start time changes (synced from Koji) passes it on when it is the last one.
CREATE FUNCTION update_last_build_started() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE package SET last_build_started = NEW.started
        WHERE id = NEW.package_id AND last_build_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER update_last_build_started_trigger
    AFTER UPDATE OF started ON build
    FOR EACH ROW WHEN (OLD.started IS DISTINCT FROM NEW.started)
    EXECUTE FUNCTION update_last_build_started();

DROP INDEX ix_package_collection_view;
CREATE INDEX ix_package_collection_view ON package (
    collection_id,
    (last_complete_build_id = last_build_id),
    resolved,
    (CASE WHEN last_build_id IS DISTINCT FROM last_complete_build_id THEN 2
          ELSE last_complete_build_state END) DESC,
    name,
    id
) INCLUDE (last_build_id, last_complete_build_id, last_complete_build_state)
    WHERE tracked AND NOT blocked;

CREATE SEQUENCE package_data_version;
CREATE FUNCTION advance_package_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('package_data_version');
    RETURN NULL;
END
$$;
CREATE TRIGGER advance_package_data_version_trigger
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON package
    FOR EACH STATEMENT EXECUTE FUNCTION advance_package_data_version();
CREATE TRIGGER advance_package_data_version_trigger
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON build
    FOR EACH STATEMENT EXECUTE FUNCTION advance_package_data_version();
CREATE TRIGGER advance_package_data_version_trigger
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON collection
    FOR EACH STATEMENT EXECUTE FUNCTION advance_package_data_version();
`;
