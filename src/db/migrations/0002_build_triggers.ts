// Denormalized pointers kept by PostgreSQL itself (spec 01 §4), so that every writer —
// services, admin commands, plain SQL — leaves them consistent.
export const sql = `
-- Recomputes a package's last build (newest tagged build of any state), its last complete
-- build (that build unless it is running, else the newest tagged finished one), the copied
-- state of the latter, and which of the package's builds carries last_complete.
-- Untagged builds are invisible. Ties on "started" go to the higher id.
CREATE FUNCTION update_last_build(pkg_id integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    last_id integer;
    last_state integer;
    complete_id integer;
    complete_state integer;
BEGIN
    SELECT id, state INTO last_id, last_state
        FROM build
        WHERE package_id = pkg_id AND NOT untagged
        ORDER BY started DESC, id DESC
        LIMIT 1;
    IF last_state = 2 THEN
        SELECT id, state INTO complete_id, complete_state
            FROM build
            WHERE package_id = pkg_id AND NOT untagged AND state IN (3, 5)
            ORDER BY started DESC, id DESC
            LIMIT 1;
    ELSE
        complete_id := last_id;
        complete_state := last_state;
    END IF;

    UPDATE package SET last_build_id = last_id
        WHERE id = pkg_id AND last_build_id IS DISTINCT FROM last_id;
    UPDATE package
        SET last_complete_build_id = complete_id, last_complete_build_state = complete_state
        WHERE id = pkg_id
          AND (last_complete_build_id IS DISTINCT FROM complete_id
               OR last_complete_build_state IS DISTINCT FROM complete_state);
    IF FOUND THEN
        UPDATE build SET last_complete = false
            WHERE package_id = pkg_id AND last_complete AND id IS DISTINCT FROM complete_id;
        UPDATE build SET last_complete = true WHERE id = complete_id AND NOT last_complete;
    END IF;
END
$$;

CREATE FUNCTION update_last_build_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM update_last_build(NEW.package_id);
    RETURN NULL;
END
$$;

-- After a delete only the last build pointer can be stale: the last complete build cannot
-- be deleted (its foreign key has no action), and deleting an older build changes nothing.
-- The pointer is either already cleared by ON DELETE SET NULL or still names the deleted row,
-- depending on trigger order; both are handled.
CREATE FUNCTION update_last_build_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM package
               WHERE id = OLD.package_id
                 AND (last_build_id IS NULL OR last_build_id = OLD.id)) THEN
        PERFORM update_last_build(OLD.package_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER update_last_build_trigger
    AFTER INSERT ON build
    FOR EACH ROW EXECUTE FUNCTION update_last_build_trigger();
CREATE TRIGGER update_last_build_trigger_up
    AFTER UPDATE ON build
    FOR EACH ROW
    WHEN (OLD.state <> NEW.state OR OLD.untagged <> NEW.untagged)
    EXECUTE FUNCTION update_last_build_trigger();
CREATE TRIGGER update_last_build_trigger_del
    AFTER DELETE ON build
    FOR EACH ROW EXECUTE FUNCTION update_last_build_after_delete();

-- base_package.all_blocked = every package row of that base is blocked. Only the base
-- packages touched by the statement are recomputed (transition tables); a base package
-- without any package row keeps its value.
CREATE FUNCTION update_all_blocked() RETURNS trigger
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
            SELECT n.base_id FROM new_packages n JOIN old_packages o ON o.id = n.id
                WHERE n.blocked <> o.blocked OR n.base_id <> o.base_id
            UNION
            SELECT o.base_id FROM new_packages n JOIN old_packages o ON o.id = n.id
                WHERE n.blocked <> o.blocked OR n.base_id <> o.base_id);
    END IF;
    IF cardinality(affected) > 0 THEN
        UPDATE base_package b SET all_blocked = p.all_blocked
            FROM (SELECT base_id, bool_and(blocked) AS all_blocked
                      FROM package WHERE base_id = ANY (affected)
                      GROUP BY base_id) p
            WHERE b.id = p.base_id AND b.all_blocked <> p.all_blocked;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER update_all_blocked_trigger_ins
    AFTER INSERT ON package REFERENCING NEW TABLE AS new_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_all_blocked();
CREATE TRIGGER update_all_blocked_trigger_del
    AFTER DELETE ON package REFERENCING OLD TABLE AS old_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_all_blocked();
CREATE TRIGGER update_all_blocked_trigger_up
    AFTER UPDATE ON package REFERENCING OLD TABLE AS old_packages NEW TABLE AS new_packages
    FOR EACH STATEMENT EXECUTE FUNCTION update_all_blocked();
`;
