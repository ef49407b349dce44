// The copr plugin's tables (spec 01 §2.21): user rebuild requests, the resolution changes a
// request's Copr repo causes, and the rebuilds it queues. Created whether or not the plugin is
// enabled. Databases migrated before this migration existed got them from 0001_tables: every
// statement here leaves existing objects alone.
export const sql = `
DO $$ BEGIN
    CREATE TYPE rebuild_request_state AS ENUM ('new', 'in progress', 'scheduled', 'finished', 'failed');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS copr_rebuild_request (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    collection_id integer NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    repo_source varchar NOT NULL,
    yum_repo varchar,
    "timestamp" timestamptz NOT NULL DEFAULT clock_timestamp(),
    description varchar,
    repo_id integer,
    schedule_count integer,
    scheduler_queue_index integer,
    state rebuild_request_state NOT NULL DEFAULT 'new',
    error varchar
);

CREATE TABLE IF NOT EXISTS copr_resolution_change (
    request_id integer NOT NULL REFERENCES copr_rebuild_request (id) ON DELETE CASCADE,
    package_id integer NOT NULL REFERENCES package (id) ON DELETE CASCADE,
    prev_resolved boolean NOT NULL,
    curr_resolved boolean NOT NULL,
    problems varchar[],
    PRIMARY KEY (request_id, package_id)
);

CREATE TABLE IF NOT EXISTS copr_rebuild (
    request_id integer NOT NULL REFERENCES copr_rebuild_request (id) ON DELETE CASCADE,
    package_id integer NOT NULL REFERENCES package (id) ON DELETE CASCADE,
    copr_build_id integer,
    prev_state integer NOT NULL,
    state integer,
    approved boolean,
    "order" integer NOT NULL,
    PRIMARY KEY (request_id, package_id),
    CONSTRAINT copr_rebuild_order UNIQUE (request_id, package_id, "order"),
    CONSTRAINT copr_rebuild_state_check CHECK (state IS NULL OR copr_build_id IS NOT NULL),
    CONSTRAINT copr_rebuild_state_range_check CHECK (state BETWEEN 2 AND 5)
);
`;
