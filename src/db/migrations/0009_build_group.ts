// The osci plugin's build groups (spec 01 §2.22): a side collection, its base collection and
// what was last reported. Created whether or not the plugin is enabled. Databases migrated
// before this migration existed got the table from 0001_tables, which this leaves alone.
export const sql = `
CREATE TABLE IF NOT EXISTS build_group (
    id serial PRIMARY KEY,
    repo_id integer,
    collection_id integer REFERENCES collection (id) ON DELETE SET NULL,
    base_collection_id integer REFERENCES collection (id) ON DELETE SET NULL,
    state varchar
);
`;
