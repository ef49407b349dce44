// Every core table of the data model (spec 01 §2; the plugins' tables come in migrations of
// their own, 0008 and 0009), with server defaults for every column that
// has one (bulk inserts omit them) and times as timestamptz (stored and compared in UTC).
// Serial primary keys keep PostgreSQL's `<table>_id_seq` sequence names, which the
// collection-copy code calls by name.
export const sql = `
CREATE TYPE log_environment AS ENUM ('admin', 'backend', 'frontend');

CREATE TABLE "user" (
    id serial PRIMARY KEY,
    name varchar NOT NULL UNIQUE,
    admin boolean NOT NULL DEFAULT false
);

CREATE TABLE collection (
    id serial PRIMARY KEY,
    "order" integer NOT NULL DEFAULT 100,
    name varchar NOT NULL UNIQUE,
    display_name varchar NOT NULL,
    secondary_mode boolean NOT NULL DEFAULT false,
    target varchar NOT NULL,
    dest_tag varchar NOT NULL,
    build_tag varchar NOT NULL,
    bugzilla_product varchar,
    bugzilla_version varchar,
    priority_coefficient double precision NOT NULL DEFAULT 1,
    build_group varchar NOT NULL DEFAULT 'build',
    latest_repo_id integer,
    latest_repo_resolved boolean,
    poll_untracked boolean NOT NULL DEFAULT true,
    CONSTRAINT collection_latest_repo_id_check
        CHECK ((latest_repo_resolved IS NULL) = (latest_repo_id IS NULL))
);

CREATE TABLE collection_group (
    id serial PRIMARY KEY,
    name varchar NOT NULL UNIQUE,
    display_name varchar NOT NULL
);

CREATE TABLE collection_group_relation (
    group_id integer NOT NULL REFERENCES collection_group (id) ON DELETE CASCADE,
    collection_id integer NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, collection_id)
);

CREATE TABLE base_package (
    id serial PRIMARY KEY,
    name varchar NOT NULL UNIQUE,
    all_blocked boolean NOT NULL DEFAULT true
);

CREATE TABLE package (
    id serial PRIMARY KEY,
    base_id integer NOT NULL REFERENCES base_package (id) ON DELETE CASCADE,
    name varchar NOT NULL,
    collection_id integer NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    arch_override varchar,
    skip_resolution boolean NOT NULL DEFAULT false,
    last_complete_build_id integer,
    last_complete_build_state integer,
    last_build_id integer,
    resolved boolean,
    static_priority integer NOT NULL DEFAULT 0,
    manual_priority integer NOT NULL DEFAULT 0,
    build_priority integer NOT NULL DEFAULT 0,
    dependency_priority integer NOT NULL DEFAULT 0,
    tracked boolean NOT NULL DEFAULT false,
    blocked boolean NOT NULL DEFAULT false,
    scheduler_skip_reason integer,
    CONSTRAINT package_unique_in_collection UNIQUE (base_id, collection_id),
    CONSTRAINT package_skip_resolution_check CHECK (NOT skip_resolution OR resolved IS NULL)
);
CREATE INDEX ix_package_name ON package (name);
CREATE INDEX ix_package_collection_id ON package (collection_id, tracked) WHERE NOT blocked;

CREATE TABLE build (
    id serial PRIMARY KEY,
    package_id integer REFERENCES package (id) ON DELETE CASCADE,
    state integer NOT NULL DEFAULT 2,
    task_id integer NOT NULL,
    started timestamptz NOT NULL,
    finished timestamptz,
    epoch integer,
    version varchar,
    release varchar,
    repo_id integer,
    last_complete boolean NOT NULL DEFAULT false,
    cancel_requested boolean NOT NULL DEFAULT false,
    deps_resolved boolean,
    real boolean NOT NULL DEFAULT false,
    untagged boolean NOT NULL DEFAULT false,
    dependency_keys bytea,
    CONSTRAINT build_state_check CHECK (state IN (2, 3, 5)),
    CONSTRAINT build_repo_id_check CHECK (state = 2 OR repo_id IS NOT NULL),
    CONSTRAINT build_version_check CHECK (state = 2 OR version IS NOT NULL),
    CONSTRAINT build_release_check CHECK (state = 2 OR release IS NOT NULL),
    CONSTRAINT build_real_complete_check CHECK (NOT real OR state <> 2)
);
CREATE INDEX ix_build_composite ON build (package_id, started DESC);
CREATE INDEX ix_builds_unprocessed ON build (task_id)
    WHERE deps_resolved IS NULL AND repo_id IS NOT NULL;
CREATE INDEX ix_builds_last_complete ON build (package_id, task_id) WHERE last_complete;

-- package and build reference each other; these two keys can only exist once both do.
-- Deleting a package's last complete build is refused (NO ACTION); deleting its last
-- build clears the pointer, and the build trigger then recomputes it.
ALTER TABLE package
    ADD CONSTRAINT fkey_package_last_complete_build_id
        FOREIGN KEY (last_complete_build_id) REFERENCES build (id),
    ADD CONSTRAINT fkey_package_last_build_id
        FOREIGN KEY (last_build_id) REFERENCES build (id) ON DELETE SET NULL;

CREATE TABLE koji_task (
    id serial PRIMARY KEY,
    build_id integer NOT NULL REFERENCES build (id) ON DELETE CASCADE,
    task_id integer NOT NULL,
    arch varchar NOT NULL,
    state integer NOT NULL,
    started timestamptz NOT NULL,
    finished timestamptz,
    CONSTRAINT koji_task_state_check CHECK (state BETWEEN 0 AND 5)
);
CREATE INDEX ix_koji_task_build_id ON koji_task (build_id);

CREATE TABLE package_group (
    id serial PRIMARY KEY,
    namespace varchar,
    name varchar NOT NULL
);
CREATE UNIQUE INDEX ix_package_group_name ON package_group (namespace, name);

CREATE TABLE package_group_relation (
    group_id integer NOT NULL REFERENCES package_group (id) ON DELETE CASCADE,
    base_id integer NOT NULL REFERENCES base_package (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, base_id)
);
CREATE INDEX ix_package_group_relation_base_id ON package_group_relation (base_id);

CREATE TABLE group_acl (
    group_id integer NOT NULL REFERENCES package_group (id) ON DELETE CASCADE,
    user_id integer NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE resolution_change (
    id serial PRIMARY KEY,
    resolved boolean NOT NULL,
    "timestamp" timestamptz NOT NULL DEFAULT clock_timestamp(),
    package_id integer NOT NULL REFERENCES package (id) ON DELETE CASCADE
);
CREATE INDEX ix_resolution_change_package_id ON resolution_change (package_id);

CREATE TABLE resolution_problem (
    id serial PRIMARY KEY,
    resolution_id integer NOT NULL REFERENCES resolution_change (id) ON DELETE CASCADE,
    problem varchar NOT NULL
);
CREATE INDEX ix_resolution_problem_resolution_id ON resolution_problem (resolution_id);

CREATE TABLE dependency (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    epoch integer,
    version varchar NOT NULL,
    release varchar NOT NULL,
    arch varchar NOT NULL
);
CREATE UNIQUE INDEX ix_dependency_composite ON dependency (name, epoch, version, release, arch);

CREATE TABLE applied_change (
    id serial PRIMARY KEY,
    build_id integer NOT NULL REFERENCES build (id) ON DELETE CASCADE,
    prev_dep_id integer REFERENCES dependency (id),
    curr_dep_id integer REFERENCES dependency (id),
    distance integer,
    CONSTRAINT applied_change_dep_id_check
        CHECK (COALESCE(prev_dep_id, 0) <> COALESCE(curr_dep_id, 0))
);
CREATE INDEX ix_applied_change_build_id ON applied_change (build_id);
CREATE INDEX ix_applied_change_prev_dep_id ON applied_change (prev_dep_id);
CREATE INDEX ix_applied_change_curr_dep_id ON applied_change (curr_dep_id);

CREATE TABLE unapplied_change (
    id bigserial PRIMARY KEY,
    package_id integer NOT NULL REFERENCES package (id) ON DELETE CASCADE,
    prev_dep_id integer REFERENCES dependency (id),
    curr_dep_id integer REFERENCES dependency (id),
    distance integer,
    CONSTRAINT unapplied_change_dep_id_check
        CHECK (COALESCE(prev_dep_id, 0) <> COALESCE(curr_dep_id, 0))
);
CREATE INDEX ix_unapplied_change_package_id ON unapplied_change (package_id);
CREATE INDEX ix_unapplied_change_prev_dep_id ON unapplied_change (prev_dep_id);
CREATE INDEX ix_unapplied_change_curr_dep_id ON unapplied_change (curr_dep_id);

CREATE TABLE buildroot_problem (
    id serial PRIMARY KEY,
    collection_id integer REFERENCES collection (id) ON DELETE CASCADE,
    problem varchar NOT NULL
);
CREATE INDEX ix_buildroot_problem_collection_id ON buildroot_problem (collection_id);

CREATE TABLE admin_notice (
    key varchar PRIMARY KEY,
    content varchar NOT NULL
);

CREATE TABLE log_entry (
    id serial PRIMARY KEY,
    user_id integer REFERENCES "user" (id) ON DELETE CASCADE,
    environment log_environment NOT NULL,
    "timestamp" timestamptz NOT NULL DEFAULT clock_timestamp(),
    message varchar NOT NULL,
    base_id integer REFERENCES base_package (id) ON DELETE CASCADE,
    CONSTRAINT log_entry_user_id_check CHECK (user_id IS NOT NULL OR environment = 'backend')
);

-- Secondary mode only; secondary_id values are always supplied (Koji repo ids).
CREATE TABLE repo_mapping (
    secondary_id integer PRIMARY KEY,
    primary_id integer,
    task_id integer NOT NULL
);
`;
